//! Simulated time: real time since start multiplied by the time-scale factor, anchored at the
//! wall clock of start. Everything the sim reports (timestamps, billsec, HEARTBEAT) uses it, and
//! every wait converts a simulated duration back to a real one.

use std::cell::RefCell;
use std::time::Duration;

use chrono::{DateTime, Local, TimeZone, Utc};
use tokio::time::Instant;

/// The simulator's clock. Cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
    start_epoch_us: i64,
    scale: f64,
}

impl Clock {
    /// A clock running `scale` times faster than real time (`scale` > 0).
    pub fn new(scale: f64) -> Clock {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Clock {
            start: Instant::now(),
            start_epoch_us: Utc::now().timestamp_micros(),
            scale,
        }
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Simulated now, in microseconds since the Unix epoch.
    pub fn now_us(&self) -> i64 {
        let real = self.start.elapsed().as_secs_f64();
        self.start_epoch_us + (real * self.scale * 1e6) as i64
    }

    /// Simulated microseconds since the sim started.
    pub fn uptime_us(&self) -> i64 {
        (self.start.elapsed().as_secs_f64() * self.scale * 1e6) as i64
    }

    /// The real duration that a simulated duration takes.
    pub fn real(&self, simulated: Duration) -> Duration {
        Duration::from_secs_f64(simulated.as_secs_f64() / self.scale)
    }

    /// Sleeps for a simulated duration.
    pub async fn sleep(&self, simulated: Duration) {
        tokio::time::sleep(self.real(simulated)).await;
    }

    /// The real instant at which `simulated` from now will have passed.
    pub fn deadline(&self, simulated: Duration) -> Instant {
        Instant::now() + self.real(simulated)
    }
}

/// Seconds as a Duration, clamping negatives and NaN to zero.
pub fn secs(s: f64) -> Duration {
    if s.is_finite() && s > 0.0 {
        Duration::from_secs_f64(s)
    } else {
        Duration::ZERO
    }
}

thread_local! {
    /// The second last formatted on this thread and its two strings: events come many to a
    /// simulated second, and formatting (the local zone's offset above all) is not cheap.
    static LAST_DATES: RefCell<Option<(i64, String, String)>> = const { RefCell::new(None) };
}

/// `Event-Date-Local` (`YYYY-MM-DD HH:MM:SS`), `Event-Date-GMT` (RFC 822) for a µs timestamp.
pub fn date_strings(epoch_us: i64) -> (String, String) {
    let second = epoch_us.div_euclid(1_000_000);
    LAST_DATES.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((s, local, gmt)) if *s == second => (local.clone(), gmt.clone()),
            _ => {
                let (local, gmt) = format_dates(epoch_us);
                *last = Some((second, local.clone(), gmt.clone()));
                (local, gmt)
            }
        }
    })
}

fn format_dates(epoch_us: i64) -> (String, String) {
    let utc: DateTime<Utc> = Utc
        .timestamp_micros(epoch_us)
        .single()
        .unwrap_or_else(Utc::now);
    let local = utc.with_timezone(&Local);
    (
        local.format("%Y-%m-%d %H:%M:%S").to_string(),
        utc.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_dates_match_fresh_formatting() {
        // Steps of 0.3 s over a few minutes, back and forth: hits, misses and revisits.
        let base = 1_700_000_000_000_000i64;
        for i in (0..1000i64).chain((0..1000).rev()) {
            let t = base + i * 300_000 + i % 7;
            assert_eq!(date_strings(t), format_dates(t), "at {t}");
        }
        assert_eq!(date_strings(base).1, "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(date_strings(-1), format_dates(-1));
    }
}
