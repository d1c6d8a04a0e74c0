//! End-to-end: the engine places real calls against the in-process simulator and records what
//! happened. One scenario per outcome of the demo number plan.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, ContactStatus, Disposition};
use support::*;

const RULES: &str = r#"
[[rule]]
prefix = "7900100"
outcome = [{ result = "answer", ring = 2, hangup_after = 25 }]
[[rule]]
prefix = "7900200"
outcome = [{ result = "answer", ring = 1, dtmf = "1", dtmf_on = "prompt", dtmf_after = 1 }]
[[rule]]
exact = "operator"
outcome = [{ result = "answer", ring = 1, hangup_after = 10 }]
[[rule]]
prefix = "7900300"
outcome = [{ result = "busy", ring = 2 }, { result = "answer", ring = 2, hangup_after = 25 }]
[[rule]]
prefix = "7900400"
outcome = [{ result = "no_answer" }]
[[rule]]
prefix = "7900500"
outcome = [{ result = "unallocated", ring = 0.5 }]
[[rule]]
prefix = "7900600"
outcome = [{ result = "answer", ring = 1, hangup_after = 4 }]
[[rule]]
prefix = "7900900"
outcome = [{ result = "answer", ring = 1, dtmf = "9", dtmf_on = "prompt", dtmf_after = 1 }]
"#;

#[tokio::test(start_paused = true)]
async fn every_outcome_of_the_number_plan() {
    let w = World::new(RULES, None).await;
    let id = w
        .campaign(
            &campaign_toml("plan", 10, 3, ""),
            &[
                ("Listener", "+79001000001"),
                ("Presser", "+79002000001"),
                ("Busy first", "+79003000001"),
                ("Never answers", "+79004000001"),
                ("Unallocated", "+79005000001"),
                ("Short", "+79006000001"),
                ("Opts out", "+79009000001"),
            ],
        )
        .await;
    let engine = w.engine("e1", 100).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(40))
        .await;
    let s = statuses(&w, id).await;
    use ContactStatus::*;
    use Disposition::*;
    assert_eq!(
        s["+79001000001"],
        (Done, Some(Answered), 1),
        "answered and listened"
    );
    assert_eq!(
        s["+79002000001"],
        (Done, Some(Transferred), 1),
        "pressed 1, bridged"
    );
    assert_eq!(
        s["+79003000001"],
        (Done, Some(Answered), 2),
        "busy, then answered"
    );
    assert_eq!(
        s["+79004000001"],
        (Exhausted, Some(NoAnswer), 3),
        "no answer x3"
    );
    assert_eq!(
        s["+79005000001"],
        (Done, Some(InvalidNumber), 1),
        "never retried"
    );
    assert_eq!(
        s["+79006000001"],
        (Exhausted, Some(ShortCall), 3),
        "short call retried"
    );
    assert_eq!(s["+79009000001"], (Done, Some(OptedOut), 1), "opted out");
    let attempts = w.attempts(id).await;
    let busy: Vec<_> = attempts
        .iter()
        .filter(|(p, _)| p == "+79003000001")
        .map(|(_, d)| *d)
        .collect();
    assert_eq!(busy, vec![Some(Busy), Some(Answered)]);
    assert!(
        w.store.dnc_contains("+79009000001").await.unwrap(),
        "opt-out reached the DNC list"
    );
    assert_eq!(engine.handle.metrics.count(NoAnswer), 3);
    assert_eq!(engine.handle.metrics.finished(), attempts.len() as u64);
    engine.stop().await;
}
