//! Property tests of the application builders (`esl::command::app`): for arbitrary Unicode
//! (and strings dense in FreeSWITCH syntax) placed where subscriber data goes, the argument the
//! builder makes, read the way FreeSWITCH reads it, is exactly one argument of the intended
//! shape with no expansion: FreeSWITCH's expander (`switch_channel_expand_variables_check`)
//! returns a string untouched unless `switch_string_var_check_const` or
//! `switch_string_has_escaped_data` fires (the simulator's `needs_expansion`, transcribed from
//! switch_utils.h), and the simulator's expander, which models the rest of it, must change
//! nothing.

#[path = "esl_fs_model/mod.rs"]
mod fs;

use outcall::esl::command::app::{self, DigitsPrompt};
use proptest::prelude::*;

/// The argument reaches the application exactly as sent, and the core reads no `%[…]` scope.
#[track_caller]
fn inert(arg: &str) {
    // switch_string_var_check_const or switch_string_has_escaped_data would start expansion.
    assert!(
        !outcall::sim::expand::needs_expansion(arg),
        "expandable: {arg:?}"
    );
    assert!(!arg.starts_with('%'), "scope block: {arg:?}");
    assert!(!arg.chars().any(char::is_control), "control: {arg:?}");
    let mut seen = Seen(Vec::new());
    let out = outcall::sim::expand::expand(arg, &mut seen);
    assert_eq!(out, arg, "the simulator's expander changed it");
    assert!(seen.0.is_empty(), "looked up: {:?}", seen.0);
}

/// Records every variable and inline API the expander would resolve.
struct Seen(Vec<String>);

impl outcall::sim::expand::Resolver for Seen {
    fn var(&mut self, name: &str, _idx: Option<usize>) -> Option<String> {
        self.0.push(format!("var {name}"));
        Some("VALUE".into())
    }
    fn api(&mut self, command: &str, args: &str) -> Option<String> {
        self.0.push(format!("api {command} {args}"));
        Some("RESULT".into())
    }
}

fn fsyntax() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => any::<char>().prop_map(|c| c.to_string()),
        3 => prop::sample::select(vec![
            "${", "$${", "}", "{", "$", "\\", "\\$", "\\'", "'", "|", ",", "^^:", "[", "]", "@",
            "/", "..", "+", " ", "\n", "\r", "\0", "\u{1b}[31m", "%[", "=", "system(touch x)",
            "uuid", "Иванов", "68.27",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

fn data() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), fsyntax()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn speak_text_is_one_inert_argument(text in data()) {
        match app::speak("tts_commandline", "ru", &text) {
            Ok(call) => {
                inert(call.arg());
                // speak_function: split at `|` into at most 3; the text is the unstripped rest.
                let parts = fs::split_char(call.arg().as_bytes(), b'|', 3);
                prop_assert_eq!(parts.len(), 3);
                prop_assert_eq!(&parts[0], b"tts_commandline");
                prop_assert_eq!(&parts[1], b"ru");
                let rest = &call.arg()["tts_commandline|ru|".len()..];
                prop_assert_eq!(rest, app::spoken(&text));
                // Text without syntax or controls is spoken exactly as written.
                if !text.contains("${") && !text.contains('\\') && !text.chars().any(char::is_control) {
                    prop_assert_eq!(rest, text.as_str());
                }
            }
            Err(_) => prop_assert!(app::spoken(&text).trim().is_empty()),
        }
    }

    #[test]
    fn set_value_is_inert(value in data()) {
        let call = app::set("outcall_note", &value).unwrap();
        inert(call.arg());
        prop_assert_eq!(call.arg().split_once('=').unwrap().0, "outcall_note");
    }

    #[test]
    fn paths_hold_one_file_in_their_folder(value in data()) {
        let path = format!("/var/rec/{}.wav", app::path_part(&value));
        let call = app::record_session(&path, Some(60)).unwrap();
        inert(call.arg());
        // record_session: switch_split at spaces: the path, then `+<limit>`.
        let words: Vec<&str> = call.arg().split(' ').collect();
        prop_assert_eq!(words.len(), 2);
        prop_assert_eq!(words[0], path.as_str());
        prop_assert_eq!(words[1], "+60");
        prop_assert_eq!(path.matches('/').count(), 3);
        prop_assert!(!path.contains(".."));
        let play = app::playback(&path).unwrap();
        inert(play.arg());
    }

    #[test]
    fn raw_paths_are_inert_or_refused(path in data()) {
        if let Ok(call) = app::record_session(&path, None) {
            inert(call.arg());
            prop_assert_eq!(fs::split_blank(call.arg().as_bytes(), 8).len(), 1);
            prop_assert!(!call.arg().contains('+'));
            prop_assert!(!call.arg().split('/').any(|p| p == ".."));
        }
    }

    #[test]
    fn say_text_is_one_word_or_refused(text in data()) {
        if let Ok(call) = app::say("ru", "CURRENCY", "pronounced", None, &text) {
            inert(call.arg());
            let words = fs::split_blank(call.arg().as_bytes(), 5);
            prop_assert_eq!(words.len(), 4);
            prop_assert_eq!(&words[3], text.as_bytes());
        }
    }

    #[test]
    fn dial_values_add_no_leg_host_or_block(value in data()) {
        if let Ok(v) = app::dial_part(&value) {
            let dial = format!("user/{v}");
            let call = app::bridge(&[("leg_timeout", "30")], &dial).unwrap();
            inert(call.arg());
            prop_assert_eq!(call.arg(), format!("{{leg_timeout=30}}{dial}"));
            let breaks_out = v.contains([',', '|', '@', '/', '{', '}', '[', ']', ' ', '\'']);
            prop_assert!(!breaks_out, "dial part {:?}", v);
        }
        if let Ok(target) = app::dial_target("sofia/gateway/gw/{number}", &value) {
            prop_assert!(target["sofia/gateway/gw/".len()..].bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn send_dtmf_sends_keys_or_is_refused(keys in data()) {
        if let Ok(call) = app::send_dtmf(&keys) {
            inert(call.arg());
            prop_assert!(!keys.is_empty() && keys.chars().all(|c| c.is_ascii_digit() || "*#ABCD".contains(c)));
            prop_assert_eq!(call.arg(), keys);
        }
    }

    #[test]
    fn sched_hangup_cause_is_one_token_or_refused(cause in data(), secs in 1u64..100_000) {
        if let Ok(call) = app::sched_hangup(secs, &cause) {
            inert(call.arg());
            let words = fs::split_blank(call.arg().as_bytes(), 4);
            prop_assert_eq!(words.len(), 2);
            prop_assert_eq!(&words[1], cause.as_bytes());
        }
    }

    #[test]
    fn timing_apps_are_numbers(ms in 0u32..1_000_000, hits in 0u32..100) {
        if let Ok(call) = app::sleep(ms) {
            prop_assert_eq!(call.arg(), ms.to_string());
        }
        if let Ok(call) = app::wait_for_silence(256, hits, hits, ms) {
            prop_assert!(call.arg().bytes().all(|b| b.is_ascii_digit() || b == b' '));
        }
    }

    #[test]
    fn digit_prompt_files_are_single_words(file in data()) {
        let p = DigitsPrompt {
            min: 1, max: 1, tries: 1, timeout_ms: 5000, terminators: "#",
            file: &file, invalid_file: "silence_stream://250",
            var: "outcall_digits", regex: "^(1|2)$",
        };
        if let Ok(call) = app::play_and_get_digits(&p) {
            inert(call.arg());
            let words = fs::split_blank(call.arg().as_bytes(), 16);
            prop_assert_eq!(words.len(), 9);
            prop_assert_eq!(&words[5], file.as_bytes());
        }
    }
}
