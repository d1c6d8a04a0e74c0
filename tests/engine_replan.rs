//! Fixing a closed window re-plans (issue 16, item 2): contacts deferred to the next opening of
//! the old windows are due again under the new ones once the definition is updated.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use chrono::TimeZone;
use outcall::campaign::definition::CampaignDef;
use outcall::model::{Actor, CampaignStatus, ContactStatus};
use support::*;

const SUNDAY_ONLY: &str =
    "[schedule]\n[[schedule.windows]]\ndays = \"sun\"\nhours = [\"03:00-03:05\"]\n";
const EVERY_DAY: &str =
    "[schedule]\n[[schedule.windows]]\ndays = \"all\"\nhours = [\"00:00-24:00\"]\n";

#[tokio::test(start_paused = true)]
async fn updating_a_closed_window_replans_deferred_contacts() {
    // Monday 2026-12-07 10:00 in Moscow: the Sunday window is six days away.
    let monday = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 7, 0, 0).unwrap();
    let w = World::at(ANSWERED_RULES, None, monday).await;
    let id = w
        .campaign(
            &campaign_toml("replan", 5, 1, SUNDAY_ONLY),
            &[("A", "+79001000001"), ("B", "+79001000002")],
        )
        .await;
    let engine = w.engine("e1", 100).await;
    w.pass_time(Duration::from_secs(3)).await;
    for c in w.contacts(id).await {
        let due = c.next_attempt_at;
        assert!(due - w.clock.now() > chrono::Duration::days(5), "{c:?}");
        assert_eq!(c.attempts, 0);
    }

    let actor = Actor::cli();
    let ops =
        outcall::ops::campaigns::pause(&w.store, &actor, "replan", "fix the window", w.clock.now());
    ops.await.unwrap();
    let def = CampaignDef::from_toml_str(&campaign_toml("replan", 5, 1, EVERY_DAY), "t").unwrap();
    let (_, replanned) = outcall::ops::campaigns::update(&w.store, &actor, &def, w.clock.now())
        .await
        .unwrap();
    assert_eq!(replanned, 2, "both deferred contacts are re-planned");
    for c in w.contacts(id).await {
        let due = c.next_attempt_at;
        assert!(due <= w.clock.now(), "re-planned at once: {c:?}");
    }
    outcall::ops::campaigns::resume(&w.store, &actor, "replan", w.clock.now())
        .await
        .unwrap();
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(30))
        .await;
    engine.stop().await;
    for c in w.contacts(id).await {
        assert_eq!((c.status, c.attempts), (ContactStatus::Done, 1), "{c:?}");
    }
}
