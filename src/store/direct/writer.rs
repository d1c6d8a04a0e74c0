//! The group writer's direct connection: a run of direct changes in one transaction, each under
//! its own savepoint (a change that fails or declines is undone alone), committed once. It runs
//! on the writer task's thread when the write lock is free, and on a blocking thread that waits
//! for it when another connection holds it (an import's batch, the CLI).

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

/// The group writer's direct connection (opened on first use, kept while it works).
pub(crate) struct Writer {
    direct: Arc<Direct>,
    conn: Option<Connection>,
}

impl Writer {
    pub(crate) fn new(direct: Arc<Direct>) -> Writer {
        Writer { direct, conn: None }
    }

    /// Runs `items` in one transaction and commits it; the items back, and the error when
    /// nothing of them was committed.
    pub(crate) async fn run<I: DirectItem>(
        &mut self,
        mut items: Vec<I>,
    ) -> (Vec<I>, Result<(), StoreError>) {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => match self.direct.connect() {
                Ok(c) => c,
                Err(e) => return (items, Err(e)),
            },
        };
        match conn
            .prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut s| s.execute([]))
        {
            Ok(_) => {
                let done = run_all(&conn, &mut items);
                self.keep(conn);
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
                        self.keep(conn);
                        (items, done)
                    }
                    // The blocking task panicked: the changes are gone, and their requesters
                    // hear that the writer stopped.
                    Err(e) => (Vec::new(), Err(StoreError::NotCommitted(e.to_string()))),
                }
            }
            Err(e) => {
                self.keep(conn);
                (items, Err(e.into()))
            }
        }
    }

    /// Keeps `conn` for the next run, out of any transaction.
    fn keep(&mut self, conn: Connection) {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        self.conn = Some(conn);
    }
}

/// Runs each item under its own savepoint in the open transaction, then commits.
fn run_all<I: DirectItem>(conn: &Connection, items: &mut [I]) -> Result<(), StoreError> {
    let step = |sql: &str| -> Result<(), StoreError> {
        conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    };
    for item in items.iter_mut() {
        step("SAVEPOINT outcall_item")?;
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
        if !ok {
            step("ROLLBACK TO outcall_item")?;
        }
        step("RELEASE outcall_item")?;
    }
    step("COMMIT")
}
