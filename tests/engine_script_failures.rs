//! A script that fails at run time on most answered calls pauses its campaign with the reason
//! (issue 16, item 4), instead of hanging every call up as `short_call` and retrying.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, NewContact};
use support::*;

#[tokio::test(start_paused = true)]
async fn a_script_failing_on_most_calls_pauses_the_campaign() {
    let w = World::new(ANSWERED_RULES, None).await;
    // Values a filter cannot read, stored as an older outcall (or a direct write) could have.
    let rows: Vec<NewContact> = phones("7900100", 8)
        .iter()
        .map(|(n, p)| {
            let mut c = contact(n, p, None);
            c.vars.insert("BALANCE".into(), "abc".into());
            c
        })
        .collect();
    let id = w
        .campaign_with(&campaign_toml("broken", 1, 3, ""), &rows)
        .await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Paused, Duration::from_secs(120))
        .await;
    engine.stop().await;
    let (_, reason) = w.store.campaign_status(id).await.unwrap();
    let reason = reason.unwrap_or_default();
    assert!(
        reason.contains("the script failed on 5 of the last 5 answered calls")
            && reason.contains("abc")
            && reason.contains("money_ru"),
        "{reason}"
    );
    let called = w.attempts(id).await.len();
    assert!(
        called <= 6,
        "paused after the fifth failure, not at the end: {called} calls"
    );
}
