//! `text/event-json`: one object of string (or string-array) values. Parsed with a serde
//! visitor so repeated keys are kept in order, which `serde_json::Value` would merge.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Event, EventError};
use crate::esl::command::EventFormat;
use crate::esl::headers::Headers;

/// A JSON value as FreeSWITCH writes it: a string, or an array of strings for multi-valued
/// headers. Numbers, booleans and null are accepted and rendered as text.
struct Text(String);

impl<'de> de::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
        Ok(Text(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
        Ok(Text(String::new()))
    }
    /// Arrays become FreeSWITCH's plain-format spelling `ARRAY::a|:b`.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
        let mut out = String::from("ARRAY::");
        let mut first = true;
        while let Some(Text(item)) = seq.next_element()? {
            if !first {
                out.push_str("|:");
            }
            first = false;
            out.push_str(&item);
        }
        Ok(Text(out))
    }
}

struct Pairs(Vec<(String, String)>);

impl<'de> de::Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PairsVisitor)
    }
}

struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = Pairs;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
        let mut v = Vec::with_capacity(map.size_hint().unwrap_or(64));
        while let Some((k, Text(val))) = map.next_entry::<String, Text>()? {
            v.push((k, val));
        }
        Ok(Pairs(v))
    }
}

/// Parses a JSON event; `_body` becomes the body, every other key a header, in order.
pub(super) fn parse(data: &[u8]) -> Result<Event, EventError> {
    let Pairs(mut pairs) =
        serde_json::from_slice(data).map_err(|e| EventError::Json(e.to_string()))?;
    let mut body = None;
    pairs.retain_mut(|(k, v)| {
        if k == "_body" {
            if body.is_none() {
                body = Some(Bytes::from(std::mem::take(v)));
            }
            false
        } else {
            true
        }
    });
    Ok(Event::new(
        Headers::from_pairs(pairs),
        body,
        EventFormat::Json,
    ))
}
