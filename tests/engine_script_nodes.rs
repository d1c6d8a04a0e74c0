//! Issue 15's script parts through the engine against the simulator, on paused time: `pause`
//! holds the line for its milliseconds, `dtmf` sends a contact's extension, and a menu says its
//! spoken prompt again on each of its tries.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::CampaignStatus;
use support::*;

const RULES: &str = r#"
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 120 }]
"#;

const CAMPAIGN: &str = r#"
name = "nodes"
caller_id = "74950000000"
dial = "sofia/gateway/demo/{number}"
timezone = "Europe/Moscow"
ring_timeout = "20s"
[limits]
lines = 1
cps = 50
[retry]
max_attempts = 1
min_success_seconds = 1
[script]
start = "wait"
[script.nodes.wait]
type = "pause"
ms = 2000
next = "ext"
[script.nodes.ext]
type = "dtmf"
digits = "{{BALANCE}}#"
next = "menu"
[script.nodes.menu]
type = "menu"
prompt = { text = "Нажмите 1." }
digits = { "1" = "bye" }
timeout = "3s"
tries = 3
on_timeout = "bye"
on_invalid = "bye"
[script.nodes.bye]
type = "hangup"
"#;

/// (event, application, data, simulated µs) of everything the watcher saw.
async fn drain(events: &mut outcall::esl::client::EventStream) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(300), events.recv()).await {
        out.push((
            ev.application().unwrap_or_default().to_string(),
            ev.application_data().unwrap_or_default().to_string(),
            ev.get("Event-Date-Timestamp")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
        ));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn pause_dtmf_and_a_menu_that_asks_again() {
    let w = World::new(RULES, None).await;
    let mut events = switch_watcher(&w, &["CHANNEL_EXECUTE"]).await;
    // The contact's BALANCE stands in for an extension here: digits only.
    let mut c = contact("Ext", "+79001000001", None);
    c.vars.insert("BALANCE".into(), "1024".into());
    let id = w.campaign_with(CAMPAIGN, &[c]).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    engine.stop().await;
    let seen = drain(&mut events).await;
    let at = |app: &str| {
        seen.iter()
            .find(|e| e.0 == app)
            .unwrap_or_else(|| panic!("{app} not run: {seen:?}"))
    };
    assert_eq!(at("sleep").1, "2000");
    assert_eq!(at("send_dtmf").1, "1024#");
    let paused = at("send_dtmf").2 - at("sleep").2;
    assert!(
        (2_000_000..2_300_000).contains(&paused),
        "{paused} µs: {seen:?}"
    );
    let prompts = seen
        .iter()
        .filter(|e| e.0 == "speak" && e.1.ends_with("Нажмите 1."))
        .count();
    let collects = seen.iter().filter(|e| e.0 == "play_and_get_digits").count();
    assert_eq!((prompts, collects), (3, 3), "{seen:?}");
    let a = &w.store.campaign_attempts(id).await.unwrap()[0];
    assert_eq!(a.hangup_cause.as_deref(), Some("NORMAL_CLEARING"), "{a:?}");
}
