//! How a SQLite connection waits for the write lock another connection holds: a busy handler
//! that retries every 50 µs at first and every 250 µs after 5 ms, up to 10 s, instead of the
//! stock `busy_timeout`, whose sleeps grow to 100 ms each (1, 2, 5, 10, … 100 ms). Writers
//! queued behind one another (the API's single-row writes under load, the engine's results)
//! then wait about as long as the lock is actually held, not up to 100 ms more.

use std::os::raw::{c_int, c_void};
use std::time::Duration;

use sqlx::sqlite::SqliteConnection;

/// The longest a writer waits for the lock before SQLITE_BUSY.
const LIMIT: Duration = Duration::from_secs(10);
/// Tries at the short pause (5 ms in all).
const QUICK_TRIES: u32 = 100;
const QUICK: Duration = Duration::from_micros(50);
const SLOW: Duration = Duration::from_micros(250);

/// The pause before try number `tries + 1`, or none once [`LIMIT`] is spent.
pub(crate) fn pause(tries: u32) -> Option<Duration> {
    let quick_total = QUICK * QUICK_TRIES;
    if tries < QUICK_TRIES {
        return Some(QUICK);
    }
    let waited = quick_total + SLOW * (tries - QUICK_TRIES);
    (waited < LIMIT).then_some(SLOW)
}

extern "C" fn on_busy(_: *mut c_void, tries: c_int) -> c_int {
    match pause(u32::try_from(tries).unwrap_or(u32::MAX)) {
        Some(d) => {
            std::thread::sleep(d);
            1
        }
        None => 0,
    }
}

/// Installs the handler on a new connection (it replaces the connection's busy timeout).
pub(super) async fn install(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is the live connection's handle, locked for us while `handle` lives; the
    // callback is a plain function that touches no state of its own (null user data).
    let rc =
        unsafe { libsqlite3_sys::sqlite3_busy_handler(db, Some(on_busy), std::ptr::null_mut()) };
    if rc != libsqlite3_sys::SQLITE_OK {
        return Err(sqlx::Error::Protocol(format!(
            "cannot install the SQLite busy handler (code {rc})"
        )));
    }
    Ok(())
}

/// Sets (`on`) or clears the handler on a connection opened outside sqlx (`direct`: its
/// connections wait only on a blocking thread).
///
/// # Safety
/// `db` must be a live connection's handle that no other thread uses meanwhile.
pub(super) unsafe fn set_raw(db: *mut libsqlite3_sys::sqlite3, on: bool) {
    let handler = if on { Some(on_busy as _) } else { None };
    // SAFETY: as the caller promises; the handler touches no state of its own.
    unsafe { libsqlite3_sys::sqlite3_busy_handler(db, handler, std::ptr::null_mut()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::str::FromStr;

    /// The handler replaces the busy timeout (SQLite clears one when the other is set), and a
    /// writer that finds the lock taken waits until it is released instead of failing.
    #[tokio::test]
    async fn a_writer_waits_for_the_lock_through_the_handler() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("b.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .after_connect(|c, _| Box::pin(install(c)))
            .connect_with(options)
            .await
            .unwrap();
        let (timeout,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(timeout, 0, "the stock timeout is replaced");
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        let mut holder = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *holder)
            .await
            .unwrap();
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(
                async move { sqlx::query("INSERT INTO t VALUES (2)").execute(&pool).await },
            )
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiter.is_finished(),
            "the second writer waits for the lock"
        );
        holder.commit().await.unwrap();
        waiter
            .await
            .unwrap()
            .expect("it writes once the lock is free");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn short_pauses_first_then_longer_until_ten_seconds() {
        assert_eq!(pause(0), Some(QUICK));
        assert_eq!(pause(QUICK_TRIES - 1), Some(QUICK));
        assert_eq!(pause(QUICK_TRIES), Some(SLOW));
        let mut waited = Duration::ZERO;
        let mut tries = 0;
        while let Some(d) = pause(tries) {
            waited += d;
            tries += 1;
        }
        assert!(
            waited >= LIMIT - SLOW && waited <= LIMIT,
            "{waited:?} after {tries} tries"
        );
    }
}
