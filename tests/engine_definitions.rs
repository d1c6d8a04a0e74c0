//! A stored definition that no longer validates (written by an older outcall whose rules were
//! looser, here an unknown template filter) pauses its own campaign with the reason; the other
//! campaigns go on.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, ContactStatus};
use support::*;

#[tokio::test(start_paused = true)]
async fn a_broken_stored_definition_pauses_only_its_campaign() {
    let w = World::new(ANSWERED_RULES, None).await;
    let good = w
        .campaign(
            &campaign_toml("good", 5, 1, ""),
            &[("A", "+79001000001"), ("B", "+79001000002")],
        )
        .await;
    let bad = w
        .campaign(
            &campaign_toml("bad", 5, 1, ""),
            &[("C", "+79001000003"), ("D", "+79001000004")],
        )
        .await;
    // What an older version could have stored: a filter name that is no longer accepted.
    let held = outcall::store::hold_time();
    let pool = sqlx::SqlitePool::connect(&w.url).await.unwrap();
    let changed = sqlx::query(
        "UPDATE campaigns SET definition = replace(definition, 'money_ru', 'money_rub') WHERE id = ?",
    )
    .bind(bad)
    .execute(&pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1);
    pool.close().await;
    drop(held);

    let engine = w.engine("e1", 100).await;
    w.wait_status(good, CampaignStatus::Completed, Duration::from_secs(40))
        .await;
    w.wait_status(bad, CampaignStatus::Paused, Duration::from_secs(10))
        .await;
    engine.stop().await;
    let (_, reason) = w.store.campaign_status(bad).await.unwrap();
    let reason = reason.unwrap_or_default();
    assert!(
        reason.contains("no longer validates") && reason.contains("money_rub"),
        "{reason}"
    );
    for c in w.contacts(bad).await {
        assert_eq!((c.status, c.attempts), (ContactStatus::Pending, 0), "{c:?}");
    }
    for c in w.contacts(good).await {
        assert_eq!(c.status, ContactStatus::Done, "{c:?}");
    }
    // The service layer still lists every campaign, and says what is wrong with the broken one.
    let listed = outcall::ops::campaigns::list(&w.store).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|s| s.campaign.name.as_str()).collect();
    assert_eq!(names, ["good", "bad"]);
    assert_eq!(listed[1].campaign.status, CampaignStatus::Paused);
    let e = outcall::ops::campaigns::show(&w.store, "bad")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("money_rub"), "{e}");
}
