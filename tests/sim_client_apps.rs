//! outcall's own `esl` client against the simulator: every application through
//! `Client::execute` (sendmsg execute), with the Application-Response values, result
//! variables, event order and hangup causes that PROTOCOL.md section 12 records.

#[path = "sim_support/mod.rs"]
mod support;

use std::sync::Arc;

use outcall::esl::client::Error;
use outcall::esl::Event;
use support::esl::{
    connect, get, inbound_session, name, named, names, park, sim_micros_between, until, var,
};
use support::sim;

const EXTRA_RULES: &str = r#"

[[rule]]
prefix = "201"
outcome = [{ result = "answer", ring = 1.0, dtmf = "1", dtmf_on = "prompt", dtmf_after = 0.5 }]

[[rule]]
prefix = "205"
outcome = [{ result = "answer", ring = 1.0, dtmf = "5", dtmf_on = "prompt", dtmf_after = 0.5 }]

[[rule]]
prefix = "212"
outcome = [{ result = "answer", ring = 1.0, dtmf = "12#", dtmf_on = "prompt", dtmf_after = 0.5 }]
"#;

fn rules() -> String {
    support::rules(EXTRA_RULES)
}

fn response(ev: &Event) -> String {
    ev.application_response()
        .map(|r| r.into_owned())
        .unwrap_or_default()
}

fn is(ev: &Event, event: &str, app: &str) -> bool {
    ev.event_name().as_deref() == Some(event) && ev.application().as_deref() == Some(app)
}

/// A mono 16-bit 8 kHz WAV file of `secs` seconds in the temp dir.
fn wav(secs: u32) -> std::path::PathBuf {
    let data = 16_000 * secs;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&[1, 0, 1, 0]);
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&[2, 0, 16, 0]);
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    b.resize(b.len() + data as usize, 0);
    let path = std::env::temp_dir().join(format!("sim-client-{}.wav", support::rand_suffix()));
    std::fs::write(&path, b).expect("temp wav");
    path
}

#[tokio::test]
async fn answer_on_an_unanswered_inbound_call() {
    let sim = sim(&rules(), 100.0).await;
    let session = inbound_session(&sim, "1001").await;
    let uuid = session.uuid().to_string();
    let client = connect(&sim).await;
    let mut ch = client.channel_events(&uuid);
    let done = client.execute(&uuid, "answer", "").await.unwrap();
    assert_eq!(response(&done), "_none_");
    assert_eq!(get(&done, "Answer-State").as_deref(), Some("answered"));
    let evs = until(&mut ch, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "answer")).await;
    let n = names(&evs);
    let answer = n
        .iter()
        .position(|e| e == "CHANNEL_ANSWER")
        .expect("answered");
    let exec = n
        .iter()
        .position(|e| e == "CHANNEL_EXECUTE")
        .expect("executed");
    assert!(exec < answer, "{n:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn playback_lasts_as_long_as_the_wav_header_says() {
    let sim = sim(&rules(), 100.0).await;
    let client = connect(&sim).await;
    let mut ch = park(&client, "pb", "1001").await;
    let file = wav(5);
    let path = file.to_string_lossy().into_owned();
    let done = client.execute("pb", "playback", &path).await.unwrap();
    std::fs::remove_file(&file).ok();
    assert_eq!(response(&done), "FILE PLAYED");
    assert_eq!(var(&done, "playback_seconds").as_deref(), Some("5"));
    let evs = until(&mut ch, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "playback")).await;
    let start = evs.iter().find(|e| is(e, "CHANNEL_EXECUTE", "playback"));
    let start = start.expect("CHANNEL_EXECUTE of the playback");
    // Simulated time: the WAV holds 5 s (the default for an unreadable file is 3 s).
    assert!(sim_micros_between(start, &done) >= 5_000_000);
    let n = names(&evs);
    let tail: Vec<&str> = n[n.len() - 3..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "PLAYBACK_START",
            "PLAYBACK_STOP",
            "CHANNEL_EXECUTE_COMPLETE"
        ]
    );
    let stop = &evs[evs.len() - 2];
    assert_eq!(get(stop, "Playback-File-Path"), Some(path));
    sim.shutdown().await;
}

#[tokio::test]
async fn speak_and_say_with_and_without_prompts() {
    let sim = sim(&rules(), 100.0).await;
    let client = connect(&sim).await;
    park(&client, "sp", "1002").await;
    let mut all = client.subscribe_all();
    let spoke = client
        .execute("sp", "speak", "flite|kal|Hello there")
        .await
        .unwrap();
    assert_eq!(response(&spoke), "_none_");
    assert_eq!(
        spoke.application_data().as_deref(),
        Some("flite|kal|Hello there")
    );
    let said = client
        .execute("sp", "say", "en NUMBER pronounced 42")
        .await
        .unwrap();
    assert_eq!(response(&said), "_none_");
    let evs = until(&mut all, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "say")).await;
    assert!(
        !names(&evs).contains(&"CUSTOM".to_string()),
        "English prompts exist"
    );
    // No Russian prompts: completes at once with _none_, CUSTOM filestring::fail events.
    let said = client
        .execute("sp", "say", "ru CURRENCY pronounced 68.27")
        .await
        .unwrap();
    assert_eq!(response(&said), "_none_");
    let evs = until(&mut all, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "say")).await;
    let fails: Vec<&Arc<Event>> = evs.iter().filter(|e| name(e) == "CUSTOM").collect();
    assert!(!fails.is_empty(), "{:?}", names(&evs));
    for f in fails {
        assert_eq!(f.subclass().as_deref(), Some("filestring::fail"));
        assert!(f.unique_id().is_none(), "filestring::fail has no Unique-ID");
        let file = get(f, "File").expect("File header");
        assert!(file.contains("/ru/"), "{file}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn play_and_get_digits_success_and_invalid_entry() {
    let sim = sim(&rules(), 100.0).await;
    let client = connect(&sim).await;
    let mut ch = park(&client, "pg1", "2011").await;
    let args = "1 1 3 5000 # menu.wav invalid.wav choice \\d 3000";
    let done = client
        .execute("pg1", "play_and_get_digits", args)
        .await
        .unwrap();
    assert_eq!(response(&done), "_none_");
    assert_eq!(var(&done, "choice").as_deref(), Some("1"));
    assert_eq!(var(&done, "read_result").as_deref(), Some("success"));
    let dtmf = named(&mut ch, "DTMF").await;
    assert_eq!(dtmf.dtmf_digit().as_deref(), Some("1"));
    assert_eq!(get(&dtmf, "DTMF-Source").as_deref(), Some("RTP"));
    park(&client, "pg2", "2051").await;
    let args = "1 1 2 500 # menu.wav invalid.wav choice [1-3]";
    let done = client
        .execute("pg2", "play_and_get_digits", args)
        .await
        .unwrap();
    assert_eq!(response(&done), "_none_");
    assert_eq!(var(&done, "read_result").as_deref(), Some("failure"));
    assert_eq!(var(&done, "choice"), None);
    assert_eq!(var(&done, "choice_invalid").as_deref(), Some("5"));
    sim.shutdown().await;
}

#[tokio::test]
async fn read_gets_dtmf_events_on_the_reading_leg() {
    let sim = sim(&rules(), 100.0).await;
    let client = connect(&sim).await;
    let mut ch = park(&client, "rd", "2121").await;
    let args = "1 4 silence_stream://1000 digits 5000 #";
    let done = client.execute("rd", "read", args).await.unwrap();
    assert_eq!(response(&done), "_none_");
    assert_eq!(var(&done, "digits").as_deref(), Some("12"));
    assert_eq!(var(&done, "read_result").as_deref(), Some("success"));
    let evs = until(&mut ch, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "read")).await;
    let digits: Vec<String> = evs
        .iter()
        .filter(|e| name(e) == "DTMF")
        .map(|e| e.dtmf_digit().unwrap_or_default().into_owned())
        .collect();
    assert_eq!(digits, ["1", "2", "#"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn bridge_from_a_parked_leg() {
    let sim = sim(&rules(), 100.0).await;
    let client = connect(&sim).await;
    let mut a = park(&client, "br", "1003").await;
    let mut b = client.channel_events("op1");
    let dial = "{origination_uuid=op1}sofia/gateway/demo/operator";
    let done = client.execute("br", "bridge", dial).await.unwrap();
    assert_eq!(response(&done), "_none_");
    assert_eq!(
        var(&done, "bridge_hangup_cause").as_deref(),
        Some("NORMAL_CLEARING")
    );
    assert_eq!(var(&done, "DIALSTATUS").as_deref(), Some("SUCCESS"));
    let bleg = until(&mut b, |e| name(e) == "CHANNEL_HANGUP").await;
    let n = names(&bleg);
    assert!(n.contains(&"CHANNEL_CREATE".into()) && n.contains(&"CHANNEL_ANSWER".into()));
    let aleg = until(&mut a, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "bridge")).await;
    let n = names(&aleg);
    let bridged = n
        .iter()
        .position(|e| e == "CHANNEL_BRIDGE")
        .expect("bridge");
    let unbridged = n
        .iter()
        .position(|e| e == "CHANNEL_UNBRIDGE")
        .expect("unbridge");
    assert!(bridged < unbridged && unbridged == n.len() - 2, "{n:?}");
    assert_eq!(client.api("uuid_exists", "br").await.unwrap(), "true");
    let failed = client
        .execute("br", "bridge", "sofia/gateway/demo/opbusy")
        .await
        .unwrap();
    assert_eq!(
        var(&failed, "originate_disposition").as_deref(),
        Some("CALL_REJECTED")
    );
    assert_eq!(var(&failed, "DIALSTATUS").as_deref(), Some("DONTCALL"));
    assert_eq!(client.api("uuid_exists", "br").await.unwrap(), "true");
    sim.shutdown().await;
}

#[tokio::test]
async fn record_set_sleep_hangup_then_invalid_session() {
    let sim = sim(&rules(), 100.0).await;
    let client = connect(&sim).await;
    let mut ch = park(&client, "rs", "1004").await;
    let rec = client
        .execute("rs", "record_session", "/tmp/rs.wav")
        .await
        .unwrap();
    assert_eq!(response(&rec), "_none_");
    let evs = until(&mut ch, |e| {
        is(e, "CHANNEL_EXECUTE_COMPLETE", "record_session")
    })
    .await;
    let start = evs
        .iter()
        .find(|e| name(e) == "RECORD_START")
        .expect("RECORD_START");
    assert_eq!(
        get(start, "Record-File-Path").as_deref(),
        Some("/tmp/rs.wav")
    );
    let set = client.execute("rs", "set", "foo=bar baz").await.unwrap();
    assert_eq!(response(&set), "_none_");
    assert_eq!(var(&set, "foo").as_deref(), Some("bar baz"));
    assert_eq!(
        client.api("uuid_getvar", "rs foo").await.unwrap(),
        "bar baz"
    );
    let slept = client.execute("rs", "sleep", "2000").await.unwrap();
    assert_eq!(response(&slept), "_none_");
    let evs = until(&mut ch, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "sleep")).await;
    let began = evs
        .iter()
        .find(|e| is(e, "CHANNEL_EXECUTE", "sleep"))
        .unwrap();
    assert!(sim_micros_between(began, &slept) >= 2_000_000);
    let hung = client.execute("rs", "hangup", "USER_BUSY").await.unwrap();
    assert_eq!(response(&hung), "_none_");
    let evs = until(&mut ch, |e| name(e) == "CHANNEL_DESTROY").await;
    let n = names(&evs);
    let hangup = evs.iter().find(|e| name(e) == "CHANNEL_HANGUP").unwrap();
    assert_eq!(hangup.hangup_cause().as_deref(), Some("USER_BUSY"));
    let stop = n
        .iter()
        .position(|e| e == "RECORD_STOP")
        .expect("RECORD_STOP");
    assert_eq!(n[stop + 1], "CHANNEL_HANGUP_COMPLETE", "{n:?}");
    let err = client.execute("rs", "playback", "x.wav").await.unwrap_err();
    assert!(
        matches!(&err, Error::Failed(t) if t == "-ERR invalid session id [rs]"),
        "{err:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_application_hangs_the_channel_up() {
    let sim = sim(&rules(), 100.0).await;
    let client = connect(&sim).await;
    let mut ch = park(&client, "un", "1005").await;
    let err = client.execute("un", "frobnicate", "x").await.unwrap_err();
    assert!(matches!(&err, Error::HungUp(u) if u == "un"), "{err:?}");
    let evs = until(&mut ch, |e| name(e) == "CHANNEL_HANGUP").await;
    let hangup = evs.last().unwrap();
    assert_eq!(
        hangup.hangup_cause().as_deref(),
        Some("DESTINATION_OUT_OF_ORDER")
    );
    assert!(!evs
        .iter()
        .any(|e| e.application().as_deref() == Some("frobnicate")));
    sim.shutdown().await;
}
