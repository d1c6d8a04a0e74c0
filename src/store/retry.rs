//! Retrying store writes that must not be lost (a call's result): which errors are worth
//! another try (the database unreachable, a killed backend, a full disk), the backoff between
//! tries, and the loop that keeps trying while reporting to the store's [`super::Health`].

use std::future::Future;
use std::time::Duration;

use super::{Result, Store, StoreError};

/// The first wait between tries; it doubles up to [`BACKOFF_MAX`].
pub const BACKOFF_FIRST: Duration = Duration::from_millis(100);
/// The longest wait between tries.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The wait before try `n + 1` (n = failures so far, from 0).
pub fn backoff(n: u32) -> Duration {
    BACKOFF_FIRST
        .saturating_mul(2u32.saturating_pow(n.min(16)))
        .min(BACKOFF_MAX)
}

impl StoreError {
    /// Whether trying again later may succeed: the database failed (unreachable, a backend
    /// killed, a full disk, a lock timeout), not the request (a lease lost, a closed attempt,
    /// bad input). A closed pool (the process is stopping) is final.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Db(e) => !matches!(
                e,
                sqlx::Error::PoolClosed
                    | sqlx::Error::RowNotFound
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::ColumnIndexOutOfBounds { .. }
                    | sqlx::Error::TypeNotFound { .. }
                    | sqlx::Error::Decode(_)
                    | sqlx::Error::Configuration(_)
            ),
            StoreError::Connect(_)
            | StoreError::Unreachable { .. }
            | StoreError::NotCommitted(_) => true,
            _ => false,
        }
    }
}

impl Store {
    /// Runs `op` until it succeeds or fails for good (see [`StoreError::is_transient`]),
    /// waiting [`backoff`] between tries; each failure is reported to the store's health
    /// (a warning every few seconds while it lasts), `what` naming the write.
    pub async fn persist<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut failures = 0u32;
        loop {
            match op().await {
                Ok(v) => {
                    if failures > 0 {
                        self.health.worked();
                    }
                    return Ok(v);
                }
                Err(e) if e.is_transient() => {
                    self.health.failed(what, &e);
                    tokio::time::sleep(backoff(failures)).await;
                    failures += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap() {
        let waits: Vec<u64> = (0..8).map(|n| backoff(n).as_millis() as u64).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }

    #[test]
    fn what_is_worth_another_try() {
        let io = StoreError::Db(sqlx::Error::Io(std::io::Error::other("reset")));
        assert!(io.is_transient());
        assert!(StoreError::Db(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!StoreError::Db(sqlx::Error::PoolClosed).is_transient());
        assert!(!StoreError::LeaseLost { contact_id: 1 }.is_transient());
        assert!(!StoreError::AttemptNotOpen(1).is_transient());
        assert!(!StoreError::PhoneBusy("+1".into()).is_transient());
    }
}
