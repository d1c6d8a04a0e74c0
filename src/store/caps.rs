//! Caps that hold across every dialer sharing the database: when an attempt opens, its
//! campaign's and gateway's live attempts (open rows) and recent starts are counted inside the
//! attempt's own write transaction, and the attempt is refused ([`super::StoreError::CapFull`])
//! when a cap is reached. SQLite serialises write transactions already; on PostgreSQL each cap's
//! check holds a transaction-scoped advisory lock on the cap (campaign before gateway, so two
//! transactions never wait on each other in a circle).

use chrono::{DateTime, Utc};

/// At most `calls` attempts started within any `window` (of the engine's clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub calls: u32,
    pub window: chrono::Duration,
}

/// One cap: concurrent lines and an optional rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cap {
    pub lines: u32,
    pub rate: Option<Rate>,
}

/// The caps an attempt is checked against in the store; empty: none (per-process pacing only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharedCaps {
    /// The attempt's campaign.
    pub campaign: Option<Cap>,
    /// The gateway its dial string names (when that gateway has caps).
    pub gateway: Option<(String, Cap)>,
}

impl SharedCaps {
    pub fn is_empty(&self) -> bool {
        self.campaign.is_none() && self.gateway.is_none()
    }
}

/// `cps` calls per second as a sliding window in clock time (`scale` clock seconds per real
/// second): a window of one real second (or one call's share of time, when under one call per
/// second) allowing the whole calls that fit in it. `None` when there is no rate.
pub fn rate_window(cps: f64, scale: f64) -> Option<Rate> {
    if !(cps.is_finite() && cps > 0.0 && scale.is_finite() && scale > 0.0) {
        return None;
    }
    let real = (1.0 / cps).max(1.0);
    let calls = (cps * real).floor().max(1.0) as u32;
    let ms = (real * scale * 1000.0).round() as i64;
    Some(Rate {
        calls,
        window: chrono::Duration::milliseconds(ms.max(1)),
    })
}

/// PostgreSQL advisory lock class of cap checks (the first key of `pg_advisory_xact_lock`).
pub(crate) const LOCK_CLASS: i32 = 17_005;

/// The counts a cap is checked with: `$1` the campaign id or gateway name, `$2` the window start.
pub(crate) fn count_sql(gateway: bool) -> (&'static str, &'static str) {
    if gateway {
        (
            "SELECT COUNT(*) FROM attempts WHERE gateway = $1 AND ended_at IS NULL",
            "SELECT COUNT(*) FROM attempts WHERE gateway = $1 AND started_at > $2",
        )
    } else {
        (
            "SELECT COUNT(*) FROM attempts WHERE campaign_id = $1 AND ended_at IS NULL",
            "SELECT COUNT(*) FROM attempts WHERE campaign_id = $1 AND started_at > $2",
        )
    }
}

/// Which limit a count reached, if any (`open` live attempts, `recent` started in the window).
pub fn over(cap: &Cap, open: i64, recent: i64) -> Option<&'static str> {
    if open >= i64::from(cap.lines) {
        return Some("lines");
    }
    match cap.rate {
        Some(r) if recent >= i64::from(r.calls) => Some("calls per second"),
        _ => None,
    }
}

/// The start of a rate's window ending at `now`.
pub fn window_start(rate: Option<Rate>, now: DateTime<Utc>) -> DateTime<Utc> {
    rate.map_or(now, |r| now - r.window)
}

/// Checks one cap inside the write transaction `$tx`; returns early from the enclosing
/// function with [`super::StoreError::CapFull`] when it is reached. `$key` binds the campaign
/// id or gateway name, `$lock` names the cap for PostgreSQL's advisory lock.
macro_rules! check_cap {
    ($store:expr, $tx:expr, $cap:expr, $gateway:expr, $key:expr, $lock:expr, $now:expr, $what:expr) => {{
        let cap: &$crate::store::caps::Cap = $cap;
        if $store.is_postgres() {
            sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind($crate::store::caps::LOCK_CLASS)
                .bind($lock)
                .execute(&mut *$tx)
                .await?;
        }
        let (open_sql, recent_sql) = $crate::store::caps::count_sql($gateway);
        let (open,): (i64,) = sqlx::query_as(open_sql)
            .bind($key)
            .fetch_one(&mut *$tx)
            .await?;
        let recent = match cap.rate {
            Some(r) => {
                let since = $crate::store::caps::window_start(Some(r), $now);
                let (n,): (i64,) = sqlx::query_as(recent_sql)
                    .bind($key)
                    .bind($crate::store::ms(since))
                    .fetch_one(&mut *$tx)
                    .await?;
                n
            }
            None => 0,
        };
        if let Some(limit) = $crate::store::caps::over(cap, open, recent) {
            return Err($crate::store::StoreError::CapFull(format!(
                "{} {}",
                $what, limit
            )));
        }
    }};
}
pub(crate) use check_cap;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_windows() {
        let r = rate_window(5.0, 1.0).unwrap();
        assert_eq!((r.calls, r.window.num_milliseconds()), (5, 1000));
        let r = rate_window(0.5, 1.0).unwrap();
        assert_eq!((r.calls, r.window.num_milliseconds()), (1, 2000));
        let r = rate_window(2.5, 20.0).unwrap();
        assert_eq!((r.calls, r.window.num_milliseconds()), (2, 20_000));
        assert_eq!(rate_window(0.0, 1.0), None);
        assert_eq!(rate_window(f64::NAN, 1.0), None);
    }

    #[test]
    fn which_limit_is_reached() {
        let rate = rate_window(2.0, 1.0);
        let cap = Cap { lines: 3, rate };
        assert_eq!(over(&cap, 2, 1), None);
        assert_eq!(over(&cap, 3, 0), Some("lines"));
        assert_eq!(over(&cap, 0, 2), Some("calls per second"));
        let no_rate = Cap {
            lines: 3,
            rate: None,
        };
        assert_eq!(over(&no_rate, 0, 99), None);
    }
}
