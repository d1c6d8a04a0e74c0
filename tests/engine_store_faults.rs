//! The store failing under the engine (issue 17, items 6 and 7): results that cannot be written
//! are retried until they are, an attempt that cannot be opened gives its contact back at once,
//! and after the database refuses every write for a while (a full disk, freed) every pooled
//! connection works again and calls resume. While the store cannot write no call is placed and
//! the engine says why every few seconds.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, ContactStatus, Disposition};
use support::store_faults::{Fail, StoreFault, Target};
use support::*;

/// Every contact answered, once, with one attempt and no attempt left open.
async fn assert_each_answered_once(w: &World, id: i64, n: u64) {
    assert!(w.store.open_attempts().await.unwrap().is_empty());
    w.assert_answered_without_using_attempts(id).await;
    let cdr = w.store.campaign_attempts(id).await.unwrap();
    assert_eq!(cdr.len() as u64, n, "one attempt per contact: {cdr:?}");
    assert!(cdr
        .iter()
        .all(|a| a.disposition == Some(Disposition::Answered)));
    assert_eq!(w.sim.stats().originates, n, "nobody was called twice");
}

/// A full disk for a while, then freed (SQLite rolls the whole transaction back on SQLITE_FULL):
/// no call is placed meanwhile, the engine warns every few seconds, and afterwards every pooled
/// connection works again (no "begin_with at non-zero transaction depth") and the campaign ends.
#[tokio::test(start_paused = true)]
async fn sqlite_full_disk_then_freed_resumes_calls() {
    let w = World::new(ANSWERED_RULES, None).await;
    let list = phones("7900100", 8);
    let id = w
        .campaign(&campaign_toml("disk", 2, 1, ""), &refs(&list))
        .await;
    let fault = StoreFault::install(&w.url, Target::AllWrites, Fail::Transaction).await;
    let engine = w.engine("e1", 100).await;
    w.until("the first calls up", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 2
    })
    .await;
    fault.set(true).await;
    w.until(
        "the calls in flight over",
        Duration::from_secs(60),
        || async { w.sim.stats().channels_now == 0 },
    )
    .await;
    let placed = w.sim.stats().originates;
    w.pass_time(Duration::from_secs(15)).await;
    assert_eq!(
        w.sim.stats().originates,
        placed,
        "no call while the store cannot write"
    );
    // Over those 15 s (and the in-flight calls' ends before them) the engine passed its
    // scheduling loop about 150 times; it said why every 5 s, not every pass.
    let warned = engine.store.health().warnings();
    assert!(
        (2..=6).contains(&warned),
        "a warning every few seconds, not every pass: {warned}; open {:?}, contacts {:?}",
        w.store.open_attempts().await.unwrap(),
        w.contacts(id).await
    );
    assert!(engine.store.health().is_failing());
    fault.set(false).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(120))
        .await;
    assert!(!engine.store.health().is_failing());
    assert_each_answered_once(&w, id, 8).await;
    engine.stop().await;
}

/// Results that cannot be written for a while are written once the store takes them: the
/// contacts are not left dialing, not recorded as lost, and not called again.
#[tokio::test(start_paused = true)]
async fn result_writes_are_retried_until_they_succeed() {
    let w = World::new(ANSWERED_RULES, None).await;
    let list = phones("7900100", 4);
    let id = w
        .campaign(&campaign_toml("finish", 4, 1, ""), &refs(&list))
        .await;
    let fault = StoreFault::install(&w.url, Target::Finish, Fail::Statement).await;
    fault.set(true).await;
    let engine = w.engine("e1", 100).await;
    w.until("four calls up", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 4
    })
    .await;
    w.until("the calls over", Duration::from_secs(60), || async {
        w.sim.stats().channels_now == 0
    })
    .await;
    // Longer than the engine's lease (60 s in these tests): nothing is taken over as lost.
    w.pass_time(Duration::from_secs(90)).await;
    assert_eq!(
        w.store.open_attempts().await.unwrap().len(),
        4,
        "no result written yet"
    );
    fault.set(false).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(30))
        .await;
    assert_each_answered_once(&w, id, 4).await;
    engine.stop().await;
}

/// An attempt row that cannot be written gives the contact back at once (due again shortly),
/// not after the lease; once the store takes writes the campaign completes well within a lease.
#[tokio::test(start_paused = true)]
async fn a_failed_attempt_start_is_released_at_once() {
    let w = World::new(ANSWERED_RULES, None).await;
    let list = phones("7900100", 3);
    let id = w
        .campaign(&campaign_toml("start", 3, 1, ""), &refs(&list))
        .await;
    let fault = StoreFault::install(&w.url, Target::Start, Fail::Statement).await;
    fault.set(true).await;
    let engine = w.engine("e1", 100).await;
    engine.handle.step(3).await;
    fault.set(false).await;
    w.until(
        "no contact leased without a call",
        Duration::from_secs(10),
        || async {
            w.contacts(id)
                .await
                .iter()
                .all(|c| c.status != ContactStatus::Dialing || w.sim.stats().originates > 0)
        },
    )
    .await;
    // The engine's lease is 60 s: a contact kept until it expires would miss this.
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(40))
        .await;
    assert_each_answered_once(&w, id, 3).await;
    assert_eq!(w.sim.stats().originates, 3);
    engine.stop().await;
}

/// Short calls (answered, 12 simulated seconds), so results are written all the time.
const SHORT: &str = r#"
[[rule]]
prefix = "7900600"
outcome = [{ result = "answer", ring = 1, hangup_after = 12 }]
"#;

/// Bursts of killed PostgreSQL backends (`pg_terminate_backend` on every connection of the
/// test's schema) while calls start and end: no result is lost, no contact is stranded, nobody
/// is called twice. Real time: the pool's reconnects after each kill are work a paused clock
/// cannot see (it would jump to the test's time limit meanwhile).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_postgres_backends_lose_no_result() {
    let Some(w) = World::on_postgres(SHORT, "killed_backends").await else {
        return;
    };
    let app = w
        .url
        .split("application_name=")
        .nth(1)
        .expect("the test URL names its application")
        .to_string();
    let list = phones("7900600", 200);
    let id = w
        .campaign(&campaign_toml("killed", 20, 1, ""), &refs(&list))
        .await;
    let engine = w.engine("e1", 100).await;
    let killer = {
        let _held = outcall::store::hold_time();
        let base = std::env::var("OUTCALL_TEST_POSTGRES_URL").unwrap();
        sqlx::PgPool::connect(&base).await.unwrap()
    };
    let passes = std::cell::Cell::new(0u32);
    let killed = std::cell::Cell::new(0u64);
    w.until(
        "the campaign completed",
        Duration::from_secs(120),
        || async {
            passes.set(passes.get() + 1);
            if passes.get().is_multiple_of(2) && w.sim.stats().channels_now > 0 {
                let _held = outcall::store::hold_time();
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE application_name = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&app)
                .fetch_one(&killer)
                .await
                .unwrap();
                killed.set(killed.get() + u64::try_from(n).unwrap());
            }
            let status = w.store.campaign_status(id).await;
            matches!(status, Ok((CampaignStatus::Completed, _)))
        },
    )
    .await;
    assert!(
        killed.get() >= 20,
        "backends were killed under the calls: {}",
        killed.get()
    );
    assert_each_answered_once(&w, id, 200).await;
    engine.stop().await;
}
