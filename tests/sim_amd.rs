//! The simulator's answering-machine side through outcall's `esl` client: `wait_for_silence`
//! over a person's short hello and a machine's long greeting (the variables and the time
//! `switch_ivr_wait_for_silence` gives), mod_avmd's `avmd_start`/`avmd_stop` with the CUSTOM
//! `avmd::start`, `avmd::beep`, `avmd::stop` events and `avmd_detect`, and `sched_hangup`.

#[path = "sim_support/mod.rs"]
mod support;

use outcall::esl::Event;
use support::esl::{connect, park, sim_micros_between, until, var};
use support::sim;

const EXTRA_RULES: &str = r#"
[[rule]]
prefix = "301"
outcome = [{ result = "human", ring = 1.0, hangup_after = 60 }]
[[rule]]
prefix = "302"
outcome = [{ result = "machine", ring = 1.0, hangup_after = 60 }]
[[rule]]
prefix = "303"
outcome = [{ result = "answer", ring = 1.0 }]
"#;

fn is_custom(ev: &Event, subclass: &str) -> bool {
    ev.event_name().as_deref() == Some("CUSTOM")
        && ev.get("Event-Subclass").as_deref() == Some(subclass)
}

fn is_exec(ev: &Event, app: &str) -> bool {
    ev.event_name().as_deref() == Some("CHANNEL_EXECUTE")
        && ev.application().as_deref() == Some(app)
}

#[tokio::test]
async fn wait_for_silence_hears_a_hello_and_a_long_greeting() {
    let sim = sim(&support::rules(EXTRA_RULES), 20.0).await;
    let client = connect(&sim).await;
    let mut human = park(&client, "h1", "3010001").await;
    let done = client
        .execute("h1", "wait_for_silence", "256 40 5 5300")
        .await
        .unwrap();
    assert_eq!(
        var(&done, "wait_for_silence_timeout").as_deref(),
        Some("false")
    );
    assert_eq!(var(&done, "wait_for_silence_listenhits"), None);
    let evs = until(&mut human, |e| is_exec(e, "wait_for_silence")).await;
    let took = sim_micros_between(evs.last().unwrap(), &done);
    // 0.4 s quiet, 0.8 s hello, 40 quiet frames and 25 more: 2.5 s after the answer.
    assert!((2_000_000..=2_900_000).contains(&took), "{took} µs");

    let mut machine = park(&client, "m1", "3020001").await;
    let done = client
        .execute("m1", "wait_for_silence", "256 40 5 5300")
        .await
        .unwrap();
    assert_eq!(
        var(&done, "wait_for_silence_timeout").as_deref(),
        Some("true")
    );
    let heard: u32 = var(&done, "wait_for_silence_listenhits")
        .unwrap()
        .parse()
        .unwrap();
    // More voice than a 1.5 s greeting (the execute lands a little after the answer).
    assert!((200..=265).contains(&heard), "{heard} voice frames");
    assert_eq!(
        var(&done, "wait_for_silence_silence_hits").as_deref(),
        Some("40")
    );
    let evs = until(&mut machine, |e| is_exec(e, "wait_for_silence")).await;
    let took = sim_micros_between(evs.last().unwrap(), &done);
    // The timeout, frame by frame (plus the scheduling of a loaded test machine).
    assert!((5_300_000..=5_700_000).contains(&took), "{took} µs");

    // Without the three numbers the application does nothing (FreeSWITCH logs its usage).
    let t = std::time::Instant::now();
    let done = client
        .execute("h1", "wait_for_silence", "256 0 5 5300")
        .await
        .unwrap();
    assert!(t.elapsed() < std::time::Duration::from_millis(200));
    assert_eq!(
        var(&done, "wait_for_silence_timeout").as_deref(),
        Some("false"),
        "unchanged"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn avmd_reports_a_machines_beep_and_nothing_on_a_person() {
    let sim = sim(&support::rules(EXTRA_RULES), 20.0).await;
    let client = connect(&sim).await;
    let mut all = client.subscribe_all();
    park(&client, "m2", "3020002").await;
    client.execute("m2", "avmd_start", "").await.unwrap();
    client.execute("m2", "sleep", "8000").await.unwrap();
    let evs = until(&mut all, |e| is_custom(e, "avmd::beep")).await;
    let start = evs
        .iter()
        .find(|e| is_custom(e, "avmd::start"))
        .expect("avmd::start");
    assert_eq!(start.get("Unique-ID").as_deref(), Some("m2"));
    assert_eq!(start.get("Call-command").as_deref(), Some("avmd"));
    assert!(start.get("Start-time").is_some());
    let beep = evs.last().unwrap();
    assert_eq!(beep.get("Unique-ID").as_deref(), Some("m2"));
    assert_eq!(beep.get("Beep-Status").as_deref(), Some("DETECTED"));
    assert_eq!(beep.get("Frequency").as_deref(), Some("1000.000000"));
    for h in [
        "Frequency-variance",
        "Amplitude",
        "Detection-time",
        "Detector-index",
    ] {
        assert!(beep.get(h).is_some(), "{h}");
    }
    // 0.4 s quiet, 6 s greeting, the beep 0.5 s later, heard 0.1 s into it.
    let after = sim_micros_between(start, beep);
    assert!((6_600_000..=7_400_000).contains(&after), "{after} µs");
    let detect = client.api("uuid_getvar", "m2 avmd_detect").await.unwrap();
    assert_eq!(detect.trim(), "TRUE");
    client.execute("m2", "avmd_stop", "").await.unwrap();
    let stop = until(&mut all, |e| is_custom(e, "avmd::stop")).await;
    assert_eq!(
        stop.last().unwrap().get("Beep-Status").as_deref(),
        Some("DETECTED")
    );

    park(&client, "h2", "3010002").await;
    client.execute("h2", "avmd_start", "").await.unwrap();
    client.execute("h2", "sleep", "10000").await.unwrap();
    client.execute("h2", "avmd_stop", "").await.unwrap();
    let evs = until(&mut all, |e| is_custom(e, "avmd::stop")).await;
    assert!(
        !evs.iter().any(|e| is_custom(e, "avmd::beep")),
        "a person has no beep"
    );
    assert_eq!(
        evs.last().unwrap().get("Beep-Status").as_deref(),
        Some("NOTDETECTED")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sched_hangup_ends_the_call_with_its_cause() {
    let sim = sim(&support::rules(EXTRA_RULES), 20.0).await;
    let client = connect(&sim).await;
    let mut ch = park(&client, "s1", "3030001").await;
    let done = client
        .execute("s1", "sched_hangup", "+30 ALLOTTED_TIMEOUT")
        .await
        .unwrap();
    let evs = until(&mut ch, |e| {
        e.event_name().as_deref() == Some("CHANNEL_HANGUP_COMPLETE")
    })
    .await;
    let end = evs.last().unwrap();
    assert_eq!(end.get("Hangup-Cause").as_deref(), Some("ALLOTTED_TIMEOUT"));
    let after = sim_micros_between(&done, end);
    assert!((30_000_000..=31_000_000).contains(&after), "{after} µs");
    sim.shutdown().await;
}
