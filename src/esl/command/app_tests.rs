use super::*;

#[test]
fn spoken_text_keeps_real_names_and_amounts() {
    for s in [
        "Здравствуйте, Иван Петрович.",
        "O'Brien owes $5.20",
        "Ваш долг 1 234,56 руб. | оплатите",
        "a $ sign, {braces} and 100%",
    ] {
        assert_eq!(spoken(s), s);
    }
}

#[test]
fn spoken_text_breaks_every_expansion() {
    let cases = [
        ("${system(touch x)}", "$ {system(touch x)}"),
        ("$${hostname}", "$$ {hostname}"),
        ("x}${uuid}{", "x}$ {uuid}{"),
        ("\\${uuid}", " $ {uuid}"),
        ("$\\{uuid}", "$ {uuid}"),
        ("$\\'{uuid}", "$ '{uuid}"),
        ("a\r\nb\0c\x1b[31m", "a  b c [31m"),
    ];
    for (input, want) in cases {
        let out = spoken(input);
        assert_eq!(out, want, "{input:?}");
        assert!(!out.contains("${") && !out.contains('\\'), "{out:?}");
    }
}

#[test]
fn speak_keeps_engine_and_voice_apart_from_text() {
    let c = speak("tts_commandline", "ru", "Здравствуйте, ${uuid}|x").unwrap();
    assert_eq!(c.app(), "speak");
    assert_eq!(c.arg(), "tts_commandline|ru|Здравствуйте, $ {uuid}|x");
    assert!(speak("tts|x", "ru", "hi").is_err());
    assert!(speak("tts", "r u", "hi").is_err());
    assert!(speak("tts", "ru", " \r\n").is_err());
}

#[test]
fn paths_stay_in_their_folder() {
    assert_eq!(path_part("../traversed"), "___traversed");
    assert_eq!(path_part("a +1 b"), "a__1_b");
    assert_eq!(path_part("Иванов И.И."), "Иванов_И_И_");
    assert_eq!(path_part("${uuid}"), "__uuid_");
    assert_eq!(path_part(""), "_");
    assert!(check_path("p", "/var/rec/a_b.wav").is_ok());
    for bad in [
        "/var/rec/../x.wav",
        "/var/rec/a +1",
        "/var/rec/a+1.wav",
        "/var/rec/${uuid}.wav",
        "/var/rec/a\\b.wav",
        "{x=y}/var/rec/a.wav",
        "%[x=y]/var/rec/a.wav",
        "",
        "/var/rec/it's.wav",
    ] {
        assert!(check_path("p", bad).is_err(), "{bad:?}");
    }
    let r = record_session("/var/rec/1.wav", Some(30)).unwrap();
    assert_eq!((r.app(), r.arg()), ("record_session", "/var/rec/1.wav +30"));
    assert!(record_session("/var/rec/a +1 b.wav", None).is_err());
}

#[test]
fn dial_parts_and_targets() {
    assert_eq!(dial_part("1001").unwrap(), "1001");
    assert_eq!(dial_part("+7916*1#").unwrap(), "+7916*1#");
    for bad in [
        "a@b", "x/y", "1,2", "1|2", "{a=b}", "", "1 2", "${uuid}", "^^:",
    ] {
        assert!(dial_part(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        dial_target("sofia/gateway/gw/{number}", "+79161234567").unwrap(),
        "sofia/gateway/gw/79161234567"
    );
    for bad in ["79x", "", "+", "7916 1", "7916,1"] {
        assert!(
            dial_target("sofia/gateway/gw/{number}", bad).is_err(),
            "{bad:?}"
        );
    }
    assert!(dial_target("sofia/gateway/gw/", "7916").is_err());
    assert!(dial_target("sofia/${x}/{number}", "7916").is_err());
}

#[test]
fn say_text_is_one_plain_word() {
    let s = say("ru", "CURRENCY", "pronounced", None, "68.27").unwrap();
    assert_eq!(s.arg(), "ru CURRENCY pronounced 68.27");
    let s = say("ru", "NUMBER", "pronounced", Some("FEMININE"), "21").unwrap();
    assert_eq!(s.arg(), "ru NUMBER pronounced FEMININE 21");
    for bad in ["1 234", "${uuid}", "6'8", "", "a\\b", "1\n2"] {
        assert!(
            say("ru", "NUMBER", "pronounced", None, bad).is_err(),
            "{bad:?}"
        );
    }
    assert!(say("ru x", "NUMBER", "pronounced", None, "1").is_err());
}

#[test]
fn digits_prompt_checks_every_word() {
    let p = DigitsPrompt {
        min: 1,
        max: 1,
        tries: 3,
        timeout_ms: 5000,
        terminators: "#",
        file: "silence_stream://250",
        invalid_file: "silence_stream://250",
        var: "outcall_digits",
        regex: "^(1|2|\\*)$",
    };
    assert_eq!(
        play_and_get_digits(&p).unwrap().arg(),
        "1 1 3 5000 # silence_stream://250 silence_stream://250 outcall_digits ^(1|2|\\*)$"
    );
    let bad_file = DigitsPrompt {
        file: "/snd/a b.wav",
        ..p.clone()
    };
    assert!(play_and_get_digits(&bad_file).is_err());
    let bad_regex = DigitsPrompt {
        regex: "^(1|${x})$",
        ..p.clone()
    };
    assert!(play_and_get_digits(&bad_regex).is_err());
    let bad_terms = DigitsPrompt {
        terminators: "# 1",
        ..p.clone()
    };
    assert!(play_and_get_digits(&bad_terms).is_err());
}

#[test]
fn bridge_escapes_its_variables() {
    let b = bridge(&[("leg_timeout", "30")], "user/1001").unwrap();
    assert_eq!(b.arg(), "{leg_timeout=30}user/1001");
    let b = bridge(
        &[
            ("leg_timeout", "30"),
            ("origination_caller_id_number", "+7495"),
        ],
        "user/1001",
    )
    .unwrap();
    assert_eq!(
        b.arg(),
        "{leg_timeout=30,origination_caller_id_number=+7495}user/1001"
    );
    assert!(bridge(&[("origination_caller_id_name", "A, B")], "user/1001").is_err());
    assert!(bridge(&[("x", "${uuid}")], "user/1001").is_err());
    assert!(bridge(&[], "user/1 001").is_err());
    assert!(bridge(&[], "{a=b}user/1001").is_err());
    assert_eq!(bridge(&[], "user/1001").unwrap().arg(), "user/1001");
}

#[test]
fn set_and_hangup() {
    assert_eq!(
        set("greeting", "${uuid}").unwrap().arg(),
        "greeting=$ {uuid}"
    );
    assert!(set("a b", "x").is_err());
    assert_eq!(hangup("NORMAL_CLEARING").unwrap().arg(), "NORMAL_CLEARING");
    assert!(hangup("A B").is_err());
    assert_eq!(playback("/snd/a.wav").unwrap().arg(), "/snd/a.wav");
    assert!(playback("/snd/${x}.wav").is_err());
}

#[test]
fn gateway_from_dial_string() {
    assert_eq!(gateway_of("sofia/gateway/demo/79001"), Some("demo"));
    assert_eq!(gateway_of("{a=b}sofia/gateway/gw1/{number}"), Some("gw1"));
    assert_eq!(gateway_of("user/1000@example"), None);
}

#[test]
fn menu_regex_and_kill_args() {
    assert_eq!(digits_regex(&["1", "2", "*9"]).unwrap(), "^(1|2|\\*9)$");
    assert!(digits_regex(&["1", "a"]).is_err());
    assert!(digits_regex(&[]).is_err());
    assert_eq!(
        uuid_kill_args("abc-1", "NORMAL_CLEARING").unwrap(),
        "abc-1 NORMAL_CLEARING"
    );
    assert!(uuid_kill_args("abc 1", "X").is_err());
}
