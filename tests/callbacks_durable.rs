//! Callback jobs that outlive a dialer or a receiver, on tokio's paused clock: a crash with a live
//! callback (bridged, or still ringing the manager) then a restart settles each job once and
//! dials nothing twice; the status and call-log webhooks are delivered signed, with retries, by
//! the outbox worker; and the flow on PostgreSQL.

#[path = "callback_support/mod.rs"]
mod cb;
#[path = "engine_support/mod.rs"]
mod support;
#[path = "webhook_support/mod.rs"]
mod webhook_support;

use cb::*;
use outcall::callback::record::Side;
use outcall::callback::{CallbackStatus, JobState};
use serde_json::json;
use support::*;

/// Kills the engine as a crash would: its tasks (the call tasks with it) are dropped mid-call
/// and its switch connection closes; nothing is recorded on the way out.
async fn crash(e: Running) {
    e.task.abort();
    let _ = e.task.await;
    e.shutdown.cancel();
}

#[tokio::test(start_paused = true)]
async fn crash_while_bridged_then_restart_settles_the_job_once() {
    let rules = pressing(
        &[&[]],
        "{ result = \"answer\", ring = 1.0, hangup_after = 600.0 }",
    );
    let w = World::new(&rules, None).await;
    let e = w.engine("cb", 100).await;
    let id = post(&w, json!({ "managers": "+79162220001", "recall_intervals": [60], "status_url": "http://site.test/s" })).await;
    w.until("bridged", 5 * MINUTE, || async {
        job(&w, id).await.0.status == CallbackStatus::Connected
    })
    .await;
    assert!(w.sim.stats().channels_now >= 2);
    crash(e).await;
    let (r, open) = job(&w, id).await;
    assert_eq!(r.state, JobState::Running, "the crash recorded nothing");
    assert!(open.iter().filter(|l| l.ended_at.is_none()).count() >= 2);
    let e = w.engine("cb", 100).await;
    let ok = w
        .reaches(5 * MINUTE, || async {
            job(&w, id).await.0.state == JobState::Done
        })
        .await;
    let (r, l) = job(&w, id).await;
    assert!(ok, "{r:?} {l:?}");
    assert_eq!(
        r.status,
        CallbackStatus::Completed,
        "the client had answered: not called again"
    );
    assert!(
        l.iter().all(|x| x.ended_at.is_some()),
        "every leg closed: {l:?}"
    );
    w.until("the switch's channels hung up", MINUTE, || async {
        w.sim.stats().channels_now == 0
    })
    .await;
    e.handle.step(5).await;
    let (r, _) = job(&w, id).await;
    assert_eq!((r.calls, r.state), (1, JobState::Done), "run once");
    assert_eq!(hooks(&w, id).await.len(), 1, "one status webhook");
}

#[tokio::test(start_paused = true)]
async fn crash_while_ringing_the_manager_then_restart_recalls_once() {
    let rules = "[[rule]]\nexact = \"79162220001\"\noutcome = [{ result = \"answer\", ring = 30.0 }, { result = \"answer\", ring = 1.0 }]\n\n[[rule]]\nexact = \"77011112233\"\noutcome = [{ result = \"answer\", ring = 1.0, hangup_after = 5.0 }]\n";
    let w = World::new(rules, None).await;
    let e = w.engine("cb", 100).await;
    let id = post(
        &w,
        json!({ "managers": "+79162220001", "ring_timeout": 60, "recall_intervals": [60] }),
    )
    .await;
    w.until("ringing", MINUTE, || async {
        w.sim.stats().channels_now == 1
    })
    .await;
    crash(e).await;
    let _e = w.engine("cb", 100).await;
    let (r, l) = settled(&w, id, 1, JobState::Pending, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::TechnicalFailure);
    assert_eq!(
        l[0].cause.as_deref(),
        Some("NORMAL_CLEARING"),
        "the live leg was hung up: {l:?}"
    );
    let (r, l) = settled(&w, id, 2, JobState::Done, 10 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    let managers: Vec<u32> = l
        .iter()
        .filter(|x| x.side == Side::Manager)
        .map(|x| x.call_no)
        .collect();
    assert_eq!(managers, [1, 2], "one leg per call, never two at once");
}

#[tokio::test(start_paused = true)]
async fn on_postgres_too() {
    let Some(w) = World::on_postgres(RULES, "callbacks_e2e").await else {
        return;
    };
    let _e = w.engine("cb", 100).await;
    let id = post(&w, json!({ "managers": "+79161110001_+79161110002", "idempotency_key": "pg-1", "log_url": "http://site.test/log" })).await;
    let (r, l) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    assert_eq!(l.len(), 3);
    assert_eq!(hooks(&w, id).await.len(), 1);
    let again = outcall::ops::callbacks::add(&w.store, &outcall::model::Actor::cli(), "RU", &request(json!({ "managers": "+79161110001_+79161110002", "idempotency_key": "pg-1", "log_url": "http://site.test/log" })), w.clock.now()).await.unwrap();
    assert_eq!((again.0.id, again.1), (id, false));
    let c =
        outcall::ops::callbacks::cancel(&w.store, &outcall::model::Actor::cli(), id, w.clock.now())
            .await;
    assert!(
        matches!(c, Err(outcall::ops::OpsError::Conflict(_))),
        "already over"
    );
}

#[tokio::test(start_paused = true)]
async fn status_and_call_log_are_delivered_signed_with_retries() {
    use outcall::webhooks::{HttpClient, Worker};
    use webhook_support::{signature_ok, worker_options, Policy, Receiver};
    const SECRET: &str = "callback-hooks-secret";
    let w = World::new(RULES, None).await;
    let rx = Receiver::start(Policy::FailFirst(1)).await;
    let _e = w.engine("cb", 100).await;
    let store = outcall::store::Store::connect_paused(&w.url).await.unwrap();
    let worker = Worker::new(
        store,
        w.clock.clone(),
        HttpClient::new(None).unwrap(),
        worker_options("cb", SECRET),
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(worker.run(stop.clone()));
    let id = post(
        &w,
        json!({
            "managers": "+79161110002",
            "idempotency_key": "order-9",
            "status_url": rx.url("site/status"),
            "log_url": rx.url("site/log"),
        }),
    )
    .await;
    settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    w.until("both delivered", 5 * MINUTE, || async {
        rx.seen().iter().filter(|s| s.status == 200).count() == 2
    })
    .await;
    let seen = rx.seen();
    assert_eq!(
        seen.iter().filter(|s| s.status == 500).count(),
        2,
        "each failed once, then was retried"
    );
    for s in seen.iter().filter(|s| s.status == 200) {
        assert!(signature_ok(
            SECRET,
            &s.timestamp,
            &s.body,
            s.signature.as_deref().unwrap_or("")
        ));
        let v: serde_json::Value = serde_json::from_str(&s.body).unwrap();
        assert_eq!(v["event_id"].as_str(), Some(s.key.as_str()));
        match s.path.as_str() {
            "/site/status" => {
                assert_eq!(
                    (v["status"].as_str(), v["status_code"].as_u64()),
                    (Some("completed"), Some(200))
                );
                assert_eq!(v["idempotency_key"], "order-9");
                assert_eq!(v["manager"], "+79161110002");
            }
            "/site/log" => {
                let legs = v["legs"].as_array().unwrap();
                assert_eq!(legs.len(), 2);
                assert_eq!(
                    (legs[0]["side"].as_str(), legs[1]["side"].as_str()),
                    (Some("manager"), Some("client"))
                );
                assert!(legs
                    .iter()
                    .all(|l| l["trunk"] == "sofia/gateway/t1/{number}" && l["cause"].is_string()));
            }
            other => panic!("unexpected path {other}"),
        }
    }
    stop.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn cancel_while_running_lets_the_call_end_and_stops_recalls() {
    let rules = pressing(&[&[]], "{ result = \"no_answer\" }");
    let w = World::new(&rules, None).await;
    let _e = w.engine("cb", 100).await;
    let id = post(
        &w,
        json!({ "managers": "+79162220001", "recall_intervals": [60, 60] }),
    )
    .await;
    w.until("calling the client", MINUTE, || async {
        job(&w, id).await.0.status == CallbackStatus::CallingClient
    })
    .await;
    let actor = outcall::model::Actor::cli();
    let c = outcall::ops::callbacks::cancel(&w.store, &actor, id, w.clock.now())
        .await
        .unwrap();
    assert_eq!(
        (c.state, c.recalls_cancelled),
        (JobState::Running, true),
        "the live call goes on"
    );
    let (r, _) = settled(&w, id, 1, JobState::Done, 5 * MINUTE).await;
    assert_eq!(
        r.status,
        CallbackStatus::ClientNoAnswer,
        "recorded as it ended, not recalled"
    );
}
