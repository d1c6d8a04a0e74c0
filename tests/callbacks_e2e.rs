//! Callback jobs end to end against the simulator on tokio's paused clock: sequential and
//! parallel managers, the text's repeats (auto-connect under 16, hang up from 16 without a key),
//! the manager's keys (708 before the client, postpone, cancel recalls after the call, info and
//! `#`), trunk failover on each side, the client not answering and the recall.

#[path = "engine_support/mod.rs"]
mod support;
#[path = "callback_support/mod.rs"]
mod cb;

use std::time::Duration;

use cb::*;
use outcall::callback::record::Side;
use outcall::callback::{CallbackStatus, JobState};
use serde_json::json;
use support::*;

const MINUTE: Duration = Duration::from_secs(60);

/// Managers 7916111000N, the client 77011112233.
const RULES: &str = r#"
[[rule]]
name = "busy manager"
exact = "79161110001"
outcome = [{ result = "busy", ring = 1.0 }]

[[rule]]
name = "manager answering after 2 s"
exact = "79161110002"
outcome = [{ result = "answer", ring = 2.0 }]

[[rule]]
name = "slow manager"
exact = "79161110003"
outcome = [{ result = "answer", ring = 6.0 }]

[[rule]]
name = "client"
exact = "77011112233"
outcome = [{ result = "answer", ring = 3.0, hangup_after = 20.0 }]
"#;

#[tokio::test(start_paused = true)]
async fn sequential_managers_then_the_client_bridged() {
    let w = World::new(RULES, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(&w, json!({
        "managers": "+79161110001_+79161110002",
        "status_url": "http://site.test/status",
        "log_url": "http://site.test/log",
    }))
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!((r.status, r.status_code), (CallbackStatus::Completed, 200));
    assert_eq!(r.manager.as_deref(), Some("+79161110002"));
    assert!(r.talk_ms.unwrap() >= 19_000, "about 20 s of talk: {:?}", r.talk_ms);
    assert!(r.recording.as_deref().unwrap().ends_with(&format!("callback-{id}-1.wav")));
    assert_eq!(
        legs(&l),
        vec![
            (Side::Manager, "79161110001".into(), "t1".into(), "USER_BUSY".into()),
            (Side::Manager, "79161110002".into(), "t1".into(), "NORMAL_CLEARING".into()),
            (Side::Client, "77011112233".into(), "t1".into(), "NORMAL_CLEARING".into()),
        ]
    );
    assert!(l[1].answered_at.is_some() && l[2].answered_at.is_some() && l[0].answered_at.is_none());
    let h = hooks(&w, id).await;
    assert_eq!(h.len(), 2, "{h:?}");
    let status = h.iter().find(|x| x.0 == "callback_status").unwrap();
    assert_eq!(status.1, "http://site.test/status");
    assert_eq!((status.2["status"].as_str(), status.2["status_code"].as_u64()), (Some("completed"), Some(200)));
    let log = h.iter().find(|x| x.0 == "callback_log").unwrap();
    assert_eq!(log.1, "http://site.test/log");
    assert_eq!(log.2["legs"].as_array().unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn parallel_managers_first_answer_wins_the_others_lose_the_race() {
    let w = World::new(RULES, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(&w, json!({
        "managers": ["+79161110003", "+79161110002", "+79161110001"],
        "dial_mode": "parallel",
    }))
    .await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    assert_eq!(r.manager.as_deref(), Some("+79161110002"));
    let by = |n: &str| l.iter().find(|x| x.number == n && x.side == Side::Manager).unwrap();
    assert_eq!(by("+79161110003").cause.as_deref(), Some("LOSE_RACE"), "the slower one is hung up by the switch");
    assert!(by("+79161110003").answered_at.is_none());
    assert_eq!(by("+79161110001").cause.as_deref(), Some("USER_BUSY"));
    assert!(by("+79161110002").answered_at.is_some());
    let started: Vec<_> = l.iter().filter(|x| x.side == Side::Manager).map(|x| x.started_at).collect();
    assert!(started.windows(2).all(|p| p[0] == p[1]), "all managers rung at once");
}
