//! In-process counters of the dialer: calls by disposition, originates, live calls, and the
//! reaction time from CHANNEL_PARK received to the first execute sent; lock-free counters, and
//! a feed of call events (started, answered, ended) for whoever watches live (the API's SSE).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
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
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            by_disposition: Default::default(),
            originates: AtomicU64::new(0),
            live: AtomicU64::new(0),
            reactions_us: Mutex::default(),
            feed: broadcast::channel(FEED_DEPTH).0,
        }
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

    /// Prometheus text exposition of the counters.
    pub fn prometheus(&self) -> String {
        let mut out = String::from(
            "# HELP outcall_calls_total Calls finished, by disposition.\n# TYPE outcall_calls_total counter\n",
        );
        for d in Disposition::ALL {
            out.push_str(&format!(
                "outcall_calls_total{{disposition=\"{d}\"}} {}\n",
                self.count(d)
            ));
        }
        out.push_str(&format!(
            "# TYPE outcall_originates_total counter\noutcall_originates_total {}\n# TYPE outcall_live_calls gauge\noutcall_live_calls {}\n",
            self.originates(),
            self.live()
        ));
        out
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
        let text = m.prometheus();
        assert!(
            text.contains("outcall_calls_total{disposition=\"busy\"} 2"),
            "{text}"
        );
    }
}
