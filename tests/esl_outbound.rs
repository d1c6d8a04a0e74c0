//! The outbound server against a fake FreeSWITCH `socket` application that replays a real
//! outbound session (NEventSocket Example1: connect, events, linger, answer, playback, bridge,
//! both legs hang up, linger notice, exit, goodbye), answering each request with the next
//! reply of the capture and sending the events in between as recorded.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use outcall::esl::client::{ClientOptions, Disconnect, Error};
use outcall::esl::outbound::Server;
use outcall::esl::{ClientCodec, EventFormat, FrameKind, ServerCodec};
use tokio::net::TcpStream;
use tokio_util::codec::{Decoder, Framed};

#[path = "esl_support/mod.rs"]
mod support;

/// Splits the capture into frames, keeping each frame's raw bytes.
fn capture_frames(name: &str) -> VecDeque<(FrameKind, Bytes)> {
    let bytes = support::fixture(name);
    let mut codec = ClientCodec::default();
    let mut buf = BytesMut::from(&bytes[..]);
    let mut out = VecDeque::new();
    let mut start = 0usize;
    while let Some(f) = codec.decode(&mut buf).unwrap() {
        let end = codec.offset() as usize;
        out.push_back((f.kind(), Bytes::copy_from_slice(&bytes[start..end])));
        start = end;
    }
    out
}

/// Connects to `addr` like mod_event_socket's outbound mode and replays the capture: before
/// each reply it reads one request; events and notices go out as soon as their turn comes.
async fn fake_switch(addr: String, mut frames: VecDeque<(FrameKind, Bytes)>) -> Vec<String> {
    let sock = TcpStream::connect(addr).await.unwrap();
    let mut fs = Framed::new(sock, ServerCodec::default());
    let mut seen = Vec::new();
    while let Some((kind, raw)) = frames.pop_front() {
        if matches!(kind, FrameKind::CommandReply | FrameKind::ApiResponse) {
            let req = fs.next().await.unwrap().unwrap();
            seen.push(req.command);
        }
        fs.send(raw).await.unwrap();
    }
    seen
}

#[tokio::test]
async fn replays_a_real_outbound_session() {
    let server = Server::bind("127.0.0.1:0", ClientOptions::default())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap().to_string();
    let frames = capture_frames("outbound_session_answered_bridged_linger.stream");
    let replies = frames
        .iter()
        .filter(|(k, _)| matches!(k, FrameKind::CommandReply | FrameKind::ApiResponse))
        .count();
    assert_eq!(replies, 11);
    let switch = tokio::spawn(fake_switch(addr, frames));

    let mut session = server.accept().await.unwrap();
    assert_eq!(session.uuid(), "78b86350-4fb8-4d2b-a629-1eeafd7d2f74");
    let data = session.channel_data();
    assert_eq!(
        data.get("Channel-Name").unwrap(),
        "sofia/internal/1001@172.16.50.134"
    );
    assert_eq!(data.get("Reply-Text").unwrap(), "+OK\n");

    assert_eq!(
        session.myevents(EventFormat::Plain).await.unwrap(),
        "+OK event listener enabled plain"
    );
    assert_eq!(session.linger(None).await.unwrap(), "+OK will linger");
    // The remaining replies of the capture, in order: sendmsg answer, sendmsg playback, event,
    // sendmsg, api, sendmsg bridge, api, exit. FIFO matching does not depend on the command.
    session.resume().await.unwrap();
    session.divert_events(false).await.unwrap();
    session
        .client()
        .subscribe_events(EventFormat::Plain, &["ALL"])
        .await
        .unwrap();
    session.hangup("NORMAL_CLEARING").await.unwrap();
    let api = session
        .client()
        .api("uuid_dump", session.uuid())
        .await
        .unwrap();
    assert!(!api.is_empty());
    session
        .client()
        .command_ok(outcall::esl::command::noevents())
        .await
        .unwrap();
    session.client().api("status", "").await.unwrap();

    let mut names = Vec::new();
    while names.len() < 10 {
        let ev = session.events().recv().await.expect("channel events");
        assert_eq!(ev.unique_id().unwrap(), session.uuid());
        names.push(ev.event_name().unwrap().into_owned());
    }
    assert_eq!(names.first().unwrap(), "CHANNEL_PROGRESS_MEDIA");
    assert_eq!(names.last().unwrap(), "CHANNEL_EXECUTE_COMPLETE");
    assert!(names.contains(&"CHANNEL_HANGUP".to_owned()));

    session.exit().await.unwrap();
    assert_eq!(*session.closed().await, Disconnect::Exited);
    assert!(session.events().recv().await.is_none());
    let seen = switch.await.unwrap();
    assert_eq!(seen[0], "connect");
    assert_eq!(seen.last().unwrap(), "exit");
    assert_eq!(session.client().stats().events, 14);
}

#[tokio::test]
async fn execute_after_hangup_is_an_error() {
    let server = Server::bind("127.0.0.1:0", ClientOptions::default())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap().to_string();
    let mut frames = capture_frames("outbound_session_answered_bridged_linger.stream");
    frames.truncate(1);
    let invalid: &[u8] = b"Content-Type: command/reply\nReply-Text: -ERR invalid session id [78b86350-4fb8-4d2b-a629-1eeafd7d2f74]\n\n";
    frames.push_back((FrameKind::CommandReply, Bytes::from_static(invalid)));
    let switch = tokio::spawn(fake_switch(addr, frames));
    let session = server.accept().await.unwrap();
    let err = session.execute("playback", "/tmp/x.wav").await.unwrap_err();
    assert!(
        matches!(&err, Error::Failed(t) if t.starts_with("-ERR invalid session id")),
        "{err}"
    );
    let seen = switch.await.unwrap();
    assert!(seen[1].starts_with("sendmsg 78b86350"));
}
