//! A callback job whose dialer dies while another keeps running, on tokio's paused clock, on
//! SQLite and PostgreSQL: the survivor's continuous reconciler takes the job over once its lease
//! has expired (not at its next start), hangs up the legs still alive and records the call once;
//! a lease written by a dead owner that never dialled is taken over and the job recalled. While
//! the owner lives, the other engine never touches its job: no job is lost or run twice.

#[path = "callback_support/mod.rs"]
mod cb;
#[path = "engine_support/mod.rs"]
mod support;

use cb::*;
use outcall::callback::record::Side;
use outcall::callback::{CallbackStatus, JobState};
use serde_json::json;
use support::*;

/// Rules: the manager answers after 1 s, the client after 1 s and talks `talk` seconds (the
/// bridged case: longer than any lease, which is real time: 60 s here, 20 simulated minutes at
/// the tests' scale).
fn rules(talk: u32) -> String {
    pressing(
        &[&[]],
        &format!("{{ result = \"answer\", ring = 1.0, hangup_after = {talk}.0 }}"),
    )
}

const LONG: u32 = 100_000;

/// Engine `a` bridges the job; engine `b` runs beside it; `a` dies; `b` finishes the job.
async fn survivor_settles_a_dead_engines_bridged_job(w: World) {
    let a = w.engine("cb-a", 100).await;
    let id = post(&w, json!({ "managers": "+79162220001", "recall_intervals": [60], "status_url": "http://site.test/s" })).await;
    w.until("bridged by a", 5 * MINUTE, || async {
        job(&w, id).await.0.status == CallbackStatus::Connected
    })
    .await;
    let b = w.engine("cb-b", 100).await;
    // Twenty seconds of b's passes (its start-up recovery and reconciler passes included; a's
    // lease is 60 s, renewed every 20 s) leave a's live job alone.
    w.pass_time(MINUTE / 3).await;
    let (r, legs) = job(&w, id).await;
    assert_eq!(
        (r.state, r.lease_owner.as_deref()),
        (JobState::Running, Some("cb-a"))
    );
    assert_eq!(legs.len(), 2, "{legs:?}");
    a.kill().await;
    let ok = w
        .reaches(5 * MINUTE, || async {
            job(&w, id).await.0.state == JobState::Done
        })
        .await;
    let (r, l) = job(&w, id).await;
    assert!(ok, "the survivor finished the job: {r:?} {l:?}");
    assert_eq!(
        r.status,
        CallbackStatus::Completed,
        "the client had answered"
    );
    assert_eq!(r.calls, 1, "run once");
    assert_eq!(l.len(), 2, "nothing dialled again: {l:?}");
    assert!(l.iter().all(|x| x.ended_at.is_some()), "every leg closed");
    w.until("the legs hung up on the switch", MINUTE, || async {
        w.sim.stats().channels_now == 0
    })
    .await;
    assert_eq!(
        hooks(&w, id).await.len(),
        1,
        "recorded once: one status webhook"
    );
    b.stop().await;
}

/// A lease a dead owner wrote (no leg dialled) expires under a running engine, which takes the
/// job over, records the lost call and recalls it.
async fn survivor_recalls_a_job_leased_by_a_dead_owner(w: World) {
    let id = post(
        &w,
        json!({ "managers": "+79162220001", "recall_intervals": [60] }),
    )
    .await;
    let now = w.clock.now();
    let until = now + chrono::Duration::seconds(60);
    let got = w
        .store
        .claim_callbacks(now, 1, "dead", until)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    let b = w.engine("cb-b", 100).await;
    b.handle.step(5).await;
    let (r, _) = job(&w, id).await;
    assert_eq!(
        (r.state, r.lease_owner.as_deref()),
        (JobState::Running, Some("dead")),
        "a live lease is left to its owner at start"
    );
    let (r, _) = settled(&w, id, 1, JobState::Pending, 5 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::TechnicalFailure, "the lost call");
    let (r, l) = settled(&w, id, 2, JobState::Done, 10 * MINUTE).await;
    assert_eq!(r.status, CallbackStatus::Completed);
    let calls: Vec<(u32, Side)> = l.iter().map(|x| (x.call_no, x.side)).collect();
    assert_eq!(calls, [(2, Side::Manager), (2, Side::Client)], "{l:?}");
    b.stop().await;
}

#[tokio::test(start_paused = true)]
async fn bridged_job_of_a_dead_engine_is_finished_by_the_survivor() {
    let w = World::new(&rules(LONG), None).await;
    survivor_settles_a_dead_engines_bridged_job(w).await;
}

#[tokio::test(start_paused = true)]
async fn bridged_job_of_a_dead_engine_is_finished_by_the_survivor_on_postgres() {
    let Some(w) = World::on_postgres(&rules(LONG), "callbacks_takeover_bridged").await else {
        return;
    };
    survivor_settles_a_dead_engines_bridged_job(w).await;
}

#[tokio::test(start_paused = true)]
async fn job_leased_by_a_dead_owner_is_taken_over_and_recalled() {
    let w = World::new(&rules(5), None).await;
    survivor_recalls_a_job_leased_by_a_dead_owner(w).await;
}

#[tokio::test(start_paused = true)]
async fn job_leased_by_a_dead_owner_is_taken_over_and_recalled_on_postgres() {
    let Some(w) = World::on_postgres(&rules(5), "callbacks_takeover_dead").await else {
        return;
    };
    survivor_recalls_a_job_leased_by_a_dead_owner(w).await;
}
