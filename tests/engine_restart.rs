//! Crash safety: `outcall serve` (the built binary) is killed with SIGKILL while calls are in
//! flight, then restarted with the same owner. Every open attempt is reconciled with the
//! simulator: calls still alive are hung up and recorded, calls that ended meanwhile get a
//! disposition; nothing stays dialing, no contact is lost, none is called twice.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::CampaignStatus;
use support::*;

// Real time: the dialer here is another process, which a paused clock cannot hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_and_restart_with_calls_in_flight() {
    let w = World::new(LONG_CALL_RULES, None).await;
    let id = w
        .campaign(
            &long_call_campaign("crash", 10, 1),
            &[
                ("Long 1", "+79008000001"),
                ("Long 2", "+79008000002"),
                ("Ends 1", "+79009000001"),
                ("Ends 2", "+79009000002"),
            ],
        )
        .await;
    let config = w.dir.path().join("outcall.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\n[[freeswitch]]\nname = \"sim\"\naddress = \"{}\"\npassword = \"ClueCon\"\nmax_sessions = 100\ncps = 100\n[http]\nlisten = \"127.0.0.1:0\"\n",
            w.url,
            w.sim.addr()
        ),
    )
    .unwrap();
    let mut first = serve_process(&config, "crash-test", "error", None);
    w.until("four calls up", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 4
    })
    .await;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let open = w.store.open_attempts().await.unwrap();
    assert_eq!(open.len(), 4, "four calls were in flight at the kill");
    // The two short calls end while no dialer watches them.
    w.until("the short calls over", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 2
    })
    .await;
    let _second = serve_process(&config, "crash-test", "error", None);
    w.until(
        "every open attempt reconciled",
        Duration::from_secs(20),
        || async { w.store.open_attempts().await.unwrap().is_empty() },
    )
    .await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(20))
        .await;
    assert_eq!(
        w.sim.stats().channels_now,
        0,
        "the live calls were hung up cleanly"
    );
    assert_eq!(w.sim.stats().originates, 4, "nobody was called twice");
    let cdr = w.store.campaign_attempts(id).await.unwrap();
    assert_eq!(cdr.len(), 4);
    for a in &cdr {
        assert!(a.ended_at.is_some() && a.disposition.is_some(), "{a:?}");
    }
    let causes: Vec<_> = cdr
        .iter()
        .map(|a| (a.phone.as_str(), a.hangup_cause.as_deref().unwrap_or("")))
        .collect();
    for (phone, cause) in &causes {
        if phone.starts_with("+7900900") {
            assert_eq!(*cause, "ENDED_WHILE_DIALER_DOWN", "{causes:?}");
        } else {
            assert_eq!(*cause, "NORMAL_CLEARING", "{causes:?}");
        }
    }
    for c in w.contacts(id).await {
        assert!(c.status.is_final(), "{c:?}");
        assert_eq!(c.attempts, 1);
    }
}
