//! Conformance: drive the simulator with the commands of each scenario recorded from a real
//! FreeSWITCH in ../shared/esl-captures and compare, frame by frame, the frame types, reply
//! texts, event names and legs, and each event's header NAMES (values differ).
//!
//! Normalisation, applied to both sides and nothing else: `variable_*` headers are compared
//! only as "present or not" (their set depends on the dialplan and SIP peer of the recording);
//! for the 2015 recordings, headers that FreeSWITCH added in later versions and that the sim
//! (modelled on 1.10/1.11) writes are dropped from the sim's side: `*-Logical-Direction`,
//! `*-Orig-Caller-ID-Name`, `DTMF-Source`. The linger notice is compared as present, not by
//! position (FreeSWITCH sends it from the socket thread, so its place varies between the
//! recordings themselves).

#[path = "sim_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::sim::{InboundCall, SimHandle};
use support::conformance::{capture_a_uuid, compare, load, tokens};
use support::Client;
use tokio::net::TcpListener;

const RULES: &str = r##"
[[rule]]
exact = "1003"
outcome = [{ result = "answer", ring = 1.0 }]

[[rule]]
exact = "1004"
outcome = [{ result = "rejected", ring = 1.0 }]

[[rule]]
exact = "1005"
outcome = [{ result = "answer", ring = 60.0 }]

[[rule]]
exact = "1006"
outcome = [{ result = "answer", ring = 1.0, dtmf = "#7", dtmf_after = 30.0 }]

[[rule]]
prefix = "55"
outcome = [{ result = "fail", cause = "RECOVERY_ON_TIMER_EXPIRE", ring = 0.5 }]
"##;

async fn sim() -> SimHandle {
    support::sim(RULES, 100.0).await
}

/// Sets up an inbound call whose socket app connects to us; returns the session and A uuid.
async fn outbound_session(sim: &SimHandle) -> (Client, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let uuid = sim
        .inbound_call(InboundCall {
            caller: "1001".into(),
            destination: "3".into(),
            socket: format!("{addr} async full"),
            hangup_after: None,
            vars: vec![("hangup_after_bridge".into(), "true".into())],
        })
        .unwrap();
    let (stream, _) = tokio::time::timeout(Duration::from_secs(5), l.accept())
        .await
        .unwrap()
        .unwrap();
    (Client::from_stream(stream), uuid)
}

const SUBSCRIBE: &str = "event plain CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_BRIDGE CHANNEL_HANGUP CHANNEL_UNBRIDGE DTMF";

/// The common start of the recorded outbound sessions: connect, event, linger, answer,
/// playback, event again, spandsp_start_dtmf, one api, bridge.
async fn outbound_prologue(c: &mut Client, a: &str, b_dest: &str) {
    c.send("connect\n\n").await;
    c.frame().await.expect("connect reply");
    c.command(SUBSCRIBE).await;
    c.command("linger").await;
    c.run_app_outbound("answer", "").await;
    c.run_app_outbound("playback", "ivr/8000/ivr-call_being_transferred.wav")
        .await;
    c.command(SUBSCRIBE).await;
    c.run_app_outbound("spandsp_start_dtmf", "").await;
    c.api(&format!("uuid_setvar {a} sim_conformance 1")).await;
    let bridge = format!(
        "{{origination_uuid='b-{}',ignore_early_media='true',call_timeout='60',origination_caller_id_name='Extension 1001',origination_caller_id_number='1001'}}user/{b_dest}",
        support::rand_suffix()
    );
    c.send(&format!(
        "sendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {bridge}\n\n"
    ))
    .await;
}

trait Outbound {
    async fn run_app_outbound(&mut self, app: &str, arg: &str);
}

impl Outbound for Client {
    async fn run_app_outbound(&mut self, app: &str, arg: &str) {
        let ev = format!("ev-{}", support::rand_suffix());
        let r = self
            .command(&format!(
                "sendmsg\ncall-command: execute\nexecute-app-name: {app}\nexecute-app-arg: {arg}\nevent-uuid: {ev}\n\n"
            ))
            .await;
        assert_eq!(r.get("Reply-Text"), Some("+OK"));
        self.event_where(|e| e.get("Application-UUID") == Some(&ev))
            .await;
    }
}

/// Reads frames until `n` have been seen in total (or the stream ends).
async fn read_to(c: &mut Client, n: usize) {
    while c.frames_seen.len() < n {
        if c.frame_within(Duration::from_secs(3)).await.is_none() {
            break;
        }
    }
}

#[tokio::test]
async fn outbound_answered_bridged_linger() {
    let Some(dir) = support::captures("outbound_answered_bridged_linger") else {
        return;
    };
    let cap = load(&dir, "outbound_session_answered_bridged_linger.stream");
    let sim = sim().await;
    let (mut c, a) = outbound_session(&sim).await;
    outbound_prologue(&mut c, &a, "1003").await;
    c.event_where(|e| e.name() == "CHANNEL_BRIDGE").await;
    let mut ctl = Client::authed(sim.addr()).await;
    let r = c
        .command(&format!("api uuid_setvar {a} sim_conformance 2"))
        .await;
    assert_eq!(r.body_text(), "+OK\n");
    ctl.api(&format!("uuid_kill {a}")).await;
    c.event_where(|e| e.get("Application") == Some("socket"))
        .await;
    c.command("exit").await;
    read_to(&mut c, cap.len()).await;
    compare(
        "linger",
        tokens(&cap, &capture_a_uuid(&cap), false),
        tokens(&c.frames_seen, &a, true),
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn outbound_bridged_b_leg_hangs_up_first() {
    let Some(dir) = support::captures("outbound_bridged_b_leg_hangs_up_first") else {
        return;
    };
    let cap = load(
        &dir,
        "outbound_session_answered_bridged_bleg_hangs_up_first.stream",
    );
    let sim = sim().await;
    let (mut c, a) = outbound_session(&sim).await;
    outbound_prologue(&mut c, &a, "1003").await;
    let bridge = c.event_where(|e| e.name() == "CHANNEL_BRIDGE").await;
    let b = bridge.get("Bridge-B-Unique-ID").unwrap().to_string();
    c.api(&format!("uuid_kill {b}")).await;
    c.event_where(|e| e.get("Application") == Some("socket"))
        .await;
    c.command("exit").await;
    read_to(&mut c, cap.len()).await;
    c.frames_seen.truncate(cap.len());
    compare(
        "b-leg first",
        tokens(&cap, &capture_a_uuid(&cap), false),
        tokens(&c.frames_seen, &a, true),
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn outbound_bridge_call_rejected() {
    let Some(dir) = support::captures("outbound_bridge_call_rejected") else {
        return;
    };
    let cap = load(&dir, "outbound_session_bridge_bleg_call_rejected.stream");
    let sim = sim().await;
    let (mut c, a) = outbound_session(&sim).await;
    outbound_prologue(&mut c, &a, "1004").await;
    c.event_where(|e| e.get("Application") == Some("bridge"))
        .await;
    c.run_app_outbound("playback", "ivr/8000/ivr-call_rejected.wav")
        .await;
    c.api(&format!("uuid_kill {a} NORMAL_TEMPORARY_FAILURE"))
        .await;
    c.event_where(|e| e.get("Application") == Some("socket"))
        .await;
    c.command("exit").await;
    read_to(&mut c, cap.len()).await;
    c.frames_seen.truncate(cap.len());
    compare(
        "call rejected",
        tokens(&cap, &capture_a_uuid(&cap), false),
        tokens(&c.frames_seen, &a, true),
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn outbound_bridge_originator_cancel() {
    let Some(dir) = support::captures("outbound_bridge_originator_cancel") else {
        return;
    };
    let cap = load(
        &dir,
        "outbound_session_bridge_bleg_originator_cancel.stream",
    );
    let sim = sim().await;
    let (mut c, a) = outbound_session(&sim).await;
    outbound_prologue(&mut c, &a, "1005").await;
    c.event_where(|e| e.name() == "CHANNEL_PROGRESS").await;
    let mut ctl = Client::authed(sim.addr()).await;
    ctl.api(&format!("uuid_kill {a}")).await;
    c.event_where(|e| e.get("Application") == Some("socket"))
        .await;
    c.command("exit").await;
    read_to(&mut c, cap.len()).await;
    c.frames_seen.truncate(cap.len());
    compare(
        "originator cancel",
        tokens(&cap, &capture_a_uuid(&cap), false),
        tokens(&c.frames_seen, &a, true),
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn outbound_bridged_dtmf() {
    let Some(dir) = support::captures("outbound_bridged_dtmf") else {
        return;
    };
    // Up to the callee's first `#7` (the recording goes on with displace_session and att_xfer).
    let mut cap = load(&dir, "outbound_session_bridged_dtmf_displace.stream");
    cap.truncate(21);
    let sim = sim().await;
    let (mut c, a) = outbound_session(&sim).await;
    outbound_prologue(&mut c, &a, "1006").await;
    c.event_where(|e| e.name() == "CHANNEL_BRIDGE").await;
    c.api(&format!("uuid_setvar {a} sim_conformance 2")).await;
    c.event_where(|e| e.name() == "DTMF" && e.get("DTMF-Digit") == Some("7"))
        .await;
    c.frames_seen.truncate(cap.len());
    compare(
        "bridged dtmf",
        tokens(&cap, &capture_a_uuid(&cap), false),
        tokens(&c.frames_seen, &a, true),
    );
    sim.shutdown().await;
}
