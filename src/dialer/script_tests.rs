//! Unit tests of the call script interpreter over a fake channel.

use std::collections::{HashMap, VecDeque};

use super::flow::{Flow, Menu, Prompt, Step};
use super::script::*;
use crate::campaign::model::Disposition;
use crate::esl::command::AppCall;

/// A channel that records what it was asked and answers from a queue.
#[derive(Default)]
struct Fake {
    calls: Vec<(String, String)>,
    results: VecDeque<Result<AppResult, ChannelError>>,
    hangups: Vec<String>,
    webhook_answer: Option<String>,
    hung_up: bool,
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
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// The demo debtors flow: greeting, balance, menu (1 operator, 9 opt out), goodbye.
fn debtors() -> Flow {
    let mut steps = HashMap::new();
    let mut add = |n: &str, st: Step| steps.insert(n.to_string(), st);
    add(
        "hello",
        Step::Speak {
            text: "Здравствуйте, {{NAME}}. Ваш долг {{BALANCE|money_ru}}.".into(),
            engine: None,
            voice: None,
            next: s("menu"),
        },
    );
    add(
        "menu",
        Step::Menu(Menu {
            prompt: Prompt::Speak("Нажмите 1 для связи с оператором".into()),
            invalid_prompt: None,
            choices: vec![
                ("1".into(), "operator".into()),
                ("9".into(), "optout".into()),
            ],
            tries: 2,
            timeout_ms: 5000,
            on_timeout: s("bye"),
            on_invalid: s("bye"),
        }),
    );
    add(
        "operator",
        Step::Bridge {
            dial_string: "sofia/gateway/demo/operator".into(),
            timeout_secs: 20,
            caller_id: None,
            next: s("done"),
            on_failure: s("sorry"),
        },
    );
    add("done", Step::Hangup { cause: None });
    add(
        "sorry",
        Step::Play {
            file: "sorry.wav".into(),
            next: None,
        },
    );
    add(
        "optout",
        Step::Set {
            disposition: Some(Disposition::OptedOut),
            tag: None,
            dnc: true,
            next: s("bye"),
        },
    );
    add(
        "bye",
        Step::Speak {
            text: "До свидания".into(),
            engine: s("flite"),
            voice: s("kal"),
            next: None,
        },
    );
    Flow {
        start: "hello".into(),
        steps,
        tts_engine: "tts_commandline".into(),
        tts_voice: "ru".into(),
    }
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
    let out = run(&debtors(), &vars(), &mut ch).await;
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
    assert_eq!(ch.calls[2].0, "play_and_get_digits");
    assert_eq!(
        ch.calls[2].1,
        "1 1 2 5000 # silence_stream://250 silence_stream://250 outcall_digits ^(1|9)$"
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
    let out = run(&debtors(), &vars(), &mut ch).await;
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
    let out = run(&debtors(), &vars(), &mut ch).await;
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
    let out = run(&debtors(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["hello", "menu", "bye"]);
    let mut ch = Fake::default()
        .answer(&[])
        .answer(&[])
        .answer(&[("outcall_digits", "9")]);
    let out = run(&debtors(), &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["hello", "menu", "optout", "bye"]);
    assert!(out.opted_out);
}

#[tokio::test]
async fn callee_hangup_stops_the_script_without_a_hangup_command() {
    let mut ch = Fake {
        hung_up: true,
        ..Fake::default()
    };
    let out = run(&debtors(), &vars(), &mut ch).await;
    assert!(out.callee_hung_up);
    assert_eq!(out.trace, vec!["hello"]);
    assert!(ch.hangups.is_empty());
}

#[tokio::test]
async fn missing_variable_is_a_script_error_and_the_call_ends() {
    let mut ch = Fake::default();
    let out = run(&debtors(), &HashMap::new(), &mut ch).await;
    let e = out.error.unwrap();
    assert!(e.contains("hello") && e.contains("NAME"), "{e}");
    assert!(ch.calls.is_empty(), "nothing half-said");
    assert_eq!(ch.hangups, vec!["NORMAL_CLEARING"]);
}

#[tokio::test]
async fn set_record_say_webhook_and_hangup_cause() {
    let mut steps = HashMap::new();
    steps.insert(
        "rec".to_string(),
        Step::Record {
            path: "/rec/{{NAME}}.wav".into(),
            max_secs: Some(60),
            next: s("say"),
        },
    );
    steps.insert(
        "say".to_string(),
        Step::Say {
            lang: "ru".into(),
            kind: "CURRENCY".into(),
            method: "pronounced".into(),
            gender: None,
            text: "{{BALANCE}}".into(),
            next: s("hook"),
        },
    );
    steps.insert(
        "hook".to_string(),
        Step::Webhook {
            url: "http://crm/next".into(),
            timeout_ms: 1000,
            exits: vec![("vip".into(), "tag".into())],
            next: s("end"),
        },
    );
    steps.insert(
        "tag".to_string(),
        Step::Set {
            disposition: Some(Disposition::Answered),
            tag: s("vip-{{NAME}}"),
            dnc: false,
            next: s("end"),
        },
    );
    steps.insert(
        "end".to_string(),
        Step::Hangup {
            cause: s("USER_BUSY"),
        },
    );
    let flow = Flow {
        start: "rec".into(),
        steps,
        tts_engine: "flite".into(),
        tts_voice: "kal".into(),
    };
    flow.validate().unwrap();
    let mut ch = Fake {
        webhook_answer: s("vip"),
        ..Fake::default()
    };
    let out = run(&flow, &vars(), &mut ch).await;
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
    let out = run(&flow, &vars(), &mut ch).await;
    assert_eq!(out.trace, vec!["rec", "say", "hook", "end"], "default exit");
}

#[tokio::test]
async fn a_loop_is_cut_off() {
    let mut steps = HashMap::new();
    steps.insert(
        "a".to_string(),
        Step::Set {
            disposition: None,
            tag: None,
            dnc: false,
            next: s("a"),
        },
    );
    let flow = Flow {
        start: "a".into(),
        steps,
        tts_engine: "x".into(),
        tts_voice: "y".into(),
    };
    let mut ch = Fake::default();
    let out = run(&flow, &vars(), &mut ch).await;
    assert!(out.error.unwrap().contains("without ending"));
    assert_eq!(out.trace.len(), MAX_STEPS);
}

fn one_step(step: Step) -> Flow {
    Flow {
        start: "a".into(),
        steps: HashMap::from([("a".to_string(), step)]),
        tts_engine: "tts_commandline".into(),
        tts_voice: "ru".into(),
    }
}

#[tokio::test]
async fn subscriber_data_never_becomes_switch_syntax() {
    let mut v = vars();
    v.insert("NAME".into(), "${system(touch x)} $${hostname}\\n".into());
    let speak = one_step(Step::Speak {
        text: "Здравствуйте, {{NAME}}.".into(),
        engine: None,
        voice: None,
        next: None,
    });
    let mut ch = Fake::default();
    run(&speak, &v, &mut ch).await;
    assert_eq!(
        ch.calls[0].1,
        "tts_commandline|ru|Здравствуйте, $ {system(touch x)} $$ {hostname} n."
    );
    v.insert("NAME".into(), "../traversed a +1 b".into());
    let record = one_step(Step::Record {
        path: "/var/rec/{{NAME}}.wav".into(),
        max_secs: Some(60),
        next: None,
    });
    let mut ch = Fake::default();
    let out = run(&record, &v, &mut ch).await;
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
    let bridge = one_step(Step::Bridge {
        dial_string: "user/{{EXT}}".into(),
        timeout_secs: 30,
        caller_id: None,
        next: None,
        on_failure: None,
    });
    let mut ch = Fake::default();
    let out = run(&bridge, &v, &mut ch).await;
    assert!(ch.calls.is_empty(), "{:?}", ch.calls);
    assert!(out.error.unwrap().contains("dial string"));
}
