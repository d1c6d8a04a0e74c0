//! Executes that reach an originated channel before its `&park()` target starts (the
//! originate still holds it in CS_CONSUME_MEDIA) run at once without media, as on FreeSWITCH
//! 1.11: speak ends in no time, say opens no file, play_and_get_digits collects nothing; after
//! CHANNEL_PARK the same applications run with media. Durations are simulated (event
//! timestamps); `park_delay` keeps the window open long enough to hit from CHANNEL_ANSWER.

#[path = "sim_support/mod.rs"]
mod support;

use std::sync::Arc;

use outcall::esl::client::Error;
use outcall::esl::Event;
use support::esl::{
    connect, get, name, named, originate_start, seq, sim_micros_between, until, var,
};
use support::sim;

/// At this scale a simulated second lasts 50 ms; the window after answer is 20 simulated s.
const SCALE: f64 = 20.0;

const RULES: &str = r#"
[[rule]]
prefix = "300"
outcome = [{ result = "answer", ring = 1.0, park_delay = 20.0 }]

[[rule]]
prefix = "301"
outcome = [{ result = "answer", ring = 1.0, park_delay = 20.0, dtmf = "1", dtmf_on = "prompt", dtmf_after = 0.5 }]

[[rule]]
prefix = "302"
outcome = [{ result = "answer", ring = 10.0 }]
"#;

/// 141 characters spoken: over 10 simulated seconds at the default 14 characters per second.
const TEXT: &str = "flite|kal|This sentence is here to last long enough that a speak with a media path takes ten simulated seconds from its start to its end, no less, yes.";

fn rules() -> String {
    support::rules(RULES)
}

fn is(ev: &Event, event: &str, app: &str) -> bool {
    name(ev) == event && ev.application().as_deref() == Some(app)
}

fn response(ev: &Event) -> String {
    ev.application_response()
        .map(|r| r.into_owned())
        .unwrap_or_default()
}

/// The CHANNEL_EXECUTE matching a CHANNEL_EXECUTE_COMPLETE, from a list of events.
fn started<'a>(evs: &'a [Arc<Event>], done: &Event) -> &'a Arc<Event> {
    evs.iter()
        .find(|e| name(e) == "CHANNEL_EXECUTE" && e.application_uuid() == done.application_uuid())
        .expect("the CHANNEL_EXECUTE of the completed application")
}

#[tokio::test]
async fn speak_on_answer_has_no_media_and_after_park_lasts_its_length() {
    let sim = sim(&rules(), SCALE).await;
    let client = connect(&sim).await;
    let (mut ch, job) = originate_start(&client, "mg-speak", "3001").await;
    named(&mut ch, "CHANNEL_ANSWER").await;
    let early = client.execute("mg-speak", "speak", TEXT).await.unwrap();
    assert_eq!(response(&early), "_none_");
    assert_eq!(
        get(&early, "Channel-State").as_deref(),
        Some("CS_CONSUME_MEDIA")
    );
    let evs = until(&mut ch, |e| name(e) == "CHANNEL_PARK").await;
    let began = started(&evs, &early);
    // No media path: done at once, far below the 10 simulated seconds of the text.
    assert!(sim_micros_between(began, &early) < 2_000_000);
    // Then the originate moves on as section 12 says: CS_EXECUTE, park, after the job.
    let job = job.wait().await.unwrap();
    assert_eq!(job.body, "+OK mg-speak\n");
    assert!(seq(&early) < seq(&job.event));
    let tail: Vec<String> = evs
        .iter()
        .skip_while(|e| seq(e) <= seq(&early))
        .map(|e| name(e))
        .collect();
    assert_eq!(tail, ["CHANNEL_STATE", "CHANNEL_EXECUTE", "CHANNEL_PARK"]);
    assert!(seq(&job.event) < seq(&evs[evs.len() - 3]));
    let parked = client.execute("mg-speak", "speak", TEXT).await.unwrap();
    let evs = until(&mut ch, |e| is(e, "CHANNEL_EXECUTE_COMPLETE", "speak")).await;
    assert!(sim_micros_between(started(&evs, &parked), &parked) >= 10_000_000);
    assert_eq!(get(&parked, "Channel-State").as_deref(), Some("CS_EXECUTE"));
    sim.shutdown().await;
}

#[tokio::test]
async fn say_without_prompts_early_fires_no_filestring_fail_after_park_it_does() {
    let sim = sim(&rules(), SCALE).await;
    let client = connect(&sim).await;
    let mut all = client.subscribe_all();
    let (mut ch, _job) = originate_start(&client, "mg-say", "3002").await;
    named(&mut ch, "CHANNEL_ANSWER").await;
    let say = "ru CURRENCY pronounced 68.27";
    let early = client.execute("mg-say", "say", say).await.unwrap();
    assert_eq!(response(&early), "_none_");
    named(&mut ch, "CHANNEL_PARK").await;
    let parked = client.execute("mg-say", "say", say).await.unwrap();
    assert_eq!(response(&parked), "_none_");
    let evs = until(&mut all, |e| {
        is(e, "CHANNEL_EXECUTE_COMPLETE", "say")
            && e.application_uuid() == parked.application_uuid()
    })
    .await;
    let fails: Vec<u64> = evs
        .iter()
        .filter(|e| e.subclass().as_deref() == Some("filestring::fail"))
        .map(|e| seq(e))
        .collect();
    let second = seq(started(&evs, &parked));
    assert!(
        !fails.is_empty(),
        "the parked say opens the missing Russian files"
    );
    assert!(
        fails.iter().all(|s| *s > second),
        "nothing before: {fails:?} vs {second}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn play_and_get_digits_early_gets_no_digits_though_the_callee_presses_them() {
    let sim = sim(&rules(), SCALE).await;
    let client = connect(&sim).await;
    let (mut ch, _job) = originate_start(&client, "mg-pagd", "3011").await;
    named(&mut ch, "CHANNEL_ANSWER").await;
    let args = "1 1 1 3000 # menu.wav invalid.wav choice \\d";
    let early = client
        .execute("mg-pagd", "play_and_get_digits", args)
        .await
        .unwrap();
    assert_eq!(response(&early), "_none_");
    assert_eq!(var(&early, "choice"), None);
    // switch_play_and_get_digits never reads: read_result is not set either.
    assert_eq!(var(&early, "read_result"), None);
    named(&mut ch, "CHANNEL_PARK").await;
    let parked = client
        .execute("mg-pagd", "play_and_get_digits", args)
        .await
        .unwrap();
    assert_eq!(var(&parked, "choice").as_deref(), Some("1"));
    assert_eq!(var(&parked, "read_result").as_deref(), Some("success"));
    sim.shutdown().await;
}

#[tokio::test]
async fn other_applications_before_park() {
    let sim = sim(&rules(), SCALE).await;
    let client = connect(&sim).await;
    let (mut ch, _job) = originate_start(&client, "mg-apps", "3003").await;
    named(&mut ch, "CHANNEL_ANSWER").await;
    let played = client
        .execute("mg-apps", "playback", "/tmp/none.wav")
        .await
        .unwrap();
    assert_eq!(response(&played), "PLAYBACK ERROR");
    let slept = client.execute("mg-apps", "sleep", "5000").await.unwrap();
    let set = client.execute("mg-apps", "set", "early=yes").await.unwrap();
    assert_eq!(var(&set, "early").as_deref(), Some("yes"));
    let bridged = client
        .execute(
            "mg-apps",
            "bridge",
            "{origination_uuid=mg-b}sofia/gateway/demo/operator",
        )
        .await
        .unwrap();
    assert_eq!(var(&bridged, "DIALSTATUS").as_deref(), Some("CANCEL"));
    assert_eq!(
        var(&bridged, "originate_disposition").as_deref(),
        Some("ORIGINATOR_CANCEL")
    );
    let evs = until(&mut ch, |e| name(e) == "CHANNEL_PARK").await;
    assert!(!evs.iter().any(|e| name(e) == "PLAYBACK_START"));
    assert!(sim_micros_between(started(&evs, &slept), &slept) < 2_000_000);
    assert_eq!(client.api("uuid_exists", "mg-b").await.unwrap(), "false");
    sim.shutdown().await;
}

#[tokio::test]
async fn while_ringing_a_media_application_is_refused_and_set_runs() {
    let sim = sim(&rules(), SCALE).await;
    let client = connect(&sim).await;
    let (mut ch, _job) = originate_start(&client, "mg-ring", "3021").await;
    named(&mut ch, "CHANNEL_PROGRESS").await;
    let set = client.execute("mg-ring", "set", "ringing=1").await.unwrap();
    assert_eq!(get(&set, "Answer-State").as_deref(), Some("ringing"));
    let refused = tokio::spawn({
        let client = client.clone();
        async move { client.execute("mg-ring", "playback", "/tmp/x.wav").await }
    });
    let evs = until(&mut ch, |e| name(e) == "CHANNEL_PARK").await;
    assert!(!evs
        .iter()
        .any(|e| e.application().as_deref() == Some("playback")));
    client.hangup("mg-ring", "NORMAL_CLEARING").await.unwrap();
    let err = refused.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::HungUp(u) if u == "mg-ring"),
        "{err:?}"
    );
    sim.shutdown().await;
}
