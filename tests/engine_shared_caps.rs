//! Caps across dialers (issue 17, item 5): a campaign's lines and calls per second, and a
//! gateway's lines, hold across every dialer sharing the database, on SQLite and (when
//! OUTCALL_TEST_POSTGRES_URL is set) PostgreSQL. Two engines, each of which alone could place
//! the whole cap, together never go past it on the switch's own count of live channels.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::config::GatewayLimits;
use outcall::model::CampaignStatus;
use support::*;

/// Calls answer after 1 s and last 30 simulated seconds.
const RULES: &str = r#"
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 1, hangup_after = 30 }]
"#;

/// Runs two engines on `w` until the campaigns complete; returns each engine's originates.
async fn two_engines(w: &World, ids: &[i64]) -> (u64, u64) {
    let a = w.engine("dialer-a", 100).await;
    let b = w.engine("dialer-b", 100).await;
    for id in ids {
        w.wait_status(*id, CampaignStatus::Completed, Duration::from_secs(120))
            .await;
    }
    let counts = (a.handle.metrics.originates(), b.handle.metrics.originates());
    a.stop().await;
    b.stop().await;
    counts
}

async fn campaign_lines(w: World) {
    let list = phones("7900100", 24);
    let id = w
        .campaign(&campaign_toml("lines", 4, 1, ""), &refs(&list))
        .await;
    // Whichever dialer sees a free line first takes it (the lines are one pool), so the split
    // is not asserted; without the shared count each would have its own 4 lines.
    let (a, b) = two_engines(&w, &[id]).await;
    assert_eq!(a + b, 24, "every contact once");
    let most = w.sim.stats().max_concurrent_channels;
    assert!(
        most <= 4,
        "lines = 4 across both dialers, the switch saw {most}"
    );
    w.assert_answered_without_using_attempts(id).await;
}

#[tokio::test(start_paused = true)]
async fn campaign_lines_hold_across_dialers_on_sqlite() {
    campaign_lines(World::new(RULES, None).await).await;
}

#[tokio::test(start_paused = true)]
async fn campaign_lines_hold_across_dialers_on_postgres() {
    if let Some(w) = World::on_postgres(RULES, "shared_lines").await {
        campaign_lines(w).await;
    }
}

async fn gateway_lines(mut w: World) {
    w.gateways = vec![GatewayLimits {
        name: "demo".into(),
        lines: 3,
        cps: None,
    }];
    let first = phones("7900100", 12);
    let second: Vec<(String, String)> = phones("7900100", 24).split_off(12);
    let c1 = w
        .campaign(&campaign_toml("gw-1", 10, 1, ""), &refs(&first))
        .await;
    let c2 = w
        .campaign(&campaign_toml("gw-2", 10, 1, ""), &refs(&second))
        .await;
    let (a, b) = two_engines(&w, &[c1, c2]).await;
    assert_eq!(a + b, 24, "every contact once");
    let most = w.sim.stats().max_concurrent_channels;
    assert!(
        most <= 3,
        "gateway lines = 3 across both dialers, the switch saw {most}"
    );
}

#[tokio::test(start_paused = true)]
async fn gateway_lines_hold_across_dialers_on_sqlite() {
    gateway_lines(World::new(RULES, None).await).await;
}

#[tokio::test(start_paused = true)]
async fn gateway_lines_hold_across_dialers_on_postgres() {
    if let Some(w) = World::on_postgres(RULES, "shared_gateway").await {
        gateway_lines(w).await;
    }
}

async fn campaign_cps(w: World) {
    let list = phones("7900100", 8);
    let toml = campaign_toml("cps", 10, 1, "").replace("cps = 50", "cps = 1");
    let id = w.campaign(&toml, &refs(&list)).await;
    let (a, b) = two_engines(&w, &[id]).await;
    assert_eq!(a + b, 8);
    // One call per real second is one per SCALE simulated seconds of the engines' clock: no
    // two attempts started within that window, whichever dialer placed them.
    let window = chrono::Duration::milliseconds((1000.0 * SCALE) as i64);
    let mut starts: Vec<_> = w
        .store
        .campaign_attempts(id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.started_at)
        .collect();
    starts.sort();
    let crowded: Vec<_> = starts.windows(2).filter(|p| p[1] - p[0] < window).collect();
    assert!(
        crowded.is_empty(),
        "cps = 1 across both dialers: {crowded:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn campaign_cps_holds_across_dialers_on_sqlite() {
    campaign_cps(World::new(RULES, None).await).await;
}

#[tokio::test(start_paused = true)]
async fn campaign_cps_holds_across_dialers_on_postgres() {
    if let Some(w) = World::on_postgres(RULES, "shared_cps").await {
        campaign_cps(w).await;
    }
}
