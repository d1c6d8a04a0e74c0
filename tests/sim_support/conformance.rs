//! Conformance helpers: a frame reduced to what is compared with a capture (frame type, reply
//! text, event name, leg and application, header names), loading captures, and the comparison
//! with its normalisation (see tests/sim_conformance.rs for the rules).

use std::path::Path;

use super::{split_frames, Frame};

/// A frame reduced to what is compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    pub kind: String,
    pub names: Vec<String>,
    pub has_vars: bool,
}

pub fn tokens(frames: &[Frame], a_uuid: &str, newer_headers: bool) -> Vec<Tok> {
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

pub fn is_newer(name: &str) -> bool {
    name.ends_with("-Logical-Direction")
        || name.ends_with("-Orig-Caller-ID-Name")
        || name == "DTMF-Source"
}

pub fn load(dir: &Path, file: &str) -> Vec<Frame> {
    split_frames(&std::fs::read(dir.join(file)).expect("capture readable"))
}

/// The uuid of the controlled channel of an outbound capture (its connect reply).
pub fn capture_a_uuid(frames: &[Frame]) -> String {
    frames[0].get("Unique-ID").unwrap_or("").to_string()
}

/// Compares token lists; the linger notice only by presence.
pub fn compare(scenario: &str, want: Vec<Tok>, got: Vec<Tok>) {
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
