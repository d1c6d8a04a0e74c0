//! End-to-end against the simulator: pacing caps, windows, technical errors and the automatic
//! pause, pause/resume, stop, and `filestring::fail` detection.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use chrono::TimeZone;
use outcall::config::GatewayLimits;
use outcall::model::{CampaignStatus, ContactStatus, Disposition};
use support::*;

const RULES: &str = r#"
[media]
say_languages = ["en"]
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 25 }]
[[rule]]
prefix = "7900700"
outcome = [{ result = "gateway_down", ring = 0 }]
[[rule]]
prefix = "7900800"
outcome = [{ result = "answer", ring = 1, hangup_after = 600 }]
"#;

fn rows(prefix: &str, n: usize) -> Vec<(String, String)> {
    phones(prefix, n)
}

async fn campaign_of(w: &World, toml: &str, list: &[(String, String)]) -> i64 {
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    w.campaign(toml, &refs).await
}

#[tokio::test(start_paused = true)]
async fn lines_cap_is_never_exceeded() {
    let w = World::new(RULES, None).await;
    let id = campaign_of(&w, &campaign_toml("cap", 3, 1, ""), &rows("7900100", 12)).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(40))
        .await;
    let stats = w.sim.stats();
    assert_eq!(stats.originates, 12);
    assert!(stats.max_concurrent_channels <= 3, "{stats:?}");
    assert_eq!(stats.max_concurrent_channels, 3, "the cap is used, too");
    engine.stop().await;
}

/// Two campaigns with 4 lines each dial through one gateway capped at 3 lines: the sim never
/// carries more than 3 calls at once, and every contact of both is still called.
#[tokio::test(start_paused = true)]
async fn gateway_cap_holds_across_campaigns() {
    let mut w = World::new(RULES, None).await;
    w.gateways = vec![GatewayLimits {
        name: "demo".into(),
        lines: 3,
        cps: None,
    }];
    let a = campaign_of(&w, &campaign_toml("gw-a", 4, 1, ""), &rows("7900100", 8)).await;
    let b = campaign_of(&w, &campaign_toml("gw-b", 4, 1, ""), &rows("7900100", 8)).await;
    let engine = w.engine("e1", 100).await;
    for id in [a, b] {
        w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
            .await;
    }
    let stats = w.sim.stats();
    assert_eq!(stats.originates, 16);
    assert!(stats.max_concurrent_channels <= 3, "{stats:?}");
    assert_eq!(stats.max_concurrent_channels, 3, "the cap is used, too");
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn gateway_down_backs_off_and_pauses_the_campaign() {
    let w = World::new(RULES, None).await;
    let toml = campaign_toml("gw", 5, 1, "").replace(
        "min_success_seconds = 10",
        "min_success_seconds = 10\npause_after_technical_errors = 6",
    );
    let id = campaign_of(&w, &toml, &rows("7900700", 2)).await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Paused, Duration::from_secs(40))
        .await;
    let (_, reason) = w.store.campaign_status(id).await.unwrap();
    let reason = reason.unwrap();
    assert!(
        reason.contains("6 technical errors") && reason.contains("GATEWAY_DOWN"),
        "{reason}"
    );
    let attempts = w.attempts(id).await;
    assert_eq!(
        attempts.len(),
        6,
        "nothing dialled after the pause: {attempts:?}"
    );
    assert!(attempts
        .iter()
        .all(|(_, d)| *d == Some(Disposition::Technical)));
    for c in w.contacts(id).await {
        assert_eq!(
            c.status,
            ContactStatus::Pending,
            "technical errors do not use the attempt"
        );
        assert_eq!(c.attempts, 0);
        assert_eq!(c.technical_streak, 3, "three each, alternating");
        let cdr = w.store.campaign_attempts(id).await.unwrap();
        let last_end = cdr
            .iter()
            .filter(|a| a.contact_id == c.id)
            .filter_map(|a| a.ended_at)
            .max()
            .unwrap();
        assert_eq!(
            c.next_attempt_at - last_end,
            chrono::Duration::seconds(20),
            "5 s doubled twice"
        );
    }
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn nothing_is_dialled_outside_the_subscriber_window() {
    // 05:00 UTC: 08:00 in Moscow (closed until 09:00), 12:00 in Novosibirsk (open).
    let start = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 5, 0, 0).unwrap();
    let w = World::at(RULES, None, start).await;
    let toml = campaign_toml(
        "win",
        3,
        1,
        "[schedule]\nwindows = [{ days = \"mon-sun\", hours = [\"09:00-17:00\"] }]\n",
    );
    let list = [
        contact("Moscow", "+79001000001", Some("Europe/Moscow")),
        contact("Novosibirsk", "+79001000002", Some("Asia/Novosibirsk")),
    ];
    let id = w.campaign_with(&toml, &list).await;
    let engine = w.engine("e1", 100).await;
    w.until("Novosibirsk called", Duration::from_secs(20), || async {
        w.contact(id, "+79001000002").await.status == ContactStatus::Done
    })
    .await;
    let moscow = w.contact(id, "+79001000001").await;
    assert_eq!(moscow.status, ContactStatus::Pending);
    assert_eq!(moscow.attempts, 0);
    assert_eq!(
        w.sim.stats().originates,
        1,
        "only the open zone was dialled"
    );
    let opens = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap();
    assert_eq!(moscow.next_attempt_at, opens, "deferred to 09:00 Moscow");
    w.clock.advance(Duration::from_secs(3600));
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(20))
        .await;
    let cdr = w.store.campaign_attempts(id).await.unwrap();
    let moscow_call = cdr.iter().find(|a| a.phone == "+79001000001").unwrap();
    assert!(
        moscow_call.started_at >= opens,
        "called at {}",
        moscow_call.started_at
    );
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn pause_lets_live_calls_finish_and_resume_continues() {
    let w = World::new(RULES, None).await;
    let id = campaign_of(&w, &campaign_toml("pr", 2, 1, ""), &rows("7900100", 8)).await;
    let engine = w.engine("e1", 100).await;
    w.until("two calls placed", Duration::from_secs(10), || async {
        w.sim.stats().originates >= 2
    })
    .await;
    let now = w.clock.now();
    w.store
        .set_campaign_status(id, CampaignStatus::Paused, Some("by hand"), now)
        .await
        .unwrap();
    // Live calls finish on their own; no new ones start.
    // Calls claimed before the pause was read go on and finish; wait until all have been
    // recorded (a channel gone is not yet a finished attempt).
    w.until("live calls finished", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 0 && dialing(&w, id).await.is_empty()
    })
    .await;
    let placed = w.sim.stats().originates;
    // Three whole scheduling passes after the pause: each read the status and claimed nothing.
    engine.handle.step(3).await;
    assert_no_claims(&w, id).await;
    assert_eq!(
        w.sim.stats().originates,
        placed,
        "paused: no new originates"
    );
    assert!(placed < 8);
    let done: Vec<_> = w.attempts(id).await;
    assert!(
        done.iter().all(|(_, d)| *d == Some(Disposition::Answered)),
        "live calls ended normally: {done:?}"
    );
    w.store
        .set_campaign_status(id, CampaignStatus::Running, None, w.clock.now())
        .await
        .unwrap();
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(40))
        .await;
    assert_eq!(w.sim.stats().originates, 8);
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn stop_hangs_up_live_calls_as_cancelled() {
    let w = World::new(RULES, None).await;
    let id = campaign_of(&w, &campaign_toml("stop", 3, 3, ""), &rows("7900800", 6)).await;
    let engine = w.engine("e1", 100).await;
    w.until("three calls live", Duration::from_secs(10), || async {
        w.sim.stats().channels_now >= 3
    })
    .await;
    w.store
        .set_campaign_status(
            id,
            CampaignStatus::Cancelled,
            Some("stopped"),
            w.clock.now(),
        )
        .await
        .unwrap();
    w.until("live calls hung up", Duration::from_secs(5), || async {
        w.sim.stats().channels_now == 0
    })
    .await;
    w.until("attempts recorded", Duration::from_secs(10), || async {
        w.attempts(id).await.iter().all(|(_, d)| d.is_some())
    })
    .await;
    let a = w.attempts(id).await;
    assert_eq!(a.len(), 3);
    assert!(
        a.iter().all(|(_, d)| *d == Some(Disposition::Cancelled)),
        "{a:?}"
    );
    engine.handle.step(3).await;
    assert_no_claims(&w, id).await;
    assert_eq!(w.sim.stats().originates, 3, "nothing new after the stop");
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn missing_say_prompts_pause_the_campaign_as_misconfigured() {
    let w = World::new(RULES, None).await;
    assert_say_without_prompts_pauses(&w, "say", Duration::from_secs(20)).await;
}

/// No contact of the campaign is leased for a call (claims happen inside a pass, so after
/// whole passes a claim would show here even before its originate is sent).
async fn assert_no_claims(w: &World, id: i64) {
    let dialing = dialing(w, id).await;
    assert!(
        dialing.is_empty(),
        "claimed after the status change: {dialing:?}"
    );
}

/// The campaign's contacts leased for a call now.
async fn dialing(w: &World, id: i64) -> Vec<outcall::model::ContactRecord> {
    w.contacts(id)
        .await
        .into_iter()
        .filter(|c| c.status == ContactStatus::Dialing)
        .collect()
}
