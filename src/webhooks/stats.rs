//! The delivery worker's counters, for metrics: the queue depth (pending deliveries, as last
//! read from the store), requests in flight, and sends by outcome. Lock-free; cheap to clone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Shared counters of one worker.
#[derive(Debug, Clone, Default)]
pub struct OutboxStats {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    pending: AtomicU64,
    in_flight: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dead: AtomicU64,
}

impl OutboxStats {
    /// Deliveries waiting (the outbox's pending rows at the worker's last look).
    pub fn queue_depth(&self) -> u64 {
        self.inner.pending.load(Ordering::Relaxed)
    }
    pub fn in_flight(&self) -> u64 {
        self.inner.in_flight.load(Ordering::Relaxed)
    }
    /// Sends a receiver acknowledged.
    pub fn delivered(&self) -> u64 {
        self.inner.delivered.load(Ordering::Relaxed)
    }
    /// Sends that failed (each retried later, or given up).
    pub fn failed(&self) -> u64 {
        self.inner.failed.load(Ordering::Relaxed)
    }
    /// Deliveries given up at the horizon.
    pub fn dead(&self) -> u64 {
        self.inner.dead.load(Ordering::Relaxed)
    }

    pub(super) fn set_queue_depth(&self, n: u64) {
        self.inner.pending.store(n, Ordering::Relaxed);
    }
    pub(super) fn sending(&self, n: u64) {
        self.inner.in_flight.fetch_add(n, Ordering::Relaxed);
    }
    pub(super) fn sent(&self, delivered: bool, dead: bool) {
        self.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
        let counter = if delivered {
            &self.inner.delivered
        } else {
            &self.inner.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if dead {
            self.inner.dead.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prometheus text exposition.
    pub fn prometheus(&self) -> String {
        format!(
            "# HELP outcall_webhook_queue_depth Webhook deliveries not acknowledged yet.\n\
             # TYPE outcall_webhook_queue_depth gauge\noutcall_webhook_queue_depth {}\n\
             # TYPE outcall_webhook_in_flight gauge\noutcall_webhook_in_flight {}\n\
             # TYPE outcall_webhook_sends_total counter\n\
             outcall_webhook_sends_total{{outcome=\"delivered\"}} {}\n\
             outcall_webhook_sends_total{{outcome=\"failed\"}} {}\n\
             # TYPE outcall_webhook_dead_total counter\noutcall_webhook_dead_total {}\n",
            self.queue_depth(),
            self.in_flight(),
            self.delivered(),
            self.failed(),
            self.dead()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sends_and_renders() {
        let s = OutboxStats::default();
        s.set_queue_depth(7);
        s.sending(3);
        s.sent(true, false);
        s.sent(false, false);
        s.sent(false, true);
        assert_eq!(
            (s.in_flight(), s.delivered(), s.failed(), s.dead()),
            (0, 1, 2, 1)
        );
        let text = s.prometheus();
        assert!(text.contains("outcall_webhook_queue_depth 7\n"), "{text}");
        assert!(
            text.contains("outcall_webhook_sends_total{outcome=\"failed\"} 2\n"),
            "{text}"
        );
    }
}
