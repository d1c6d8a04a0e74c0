//! The first application of a call is sent only once the channel has parked (issue 18). The
//! simulator runs an application that arrives before park the way FreeSWITCH does, with no
//! media: speak "completes" at once, say opens nothing, digits are not collected. A callee who
//! answers at once is the case where a dialer reacting to CHANNEL_ANSWER lands there.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::esl::client::EventStream;
use outcall::model::{CampaignStatus, ContactStatus, Disposition};
use support::*;

/// Answered at once (no ring); the originate hands the channel to park 2 simulated seconds
/// later (a wide window, so a dialer that sends on CHANNEL_ANSWER lands in it on any machine),
/// and the callee stays long enough for the whole script.
const AT_ONCE: &str = r#"
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 0, park_delay = 2, hangup_after = 200 }]
[[rule]]
exact = "operator"
outcome = [{ result = "answer", ring = 0, hangup_after = 5 }]
"#;

/// (event name, application, simulated µs timestamp, unique id) of everything seen so far.
async fn drain(events: &mut EventStream) -> Vec<(String, String, i64, String)> {
    let mut out = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(300), events.recv()).await {
        out.push((
            ev.event_name().unwrap_or_default().to_string(),
            ev.get("Application").unwrap_or_default().to_string(),
            ev.get("Event-Date-Timestamp")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
            ev.unique_id().unwrap_or_default().to_string(),
        ));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn greeting_of_a_call_answered_at_once_lasts_its_full_length() {
    let w = World::new(AT_ONCE, None).await;
    let mut events = switch_watcher(
        &w,
        &[
            "CHANNEL_EXECUTE",
            "CHANNEL_EXECUTE_COMPLETE",
            "CHANNEL_PARK",
        ],
    )
    .await;
    let id = w
        .campaign(&campaign_toml("now", 5, 1, ""), &phones_ref("7900100", 5))
        .await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    engine.stop().await;
    let seen = drain(&mut events).await;
    let calls: std::collections::BTreeSet<&str> = seen
        .iter()
        .filter(|e| e.0 == "CHANNEL_PARK")
        .map(|e| e.3.as_str())
        .collect();
    assert_eq!(calls.len(), 5, "{seen:?}");
    // "Ваша задолженность шестьдесят восемь рублей двадцать семь копеек." spoken in full:
    // the simulator gives text time by its length, well over a second.
    for uuid in calls {
        let of = |name: &str| {
            seen.iter()
                .find(|e| e.3 == uuid && e.0 == name && e.1 == "speak")
                .map(|e| e.2)
                .unwrap_or_else(|| panic!("{name} speak missing for {uuid}: {seen:?}"))
        };
        let park = seen
            .iter()
            .position(|e| e.3 == uuid && e.0 == "CHANNEL_PARK")
            .unwrap();
        let first_exec = seen
            .iter()
            .position(|e| e.3 == uuid && e.0 == "CHANNEL_EXECUTE" && e.1 != "park")
            .unwrap();
        assert!(
            park < first_exec,
            "an application ran before park: {seen:?}"
        );
        let spoke_us = of("CHANNEL_EXECUTE_COMPLETE") - of("CHANNEL_EXECUTE");
        assert!(spoke_us >= 2_000_000, "greeting lasted {spoke_us} µs");
    }
    for c in w.contacts(id).await {
        assert_eq!(c.status, ContactStatus::Done);
    }
}

#[tokio::test(start_paused = true)]
async fn say_without_prompts_pauses_the_campaign_when_answered_at_once() {
    let w = World::new(AT_ONCE, None).await;
    assert_say_without_prompts_pauses(&w, "say", Duration::from_secs(30)).await;
}

#[tokio::test(start_paused = true)]
async fn operator_bridge_as_the_first_step_connects_when_answered_at_once() {
    let w = World::new(AT_ONCE, None).await;
    let toml = campaign_toml("bridge_now", 2, 1, "")
        .replace("start = \"greeting\"", "start = \"operator\"");
    let id = w.campaign(&toml, &phones_ref("7900100", 2)).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    engine.stop().await;
    for c in w.contacts(id).await {
        assert_eq!(
            (c.status, c.last_disposition),
            (ContactStatus::Done, Some(Disposition::Transferred)),
            "{c:?}"
        );
    }
}

fn phones_ref(prefix: &str, n: usize) -> Vec<(&'static str, &'static str)> {
    phones(prefix, n)
        .into_iter()
        .map(|(a, b)| -> (&'static str, &'static str) {
            (Box::leak(a.into_boxed_str()), Box::leak(b.into_boxed_str()))
        })
        .collect()
}
