//! A webhook receiver for tests and the benchmark: an axum server on 127.0.0.1 that records
//! every request (idempotency key, timestamp, signature, body, the status it answered), counts
//! the 2xx answers per key, fails on purpose as told ([`Policy`]), and can go down and come back
//! on the same port. Plus the receiver's side of the signature check, as docs/webhooks.md shows.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use outcall::config::Secret;
use outcall::webhooks::{Backoff, WorkerOptions};
use sha2::Sha256;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Policy {
    /// 200 to everything.
    Accept,
    /// The first `n` requests of each key at each path get 500, later ones 200.
    FailFirst(u32),
    /// Always this status.
    Always(u16),
    /// A share of requests gets 500, drawn from a seeded sequence.
    FailShare(f64),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub key: String,
    pub event: String,
    pub timestamp: String,
    pub signature: Option<String>,
    pub content_type: String,
    pub body: String,
    pub status: u16,
}

#[derive(Default)]
struct Book {
    seen: Vec<Seen>,
    tries: HashMap<(String, String), u32>,
    acks: HashMap<(String, String), u32>,
    draws: u64,
}

struct Shared {
    policy: Mutex<Policy>,
    book: Mutex<Book>,
}

/// A running receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: Option<(CancellationToken, JoinHandle<()>)>,
}

impl Receiver {
    pub async fn start(policy: Policy) -> Receiver {
        let shared = Arc::new(Shared {
            policy: Mutex::new(policy),
            book: Mutex::new(Book::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut r = Receiver {
            addr,
            shared,
            server: None,
        };
        r.serve(listener);
        r
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/{*path}", post(receive))
            .with_state(self.shared.clone());
        let stop = CancellationToken::new();
        let until = stop.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { until.cancelled().await })
                .await;
        });
        self.server = Some((stop, task));
    }

    /// `http://127.0.0.1:PORT/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    pub fn set_policy(&self, p: Policy) {
        *self.shared.policy.lock().unwrap() = p;
    }

    /// Stops listening (connections are refused) until [`Receiver::up`].
    pub async fn down(&mut self) {
        if let Some((stop, task)) = self.server.take() {
            stop.cancel();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn up(&mut self) {
        if self.server.is_none() {
            let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
            self.serve(listener);
        }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.book.lock().unwrap().seen.clone()
    }

    /// 2xx answers per (path, idempotency key): one receiver URL, one event.
    pub fn acks(&self) -> HashMap<(String, String), u32> {
        self.shared.book.lock().unwrap().acks.clone()
    }

    /// Requests per (path, idempotency key).
    pub fn tries(&self) -> HashMap<(String, String), u32> {
        self.shared.book.lock().unwrap().tries.clone()
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let key = header("idempotency-key").unwrap_or_default();
    let policy = *shared.policy.lock().unwrap();
    let mut book = shared.book.lock().unwrap();
    let slot = (uri.path().to_string(), key.clone());
    let tries = {
        let t = book.tries.entry(slot.clone()).or_default();
        *t += 1;
        *t
    };
    book.draws += 1;
    let status = match policy {
        Policy::Accept => 200,
        Policy::FailFirst(n) => {
            if tries <= n {
                500
            } else {
                200
            }
        }
        Policy::Always(s) => s,
        Policy::FailShare(share) => {
            if unit(book.draws) < share {
                500
            } else {
                200
            }
        }
    };
    if (200..300).contains(&status) {
        *book.acks.entry(slot).or_default() += 1;
    }
    book.seen.push(Seen {
        path: uri.path().to_string(),
        key,
        event: header("x-outcall-event").unwrap_or_default(),
        timestamp: header("x-outcall-timestamp").unwrap_or_default(),
        signature: header("x-outcall-signature"),
        content_type: header("content-type").unwrap_or_default(),
        body,
        status,
    });
    StatusCode::from_u16(status).unwrap()
}

/// Worker options for tests: owner, secret, retries from 5 s doubling to 60 s for an hour,
/// 5 s per request, 8 at once, a look at the outbox every 50 ms.
pub fn worker_options(owner: &str, secret: &str) -> WorkerOptions {
    WorkerOptions {
        owner: owner.into(),
        secret: Some(Secret::new(secret)),
        schedule: Backoff {
            backoff: Duration::from_secs(5),
            backoff_max: Duration::from_secs(60),
            horizon: Duration::from_secs(3600),
        },
        timeout: Duration::from_secs(5),
        concurrency: 8,
        poll: Duration::from_millis(50),
        grace: Duration::from_secs(1),
    }
}

/// A deterministic draw in [0, 1) for the `n`-th request (splitmix64).
fn unit(n: u64) -> f64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The receiver's check of `X-Outcall-Signature` (docs/webhooks.md): HMAC-SHA256 of
/// `"<X-Outcall-Timestamp>.<raw body>"` with the shared secret, hex, after `sha256=`; compared
/// in constant time.
pub fn signature_ok(secret: &str, timestamp: &str, body: &str, header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.verify_slice(&expected).is_ok()
}
