//! In-process counters of the dialer: calls by disposition, originates, live calls (in all, and
//! by campaign, gateway and node), originate latency, the scheduler's lag and pass time, and the
//! reaction time from CHANNEL_PARK received to the first execute sent; lock-free counters, and
//! a feed of call events (started, answered, ended) for whoever watches live (the API's SSE).
//! [`Metrics::register`] puts them into a Prometheus registry (the API's `/metrics`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::model::Disposition;

/// Events kept for a slow watcher before it misses some (it is told how many).
const FEED_DEPTH: usize = 4096;

/// Shared metrics; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    by_disposition: [AtomicU64; Disposition::ALL.len()],
    originates: AtomicU64,
    live: AtomicU64,
    reactions_us: Mutex<Vec<u32>>,
    feed: broadcast::Sender<CallEvent>,
    /// Live calls by campaign, gateway and node (label sets of [`LiveKey::labels`]).
    live_by: Family<Labels, Gauge>,
    /// Originate sent -> the switch's first event of the new channel, seconds.
    originate_latency: Histogram,
    /// How late a scheduler pass started after it was due, seconds.
    scheduler_lag: Histogram,
    /// How long one scheduler pass took, seconds.
    scheduler_pass: Histogram,
}

/// Label pairs of a metric.
pub type Labels = Vec<(String, String)>;

/// 1 ms doubling to about 16 s.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            by_disposition: Default::default(),
            originates: AtomicU64::new(0),
            live: AtomicU64::new(0),
            reactions_us: Mutex::default(),
            feed: broadcast::channel(FEED_DEPTH).0,
            live_by: Family::default(),
            originate_latency: seconds_histogram(),
            scheduler_lag: seconds_histogram(),
            scheduler_pass: seconds_histogram(),
        }
    }
}

/// Where a live call runs: its campaign (or job label), gateway (empty when it dials no
/// gateway) and node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LiveKey {
    pub campaign: String,
    pub gateway: String,
    pub node: String,
}

impl LiveKey {
    fn labels(&self) -> Labels {
        vec![
            ("campaign".into(), self.campaign.clone()),
            ("gateway".into(), self.gateway.clone()),
            ("node".into(), self.node.clone()),
        ]
    }
}

/// One live call in [`Metrics::live_call`]'s gauge; dropping it ends the call there.
#[must_use = "the call counts as live while this is held"]
pub struct LiveGuard(Gauge);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What happened to a call, for live watchers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStage {
    Started,
    Answered,
    Ended,
}

/// One step of one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallEvent {
    pub stage: CallStage,
    pub campaign: String,
    pub contact: i64,
    pub phone: String,
    pub node: String,
    /// Set when ended.
    pub disposition: Option<Disposition>,
    pub at: DateTime<Utc>,
}

fn index(d: Disposition) -> usize {
    Disposition::ALL
        .iter()
        .position(|x| *x == d)
        .expect("every disposition is in ALL")
}

impl Metrics {
    /// Tells live watchers (nobody listening costs nothing).
    pub fn publish(&self, ev: CallEvent) {
        let _ = self.inner.feed.send(ev);
    }

    /// A receiver of the call events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CallEvent> {
        self.inner.feed.subscribe()
    }

    pub fn call_finished(&self, d: Disposition) {
        self.inner.by_disposition[index(d)].fetch_add(1, Ordering::Relaxed);
    }
    pub fn originated(&self) {
        self.inner.originates.fetch_add(1, Ordering::Relaxed);
    }
    pub fn live_inc(&self) {
        self.inner.live.fetch_add(1, Ordering::Relaxed);
    }
    pub fn live_dec(&self) {
        self.inner.live.fetch_sub(1, Ordering::Relaxed);
    }
    /// Records one park-to-first-execute reaction time (capped; at most a million kept).
    pub fn reaction(&self, d: Duration) {
        let us = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        let mut v = self
            .inner
            .reactions_us
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if v.len() < 1_000_000 {
            v.push(us);
        }
    }

    /// Counts a call as live under `key` until the guard is dropped.
    pub fn live_call(&self, key: &LiveKey) -> LiveGuard {
        let gauge = self.inner.live_by.get_or_create(&key.labels()).clone();
        gauge.inc();
        LiveGuard(gauge)
    }
    /// Live calls under `key` now.
    pub fn live_of(&self, key: &LiveKey) -> i64 {
        self.inner.live_by.get_or_create(&key.labels()).get()
    }
    /// Records the time from an originate sent to the switch's first event of its channel.
    pub fn originate_latency(&self, d: Duration) {
        self.inner.originate_latency.observe(d.as_secs_f64());
    }
    /// Records one scheduler pass: how late it started after it was due, and how long it took.
    pub fn scheduler_pass(&self, late: Duration, took: Duration) {
        self.inner.scheduler_lag.observe(late.as_secs_f64());
        self.inner.scheduler_pass.observe(took.as_secs_f64());
    }

    /// Calls finished with a disposition.
    pub fn count(&self, d: Disposition) -> u64 {
        self.inner.by_disposition[index(d)].load(Ordering::Relaxed)
    }
    /// Every call finished.
    pub fn finished(&self) -> u64 {
        Disposition::ALL.iter().map(|d| self.count(*d)).sum()
    }
    pub fn originates(&self) -> u64 {
        self.inner.originates.load(Ordering::Relaxed)
    }
    pub fn live(&self) -> u64 {
        self.inner.live.load(Ordering::Relaxed)
    }
    /// The `q` quantile (0..=1) of reaction times, if any were recorded.
    pub fn reaction_quantile(&self, q: f64) -> Option<Duration> {
        let mut v = self
            .inner
            .reactions_us
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let i = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        Some(Duration::from_micros(u64::from(v[i])))
    }

    /// Registers the dialer's metrics (values as of now) in `reg`.
    pub fn register(&self, reg: &mut Registry) {
        let calls = Family::<Labels, Counter>::default();
        for d in Disposition::ALL {
            calls
                .get_or_create(&vec![("disposition".into(), d.to_string())])
                .inc_by(self.count(d));
        }
        reg.register("calls", "Calls finished, by disposition", calls);
        let originates = Counter::<u64>::default();
        originates.inc_by(self.originates());
        reg.register("originates", "Originates sent", originates);
        let live = Gauge::<i64>::default();
        live.set(i64::try_from(self.live()).unwrap_or(i64::MAX));
        reg.register("live_calls", "Calls in progress in this process", live);
        reg.register(
            "live_calls_by",
            "Calls in progress, by campaign, gateway and node",
            self.inner.live_by.clone(),
        );
        reg.register(
            "originate_latency_seconds",
            "From an originate sent to the switch's first event of the new channel",
            self.inner.originate_latency.clone(),
        );
        reg.register(
            "scheduler_lag_seconds",
            "How late a scheduler pass started after it was due",
            self.inner.scheduler_lag.clone(),
        );
        reg.register(
            "scheduler_pass_seconds",
            "How long one scheduler pass took",
            self.inner.scheduler_pass.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_quantiles() {
        let m = Metrics::default();
        m.call_finished(Disposition::Busy);
        m.call_finished(Disposition::Busy);
        m.call_finished(Disposition::Answered);
        assert_eq!(m.count(Disposition::Busy), 2);
        assert_eq!(m.finished(), 3);
        assert_eq!(m.reaction_quantile(0.5), None);
        for us in 1..=100 {
            m.reaction(Duration::from_micros(us));
        }
        assert_eq!(m.reaction_quantile(0.0), Some(Duration::from_micros(1)));
        assert_eq!(m.reaction_quantile(1.0), Some(Duration::from_micros(100)));
        let mut reg = Registry::with_prefix("outcall");
        m.register(&mut reg);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &reg).expect("encodes");
        assert!(
            text.contains("outcall_calls_total{disposition=\"busy\"} 2"),
            "{text}"
        );
    }

    #[test]
    fn live_calls_by_campaign_gateway_node_follow_their_guards() {
        let m = Metrics::default();
        let a = LiveKey {
            campaign: "debtors".into(),
            gateway: "gw1".into(),
            node: "fs1".into(),
        };
        let b = LiveKey {
            node: "fs2".into(),
            ..a.clone()
        };
        let one = m.live_call(&a);
        let two = m.live_call(&a);
        let three = m.live_call(&b);
        assert_eq!((m.live_of(&a), m.live_of(&b)), (2, 1));
        drop(one);
        drop(three);
        assert_eq!((m.live_of(&a), m.live_of(&b)), (1, 0));
        m.originate_latency(Duration::from_millis(3));
        m.scheduler_pass(Duration::from_millis(1), Duration::from_millis(2));
        let mut reg = Registry::with_prefix("outcall");
        m.register(&mut reg);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &reg).expect("encodes");
        assert!(
            text.contains(
                "outcall_live_calls_by{campaign=\"debtors\",gateway=\"gw1\",node=\"fs1\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("outcall_originate_latency_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("outcall_scheduler_lag_seconds_count 1"),
            "{text}"
        );
        drop(two);
    }
}
