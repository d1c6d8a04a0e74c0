//! `text/event-xml`: `<event><headers><Name>value</Name>…</headers>` plus, for an event with a
//! body, `<Content-Length>` and `<body>` under `<event>`. Header values are XML-escaped and
//! percent-encoded (FreeSWITCH's `add_xml_header`); the body is only XML-escaped.

use bytes::Bytes;

use super::{Event, EventError};
use crate::esl::command::EventFormat;
use crate::esl::headers::{percent_decode, Headers};

fn err(msg: impl Into<String>) -> EventError {
    EventError::Xml(msg.into())
}

/// Parses an XML event: every leaf element is a header in document order, `<body>` the body.
pub(super) fn parse(data: &[u8]) -> Result<Event, EventError> {
    let text = std::str::from_utf8(data).map_err(|e| err(e.to_string()))?;
    let mut rest = text;
    let mut pairs = Vec::new();
    let mut body = None;
    let mut saw_event = false;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let gt = rest.find('>').ok_or_else(|| err("unterminated tag"))?;
        let tag = &rest[..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with(['/', '?', '!']) {
            continue;
        }
        let empty = tag.ends_with('/');
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("");
        if name.is_empty() {
            return Err(err("empty tag name"));
        }
        if matches!(name, "event" | "headers") {
            saw_event |= name == "event";
            continue;
        }
        let raw = if empty {
            ""
        } else {
            let close = format!("</{name}>");
            let end = rest
                .find(&close)
                .ok_or_else(|| err(format!("<{name}> is not closed")))?;
            let raw = &rest[..end];
            rest = &rest[end + close.len()..];
            raw
        };
        if name == "body" {
            body = Some(Bytes::from(unescape(raw)?));
        } else {
            let value = percent_decode(unescape(raw)?.as_bytes()).into_owned();
            pairs.push((name.to_owned(), value));
        }
    }
    if !saw_event {
        return Err(err("no <event> element"));
    }
    Ok(Event::new(
        Headers::from_pairs(pairs),
        body,
        EventFormat::Xml,
    ))
}

/// Replaces the five named entities and numeric character references.
fn unescape(s: &str) -> Result<String, EventError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest.find(';').ok_or_else(|| err("unterminated entity"))?;
        let ent = &rest[1..semi];
        let c = match ent {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => numeric(ent).ok_or_else(|| err(format!("unknown entity &{ent};")))?,
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn numeric(ent: &str) -> Option<char> {
    let n = ent.strip_prefix('#')?;
    let code = match n.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => n.parse().ok()?,
    };
    char::from_u32(code)
}
