//! A scripted FreeSWITCH stand-in for the client tests: listens on 127.0.0.1:0, accepts one
//! connection and runs the test's script over a `ServerCodec` framed stream, sending capture
//! bytes verbatim. Included with `#[path]`.
#![allow(dead_code)]

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use outcall::esl::{ClientCodec, Frame, Request, ServerCodec};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::codec::{Decoder, Framed};

#[path = "../esl_support/mod.rs"]
pub mod support;

pub type Peer = Framed<TcpStream, ServerCodec>;

/// Starts a peer; returns its address and the task running `script`.
pub async fn start<F, Fut>(script: F) -> (String, JoinHandle<()>)
where
    F: FnOnce(Peer) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        script(Framed::new(sock, ServerCodec::default())).await;
    });
    (addr, task)
}

/// Sends raw bytes.
pub async fn send(peer: &mut Peer, bytes: &[u8]) {
    peer.send(Bytes::copy_from_slice(bytes)).await.unwrap();
}

/// Sends a fixture file verbatim.
pub async fn send_fixture(peer: &mut Peer, name: &str) {
    send(peer, &support::fixture(name)).await;
}

/// Reads the next request; panics if the connection ends.
pub async fn expect(peer: &mut Peer, prefix: &str) -> Request {
    let req = peer.next().await.expect("client closed").unwrap();
    assert!(
        req.command.starts_with(prefix),
        "expected {prefix:?}, got {:?}",
        req.command
    );
    req
}

/// Greeting, `auth` accepted, `event plain …` accepted.
pub async fn accept_auth(peer: &mut Peer) {
    send_fixture(peer, "auth_request.txt").await;
    expect(peer, "auth ").await;
    send_fixture(peer, "auth_accepted.reply").await;
    expect(peer, "event plain").await;
    send_fixture(peer, "event_listener_enabled_plain_inbound.reply").await;
}

/// The one frame of a fixture file, decoded.
pub fn fixture_frame(name: &str) -> Frame {
    let mut buf = bytes::BytesMut::from(&support::fixture(name)[..]);
    ClientCodec::default().decode(&mut buf).unwrap().unwrap()
}

/// A plain event fixture re-framed with some header values replaced (e.g. Application-UUID).
pub fn event_with(name: &str, replace: &[(&str, &str)]) -> Vec<u8> {
    let frame = fixture_frame(name);
    let body = frame.body.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let name = line.split(':').next().unwrap_or("");
        match replace.iter().find(|(n, _)| *n == name) {
            Some((n, v)) => out.push_str(&format!("{n}: {v}\n")),
            None => out.push_str(line),
        }
    }
    let mut wire = format!(
        "Content-Length: {}\nContent-Type: text/event-plain\n\n",
        out.len()
    )
    .into_bytes();
    wire.extend_from_slice(out.as_bytes());
    wire
}

/// `command/reply` with the given text.
pub fn reply(text: &str) -> Vec<u8> {
    format!("Content-Type: command/reply\nReply-Text: {text}\n\n").into_bytes()
}
