//! Two engines on one PostgreSQL share a campaign without dialling anyone twice (leases taken
//! with FOR UPDATE SKIP LOCKED). Runs only when OUTCALL_TEST_POSTGRES_URL is set.

#[path = "engine_support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use outcall::model::CampaignStatus;
use support::*;

const RULES: &str = r#"
[[rule]]
prefix = "7900600"
outcome = [{ result = "answer", ring = 1, hangup_after = 4 }]
"#;

#[tokio::test(start_paused = true)]
async fn two_engines_share_a_campaign_without_a_double_dial() {
    let Some(w) = World::on_postgres(RULES, "two_engines").await else {
        return;
    };
    let list = phones("7900600", 40);
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let id = w.campaign(&campaign_toml("shared", 8, 1, ""), &refs).await;
    // The campaign's 8 lines are one pool across both (issue 17): each engine may carry 4
    // calls of its own, so neither can take them all and both dial.
    let a = w.engine("engine-a", 4).await;
    let b = w.engine("engine-b", 4).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    assert_eq!(
        w.sim.stats().originates,
        40,
        "every contact dialled exactly once"
    );
    let mut per_phone: HashMap<String, usize> = HashMap::new();
    for (phone, d) in w.attempts(id).await {
        assert!(d.is_some());
        *per_phone.entry(phone).or_default() += 1;
    }
    assert_eq!(per_phone.len(), 40);
    assert!(per_phone.values().all(|n| *n == 1), "{per_phone:?}");
    let (na, nb) = (a.handle.metrics.originates(), b.handle.metrics.originates());
    assert_eq!(na + nb, 40);
    assert!(na > 0 && nb > 0, "both engines dialled: {na} + {nb}");
    for c in w.contacts(id).await {
        assert!(c.status.is_final() && c.attempts == 1, "{c:?}");
    }
    a.stop().await;
    b.stop().await;
}
