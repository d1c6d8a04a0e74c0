//! Direct SQLite: the hot statements of a SQLite file store run on the calling thread through
//! rusqlite, where sqlx hands every statement to its connection's own thread and back (two thread
//! wake-ups; on a busy 2-core machine each may wait for a time slice: most of a callback job's
//! POST and originate latency in `make bench`, and half of a POSTed contact's p99). Used for:
//! - short reads on the API's request path ([`Direct::read`]: a pool of reader connections, one
//!   per thread using it at a time);
//! - the group writer's direct changes ([`crate::store::Store::write_direct`]): the writer task
//!   runs them on a connection of its own ([`Writer`]), one transaction per run of them; a
//!   lone change, when that connection is idle, runs on its requester's thread.
//!
//! Nothing here waits for a lock on a runtime thread: the connections have no busy handler, so a
//! read that finds the database busy says so at once ([`DirectError::Busy`], the caller takes the
//! sqlx path), and a writer that finds the write lock taken runs its transaction on a blocking
//! thread with the store's busy handler (`busy.rs`). Every connection has the pool's pragmas and
//! hooks (commit count, WAL checkpoints), so the rest of the store cannot tell the difference.
//! In-memory databases (one per connection) and PostgreSQL have no direct path.

mod callbacks;
mod contacts;
mod request;
mod writer;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::{busy, checkpoint, commits, StoreError, CACHE_KIB};

pub(crate) use writer::{sql, DirectChange, Writer};

/// Reader connections kept between reads (more are opened while more threads read at once).
const KEEP_READERS: usize = 4;
/// Prepared statements each connection keeps.
const STATEMENTS: usize = 64;

/// The direct connections of one SQLite file store.
pub(crate) struct Direct {
    path: PathBuf,
    commits: Arc<commits::Commits>,
    checkpoints: Option<Arc<checkpoint::Checkpoints>>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Direct")
    }
}

/// Why a direct statement did not give its answer.
#[derive(Debug)]
pub(crate) enum DirectError {
    /// The database was locked (or being recovered): take the sqlx path, which waits.
    Busy,
    /// Any other failure, as the store says it.
    Store(StoreError),
}

impl From<rusqlite::Error> for DirectError {
    fn from(e: rusqlite::Error) -> DirectError {
        if is_busy(&e) {
            DirectError::Busy
        } else {
            DirectError::Store(e.into())
        }
    }
}

impl From<StoreError> for DirectError {
    fn from(e: StoreError) -> DirectError {
        DirectError::Store(e)
    }
}

/// Whether `e` is SQLite's "busy" or "locked".
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl Direct {
    /// The direct side of the store on the SQLite file at `path`, sharing the pool's commit count
    /// and (for a store that checkpoints itself) its checkpoint state.
    pub(crate) fn new(
        path: PathBuf,
        commits: Arc<commits::Commits>,
        checkpoints: Option<Arc<checkpoint::Checkpoints>>,
    ) -> Direct {
        Direct {
            path,
            commits,
            checkpoints,
            readers: Mutex::new(Vec::new()),
        }
    }

    /// A new connection with the pool's pragmas and hooks, and no busy handler.
    pub(crate) fn connect(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        // rusqlite sets a 5 s busy timeout on open: none here (see the module docs).
        wait_when_busy(&conn, false);
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -{CACHE_KIB};"
        ))?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        let counted = self.commits.clone();
        conn.commit_hook(Some(move || {
            counted.bump();
            false
        }));
        if let Some(cp) = &self.checkpoints {
            // SAFETY: the handle is this live connection's; the hook lives as long as it does.
            unsafe { checkpoint::install_raw(conn.handle(), cp) };
        }
        Ok(conn)
    }

    /// Runs `f` on a reader connection, here and now; [`DirectError::Busy`] when the database
    /// could not be read without waiting.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, DirectError>,
    ) -> Result<T, DirectError> {
        let taken = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match taken {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = f(&conn);
        // A connection left inside a transaction (a statement still stepping) is not kept.
        if conn.is_autocommit() {
            let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if readers.len() < KEEP_READERS {
                readers.push(conn);
            }
        }
        out
    }
}

/// Sets (`on`) or clears the store's busy handler on `conn`.
pub(crate) fn wait_when_busy(conn: &Connection, on: bool) {
    // SAFETY: the handle is this live connection's, used by this thread only.
    unsafe { busy::set_raw(conn.handle(), on) };
}

impl super::Store {
    /// Runs `f` on a direct reader connection, here and now: `Some(answer)`, or `None` when the
    /// store has no direct path or the database could not be read without waiting (then the
    /// caller takes its sqlx way). For short reads on a request's path only.
    pub(crate) fn read_direct<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<Result<T, StoreError>> {
        let direct = self.direct.as_ref()?;
        match direct.read(|c| f(c).map_err(DirectError::from)) {
            Ok(v) => Some(Ok(v)),
            Err(DirectError::Busy) => None,
            Err(DirectError::Store(e)) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests;
