//! The engine's clock: wall time that can run faster than real time (the demo and the sim use a
//! time scale) and can be moved forward by tests, so windows, recalls and backoff are testable
//! without waiting. Everything the engine stores (attempt times, next_attempt_at, leases) is in
//! this clock's time; sleeps convert back to real durations.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// A cheap, cloneable clock.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base_utc: DateTime<Utc>,
    base: Instant,
    scale: f64,
    /// Milliseconds added by [`Clock::advance`].
    offset_ms: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// Real time.
    pub fn system() -> Clock {
        Clock::starting_at(Utc::now(), 1.0)
    }

    /// A clock reading `start` now and running `scale` times faster than real time.
    pub fn starting_at(start: DateTime<Utc>, scale: f64) -> Clock {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Clock {
            inner: Arc::new(Inner {
                base_utc: start,
                base: Instant::now(),
                scale,
                offset_ms: AtomicI64::new(0),
            }),
        }
    }

    /// How much faster than real time this clock runs.
    pub fn scale(&self) -> f64 {
        self.inner.scale
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        let real = Instant::now().saturating_duration_since(self.inner.base);
        let scaled_ms = (real.as_secs_f64() * self.inner.scale * 1000.0) as i64;
        let offset = self.inner.offset_ms.load(Ordering::Relaxed);
        self.inner.base_utc + chrono::Duration::milliseconds(scaled_ms.saturating_add(offset))
    }

    /// Moves the clock forward (tests).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.inner.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The real duration that lasts `d` of this clock's time.
    pub fn real(&self, d: Duration) -> Duration {
        d.div_f64(self.inner.scale)
    }

    /// The real duration until `at` (zero when it is past).
    pub fn real_until(&self, at: DateTime<Utc>) -> Duration {
        let d = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
        self.real(d)
    }

    /// This clock's duration `d` as chrono.
    pub fn span(d: Duration) -> chrono::Duration {
        chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test(start_paused = true)]
    async fn scaled_and_advanced() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let c = Clock::starting_at(start, 10.0);
        assert_eq!(c.now(), start);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(c.now(), start + chrono::Duration::seconds(10));
        c.advance(Duration::from_secs(3600));
        assert_eq!(c.now(), start + chrono::Duration::seconds(3610));
        assert_eq!(c.real(Duration::from_secs(20)), Duration::from_secs(2));
        let at = c.now() + chrono::Duration::seconds(50);
        assert_eq!(c.real_until(at), Duration::from_secs(5));
        assert_eq!(c.real_until(start), Duration::ZERO);
    }
}
