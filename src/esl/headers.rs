//! Ordered header lists as they arrive on the wire, indexed without copying.
//!
//! A header block (`Name: value\n` lines) is kept as one shared `Bytes` plus a compact index of
//! name and value spans, built in one `memchr` pass. Values are percent-decoded only when asked
//! for and only when they contain a `%`; repeated headers stay in wire order. Headers built by
//! hand (`Headers::from_pairs`, JSON and XML events) are stored as owned pairs instead.

use std::borrow::Cow;

use bytes::Bytes;
use memchr::{memchr, memchr_iter};

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

#[derive(Clone, Copy, Debug)]
struct Span {
    name_start: u32,
    name_end: u32,
    value_start: u32,
    value_end: u32,
}

#[derive(Clone, Debug)]
enum Repr {
    Raw {
        buf: Bytes,
        spans: Vec<Span>,
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
                spans: index.spans,
                encoded,
            },
        }
    }

    /// Number of header lines, repeats included.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Raw { spans, .. } => spans.len(),
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
                let s = spans.get(i)?;
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
            Repr::Raw { buf, spans, .. } => spans.get(i).map(|s| as_str(&buf[s.name()])),
            Repr::Owned(v) => v.get(i).map(|(n, _)| n.as_str()),
        }
    }

    /// The name of the `i`-th header as bytes (no UTF-8 check: for fast comparisons).
    pub fn name_bytes_at(&self, i: usize) -> Option<&[u8]> {
        match &self.repr {
            Repr::Raw { buf, spans, .. } => spans.get(i).map(|s| &buf[s.name()]),
            Repr::Owned(v) => v.get(i).map(|(n, _)| n.as_bytes()),
        }
    }

    /// Position of the first header with this name (ASCII case-insensitive).
    pub fn position(&self, name: &str) -> Option<usize> {
        let want = name.as_bytes();
        match &self.repr {
            Repr::Raw { buf, spans, .. } => spans
                .iter()
                .position(|s| buf[s.name()].eq_ignore_ascii_case(want)),
            Repr::Owned(v) => v
                .iter()
                .position(|(n, _)| n.as_bytes().eq_ignore_ascii_case(want)),
        }
    }

    /// The first value of `name`, percent-decoded when the source encodes values.
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
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
            Repr::Raw { buf, spans, .. } => spans
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

impl Span {
    fn name(&self) -> std::ops::Range<usize> {
        self.name_start as usize..self.name_end as usize
    }
    fn value(&self) -> std::ops::Range<usize> {
        self.value_start as usize..self.value_end as usize
    }
}

fn as_str(b: &[u8]) -> &str {
    // Raw names were checked to be ASCII when indexed.
    std::str::from_utf8(b).unwrap_or_default()
}

fn value_text(raw: &[u8], encoded: bool) -> Cow<'_, str> {
    if encoded {
        percent_decode(raw)
    } else {
        String::from_utf8_lossy(raw)
    }
}

/// The span index of a header block.
struct Index {
    spans: Vec<Span>,
    /// End of the block (before its empty line).
    block_end: usize,
    /// Start of what follows the empty line, when one was found.
    rest: Option<usize>,
    /// Every name is plain ASCII (so it can be borrowed as `&str` without a check).
    ascii_names: bool,
}

/// Builds the span index in one SIMD pass over the line ends (`memchr`); each line's name is
/// then read byte by byte up to its colon, checked on the way (names are short; values, the
/// bulk of a block, are never touched). With `stop_at_blank`, an empty line (not the first)
/// ends the block; otherwise empty lines are skipped.
fn index_block(block: &[u8], stop_at_blank: bool) -> Result<Index, HeaderError> {
    let mut index = Index {
        spans: Vec::with_capacity(block.len() / 40 + 4),
        block_end: block.len(),
        rest: None,
        ascii_names: true,
    };
    let mut line_start = 0;
    for pos in memchr_iter(b'\n', block) {
        if stop_at_blank && line_start > 0 && is_blank(&block[line_start..pos]) {
            index.block_end = line_start;
            index.rest = Some(pos + 1);
            return Ok(index);
        }
        index_line(block, line_start, pos, &mut index)?;
        line_start = pos + 1;
    }
    if line_start < block.len() {
        index_line(block, line_start, block.len(), &mut index)?;
    }
    Ok(index)
}

fn is_blank(line: &[u8]) -> bool {
    line.is_empty() || line == b"\r"
}

/// Adds the span of the line `start..end` (its `\n` excluded).
fn index_line(
    block: &[u8],
    start: usize,
    mut end: usize,
    index: &mut Index,
) -> Result<(), HeaderError> {
    if end > start && block[end - 1] == b'\r' {
        end -= 1;
    }
    if end == start {
        return Ok(());
    }
    let line = &block[start..end];
    // The colon by SIMD, then the name checked in branch-free folds the compiler vectorizes
    // (no byte-by-byte loop with an early exit: names are a third of a plain event's bytes).
    let Some(colon) = memchr(b':', line) else {
        return Err(HeaderError::NoColon {
            at: start,
            line: String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned(),
        });
    };
    let name = &line[..colon];
    let lowest = name.iter().fold(u8::MAX, |m, &b| m.min(b));
    let highest = name.iter().fold(0u8, |m, &b| m.max(b));
    let del = name.iter().fold(false, |d, &b| d | (b == 0x7f));
    let high = highest >= 0x80;
    if name.is_empty() || lowest <= b' ' || del {
        return Err(HeaderError::BadName {
            at: start,
            name: String::from_utf8_lossy(&name[..name.len().min(80)]).into_owned(),
        });
    }
    index.ascii_names &= !high;
    let mut v = colon + 1;
    while v < line.len() && (line[v] == b' ' || line[v] == b'\t') {
        v += 1;
    }
    index.spans.push(Span {
        name_start: start as u32,
        name_end: (start + colon) as u32,
        value_start: (start + v) as u32,
        value_end: end as u32,
    });
    Ok(())
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
