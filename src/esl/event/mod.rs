//! FreeSWITCH events in any of the three formats, with typed getters.
//!
//! A plain event (`text/event-plain`) is indexed in place: its headers are a zero-copy
//! [`Headers`] index into the frame body, percent-decoded on access, and its own body (after an
//! inner `Content-Length`, e.g. a BACKGROUND_JOB result) is a slice of the same buffer. JSON
//! events keep repeated keys in order (`_body` becomes the body; array values become
//! FreeSWITCH's `ARRAY::a|:b` form); XML events are unescaped and percent-decoded.
//! Typed getters treat FreeSWITCH's empty marker `_undef_` as absent.

mod json;
mod xml;

use std::borrow::Cow;

use bytes::Bytes;
use memchr::{memchr, memmem};

use super::command::EventFormat;
use super::frame::{Frame, FrameKind};
use super::headers::{HeaderError, Headers};

/// Why an event body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// A bad header line in a plain event.
    #[error("plain event: {0}")]
    Header(#[from] HeaderError),
    /// An inner `Content-Length` that is not a number or runs past the event.
    #[error("plain event: inner Content-Length {declared:?} but {available} bytes follow")]
    BadInnerLength { declared: String, available: usize },
    /// Malformed JSON.
    #[error("json event: {0}")]
    Json(String),
    /// Malformed XML.
    #[error("xml event: {0}")]
    Xml(String),
    /// The frame carries no body to parse.
    #[error("event frame has no body")]
    NoBody,
}

/// One event: ordered headers (repeats kept) and an optional body.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    headers: Headers,
    body: Option<Bytes>,
    format: EventFormat,
}

impl Event {
    /// Builds an event from decoded parts (headers as they should read, body as is).
    pub fn new(headers: Headers, body: Option<Bytes>, format: EventFormat) -> Self {
        Event {
            headers,
            body,
            format,
        }
    }

    /// Parses the event carried by a frame; `Ok(None)` when the frame is not an event.
    pub fn from_frame(frame: &Frame) -> Result<Option<Event>, EventError> {
        let format = match frame.kind() {
            FrameKind::EventPlain => EventFormat::Plain,
            FrameKind::EventJson => EventFormat::Json,
            FrameKind::EventXml => EventFormat::Xml,
            _ => return Ok(None),
        };
        let body = frame.body.clone().ok_or(EventError::NoBody)?;
        Self::parse(body, format).map(Some)
    }

    /// Like [`Event::from_frame`], for the client's hot path: a plain event with no body of its
    /// own (every channel event) is indexed only when first needed, and leniently (a malformed
    /// header line is skipped, not an error; see [`Headers::lazy`]); until then the routing
    /// getters read only the lines before the header they want. Anything else (CRLF, an inner
    /// body such as a BACKGROUND_JOB's, json, xml) is parsed as [`Event::from_frame`] does.
    pub fn from_frame_lazy(frame: &Frame) -> Result<Option<Event>, EventError> {
        if frame.kind() != FrameKind::EventPlain {
            return Self::from_frame(frame);
        }
        let body = frame.body.clone().ok_or(EventError::NoBody)?;
        if memchr(b'\r', &body).is_some() {
            return parse_plain(body).map(Some);
        }
        match memmem::find(&body, b"\n\n") {
            // The first empty line ends the body: headers only.
            Some(i) if i + 2 == body.len() && i > 0 => {
                let headers = Headers::lazy(body.slice(..i + 1), true);
                Ok(Some(Event::new(headers, None, EventFormat::Plain)))
            }
            _ => parse_plain(body).map(Some),
        }
    }

    /// Parses a serialized event body in the given format.
    pub fn parse(body: Bytes, format: EventFormat) -> Result<Event, EventError> {
        match format {
            EventFormat::Plain => parse_plain(body),
            EventFormat::Json => json::parse(&body),
            EventFormat::Xml => xml::parse(&body),
        }
    }

    /// The format it arrived in.
    pub fn format(&self) -> EventFormat {
        self.format
    }

    /// All headers in order.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The event's own body (e.g. the output of a BACKGROUND_JOB), if any.
    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> Option<Cow<'_, str>> {
        self.body.as_deref().map(String::from_utf8_lossy)
    }

    /// First value of a header, decoded, `_undef_` included.
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        self.headers.get(name)
    }

    fn typed(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).filter(|v| !is_undef(v))
    }

    /// `Event-Name`, e.g. `CHANNEL_ANSWER`.
    pub fn event_name(&self) -> Option<Cow<'_, str>> {
        self.typed("Event-Name")
    }

    /// `Event-Subclass` of CUSTOM events.
    pub fn subclass(&self) -> Option<Cow<'_, str>> {
        self.typed("Event-Subclass")
    }

    /// `Unique-ID`: the channel the event is about.
    pub fn unique_id(&self) -> Option<Cow<'_, str>> {
        self.typed("Unique-ID")
    }

    /// `Job-UUID` of a BACKGROUND_JOB.
    pub fn job_uuid(&self) -> Option<Cow<'_, str>> {
        self.typed("Job-UUID")
    }

    /// `Hangup-Cause` (the first one: hangup events repeat it).
    pub fn hangup_cause(&self) -> Option<Cow<'_, str>> {
        self.typed("Hangup-Cause")
    }

    /// `DTMF-Digit`, decoded (`%23` is `#`).
    pub fn dtmf_digit(&self) -> Option<Cow<'_, str>> {
        self.typed("DTMF-Digit")
    }

    /// `Application` of CHANNEL_EXECUTE(_COMPLETE).
    pub fn application(&self) -> Option<Cow<'_, str>> {
        self.typed("Application")
    }

    /// `Application-Data`.
    pub fn application_data(&self) -> Option<Cow<'_, str>> {
        self.typed("Application-Data")
    }

    /// `Application-UUID`: the `Event-UUID` sent with `sendmsg execute`.
    pub fn application_uuid(&self) -> Option<Cow<'_, str>> {
        self.typed("Application-UUID")
    }

    /// `Application-Response`, e.g. `FILE PLAYED` or `_none_`.
    pub fn application_response(&self) -> Option<Cow<'_, str>> {
        self.typed("Application-Response")
    }

    /// `Channel-State`, e.g. `CS_EXECUTE`.
    pub fn channel_state(&self) -> Option<Cow<'_, str>> {
        self.typed("Channel-State")
    }

    /// `Answer-State`, e.g. `answered`.
    pub fn answer_state(&self) -> Option<Cow<'_, str>> {
        self.typed("Answer-State")
    }

    /// A channel variable: the `variable_<name>` header.
    pub fn variable(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut key = String::with_capacity(9 + name.len());
        key.push_str("variable_");
        key.push_str(name);
        self.typed(&key)
    }
}

/// FreeSWITCH serializes an empty value as `_undef_`.
pub fn is_undef(v: &str) -> bool {
    v == "_undef_"
}

/// Plain: header lines, an empty line, then `Content-Length` bytes of body if the headers say
/// so. A block missing its final empty line (some captures lost it) is read to the end.
fn parse_plain(data: Bytes) -> Result<Event, EventError> {
    let (headers, rest) = Headers::parse_head(&data, true)?;
    let body_start = rest.unwrap_or(data.len());
    let body = match headers.get("Content-Length") {
        None => None,
        Some(v) => {
            let available = data.len() - body_start;
            match v.trim().parse::<usize>() {
                Ok(n) if n <= available => Some(data.slice(body_start..body_start + n)),
                _ => {
                    return Err(EventError::BadInnerLength {
                        declared: v.into_owned(),
                        available,
                    })
                }
            }
        }
    };
    Ok(Event::new(headers, body, EventFormat::Plain))
}

#[cfg(test)]
mod tests;
