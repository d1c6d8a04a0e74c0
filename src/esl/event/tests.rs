//! Tests of event parsing on hand-made bodies; the captures are covered in tests/esl_captures.rs.

use bytes::Bytes;

use super::*;

#[test]
fn plain_with_inner_body_and_repeats() {
    let data = Bytes::from_static(
        b"Event-Name: BACKGROUND_JOB\nJob-UUID: j%2D1\nHangup-Cause: A\nHangup-Cause: B\nvariable_x: _undef_\nContent-Length: 10\n\n+OK abc\n\nzz",
    );
    let e = Event::parse(data, EventFormat::Plain).unwrap();
    assert_eq!(e.event_name().unwrap(), "BACKGROUND_JOB");
    assert_eq!(e.job_uuid().unwrap(), "j-1");
    assert_eq!(e.hangup_cause().unwrap(), "A");
    assert_eq!(e.variable("x"), None);
    assert_eq!(e.get("variable_x").unwrap(), "_undef_");
    assert_eq!(e.body_text().unwrap(), "+OK abc\n\nz");
    assert_eq!(e.unique_id(), None);
}

#[test]
fn plain_inner_length_past_the_end_is_an_error() {
    let data = Bytes::from_static(b"Event-Name: X\nContent-Length: 99\n\nabc");
    assert!(matches!(
        Event::parse(data, EventFormat::Plain),
        Err(EventError::BadInnerLength { available: 3, .. })
    ));
}

#[test]
fn json_keeps_repeated_keys_arrays_and_body() {
    let data = br#"{"Event-Name":"CUSTOM","A":"1","A":"2","Arr":["x","y"],"N":5,"Content-Length":"3","_body":"h\ni"}"#;
    let e = Event::parse(Bytes::from_static(data), EventFormat::Json).unwrap();
    assert_eq!(e.headers().get_all("A").collect::<Vec<_>>(), ["1", "2"]);
    assert_eq!(e.get("Arr").unwrap(), "ARRAY::x|:y");
    assert_eq!(e.get("N").unwrap(), "5");
    assert_eq!(e.body_text().unwrap(), "h\ni");
    assert_eq!(e.headers().position("_body"), None);
    assert!(Event::parse(Bytes::from_static(b"[1]"), EventFormat::Json).is_err());
}

#[test]
fn xml_unescapes_then_percent_decodes() {
    let data = b"<event>\n  <headers>\n    <Event-Name>CUSTOM</Event-Name>\n    <V>a%20%26&amp;&lt;b&#65;</V>\n    <E/>\n  </headers>\n  <Content-Length>4</Content-Length>\n  <body>x&lt;%20</body>\n</event>";
    let e = Event::parse(Bytes::from_static(data), EventFormat::Xml).unwrap();
    assert_eq!(e.event_name().unwrap(), "CUSTOM");
    assert_eq!(e.get("V").unwrap(), "a &&<bA");
    assert_eq!(e.get("E").unwrap(), "");
    assert_eq!(e.get("Content-Length").unwrap(), "4");
    assert_eq!(e.body_text().unwrap(), "x<%20");
    assert!(Event::parse(Bytes::from_static(b"<event><A>1</event>"), EventFormat::Xml).is_err());
}
