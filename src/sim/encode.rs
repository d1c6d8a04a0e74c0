//! How FreeSWITCH writes things on the wire: `%XX` value encoding (PROTOCOL.md §2) and the three
//! event serializations (plain, json, xml), plus the fixed reply frames. Written from the
//! protocol reference and the captures, independently of the esl client's parser.

use std::fmt::Write as _;

/// Bytes FreeSWITCH's url encoder escapes besides controls and non-ASCII (PROTOCOL.md §2).
const ESCAPED: &[u8] = b" #%&+:;<=>?@[\\]^`{|}\"";

/// For each byte, whether it is written as `%XX`: controls, non-ASCII and [`ESCAPED`].
const ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b > 0x7e;
        b += 1;
    }
    let mut i = 0;
    while i < ESCAPED.len() {
        t[ESCAPED[i] as usize] = true;
        i += 1;
    }
    t
};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_upper_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}

/// Percent-encodes a header value the way `text/event-plain` does. An empty value is `_undef_`;
/// a `%` that already starts an uppercase `%XX` is left alone (no double encoding). Runs of
/// bytes that need no escape are copied whole.
pub fn url_encode_into(out: &mut String, value: &str) {
    if value.is_empty() {
        out.push_str("_undef_");
        return;
    }
    let bytes = value.as_bytes();
    // Start of the run not yet copied. Every byte >= 0x80 is escaped, so a run that is not
    // empty is printable ASCII and both of its ends are char boundaries.
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !ESCAPE[usize::from(b)] {
            continue;
        }
        let already = b == b'%'
            && bytes.get(i + 1).copied().is_some_and(is_upper_hex)
            && bytes.get(i + 2).copied().is_some_and(is_upper_hex);
        if already {
            continue;
        }
        if run < i {
            out.push_str(&value[run..i]);
        }
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
        run = i + 1;
    }
    if run < bytes.len() {
        out.push_str(&value[run..]);
    }
}

/// Convenience wrapper around [`url_encode_into`].
pub fn url_encode(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 8);
    url_encode_into(&mut s, value);
    s
}

/// The serialization a listener asked for with `event plain|json|xml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Plain,
    Json,
    Xml,
}

impl Format {
    pub fn parse(word: &str) -> Option<Format> {
        match word.to_ascii_lowercase().as_str() {
            "plain" => Some(Format::Plain),
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }
    fn content_type(self) -> &'static str {
        match self {
            Format::Plain => "text/event-plain",
            Format::Json => "text/event-json",
            Format::Xml => "text/event-xml",
        }
    }
}

/// One `Name: value` line of a plain event, the value encoded.
pub fn plain_line(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    url_encode_into(out, value);
    out.push('\n');
}

/// What follows a plain event's header lines: a blank line, or `Content-Length: M`, a blank
/// line and the body.
pub fn plain_end(out: &mut String, body: Option<&str>) {
    if let Some(b) = body {
        let _ = write!(out, "Content-Length: {}\n\n", b.len());
        out.push_str(b);
    } else {
        out.push('\n');
    }
}

/// The inner text of a plain event: encoded `Name: value` lines, then [`plain_end`].
pub fn plain_body<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: Option<&str>,
) -> String {
    let mut s = String::with_capacity(4096 + body.map_or(0, str::len));
    for (k, v) in headers {
        plain_line(&mut s, k, v);
    }
    plain_end(&mut s, body);
    s
}

/// The inner text of a JSON event: one compact object, every value a JSON string, the body as
/// `Content-Length` + `_body`. Repeated header names stay repeated, as cJSON writes them.
pub fn json_body<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: Option<&str>,
) -> String {
    let mut s = String::with_capacity(4096);
    s.push('{');
    let mut first = true;
    let mut pair = |s: &mut String, k: &str, v: &str| {
        if !first {
            s.push(',');
        }
        first = false;
        json_string(s, k);
        s.push(':');
        json_string(s, v);
    };
    for (k, v) in headers {
        pair(&mut s, k, v);
    }
    if let Some(b) = body {
        pair(&mut s, "Content-Length", &b.len().to_string());
        pair(&mut s, "_body", b);
    }
    s.push('}');
    s
}

fn json_string(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The inner text of an XML event as `switch_event_xmlize` lays it out.
pub fn xml_body<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: Option<&str>,
) -> String {
    let mut s = String::with_capacity(4096);
    s.push_str("<event>\n  <headers>\n");
    for (k, v) in headers {
        s.push_str("    <");
        s.push_str(k);
        s.push('>');
        url_encode_into(&mut s, v);
        s.push_str("</");
        s.push_str(k);
        s.push_str(">\n");
    }
    s.push_str("  </headers>\n");
    if let Some(b) = body {
        let _ = writeln!(s, "  <Content-Length>{}</Content-Length>", b.len());
        s.push_str("  <body>");
        xml_escape(&mut s, b);
        s.push_str("</body>\n");
    }
    s.push_str("</event>\n");
    s
}

fn xml_escape(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Wraps an inner event text in its outer frame (`Content-Length` first, as FreeSWITCH does).
pub fn event_frame(format: Format, inner: &str) -> Vec<u8> {
    let mut s = String::with_capacity(inner.len() + 64);
    let _ = write!(
        s,
        "Content-Length: {}\nContent-Type: {}\n\n",
        inner.len(),
        format.content_type()
    );
    s.push_str(inner);
    s.into_bytes()
}

/// `Content-Type: command/reply` with a raw (not encoded) Reply-Text and extra headers.
pub fn command_reply(text: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut s = format!("Content-Type: command/reply\nReply-Text: {text}\n");
    for (k, v) in extra {
        let _ = writeln!(s, "{k}: {v}");
    }
    s.push('\n');
    s.into_bytes()
}

/// `Content-Type: api/response` with the body.
pub fn api_response(body: &str) -> Vec<u8> {
    format!(
        "Content-Type: api/response\nContent-Length: {}\n\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The body of the goodbye notice.
pub const GOODBYE: &str = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";

/// The notice FreeSWITCH sends before closing; outbound sessions name their channel.
pub fn disconnect_notice(controlled_uuid: Option<&str>, body: &str) -> Vec<u8> {
    let mut s = String::from("Content-Type: text/disconnect-notice\n");
    if let Some(u) = controlled_uuid {
        let _ = write!(
            s,
            "Controlled-Session-UUID: {u}\nContent-Disposition: disconnect\n"
        );
    }
    let _ = write!(s, "Content-Length: {}\n\n{body}", body.len());
    s.into_bytes()
}

/// The linger notice of an outbound session whose channel hung up (raw Channel-Name).
pub fn linger_notice(uuid: &str, channel_name: &str, linger: i64) -> Vec<u8> {
    format!(
        "Content-Type: text/disconnect-notice\nControlled-Session-UUID: {uuid}\n\
         Content-Disposition: linger\nChannel-Name: {channel_name}\nLinger-Time: {linger}\n\
         Content-Length: 0\n\n"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_captures() {
        assert_eq!(url_encode("#"), "%23");
        assert_eq!(
            url_encode("sofia/internal/1001@172.16.50.134"),
            "sofia/internal/1001%40172.16.50.134"
        );
        assert_eq!(url_encode("+OK\n"), "%2BOK%0A");
        assert_eq!(url_encode("FILE PLAYED"), "FILE%20PLAYED");
        assert_eq!(url_encode(""), "_undef_");
        assert_eq!(url_encode("ARRAY::1002|:1002"), "ARRAY%3A%3A1002%7C%3A1002");
        assert_eq!(url_encode("a,b'(c)!*-._~/"), "a,b'(c)!*-._~/");
        assert_eq!(url_encode("%25 %(10"), "%25%20%25(10");
        assert_eq!(url_encode("%2b"), "%252b");
        assert_eq!(url_encode("Привет"), "%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82");
        assert_eq!(url_encode("{a=1}"), "%7Ba%3D1%7D");
    }

    #[test]
    fn plain_body_with_inner_body() {
        let h = [
            ("Event-Name", "BACKGROUND_JOB"),
            ("Job-Command", "originate"),
        ];
        let s = plain_body(h, Some("+OK x\n"));
        assert_eq!(
            s,
            "Event-Name: BACKGROUND_JOB\nJob-Command: originate\nContent-Length: 6\n\n+OK x\n"
        );
        let f = event_frame(Format::Plain, &s);
        assert!(f.starts_with(format!("Content-Length: {}\n", s.len()).as_bytes()));
    }

    #[test]
    fn json_and_xml() {
        let h = [("Event-Name", "X"), ("A", "a b\"")];
        assert_eq!(
            json_body(h, Some("ok\n")),
            r#"{"Event-Name":"X","A":"a b\"","Content-Length":"3","_body":"ok\n"}"#
        );
        let x = xml_body(h, None);
        assert_eq!(
            x,
            "<event>\n  <headers>\n    <Event-Name>X</Event-Name>\n    <A>a%20b%22</A>\n  </headers>\n</event>\n"
        );
    }

    /// The encoder as first written, byte by byte: the table-driven one must agree with it.
    fn reference(value: &str) -> String {
        if value.is_empty() {
            return "_undef_".into();
        }
        let bytes = value.as_bytes();
        let mut out = String::new();
        for (i, &b) in bytes.iter().enumerate() {
            let already = b == b'%'
                && bytes.get(i + 1).copied().is_some_and(is_upper_hex)
                && bytes.get(i + 2).copied().is_some_and(is_upper_hex);
            if !already && (!(0x20..=0x7e).contains(&b) || ESCAPED.contains(&b)) {
                let _ = write!(out, "%{b:02X}");
            } else {
                out.push(char::from(b));
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn table_encoder_matches_the_byte_rule(v in "(\\PC|[%0-9A-Fa-f \\t\\n:@|{}]){0,40}") {
            proptest::prop_assert_eq!(url_encode(&v), reference(&v));
        }
    }

    #[test]
    fn every_single_char_encodes_like_the_byte_rule() {
        for c in (0u32..0x800).filter_map(char::from_u32) {
            for v in [
                c.to_string(),
                format!("a{c}b"),
                format!("%{c}A"),
                format!("%A{c}"),
            ] {
                assert_eq!(url_encode(&v), reference(&v), "{v:?}");
            }
        }
    }
}
