//! Simulated time: real time since start multiplied by the time-scale factor, anchored at the
//! wall clock of start. Everything the sim reports (timestamps, billsec, HEARTBEAT) uses it, and
//! every wait converts a simulated duration back to a real one.

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

/// `Event-Date-Local` (`YYYY-MM-DD HH:MM:SS`), `Event-Date-GMT` (RFC 822) for a µs timestamp.
pub fn date_strings(epoch_us: i64) -> (String, String) {
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
