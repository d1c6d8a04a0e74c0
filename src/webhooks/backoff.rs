//! When a failed delivery is tried again: exponential backoff with jitter (the first retry
//! after `backoff`, each later one twice as long, at most `backoff_max`, each wait drawn from
//! its upper half), until the horizon after the event; then the delivery is given up. Pure.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry.
    pub backoff: Duration,
    /// The longest wait between two tries.
    pub backoff_max: Duration,
    /// How long after its event a delivery may still be tried.
    pub horizon: Duration,
}

impl Backoff {
    /// The wait after the `failures`-th failed try (1 = the first), before jitter:
    /// `backoff * 2^(failures-1)`, at most `backoff_max`.
    pub fn base_delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        self.backoff
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.backoff_max)
    }

    /// The wait with jitter: `jitter` in `[0, 1)` places it in the upper half of
    /// [`Backoff::base_delay`], so retries of many deliveries that failed together spread out.
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let base = self.base_delay(failures);
        let j = jitter.clamp(0.0, 1.0);
        base / 2 + (base / 2).mul_f64(j)
    }

    /// When to try again after the `failures`-th failure at `now` of a delivery whose event
    /// happened at `created_at`; `None` when the horizon has passed (give up). The last try
    /// falls on the horizon itself.
    pub fn next_try(
        &self,
        failures: u32,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> Option<DateTime<Utc>> {
        let horizon = created_at + span(self.horizon);
        if now >= horizon {
            return None;
        }
        Some((now + span(self.delay(failures, jitter))).min(horizon))
    }
}

fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    const POLICY: Backoff = Backoff {
        backoff: Duration::from_secs(5),
        backoff_max: Duration::from_secs(600),
        horizon: Duration::from_secs(86_400),
    };

    #[test]
    fn doubles_up_to_the_cap() {
        let waits: Vec<u64> = (1..=10).map(|n| POLICY.base_delay(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]);
        assert_eq!(POLICY.base_delay(0), secs(5));
        assert_eq!(POLICY.base_delay(u32::MAX), secs(600), "no overflow");
    }

    #[test]
    fn jitter_stays_in_the_upper_half() {
        assert_eq!(POLICY.delay(3, 0.0), secs(10));
        assert_eq!(POLICY.delay(3, 0.5), secs(15));
        assert_eq!(POLICY.delay(3, 0.999_999).as_secs(), 19);
        assert_eq!(POLICY.delay(3, 7.0), secs(20), "jitter is clamped");
        assert_eq!(POLICY.delay(3, -1.0), secs(10));
    }

    #[test]
    fn gives_up_at_the_horizon() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        assert_eq!(
            POLICY.next_try(1, t0, at(0), 0.0),
            Some(at(2) + chrono::Duration::milliseconds(500))
        );
        assert_eq!(POLICY.next_try(8, t0, at(3600), 1.0), Some(at(3600 + 600)));
        // Close to the horizon the last try falls on it, and after it there is none.
        assert_eq!(POLICY.next_try(9, t0, at(86_300), 1.0), Some(at(86_400)));
        assert_eq!(POLICY.next_try(10, t0, at(86_400), 0.0), None);
        assert_eq!(POLICY.next_try(1, t0, at(90_000), 0.0), None);
    }
}
