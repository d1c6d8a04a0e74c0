//! The store's health as the engine sees it: whether writes are failing, said at most once every
//! few seconds while they do (with how many failed since the last warning), and once when they
//! work again; one [`Health`] is shared by every clone of a [`super::Store`]. And pooled
//! connections left inside a failed transaction, closed instead of reused.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How often a failing store is reported while it keeps failing.
pub const WARN_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct State {
    /// Failures since the last warning (or since the store last worked).
    failures: u64,
    last_warned: Option<Instant>,
    failing: bool,
    /// Warnings said so far (the life of the store).
    warnings: u64,
}

/// Failing or not, and when it was last said.
#[derive(Debug, Default)]
pub struct Health {
    state: Mutex<State>,
}

/// Whether a warning is due: the first failure, then once every `every`.
pub fn warning_due(last: Option<Instant>, now: Instant, every: Duration) -> bool {
    last.is_none_or(|t| now.saturating_duration_since(t) >= every)
}

impl Health {
    /// A write (or the pass that needed it) failed: warns if one is due.
    pub fn failed(&self, what: &str, error: &dyn std::fmt::Display) {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.failing = true;
        s.failures += 1;
        if warning_due(s.last_warned, now, WARN_EVERY) {
            tracing::warn!(
                failures = s.failures,
                "the store cannot write ({what}: {error}); no call is placed and results wait until it recovers"
            );
            s.last_warned = Some(now);
            s.failures = 0;
            s.warnings += 1;
        }
    }

    /// A write went through: says so once if the store was failing.
    pub fn worked(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.failing {
            tracing::warn!("the store takes writes again; calls resume");
            *s = State {
                warnings: s.warnings,
                ..State::default()
            };
        }
    }

    /// How many "the store cannot write" warnings were said so far.
    pub fn warnings(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .warnings
    }

    /// Whether the last write failed.
    pub fn is_failing(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).failing
    }
}

/// Whether a pooled connection still counts itself inside a transaction when it is checked
/// out. It happens after an error that made the database roll the transaction back itself (a
/// full disk: SQLITE_FULL): the client's ROLLBACK then fails ("no transaction is active"), sqlx
/// keeps its transaction depth at 1, and every later `begin_with` on that connection fails with
/// "attempted to call begin_with at non-zero transaction depth". Such a connection is closed
/// instead of reused, and the pool opens a fresh one.
pub(crate) fn stuck_in_transaction<C: sqlx::Connection>(conn: &C) -> bool {
    let stuck = conn.is_in_transaction();
    if stuck {
        tracing::info!("closing a pooled database connection left inside a failed transaction");
    }
    stuck
}

/// `opts` whose checkouts skip (and close) connections [`stuck_in_transaction`].
pub(crate) fn discard_stuck<DB: sqlx::Database>(
    opts: sqlx::pool::PoolOptions<DB>,
) -> sqlx::pool::PoolOptions<DB> {
    opts.before_acquire(|conn, _| {
        let keep = !stuck_in_transaction(conn);
        Box::pin(async move { Ok(keep) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_warning_at_once_then_every_interval() {
        let t0 = Instant::now();
        let every = Duration::from_secs(5);
        assert!(warning_due(None, t0, every));
        assert!(!warning_due(Some(t0), t0 + Duration::from_secs(4), every));
        assert!(warning_due(Some(t0), t0 + Duration::from_secs(5), every));
    }

    #[test]
    fn failing_until_a_write_works() {
        let h = Health::default();
        assert!(!h.is_failing());
        h.failed("claim", &"disk full");
        h.failed("claim", &"disk full");
        assert!(h.is_failing());
        assert_eq!(
            h.warnings(),
            1,
            "the second failure within the interval is not said"
        );
        h.worked();
        assert!(!h.is_failing());
    }
}
