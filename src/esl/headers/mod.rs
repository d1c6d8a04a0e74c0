//! Ordered header lists as they arrive on the wire, indexed without copying.
//!
//! A header block (`Name: value\n` lines) is kept as one shared `Bytes` plus a compact index of
//! name and value spans, built in one `memchr` pass. Values are percent-decoded only when asked
//! for and only when they contain a `%`; repeated headers stay in wire order. Headers built by
//! hand (`Headers::from_pairs`, JSON and XML events) are stored as owned pairs instead.

use std::borrow::Cow;
use std::sync::OnceLock;

use bytes::Bytes;
use memchr::memchr;

use self::index::{find_first, index_block, index_lenient, Index, Span};

mod index;

/// Why a header block was refused. Positions are offsets into the block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A line with no `:` separator.
    #[error("header line at block offset {at} has no ':' ({line:?})")]
    NoColon { at: usize, line: String },
    /// An empty name, or one with spaces or control characters.
    #[error("header line at block offset {at} has an invalid name {name:?}")]
    BadName { at: usize, name: String },
    /// Too many headers or too big a block to index with 32-bit offsets.
    #[error("header block too large to index")]
    TooLarge,
}

#[derive(Clone, Debug)]
enum Repr {
    /// Spans into `buf`: set at parse time (strict), or built on first use (lazy, lenient).
    Raw {
        buf: Bytes,
        spans: OnceLock<Vec<Span>>,
        encoded: bool,
    },
    Owned(Vec<(String, String)>),
}

/// An ordered, possibly repeating list of headers. Lookups are ASCII case-insensitive, like
/// FreeSWITCH's own, and return the first match.
#[derive(Clone, Debug)]
pub struct Headers {
    repr: Repr,
}

impl Default for Headers {
    fn default() -> Self {
        Headers::from_pairs(Vec::new())
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Headers {
    /// Headers from owned pairs, in order; values are taken as already decoded.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Headers {
            repr: Repr::Owned(pairs),
        }
    }

    /// Indexes a header block: `Name: value` lines ended by `\n` (a `\r` before it is dropped).
    /// The block must not contain the terminating empty line. `encoded` says whether values are
    /// percent-encoded (FreeSWITCH's event and frame headers) or literal (client requests).
    pub fn parse(block: Bytes, encoded: bool) -> Result<Self, HeaderError> {
        if block.len() > u32::MAX as usize {
            return Err(HeaderError::TooLarge);
        }
        let index = index_block(&block, false)?;
        Ok(Self::from_index(block, index, encoded))
    }

    /// Indexes the header block at the start of `data` up to its empty line, in the same single
    /// pass that finds that line. Returns the headers and where the bytes after the empty line
    /// start (`None` when `data` has no empty line: then every line is a header).
    pub fn parse_head(data: &Bytes, encoded: bool) -> Result<(Self, Option<usize>), HeaderError> {
        if data.len() > u32::MAX as usize {
            return Err(HeaderError::TooLarge);
        }
        let index = index_block(data, true)?;
        let rest = index.rest;
        let block = data.slice(..index.block_end);
        Ok((Self::from_index(block, index, encoded), rest))
    }

    fn from_index(block: Bytes, index: Index, encoded: bool) -> Self {
        // Names were checked to be ASCII, except when a line said otherwise: then the block
        // is read as (lossy) text once, so every name is a valid `&str`.
        if !index.ascii_names {
            let pairs = index
                .spans
                .iter()
                .map(|s| {
                    let name = String::from_utf8_lossy(&block[s.name()]).into_owned();
                    let value = value_text(&block[s.value()], encoded).into_owned();
                    (name, value)
                })
                .collect();
            return Headers::from_pairs(pairs);
        }
        Headers {
            repr: Repr::Raw {
                buf: block,
                spans: OnceLock::from(index.spans),
                encoded,
            },
        }
    }

    /// Headers of a block that is indexed only when first needed, and leniently: a line
    /// without a colon or with an invalid name is skipped, not an error. Until then, [`get`]
    /// reads lines only up to the header it looks for (the routing headers come early in a
    /// FreeSWITCH event). For blocks from a trusted peer on a hot path; [`parse`] is strict.
    ///
    /// [`get`]: Headers::get
    /// [`parse`]: Headers::parse
    pub fn lazy(block: Bytes, encoded: bool) -> Self {
        if block.len() > u32::MAX as usize {
            return Headers::from_pairs(Vec::new());
        }
        Headers {
            repr: Repr::Raw {
                buf: block,
                spans: OnceLock::new(),
                encoded,
            },
        }
    }

    /// Whether the line index exists yet (false only for [`Headers::lazy`] blocks that no
    /// lookup has needed whole so far).
    pub fn indexed(&self) -> bool {
        match &self.repr {
            Repr::Raw { spans, .. } => spans.get().is_some(),
            Repr::Owned(_) => true,
        }
    }

    /// The span index of a raw block (built now if it is lazy and not built yet).
    fn spans_of<'a>(buf: &Bytes, spans: &'a OnceLock<Vec<Span>>) -> &'a [Span] {
        spans.get_or_init(|| index_lenient(buf))
    }

    /// Number of header lines, repeats included.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Raw { buf, spans, .. } => Self::spans_of(buf, spans).len(),
            Repr::Owned(v) => v.len(),
        }
    }

    /// True when there are no headers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th header: name and decoded value.
    pub fn at(&self, i: usize) -> Option<(&str, Cow<'_, str>)> {
        match &self.repr {
            Repr::Raw {
                buf,
                spans,
                encoded,
            } => {
                let s = Self::spans_of(buf, spans).get(i)?;
                Some((
                    as_str(&buf[s.name()]),
                    value_text(&buf[s.value()], *encoded),
                ))
            }
            Repr::Owned(v) => v
                .get(i)
                .map(|(n, val)| (n.as_str(), Cow::Borrowed(val.as_str()))),
        }
    }

    /// The name of the `i`-th header.
    pub fn name_at(&self, i: usize) -> Option<&str> {
        match &self.repr {
            Repr::Raw { buf, spans, .. } => Self::spans_of(buf, spans)
                .get(i)
                .map(|s| as_str(&buf[s.name()])),
            Repr::Owned(v) => v.get(i).map(|(n, _)| n.as_str()),
        }
    }

    /// Position of the first header with this name (ASCII case-insensitive).
    pub fn position(&self, name: &str) -> Option<usize> {
        let want = name.as_bytes();
        match &self.repr {
            Repr::Raw { buf, spans, .. } => Self::spans_of(buf, spans)
                .iter()
                .position(|s| buf[s.name()].eq_ignore_ascii_case(want)),
            Repr::Owned(v) => v
                .iter()
                .position(|(n, _)| n.as_bytes().eq_ignore_ascii_case(want)),
        }
    }

    /// The first value of `name`, percent-decoded when the source encodes values.
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Repr::Raw {
            buf,
            spans,
            encoded,
        } = &self.repr
        {
            if spans.get().is_none() {
                let value = find_first(buf, name.as_bytes())?;
                return Some(value_text(&buf[value], *encoded));
            }
        }
        self.position(name).and_then(|i| self.at(i)).map(|(_, v)| v)
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All headers in wire order, values decoded.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Cow<'_, str>)> + '_ {
        (0..self.len()).filter_map(move |i| self.at(i))
    }

    /// All headers in wire order with values as stored: still percent-encoded when they came
    /// from an encoded block. Used to write a frame back out byte for byte.
    pub fn iter_raw(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        (0..self.len()).filter_map(move |i| match &self.repr {
            Repr::Raw { buf, spans, .. } => Self::spans_of(buf, spans)
                .get(i)
                .map(|s| (as_str(&buf[s.name()]), &buf[s.value()])),
            Repr::Owned(v) => v.get(i).map(|(n, val)| (n.as_str(), val.as_bytes())),
        })
    }

    /// Owned copy of all pairs, values decoded.
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(n, v)| (n.to_owned(), v.into_owned()))
            .collect()
    }
}

fn as_str(b: &[u8]) -> &str {
    // Strictly parsed names were checked to be ASCII; a lazily indexed name that is not UTF-8
    // reads as empty.
    std::str::from_utf8(b).unwrap_or_default()
}

fn value_text(raw: &[u8], encoded: bool) -> Cow<'_, str> {
    if encoded {
        percent_decode(raw)
    } else {
        String::from_utf8_lossy(raw)
    }
}

/// Decodes `%XX` (hex digits of either case) and nothing else: `+` stays `+`, and a `%` not
/// followed by two hex digits stays as it is. Borrows when there is no `%`. Bytes that do not
/// form UTF-8 after decoding are replaced with U+FFFD.
pub fn percent_decode(raw: &[u8]) -> Cow<'_, str> {
    let Some(first) = memchr(b'%', raw) else {
        return String::from_utf8_lossy(raw);
    };
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&raw[..first]);
    let mut i = first;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' && i + 2 < raw.len() {
            if let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_only() {
        assert_eq!(percent_decode(b"%2BOK%0A"), "+OK\n");
        assert_eq!(percent_decode(b"a+b"), "a+b");
        assert_eq!(percent_decode(b"100%"), "100%");
        assert_eq!(percent_decode(b"%zz%4"), "%zz%4");
        assert_eq!(percent_decode(b"%D0%94"), "Д");
        assert!(matches!(percent_decode(b"plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn keeps_order_repeats_and_case_insensitive_lookup() {
        let h = Headers::parse(
            Bytes::from_static(b"A: 1\r\nHangup-Cause: X\nhangup-cause: Y\nEmpty:\n"),
            true,
        )
        .unwrap();
        assert_eq!(h.len(), 4);
        assert_eq!(h.get("HANGUP-CAUSE").unwrap(), "X");
        assert_eq!(h.get_all("Hangup-Cause").collect::<Vec<_>>(), ["X", "Y"]);
        assert_eq!(h.get("A").unwrap(), "1");
        assert_eq!(h.get("Empty").unwrap(), "");
    }

    #[test]
    fn refuses_bad_lines() {
        let e = Headers::parse(Bytes::from_static(b"A: 1\nno colon here\n"), true).unwrap_err();
        assert_eq!(
            e,
            HeaderError::NoColon {
                at: 5,
                line: "no colon here".into()
            }
        );
        let e = Headers::parse(Bytes::from_static(b"bad name: 1\n"), true).unwrap_err();
        assert!(matches!(e, HeaderError::BadName { at: 0, .. }));
    }
}
