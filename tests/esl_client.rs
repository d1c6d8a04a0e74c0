//! The inbound client against a scripted peer on 127.0.0.1:0 replaying real captures: auth
//! failure, replies interleaved with events, BACKGROUND_JOB after CHANNEL_DESTROY, execute,
//! hangup first, slow consumers, exit, and a close mid-frame reaching every waiter.

use std::time::Duration;

use outcall::esl::client::{Client, ClientOptions, Disconnect, Error};

#[path = "esl_peer/mod.rs"]
mod peer;
use peer::{accept_auth, event_with, expect, fixture_frame, reply, send, send_fixture, start};

fn opts() -> ClientOptions {
    ClientOptions {
        liveness: None,
        ..ClientOptions::default()
    }
}

fn uuid_of(fixture: &str) -> String {
    let f = fixture_frame(fixture);
    outcall::esl::Event::from_frame(&f)
        .unwrap()
        .unwrap()
        .unique_id()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_not_a_hang() {
    let (addr, peer) = start(|mut p| async move {
        send_fixture(&mut p, "auth_request.txt").await;
        expect(&mut p, "auth wrong").await;
        send(&mut p, &reply("-ERR invalid")).await;
        send_fixture(&mut p, "disconnect_notice_goodbye.txt").await;
    })
    .await;
    let err = Client::connect(&addr, "wrong", opts()).await.err().unwrap();
    assert!(
        matches!(&err, Error::Auth(t) if t == "-ERR invalid"),
        "{err:?}"
    );
    peer.await.unwrap();
}

#[tokio::test]
async fn reply_interleaved_with_events() {
    let answer_uuid = uuid_of("channel_answer.plain");
    let (addr, peer) = start(|mut p| async move {
        accept_auth(&mut p).await;
        expect(&mut p, "api status").await;
        send_fixture(&mut p, "channel_answer.plain").await;
        send_fixture(&mut p, "channel_park.plain").await;
        send_fixture(&mut p, "api_response_ok.api").await;
        send_fixture(&mut p, "channel_answer.plain").await;
        expect(&mut p, "exit").await;
        send_fixture(&mut p, "exit_bye.reply").await;
        send_fixture(&mut p, "disconnect_notice_goodbye.txt").await;
    })
    .await;
    let client = Client::connect(&addr, "ClueCon", opts()).await.unwrap();
    let mut chan = client.channel_events(&answer_uuid);
    let mut all = client.subscribe_all();
    assert_eq!(client.api("status", "").await.unwrap(), "+OK\n");
    let first = chan.recv().await.unwrap();
    assert_eq!(first.event_name().unwrap(), "CHANNEL_ANSWER");
    assert_eq!(
        chan.recv().await.unwrap().event_name().unwrap(),
        "CHANNEL_ANSWER"
    );
    let names: Vec<String> = [all.recv().await, all.recv().await, all.recv().await]
        .into_iter()
        .map(|e| e.unwrap().event_name().unwrap().into_owned())
        .collect();
    assert_eq!(names, ["CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_ANSWER"]);
    client.exit().await.unwrap();
    assert_eq!(*client.closed().await, Disconnect::Exited);
    assert_eq!(client.stats().events, 3);
    peer.await.unwrap();
}

#[tokio::test]
async fn background_job_after_channel_destroy() {
    let destroy_uuid = uuid_of("channel_destroy.plain");
    let job_uuid = "43e14ab9-38b1-4187-9f08-e13f35136bb2";
    let (addr, peer) = start(move |mut p| async move {
        accept_auth(&mut p).await;
        let req = expect(&mut p, "bgapi originate").await;
        assert_eq!(req.headers.get("Job-UUID").unwrap(), job_uuid);
        send_fixture(&mut p, "bgapi_job_uuid.reply").await;
        send_fixture(&mut p, "channel_destroy.plain").await;
        send_fixture(
            &mut p,
            "background_job_originate_err_recovery_on_timer_expire.plain",
        )
        .await;
        let _ = expect(&mut p, "never").await;
    })
    .await;
    let client = Client::connect(&addr, "ClueCon", opts()).await.unwrap();
    let mut chan = client.channel_events(&destroy_uuid);
    let args = format!("{{origination_uuid={destroy_uuid}}}sofia/gateway/gw/1 &park()");
    let job = client
        .bgapi_start("originate", &args, Some(job_uuid))
        .await
        .unwrap();
    assert_eq!(job.job_uuid, job_uuid);
    let destroy = chan.recv().await.unwrap();
    assert_eq!(destroy.event_name().unwrap(), "CHANNEL_DESTROY");
    let result = job.wait().await.unwrap();
    assert_eq!(result.body, "-ERR RECOVERY_ON_TIMER_EXPIRE\n");
    assert_eq!(result.outcome(), Err("RECOVERY_ON_TIMER_EXPIRE"));
    drop(client);
    drop(chan);
    peer.abort();
}

#[tokio::test]
async fn execute_resolves_to_its_execute_complete() {
    let (addr, peer) = start(|mut p| async move {
        accept_auth(&mut p).await;
        let req = expect(&mut p, "sendmsg ").await;
        let app_uuid = req.headers.get("Event-UUID").unwrap().into_owned();
        assert_eq!(req.headers.get("execute-app-name").unwrap(), "playback");
        send_fixture(&mut p, "command_reply_ok.reply").await;
        let other = event_with(
            "channel_execute_complete_playback.plain",
            &[("Application-UUID", "someone-else")],
        );
        send(&mut p, &other).await;
        let mine = event_with(
            "channel_execute_complete_playback.plain",
            &[("Application-UUID", &app_uuid)],
        );
        send(&mut p, &mine).await;
        expect(&mut p, "sendmsg ").await;
        send(&mut p, &reply("-ERR invalid session id [gone]")).await;
        let _ = expect(&mut p, "never").await;
    })
    .await;
    let client = Client::connect(&addr, "ClueCon", opts()).await.unwrap();
    let done = client
        .execute("chan-1", "playback", "/tmp/x.wav")
        .await
        .unwrap();
    assert_eq!(done.application_response().unwrap(), "FILE PLAYED");
    let err = client.execute("gone", "playback", "x").await.unwrap_err();
    assert!(matches!(&err, Error::Failed(t) if t.starts_with("-ERR invalid session id")));
    peer.abort();
}

#[tokio::test]
async fn execute_fails_when_the_channel_hangs_up_first() {
    let uuid = uuid_of("channel_hangup_complete_unanswered_originator_cancel.plain");
    let (addr, peer) = start(|mut p| async move {
        accept_auth(&mut p).await;
        expect(&mut p, "sendmsg ").await;
        send_fixture(&mut p, "command_reply_ok.reply").await;
        let hangup =
            peer::support::fixture("channel_hangup_complete_unanswered_originator_cancel.plain");
        send(&mut p, &hangup).await;
        let _ = expect(&mut p, "never").await;
    })
    .await;
    let client = Client::connect(&addr, "ClueCon", opts()).await.unwrap();
    let err = client.execute(&uuid, "playback", "x").await.unwrap_err();
    assert!(matches!(&err, Error::HungUp(u) if *u == uuid), "{err:?}");
    peer.abort();
}

#[tokio::test]
async fn slow_consumer_drops_and_counts_without_stalling_the_reader() {
    let uuid = uuid_of("channel_answer.plain");
    let (addr, peer) = start(|mut p| async move {
        accept_auth(&mut p).await;
        expect(&mut p, "api status").await;
        for _ in 0..10 {
            send_fixture(&mut p, "channel_answer.plain").await;
        }
        send_fixture(&mut p, "api_response_ok.api").await;
        let _ = expect(&mut p, "never").await;
    })
    .await;
    let options = ClientOptions { queue: 2, ..opts() };
    let client = Client::connect(&addr, "ClueCon", options).await.unwrap();
    let mut chan = client.channel_events(&uuid);
    assert_eq!(client.api("status", "").await.unwrap(), "+OK\n");
    assert_eq!(chan.dropped(), 8);
    assert_eq!(client.stats().dropped, 8);
    assert!(chan.try_recv().is_some() && chan.try_recv().is_some());
    assert!(chan.try_recv().is_none());
    peer.abort();
}

#[tokio::test]
async fn close_mid_frame_reaches_every_waiter() {
    let uuid = uuid_of("channel_answer.plain");
    let (addr, peer) = start(|mut p| async move {
        accept_auth(&mut p).await;
        expect(&mut p, "bgapi originate").await;
        send_fixture(&mut p, "bgapi_job_uuid.reply").await;
        expect(&mut p, "sendmsg").await;
        send_fixture(&mut p, "command_reply_ok.reply").await;
        expect(&mut p, "api status").await;
        let answer = peer::support::fixture("channel_answer.plain");
        send(&mut p, &answer[..answer.len() / 2]).await;
    })
    .await;
    let client = Client::connect(&addr, "ClueCon", opts()).await.unwrap();
    let mut chan = client.channel_events(&uuid);
    let job = client
        .bgapi_start(
            "originate",
            "x",
            Some("43e14ab9-38b1-4187-9f08-e13f35136bb2"),
        )
        .await
        .unwrap();
    // futures::join! polls in order, so the sendmsg is queued before the api.
    let (exec, api) = futures::join!(client.execute(&uuid, "park", ""), client.api("status", ""));
    assert!(api.unwrap_err().is_disconnect());
    assert!(exec.unwrap_err().is_disconnect());
    assert!(job.wait().await.unwrap_err().is_disconnect());
    assert!(chan.recv().await.is_none());
    let why = client.closed().await;
    assert!(
        matches!(&*why, Disconnect::Failed(m) if m.contains("stream ended inside")),
        "{why}"
    );
    assert!(client.api("status", "").await.unwrap_err().is_disconnect());
    peer.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn silent_switch_is_declared_unresponsive() {
    let (ours, mut theirs) = tokio::io::duplex(64 * 1024);
    let options = ClientOptions {
        liveness: Some(Duration::from_secs(30)),
        events: vec![],
        ..ClientOptions::default()
    };
    let script = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        theirs
            .write_all(&peer::support::fixture("auth_request.txt"))
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let _ = theirs.read(&mut buf).await.unwrap();
        theirs
            .write_all(&peer::support::fixture("auth_accepted.reply"))
            .await
            .unwrap();
        let mut sink = Vec::new();
        let _ = theirs.read_to_end(&mut sink).await;
        sink
    });
    let client = Client::handshake(ours, "ClueCon", options).await.unwrap();
    assert_eq!(*client.closed().await, Disconnect::Unresponsive);
    drop(client);
    let written = script.await.unwrap();
    assert!(String::from_utf8_lossy(&written).contains("api status\n\n"));
}
