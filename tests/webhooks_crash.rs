//! Webhooks survive `kill -9`: `outcall serve` (the built binary) places calls whose webhooks a
//! receiver refuses, and is killed with SIGKILL while some calls are still up and every
//! delivery is pending. Restarted, it reconciles the open calls (their call_end is written with
//! their result, `interrupted` for the calls it hangs up) and delivers every webhook: each key
//! acknowledged once per receiver, none lost, none for a call that was not recorded. Both runs log at debug level without the secret.

#[path = "engine_support/mod.rs"]
mod support;
#[path = "webhook_support/mod.rs"]
mod webhook_support;

use std::time::Duration;

use outcall::model::{CampaignStatus, Disposition, OutboxCounts, WebhookKind};
use support::*;
use webhook_support::{signature_ok, Policy, Receiver};

const SECRET: &str = "CrashHookSecret5521";

const RULES: &str = r#"
[[rule]]
prefix = "7900800"
outcome = [{ result = "answer", ring = 1, hangup_after = 600 }]
[[rule]]
prefix = "7900900"
outcome = [{ result = "answer", ring = 1, hangup_after = 2 }]
"#;

const CAMPAIGN: &str = r#"
name = "crash-hooks"
caller_id = "74950000000"
dial = "sofia/gateway/demo/{number}"
timezone = "Europe/Moscow"
ring_timeout = "20s"
[limits]
lines = 10
cps = 100
[retry]
max_attempts = 1
[script]
start = "wait"
[script.nodes.wait]
type = "menu"
prompt = { text = "Press nothing." }
digits = { "1" = "bye" }
timeout = "1000s"
tries = 1
on_timeout = "bye"
on_invalid = "bye"
[script.nodes.bye]
type = "hangup"
"#;

// Real time: the dialer is another process, which a paused clock cannot hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_webhook_and_logs_no_secret() {
    let w = World::new(RULES, None).await;
    let rx = Receiver::start(Policy::Always(503)).await;
    let id = w
        .campaign(
            CAMPAIGN,
            &[
                ("Long 1", "+79008000001"),
                ("Long 2", "+79008000002"),
                ("Short 1", "+79009000001"),
                ("Short 2", "+79009000002"),
                ("Short 3", "+79009000003"),
            ],
        )
        .await;
    let config = w.dir.path().join("outcall.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\n[[freeswitch]]\nname = \"sim\"\naddress = \"{}\"\npassword = \"ClueCon\"\n\
             [webhooks]\ncall_start = [\"{}\"]\ncall_end = [\"{}\"]\nsecret = \"{SECRET}\"\n\
             backoff = \"1s\"\nbackoff_max = \"1s\"\ntimeout = \"2s\"\n",
            w.url,
            w.sim.addr(),
            rx.url("start"),
            rx.url("end"),
        ),
    )
    .unwrap();
    let (log1, log2) = (
        w.dir.path().join("serve1.log"),
        w.dir.path().join("serve2.log"),
    );
    let mut first = serve_process(&config, "crash-hooks", "debug", Some(&log1));
    // The short calls are over, the long ones up, and every webhook so far was refused.
    w.until(
        "three calls ended, two up, deliveries refused",
        Duration::from_secs(30),
        || async {
            let ended = w
                .store
                .campaign_attempts(id)
                .await
                .unwrap()
                .iter()
                .filter(|a| a.ended_at.is_some())
                .count();
            let refused_ends = rx.tries().keys().filter(|(path, _)| path == "/end").count();
            ended == 3
                && w.sim.stats().channels_now == 2
                && refused_ends == 3
                && rx.tries().len() == 8
        },
    )
    .await;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    assert_eq!(w.store.open_attempts().await.unwrap().len(), 2);
    assert_eq!(
        w.store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 8,
            delivered: 0,
            dead: 0
        }
    );

    rx.set_policy(Policy::Accept);
    let _second = serve_process(&config, "crash-hooks", "debug", Some(&log2));
    w.until(
        "every webhook delivered after the restart",
        Duration::from_secs(60),
        || async {
            w.store.outbox_counts().await.unwrap()
                == OutboxCounts {
                    pending: 0,
                    delivered: 10,
                    dead: 0,
                }
        },
    )
    .await;
    // The two long calls, cut by the restart's reconcile, are `interrupted`: due again later.
    let cut: Vec<_> = w
        .contacts(id)
        .await
        .into_iter()
        .filter(|c| c.last_disposition == Some(Disposition::Interrupted))
        .map(|c| c.name)
        .collect();
    assert_eq!(cut, ["Long 1", "Long 2"]);
    assert_eq!(
        w.store.campaign_status(id).await.unwrap().0,
        CampaignStatus::Running
    );

    let acks = rx.acks();
    assert_eq!(
        acks.len(),
        10,
        "a start and an end for each of 5 calls: {acks:?}"
    );
    assert!(acks.values().all(|n| *n == 1), "{acks:?}");
    for a in w.store.campaign_attempts(id).await.unwrap() {
        let rows = w.store.attempt_deliveries(a.id).await.unwrap();
        let kinds: Vec<WebhookKind> = rows.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [WebhookKind::CallStart, WebhookKind::CallEnd],
            "{a:?}"
        );
        assert!(a.ended_at.is_some() && a.disposition.is_some());
    }
    for s in rx.seen() {
        let sig = s.signature.as_deref().unwrap_or("");
        assert!(
            signature_ok(SECRET, &s.timestamp, &s.body, sig),
            "signed: {s:?}"
        );
    }
    for log in [&log1, &log2] {
        let text = std::fs::read_to_string(log).unwrap();
        assert!(text.contains("outcall serve"), "the run logged: {text}");
        assert!(
            !text.contains(SECRET),
            "the webhook secret appears in {}:\n{text}",
            log.display()
        );
    }
}
