//! Unit tests of the call script interpreter over a fake channel.

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::esl::command::AppCall;
use crate::model::Disposition;
use crate::script::Script;

/// A channel that records what it was asked and answers from a queue.
#[derive(Default)]
struct Fake {
    calls: Vec<(String, String)>,
    results: VecDeque<Result<AppResult, ChannelError>>,
    hangups: Vec<String>,
    webhook_answer: Option<String>,
    hung_up: bool,
    beep: bool,
}

impl Fake {
    fn answer(mut self, vars: &[(&str, &str)]) -> Self {
        self.results.push_back(Ok(AppResult {
            response: "_none_".into(),
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }));
        self
    }
}

impl Channel for Fake {
    async fn execute(&mut self, call: &AppCall) -> Result<AppResult, ChannelError> {
        self.calls
            .push((call.app().to_string(), call.arg().to_string()));
        if self.hung_up {
            return Err(ChannelError::HungUp);
        }
        self.results
            .pop_front()
            .unwrap_or_else(|| Ok(AppResult::default()))
    }
    async fn hangup(&mut self, cause: &str) -> Result<(), ChannelError> {
        self.hangups.push(cause.to_string());
        Ok(())
    }
    async fn webhook(
        &mut self,
        url: &str,
        _payload: serde_json::Value,
        _timeout_ms: u32,
    ) -> Result<Option<String>, ChannelError> {
        self.calls.push(("webhook".into(), url.into()));
        Ok(self.webhook_answer.clone())
    }
    async fn wait_custom(
        &mut self,
        subclass: &str,
        timeout: std::time::Duration,
    ) -> Result<bool, ChannelError> {
        self.calls
            .push(("wait".into(), format!("{subclass} {}", timeout.as_secs())));
        Ok(self.beep)
    }
}

#[path = "run_tests_reach.rs"]
mod reach;

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// The demo debtors flow: greeting, balance, menu (1 operator, 9 opt out), goodbye.
fn debtors() -> Script {
    script(
        r#"
start = "hello"
[nodes.hello]
type = "speak"
text = "Здравствуйте, {{NAME}}. Ваш долг {{BALANCE|money_ru}}."
next = "menu"
[nodes.menu]
type = "menu"
prompt = { text = "Нажмите 1 для связи с оператором" }
digits = { "1" = "operator", "9" = "optout" }
tries = 2
timeout = "5s"
on_timeout = "bye"
on_invalid = "bye"
[nodes.operator]
type = "bridge"
to = "sofia/gateway/demo/operator"
timeout = "20s"
next = "done"
on_failure = "sorry"
[nodes.done]
type = "hangup"
[nodes.sorry]
type = "play"
file = "sorry.wav"
[nodes.optout]
type = "set"
disposition = "opted_out"
dnc = true
next = "bye"
[nodes.bye]
type = "speak"
text = "До свидания"
engine = "flite"
voice = "kal"
"#,
    )
}

fn script(text: &str) -> Script {
    let s: Script = toml::from_str(text).unwrap();
    s
}

fn settings() -> RunSettings {
    RunSettings::default()
}

fn vars() -> HashMap<String, String> {
    [("NAME", "Иван"), ("BALANCE", "-68.27")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn listened_and_timed_out_ends_with_goodbye() {
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[("read_result", "failure")]);
    let out = run(&debtors(), &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["hello", "menu", "bye"]);
    assert_eq!(ch.calls[0].0, "speak");
    assert_eq!(
        ch.calls[0].1,
        "tts_commandline|ru|Здравствуйте, Иван. Ваш долг шестьдесят восемь рублей двадцать семь копеек."
    );
    assert_eq!(
        ch.calls[1],
        (
            "speak".into(),
            "tts_commandline|ru|Нажмите 1 для связи с оператором".into()
        )
    );
    // Two tries of a spoken prompt: said before each, digits collected one try at a time.
    let apps: Vec<&str> = ch.calls.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        apps,
        [
            "speak",
            "speak",
            "play_and_get_digits",
            "speak",
            "play_and_get_digits",
            "speak"
        ]
    );
    assert_eq!(ch.calls[3], ch.calls[1], "the prompt is said again");
    assert_eq!(
        ch.calls[2].1,
        "1 1 1 5000 # silence_stream://250 silence_stream://250 outcall_digits ^(1|9)$"
    );
    assert_eq!(ch.hangups, vec!["NORMAL_CLEARING"]);
    assert!(!out.bridged && !out.opted_out && out.error.is_none());
}

#[tokio::test]
async fn pressed_one_and_bridged() {
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[("read_result", "success"), ("outcall_digits", "1")])
        .answer(&[
            ("DIALSTATUS", "SUCCESS"),
            ("bridge_hangup_cause", "NORMAL_CLEARING"),
        ]);
    let out = run(&debtors(), &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["hello", "menu", "operator", "done"]);
    assert!(out.bridged);
    assert_eq!(out.digits.as_deref(), Some("1"));
    assert_eq!(out.bridge_cause.as_deref(), Some("NORMAL_CLEARING"));
    assert_eq!(
        ch.calls[3],
        (
            "bridge".into(),
            "{leg_timeout=20}sofia/gateway/demo/operator".into()
        )
    );
}

#[tokio::test]
async fn bridge_failure_takes_its_exit() {
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[("outcall_digits", "1")])
        .answer(&[
            ("DIALSTATUS", "NOANSWER"),
            ("bridge_hangup_cause", "NO_ANSWER"),
        ]);
    let out = run(&debtors(), &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["hello", "menu", "operator", "sorry"]);
    assert!(!out.bridged);
    assert_eq!(ch.calls[4], ("playback".into(), "sorry.wav".into()));
}

#[tokio::test]
async fn invalid_entry_takes_the_invalid_exit_and_opt_out_is_recorded() {
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[("outcall_digits_invalid", "5")]);
    let out = run(&debtors(), &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["hello", "menu", "bye"]);
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[("outcall_digits", "9")]);
    let out = run(&debtors(), &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["hello", "menu", "optout", "bye"]);
    assert!(out.opted_out);
}

#[tokio::test]
async fn callee_hangup_stops_the_script_without_a_hangup_command() {
    let mut ch = Fake {
        hung_up: true,
        ..Fake::default()
    };
    let out = run(&debtors(), &settings(), &vars(), &mut ch).await;
    assert!(out.callee_hung_up);
    assert_eq!(out.trace, vec!["hello"]);
    assert!(ch.hangups.is_empty());
}

#[tokio::test]
async fn missing_variable_is_a_script_error_and_the_call_ends() {
    let mut ch = Fake::default();
    let out = run(&debtors(), &settings(), &HashMap::new(), &mut ch).await;
    let e = out.error.unwrap();
    assert!(e.contains("hello") && e.contains("NAME"), "{e}");
    assert!(ch.calls.is_empty(), "nothing half-said");
    assert_eq!(ch.hangups, vec!["NORMAL_CLEARING"]);
}

#[tokio::test]
async fn set_record_say_webhook_and_hangup_cause() {
    let flow = script(
        r#"
start = "rec"
[nodes.rec]
type = "record"
file = "/rec/{{NAME}}.wav"
max = "60s"
next = "say"
[nodes.say]
type = "say"
lang = "ru"
kind = "currency"
text = "{{BALANCE}}"
next = "hook"
[nodes.hook]
type = "webhook"
url = "http://crm/next"
timeout = "1s"
exits = ["tag"]
on_error = "end"
[nodes.tag]
type = "set"
disposition = "answered"
tag = "vip-{{NAME}}"
next = "end"
[nodes.end]
type = "hangup"
cause = "USER_BUSY"
"#,
    );
    flow.validate().unwrap();
    let mut ch = Fake {
        webhook_answer: s("tag"),
        ..Fake::default()
    };
    let out = run(&flow, &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["rec", "say", "hook", "tag", "end"]);
    assert_eq!(
        ch.calls[0],
        ("record_session".into(), "/rec/Иван.wav +60".into())
    );
    assert_eq!(
        ch.calls[1],
        ("say".into(), "ru CURRENCY pronounced -68.27".into())
    );
    assert_eq!(out.recording.as_deref(), Some("/rec/Иван.wav"));
    assert_eq!(out.disposition, Some(Disposition::Answered));
    assert_eq!(out.tags, vec!["vip-Иван"]);
    assert_eq!(ch.hangups, vec!["USER_BUSY"]);
    let mut ch = Fake {
        webhook_answer: None,
        ..Fake::default()
    };
    let out = run(&flow, &settings(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["rec", "say", "hook", "end"], "default exit");
}

#[tokio::test]
async fn a_loop_is_cut_off() {
    let flow = script(
        r#"
start = "a"
[nodes.a]
type = "set"
next = "a"
"#,
    );
    let mut ch = Fake::default();
    let out = run(&flow, &settings(), &vars(), &mut ch).await;
    assert!(out.error.unwrap().contains("without ending"));
    assert_eq!(out.trace.len(), MAX_STEPS);
}

#[tokio::test]
async fn subscriber_data_never_becomes_switch_syntax() {
    let mut v = vars();
    v.insert("NAME".into(), "${system(touch x)} $${hostname}\\n".into());
    let speak =
        script("start = \"a\"\n[nodes.a]\ntype = \"speak\"\ntext = \"Здравствуйте, {{NAME}}.\"");
    let mut ch = Fake::default();
    run(&speak, &settings(), &v, &mut ch).await;
    assert_eq!(
        ch.calls[0].1,
        "tts_commandline|ru|Здравствуйте, $ {system(touch x)} $$ {hostname} n."
    );
    v.insert("NAME".into(), "../traversed a +1 b".into());
    let record =
        script("start = \"a\"\n[nodes.a]\ntype = \"record\"\nfile = \"/var/rec/{{NAME}}.wav\"");
    let mut ch = Fake::default();
    let out = run(&record, &settings(), &v, &mut ch).await;
    assert_eq!(
        ch.calls[0],
        (
            "record_session".into(),
            "/var/rec/___traversed_a__1_b.wav +60".into()
        )
    );
    assert_eq!(
        out.recording.as_deref(),
        Some("/var/rec/___traversed_a__1_b.wav")
    );
    v.insert("EXT".into(), "1001@evil.example".into());
    let bridge = script(
        "start = \"a\"\n[nodes.a]\ntype = \"bridge\"\nto = \"user/{{EXT}}\"\ntimeout = \"30s\"",
    );
    let mut ch = Fake::default();
    let out = run(&bridge, &settings(), &v, &mut ch).await;
    assert!(ch.calls.is_empty(), "{:?}", ch.calls);
    assert!(out.error.unwrap().contains("dial string"));
}
