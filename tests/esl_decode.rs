//! `outcall esl decode`, run as a process: the JSON-lines contract, truncation and malformed
//! input (non-zero exit naming the byte offset, complete frames still printed).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[path = "esl_support/mod.rs"]
mod support;

fn decode(input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outcall"))
        .args(["esl", "decode"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn one_json_object_per_frame_with_the_contract_shape() {
    let out = decode(&support::fixture(
        "inbound_session_auth_bgapi_originate_fail.stream",
    ));
    assert!(out.status.success());
    let v = lines(&out);
    assert_eq!(v.len(), 5);
    for f in &v {
        assert_eq!(keys(f), ["content_type", "headers", "body", "event"]);
    }
    assert_eq!(v[0]["content_type"], "auth/request");
    assert_eq!(v[0]["body"], Value::Null);
    assert_eq!(v[0]["event"], Value::Null);
    assert_eq!(
        v[1]["headers"][1],
        serde_json::json!(["Reply-Text", "+OK accepted"])
    );
    let ev = &v[4]["event"];
    assert_eq!(keys(ev), ["headers", "body"]);
    assert_eq!(
        ev["headers"][0],
        serde_json::json!(["Event-Name", "BACKGROUND_JOB"])
    );
    assert_eq!(ev["body"], "-ERR RECOVERY_ON_TIMER_EXPIRE\n");
    let ipv6 = ev["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "FreeSWITCH-IPv6")
        .unwrap();
    assert_eq!(ipv6[1], "2001:0:5ef5:79fd:815:1a92:3f57:fff9");
    assert!(v[4]["body"]
        .as_str()
        .unwrap()
        .starts_with("Event-Name: BACKGROUND_JOB\n"));
}

#[test]
fn connect_reply_headers_are_percent_decoded() {
    let out = decode(&support::fixture(
        "outbound_session_answered_bridged_linger.stream",
    ));
    assert!(out.status.success());
    let v = lines(&out);
    assert_eq!(v.len(), 27);
    let reply = v[0]["headers"].as_array().unwrap();
    let text = reply.iter().find(|h| h[0] == "Reply-Text").unwrap();
    assert_eq!(text[1], "+OK\n");
    assert_eq!(v[0]["content_type"], "command/reply");
}

#[test]
fn truncated_last_frame_prints_the_rest_then_fails_naming_the_offset() {
    let bytes = support::fixture("inbound_session_auth_bgapi_originate_fail.stream");
    let cut = bytes.len() - 10;
    let out = decode(&bytes[..cut]);
    assert!(!out.status.success());
    assert_eq!(lines(&out).len(), 4);
    let err = String::from_utf8_lossy(&out.stderr);
    let start =
        bytes.len() - (759 + "Content-Length: 759\nContent-Type: text/event-plain\n\n".len());
    assert!(err.contains(&format!("byte {start}")), "{err}");
}

#[test]
fn intrusion_in_the_2012_capture_fails_naming_the_offset() {
    let Some(dir) = support::captures() else {
        return;
    };
    let out = decode(&support::read(&dir, "event_plain_all_session_2012.stream"));
    assert!(!out.status.success());
    assert_eq!(lines(&out).len(), 33);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("byte 91755") && err.contains("uuid_transfer"),
        "{err}"
    );
}

#[test]
fn json_event_body_key_becomes_body() {
    let frame = br#"{"Event-Name":"CUSTOM","Content-Length":"2","_body":"hi"}"#;
    let mut wire = format!(
        "Content-Length: {}\nContent-Type: text/event-json\n\n",
        frame.len()
    )
    .into_bytes();
    wire.extend_from_slice(frame);
    let out = decode(&wire);
    assert!(out.status.success());
    let v = lines(&out);
    assert_eq!(v[0]["event"]["body"], "hi");
    assert_eq!(
        v[0]["event"]["headers"],
        serde_json::json!([["Event-Name", "CUSTOM"], ["Content-Length", "2"]])
    );
}
