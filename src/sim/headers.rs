//! An event's headers in order: single headers owned by the event, and shared blocks (a
//! channel's caller profile, its other leg, its variables) that several events carry unchanged,
//! whose `text/event-plain` lines are encoded once when the block is made.

use std::borrow::Cow;
use std::sync::Arc;

use super::encode::plain_line;

/// Header name and value (mostly static names; static values where the value is a constant).
pub type Header = (Cow<'static, str>, Cow<'static, str>);

/// One header and its plain line, shared by the blocks that carry it.
#[derive(Debug)]
pub struct Line {
    name: Cow<'static, str>,
    value: Cow<'static, str>,
    plain: String,
}

impl Line {
    pub fn new(name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Line {
        let (name, value) = (name.into(), value.into());
        let mut plain = String::with_capacity(name.len() + value.len() + 4);
        plain_line(&mut plain, &name, &value);
        Line { name, value, plain }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Headers shared by several events, with their plain encoding.
#[derive(Debug)]
pub struct Block {
    lines: Vec<Arc<Line>>,
    plain: String,
}

impl Block {
    pub fn new(headers: Vec<Header>) -> Block {
        let lines = headers
            .into_iter()
            .map(|(k, v)| Arc::new(Line::new(k, v)))
            .collect();
        Block::from_lines(lines)
    }

    /// A block of lines already encoded (a channel's variables: one changes at a time).
    pub fn from_lines(lines: Vec<Arc<Line>>) -> Block {
        let plain = lines.iter().map(|l| l.plain.as_str()).collect();
        Block { lines, plain }
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
                Part::Shared(b) => (None, Some(b.lines.iter().map(|l| (l.name(), l.value())))),
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
        h.push_block(Arc::new(Block::new(vec![
            ("Caller-Caller-ID-Name".into(), "Иван Petrov".into()),
            ("Caller-Username".into(), String::new().into()),
        ])));
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
        assert_eq!(h.get("VARIABLE_X"), Some("a:b"));
        assert_eq!(h.get("Event-Name"), Some("CHANNEL_ANSWER"));
        assert_eq!(h.get("nope"), None);
    }
}
