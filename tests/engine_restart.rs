//! `outcall serve` (the built binary) stopped with calls in flight. Killed with SIGKILL, then
//! restarted with the same owner: every open attempt is reconciled with the simulator: calls
//! still alive are hung up and recorded `interrupted` (retried), calls that ended meanwhile get
//! a disposition; nothing stays dialing, no contact is lost, none is called twice. Stopped
//! with SIGTERM: calls finish within `--drain` over the same connection, the rest are hung up
//! and recorded `interrupted`, and stderr says so.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::{CampaignStatus, ContactStatus, Disposition};
use support::*;

// Real time: the dialer here is another process, which a paused clock cannot hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_and_restart_with_calls_in_flight() {
    let w = World::new(LONG_AND_SHORT_RULES, None).await;
    let id = w
        .campaign(
            LONG_PROMPT_CAMPAIGN,
            &[
                ("Long 1", "+79008000001"),
                ("Long 2", "+79008000002"),
                ("Ends 1", "+79009000001"),
                ("Ends 2", "+79009000002"),
            ],
        )
        .await;
    let config = w.serve_config("");
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
        if c.phones[0].starts_with("+7900900") {
            assert!(c.status.is_final(), "{c:?}");
            assert_eq!(c.attempts, 1);
        } else {
            // Cut by the restart 600 s into nothing: interrupted, due again, no attempt used.
            assert_eq!(c.last_disposition, Some(Disposition::Interrupted), "{c:?}");
            assert_eq!((c.status, c.attempts), (ContactStatus::Pending, 0), "{c:?}");
        }
    }
    assert_eq!(
        w.store.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_over_the_same_connection_then_hangs_up_the_rest() {
    let w = World::new(LONG_AND_SHORT_RULES, None).await;
    let id = w
        .campaign(
            LONG_PROMPT_CAMPAIGN,
            &[
                ("Long 1", "+79008000001"),
                ("Long 2", "+79008000002"),
                ("Ends 1", "+79009000001"),
                ("Ends 2", "+79009000002"),
            ],
        )
        .await;
    let config = w.serve_config("");
    let log = w.dir.path().join("serve.log");
    // The short calls end 1.5 s (30 simulated s) after answer, inside the 5 s drain.
    let mut serve =
        serve_process_with(&config, "stop-test", "error", Some(&log), &["--drain", "5"]);
    w.until("four calls up", Duration::from_secs(20), || async {
        w.sim.stats().channels_now == 4
    })
    .await;
    serve.terminate();
    let status = serve.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("stopping: no new calls; 4 live call(s) may finish within 5 s"),
        "{said}"
    );
    assert!(
        said.contains("stopped: 4 call(s) were live; 2 ended within the drain time; 2 hung up when it ran out"),
        "{said}"
    );
    assert_eq!(
        w.sim.stats().channels_now,
        0,
        "nothing left up on the switch"
    );
    assert_eq!(
        w.sim.stats().connections,
        1,
        "the connection was kept to the end"
    );
    assert!(w.store.open_attempts().await.unwrap().is_empty());
    for a in w.store.campaign_attempts(id).await.unwrap() {
        let want = if a.phone.starts_with("+7900900") {
            Disposition::Answered
        } else {
            Disposition::Interrupted
        };
        assert_eq!(a.disposition, Some(want), "{a:?}");
        assert_eq!(a.hangup_cause.as_deref(), Some("NORMAL_CLEARING"), "{a:?}");
    }
    assert_eq!(
        w.store.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running,
        "not paused"
    );
}
