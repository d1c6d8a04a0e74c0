//! Hostile subscriber data end to end: a CSV whose names and variables hold FreeSWITCH syntax
//! (`${system(…)}`, `$${hostname}`, `${uuid}`, `}{`, `^^:`, `|`, `'`, line breaks, NUL, a
//! terminal escape, a 1 MiB field) is imported and called through every node type against the
//! simulator, which expands `${…}` as FreeSWITCH does. A watcher on the switch's event socket
//! sees every application the dialer ran. Nothing may expand, no extra command may appear, and
//! the calls still go through with the text spoken as written.

#[path = "engine_support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use outcall::campaign::definition::CampaignDef;
use outcall::import::{import_file, ImportOptions};
use outcall::model::{CampaignStatus, ContactStatus};
use support::*;

const RULES: &str = r#"
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 300 }]
[[rule]]
exact = "operator"
outcome = [{ result = "answer", ring = 1, hangup_after = 5 }]
"#;

const CAMPAIGN: &str = r#"
name = "hostile"
caller_id = "74950000000"
dial = "sofia/gateway/demo/{number}"
timezone = "Europe/Moscow"
ring_timeout = "20s"
[limits]
lines = 20
cps = 50
[retry]
max_attempts = 1
recall_interval = "20s"
min_success_seconds = 1
[script]
start = "greeting"
[script.nodes.greeting]
type = "speak"
text = "Здравствуйте, {{NAME}} из {{CITY}}."
next = "amount"
[script.nodes.amount]
type = "say"
lang = "en"
kind = "number"
method = "pronounced"
text = "{{AMOUNT}}"
next = "sound"
[script.nodes.sound]
type = "play"
file = "/snd/{{NAME}}.wav"
next = "rec"
[script.nodes.rec]
type = "record"
file = "/var/rec/{{NAME}}.wav"
max = "60s"
next = "menu"
[script.nodes.menu]
type = "menu"
prompt = { file = "/snd/menu_{{CITY}}.wav" }
digits = { "1" = "operator" }
timeout = "1s"
tries = 1
on_timeout = "tagged"
on_invalid = "tagged"
[script.nodes.tagged]
type = "set"
tag = "{{NAME}}"
next = "operator"
[script.nodes.operator]
type = "bridge"
to = "sofia/gateway/demo/operator"
timeout = "10s"
next = "done"
on_failure = "done"
[script.nodes.done]
type = "hangup"
"#;

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// (name, city, ext) per row; row phones are +790010000NN in order.
fn hostile_rows() -> Vec<(String, String, String)> {
    let op = "operator".to_string();
    vec![
        (
            "${system(touch pwned_by_csv)} ${uuid}".into(),
            "${sofia_profile_name}".into(),
            op.clone(),
        ),
        (
            "$${hostname}".into(),
            "${bg_system(touch F)}".into(),
            op.clone(),
        ),
        (
            "x}${system(touch F)}{".into(),
            "${system touch F}".into(),
            op.clone(),
        ),
        (
            "}{ ^^:a=b | O'Brien".into(),
            "[x] {y} ^^;".into(),
            op.clone(),
        ),
        ("Line\nbreak\r\nname".into(), "Nul\0city".into(), op.clone()),
        (
            "\u{1b}[31mRed\u{1b}[0m".into(),
            "a$b $5 100%".into(),
            op.clone(),
        ),
        (
            "Иванов".into(),
            "Москва".into(),
            "operator@evil.example,user/1".into(),
        ),
        ("x".repeat(1 << 20), "Big".into(), op),
    ]
}

#[tokio::test(start_paused = true)]
async fn hostile_csv_values_never_become_switch_syntax() {
    let w = World::new(RULES, None).await;
    let mut events = switch_watcher(&w, &["CHANNEL_EXECUTE"]).await;

    let rows = hostile_rows();
    let mut csv = String::from("NAME;PHONE;CITY;AMOUNT;EXT\n");
    for (i, (name, city, ext)) in rows.iter().enumerate() {
        csv.push_str(&format!(
            "{};+79001000{:03};{};68.27;{}\n",
            quoted(name),
            i + 1,
            quoted(city),
            quoted(ext)
        ));
    }
    let path = w.dir.path().join("hostile.csv");
    std::fs::write(&path, csv).unwrap();

    let def = CampaignDef::from_toml_str(CAMPAIGN, "test").unwrap();
    let now = w.clock.now();
    let rec = w.store.create_campaign(&def, now).await.unwrap();
    let opts = ImportOptions::new("RU");
    let report = import_file(&w.store, &rec, &path, &opts, now, None)
        .await
        .unwrap();
    assert_eq!(report.rows, rows.len() as u64);
    assert_eq!(report.accepted, rows.len() as u64 - 1, "{report:?}");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(report.rejected[0].reason.contains("bytes"), "{report:?}");

    w.store
        .set_campaign_status(rec.id, CampaignStatus::Running, None, now)
        .await
        .unwrap();
    let engine = w.engine("e1", 100).await;
    w.wait_status(rec.id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    engine.stop().await;

    // The switch expanded nothing and ran no inline API.
    assert_eq!(w.sim.inline_api_calls(), Vec::new());
    assert_eq!(w.sim.expansions(), 0);

    // Every application the switch ran, per call.
    let mut apps: HashMap<String, Vec<(String, String)>> = HashMap::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(300), events.recv()).await {
        let uuid = ev.unique_id().unwrap_or_default().to_string();
        let app = ev.get("Application").unwrap_or_default().to_string();
        let data = ev.get("Application-Data").unwrap_or_default().to_string();
        apps.entry(uuid).or_default().push((app, data));
    }
    let contacts = w.contacts(rec.id).await;
    assert_eq!(contacts.len(), rows.len() - 1);
    let attempts = w.store.campaign_attempts(rec.id).await.unwrap();
    let mut seen_ivanov = false;
    for c in &contacts {
        assert_eq!(c.status, ContactStatus::Done, "{c:?}");
        let a = attempts
            .iter()
            .find(|a| a.contact_id == c.id)
            .expect("attempt");
        let ran = &apps[&a.uuid];
        let names: Vec<&str> = ran.iter().map(|(n, _)| n.as_str()).collect();
        let want = vec![
            "park",
            // The longest call (max_call_duration), scheduled on the switch at the answer.
            "sched_hangup",
            "speak",
            "say",
            "playback",
            "record_session",
            "play_and_get_digits",
            "bridge",
        ];
        // A dial string may not take template values at all (campaign check refuses
        // `{{…}}` in `to`), so EXT reaches nothing: every call is bridged to the operator.
        if c.name == "Иванов" {
            seen_ivanov = true;
        }
        assert_eq!(names, want, "{}: {ran:?}", c.name);
        for (app, data) in ran {
            assert!(!data.contains("${"), "{app} {data:?}");
            assert!(
                !data.contains(['\r', '\n', '\0', '\u{1b}']),
                "{app} {data:?}"
            );
        }
        let speak = &ran[2].1;
        assert!(
            speak.starts_with("tts_commandline|ru|Здравствуйте, "),
            "{speak}"
        );
        let rec_arg = &ran[5].1;
        assert_eq!(
            Some(rec_arg.trim_end_matches(" +60")),
            a.recording.as_deref(),
            "the stored path is the one the switch wrote"
        );
        assert!(rec_arg.starts_with("/var/rec/") && !rec_arg.contains(".."));
        assert_eq!(rec_arg.matches('/').count(), 3, "{rec_arg}");
    }
    assert!(seen_ivanov);
    let spoken: Vec<&str> = apps
        .values()
        .filter_map(|r| r.get(2).map(|(_, d)| d.as_str()))
        .collect();
    for want in [
        "tts_commandline|ru|Здравствуйте, $ {system(touch pwned_by_csv)} $ {uuid} из $ {sofia_profile_name}.",
        "tts_commandline|ru|Здравствуйте, $$ {hostname} из $ {bg_system(touch F)}.",
        "tts_commandline|ru|Здравствуйте, }{ ^^:a=b | O'Brien из [x] {y} ^^;.",
        "tts_commandline|ru|Здравствуйте, Line break name из Nulcity.",
        "tts_commandline|ru|Здравствуйте, Red из a$b $5 100%.",
    ] {
        assert!(spoken.contains(&want), "{want:?} not in {spoken:#?}");
    }
}
