//! A node whose socket dies mid-call: its calls end as technical failures (SWITCH_UNREACHABLE),
//! the engine reconnects with backoff and subscribes again, the channels left parked are hung up,
//! and the contacts are called again and finish normally.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::call::switch::Switch;
use outcall::model::{CampaignStatus, Disposition};
use outcall::sim::Faults;
use support::*;

#[tokio::test(start_paused = true)]
async fn lost_socket_ends_calls_as_technical_then_reconnects() {
    let w = World::new(ANSWERED_RULES, None).await;
    let list = phones("7900100", 3);
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let id = w.campaign(&campaign_toml("faults", 3, 1, ""), &refs).await;
    // The engine's first connection is dropped after 10 events: mid-call.
    w.sim.set_faults(Faults {
        drop_after_events: Some(10),
        ..Faults::default()
    });
    let engine = w.engine("e1", 100).await;
    w.sim.set_faults(Faults::default());
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(40))
        .await;
    let cdr = w.store.campaign_attempts(id).await.unwrap();
    let lost: Vec<_> = cdr
        .iter()
        .filter(|a| a.hangup_cause.as_deref() == Some("SWITCH_UNREACHABLE"))
        .collect();
    assert!(!lost.is_empty(), "some calls were cut by the drop: {cdr:?}");
    assert!(lost
        .iter()
        .all(|a| a.disposition == Some(Disposition::Technical)));
    w.assert_answered_without_using_attempts(id).await;
    w.until(
        "no channel left on the switch",
        Duration::from_secs(15),
        || async { w.sim.stats().channels_now == 0 },
    )
    .await;
    assert!(w.sim.stats().connections >= 2, "the engine reconnected");
    let stats = engine.switch.stats();
    assert!(
        stats.reconnects >= 1,
        "the reconnect was counted: {stats:?}"
    );
    assert!(
        stats.events > 10,
        "events of both connections were counted: {stats:?}"
    );
    engine.stop().await;
}
