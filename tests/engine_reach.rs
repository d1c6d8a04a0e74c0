//! Issue 15, the call side, end to end against the simulator on paused time: answering-machine
//! detection (hang up on a machine and retry it, a person goes through, a message left after the
//! beep), the longest call, and a contact's phones called in order within one attempt.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, ContactStatus, Disposition, NewContact};
use support::*;

const RULES: &str = r#"
[[rule]]
prefix = "7900201"
outcome = [{ result = "machine", ring = 1, hangup_after = 40 }]
[[rule]]
prefix = "7900202"
outcome = [{ result = "human", ring = 1, hangup_after = 60 }]
[[rule]]
prefix = "7900203"
outcome = [{ result = "answer", ring = 1, dtmf = "1", dtmf_on = "prompt", dtmf_after = 0.5 }]
[[rule]]
prefix = "7900211"
outcome = [{ result = "busy", ring = 1 }]
[[rule]]
prefix = "7900212"
outcome = [{ result = "no_answer" }]
[[rule]]
prefix = "7900213"
outcome = [{ result = "answer", ring = 1, hangup_after = 30 }]
[[rule]]
exact = "operator"
outcome = [{ result = "answer", ring = 1 }]
"#;

/// A campaign with `[amd]` (`amd` is its table's body) whose script greets, and can leave a
/// message after the beep.
fn amd_campaign(name: &str, amd: &str) -> String {
    format!(
        r#"
name = "{name}"
caller_id = "74950000000"
dial = "sofia/gateway/demo/{{number}}"
timezone = "Europe/Moscow"
ring_timeout = "20s"
[amd]
{amd}
[limits]
lines = 5
cps = 50
[retry]
max_attempts = 2
recall_interval = "20s"
min_success_seconds = 1
[script]
start = "hello"
[script.nodes.hello]
type = "speak"
text = "Здравствуйте, это напоминание."
next = "bye"
[script.nodes.vm]
type = "voicemail"
wait = "20s"
next = "message"
[script.nodes.message]
type = "speak"
text = "Перезвоните нам."
next = "left"
[script.nodes.left]
type = "set"
tag = "voicemail"
next = "bye"
[script.nodes.bye]
type = "hangup"
"#
    )
}

#[tokio::test(start_paused = true)]
async fn machines_are_hung_up_on_and_retried_people_hear_the_script() {
    let w = World::new(RULES, None).await;
    let mut contacts = phones("7900201", 2);
    contacts.extend(phones("7900202", 2));
    let id = w
        .campaign(
            &amd_campaign("amd", "on_machine = \"hangup\""),
            &refs(&contacts),
        )
        .await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(120))
        .await;
    engine.stop().await;
    let rows = w.store.campaign_attempts(id).await.unwrap();
    let of = |prefix: &str| -> Vec<_> {
        rows.iter()
            .filter(|a| a.phone.starts_with(prefix))
            .collect()
    };
    assert_eq!(
        of("+7900201").len(),
        4,
        "each machine called twice: {rows:?}"
    );
    for a in of("+7900201") {
        assert_eq!(a.disposition, Some(Disposition::Machine), "{a:?}");
        // Heard for 5.3 s (a 6 s greeting is too long), then hung up at once.
        let billsec = a.billsec.unwrap();
        assert!((5..=7).contains(&billsec), "{a:?}");
    }
    assert_eq!(of("+7900202").len(), 2, "{rows:?}");
    for a in of("+7900202") {
        assert_eq!(a.disposition, Some(Disposition::Answered), "{a:?}");
    }
    for c in w.contacts(id).await {
        let want = if c.phones[0].starts_with("+7900201") {
            (ContactStatus::Exhausted, Some(Disposition::Machine), 2)
        } else {
            (ContactStatus::Done, Some(Disposition::Answered), 1)
        };
        assert_eq!((c.status, c.last_disposition, c.attempts), want, "{c:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_machine_gets_the_message_after_its_beep() {
    let w = World::new(RULES, None).await;
    let mut events = switch_watcher(&w, &["CHANNEL_EXECUTE", "CUSTOM", "avmd::beep"]).await;
    let amd = "on_machine = \"voicemail\"\nvoicemail = \"vm\"";
    let id = w
        .campaign(&amd_campaign("vm", amd), &refs(&phones("7900201", 1)))
        .await;
    let engine = w.engine("e1", 100).await;
    w.until("the message is left", Duration::from_secs(60), || async {
        w.store
            .campaign_attempts(id)
            .await
            .unwrap()
            .iter()
            .any(|a| a.disposition.is_some())
    })
    .await;
    engine.stop().await;
    let a = &w.store.campaign_attempts(id).await.unwrap()[0];
    assert_eq!(a.disposition, Some(Disposition::Machine), "{a:?}");
    assert_eq!(a.tags, ["voicemail"], "{a:?}");
    let mut seen = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(300), events.recv()).await {
        let what = match ev.event_name().as_deref() {
            Some("CUSTOM") => ev.get("Event-Subclass").unwrap_or_default().to_string(),
            _ => format!(
                "{} {}",
                ev.get("Application").unwrap_or_default(),
                ev.get("Application-Data").unwrap_or_default()
            ),
        };
        let at: i64 = ev
            .get("Event-Date-Timestamp")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        seen.push((what, at));
    }
    let when = |what: &str| {
        seen.iter()
            .find(|(w, _)| w.contains(what))
            .map(|(_, at)| *at)
            .unwrap_or_else(|| panic!("{what} not seen: {seen:?}"))
    };
    let beep = when("avmd::beep");
    assert!(when("avmd_start") < beep, "{seen:?}");
    assert!(
        beep <= when("Перезвоните нам"),
        "the message follows the beep: {seen:?}"
    );
    assert!(
        !seen.iter().any(|(w, _)| w.contains("Здравствуйте")),
        "{seen:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_switch_hangs_up_a_call_at_its_longest() {
    // The callee presses 1 and is bridged to the operator; neither ever hangs up.
    let w = World::new(RULES, None).await;
    let toml = campaign_toml("long", 1, 1, "max_call_duration = \"60s\"");
    let id = w.campaign(&toml, &refs(&phones("7900203", 1))).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    engine.stop().await;
    let a = &w.store.campaign_attempts(id).await.unwrap()[0];
    assert_eq!(a.hangup_cause.as_deref(), Some("ALLOTTED_TIMEOUT"), "{a:?}");
    assert_eq!(a.disposition, Some(Disposition::Transferred), "{a:?}");
    assert_eq!(a.billsec, Some(60), "{a:?}");
}

fn multi(name: &str, phones: &[&str]) -> NewContact {
    let mut c = contact(name, phones[0], None);
    c.phones = phones.iter().map(|p| p.to_string()).collect();
    c
}

#[tokio::test(start_paused = true)]
async fn sequential_calls_the_next_phone_within_one_attempt() {
    let w = World::new(RULES, None).await;
    let toml = campaign_toml("seq", 2, 2, "phone_strategy = \"sequential\"");
    let rows = [
        multi("Reached", &["+79002110001", "+79002120001", "+79002130001"]),
        multi("Never", &["+79002110002", "+79002120002"]),
    ];
    let id = w.campaign_with(&toml, &rows).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(120))
        .await;
    engine.stop().await;
    let calls = w.attempts(id).await;
    let of = |suffix: &str| -> Vec<(String, Option<Disposition>)> {
        calls
            .iter()
            .filter(|(p, _)| p.ends_with(suffix))
            .cloned()
            .collect()
    };
    use Disposition::*;
    assert_eq!(
        of("0001"),
        [
            ("+79002110001".to_string(), Some(Busy)),
            ("+79002120001".to_string(), Some(NoAnswer)),
            ("+79002130001".to_string(), Some(Answered)),
        ]
    );
    let never: Vec<_> = of("0002").into_iter().map(|(_, d)| d).collect();
    assert_eq!(
        never,
        [Some(Busy), Some(NoAnswer), Some(Busy), Some(NoAnswer)]
    );
    for c in w.contacts(id).await {
        let want = match c.name.as_str() {
            "Reached" => (ContactStatus::Done, 1, Some(Answered)),
            _ => (ContactStatus::Exhausted, 2, Some(NoAnswer)),
        };
        assert_eq!((c.status, c.attempts, c.last_disposition), want, "{c:?}");
    }
}
