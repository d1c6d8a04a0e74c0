//! Test helpers for the simulator: a raw event-socket client with its own small frame parser
//! (independent of src/esl, so the sim is checked by a second reading of the protocol), and
//! capture loading; `esl` drives the sim through outcall's own client. Included by the sim_*
//! test files; on its own it holds no tests.
#![allow(dead_code)]

pub mod conformance;
pub mod esl;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One frame: outer headers (raw) and body.
#[derive(Clone, Debug)]
pub struct Frame {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Frame {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn content_type(&self) -> &str {
        self.get("Content-Type").unwrap_or("")
    }
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The event inside a `text/event-plain` frame.
    pub fn event(&self) -> Option<Ev> {
        (self.content_type() == "text/event-plain").then(|| parse_plain_event(&self.body))
    }
}

/// A decoded plain event.
#[derive(Clone, Debug)]
pub struct Ev {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Ev {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn name(&self) -> &str {
        self.get("Event-Name").unwrap_or("")
    }
    pub fn uuid(&self) -> &str {
        self.get("Unique-ID").unwrap_or("")
    }
    pub fn var(&self, v: &str) -> Option<&str> {
        self.get(&format!("variable_{v}"))
    }
    pub fn names(&self) -> Vec<&str> {
        self.headers.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// `%XX` decoding only (never `+`).
pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_header_lines(block: &str, decode: bool) -> Vec<(String, String)> {
    block
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap_or((l, ""));
            let v = v.trim_start_matches(' ');
            let v = if decode { pct_decode(v) } else { v.to_string() };
            (k.to_string(), v)
        })
        .collect()
}

/// Parses the inner text of a plain event.
pub fn parse_plain_event(body: &[u8]) -> Ev {
    let text = String::from_utf8_lossy(body);
    let (head, rest) = text.split_once("\n\n").unwrap_or((&text, ""));
    let headers = parse_header_lines(head, true);
    let body = match headers.iter().find(|(k, _)| k == "Content-Length") {
        Some((_, n)) => rest[..n.parse::<usize>().unwrap_or(0).min(rest.len())].to_string(),
        None => String::new(),
    };
    let headers = headers
        .into_iter()
        .filter(|(k, _)| k != "Content-Length")
        .collect();
    Ev { headers, body }
}

/// Splits a byte stream into frames (outer `Content-Length` bodies).
pub fn split_frames(data: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(f) = take_frame(&mut rest) {
        out.push(f);
    }
    out
}

fn take_frame(buf: &mut &[u8]) -> Option<Frame> {
    let end = buf.windows(2).position(|w| w == b"\n\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let headers = parse_header_lines(&head, false);
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "Content-Length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if buf.len() < end + 2 + len {
        return None;
    }
    let body = buf[end + 2..end + 2 + len].to_vec();
    *buf = &buf[end + 2 + len..];
    Some(Frame { headers, body })
}

/// A raw client.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pub events: VecDeque<Ev>,
    pub frames_seen: Vec<Frame>,
}

/// Rules shared by the sim tests: operators, answered, unanswered and unallocated numbers.
pub const BASE_RULES: &str = r#"
[media]
say_languages = ["en"]

[[rule]]
exact = "operator"
outcome = [{ result = "answer", ring = 1.0, hangup_after = 5.0 }]

[[rule]]
exact = "opbusy"
outcome = [{ result = "rejected", ring = 1.0 }]

[[rule]]
prefix = "100"
outcome = [{ result = "answer", ring = 1.0 }]

[[rule]]
prefix = "400"
outcome = [{ result = "no_answer" }]

[[rule]]
prefix = "500"
outcome = [{ result = "unallocated", ring = 0.5 }]
"#;

/// [`BASE_RULES`] followed by more rules.
pub fn rules(extra: &str) -> String {
    format!("{BASE_RULES}{extra}")
}

/// PROTOCOL.md section 12: the events of an answered `bgapi originate ... &park()`, in order.
pub const ANSWERED_ORDER: &[&str] = &[
    "CHANNEL_OUTGOING",
    "CHANNEL_STATE",
    "CHANNEL_CREATE",
    "CHANNEL_ORIGINATE",
    "CHANNEL_STATE",
    "CHANNEL_STATE",
    "CHANNEL_PROGRESS",
    "CHANNEL_CALLSTATE",
    "CODEC",
    "CODEC",
    "CHANNEL_ANSWER",
    "CHANNEL_CALLSTATE",
    "CALL_UPDATE",
    "BACKGROUND_JOB",
    "CHANNEL_STATE",
    "CHANNEL_EXECUTE",
    "CHANNEL_PARK",
];

pub const WAIT: Duration = Duration::from_secs(10);

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect to sim");
        Client::from_stream(stream)
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        Client {
            stream,
            buf: Vec::new(),
            events: VecDeque::new(),
            frames_seen: Vec::new(),
        }
    }

    /// Connects and authenticates with ClueCon.
    pub async fn authed(addr: SocketAddr) -> Client {
        let mut c = Client::connect(addr).await;
        let greet = c.frame().await.expect("greeting");
        assert_eq!(greet.content_type(), "auth/request");
        let r = c.command("auth ClueCon").await;
        assert_eq!(r.get("Reply-Text"), Some("+OK accepted"));
        c
    }

    pub async fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).await.expect("write");
    }

    /// Reads one frame (None at EOF or after the wait limit).
    pub async fn frame(&mut self) -> Option<Frame> {
        self.frame_within(WAIT).await
    }

    pub async fn frame_within(&mut self, limit: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let mut slice = &self.buf[..];
            if let Some(f) = take_frame(&mut slice) {
                let used = self.buf.len() - slice.len();
                self.buf.drain(..used);
                self.frames_seen.push(f.clone());
                return Some(f);
            }
            self.buf.reserve(65536);
            let n = tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
        }
    }

    /// Sends a command and returns its reply (command/reply or api/response), queueing events.
    pub async fn command(&mut self, cmd: &str) -> Frame {
        let text = if cmd.ends_with("\n\n") {
            cmd.to_string()
        } else {
            format!("{cmd}\n\n")
        };
        self.send(&text).await;
        self.reply().await
    }

    pub async fn reply(&mut self) -> Frame {
        loop {
            let f = self.frame().await.expect("a reply");
            match f.event() {
                Some(ev) => self.events.push_back(ev),
                None => return f,
            }
        }
    }

    /// `api` and its body.
    pub async fn api(&mut self, cmd: &str) -> String {
        let f = self.command(&format!("api {cmd}")).await;
        assert_eq!(f.content_type(), "api/response", "{f:?}");
        f.body_text()
    }

    /// The next event matching `pred` (earlier non-matching events are kept in order).
    pub async fn event_where(&mut self, pred: impl Fn(&Ev) -> bool) -> Ev {
        if let Some(i) = self.events.iter().position(&pred) {
            return self.events.remove(i).expect("present");
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ev = self.read_event(deadline).await;
            if pred(&ev) {
                return ev;
            }
            self.events.push_back(ev);
        }
    }

    /// The next event read from the socket (other frames skipped), or a panic past `deadline`.
    async fn read_event(&mut self, deadline: tokio::time::Instant) -> Ev {
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self
                .frame_within(left)
                .await
                .expect("the awaited event before the wait limit");
            if let Some(ev) = f.event() {
                return ev;
            }
        }
    }

    pub async fn event_named(&mut self, name: &str, uuid: &str) -> Ev {
        self.event_where(|e| e.name() == name && (uuid.is_empty() || e.uuid() == uuid))
            .await
    }

    /// Every event up to and including the first that matches `pred`.
    pub async fn events_until(&mut self, pred: impl Fn(&Ev) -> bool) -> Vec<Ev> {
        let mut out: Vec<Ev> = self.events.drain(..).collect();
        if out.iter().any(&pred) {
            let i = out.iter().position(&pred).expect("present");
            let rest = out.split_off(i + 1);
            self.events.extend(rest);
            return out;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ev = self.read_event(deadline).await;
            let stop = pred(&ev);
            out.push(ev);
            if stop {
                return out;
            }
        }
    }

    /// sendmsg execute with an event-uuid.
    pub async fn execute(&mut self, uuid: &str, app: &str, arg: &str, ev_uuid: &str) -> Frame {
        let cmd = format!(
            "sendmsg {uuid}\ncall-command: execute\nexecute-app-name: {app}\nexecute-app-arg: {arg}\nevent-uuid: {ev_uuid}\n\n"
        );
        self.command(&cmd).await
    }

    /// Runs an app and waits for its CHANNEL_EXECUTE_COMPLETE.
    pub async fn run_app(&mut self, uuid: &str, app: &str, arg: &str) -> Ev {
        let ev_uuid = format!("ev-{app}-{}", rand_suffix());
        let r = self.execute(uuid, app, arg, &ev_uuid).await;
        assert_eq!(r.get("Reply-Text"), Some("+OK"), "{r:?}");
        self.event_where(|e| {
            e.name() == "CHANNEL_EXECUTE_COMPLETE" && e.get("Application-UUID") == Some(&ev_uuid)
        })
        .await
    }

    /// bgapi originate and its BACKGROUND_JOB body.
    pub async fn originate(&mut self, args: &str) -> String {
        let job = format!("job-{}", rand_suffix());
        let r = self
            .command(&format!("bgapi originate {args}\nJob-UUID: {job}\n\n"))
            .await;
        assert_eq!(r.get("Job-UUID"), Some(job.as_str()));
        let ev = self
            .event_where(|e| e.name() == "BACKGROUND_JOB" && e.get("Job-UUID") == Some(&job))
            .await;
        ev.body
    }
}

pub fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// The shared captures folder, or None (with one skip line) when it is absent.
pub fn captures(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/esl-captures");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped {test}: ../shared/esl-captures is absent");
        None
    }
}

/// Starts a sim with the given rules text and time scale.
pub async fn sim(rules: &str, scale: f64) -> outcall::sim::SimHandle {
    let cfg = outcall::sim::SimConfig {
        rules: outcall::sim::Rules::from_toml_str(rules).expect("rules"),
        time_scale: scale,
        ..outcall::sim::SimConfig::default()
    };
    outcall::sim::start(cfg).await.expect("sim starts")
}
