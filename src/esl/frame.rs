//! One ESL message: an ordered header list, then an optional `Content-Length` body.
//!
//! `Frame` is what the client codec yields and what the server codec writes. Its headers are a
//! zero-copy index into the received bytes (`Headers`); its body is a `Bytes` slice of the same
//! buffer. `FrameKind` names the `Content-Type`s FreeSWITCH sends.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};

use super::headers::Headers;

/// What a frame is, from its outer `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// `auth/request`: the greeting of an inbound session.
    AuthRequest,
    /// `command/reply`: the reply to any command but `api`.
    CommandReply,
    /// `api/response`: the reply to `api`, output in the body.
    ApiResponse,
    /// `text/event-plain`.
    EventPlain,
    /// `text/event-json`.
    EventJson,
    /// `text/event-xml`.
    EventXml,
    /// `log/data`.
    LogData,
    /// `text/disconnect-notice` (goodbye, linger, shutdown, killed listener).
    DisconnectNotice,
    /// `text/rude-rejection`: refused by the ACL.
    RudeRejection,
    /// Any other or a missing `Content-Type`.
    Other,
}

impl FrameKind {
    /// Classifies a `Content-Type` value.
    pub fn from_content_type(ct: Option<&str>) -> Self {
        match ct {
            Some("auth/request") => FrameKind::AuthRequest,
            Some("command/reply") => FrameKind::CommandReply,
            Some("api/response") => FrameKind::ApiResponse,
            Some("text/event-plain") => FrameKind::EventPlain,
            Some("text/event-json") => FrameKind::EventJson,
            Some("text/event-xml") => FrameKind::EventXml,
            Some("log/data") => FrameKind::LogData,
            Some("text/disconnect-notice") => FrameKind::DisconnectNotice,
            Some("text/rude-rejection") => FrameKind::RudeRejection,
            _ => FrameKind::Other,
        }
    }

    /// True for the three event formats.
    pub fn is_event(self) -> bool {
        matches!(
            self,
            FrameKind::EventPlain | FrameKind::EventJson | FrameKind::EventXml
        )
    }
}

/// Why a frame could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A name or value holds CR or LF, which would end the line early.
    #[error("header {0:?} contains CR or LF and cannot be framed")]
    LineBreak(String),
    /// A `Content-Length` header that does not match the body.
    #[error("Content-Length header says {header} but the body has {body} bytes")]
    LengthMismatch { header: String, body: usize },
}

/// An ESL message.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Headers in wire order (repeats kept). Values read through it are percent-decoded.
    pub headers: Headers,
    /// The `Content-Length` bytes after the empty line; `None` without `Content-Length`.
    pub body: Option<Bytes>,
}

impl Frame {
    /// A frame from owned header pairs (written exactly as given) and an optional body.
    pub fn new(headers: Vec<(String, String)>, body: Option<Bytes>) -> Self {
        Frame {
            headers: Headers::from_pairs(headers),
            body,
        }
    }

    /// The outer `Content-Type`, if any.
    pub fn content_type(&self) -> Option<Cow<'_, str>> {
        self.headers.get("Content-Type")
    }

    /// The frame's kind from its `Content-Type`.
    pub fn kind(&self) -> FrameKind {
        FrameKind::from_content_type(self.content_type().as_deref())
    }

    /// `Reply-Text` of a `command/reply`.
    pub fn reply_text(&self) -> Option<Cow<'_, str>> {
        self.headers.get("Reply-Text")
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> Option<Cow<'_, str>> {
        self.body.as_deref().map(String::from_utf8_lossy)
    }

    /// Serializes the frame: `Name: value\n` lines in order, a `Content-Length` line when there
    /// is a body and no such header was given, the empty line, then the body. Values are written
    /// as stored: a decoded frame is written back as it was received; owned values as given.
    pub fn write_to(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let body_len = self.body.as_ref().map(Bytes::len);
        let mut has_length = false;
        dst.reserve(64 * self.headers.len() + body_len.unwrap_or(0) + 32);
        for (name, value) in self.headers.iter_raw() {
            if has_line_break(name.as_bytes()) || has_line_break(value) {
                return Err(EncodeError::LineBreak(name.to_owned()));
            }
            if name.eq_ignore_ascii_case("Content-Length") {
                has_length = true;
                let text = String::from_utf8_lossy(value);
                if text.trim().parse::<usize>().ok() != Some(body_len.unwrap_or(0)) {
                    return Err(EncodeError::LengthMismatch {
                        header: text.into_owned(),
                        body: body_len.unwrap_or(0),
                    });
                }
            }
            put_header(dst, name, value);
        }
        if let (Some(n), false) = (body_len, has_length) {
            put_header(dst, "Content-Length", n.to_string().as_bytes());
        }
        dst.put_u8(b'\n');
        if let Some(body) = &self.body {
            dst.extend_from_slice(body);
        }
        Ok(())
    }

    /// The serialized bytes of [`Frame::write_to`].
    pub fn to_bytes(&self) -> Result<Bytes, EncodeError> {
        let mut b = BytesMut::new();
        self.write_to(&mut b)?;
        Ok(b.freeze())
    }
}

fn has_line_break(s: &[u8]) -> bool {
    s.iter().any(|&b| b == b'\r' || b == b'\n')
}

fn put_header(dst: &mut BytesMut, name: &str, value: &[u8]) {
    dst.extend_from_slice(name.as_bytes());
    dst.extend_from_slice(b": ");
    dst.extend_from_slice(value);
    dst.put_u8(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_headers_then_length_then_body() {
        let f = Frame::new(
            vec![("Content-Type".into(), "api/response".into())],
            Some(Bytes::from_static(b"+OK\n")),
        );
        assert_eq!(
            &f.to_bytes().unwrap()[..],
            b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n"
        );
        assert_eq!(f.kind(), FrameKind::ApiResponse);
    }

    #[test]
    fn refuses_line_breaks_and_wrong_lengths() {
        let f = Frame::new(vec![("X".into(), "a\nb".into())], None);
        assert!(matches!(f.to_bytes(), Err(EncodeError::LineBreak(_))));
        let f = Frame::new(
            vec![("Content-Length".into(), "9".into())],
            Some(Bytes::from_static(b"ab")),
        );
        assert!(matches!(
            f.to_bytes(),
            Err(EncodeError::LengthMismatch { .. })
        ));
    }
}
