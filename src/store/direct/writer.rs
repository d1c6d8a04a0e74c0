//! The group writer's direct connection: a run of direct changes in one transaction, each under
//! its own savepoint (a change that fails or declines is undone alone), committed once. It runs
//! on the writer task's thread when the write lock is free, and on a blocking thread that waits
//! for it when another connection holds it (an import's batch, the CLI). A lone change may also
//! run on its requester's own thread ([`Writer::run_now`]) when the connection is idle and the
//! write lock free: no hand-off to the writer task and back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{is_busy, wait_when_busy, Direct};
use crate::store::access::{json_col, NewAudit, AUDIT_INSERT};
use crate::store::StoreError;

/// What a direct change works through: the writer's connection inside its transaction.
pub(crate) struct DirectChange<'c> {
    conn: &'c Connection,
    now: DateTime<Utc>,
}

impl DirectChange<'_> {
    /// The connection (inside the change's savepoint).
    pub(crate) fn conn(&self) -> &Connection {
        self.conn
    }

    /// When the change happens.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Records `entry` with the change (what [`crate::store::Change::audit`] does).
    pub(crate) fn audit(&self, entry: &NewAudit<'_>) -> Result<(), StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| sql(AUDIT_INSERT));
        self.conn.prepare_cached(&SQL)?.execute(rusqlite::params![
            self.now.timestamp_millis(),
            entry.actor,
            entry.role.as_str(),
            entry.action,
            entry.object,
            json_col(&entry.before),
            json_col(&entry.after),
        ])?;
        Ok(())
    }
}

/// A statement written for sqlx (`$N` parameters) as rusqlite binds it: `?N`, bound by number
/// (a `$N` is a name to SQLite, numbered by its first appearance). Every `$` is replaced: not for
/// statements with one in a literal (a JSON path).
pub(crate) fn sql(text: &str) -> String {
    text.replace('$', "?")
}

/// One direct change waiting for the writer.
pub(crate) trait DirectItem: Send + 'static {
    /// When the change happens.
    fn now(&self) -> DateTime<Utc>;
    /// Runs the change (once); whether what it wrote is to stand. A change that panics must
    /// catch it and fail (as `DirectRequest` does): the writer runs it on its own task.
    fn run_direct(&mut self, change: &mut DirectChange<'_>) -> bool;
}

/// The group writer's direct connection (opened on first use), shared by the writer task and
/// the requesters that find it idle ([`Writer::run_now`]).
pub(crate) struct Writer {
    direct: Arc<Direct>,
    /// The connection while nobody runs on it; `None` before its first use and while the
    /// writer task has it out. A requester running on it holds the lock meanwhile (an async
    /// lock: the writer task waiting for it leaves its thread to the other tasks).
    parked: tokio::sync::Mutex<Option<Connection>>,
    /// Whether the writer task's last transaction took more than one change: changes are
    /// arriving faster than one commit each, and they are grouped (see [`Writer::run_now`]).
    busy: AtomicBool,
}

impl Writer {
    pub(crate) fn new(direct: Arc<Direct>) -> Writer {
        Writer {
            direct,
            parked: tokio::sync::Mutex::new(None),
            busy: AtomicBool::new(false),
        }
    }

    /// Whether the writer task's last transaction took more than one change.
    pub(crate) fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// Runs `items` now, on this thread, when the writer is not busy, the connection parked and
    /// the write lock free: `Some` with the outcome as [`Writer::run`] gives it; `None` when
    /// nothing ran (the writer task runs them instead, waiting for what it must). While changes
    /// come faster than one commit each, they go to the writer task, which groups them: one
    /// commit each would take more of the 2 cores than the hand-off saves.
    pub(crate) fn run_now<I: DirectItem>(
        &self,
        items: &mut [I],
    ) -> Option<Result<bool, StoreError>> {
        if self.busy() {
            return None;
        }
        let parked = self.parked.try_lock().ok()?;
        let conn = parked.as_ref()?;
        let done = match begin(conn) {
            Ok(()) => run_all(conn, items),
            Err(e) if is_busy(&e) => return None,
            Err(e) => Err(e.into()),
        };
        end_any(conn);
        Some(done)
    }

    /// Runs `items` in one transaction and commits it; the items back, and whether it committed
    /// (a lone item that did not stand is rolled back instead) or the error when nothing of them
    /// was committed.
    pub(crate) async fn run<I: DirectItem>(
        &self,
        mut items: Vec<I>,
    ) -> (Vec<I>, Result<bool, StoreError>) {
        self.busy.store(items.len() > 1, Ordering::Relaxed);
        // Waits for a requester running a change on it now.
        let taken = self.parked.lock().await.take();
        let conn = match taken {
            Some(c) => c,
            None => match self.direct.connect() {
                Ok(c) => c,
                Err(e) => return (items, Err(e)),
            },
        };
        match begin(&conn) {
            Ok(()) => {
                let done = run_all(&conn, &mut items);
                self.keep(conn).await;
                (items, done)
            }
            Err(e) if is_busy(&e) => {
                // Another connection writes: wait for it off the runtime's threads.
                let waited = tokio::task::spawn_blocking(move || {
                    wait_when_busy(&conn, true);
                    let begun = conn.execute_batch("BEGIN IMMEDIATE");
                    wait_when_busy(&conn, false);
                    let done = match begun {
                        Ok(()) => run_all(&conn, &mut items),
                        Err(e) => Err(e.into()),
                    };
                    (conn, items, done)
                })
                .await;
                match waited {
                    Ok((conn, items, done)) => {
                        self.keep(conn).await;
                        (items, done)
                    }
                    // The blocking task panicked: the changes are gone, and their requesters
                    // hear that the writer stopped.
                    Err(e) => (Vec::new(), Err(StoreError::NotCommitted(e.to_string()))),
                }
            }
            Err(e) => {
                self.keep(conn).await;
                (items, Err(e.into()))
            }
        }
    }

    /// Parks `conn` for the next run, out of any transaction.
    async fn keep(&self, conn: Connection) {
        end_any(&conn);
        *self.parked.lock().await = Some(conn);
    }
}

/// Opens the write transaction on `conn` without waiting for the lock (busy when it is taken).
fn begin(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    Ok(())
}

/// Rolls back a transaction left open on `conn` (one that failed before its end).
fn end_any(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Runs each item under its own savepoint in the open transaction, then commits; whether it
/// committed. A lone item needs no savepoint: the transaction is its own, committed when the
/// item stands and rolled back when not (a savepoint copies each page the item changes before
/// changing it).
fn run_all<I: DirectItem>(conn: &Connection, items: &mut [I]) -> Result<bool, StoreError> {
    let step = |sql: &str| -> Result<(), StoreError> {
        conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    };
    let alone = items.len() == 1;
    for item in items.iter_mut() {
        if !alone {
            step("SAVEPOINT outcall_item")?;
        }
        let mut change = DirectChange {
            conn,
            now: item.now(),
        };
        let ok = item.run_direct(&mut change);
        if conn.is_autocommit() {
            // SQLite ended the transaction itself (an I/O error, a full disk): nothing stands.
            return Err(StoreError::NotCommitted(
                "the database ended the transaction".into(),
            ));
        }
        if alone {
            return step(if ok { "COMMIT" } else { "ROLLBACK" }).map(|()| ok);
        }
        if !ok {
            step("ROLLBACK TO outcall_item")?;
        }
        step("RELEASE outcall_item")?;
    }
    step("COMMIT").map(|()| true)
}
