//! Unit tests of campaign definitions, including the shipped examples in campaigns/.

use chrono::{DateTime, Utc};

use super::*;
use crate::campaign::window::is_open;

const DEBTORS: &str = include_str!("../../campaigns/debtors.toml");
const DEMO: &str = include_str!("../../campaigns/demo.toml");
const MARKETING: &str = include_str!("../../campaigns/marketing.toml");

fn load(text: &str) -> Result<CampaignDef, String> {
    CampaignDef::from_toml_str(text, "test.toml").map_err(|e| e.to_string())
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn shipped_examples_load() {
    let d = load(DEBTORS).unwrap();
    assert_eq!(d.name, "debtors");
    assert_eq!(d.limits.lines, 3);
    assert_eq!(d.retry.min_success_seconds, 10);
    assert_eq!(d.max_call_duration, std::time::Duration::from_secs(600));
    assert!(d.retry.retry_on.contains(&Disposition::Machine));
    assert_eq!(
        d.run_settings().amd.map(|a| a.on_machine),
        Some(crate::script::amd::OnMachine::Hangup)
    );
    assert_eq!(d.script_vars.keys().collect::<Vec<_>>(), ["BALANCE"]);
    assert!(is_open(
        &d.schedule,
        d.timezone,
        utc("2026-11-23T07:00:00Z")
    ));
    assert!(!is_open(
        &d.schedule,
        d.timezone,
        utc("2026-11-22T07:00:00Z")
    )); // Sunday
    assert_eq!(
        crate::esl::command::app::dial_target(&d.dial, "+79001001234").unwrap(),
        "sofia/gateway/demo/79001001234"
    );

    let demo = load(DEMO).unwrap();
    assert_eq!(demo.retry.max_attempts, 3);
    assert_eq!(demo.retry.recall_interval.as_secs(), 20);
    assert!(is_open(
        &demo.schedule,
        demo.timezone,
        utc("2026-11-22T03:00:00Z")
    ));
    // The demo's bridge names no `to`: it dials the campaign's operator.
    assert!(matches!(
        &demo.script.nodes["operator"],
        crate::script::Node::Bridge(b) if b.to.is_none()
    ));
    assert_eq!(
        demo.run_settings().operator.as_deref(),
        Some("sofia/gateway/demo/operator")
    );

    let m = load(MARKETING).unwrap();
    assert!(m.keep_open);
    assert_eq!(m.phone_strategy, PhoneStrategy::Sequential);
    assert_eq!(m.schedule.cron.as_deref(), Some("0 0 10 1 * *"));
    assert_eq!(
        m.script_vars.keys().collect::<Vec<_>>(),
        ["DISCOUNT", "PLAN"]
    );
}

#[test]
fn errors_name_the_place() {
    let cases = [
        (
            "timezone = \"Europe/Moscow\"",
            "timezone = \"Moon/Base\"",
            "timezone:",
        ),
        (
            "max_attempts = 3",
            "max_attempts = 100",
            "retry.max_attempts",
        ),
        ("lines = 3 ", "lines = 0 ", "limits.lines"),
        (
            "hours = [\"09:00-20:00\"]",
            "hours = [\"20:00-09:00\"]",
            "schedule.windows[0].hours",
        ),
        (
            "dial = \"sofia/gateway/demo/{number}\"",
            "dial = \"sofia/gateway/demo\"",
            "dial:",
        ),
        (
            "next = \"pay\"",
            "next = \"payy\"",
            "script.nodes.greeting.next",
        ),
        ("name = \"debtors\"", "name = \"my debtors\"", "name:"),
        (
            "caller_id = \"74950000000\"",
            "caller_id = \"abc\"",
            "caller_id",
        ),
        (
            "on_failure = \"sorry\"",
            "",
            "script.nodes.operator.on_failure",
        ),
        (
            "end = \"2030-12-31 23:59\"",
            "end = \"2025-01-01\"",
            "schedule.end",
        ),
        (
            "{{BALANCE|money_ru}}",
            "{{BALANCE",
            "script.nodes.greeting.text",
        ),
        (
            "type = \"hangup\"",
            "type = \"hangup\"\ncolor = \"red\"",
            "color",
        ),
    ];
    for (from, to, place) in cases {
        assert!(DEBTORS.contains(from), "fixture lacks {from}");
        let e = load(&DEBTORS.replacen(from, to, 1)).unwrap_err();
        assert!(e.contains(place), "{from} -> {to}: `{e}` lacks `{place}`");
        assert!(e.contains("test.toml"), "{e}");
    }
}

#[test]
fn bridge_needs_a_target() {
    let text = DEBTORS.replace("operator = \"sofia/gateway/demo/operator\"\n", "");
    let e = load(&text).unwrap_err();
    assert!(e.contains("script.nodes.operator.to"), "{e}");
}

#[test]
fn dial_refuses_injection() {
    let text = DEBTORS.replace(
        "dial = \"sofia/gateway/demo/{number}\"",
        "dial = \"sofia/gateway/demo/{number}\\n\"",
    );
    assert!(load(&text).unwrap_err().contains("dial:"));
    let text = DEBTORS.replace(
        "dial = \"sofia/gateway/demo/{number}\"",
        "dial = \"{origination_caller_id=1}sofia/gateway/demo/{number}\"",
    );
    assert!(load(&text).unwrap_err().contains("braces"));
}

#[test]
fn retry_on_technical_is_refused() {
    let text = DEBTORS.replace("\"failed\"]", "\"technical\"]");
    assert!(load(&text).unwrap_err().contains("retry.retry_on"));
}

#[test]
fn campaign_webhooks_are_http_urls() {
    let with = |table: &str| DEMO.replacen("[script]", &format!("{table}\n[script]"), 1);
    let d = load(&with(
        "[webhooks]\ncall_end = [\"https://crm.example/outcall/end\"]",
    ))
    .unwrap();
    assert_eq!(d.webhooks.call_end, ["https://crm.example/outcall/end"]);
    assert!(d.webhooks.call_start.is_empty());
    assert!(load(DEMO).unwrap().webhooks.call_end.is_empty());
    for (table, says) in [
        (
            "[webhooks]\ncall_end = [\"ftp://x/\"]",
            "webhooks.call_end[0]",
        ),
        (
            "[webhooks]\ncall_start = [\"http://a/\", \"crm\"]",
            "webhooks.call_start[1]",
        ),
        (
            "[webhooks]\ncall_end = [\"https://u:p@x/\"]",
            "no user or password",
        ),
        ("[webhooks]\nsecret = \"x\"", "unknown field"),
    ] {
        let e = load(&with(table)).unwrap_err();
        assert!(e.contains(says), "{table}: {e}");
    }
}

#[test]
fn amd_and_the_longest_call_are_checked() {
    let with = |table: &str| DEMO.replacen("[script]", &format!("{table}\n[script]"), 1);
    let d = load(DEMO).unwrap();
    assert_eq!(
        d.max_call_duration,
        Duration::from_secs(1800),
        "30 min by default"
    );
    assert!(d.amd.is_none() && d.run_settings().amd.is_none());
    let d = load(&with(
        "[amd]\non_machine = \"continue\"\ngreeting_ms = 2000",
    ))
    .unwrap();
    let amd = d.run_settings().amd.unwrap();
    assert_eq!((amd.greeting_ms, amd.initial_silence_ms), (2000, 2500));
    let vm = "[script.nodes.vm]\ntype = \"voicemail\"\nnext = \"bye\"\n";
    let text = with("[amd]\non_machine = \"voicemail\"\nvoicemail = \"vm\"")
        .replace("[script.nodes.bye]", &format!("{vm}[script.nodes.bye]"));
    assert!(load(&text).is_ok(), "{:?}", load(&text).err());
    for (table, says) in [
        ("[amd]\non_machine = \"voicemail\"", "amd.voicemail"),
        (
            "[amd]\non_machine = \"voicemail\"\nvoicemail = \"nope\"",
            "unknown node `nope`",
        ),
        (
            "[amd]\non_machine = \"voicemail\"\nvoicemail = \"greeting\"",
            "name a `voicemail` node",
        ),
        ("[amd]\nmin_word_ms = 0", "amd.min_word_ms"),
        ("[amd]\non_machine = \"beep\"", "unknown variant"),
        ("max_call_duration = \"5s\"", "max_call_duration"),
    ] {
        let text = if table.starts_with('[') {
            with(table)
        } else {
            DEMO.replacen("[limits]", &format!("{table}\n[limits]"), 1)
        };
        let e = load(&text).unwrap_err();
        assert!(e.contains(says), "{table}: {e}");
    }
}

#[test]
fn retry_waits_by_disposition_and_attempt_parse_and_are_checked() {
    let with = |retry: &str| DEMO.replace("[retry]\n", &format!("[retry]\n{retry}\n"));
    let d = load(&with(
        "intervals = [\"5m\", \"1h\"]\nby_disposition = { busy = \"10m\", no_answer = 7200 }",
    ))
    .unwrap();
    assert_eq!(
        d.retry.intervals,
        [Duration::from_secs(300), Duration::from_secs(3600)]
    );
    assert_eq!(
        d.retry.by_disposition["no_answer"],
        Duration::from_secs(7200)
    );
    // What is stored and read back (an update round-trips the policy).
    let back: crate::model::RetryPolicy =
        toml::from_str(&toml::to_string(&d.retry).unwrap()).unwrap();
    assert_eq!(back, d.retry);
    let e = load(&with("by_disposition = { buzy = \"10m\" }")).unwrap_err();
    assert!(
        e.starts_with("test.toml: retry.by_disposition.buzy: not a disposition"),
        "{e}"
    );
    let e = load(&with("intervals = [\"5x\"]")).unwrap_err();
    assert!(e.contains("unknown unit `x`"), "{e}");
    let e = load(&with("intervals = [\"1m\", \"1m\", \"1m\"]")).unwrap_err();
    assert!(e.contains("retry.intervals: 3 waits"), "{e}");
}
