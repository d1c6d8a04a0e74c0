//! The delivery worker against a local receiver, step by step on a clock the test moves:
//! signed headers, at-least-once until acknowledged and never after, the horizon, https with a
//! private CA, and a restarted worker taking back what a killed one had leased.

mod store_support;
#[path = "webhook_support/mod.rs"]
mod webhook_support;

use std::sync::Arc;
use std::time::Duration;

use outcall::clock::Clock;
use outcall::model::{DeliveryStatus, NewDelivery, WebhookKind};
use outcall::store::Store;
use outcall::webhooks::{HttpClient, Worker, WorkerOptions};
use store_support::*;
use tokio_util::sync::CancellationToken;
use webhook_support::{signature_ok, worker_options, Policy, Receiver};

const SECRET: &str = "whsec-test-7731";

fn options() -> WorkerOptions {
    worker_options("dialer-1", SECRET)
}

/// A store (SQLite in a temp dir) and a clock at t(11), in real time and moved on by the test.
async fn setup() -> (Store, Clock, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let store = Store::connect(&url).await.unwrap();
    (store, Clock::starting_at(t(11), 1.0), dir)
}

fn worker(store: &Store, clock: &Clock, opts: WorkerOptions) -> Worker {
    Worker::new(
        store.clone(),
        clock.clone(),
        HttpClient::new(None).unwrap(),
        opts,
    )
}

fn hooks(n: usize, kind: WebhookKind, url: &str) -> Vec<NewDelivery> {
    (0..n).map(|i| hook(&format!("ev{i}"), kind, url)).collect()
}

#[tokio::test]
async fn deliveries_carry_their_key_and_a_signature() {
    let (store, clock, _dir) = setup().await;
    let rx = Receiver::start(Policy::Accept).await;
    let (_, aid) = started(
        &store,
        "signed",
        &hooks(1, WebhookKind::CallStart, &rx.url("hooks/start")),
    )
    .await;
    let w = worker(&store, &clock, options());
    assert_eq!(w.step().await.unwrap(), 1);
    let seen = rx.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    let stored = &store.attempt_deliveries(aid).await.unwrap()[0];
    assert_eq!(s.path, "/hooks/start");
    assert_eq!(s.key, stored.event_id);
    assert_eq!(s.event, "call_start");
    assert_eq!(s.content_type, "application/json");
    assert_eq!(s.body, stored.body, "the stored bytes are sent as they are");
    let stamp: i64 = s.timestamp.parse().unwrap();
    assert!(
        (clock.now().timestamp() - stamp).abs() <= 1,
        "unix seconds of the send: {stamp}"
    );
    let sig = s.signature.as_deref().expect("signed");
    assert!(signature_ok(SECRET, &s.timestamp, &s.body, sig), "{sig}");
    assert!(!signature_ok("another", &s.timestamp, &s.body, sig));
    assert_eq!(stored.status, DeliveryStatus::Delivered);
    assert_eq!(stored.attempts, 1);
    assert!(stored.delivered_at.is_some_and(|t| t <= clock.now()));
    assert_eq!(w.stats().delivered(), 1);
}

#[tokio::test]
async fn each_key_is_sent_until_acknowledged_and_never_after() {
    let (store, clock, _dir) = setup().await;
    let rx = Receiver::start(Policy::FailFirst(2)).await;
    started(
        &store,
        "retry",
        &hooks(20, WebhookKind::CallEnd, &rx.url("end")),
    )
    .await;
    let w = worker(&store, &clock, options());
    let mut sends = 0;
    for _ in 0..10 {
        sends += w.step().await.unwrap();
        // Past the longest wait so far: every failed delivery is due again.
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(sends, 60, "each of 20 keys: two failures, one success");
    let acks = rx.acks();
    assert_eq!(acks.len(), 20);
    assert!(acks.values().all(|n| *n == 1), "{acks:?}");
    assert!(rx.tries().values().all(|n| *n == 3));
    let rows = store.deliveries_page(0, 100).await.unwrap();
    assert!(rows
        .iter()
        .all(|d| d.status == DeliveryStatus::Delivered && d.attempts == 3));
    assert_eq!(store.outbox_depth().await.unwrap(), 0);
    assert_eq!((w.stats().delivered(), w.stats().failed()), (20, 40));
}

#[tokio::test]
async fn failures_back_off_then_die_at_the_horizon() {
    let (store, clock, _dir) = setup().await;
    let rx = Receiver::start(Policy::Always(503)).await;
    let (_, aid) = started(
        &store,
        "dead",
        &hooks(1, WebhookKind::CallEnd, &rx.url("end")),
    )
    .await;
    let mut opts = options();
    opts.schedule.horizon = Duration::from_secs(300);
    let w = worker(&store, &clock, opts);
    assert_eq!(w.step().await.unwrap(), 1);
    let row = &store.attempt_deliveries(aid).await.unwrap()[0];
    let wait = (row.next_try_at - clock.now()).num_milliseconds();
    assert!(
        (2_400..=5_000).contains(&wait),
        "first retry after 2.5-5 s: {wait} ms"
    );
    assert_eq!(w.step().await.unwrap(), 0, "not due before its time");
    let mut sends = 1;
    while store.outbox_depth().await.unwrap() > 0 {
        clock.advance(Duration::from_secs(30));
        sends += w.step().await.unwrap();
        assert!(sends < 50, "it gives up");
    }
    let row = &store.attempt_deliveries(aid).await.unwrap()[0];
    assert_eq!(row.status, DeliveryStatus::Dead);
    assert_eq!(row.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(row.attempts as usize, sends);
    assert!(clock.now() >= row.created_at + chrono::Duration::seconds(300));
    assert_eq!(w.stats().dead(), 1);
}

#[tokio::test]
async fn a_restarted_worker_takes_back_what_a_killed_one_had_leased() {
    let (store, clock, _dir) = setup().await;
    let rx = Receiver::start(Policy::Accept).await;
    started(
        &store,
        "restart",
        &hooks(5, WebhookKind::CallEnd, &rx.url("end")),
    )
    .await;
    // The first process leased them for an hour and died before sending.
    let far = clock.now() + chrono::Duration::hours(1);
    let leased = store
        .claim_deliveries("dialer-1", clock.now(), far, 10)
        .await
        .unwrap();
    assert_eq!(leased.len(), 5);
    assert_eq!(worker(&store, &clock, options()).step().await.unwrap(), 0);
    let stop = CancellationToken::new();
    let task = tokio::spawn(worker(&store, &clock, options()).run(stop.clone()));
    let delivered = async {
        while rx.acks().len() < 5 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), delivered)
        .await
        .expect("delivered by the restarted worker without waiting for the lease");
    stop.cancel();
    task.await.unwrap().unwrap();
    assert!(rx.acks().values().all(|n| *n == 1));
    assert_eq!(store.outbox_counts().await.unwrap().delivered, 5);
}

/// A TLS receiver whose certificate (for 127.0.0.1) is signed by nobody the system trusts;
/// answers 204 to one request per connection. Returns its URL and certificate (PEM).
async fn tls_receiver() -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/secure",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 16 * 1024];
                let mut got = Vec::new();
                while !String::from_utf8_lossy(&got).contains("\"event_id\"") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, pem)
}

#[tokio::test]
async fn https_receivers_with_a_private_ca() {
    let (store, clock, _dir) = setup().await;
    let (url, pem) = tls_receiver().await;
    let (_, aid) = started(&store, "tls", &hooks(1, WebhookKind::CallEnd, &url)).await;
    // Not trusted by the system's roots: the send fails, and says why.
    assert_eq!(worker(&store, &clock, options()).step().await.unwrap(), 1);
    let row = &store.attempt_deliveries(aid).await.unwrap()[0];
    assert_eq!(row.status, DeliveryStatus::Pending);
    let why = row.last_error.clone().unwrap_or_default();
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    // With its CA trusted (webhooks.ca_file), it is delivered over TLS.
    let client = HttpClient::new(Some(pem.as_bytes())).unwrap();
    let trusting = Worker::new(store.clone(), clock.clone(), client, options());
    clock.advance(Duration::from_secs(60));
    assert_eq!(trusting.step().await.unwrap(), 1);
    let row = &store.attempt_deliveries(aid).await.unwrap()[0];
    assert_eq!(
        row.status,
        DeliveryStatus::Delivered,
        "{:?}",
        row.last_error
    );
}
