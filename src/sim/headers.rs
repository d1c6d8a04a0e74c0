//! An event's headers in order: single headers owned by the event, and shared blocks (a
//! channel's caller profile, its other leg, its variables) that several events carry unchanged,
//! whose `text/event-plain` lines are encoded once when the block is made.

use std::borrow::Cow;
use std::sync::Arc;

use super::encode::plain_line;

/// Header name and value (mostly static names; static values where the value is a constant).
pub type Header = (Cow<'static, str>, Cow<'static, str>);

/// Headers shared by several events, with their plain lines encoded once: every name and raw
/// value in one string, the encoded lines in another.
#[derive(Debug, Default)]
pub struct Block {
    raw: String,
    /// Per header, where its name and its value end in `raw` (a name starts where the value
    /// before it ends).
    ends: Vec<(usize, usize)>,
    plain: String,
}

impl Block {
    pub fn with_capacity(headers: usize) -> Block {
        Block {
            raw: String::with_capacity(headers * 40),
            ends: Vec::with_capacity(headers),
            plain: String::with_capacity(headers * 48),
        }
    }

    /// Appends a header named by the concatenation of `name`.
    pub fn add(&mut self, name: &[&str], value: &str) {
        let start = self.raw.len();
        name.iter().for_each(|part| self.raw.push_str(part));
        let name_end = self.raw.len();
        self.raw.push_str(value);
        self.ends.push((name_end, self.raw.len()));
        plain_line(&mut self.plain, &self.raw[start..name_end], value);
    }

    /// Appends a header whose plain line (`line`) was encoded before.
    pub fn add_encoded(&mut self, name: &[&str], value: &str, line: &str) {
        name.iter().for_each(|part| self.raw.push_str(part));
        let name_end = self.raw.len();
        self.raw.push_str(value);
        self.ends.push((name_end, self.raw.len()));
        self.plain.push_str(line);
    }

    /// Every header in order, name and value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, end)| {
            let name = &self.raw[start..name_end];
            start = end;
            (name, &self.raw[name_end..end])
        })
    }

    /// The block's `Name: value` lines, each value encoded.
    pub fn plain(&self) -> &str {
        &self.plain
    }
}

#[derive(Debug)]
enum Part {
    One(Header),
    Shared(Arc<Block>),
}

/// The ordered headers of one event.
#[derive(Debug, Default)]
pub struct Headers {
    parts: Vec<Part>,
    /// Bytes of the shared blocks' plain text (to size the event's buffer).
    shared_len: usize,
}

impl Headers {
    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            parts: Vec::with_capacity(n),
            shared_len: 0,
        }
    }

    pub fn push(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) {
        self.parts.push(Part::One((name.into(), value.into())));
    }

    /// Appends every header of a shared block.
    pub fn push_block(&mut self, block: Arc<Block>) {
        self.shared_len += block.plain.len();
        self.parts.push(Part::Shared(block));
    }

    /// Every header in order, name and value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.parts.iter().flat_map(|p| {
            let (one, block) = match p {
                Part::One((k, v)) => (Some((k.as_ref(), v.as_ref())), None),
                Part::Shared(b) => (None, Some(b.iter())),
            };
            one.into_iter().chain(block.into_iter().flatten())
        })
    }

    /// The value of the first header with this name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Appends the plain `Name: value` lines: shared blocks as encoded when they were made.
    pub fn write_plain(&self, out: &mut String) {
        out.reserve(self.shared_len + (self.parts.len() * 40));
        for p in &self.parts {
            match p {
                Part::One((k, v)) => plain_line(out, k, v),
                Part::Shared(b) => out.push_str(&b.plain),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::encode::plain_body;

    fn sample() -> Headers {
        let mut h = Headers::default();
        h.push("Event-Name", "CHANNEL_ANSWER");
        let mut b = Block::default();
        b.add(&["Caller-", "Caller-ID-Name"], "Иван Petrov");
        b.add(&["Caller-Username"], "");
        h.push_block(Arc::new(b));
        h.push("variable_x", "a:b".to_string());
        h
    }

    #[test]
    fn blocks_encode_like_single_headers() {
        let h = sample();
        let mut plain = String::new();
        h.write_plain(&mut plain);
        let pairs: Vec<(&str, &str)> = h.iter().collect();
        let mut expected = plain_body(pairs.iter().copied(), None);
        expected.pop(); // plain_body ends with the blank line
        assert_eq!(plain, expected);
        assert_eq!(pairs.len(), 4);
    }

    #[test]
    fn lookup_spans_blocks_case_insensitively() {
        let h = sample();
        assert_eq!(h.get("caller-username"), Some(""));
        assert_eq!(h.get("Caller-Caller-ID-Name"), Some("Иван Petrov"));
        assert_eq!(h.get("VARIABLE_X"), Some("a:b"));
        assert_eq!(h.get("Event-Name"), Some("CHANNEL_ANSWER"));
        assert_eq!(h.get("nope"), None);
    }
}
