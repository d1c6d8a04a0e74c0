//! Campaign views shown lately (`GET /campaigns/{name}`), kept as the JSON bytes sent, so that
//! dashboards polling a campaign do not read the store (its head and a count of every contact
//! and attempt) for each request. An entry is served only while nothing was written since it
//! was filled, as far as this process can tell, and for at most [`VIEW_TTL`]:
//! - nothing written: the store's commit count (every commit on this process's SQLite
//!   connections: the engine's, the API's) and this API's count of changes (every request that
//!   is not GET, HEAD or OPTIONS, counted once answered) are both what they were before the
//!   entry's read. A change made through the API is therefore seen by the next GET.
//! - [`VIEW_TTL`] bounds what this process cannot see: another process writing the same SQLite
//!   file (the CLI), and on PostgreSQL every write not made through this API (the engine here,
//!   other nodes).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

use crate::store::Store;

/// The longest a view is served without reading the store again.
pub const VIEW_TTL: Duration = Duration::from_secs(1);

/// Most entries kept; past it, the expired ones go.
const MOST: usize = 10_000;

/// Where the data stood when a view was read: the store's commits and the API's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    commits: u64,
    changes: u64,
}

/// The views, by campaign name (see the module docs).
#[derive(Default)]
pub struct Views {
    changes: AtomicU64,
    seen: Mutex<HashMap<String, (Bytes, Mark, Instant)>>,
}

impl Views {
    /// Where the data stands now; take it before reading the store for [`Views::put`].
    pub fn mark(&self, store: &Store) -> Mark {
        Mark {
            commits: store.commits(),
            changes: self.changes.load(Ordering::Acquire),
        }
    }

    /// The view of `name` filled at `now`'s mark, if it is younger than [`VIEW_TTL`].
    pub fn get(&self, name: &str, now: Mark) -> Option<Bytes> {
        let seen = self.seen.lock().ok()?;
        let (body, mark, at) = seen.get(name)?;
        (*mark == now && at.elapsed() < VIEW_TTL).then(|| body.clone())
    }

    /// Keeps the view of `name` read after `mark` was taken.
    pub fn put(&self, name: &str, mark: Mark, body: Bytes) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= MOST {
                seen.retain(|_, (_, _, at)| at.elapsed() < VIEW_TTL);
            }
            if seen.len() < MOST {
                seen.insert(name.to_string(), (body, mark, Instant::now()));
            }
        }
    }

    /// A request that may have changed something was answered: no view filled before it
    /// is served again.
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(commits: u64, changes: u64) -> Mark {
        Mark { commits, changes }
    }

    #[test]
    fn a_view_is_served_only_at_its_own_mark() {
        let v = Views::default();
        v.put("debts", mark(3, 0), Bytes::from_static(b"{}"));
        assert_eq!(v.get("debts", mark(3, 0)).as_deref(), Some(&b"{}"[..]));
        assert!(
            v.get("debts", mark(4, 0)).is_none(),
            "the store committed since"
        );
        assert!(
            v.get("debts", mark(3, 1)).is_none(),
            "the API changed something since"
        );
        assert!(v.get("other", mark(3, 0)).is_none());
    }

    #[test]
    fn an_answered_change_moves_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("v.db").display());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = rt.block_on(Store::connect(&url)).unwrap();
        let v = Views::default();
        let before = v.mark(&store);
        assert_eq!(v.mark(&store), before);
        v.changed();
        assert_ne!(v.mark(&store), before);
    }

    #[test]
    fn a_full_cache_keeps_what_it_has_rather_than_growing() {
        let v = Views::default();
        for i in 0..MOST + 5 {
            v.put(&format!("c{i}"), mark(0, 0), Bytes::new());
        }
        assert_eq!(v.seen.lock().unwrap().len(), MOST);
    }
}
