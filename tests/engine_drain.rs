//! A graceful stop: the engine places no new call, keeps the switch connection and the calls'
//! event streams while live calls finish (recorded as what they were), and once the drain time
//! is over hangs the rest up and records them `interrupted` (retried, not counted toward the
//! campaign's technical-error streak).

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, ContactStatus, Disposition};
use outcall::scheduler::engine::DrainReport;
use support::*;

/// Four lines (a fifth contact waits), and a technical error would pause the campaign.
fn campaign() -> String {
    LONG_PROMPT_CAMPAIGN.replace("lines = 10", "lines = 4").replace(
        "max_attempts = 1",
        "max_attempts = 1\ntechnical_backoff = \"10m\"\ntechnical_backoff_max = \"1h\"\npause_after_technical_errors = 1",
    )
}

#[tokio::test(start_paused = true)]
async fn a_stop_drains_live_calls_then_hangs_up_the_rest_as_interrupted() {
    let mut w = World::new(LONG_AND_SHORT_RULES, None).await;
    // 10 real seconds: 200 simulated, past the short calls' 30 s, short of the long ones' 600 s.
    w.drain = Duration::from_secs(10);
    let id = w
        .campaign(
            &campaign(),
            &[
                ("Long 1", "+79008000001"),
                ("Long 2", "+79008000002"),
                ("Ends 1", "+79009000001"),
                ("Ends 2", "+79009000002"),
                ("Waits 1", "+79009000003"),
            ],
        )
        .await;
    let engine = w.engine("e1", 100).await;
    w.until("four calls up", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 4
    })
    .await;
    let report = engine.stop().await;
    assert_eq!(
        report,
        DrainReport {
            live: 4,
            finished: 2,
            hung_up: 2,
            unrecorded: 0
        }
    );
    assert_eq!(w.sim.stats().channels_now, 0, "the long calls were hung up");
    assert_eq!(
        w.sim.stats().originates,
        4,
        "no call was placed after the stop"
    );
    assert_eq!(
        w.sim.stats().connections,
        1,
        "one connection, kept to the end"
    );
    let cdr = w.store.campaign_attempts(id).await.unwrap();
    let mut seen: Vec<_> = cdr
        .iter()
        .map(|a| {
            let cause = a.hangup_cause.clone().unwrap_or_default();
            (a.phone.clone(), a.disposition, cause)
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let clearing = || "NORMAL_CLEARING".to_string();
    assert_eq!(
        seen,
        vec![
            (
                "+79008000001".into(),
                Some(Disposition::Interrupted),
                clearing()
            ),
            (
                "+79008000002".into(),
                Some(Disposition::Interrupted),
                clearing()
            ),
            (
                "+79009000001".into(),
                Some(Disposition::Answered),
                clearing()
            ),
            (
                "+79009000002".into(),
                Some(Disposition::Answered),
                clearing()
            ),
        ]
    );
    for c in w.contacts(id).await {
        match c.phones[0].as_str() {
            "+79008000001" | "+79008000002" => {
                assert_eq!(c.status, ContactStatus::Pending, "retried: {c:?}");
                assert_eq!(c.attempts, 0, "an interrupted call uses no attempt");
            }
            "+79009000003" => assert_eq!(c.status, ContactStatus::Pending, "never called"),
            _ => assert_eq!(c.status, ContactStatus::Done, "{c:?}"),
        }
    }
    let (status, reason) = w.store.campaign_status(id).await.unwrap();
    assert_eq!(
        status,
        CampaignStatus::Running,
        "interrupted calls are not technical errors of the campaign: {reason:?}"
    );
}

/// A drain long enough for every call: nothing is interrupted.
#[tokio::test(start_paused = true)]
async fn a_long_enough_drain_lets_every_call_finish() {
    let mut w = World::new(LONG_AND_SHORT_RULES, None).await;
    w.drain = Duration::from_secs(60);
    let id = w
        .campaign(
            &campaign(),
            &[("Ends 1", "+79009000001"), ("Ends 2", "+79009000002")],
        )
        .await;
    let engine = w.engine("e1", 100).await;
    w.until("two calls up", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 2
    })
    .await;
    let report = engine.stop().await;
    assert_eq!((report.live, report.finished, report.hung_up), (2, 2, 0));
    let dispositions: Vec<_> = w.attempts(id).await.into_iter().map(|(_, d)| d).collect();
    assert_eq!(dispositions, vec![Some(Disposition::Answered); 2]);
    for c in w.contacts(id).await {
        assert_eq!(c.status, ContactStatus::Done, "{c:?}");
    }
}
