//! `outcall serve` says what it does at the default log level (issue 16, item 5): one line per
//! finished call (campaign, phone, disposition, duration) on stdout. A missing webhooks.secret
//! is said once, at the first delivery, and not at all by a dialer with no webhooks.

#[path = "engine_support/mod.rs"]
mod support;
#[path = "webhook_support/mod.rs"]
mod webhook_support;

use std::time::Duration;

use outcall::model::CampaignStatus;
use support::*;
use webhook_support::{Policy, Receiver};

const UNSIGNED: &str = "webhooks.secret is not set";

// Real time: the dialer here is another process, which a paused clock cannot hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_a_line_per_finished_call() {
    let w = World::new(ANSWERED_RULES, None).await;
    let id = w
        .campaign(
            &campaign_toml("calls", 5, 1, ""),
            &[("A", "+79001000001"), ("B", "+79001000002")],
        )
        .await;
    let config = w.serve_config("");
    let log = w.dir.path().join("serve.log");
    let serve = serve_process(&config, "out-test", "warn", Some(&log));
    w.until(
        "the campaign completed",
        Duration::from_secs(30),
        || async { w.store.campaign_status(id).await.unwrap().0 == CampaignStatus::Completed },
    )
    .await;
    serve.terminate();
    drop(serve);
    let text = std::fs::read_to_string(&log).unwrap();
    for phone in ["+79001000001", "+79001000002"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("calls {phone} answered ")))
            .unwrap_or_else(|| panic!("no line for {phone}: {text}"));
        assert!(line.ends_with(" s"), "{line}");
    }
    assert!(
        !text.contains(UNSIGNED),
        "no webhooks, nothing to sign: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_webhooks_are_said_once_at_the_first_delivery() {
    let w = World::new(ANSWERED_RULES, None).await;
    let rx = Receiver::start(Policy::Accept).await;
    let hooks = format!("[webhooks]\ncall_end = [\"{}\"]\n", rx.url("end"));
    let phones = [("A", "+79001000001"), ("B", "+79001000002")];
    let id = w
        .campaign(&campaign_toml("hooks", 5, 1, &hooks), &phones)
        .await;
    let config = w.serve_config("");
    let log = w.dir.path().join("serve.log");
    let serve = serve_process(&config, "out-test", "warn", Some(&log));
    w.until(
        "both call ends delivered",
        Duration::from_secs(30),
        || async {
            w.store.campaign_status(id).await.unwrap().0 == CampaignStatus::Completed
                && rx.seen().len() >= 2
        },
    )
    .await;
    serve.terminate();
    drop(serve);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches(UNSIGNED).count(), 1, "{text}");
    assert!(rx.seen().iter().all(|s| s.signature.is_none()));
}
