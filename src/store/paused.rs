//! Running the store under tokio's paused clock (engine tests): a paused runtime advances time
//! whenever it has nothing to run, but it cannot see work done outside it (sqlx's SQLite worker
//! thread, a PostgreSQL server), so it would jump timers forward while a query is in flight. A
//! [`TimeHold`] keeps one blocking task alive for each checked-out connection; tokio does not
//! auto-advance a paused clock while a blocking task runs, so simulated time stands still
//! exactly while the database works.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::pool::PoolOptions;

/// A query that takes longer than this (real time) lets time run again, so a connection that
/// was never handed back cannot freeze a test forever.
const HOLD_AT_MOST: Duration = Duration::from_secs(5);

/// Keeps a paused clock from moving while it lives (a blocking task that ends on drop, or
/// after [`HOLD_AT_MOST`] of real time). For work a paused runtime cannot see: opening a
/// database, a query outside a [`crate::store::Store`].
#[derive(Debug)]
pub struct TimeGuard {
    _end: mpsc::Sender<()>,
}

/// Holds a paused clock until the guard is dropped (no effect on a clock that is not paused).
/// Must be called inside a tokio runtime.
pub fn hold_time() -> TimeGuard {
    let (tx, rx) = mpsc::channel::<()>();
    tokio::task::spawn_blocking(move || {
        let _ = rx.recv_timeout(HOLD_AT_MOST);
    });
    TimeGuard { _end: tx }
}

/// Holds a paused clock while connections are checked out.
#[derive(Debug, Default)]
pub(crate) struct TimeHold {
    holders: Mutex<Vec<TimeGuard>>,
    /// Holds taken when a checkout discarded a connection (see `health::discard_stuck`): the
    /// pool goes on to another idle connection or opens a fresh one, and whichever it hands
    /// out takes this hold over as its checkout's.
    replacing: Mutex<Vec<TimeGuard>>,
}

impl TimeHold {
    /// A connection was checked out: start a blocking task that lasts until [`TimeHold::leave`].
    fn enter(&self) {
        let guard = hold_time();
        if let Ok(mut h) = self.holders.lock() {
            h.push(guard);
        }
    }

    /// A checkout discarded a connection: hold the clock until its replacement is handed out.
    fn replace(&self) {
        let guard = hold_time();
        if let Ok(mut r) = self.replacing.lock() {
            r.push(guard);
        }
    }

    /// A replacement (idle or fresh) is handed out: it takes over a replacing hold; true when
    /// there was one.
    fn replaced(&self) -> bool {
        let guard = self.replacing.lock().ok().and_then(|mut r| r.pop());
        match guard {
            Some(g) => {
                if let Ok(mut h) = self.holders.lock() {
                    h.push(g);
                }
                true
            }
            None => false,
        }
    }

    /// A connection came back: end one holder (they are interchangeable).
    fn leave(&self) {
        if let Ok(mut h) = self.holders.lock() {
            h.pop();
        }
    }

    /// A connection was opened (its pool's `after_connect` must call this: [`TimeHold::hook`]
    /// leaves that hook to the backend's own setup). Only a replacement is opened after
    /// [`warm`]; outside one this does nothing.
    pub(crate) fn connected(&self) {
        self.replaced();
    }

    /// `opts` with hooks that hold time from a connection's checkout to its return. The idle
    /// ping before a checkout is turned off (it would run unheld), and connections stay open
    /// for the pool's life once [`warm`] has opened them all (under the caller's own
    /// [`hold_time`]): a checkout never opens one. (A fresh connection's first return ends no
    /// hold of its own; when nothing is held that does nothing.)
    pub(crate) fn hook<DB: sqlx::Database>(
        self: &Arc<Self>,
        opts: PoolOptions<DB>,
    ) -> PoolOptions<DB> {
        let on_out = self.clone();
        let on_back = self.clone();
        opts.test_before_acquire(false)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .before_acquire(move |conn, _| {
                // Same rule as `health::discard_stuck`, which this hook replaces.
                if super::health::stuck_in_transaction(conn) {
                    on_out.replace();
                    return Box::pin(async { Ok(false) });
                }
                if !on_out.replaced() {
                    on_out.enter();
                }
                Box::pin(async { Ok(true) })
            })
            .after_release(move |_, _| {
                on_back.leave();
                Box::pin(async { Ok(true) })
            })
    }
}

/// Opens `n` connections at once and returns them to the pool, so later checkouts reuse them.
pub(crate) async fn warm<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, n: u32) {
    let mut held = Vec::new();
    for _ in 0..n {
        match pool.acquire().await {
            Ok(c) => held.push(c),
            Err(_) => break,
        }
    }
}
