//! Group commit: on SQLite, one writer task per store runs the changes that requests send it
//! ([`Store::write`]). It takes every change waiting, runs them one after another inside ONE
//! write transaction (each under its own savepoint, so a change that fails is rolled back alone
//! and the others stand), commits once, then answers each requester. Concurrent requests thus
//! share one lock acquisition and one commit instead of queueing on SQLite's single write lock
//! one transaction each. PostgreSQL, which has row locks and many writers, runs each change in
//! its own transaction on the calling task. A direct change that finds nothing queued, the
//! writer not busy, its connection idle and the write lock free runs at once on its requester's
//! thread instead (`direct::Writer::run_now`): a lone request's way, without two hand-offs.
//!
//! Rules for a change: it works only through the [`Change`] it is given (a read or write through
//! the [`Store`] from inside it would wait for the very lock the writer holds), and it must not
//! call [`Store::write`] itself.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::sync::{mpsc, oneshot};

use super::direct::{DirectChange, Writer};
use super::txn::{with_txn, Txn};
use super::{Change, Pool, Result, Store, StoreError};

/// The most changes one transaction takes (the lock is held while they run).
pub const MAX_BATCH: usize = 256;

/// Opens the writer's transaction and the first change's savepoint (one round trip).
const BEGIN: &str = "BEGIN IMMEDIATE; SAVEPOINT outcall_item";
const ROLLBACK: &str = "ROLLBACK TO outcall_item";
/// Releases the last change's savepoint and opens the next one's: the *lead* of a later change's
/// first statement (see `txn.rs`), so it costs no round trip of its own when that statement
/// takes it. The last change's savepoint is never released alone: COMMIT ends it with the
/// transaction.
const NEXT: &str = "RELEASE outcall_item; SAVEPOINT outcall_item";

/// One change waiting for the writer, its result kept until the commit: a sqlx change, or a
/// direct one ([`Pending::direct`], run by [`Pending::run_direct`] instead of `run`).
pub(super) trait Pending: Send {
    /// When the change happens (the [`Change`]'s `now`).
    fn now(&self) -> DateTime<Utc>;
    /// Whether the change runs on the direct connection.
    fn direct(&self) -> bool {
        false
    }
    /// Runs the change (once); whether it succeeded.
    fn run<'c>(&'c mut self, change: &'c mut Change) -> BoxFuture<'c, bool>;
    /// Runs a direct change (once); whether what it wrote is to stand.
    fn run_direct(&mut self, _change: &mut DirectChange<'_>) -> bool {
        false
    }
    /// Answers the requester: the change's own result, or `failed` when its transaction did not
    /// commit (a change that never ran gets `failed` too).
    fn answer(self: Box<Self>, failed: Option<&StoreError>);
}

struct Request<T, E, F> {
    now: DateTime<Utc>,
    change: Option<F>,
    result: Option<std::result::Result<T, E>>,
    reply: oneshot::Sender<std::result::Result<T, E>>,
}

impl<T, E, F> Pending for Request<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'c> FnOnce(&'c mut Change) -> BoxFuture<'c, std::result::Result<T, E>> + Send + 'static,
{
    fn now(&self) -> DateTime<Utc> {
        self.now
    }

    fn run<'c>(&'c mut self, change: &'c mut Change) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let Some(f) = self.change.take() else {
                return false;
            };
            // A change that panics fails alone (its savepoint is rolled back).
            let result = match AssertUnwindSafe(f(change)).catch_unwind().await {
                Ok(r) => r,
                Err(_) => {
                    Err(StoreError::Invalid("the change failed on an internal error".into()).into())
                }
            };
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }

    fn answer(self: Box<Self>, failed: Option<&StoreError>) {
        let result = match (self.result, failed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), None) => Ok(v),
            (_, Some(e)) => Err(StoreError::NotCommitted(e.to_string()).into()),
            (None, None) => Err(StoreError::NotCommitted("the change did not run".into()).into()),
        };
        let _ = self.reply.send(result);
    }
}

type Queue = mpsc::UnboundedSender<Box<dyn Pending>>;

/// The store's way to its writer task (started on first use in the calling runtime, and again
/// if that runtime has gone).
#[derive(Default)]
pub(crate) struct Group {
    sender: Mutex<Option<Queue>>,
    /// The direct connection's writer, shared by the writer task and idle-time requesters.
    direct: OnceLock<Arc<Writer>>,
    /// Changes sent to the writer and not yet answered to their requesters: while there are
    /// any, a direct change goes after them (no change runs ahead of one sent before it).
    queued: AtomicUsize,
    /// Transactions the writer has committed (for tests: changes share them).
    commits: Arc<AtomicU64>,
}

impl Group {
    /// Transactions committed by the writer so far.
    #[cfg(test)]
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Group")
    }
}

impl Store {
    /// Runs `change` in a write transaction stamped `now` and commits it; its result. On SQLite
    /// the change shares its transaction and commit with the other changes waiting at the time
    /// (see the module docs); its own failure (an `Err`) rolls back only what it wrote. Whatever
    /// it writes (its audit entry too) stands or falls as one.
    pub async fn write<T, E, F>(&self, now: DateTime<Utc>, change: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'c> FnOnce(&'c mut Change) -> BoxFuture<'c, std::result::Result<T, E>>
            + Send
            + 'static,
    {
        let Pool::Sqlite(_) = &self.pool else {
            let mut c = self.change(now).await?;
            let value = change(&mut c).await?;
            c.commit().await?;
            return Ok(value);
        };
        let (reply, answer) = oneshot::channel();
        let request = Request {
            now,
            change: Some(change),
            result: None,
            reply,
        };
        self.ask(Box::new(request), answer).await
    }

    /// Sends `request` to the writer and waits for its `answer`.
    pub(super) async fn ask<T, E: From<StoreError>>(
        &self,
        request: Box<dyn Pending>,
        answer: oneshot::Receiver<std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        let stopped = || StoreError::NotCommitted("the store's writer has stopped".into());
        let _queued = Queued::count(&self.group.queued);
        self.queue().send(request).map_err(|_| E::from(stopped()))?;
        answer.await.unwrap_or_else(|_| Err(stopped().into()))
    }

    /// Whether no change sent to the writer waits for its answer.
    pub(super) fn none_queued(&self) -> bool {
        self.group.queued.load(Ordering::SeqCst) == 0
    }

    /// The direct connection's writer (`None` without a direct path).
    pub(super) fn direct_writer(&self) -> Option<Arc<Writer>> {
        let direct = self.direct.as_ref()?;
        let w = self
            .group
            .direct
            .get_or_init(|| Arc::new(Writer::new(direct.clone())));
        Some(w.clone())
    }

    /// Counts a commit of the writer's (for tests).
    pub(super) fn count_commit(&self) {
        self.group.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// The writer's queue, starting the writer when there is none (or it has gone).
    fn queue(&self) -> Queue {
        let mut sender = self.group.sender.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = sender.as_ref().filter(|s| !s.is_closed()) {
            return s.clone();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        // The task holds the pool, not the store: it ends when every store handle is gone.
        let direct = self.direct_writer();
        tokio::spawn(writer(
            self.pool.clone(),
            direct,
            rx,
            self.group.commits.clone(),
        ));
        *sender = Some(tx.clone());
        tx
    }
}

/// One change counted in [`Group::queued`] until its requester has its answer (or gave up).
struct Queued<'a>(&'a AtomicUsize);

impl Queued<'_> {
    fn count(n: &AtomicUsize) -> Queued<'_> {
        n.fetch_add(1, Ordering::SeqCst);
        Queued(n)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The writer task: transaction after transaction until every sender is gone. Each
/// transaction takes a run of changes of one kind (sqlx or direct) in their order of arrival.
async fn writer(
    pool: Pool,
    direct: Option<Arc<Writer>>,
    mut rx: mpsc::UnboundedReceiver<Box<dyn Pending>>,
    commits: Arc<AtomicU64>,
) {
    let mut batch: VecDeque<Box<dyn Pending>> = VecDeque::new();
    loop {
        if batch.is_empty() {
            match rx.recv().await {
                Some(first) => batch.push_back(first),
                None => return,
            }
        }
        let failed = if batch.front().is_some_and(|p| p.direct()) {
            run_direct(direct.as_deref(), &mut batch, &mut rx, &commits).await
        } else {
            run_batch(&pool, &mut batch, &mut rx, &commits).await
        };
        if let Some((e, n)) = failed {
            tracing::warn!(error = %e, changes = n, "a grouped write transaction failed");
        }
    }
}

/// The next change waiting (in `batch`, then on `rx`) if it is of the kind `direct`.
fn next_of_kind(
    direct: bool,
    batch: &mut VecDeque<Box<dyn Pending>>,
    rx: &mut mpsc::UnboundedReceiver<Box<dyn Pending>>,
) -> Option<Box<dyn Pending>> {
    let p = batch.pop_front().or_else(|| rx.try_recv().ok())?;
    if p.direct() == direct {
        return Some(p);
    }
    batch.push_front(p);
    None
}

/// Runs the direct changes at the front of `batch`, and those arriving meanwhile, in one
/// transaction on the direct connection (at most [`MAX_BATCH`]) and answers each; the error
/// and the number of changes it failed, if the transaction did not commit.
async fn run_direct(
    writer: Option<&Writer>,
    batch: &mut VecDeque<Box<dyn Pending>>,
    rx: &mut mpsc::UnboundedReceiver<Box<dyn Pending>>,
    commits: &AtomicU64,
) -> Option<(StoreError, usize)> {
    // When busy (the last transaction took more than one change), requests already running on
    // this runtime reach the queue first and join this transaction instead of waiting for its
    // commit: fewer, bigger commits (POST one contact, 16 connections back to back: about
    // 7,000 -> 10,000 a second in `make bench`). When the last transaction had one change, the
    // writer is not busy: no turn of the runtime's queue (about 20 µs of a lone POST's latency).
    if writer.is_some_and(Writer::busy) || batch.len() > 1 {
        tokio::task::yield_now().await;
    }
    let mut items: Vec<Box<dyn Pending>> = Vec::new();
    while items.len() < MAX_BATCH {
        match next_of_kind(true, batch, rx) {
            Some(p) => items.push(p),
            None => break,
        }
    }
    let Some(writer) = writer else {
        // Not sent without a direct side (`write_direct` checks), but answered all the same.
        let e = StoreError::NotCommitted("this store has no direct writer".into());
        items.into_iter().for_each(|p| p.answer(Some(&e)));
        return None;
    };
    let (ran, done) = writer.run(items).await;
    commits.fetch_add(u64::from(matches!(done, Ok(true))), Ordering::Relaxed);
    let failed = done.err();
    let n = ran.len();
    ran.into_iter().for_each(|p| p.answer(failed.as_ref()));
    failed.map(|e| (e, n))
}

/// Runs the sqlx changes at the front of `batch`, and those arriving while they run, in one
/// transaction, and answers each once it has committed (or failed); the error and the number
/// of changes it failed, if the transaction did not commit. (Changes not run, after a
/// broken transaction or [`MAX_BATCH`], stay in `batch` or on `rx` for the next.)
async fn run_batch(
    pool: &Pool,
    batch: &mut VecDeque<Box<dyn Pending>>,
    rx: &mut mpsc::UnboundedReceiver<Box<dyn Pending>>,
    commits: &AtomicU64,
) -> Option<(StoreError, usize)> {
    let now = batch.front().map(|p| p.now())?;
    let mut change = match open(pool, now).await {
        Ok(c) => c,
        Err(e) => {
            // Only the sqlx changes waiting now fail; the next ones get a new try.
            let mut n = 0;
            while let Some(p) = next_of_kind(false, batch, rx) {
                p.answer(Some(&e));
                n += 1;
            }
            return Some((e, n));
        }
    };
    let (ran, broken) = run_until_broken(&mut change, batch, rx).await;
    let failed = match broken {
        None => {
            let done = change.commit().await;
            commits.fetch_add(u64::from(done.is_ok()), Ordering::Relaxed);
            done.err()
        }
        // The transaction is unusable: what ran in it is lost (dropping rolls it back);
        // the changes not yet run go on in a new one.
        Some(e) => Some(e),
    };
    let n = ran.len();
    ran.into_iter().for_each(|p| p.answer(failed.as_ref()));
    failed.map(|e| (e, n))
}

/// Opens the writer's transaction with the first change's savepoint.
async fn open(pool: &Pool, now: DateTime<Utc>) -> Result<Change> {
    let Pool::Sqlite(p) = pool else {
        // Not used (PostgreSQL writes on the calling task), but kept whole.
        let mut change = Change::begin(pool, now).await?;
        exec(&mut change.txn, "SAVEPOINT outcall_item").await?;
        return Ok(change);
    };
    Ok(Change {
        txn: Txn::sqlite(p.begin_with(BEGIN).await?),
        postgres: false,
        now,
    })
}

/// Runs changes from the front of `batch`, then those arriving on `rx` meanwhile (a change
/// that comes while others run joins their transaction instead of waiting for its commit),
/// each under a savepoint, until none is waiting, [`MAX_BATCH`] have run or the transaction
/// breaks (the error); the changes that ran.
async fn run_until_broken(
    change: &mut Change,
    batch: &mut VecDeque<Box<dyn Pending>>,
    rx: &mut mpsc::UnboundedReceiver<Box<dyn Pending>>,
) -> (Vec<Box<dyn Pending>>, Option<StoreError>) {
    let mut ran: Vec<Box<dyn Pending>> = Vec::with_capacity(batch.len());
    while ran.len() < MAX_BATCH {
        let Some(mut p) = next_of_kind(false, batch, rx) else {
            break;
        };
        change.now = p.now();
        // The first change's savepoint was opened with the transaction ([`BEGIN`]); a later
        // one's opens with the change's first statement.
        let first = ran.is_empty();
        if !first {
            change.txn.set_lead(NEXT);
        }
        let ok = p.run(change).await;
        // A lead still waiting: the change ran no statement, and the savepoint open is the
        // last change's (the next change's lead releases it).
        let own = first || !change.txn.lead_waiting();
        ran.push(p);
        if !ok && own {
            // Undone alone; the savepoint stays open (released with the next opening).
            if let Err(e) = exec(&mut change.txn, ROLLBACK).await {
                return (ran, Some(e));
            }
        }
    }
    (ran, None)
}

/// Runs `sql` (on SQLite, one or more statements) in the writer's transaction.
async fn exec(txn: &mut Txn, sql: &str) -> Result<()> {
    with_txn!(txn, c => {
        sqlx::query(sql).execute(c).await?;
    });
    Ok(())
}

#[cfg(test)]
#[path = "group_tests.rs"]
pub(super) mod tests;
