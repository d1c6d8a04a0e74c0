//! The delivery worker: leases due deliveries from the outbox, POSTs each (signed, with its
//! idempotency key) with at most `concurrency` requests in flight, and records in one
//! transaction per batch what they came to: 2xx delivered; anything else retried after a
//! backoff with jitter until the horizon, then dead with the last error. At start it takes
//! back the leases its owner held before a crash; at shutdown it stops leasing, lets requests
//! in flight finish for a grace time, and hands back what it did not send. It never touches a
//! call: the engine only writes rows.

use std::time::Duration;

use rand::Rng;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::http::HttpClient;
use super::sign;
use super::stats::OutboxStats;
use crate::clock::Clock;
use crate::config::{Secret, WebhookSettings};
use crate::model::{Delivery, DeliveryResult};
use crate::store::{Store, StoreError};

/// A result waits at most this long to be recorded with others in one transaction.
const SETTLE_WITHIN: Duration = Duration::from_millis(100);

/// The queue depth is read from the store at most this often.
const DEPTH_EVERY: Duration = Duration::from_secs(1);

/// Replies longer than this count as failures (a receiver answers with a status, not a page).
const MAX_REPLY: usize = 64 * 1024;

/// Errors that stop a step of the worker.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("webhook outbox: {0}")]
    Store(#[from] StoreError),
}

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Lease owner (this dialer's name: the same after a restart, so it takes its leases back).
    pub owner: String,
    /// Signs every delivery when set.
    pub secret: Option<Secret>,
    pub schedule: Backoff,
    /// One request's time limit (real time).
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// How often an idle worker looks at the outbox (real time).
    pub poll: Duration,
    /// At shutdown, how long requests in flight may still finish.
    pub grace: Duration,
}

impl WorkerOptions {
    /// The options `[webhooks]` of outcall.toml gives, for the dialer `owner`.
    pub fn from_settings(owner: &str, s: &WebhookSettings) -> WorkerOptions {
        WorkerOptions {
            owner: owner.to_string(),
            secret: s.secret.clone(),
            schedule: Backoff {
                backoff: s.backoff,
                backoff_max: s.backoff_max,
                horizon: s.horizon,
            },
            timeout: s.timeout,
            concurrency: s.concurrency.max(1),
            poll: Duration::from_millis(250),
            grace: Duration::from_secs(5),
        }
    }
}

/// Delivers the outbox of one store.
pub struct Worker {
    store: Store,
    clock: Clock,
    client: HttpClient,
    opts: WorkerOptions,
    stats: OutboxStats,
    /// When the queue depth was last read.
    depth_read: std::sync::Mutex<Option<Instant>>,
    /// Whether "deliveries go unsigned" was said (once, at the first delivery without a secret).
    said_unsigned: std::sync::atomic::AtomicBool,
}

impl Worker {
    pub fn new(store: Store, clock: Clock, client: HttpClient, opts: WorkerOptions) -> Worker {
        Worker {
            store,
            clock,
            client,
            opts,
            stats: OutboxStats::default(),
            depth_read: std::sync::Mutex::new(None),
            said_unsigned: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The worker's counters (queue depth for metrics).
    pub fn stats(&self) -> OutboxStats {
        self.stats.clone()
    }

    /// One pass, for tests and tools: lease what is due (up to `concurrency`), send it all,
    /// record the results. Returns how many were sent.
    pub async fn step(&self) -> Result<usize, WorkerError> {
        let batch = self.claim(self.opts.concurrency).await?;
        let n = batch.len();
        let mut flying = JoinSet::new();
        for d in batch {
            flying.spawn(self.send(d));
        }
        let results = flying.join_all().await;
        self.settle(&results).await?;
        Ok(n)
    }

    /// Delivers until `shutdown` fires (see the module doc).
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        match self.store.release_deliveries(&self.opts.owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deliveries = n,
                "took back webhook deliveries in flight before a restart"
            ),
            // They come due again when their leases run out.
            Err(e) => tracing::warn!(error = %e, "cannot take back earlier webhook leases"),
        }
        let mut flying: JoinSet<(i64, DeliveryResult)> = JoinSet::new();
        let mut done: Vec<(i64, DeliveryResult)> = Vec::new();
        let mut next_look = Instant::now();
        let mut settle_by: Option<Instant> = None;
        // Lease and record in batches: each is a write transaction the engine's calls wait for.
        let half = (self.opts.concurrency / 2).max(1);
        loop {
            let room = self.opts.concurrency.saturating_sub(flying.len() as u32);
            let may_claim = room >= half || flying.is_empty();
            if may_claim && Instant::now() >= next_look {
                let batch = self.claim(room).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot read the webhook outbox");
                    Vec::new()
                });
                // A full batch: more may be due at once; else look again after `poll`.
                let full = batch.len() as u32 == room;
                next_look = Instant::now() + if full { Duration::ZERO } else { self.opts.poll };
                for d in batch {
                    flying.spawn(self.send(d));
                }
            }
            let due = settle_by.is_some_and(|t| Instant::now() >= t);
            if !done.is_empty() && (done.len() as u32 >= half || flying.is_empty() || due) {
                if let Err(e) = self.settle(&done).await {
                    tracing::warn!(error = %e, "cannot record webhook results; they are sent again after their lease");
                }
                done.clear();
                settle_by = None;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(one) = flying.join_next(), if !flying.is_empty() => {
                    done.extend(one);
                    while let Some(more) = flying.try_join_next() {
                        done.extend(more);
                    }
                    settle_by.get_or_insert(Instant::now() + SETTLE_WITHIN);
                }
                _ = tokio::time::sleep_until(next_look), if may_claim => {}
                _ = tokio::time::sleep_until(settle_by.unwrap_or(next_look)), if settle_by.is_some() => {}
            }
        }
        self.drain(flying, done).await
    }

    /// Stops: lets requests in flight finish for the grace time, records them, hands back the
    /// rest.
    async fn drain(
        &self,
        mut flying: JoinSet<(i64, DeliveryResult)>,
        mut results: Vec<(i64, DeliveryResult)>,
    ) -> Result<(), WorkerError> {
        let _ = tokio::time::timeout(self.opts.grace, async {
            while let Some(done) = flying.join_next().await {
                results.extend(done);
            }
        })
        .await;
        flying.abort_all();
        self.settle(&results).await?;
        self.store.release_deliveries(&self.opts.owner).await?;
        Ok(())
    }

    /// Leases up to `room` due deliveries, and reads the queue depth.
    async fn claim(&self, room: u32) -> Result<Vec<Delivery>, WorkerError> {
        let now = self.clock.now();
        // Longer than any request, so a lease never runs out while its request is in flight.
        let lease =
            Clock::span((self.opts.timeout * 2 + self.opts.grace).mul_f64(self.clock.scale()));
        let batch = self
            .store
            .claim_deliveries(&self.opts.owner, now, now + lease, room)
            .await?;
        let stale = self
            .depth_read
            .lock()
            .map(|mut at| {
                let stale = at.is_none_or(|t| t.elapsed() >= DEPTH_EVERY);
                if stale {
                    *at = Some(Instant::now());
                }
                stale
            })
            .unwrap_or(true);
        if stale {
            self.stats.set_queue_depth(self.store.outbox_depth().await?);
        }
        self.stats.sending(batch.len() as u64);
        Ok(batch)
    }

    async fn settle(&self, results: &[(i64, DeliveryResult)]) -> Result<(), WorkerError> {
        let settled = self
            .store
            .settle_deliveries(&self.opts.owner, results)
            .await?;
        if settled < results.len() as u64 {
            tracing::warn!(
                lost = results.len() as u64 - settled,
                "webhook leases ran out during their requests; another worker may send them again"
            );
        }
        Ok(())
    }

    /// Sends one delivery; what it came to.
    fn send(
        &self,
        d: Delivery,
    ) -> impl std::future::Future<Output = (i64, DeliveryResult)> + Send + 'static {
        if self.opts.secret.is_none()
            && !self
                .said_unsigned
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!("webhooks.secret is not set: webhook deliveries go unsigned");
        }
        let client = self.client.clone();
        let secret = self.opts.secret.clone();
        let timeout = self.opts.timeout;
        let schedule = self.opts.schedule;
        let clock = self.clock.clone();
        let stats = self.stats.clone();
        async move {
            let stamp = clock.now().timestamp();
            let headers = sign::headers(secret.as_ref(), &d.event_id, d.kind, &d.body, stamp);
            let reply = client
                .post(&d.url, &headers, d.body.clone(), timeout, MAX_REPLY)
                .await;
            let now = clock.now();
            let error = match reply {
                Ok(r) if r.is_success() => {
                    stats.sent(true, false);
                    return (d.id, DeliveryResult::Delivered { at: now });
                }
                Ok(r) => format!("HTTP {}", r.status),
                Err(e) => e.to_string(),
            };
            let jitter = rand::thread_rng().gen::<f64>();
            let result = match schedule.next_try(d.attempts + 1, d.created_at, now, jitter) {
                Some(at) => DeliveryResult::Retry { at, error },
                None => {
                    tracing::warn!(event_id = %d.event_id, url = %shown(&d.url), error = %error, "webhook given up at the horizon");
                    DeliveryResult::Dead { at: now, error }
                }
            };
            stats.sent(false, matches!(result, DeliveryResult::Dead { .. }));
            (d.id, result)
        }
    }
}

/// A URL as logs show it: without its query, which may carry a receiver's token.
fn shown(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}
