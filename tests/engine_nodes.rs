//! End-to-end against simulators: a cron campaign runs again when its recurrence fires, and a
//! FreeSWITCH node that dies mid-campaign loses its calls (technical failures, retried) while
//! every new call goes to the node that is left.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, Disposition};
use outcall::sim::{self, Rules, SimConfig};
use support::*;

/// Every two simulated minutes (six real seconds at the tests' time scale) the completed
/// campaign is reopened: each contact is called once per run, never twice in one.
#[tokio::test(start_paused = true)]
async fn cron_recurrence_runs_a_completed_campaign_again() {
    let w = World::new(ANSWERED_RULES, None).await;
    let toml = campaign_toml("cron", 3, 1, "[schedule]\ncron = \"0 */2 * * * *\"\n");
    let list = phones("7900100", 3);
    let id = w.campaign(&toml, &refs(&list)).await;
    let engine = w.engine("e1", 100).await;
    w.until(
        "a second run within a recurrence",
        Duration::from_secs(60),
        || async {
            let a = w.attempts(id).await;
            a.iter().filter(|(_, d)| d.is_some()).count() >= 6
        },
    )
    .await;
    let attempts = w.attempts(id).await;
    engine.stop().await;
    for (_, phone) in &list {
        let mine: Vec<_> = attempts.iter().filter(|(p, _)| p == phone).collect();
        assert!(
            mine.len() >= 2 && mine.len() <= 3,
            "{phone} called once per run: {attempts:?}"
        );
        assert!(mine
            .iter()
            .all(|(_, d)| d.is_none() || *d == Some(Disposition::Answered)));
    }
}

/// Two nodes share the campaign; the second (where calls only ring) dies once it carries
/// calls. Its calls end as technical failures (no attempt used), and the campaign still
/// completes on the first node.
#[tokio::test(start_paused = true)]
async fn a_dead_node_fails_over_to_the_other() {
    let w = World::new(ANSWERED_RULES, None).await;
    let ringing = r#"
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 3000 }]
"#;
    let second = sim::start(SimConfig {
        rules: Rules::from_toml_str(ringing).unwrap(),
        time_scale: SCALE,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let list = phones("7900100", 12);
    let id = w
        .campaign(
            &campaign_toml("failover", 4, 1, "")
                .replace("ring_timeout = \"20s\"", "ring_timeout = \"3000s\""),
            &refs(&list),
        )
        .await;
    let engine = w
        .engine_on(
            "e1",
            100,
            Duration::from_millis(100),
            &[w.sim.addr(), second.addr()],
        )
        .await;
    w.until(
        "the second node gets calls",
        Duration::from_secs(20),
        || async { second.stats().channels_now > 0 },
    )
    .await;
    let before = w.sim.stats().originates;
    second.shutdown().await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    engine.stop().await;
    let cdr = w.store.campaign_attempts(id).await.unwrap();
    let lost: Vec<_> = cdr
        .iter()
        .filter(|a| a.disposition == Some(Disposition::Technical))
        .collect();
    assert!(!lost.is_empty(), "the dead node's calls failed: {cdr:?}");
    w.assert_answered_without_using_attempts(id).await;
    assert!(
        w.sim.stats().originates > before,
        "the first node took the calls after the second died"
    );
}
