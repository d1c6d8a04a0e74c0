//! Reconcile after a dialer dies (issue 17, items 3 and 4), on SQLite and (when
//! OUTCALL_TEST_POSTGRES_URL is set) PostgreSQL, on tokio's paused clock. A dialer is ended as
//! `kill -9` would end it (its calls dropped mid-flight, nothing recorded), and:
//! - restarted while its switch is unreachable, its open attempts stay open and their numbers
//!   busy (no second channel for them) until the node answers, then they are reconciled: the
//!   live channels hung up and recorded as what they were, never as ended while unwatched;
//! - with a second dialer on the same database, the survivor takes the dead one's calls over
//!   once their leases expire (checking each channel on the switch first), and the campaign
//!   completes without the dead dialer coming back.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::CampaignStatus;
use support::switch_faults::{LiveView, Proxy};
use support::*;

async fn restart_while_unreachable(w: World) {
    let list = phones("7900800", 3);
    let id = w
        .campaign(&long_call_campaign("restart", 10, 2), &refs(&list))
        .await;
    let mut view = LiveView::start(&w).await;
    let proxy = Proxy::start(w.sim.addr()).await;
    let first = w
        .engine_on("dialer", 100, Duration::from_millis(100), &[proxy.addr()])
        .await;
    w.until("three calls up", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 3
    })
    .await;
    first.kill().await;
    proxy.set_up(false);
    let second = w.engine_unreachable("dialer", &[proxy.addr()]).await;
    // Several reconcile passes (every 5 s) while the node cannot be asked.
    w.pass_time(Duration::from_secs(20)).await;
    assert_eq!(w.store.open_attempts().await.unwrap().len(), 3, "left open");
    for c in w.contacts(id).await {
        assert_eq!(c.status, outcall::model::ContactStatus::Dialing, "{c:?}");
        assert_eq!(c.attempts, 0, "nothing recorded while unknown: {c:?}");
    }
    assert_eq!(w.sim.stats().originates, 3, "no number dialled again");
    assert_eq!(w.sim.stats().channels_now, 3, "the calls are still up");
    proxy.set_up(true);
    w.until(
        "reconciled once the node answers",
        Duration::from_secs(120),
        || async { w.store.open_attempts().await.unwrap().is_empty() },
    )
    .await;
    let first_three = w.store.campaign_attempts(id).await.unwrap();
    for a in first_three.iter().take(3) {
        assert_eq!(
            a.hangup_cause.as_deref(),
            Some("NORMAL_CLEARING"),
            "hung up by the reconcile, not recorded as ended unwatched: {a:?}"
        );
    }
    assert_eq!(
        view.doubled(),
        Vec::<String>::new(),
        "no number had two live channels"
    );
    second.stop().await;
}

#[tokio::test(start_paused = true)]
async fn restart_while_the_switch_is_unreachable_on_sqlite() {
    restart_while_unreachable(World::new(LONG_CALL_RULES, None).await).await;
}

#[tokio::test(start_paused = true)]
async fn restart_while_the_switch_is_unreachable_on_postgres() {
    if let Some(w) = World::on_postgres(LONG_CALL_RULES, "restart_unreachable").await {
        restart_while_unreachable(w).await;
    }
}

async fn survivor_takes_over(w: World) {
    let list = phones("7900800", 8);
    let id = w
        .campaign(&long_call_campaign("takeover", 8, 2), &refs(&list))
        .await;
    let mut view = LiveView::start(&w).await;
    let a = w.engine("dialer-a", 4).await;
    let b = w.engine("dialer-b", 4).await;
    w.until(
        "both dialers carry calls",
        Duration::from_secs(20),
        || async { w.sim.stats().channels_now == 8 },
    )
    .await;
    let a_calls = a.handle.metrics.originates();
    assert!(a_calls > 0 && b.handle.metrics.originates() > 0);
    a.kill().await;
    // The dead dialer's leases (60 s in these tests) expire, then a reconcile pass (every 5 s)
    // takes its calls over: bounded by lease + pass.
    w.until(
        "the dead dialer's calls taken over",
        Duration::from_secs(60 + 5 + 5),
        || async {
            let open = w.store.open_attempts().await.unwrap();
            open.iter()
                .all(|o| o.lease_owner.as_deref() != Some("dialer-a"))
                && w.store
                    .campaign_attempts(id)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|c| c.ended_at.is_some())
                    .count() as u64
                    >= a_calls
        },
    )
    .await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(120))
        .await;
    for c in w.contacts(id).await {
        assert!(c.status.is_final(), "{c:?}");
    }
    assert!(w.store.open_attempts().await.unwrap().is_empty());
    assert_eq!(
        view.doubled(),
        Vec::<String>::new(),
        "no number had two live channels"
    );
    assert_eq!(view.live_now(), 0, "no channel left on the switch");
    b.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_dead_dialers_calls_are_taken_over_on_sqlite() {
    survivor_takes_over(World::new(LONG_CALL_RULES, None).await).await;
}

#[tokio::test(start_paused = true)]
async fn a_dead_dialers_calls_are_taken_over_on_postgres() {
    if let Some(w) = World::on_postgres(LONG_CALL_RULES, "takeover").await {
        survivor_takes_over(w).await;
    }
}
