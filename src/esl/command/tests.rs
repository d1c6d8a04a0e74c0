//! Tests of the command builders; the property test is in tests/esl_injection.rs.

use super::*;

fn wire(c: &Command) -> &str {
    std::str::from_utf8(c.as_bytes()).unwrap()
}

#[test]
fn builds_the_documented_wire_forms() {
    assert_eq!(wire(&auth("ClueCon").unwrap()), "auth ClueCon\n\n");
    assert_eq!(wire(&api("status", "").unwrap()), "api status\n\n");
    assert_eq!(
        wire(&bgapi("originate", "x &park()", Some("j-1")).unwrap()),
        "bgapi originate x &park()\nJob-UUID: j-1\n\n"
    );
    assert_eq!(
        wire(&event(EventFormat::Plain, &["CHANNEL_ANSWER", "BACKGROUND_JOB"]).unwrap()),
        "event plain CHANNEL_ANSWER BACKGROUND_JOB\n\n"
    );
    assert_eq!(
        wire(&execute(Some("u1"), "playback", "/tmp/a b.wav", Some("e1"), true).unwrap()),
        "sendmsg u1\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /tmp/a b.wav\nEvent-UUID: e1\nevent-lock: true\n\n"
    );
    assert_eq!(
        wire(&hangup(Some("u1"), "NORMAL_CLEARING").unwrap()),
        "sendmsg u1\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"
    );
    assert_eq!(
        wire(&sendmsg(None, &[("call-command", "x")], Some(b"ab")).unwrap()),
        "sendmsg\ncall-command: x\ncontent-length: 2\n\nab"
    );
    assert_eq!(auth("pw").unwrap().summary(), "auth <hidden>");
}

#[test]
fn refuses_line_breaks_everywhere() {
    assert!(matches!(
        api("status", "a\nb"),
        Err(CommandError::LineBreak { .. })
    ));
    assert!(api("sta tus", "").is_err());
    assert!(bgapi("originate", "x", Some("j\r")).is_err());
    assert!(execute(Some("u"), "playback", "f\n\napi x", None, false).is_err());
    assert!(execute(Some("u u"), "playback", "f", None, false).is_err());
    assert!(filter("Unique-ID", "a\rb").is_err());
    assert!(sendmsg(None, &[("Content-Length", "1")], None).is_err());
    assert!(auth("pw\n\napi x").is_err());
}

#[test]
fn originate_values_are_escaped() {
    let vars = [
        ("origination_uuid", "u-1"),
        ("contact_name", "Ivanov, Ivan \"Vanya\" {x}"),
    ];
    assert_eq!(
        originate_args(&vars, "sofia/gateway/gw/79001234567", "&park()").unwrap(),
        r#"{origination_uuid=u-1,contact_name=Ivanov\,\sIvan\s"Vanya"\s{x}}sofia/gateway/gw/79001234567 &park()"#
    );
    for bad in [
        "x}y",
        "O'Brien",
        "a\\b",
        " lead",
        "trail ",
        "${system(x)}",
        "a\nb",
    ] {
        assert!(originate_vars(&[("a", bad)]).is_err(), "{bad:?} accepted");
    }
    assert!(originate_vars(&[("a=b", "1")]).is_err());
    assert!(originate_args(&[], "sofia/x y", "&park()").is_err());
    assert_eq!(
        originate_args(&[], "loopback/1", "&park()").unwrap(),
        "loopback/1 &park()"
    );
    assert!(check_data("name", "$${hold_music}").is_err());
    assert!(check_data("name", "Иванов $5").is_ok());
}
