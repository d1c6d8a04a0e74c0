//! WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the COMMIT
//! that takes the write-ahead log past 1,000 pages: that commit copies the log into the database
//! and waits for two fsyncs (tens of ms on the bench machine), and every change queued behind
//! it waits too (the open-loop POST's p99 tail). Here each pooled connection reports the log's
//! size after each of its commits ([`install`], a WAL hook, which replaces the automatic
//! checkpoint); past [`SOFT`] pages a task of the store's ([`run`]) checkpoints on a connection
//! of its own (PASSIVE: no reader or writer waits for it), so commits go on meanwhile, and again
//! each time the log has grown by [`SOFT`] pages more (as often as SQLite would). The log
//! restarts from its beginning only once a checkpoint has caught up with every frame, which a
//! steady stream of commits can prevent: past [`HARD`] pages the committing connection
//! checkpoints itself, as SQLite would have (most of the log is in the database by then, so
//! little is left to copy).

use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

use sqlx::sqlite::{SqliteConnection, SqlitePool};
use tokio::sync::Notify;

/// Log pages past which the store's task checkpoints (SQLite's automatic threshold).
pub(crate) const SOFT: c_int = 1000;
/// Log pages past which the committing connection checkpoints itself.
pub(crate) const HARD: c_int = 8000;

/// What the hook of each connection shares with the checkpointing task.
#[derive(Debug, Default)]
pub(crate) struct Checkpoints {
    wake: Notify,
    closed: AtomicBool,
    /// Log pages after the latest commit of any connection.
    pages: AtomicI32,
}

/// What a commit that left `pages` in the log asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    /// The store's task checkpoints.
    Background,
    /// The committing connection checkpoints now.
    Inline,
}

/// The checkpoint a commit leaving `pages` log pages calls for.
pub(crate) fn due(pages: c_int) -> Due {
    if pages >= HARD {
        Due::Inline
    } else if pages >= SOFT {
        Due::Background
    } else {
        Due::Nothing
    }
}

unsafe extern "C" fn on_commit(
    data: *mut c_void,
    db: *mut libsqlite3_sys::sqlite3,
    name: *const c_char,
    pages: c_int,
) -> c_int {
    // SAFETY: `data` is the `Arc<Checkpoints>` reference `install` gave this connection,
    // never released while the connection lives.
    let cp = unsafe { &*(data as *const Checkpoints) };
    cp.pages.store(pages, Ordering::Relaxed);
    match due(pages) {
        Due::Nothing => {}
        Due::Background => cp.wake.notify_one(),
        Due::Inline => {
            // SAFETY: SQLite calls the hook with its live handle and the database's name, and
            // allows a checkpoint from inside it (that is how its automatic one runs).
            unsafe { libsqlite3_sys::sqlite3_wal_checkpoint(db, name) };
        }
    }
    libsqlite3_sys::SQLITE_OK
}

/// Installs the hook on a new connection (it replaces SQLite's automatic checkpoint). The
/// connection holds one reference to `cp` for good: a few bytes per connection opened.
pub(super) async fn install(
    conn: &mut SqliteConnection,
    cp: &Arc<Checkpoints>,
) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let data = Arc::into_raw(Arc::clone(cp)) as *mut c_void;
    // SAFETY: `db` is the live connection's handle, locked for us while `handle` lives; `data`
    // stays valid for the connection's life (its reference is never released).
    unsafe { libsqlite3_sys::sqlite3_wal_hook(db, Some(on_commit), data) };
    Ok(())
}

/// [`install`] on a connection opened outside sqlx (`direct`).
///
/// # Safety
/// `db` must be a live connection's handle that no other thread uses meanwhile.
pub(super) unsafe fn install_raw(db: *mut libsqlite3_sys::sqlite3, cp: &Arc<Checkpoints>) {
    let data = Arc::into_raw(Arc::clone(cp)) as *mut c_void;
    // SAFETY: as the caller promises; `data` stays valid for the connection's life.
    unsafe { libsqlite3_sys::sqlite3_wal_hook(db, Some(on_commit), data) };
}

/// Whether a log of `pages` pages is worth a checkpoint when the last one began at `last`
/// pages: it has grown by [`SOFT`] since, or it restarted.
pub(crate) fn worth(pages: c_int, last: c_int) -> bool {
    pages < last || pages - last >= SOFT
}

/// Checkpoints whenever a commit asks for it and the log has grown enough since the last
/// checkpoint ([`worth`]), until [`Guard`] is dropped.
pub(super) async fn run(pool: SqlitePool, cp: Arc<Checkpoints>) {
    let mut last = 0;
    loop {
        cp.wake.notified().await;
        if cp.closed.load(Ordering::Acquire) {
            return;
        }
        let pages = cp.pages.load(Ordering::Relaxed);
        if !worth(pages, last) {
            continue;
        }
        last = pages;
        let r = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await;
        if let Err(e) = r {
            tracing::debug!(error = %e, "a background WAL checkpoint failed");
        }
    }
}

/// Ends [`run`] when the last store handle is gone.
#[derive(Debug, Default)]
pub(crate) struct Guard(pub(crate) Arc<Checkpoints>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_logs_wait_big_ones_go_to_the_task_huge_ones_inline() {
        assert_eq!(due(0), Due::Nothing);
        assert_eq!(due(SOFT - 1), Due::Nothing);
        assert_eq!(due(SOFT), Due::Background);
        assert_eq!(due(HARD - 1), Due::Background);
        assert_eq!(due(HARD), Due::Inline);
    }

    #[test]
    fn again_after_soft_more_pages_or_a_restart() {
        assert!(worth(SOFT, 0));
        assert!(!worth(SOFT + 10, SOFT));
        assert!(worth(2 * SOFT, SOFT));
        assert!(worth(SOFT, 3 * SOFT), "the log restarted");
    }
}
