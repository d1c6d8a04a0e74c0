//! Conformance of inbound sessions: drive the simulator with the commands of the inbound
//! recordings in ../shared/esl-captures (auth, event, bgapi originate failing; the read
//! application's EXECUTE_COMPLETE on a bridged leg; exit and its disconnect notice) and compare
//! frame types, reply texts, event names and header names (values differ), normalised as in
//! tests/sim_conformance.rs.

#[path = "sim_support/mod.rs"]
mod support;

use support::conformance::{compare, load, tokens};
use support::{sim, Client};

const RULES: &str = r##"
[[rule]]
exact = "1000"
outcome = [{ result = "fail", cause = "RECOVERY_ON_TIMER_EXPIRE", ring = 0.5 }]

[[rule]]
exact = "1003"
outcome = [{ result = "answer", ring = 1.0, dtmf = "1234", dtmf_on = "prompt", dtmf_after = 0.5 }]

[[rule]]
prefix = "100"
outcome = [{ result = "answer", ring = 1.0 }]
"##;

#[tokio::test]
async fn inbound_auth_event_bgapi_originate_fail() {
    let Some(dir) = support::captures("inbound_auth_event_bgapi_originate_fail") else {
        return;
    };
    let cap = load(&dir, "inbound_session_auth_bgapi_originate_fail.stream");
    let job = cap[3]
        .get("Job-UUID")
        .expect("the capture's Job-UUID")
        .to_string();
    let ev = cap[4].event().expect("BACKGROUND_JOB");
    let arg = ev
        .get("Job-Command-Arg")
        .expect("Job-Command-Arg")
        .to_string();
    let sim = sim(RULES, 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain BACKGROUND_JOB").await;
    c.command(&format!("bgapi originate {arg}\nJob-UUID: {job}\n\n"))
        .await;
    let done = c.event_named("BACKGROUND_JOB", "").await;
    assert_eq!(done.body, ev.body, "the job's result");
    assert_eq!(done.get("Job-Command-Arg"), Some(arg.as_str()));
    compare(
        "inbound bgapi",
        tokens(&cap, "", false),
        tokens(&c.frames_seen, "", false),
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn read_execute_complete_on_a_bridged_leg() {
    let Some(dir) = support::captures("read_execute_complete_on_a_bridged_leg") else {
        return;
    };
    let cap = load(&dir, "channel_execute_complete_read.plain");
    let cap_uuid = cap[0].event().unwrap().uuid().to_string();
    let arg = cap[0]
        .event()
        .unwrap()
        .get("Application-Data")
        .unwrap()
        .to_string();
    let sim = sim(RULES, 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("event plain ALL").await;
    // As recorded: an inbound call from 1001 (its socket app connected to us) bridged to
    // user/1003; the read runs on the B leg.
    let session = support::esl::inbound_session(&sim, "1001").await;
    let a = session.uuid().to_string();
    let bridge = "{origination_uuid=rb}user/1003";
    c.execute(&a, "bridge", bridge, "ev-bridge").await;
    c.event_named("CHANNEL_BRIDGE", &a).await;
    let done = c.run_app("rb", "read", &arg).await;
    assert_eq!(done.var("read_result"), Some("success"));
    assert_eq!(done.var("read_digits_result"), Some("1234"));
    let uuid = done.get("Application-UUID").unwrap().to_string();
    let frame = c
        .frames_seen
        .iter()
        .rev()
        .find(|f| {
            f.event()
                .is_some_and(|e| e.get("Application-UUID") == Some(&uuid))
        })
        .cloned()
        .expect("the EXECUTE_COMPLETE frame");
    compare(
        "read",
        tokens(&cap, &cap_uuid, false),
        tokens(&[frame], "rb", true),
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn exit_reply_and_disconnect_notice() {
    let Some(dir) = support::captures("exit_reply_and_disconnect_notice") else {
        return;
    };
    let bye = load(&dir, "exit_bye.reply");
    let notice = load(&dir, "disconnect_notice_disconnect_2017.txt");
    let sim = sim(RULES, 100.0).await;
    let mut c = Client::authed(sim.addr()).await;
    c.command("exit").await;
    let got = c.frame().await.expect("the disconnect notice");
    assert!(c.frame().await.is_none(), "closed after the notice");
    let n = c.frames_seen.len();
    compare(
        "exit",
        tokens(&bye, "", false),
        tokens(&c.frames_seen[n - 2..n - 1], "", false),
    );
    // An inbound session has no controlled channel: the outbound-only headers are absent.
    let outbound_only = ["Controlled-Session-UUID", "Content-Disposition"];
    let want: Vec<&str> = notice[0]
        .headers
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !outbound_only.contains(k))
        .collect();
    let names: Vec<&str> = got.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, want);
    assert_eq!(got.content_type(), "text/disconnect-notice");
    assert_eq!(got.body, notice[0].body);
    sim.shutdown().await;
}
