//! The simulator's fault injection seen through outcall's own `esl` client (drop after N
//! events, a malformed frame, a stall caught by the liveness probe, a server that stops
//! reading, a hung switch), and HEARTBEAT: every 20 simulated seconds, with the headers of the
//! capture.

#[path = "sim_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::esl::client::{Client, ClientOptions, Disconnect, EventStream};
use outcall::sim::{Faults, SimConfig, SimHandle};
use support::esl::{connect, connect_with, name, named, next, options, sim_micros_between};

async fn faulty(faults: Faults) -> SimHandle {
    let cfg = SimConfig {
        rules: outcall::sim::Rules::from_toml_str(support::BASE_RULES).expect("rules"),
        time_scale: 100.0,
        faults,
        ..SimConfig::default()
    };
    outcall::sim::start(cfg).await.expect("sim starts")
}

/// Starts an answered call (enough events for every fault below) without waiting for it.
async fn start_call(client: &Client, uuid: &str) {
    let args = format!("{{origination_uuid={uuid}}}sofia/gateway/demo/1001 &park()");
    client
        .bgapi_start("originate", &args, None)
        .await
        .expect("bgapi accepted");
}

/// Counts the events of `stream` until it ends (the connection is gone).
async fn count_to_end(stream: &mut EventStream) -> usize {
    let mut n = 0;
    while tokio::time::timeout(support::WAIT, stream.recv())
        .await
        .expect("the stream ends before the wait limit")
        .is_some()
    {
        n += 1;
    }
    n
}

async fn closed(client: &Client) -> Disconnect {
    let why = tokio::time::timeout(support::WAIT, client.closed())
        .await
        .expect("the connection ends before the wait limit");
    (*why).clone()
}

#[tokio::test]
async fn drop_after_n_events_disconnects_the_client() {
    let sim = faulty(Faults {
        drop_after_events: Some(5),
        ..Faults::default()
    })
    .await;
    let client = connect_with(&sim, options()).await;
    let mut all = client.subscribe_all();
    start_call(&client, "d1").await;
    assert_eq!(count_to_end(&mut all).await, 5);
    assert_eq!(closed(&client).await, Disconnect::Closed(None));
    let err = client.api("status", "").await.unwrap_err();
    assert!(err.is_disconnect(), "{err:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_frame_fails_the_client_naming_it() {
    let sim = faulty(Faults {
        malformed_after_events: Some(3),
        ..Faults::default()
    })
    .await;
    let client = connect_with(&sim, options()).await;
    let mut all = client.subscribe_all();
    start_call(&client, "m1").await;
    assert_eq!(count_to_end(&mut all).await, 3);
    let Disconnect::Failed(why) = closed(&client).await else {
        panic!("a codec failure, got {:?}", client.disconnect_reason());
    };
    assert!(why.starts_with("malformed frame at byte "), "{why}");
    assert!(why.contains("\"This is not a header line\""), "{why}");
    sim.shutdown().await;
}

#[tokio::test]
async fn stall_is_caught_by_the_liveness_probe() {
    let sim = faulty(Faults::default()).await;
    let probing = ClientOptions {
        liveness: Some(Duration::from_millis(500)),
        ..options()
    };
    let healthy = connect_with(&sim, probing.clone()).await;
    sim.set_faults(Faults {
        stall_after_events: Some((2, Duration::from_secs(60))),
        ..Faults::default()
    });
    let stalled = connect_with(&sim, probing).await;
    let mut events = stalled.subscribe_all();
    start_call(&healthy, "s1").await;
    next(&mut events).await;
    next(&mut events).await;
    assert_eq!(closed(&stalled).await, Disconnect::Unresponsive);
    // The same probe on a connection that was not stalled keeps it up.
    assert!(healthy.disconnect_reason().is_none());
    assert!(healthy.api("status", "").await.unwrap().starts_with("UP "));
    sim.shutdown().await;
}

/// `hang` is a SIGSTOPped switch as a client sees it: the TCP connection stays, nothing is
/// answered, a new connection is not greeted; `resume` answers what waited.
#[tokio::test(start_paused = true)]
async fn a_hung_sim_keeps_its_connections_and_answers_nothing_until_resumed() {
    let sim = faulty(Faults::default()).await;
    let client = connect(&sim).await;
    sim.hang();
    let c = client.clone();
    let waiting = tokio::spawn(async move { c.api("status", "").await });
    let unanswered = tokio::time::timeout(Duration::from_secs(30), client.api("version", "")).await;
    assert!(
        unanswered.is_err(),
        "a hung switch answered: {unanswered:?}"
    );
    assert!(
        client.disconnect_reason().is_none(),
        "the connection stays open"
    );
    let greeted = Client::connect(
        &sim.addr().to_string(),
        "ClueCon",
        ClientOptions {
            connect_timeout: Duration::from_secs(2),
            ..options()
        },
    )
    .await;
    assert!(greeted.is_err(), "a hung switch greeted a new connection");
    sim.resume();
    let status = waiting.await.unwrap().unwrap();
    assert!(status.starts_with("UP "), "{status}");
    assert!(client.api("version", "").await.is_ok());
    sim.shutdown().await;
}

/// An owner whose own probe gave up on a hung switch ends the connection at once: every waiter
/// fails and every stream ends, though the switch never closes the socket.
#[tokio::test(start_paused = true)]
async fn abort_ends_a_connection_to_a_hung_sim() {
    let sim = faulty(Faults::default()).await;
    let client = connect(&sim).await;
    let mut events = client.channel_events("nobody");
    sim.hang();
    let c = client.clone();
    let waiting = tokio::spawn(async move { c.api("status", "").await });
    tokio::task::yield_now().await;
    client.abort();
    assert_eq!(closed(&client).await, Disconnect::Unresponsive);
    assert!(waiting.await.unwrap().unwrap_err().is_disconnect());
    assert!(events.recv().await.is_none(), "the channel's stream ended");
    sim.resume();
    sim.shutdown().await;
}

#[tokio::test]
async fn a_sim_that_stops_reading_leaves_commands_unanswered() {
    // Requests 1 and 2 are auth and `event plain ALL`; 3 is the originate; 4 is never read.
    let sim = faulty(Faults {
        stop_reading_after_requests: Some(3),
        ..Faults::default()
    })
    .await;
    let client = connect_with(&sim, options()).await;
    let mut all = client.subscribe_all();
    start_call(&client, "r1").await;
    let c = client.clone();
    let unread = tokio::spawn(async move { c.api("uuid_kill", "r1").await });
    // Events still flow (two heartbeats: 40 simulated seconds) while the request waits.
    named(&mut all, "HEARTBEAT").await;
    named(&mut all, "HEARTBEAT").await;
    assert!(
        !unread.is_finished(),
        "the sim read a request after it stopped reading"
    );
    assert_eq!(sim.stats().channels_now, 1, "uuid_kill was not run");
    unread.abort();
    sim.shutdown().await;
}

#[tokio::test]
async fn heartbeat_every_20_simulated_seconds_with_the_captured_headers() {
    let sim = support::sim(support::BASE_RULES, 1000.0).await;
    let opts = ClientOptions {
        events: vec!["HEARTBEAT".into()],
        ..options()
    };
    let client = connect_with(&sim, opts).await;
    let mut all = client.subscribe_all();
    let first = next(&mut all).await;
    let second = next(&mut all).await;
    assert_eq!(name(&first), "HEARTBEAT");
    assert_eq!(name(&second), "HEARTBEAT");
    assert!(sim_micros_between(&first, &second) >= 20_000_000);
    let ms = |e: &outcall::esl::Event| -> i64 { e.get("Uptime-msec").unwrap().parse().unwrap() };
    assert!(ms(&second) - ms(&first) >= 20_000);
    assert_eq!(first.get("Event-Info").as_deref(), Some("System Ready"));
    assert_eq!(
        first.get("Event-Calling-Function").as_deref(),
        Some("send_heartbeat")
    );
    let up = first.get("Up-Time").unwrap().into_owned();
    assert!(up.starts_with("0 years, 0 days, 0 hours, "), "{up}");
    assert!(up.ends_with(" microseconds"), "{up}");
    for n in ["Session-Count", "Max-Sessions", "Session-Since-Startup"] {
        let v = first.get(n).unwrap_or_else(|| panic!("{n}"));
        assert!(v.parse::<u64>().is_ok(), "{n}: {v}");
    }
    let Some(dir) = support::captures("heartbeat_headers") else {
        return;
    };
    let cap = support::parse_plain_event(&std::fs::read(dir.join("heartbeat_2015.body")).unwrap());
    // Session-Per-Sec-Last came after the 1.5 build of the capture.
    let got: Vec<String> = first
        .headers()
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| k != "Session-Per-Sec-Last")
        .collect();
    let want: Vec<&str> = cap.names();
    assert_eq!(got, want);
    sim.shutdown().await;
}
