//! The span index of a header block: where each line's name and value are, found in one
//! `memchr` pass over the line ends with the names checked through a class table. Strict
//! (a bad line is an error naming its offset) or lenient (bad lines are skipped), plus a
//! first-match scan that reads lines only until the header it looks for.

use std::ops::Range;

use memchr::{memchr, memchr_iter};

use super::HeaderError;

#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub name_start: u32,
    pub name_end: u32,
    pub value_start: u32,
    pub value_end: u32,
}

impl Span {
    pub fn name(&self) -> Range<usize> {
        self.name_start as usize..self.name_end as usize
    }
    pub fn value(&self) -> Range<usize> {
        self.value_start as usize..self.value_end as usize
    }
}

/// The span index of a header block.
pub(super) struct Index {
    pub spans: Vec<Span>,
    /// End of the block (before its empty line).
    pub block_end: usize,
    /// Start of what follows the empty line, when one was found.
    pub rest: Option<usize>,
    /// Every name is plain ASCII (so it can be borrowed as `&str` without a check).
    pub ascii_names: bool,
}

/// Builds the span index in one SIMD pass over the line ends (`memchr`); each line's name is
/// then read byte by byte up to its colon, checked on the way (names are short; values, the
/// bulk of a block, are never touched). With `stop_at_blank`, an empty line (not the first)
/// ends the block; otherwise empty lines are skipped.
pub(super) fn index_block(block: &[u8], stop_at_blank: bool) -> Result<Index, HeaderError> {
    index_with(block, stop_at_blank, false)
}

/// The lenient index of a block: like [`index_block`] (no stop at an empty line), but a line
/// without a colon or with an invalid name is skipped instead of failing the block.
pub(super) fn index_lenient(block: &[u8]) -> Vec<Span> {
    index_with(block, false, true)
        .map(|index| index.spans)
        .unwrap_or_default()
}

fn index_with(block: &[u8], stop_at_blank: bool, lenient: bool) -> Result<Index, HeaderError> {
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
        let line = index_line(block, line_start, pos, &mut index);
        line.or_else(|e| if lenient { Ok(()) } else { Err(e) })?;
        line_start = pos + 1;
    }
    if line_start < block.len() {
        let line = index_line(block, line_start, block.len(), &mut index);
        line.or_else(|e| if lenient { Ok(()) } else { Err(e) })?;
    }
    Ok(index)
}

const COLON: u8 = 1;
const BAD: u8 = 2;
const HIGH: u8 = 4;

/// What each byte is in a header name: the colon that ends it, a byte a name cannot hold
/// (space, controls, DEL), a byte past ASCII, or an ordinary character (0).
static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b == b':' as usize {
            COLON
        } else if b <= b' ' as usize || b == 0x7f {
            BAD
        } else if b >= 0x80 {
            HIGH
        } else {
            0
        };
        b += 1;
    }
    t
};

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
    // The name, byte by byte through a class table up to the colon: one load, test and `or`
    // per byte (names are short; values, the bulk of a block, are never touched).
    let mut seen = 0u8;
    let mut colon = None;
    for (i, &b) in line.iter().enumerate() {
        let class = NAME_CLASS[usize::from(b)];
        if class == COLON {
            colon = Some(i);
            break;
        }
        seen |= class;
    }
    let Some(colon) = colon else {
        return Err(HeaderError::NoColon {
            at: start,
            line: String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned(),
        });
    };
    let name = &line[..colon];
    let high = seen & HIGH != 0;
    if name.is_empty() || seen & BAD != 0 {
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

/// The value span of the first line named `name` (ASCII case-insensitive), reading lines only
/// until it: the same answer an index lookup gives, for a name that holds no colon.
pub(super) fn find_first(block: &[u8], name: &[u8]) -> Option<Range<usize>> {
    let mut start = 0;
    while start < block.len() {
        let end = memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
        let mut line = &block[start..end];
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        if line.len() > name.len()
            && line[name.len()] == b':'
            && line[..name.len()].eq_ignore_ascii_case(name)
        {
            let mut v = name.len() + 1;
            while v < line.len() && (line[v] == b' ' || line[v] == b'\t') {
                v += 1;
            }
            return Some(start + v..start + line.len());
        }
        start = end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &[u8] =
        b"Event-Name: CHANNEL_ANSWER\r\nbad line\nUnique-ID:\t abc\nunique-id: second\n\nX: 1";

    #[test]
    fn first_match_agrees_with_the_lenient_index() {
        let spans = index_lenient(BLOCK);
        let names: Vec<&[u8]> = spans.iter().map(|s| &BLOCK[s.name()]).collect();
        assert_eq!(
            names,
            [&b"Event-Name"[..], b"Unique-ID", b"unique-id", b"X"],
            "the line without a colon is skipped"
        );
        for name in ["Event-Name", "UNIQUE-ID", "X", "Missing", "Event"] {
            let by_index = spans
                .iter()
                .find(|s| BLOCK[s.name()].eq_ignore_ascii_case(name.as_bytes()))
                .map(|s| s.value());
            assert_eq!(find_first(BLOCK, name.as_bytes()), by_index, "{name}");
        }
        assert_eq!(&BLOCK[find_first(BLOCK, b"unique-id").unwrap()], b"abc");
    }

    #[test]
    fn strict_index_refuses_what_the_lenient_one_skips() {
        assert!(matches!(
            index_block(BLOCK, false),
            Err(HeaderError::NoColon { at: 28, .. })
        ));
    }
}
