//! Driving the simulator through outcall's own `esl` client: connecting, parking a call, and
//! reading a channel's or every event stream with a wait limit.

use std::sync::Arc;
use std::time::Duration;

use outcall::esl::client::{Client, ClientOptions, EventStream};
use outcall::esl::outbound::{Server, Session};
use outcall::esl::Event;
use outcall::sim::{InboundCall, SimHandle};

use super::WAIT;

/// Options for tests: every event, plain, no liveness probe unless a test asks for one.
pub fn options() -> ClientOptions {
    ClientOptions {
        liveness: None,
        ..ClientOptions::default()
    }
}

/// Connects with [`options`].
pub async fn connect(sim: &SimHandle) -> Client {
    connect_with(sim, options()).await
}

pub async fn connect_with(sim: &SimHandle, opts: ClientOptions) -> Client {
    Client::connect(&sim.addr().to_string(), "ClueCon", opts)
        .await
        .expect("the client connects to the sim")
}

/// The next event of `stream`, or a panic after the wait limit or at the stream's end.
pub async fn next(stream: &mut EventStream) -> Arc<Event> {
    tokio::time::timeout(WAIT, stream.recv())
        .await
        .expect("an event before the wait limit")
        .expect("the stream is still open")
}

/// The event's name (empty when absent).
pub fn name(ev: &Event) -> String {
    ev.event_name().map(|n| n.into_owned()).unwrap_or_default()
}

/// A header value as an owned string.
pub fn get(ev: &Event, header: &str) -> Option<String> {
    ev.get(header).map(|v| v.into_owned())
}

/// A channel variable as an owned string.
pub fn var(ev: &Event, v: &str) -> Option<String> {
    ev.variable(v).map(|v| v.into_owned())
}

/// Every event up to and including the first for which `stop` holds.
pub async fn until(stream: &mut EventStream, stop: impl Fn(&Event) -> bool) -> Vec<Arc<Event>> {
    let mut out = Vec::new();
    loop {
        let ev = next(stream).await;
        let done = stop(&ev);
        out.push(ev);
        if done {
            return out;
        }
    }
}

/// The first event named `event` (earlier ones are skipped).
pub async fn named(stream: &mut EventStream, event: &str) -> Arc<Event> {
    until(stream, |e| e.event_name().as_deref() == Some(event))
        .await
        .pop()
        .expect("at least the matching event")
}

/// Names of a list of events.
pub fn names(evs: &[Arc<Event>]) -> Vec<String> {
    evs.iter().map(|e| name(e)).collect()
}

/// Originates `uuid` to `dest` with `&park()` through bgapi and returns its channel stream
/// (routed before the originate, so nothing is missed) once the job reported `+OK uuid`.
pub async fn park(client: &Client, uuid: &str, dest: &str) -> EventStream {
    let stream = client.channel_events(uuid);
    let args = format!("{{origination_uuid={uuid}}}sofia/gateway/demo/{dest} &park()");
    let job = client.bgapi("originate", &args).await.expect("bgapi");
    assert_eq!(job.body, format!("+OK {uuid}\n"));
    stream
}

/// Simulated µs between two events (their `Event-Date-Timestamp`).
pub fn sim_micros_between(a: &Event, b: &Event) -> i64 {
    let ts = |e: &Event| -> i64 {
        e.get("Event-Date-Timestamp")
            .and_then(|t| t.parse().ok())
            .expect("Event-Date-Timestamp")
    };
    ts(b) - ts(a)
}

/// An unanswered inbound call whose `socket` app connects to an outbound server of ours;
/// returns the accepted session (kept open so the channel stays up).
pub async fn inbound_session(sim: &SimHandle, caller: &str) -> Session {
    let server = Server::bind("127.0.0.1:0", options()).await.expect("bind");
    let addr = server.local_addr().expect("addr");
    sim.inbound_call(InboundCall {
        caller: caller.into(),
        destination: "3".into(),
        socket: format!("{addr} async full"),
        hangup_after: None,
        vars: vec![],
    })
    .expect("inbound call");
    tokio::time::timeout(Duration::from_secs(10), server.accept())
        .await
        .expect("the sim connects to the socket app")
        .expect("connect handshake")
}

/// Originates `uuid` to `dest` with `&park()` through bgapi without waiting for its job:
/// the channel's stream and the job, to act on the channel before it is parked.
pub async fn originate_start(
    client: &Client,
    uuid: &str,
    dest: &str,
) -> (EventStream, outcall::esl::client::Job) {
    let stream = client.channel_events(uuid);
    let args = format!("{{origination_uuid={uuid}}}sofia/gateway/demo/{dest} &park()");
    let job = client
        .bgapi_start("originate", &args, None)
        .await
        .expect("bgapi accepted");
    (stream, job)
}

/// An event's `Event-Sequence` (the switch-wide firing order).
pub fn seq(ev: &Event) -> u64 {
    ev.get("Event-Sequence")
        .and_then(|s| s.parse().ok())
        .expect("Event-Sequence")
}
