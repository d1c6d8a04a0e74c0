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

use std::path::Path;
use std::time::Duration;

use outcall::sim::{InboundCall, SimHandle};
use support::{split_frames, Client, Frame};
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
outcome = [{ result = "answer", ring = 1.0, dtmf = "#7", dtmf_after = 1.0 }]

[[rule]]
prefix = "55"
outcome = [{ result = "fail", cause = "RECOVERY_ON_TIMER_EXPIRE", ring = 0.5 }]
"##;

/// A frame reduced to what is compared.
#[derive(Debug, Clone, PartialEq)]
struct Tok {
    kind: String,
    names: Vec<String>,
    has_vars: bool,
}

fn tokens(frames: &[Frame], a_uuid: &str, newer_headers: bool) -> Vec<Tok> {
    frames
        .iter()
        .map(|f| {
            if let Some(ev) = f.event() {
                let leg = match ev.get("Unique-ID") {
                    None => "-",
                    Some(u) if u == a_uuid => "A",
                    Some(_) => "B",
                };
                let names: Vec<String> = ev
                    .names()
                    .into_iter()
                    .filter(|n| !n.starts_with("variable_"))
                    .filter(|n| !newer_headers || !is_newer(n))
                    .map(str::to_string)
                    .collect();
                let has_vars = ev.names().iter().any(|n| n.starts_with("variable_"));
                let app = ev
                    .get("Application")
                    .map(|a| format!(" {a}"))
                    .unwrap_or_default();
                Tok {
                    kind: format!("EVENT {} {leg}{app}", ev.name()),
                    names,
                    has_vars,
                }
            } else if f.get("Event-Name") == Some("CHANNEL_DATA") {
                Tok {
                    kind: "CONNECT".into(),
                    names: f
                        .headers
                        .iter()
                        .map(|(k, _)| k.clone())
                        .filter(|n| !n.starts_with("variable_"))
                        .filter(|n| !newer_headers || !is_newer(n))
                        .collect(),
                    has_vars: true,
                }
            } else {
                let kind = match f.content_type() {
                    "command/reply" => format!("REPLY {}", f.get("Reply-Text").unwrap_or("")),
                    "api/response" => format!("API {}", f.body_text().trim_end()),
                    "text/disconnect-notice" => {
                        format!("NOTICE {}", f.get("Content-Disposition").unwrap_or("none"))
                    }
                    other => format!("FRAME {other}"),
                };
                Tok {
                    kind,
                    names: f.headers.iter().map(|(k, _)| k.clone()).collect(),
                    has_vars: false,
                }
            }
        })
        .collect()
}

fn is_newer(name: &str) -> bool {
    name.ends_with("-Logical-Direction")
        || name.ends_with("-Orig-Caller-ID-Name")
        || name == "DTMF-Source"
}

fn load(dir: &Path, file: &str) -> Vec<Frame> {
    split_frames(&std::fs::read(dir.join(file)).expect("capture readable"))
}

/// The uuid of the controlled channel of an outbound capture (its connect reply).
fn capture_a_uuid(frames: &[Frame]) -> String {
    frames[0].get("Unique-ID").unwrap_or("").to_string()
}

/// Compares token lists; the linger notice only by presence.
fn compare(scenario: &str, want: Vec<Tok>, got: Vec<Tok>) {
    let linger = |t: &Tok| t.kind == "NOTICE linger";
    assert_eq!(
        want.iter().any(linger),
        got.iter().any(linger),
        "{scenario}: linger notice presence"
    );
    let want: Vec<Tok> = want.into_iter().filter(|t| !linger(t)).collect();
    let got: Vec<Tok> = got.into_iter().filter(|t| !linger(t)).collect();
    let wk: Vec<&str> = want.iter().map(|t| t.kind.as_str()).collect();
    let gk: Vec<&str> = got.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(gk, wk, "{scenario}: frame sequence differs");
    for (w, g) in want.iter().zip(&got) {
        if g.names != w.names {
            let first = w.names.iter().zip(&g.names).position(|(a, b)| a != b);
            let missing: Vec<&String> = w.names.iter().filter(|n| !g.names.contains(n)).collect();
            let extra: Vec<&String> = g.names.iter().filter(|n| !w.names.contains(n)).collect();
            panic!(
                "{scenario}: header names of {} differ: first difference at {first:?}, missing {missing:?}, extra {extra:?}",
                w.kind
            );
        }
        assert_eq!(
            g.has_vars, w.has_vars,
            "{scenario}: variables on {}",
            w.kind
        );
    }
}

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
