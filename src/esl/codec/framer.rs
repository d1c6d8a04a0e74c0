//! The framing state machine both codecs share: find the end of the header block, read
//! `Content-Length`, then wait for exactly that many body bytes.
//!
//! Two passes like mini-redis: a cheap `memchr` scan answers "is the header block complete?"
//! (remembering where it stopped, so bytes trickling in are never rescanned), and only then is
//! the block split off (zero-copy) and indexed. Body bytes are a `Bytes` slice of the read
//! buffer. Offsets count bytes from the start of the stream, for error messages.

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr;

use super::{CodecError, FrameError, Limits};
use crate::esl::headers::{HeaderError, Headers};

/// A complete header block and body, before the codec gives them a type.
pub(crate) struct RawFrame {
    pub head: Bytes,
    pub headers: Headers,
    pub body: Option<Bytes>,
}

/// How the header block is read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HeadStyle {
    /// Every line is `Name: value`; values are percent-encoded (server to client).
    Encoded,
    /// The first line is a command; the rest are literal `Name: value` lines (client to server).
    Request,
}

struct Pending {
    head: Bytes,
    headers: Headers,
    body_len: Option<usize>,
    start: u64,
}

pub(crate) struct Framer {
    limits: Limits,
    style: HeadStyle,
    /// Bytes of the stream consumed by complete frames and skipped line breaks.
    offset: u64,
    /// Where the header-end scan stopped in the current buffer.
    scanned: usize,
    pending: Option<Pending>,
}

impl Framer {
    pub fn new(limits: Limits, style: HeadStyle) -> Self {
        Framer {
            limits,
            style,
            offset: 0,
            scanned: 0,
            pending: None,
        }
    }

    /// Byte offset in the stream of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<RawFrame>, CodecError> {
        if self.pending.is_none() && !self.read_head(buf)? {
            return Ok(None);
        }
        let need = self.pending.as_ref().map_or(0, |p| p.body_len.unwrap_or(0));
        if buf.len() < need {
            buf.reserve(need - buf.len());
            return Ok(None);
        }
        let Some(p) = self.pending.take() else {
            return Ok(None);
        };
        let body = p.body_len.map(|n| buf.split_to(n).freeze());
        self.offset += need as u64;
        Ok(Some(RawFrame {
            head: p.head,
            headers: p.headers,
            body,
        }))
    }

    /// At end of input: nothing left but line breaks is a clean end; anything else is a
    /// truncated frame.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<RawFrame>, CodecError> {
        if let Some(f) = self.decode(buf)? {
            return Ok(Some(f));
        }
        if let Some(p) = &self.pending {
            return Err(CodecError::Truncated {
                offset: p.start,
                buffered: (p.head.len() + buf.len()) as u64,
                expected: Some((p.head.len() + p.body_len.unwrap_or(0)) as u64),
            });
        }
        if buf.iter().all(|&b| b == b'\n' || b == b'\r') {
            self.offset += buf.len() as u64;
            buf.clear();
            return Ok(None);
        }
        Err(CodecError::Truncated {
            offset: self.offset,
            buffered: buf.len() as u64,
            expected: None,
        })
    }

    /// Looks for a complete header block; when found, splits it off and indexes it.
    fn read_head(&mut self, buf: &mut BytesMut) -> Result<bool, CodecError> {
        let start = self.offset;
        let Some((block_end, next)) = self.find_head_end(buf)? else {
            return Ok(false);
        };
        let lead = buf
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        let mut head = buf.split_to(next).freeze();
        self.scanned = 0;
        self.offset += next as u64;
        head.advance(lead);
        let block = head.slice(..block_end - lead);
        let (headers, body_len) = self.index(block, start, lead)?;
        self.pending = Some(Pending {
            head,
            headers,
            body_len,
            start,
        });
        Ok(true)
    }

    /// Finds `(end of the last header line, start of the next frame)` past any leading line
    /// breaks, or `None` when more bytes are needed. Enforces the header-block limit.
    fn find_head_end(&mut self, buf: &BytesMut) -> Result<Option<(usize, usize)>, CodecError> {
        let lead = buf
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        let mut pos = self.scanned.max(lead);
        while let Some(i) = memchr(b'\n', &buf[pos..]) {
            let nl = pos + i;
            match (buf.get(nl + 1), buf.get(nl + 2)) {
                (Some(b'\n'), _) => return Ok(Some((nl + 1, nl + 2))),
                (Some(b'\r'), Some(b'\n')) => return Ok(Some((nl + 1, nl + 3))),
                (None, _) | (Some(b'\r'), None) => {
                    self.scanned = nl;
                    return self.check_head_limit(buf.len() - lead);
                }
                _ => pos = nl + 1,
            }
        }
        self.scanned = buf.len();
        self.check_head_limit(buf.len() - lead)
    }

    fn check_head_limit(&self, len: usize) -> Result<Option<(usize, usize)>, CodecError> {
        if len > self.limits.max_head {
            return Err(CodecError::Malformed {
                offset: self.offset,
                reason: FrameError::HeadTooLarge {
                    limit: self.limits.max_head,
                },
            });
        }
        Ok(None)
    }

    /// Indexes the header block and reads `Content-Length`.
    fn index(
        &self,
        block: Bytes,
        start: u64,
        lead: usize,
    ) -> Result<(Headers, Option<usize>), CodecError> {
        let base = start + lead as u64;
        let malformed = |reason| CodecError::Malformed {
            offset: start,
            reason,
        };
        let (block, base) = match self.style {
            HeadStyle::Encoded => (block, base),
            HeadStyle::Request => {
                let cut = memchr(b'\n', &block).map_or(block.len(), |i| i + 1);
                (block.slice(cut..), base + cut as u64)
            }
        };
        let encoded = matches!(self.style, HeadStyle::Encoded);
        let headers =
            Headers::parse(block, encoded).map_err(|e| malformed(header_reason(e, base)))?;
        let Some(value) = headers.get("Content-Length") else {
            return Ok((headers, None));
        };
        let n: usize = value
            .trim()
            .parse()
            .map_err(|_| malformed(FrameError::BadContentLength(value.to_string())))?;
        if n > self.limits.max_body {
            return Err(malformed(FrameError::BodyTooLarge {
                length: n,
                limit: self.limits.max_body,
            }));
        }
        Ok((headers, Some(n)))
    }
}

fn header_reason(e: HeaderError, base: u64) -> FrameError {
    match e {
        HeaderError::NoColon { at, line } => FrameError::NoColon {
            at: base + at as u64,
            line,
        },
        HeaderError::BadName { at, name } => FrameError::BadName {
            at: base + at as u64,
            name,
        },
        HeaderError::TooLarge => FrameError::HeadTooLarge {
            limit: u32::MAX as usize,
        },
    }
}
