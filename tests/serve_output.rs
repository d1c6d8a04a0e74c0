//! `outcall serve` says what it does at the default log level (issue 16, item 5): one line per
//! finished call (campaign, phone, disposition, duration) on stdout.

#[path = "engine_support/mod.rs"]
mod support;

use std::time::Duration;

use outcall::model::CampaignStatus;
use support::*;

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
}
