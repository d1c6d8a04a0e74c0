//! Call webhooks end to end, on tokio's paused clock: the engine places calls against the
//! simulator (the demo's number plan) and writes their webhooks; a delivery worker beside it
//! sends them to a local receiver. Payloads of answered, transferred and busy calls; global and
//! per-campaign receivers; no webhook row without the attempt result it reports; delivery
//! resumes after the engine and the worker are stopped and started again on the same store.

#[path = "engine_support/mod.rs"]
mod support;
#[path = "webhook_support/mod.rs"]
mod webhook_support;

use std::collections::HashMap;
use std::time::Duration;

use outcall::model::{CampaignStatus, WebhookKind, WebhookUrls};
use outcall::store::Store;
use outcall::webhooks::{HttpClient, OutboxStats, Worker, WorkerError};
use serde_json::Value;
use support::*;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use webhook_support::{signature_ok, worker_options, Policy, Receiver};

const RULES: &str = include_str!("../campaigns/demo-rules.toml");
const SECRET: &str = "engine-hooks-secret-0417";

struct Delivering {
    stop: CancellationToken,
    task: JoinHandle<Result<(), WorkerError>>,
    stats: OutboxStats,
}

impl Delivering {
    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap().unwrap();
    }
}

/// A delivery worker on the world's store and clock, as `outcall serve` runs one.
async fn deliver(w: &World) -> Delivering {
    let store = Store::connect_paused(&w.url).await.unwrap();
    let opts = worker_options("e1", SECRET);
    let worker = Worker::new(store, w.clock.clone(), HttpClient::new(None).unwrap(), opts);
    let stats = worker.stats();
    let stop = CancellationToken::new();
    let task = tokio::spawn(worker.run(stop.clone()));
    Delivering { stop, task, stats }
}

fn global(rx: &Receiver) -> WebhookUrls {
    WebhookUrls {
        call_start: vec![rx.url("global/start")],
        call_end: vec![rx.url("global/end")],
    }
}

/// The engine tests' campaign, recording each call first, with `hooks` as its `[webhooks]`.
fn recorded_campaign(name: &str, max_attempts: u32, hooks: &str) -> String {
    campaign_toml(name, 3, max_attempts, hooks).replace(
        "start = \"greeting\"\n",
        "start = \"rec\"\n\n[script.nodes.rec]\ntype = \"record\"\nfile = \"/var/lib/freeswitch/recordings/{{CALL_UUID}}.wav\"\nnext = \"greeting\"\n",
    )
}

/// The acknowledged requests at `path`, by the number their body names.
fn bodies(rx: &Receiver, path: &str) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for s in rx
        .seen()
        .into_iter()
        .filter(|s| s.path == path && s.status == 200)
    {
        assert!(signature_ok(
            SECRET,
            &s.timestamp,
            &s.body,
            s.signature.as_deref().unwrap_or("")
        ));
        let v: Value = serde_json::from_str(&s.body).unwrap();
        assert_eq!(v["event_id"].as_str(), Some(s.key.as_str()));
        out.entry(v["number"].as_str().unwrap().to_string())
            .or_default()
            .push(v);
    }
    out
}

fn secs(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {v}"))
}

#[tokio::test(start_paused = true)]
async fn answered_transferred_and_busy_calls_report_start_and_end() {
    let mut w = World::new(RULES, None).await;
    let rx = Receiver::start(Policy::FailFirst(1)).await;
    w.webhooks = global(&rx);
    let own = format!("[webhooks]\ncall_end = [\"{}\"]\n", rx.url("campaign/end"));
    let hooks = w
        .campaign(
            &recorded_campaign("hooks", 2, &own),
            &[
                ("Transferred", "+79002000001"),
                ("Listens", "+79001000001"),
                ("Busy first", "+79003000001"),
            ],
        )
        .await;
    let plain = w
        .campaign(
            &campaign_toml("plain", 1, 1, ""),
            &[("Plain", "+79001000002")],
        )
        .await;
    let engine = w.engine("e1", 100).await;
    let worker = deliver(&w).await;
    // 5 calls: a start each (global), an end each (global), and the campaign's own ends (4).
    w.until(
        "every webhook acknowledged",
        Duration::from_secs(120),
        || async { rx.acks().len() == 14 },
    )
    .await;
    w.wait_status(hooks, CampaignStatus::Completed, Duration::from_secs(10))
        .await;
    w.wait_status(plain, CampaignStatus::Completed, Duration::from_secs(10))
        .await;
    assert_eq!((worker.stats.delivered(), worker.stats.failed()), (14, 14));
    engine.stop().await;
    worker.stop().await;
    assert!(rx.acks().values().all(|n| *n == 1), "{:?}", rx.acks());
    assert!(
        rx.tries().values().all(|n| *n == 2),
        "one failure, then acknowledged"
    );

    let starts = bodies(&rx, "/global/start");
    let ends = bodies(&rx, "/global/end");
    let own_ends = bodies(&rx, "/campaign/end");
    assert_eq!(starts.values().map(Vec::len).sum::<usize>(), 5);
    assert_eq!(ends.values().map(Vec::len).sum::<usize>(), 5);
    assert_eq!(
        own_ends.values().map(Vec::len).sum::<usize>(),
        4,
        "only its own campaign's calls"
    );
    assert!(!own_ends.contains_key("+79001000002"));
    assert_eq!(ends["+79001000002"][0]["campaign"]["name"], "plain");

    let start = &starts["+79002000001"][0];
    assert_eq!(start["event"], "call_start");
    assert_eq!(start["campaign"]["name"], "hooks");
    assert_eq!(start["contact"]["name"], "Transferred");
    assert_eq!(start["contact"]["vars"]["BALANCE"], "-68.27");

    // Pressed 1, bridged to the operator, who hung up after 10 s: talk apart from the IVR.
    let t = &ends["+79002000001"][0];
    assert_eq!(
        t, &own_ends["+79002000001"][0],
        "one event, one body, two receivers"
    );
    assert_eq!(
        (t["event"].as_str(), t["disposition"].as_str()),
        (Some("call_end"), Some("transferred"))
    );
    assert_eq!(t["call_uuid"], start["call_uuid"]);
    assert_eq!(t["digits"], "1");
    let uuid = t["call_uuid"].as_str().unwrap();
    assert_eq!(
        t["recording"].as_str(),
        Some(format!("/var/lib/freeswitch/recordings/{uuid}.wav").as_str())
    );
    assert!((1..=4).contains(&secs(t, "ring_seconds")), "{t}");
    assert!((9..=14).contains(&secs(t, "talk_seconds")), "{t}");
    assert!(
        secs(t, "ivr_seconds") >= 2,
        "greeting and menu before the bridge: {t}"
    );
    assert_eq!(t["contact"]["vars"]["BALANCE"], "-68.27");
    assert_eq!(t["contact"]["status"], "done");

    // Answered and listened to the IVR, no operator: no talk.
    let l = &ends["+79001000001"][0];
    assert_eq!(l["disposition"], "answered");
    assert_eq!(secs(l, "talk_seconds"), 0);
    assert!(secs(l, "ivr_seconds") >= 5, "{l}");

    // Busy, then answered on the retry: two calls, two ends, in that order.
    let b = &ends["+79003000001"];
    assert_eq!(b.len(), 2);
    let (busy, later) = if b[0]["disposition"] == "busy" {
        (&b[0], &b[1])
    } else {
        (&b[1], &b[0])
    };
    assert_eq!(busy["disposition"], "busy");
    assert!(busy["answered_at"].is_null());
    assert_eq!(
        (secs(busy, "ivr_seconds"), secs(busy, "talk_seconds")),
        (0, 0)
    );
    assert_eq!(busy["contact"]["status"], "pending");
    assert!(busy["contact"]["next_attempt_at"].is_string());
    assert_eq!(later["disposition"], "answered");
    assert_ne!(busy["event_id"], later["event_id"]);
}

#[tokio::test(start_paused = true)]
async fn no_webhook_row_without_the_result_it_reports() {
    let mut w = World::new(ANSWERED_RULES, None).await;
    // No receiver and no worker: rows stay in the outbox for the test to read.
    w.webhooks = WebhookUrls {
        call_start: vec!["http://127.0.0.1:9/start".into()],
        call_end: vec!["http://127.0.0.1:9/end".into()],
    };
    let list = phones("7900100", 8);
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let id = w.campaign(&campaign_toml("rows", 3, 1, ""), &refs).await;
    let engine = w.engine("e1", 100).await;
    let seen_open = std::cell::Cell::new(false);
    // While calls come and go: the outbox first, then the attempts (which can only have moved
    // on): every row reports a recorded attempt, and every call_end one that has its result.
    w.until(
        "the campaign completes",
        Duration::from_secs(120),
        || async {
            let rows = w.store.deliveries_page(0, 1000).await.unwrap();
            let attempts = w.store.campaign_attempts(id).await.unwrap();
            seen_open.set(seen_open.get() || attempts.iter().any(|a| a.ended_at.is_none()));
            for d in &rows {
                let a = attempts.iter().find(|a| Some(a.id) == d.attempt_id);
                let a = a.unwrap_or_else(|| panic!("a row without its attempt: {d:?}"));
                if d.kind == WebhookKind::CallEnd {
                    assert!(a.ended_at.is_some(), "call_end of an open attempt: {a:?}");
                    let end: Value = serde_json::from_str(&d.body).unwrap();
                    assert_eq!(
                        end["disposition"].as_str(),
                        a.disposition.map(|d| d.as_str())
                    );
                }
            }
            w.store.campaign_status(id).await.unwrap().0 == CampaignStatus::Completed
        },
    )
    .await;
    engine.stop().await;
    for a in w.store.campaign_attempts(id).await.unwrap() {
        let kinds: Vec<WebhookKind> = w
            .store
            .attempt_deliveries(a.id)
            .await
            .unwrap()
            .iter()
            .map(|d| d.kind)
            .collect();
        assert_eq!(
            kinds,
            [WebhookKind::CallStart, WebhookKind::CallEnd],
            "{a:?}"
        );
    }
    assert!(seen_open.get(), "calls were looked at while in flight");
}

#[tokio::test(start_paused = true)]
async fn delivery_resumes_after_a_restart_with_pending_rows() {
    let mut w = World::new(ANSWERED_RULES, None).await;
    let rx = Receiver::start(Policy::Always(503)).await;
    w.webhooks = global(&rx);
    let list = phones("7900100", 4);
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let id = w.campaign(&campaign_toml("resume", 4, 1, ""), &refs).await;
    let engine = w.engine("e1", 100).await;
    let worker = deliver(&w).await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(120))
        .await;
    w.until(
        "every row tried and refused",
        Duration::from_secs(60),
        || async { rx.tries().len() == 8 },
    )
    .await;
    engine.stop().await;
    worker.stop().await;
    assert_eq!(
        w.store.outbox_depth().await.unwrap(),
        8,
        "all pending across the stop"
    );
    assert!(rx.acks().is_empty());

    rx.set_policy(Policy::Accept);
    let engine = w.engine("e1", 100).await;
    let worker = deliver(&w).await;
    w.until(
        "delivered after the restart",
        Duration::from_secs(120),
        || async { rx.acks().len() == 8 },
    )
    .await;
    engine.stop().await;
    worker.stop().await;
    assert!(rx.acks().values().all(|n| *n == 1));
    assert_eq!(w.store.outbox_counts().await.unwrap().delivered, 8);
}
