//! The interpreter's issue-15 parts over the fake channel: a menu's tries repeating a spoken
//! prompt, `pause` and `dtmf` nodes, answering-machine detection and the `voicemail` node.

use super::*;
use crate::script::amd::{Amd, MachineWhy, OnMachine, Verdict};

fn apps(ch: &Fake) -> Vec<&str> {
    ch.calls.iter().map(|c| c.0.as_str()).collect()
}

fn menu_flow(invalid: &str) -> Script {
    script(&format!(
        r#"
start = "menu"
[nodes.menu]
type = "menu"
prompt = {{ text = "Нажмите 1" }}
{invalid}
digits = {{ "1" = "yes" }}
tries = 3
on_timeout = "bye"
on_invalid = "wrong"
[nodes.yes]
type = "hangup"
[nodes.bye]
type = "hangup"
cause = "NO_ANSWER"
[nodes.wrong]
type = "hangup"
cause = "CALL_REJECTED"
"#
    ))
}

#[tokio::test]
async fn a_menu_says_its_prompt_again_on_each_try() {
    // Nothing, then a wrong key, then 1: the prompt is said three times, and the
    // spoken `invalid` after each of the two failed tries.
    let flow = menu_flow("invalid = { text = \"Неверно\" }");
    flow.validate().unwrap();
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[])
        .answer(&[])
        .answer(&[("outcall_digits_invalid", "5")])
        .answer(&[])
        .answer(&[])
        .answer(&[("outcall_digits", "1")]);
    let out = run(&flow, &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["menu", "yes"]);
    assert_eq!(out.digits.as_deref(), Some("1"));
    let said: Vec<&str> = ch
        .calls
        .iter()
        .filter(|c| c.0 == "speak")
        .map(|c| c.1.rsplit('|').next().unwrap())
        .collect();
    assert_eq!(
        said,
        ["Нажмите 1", "Неверно", "Нажмите 1", "Неверно", "Нажмите 1"]
    );
    assert_eq!(
        apps(&ch)
            .iter()
            .filter(|a| **a == "play_and_get_digits")
            .count(),
        3
    );
}

#[tokio::test]
async fn a_menu_ends_by_its_last_try() {
    let flow = menu_flow("");
    let mut ch = Fake::default();
    let out = run(&flow, &settings(), &vars(), &mut ch).await;
    assert_eq!(
        out.trace,
        vec!["menu", "bye"],
        "nothing pressed in three tries"
    );
    assert_eq!(apps(&ch).len(), 6);
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[])
        .answer(&[])
        .answer(&[])
        .answer(&[("outcall_digits", "7")]);
    let out = run(&flow, &settings(), &vars(), &mut ch).await;
    assert_eq!(
        out.trace,
        vec!["menu", "wrong"],
        "the last entry was not a choice"
    );
    assert_eq!(out.digits.as_deref(), Some("7"));
    // A file prompt: play_and_get_digits replays it itself, once with all the tries.
    let file = script(
        "start = \"m\"\n[nodes.m]\ntype = \"menu\"\nprompt = { file = \"menu.wav\" }\ndigits = { \"1\" = \"e\" }\ntries = 3\non_timeout = \"e\"\n[nodes.e]\ntype = \"hangup\"",
    );
    let mut ch = Fake::default();
    run(&file, &settings(), &vars(), &mut ch).await;
    assert_eq!(
        ch.calls,
        vec![(
            "play_and_get_digits".to_string(),
            "1 1 3 5000 # menu.wav silence_stream://250 outcall_digits ^(1)$".to_string()
        )]
    );
}

#[tokio::test]
async fn pause_and_dtmf_send_what_the_switch_takes() {
    let flow = script(
        r#"
start = "wait"
[nodes.wait]
type = "pause"
ms = 1500
next = "ext"
[nodes.ext]
type = "dtmf"
digits = "{{EXT}}#"
next = "end"
[nodes.end]
type = "hangup"
"#,
    );
    flow.validate().unwrap();
    let mut v = vars();
    v.insert("EXT".into(), "1024".into());
    let mut ch = Fake::default();
    let out = run(&flow, &settings(), &v, &mut ch).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        ch.calls,
        vec![
            ("sleep".to_string(), "1500".to_string()),
            ("send_dtmf".to_string(), "1024#".to_string())
        ]
    );
    // A value that is not keys never reaches the switch.
    for bad in ["1024 ${system(id)}", "1@2", "1+1", "x"] {
        v.insert("EXT".into(), bad.into());
        let mut ch = Fake::default();
        let out = run(&flow, &settings(), &v, &mut ch).await;
        assert_eq!(apps(&ch), ["sleep"], "{bad:?}");
        assert!(out.error.unwrap().contains("send_dtmf"), "{bad:?}");
    }
}

#[test]
fn pause_and_dtmf_are_checked_at_load() {
    let end = "\nnext = \"e\"\n[nodes.e]\ntype = \"hangup\"";
    let bad = script(&format!(
        "start = \"a\"\n[nodes.a]\ntype = \"pause\"\nms = 0{end}"
    ));
    assert!(bad.validate().unwrap_err().contains("script.nodes.a.ms"));
    let bad = script(&format!(
        "start = \"a\"\n[nodes.a]\ntype = \"dtmf\"\ndigits = \"12x\"{end}"
    ));
    assert!(bad
        .validate()
        .unwrap_err()
        .contains("script.nodes.a.digits"));
}

fn amd_flow() -> Script {
    script(
        r#"
start = "hello"
[nodes.hello]
type = "speak"
text = "Здравствуйте"
[nodes.vm]
type = "voicemail"
wait = "20s"
next = "message"
on_no_beep = "bye"
[nodes.message]
type = "speak"
text = "Перезвоните нам"
[nodes.bye]
type = "hangup"
"#,
    )
}

fn with_amd(on_machine: OnMachine) -> RunSettings {
    let voicemail = (on_machine == OnMachine::Voicemail).then(|| "vm".to_string());
    RunSettings {
        amd: Some(Amd {
            on_machine,
            voicemail,
            ..Amd::default()
        }),
        ..RunSettings::default()
    }
}

const LONG_GREETING: &[(&str, &str)] = &[
    ("wait_for_silence_timeout", "true"),
    ("wait_for_silence_listenhits", "240"),
];

#[tokio::test]
async fn a_person_hears_the_script_after_listening() {
    let mut ch = Fake::default().answer(&[("wait_for_silence_timeout", "false")]);
    let out = run(&amd_flow(), &with_amd(OnMachine::Hangup), &vars(), &mut ch).await;
    assert_eq!(
        ch.calls[0],
        ("wait_for_silence".into(), "256 40 5 5300".into())
    );
    assert_eq!(out.amd, Some(Verdict::Human));
    assert_eq!(out.trace, vec!["hello"]);
    assert!(!out.machine());
}

#[tokio::test]
async fn a_machine_is_hung_up_on_or_gets_the_message_after_its_beep() {
    let mut ch = Fake::default().answer(LONG_GREETING);
    let out = run(&amd_flow(), &with_amd(OnMachine::Hangup), &vars(), &mut ch).await;
    assert_eq!(out.amd, Some(Verdict::Machine(MachineWhy::LongGreeting)));
    assert!(out.trace.is_empty() && out.machine());
    assert_eq!(apps(&ch), ["wait_for_silence"]);
    assert_eq!(ch.hangups, vec!["NORMAL_CLEARING"]);

    let mut ch = Fake {
        beep: true,
        ..Fake::default()
    }
    .answer(LONG_GREETING);
    let out = run(
        &amd_flow(),
        &with_amd(OnMachine::Voicemail),
        &vars(),
        &mut ch,
    )
    .await;
    assert_eq!(out.trace, vec!["vm", "message"]);
    assert_eq!(out.beep, Some(true));
    assert_eq!(
        apps(&ch),
        [
            "wait_for_silence",
            "avmd_start",
            "wait",
            "avmd_stop",
            "speak"
        ]
    );
    assert_eq!(ch.calls[2].1, "avmd::beep 20");

    let mut ch = Fake::default().answer(LONG_GREETING);
    let out = run(
        &amd_flow(),
        &with_amd(OnMachine::Voicemail),
        &vars(),
        &mut ch,
    )
    .await;
    assert_eq!(out.trace, vec!["vm", "bye"], "no beep in time");
    assert_eq!(out.beep, Some(false));

    let mut ch = Fake::default().answer(&[("wait_for_silence_timeout", "true")]);
    let out = run(
        &amd_flow(),
        &with_amd(OnMachine::Continue),
        &vars(),
        &mut ch,
    )
    .await;
    assert_eq!(out.amd, Some(Verdict::Machine(MachineWhy::InitialSilence)));
    assert_eq!(out.trace, vec!["hello"], "the script goes on");
    assert!(out.machine());
}

#[tokio::test]
async fn a_callee_gone_while_listened_to_ends_the_script() {
    let mut ch = Fake {
        hung_up: true,
        ..Fake::default()
    };
    let out = run(&amd_flow(), &with_amd(OnMachine::Hangup), &vars(), &mut ch).await;
    assert!(out.callee_hung_up && out.amd.is_none() && out.trace.is_empty());
    assert!(ch.hangups.is_empty());
}
