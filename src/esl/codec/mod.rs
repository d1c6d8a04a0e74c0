//! tokio-util codecs for both directions of the event socket.
//!
//! * [`ClientCodec`] decodes what FreeSWITCH sends (frames: replies, api responses, events,
//!   notices) and encodes [`Command`]s, which can only be built injection-safe.
//! * [`ServerCodec`] decodes what a client sends ([`Request`]: command line, literal headers,
//!   optional `Content-Length` body) and encodes [`Frame`]s or raw bytes. The simulator and the
//!   outbound server use it.
//!
//! Both tolerate CRLF, skip line breaks between frames, enforce [`Limits`] and give the same
//! result whether bytes arrive whole or one at a time. Errors name the stream byte offset.

mod framer;

use std::io;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use self::framer::{Framer, HeadStyle};
use super::command::Command;
use super::frame::{EncodeError, Frame};
use super::headers::Headers;

/// Size limits, FreeSWITCH's by default: header block 10 MiB, body 16 MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest header block accepted, in bytes.
    pub max_head: usize,
    /// Largest `Content-Length` accepted, in bytes.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 10 * 1024 * 1024,
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// What is wrong with a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A header line without `:`.
    #[error("header line at byte {at} has no ':' ({line:?})")]
    NoColon { at: u64, line: String },
    /// A header name that is empty or holds spaces or control characters.
    #[error("header line at byte {at} has an invalid name {name:?}")]
    BadName { at: u64, name: String },
    /// No end of the header block within the limit.
    #[error("header block exceeds {limit} bytes")]
    HeadTooLarge { limit: usize },
    /// `Content-Length` over the limit.
    #[error("Content-Length {length} exceeds the {limit}-byte limit")]
    BodyTooLarge { length: usize, limit: usize },
    /// `Content-Length` that is not a non-negative decimal number.
    #[error("invalid Content-Length {0:?}")]
    BadContentLength(String),
}

/// Errors of both codecs.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The socket failed.
    #[error("event socket I/O: {0}")]
    Io(#[from] io::Error),
    /// Bytes that are not an ESL frame.
    #[error("malformed frame at byte {offset}: {reason}")]
    Malformed { offset: u64, reason: FrameError },
    /// The stream ended inside a frame.
    #[error("stream ended inside the frame starting at byte {offset} ({buffered} bytes of it received{})",
        expected.map(|e| format!(", {e} expected")).unwrap_or_default())]
    Truncated {
        offset: u64,
        buffered: u64,
        expected: Option<u64>,
    },
    /// A frame that cannot be serialized.
    #[error("cannot encode frame: {0}")]
    Encode(#[from] EncodeError),
}

impl CodecError {
    /// The stream offset the error refers to, when it is about the bytes.
    pub fn offset(&self) -> Option<u64> {
        match self {
            CodecError::Malformed { offset, .. } | CodecError::Truncated { offset, .. } => {
                Some(*offset)
            }
            _ => None,
        }
    }
}

/// Client side: decodes FreeSWITCH's frames, encodes commands.
pub struct ClientCodec {
    framer: Framer,
}

impl Default for ClientCodec {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl ClientCodec {
    /// A codec with the given limits.
    pub fn new(limits: Limits) -> Self {
        ClientCodec {
            framer: Framer::new(limits, HeadStyle::Encoded),
        }
    }

    /// Bytes of the stream consumed so far (complete frames and skipped line breaks).
    pub fn offset(&self) -> u64 {
        self.framer.offset()
    }
}

impl Decoder for ClientCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(self.framer.decode(src)?.map(|raw| Frame {
            headers: raw.headers,
            body: raw.body,
        }))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(self.framer.decode_eof(src)?.map(|raw| Frame {
            headers: raw.headers,
            body: raw.body,
        }))
    }
}

impl Encoder<Command> for ClientCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Command, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

impl Encoder<&Command> for ClientCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Command, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

/// A client request as FreeSWITCH reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The first line, cut at the first CR or LF (e.g. `auth ClueCon`, `sendmsg <uuid>`).
    pub command: String,
    /// The following `Name: value` lines, left-trimmed, never percent-decoded.
    pub headers: Headers,
    /// `Content-Length` bytes after the empty line (`sendmsg`, `sendevent`).
    pub body: Option<Bytes>,
}

impl Request {
    /// The first word of the command, e.g. `api`.
    pub fn verb(&self) -> &str {
        self.command.split_whitespace().next().unwrap_or("")
    }

    /// The command after its first word and the spaces that follow, e.g. `status` for
    /// `api status`.
    pub fn args(&self) -> &str {
        let c = self.command.trim_start();
        c.find(' ').map_or("", |i| c[i..].trim_start_matches(' '))
    }
}

/// Server side: decodes client requests, encodes frames.
pub struct ServerCodec {
    framer: Framer,
}

impl Default for ServerCodec {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl ServerCodec {
    /// A codec with the given limits.
    pub fn new(limits: Limits) -> Self {
        ServerCodec {
            framer: Framer::new(limits, HeadStyle::Request),
        }
    }
}

fn to_request(raw: framer::RawFrame) -> Request {
    let line_end = raw
        .head
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(raw.head.len());
    Request {
        command: String::from_utf8_lossy(&raw.head[..line_end]).into_owned(),
        headers: raw.headers,
        body: raw.body,
    }
}

impl Decoder for ServerCodec {
    type Item = Request;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Request>, CodecError> {
        Ok(self.framer.decode(src)?.map(to_request))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Request>, CodecError> {
        Ok(self.framer.decode_eof(src)?.map(to_request))
    }
}

impl Encoder<Frame> for ServerCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(item.write_to(dst)?)
    }
}

impl Encoder<&Frame> for ServerCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(item.write_to(dst)?)
    }
}

/// Raw bytes are written as they are (pre-serialized frames, fault injection).
impl Encoder<Bytes> for ServerCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
