//! Trunk failover of callback jobs on each side, on tokio's paused clock against the simulator
//! (a rule per gateway: the first trunk down or failing, the next one working), and every trunk
//! down as a technical failure.

#[path = "callback_support/mod.rs"]
mod cb;
#[path = "engine_support/mod.rs"]
mod support;

use cb::*;
use outcall::callback::record::Side;
use outcall::callback::{CallbackStatus, JobState};
use serde_json::json;
use support::*;

const FAILOVER: &str = r#"
[[rule]]
name = "manager trunk m1 is down"
exact = "79163330001"
gateway = "m1"
outcome = [{ result = "gateway_down" }]

[[rule]]
exact = "79163330001"
outcome = [{ result = "answer", ring = 1.0 }]

[[rule]]
name = "client trunk c1 fails"
exact = "77011112233"
gateway = "c1"
outcome = [{ result = "temporary_failure", ring = 0.5 }]

[[rule]]
exact = "77011112233"
outcome = [{ result = "answer", ring = 2.0, hangup_after = 5.0 }]
"#;

#[tokio::test(start_paused = true)]
async fn each_side_fails_over_to_its_next_trunk() {
    let w = World::new(FAILOVER, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(&w, json!({
        "managers": "+79163330001",
        "manager_trunks": ["sofia/gateway/m1/{number}", "sofia/gateway/m2/{number}"],
        "client_trunks": ["sofia/gateway/c1/{number}", "sofia/gateway/c2/{number}", "sofia/gateway/c3/{number}"],
    }))
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    assert_eq!(
        legs(&l),
        vec![
            (
                Side::Manager,
                "79163330001".into(),
                "m1".into(),
                "GATEWAY_DOWN".into()
            ),
            (
                Side::Manager,
                "79163330001".into(),
                "m2".into(),
                "NORMAL_CLEARING".into()
            ),
            (
                Side::Client,
                "77011112233".into(),
                "c1".into(),
                "NORMAL_TEMPORARY_FAILURE".into()
            ),
            (
                Side::Client,
                "77011112233".into(),
                "c2".into(),
                "NORMAL_CLEARING".into()
            ),
        ],
        "c3 is not needed"
    );
}

#[tokio::test(start_paused = true)]
async fn every_trunk_down_is_a_technical_failure() {
    let rules = "[[rule]]\nprefix = \"7916\"\noutcome = [{ result = \"gateway_down\" }]\n";
    let w = World::new(rules, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        json!({
            "managers": "+79164440001",
            "manager_trunks": ["sofia/gateway/a/{number}", "sofia/gateway/b/{number}"],
        }),
    )
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(
        (r.status, r.status_code),
        (CallbackStatus::TechnicalFailure, 710)
    );
    assert_eq!(l.len(), 2, "each trunk once");
}
