//! A count of the commits made on this store's SQLite connections (a commit hook on each), so
//! that a cache of what the store said can tell nothing was written since it was filled.
//! PostgreSQL has no such hook: its count stays put, and such caches lean on their time limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::sqlite::SqliteConnection;

/// Commits seen so far (a number that only grows).
#[derive(Debug, Default)]
pub(crate) struct Commits(AtomicU64);

impl Commits {
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

impl super::Store {
    /// Commits made so far on this store's SQLite connections: a number that moves whenever
    /// this process may have changed the data (it stays put on PostgreSQL, and writes by other
    /// processes are never seen).
    pub fn commits(&self) -> u64 {
        self.commits.get()
    }
}

/// Counts every write transaction this connection commits into `commits`. (SQLite calls the
/// hook for write transactions only, just before the commit takes effect: for that instant a
/// reader may see the new count with the old data, and a cache filled then stays stale until
/// the next commit or its time limit; `http::views` counts the API's own changes again once
/// they are answered, which closes that gap for them.)
pub(super) async fn install(
    conn: &mut SqliteConnection,
    commits: Arc<Commits>,
) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    handle.set_commit_hook(move || {
        commits.bump();
        true
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[tokio::test]
    async fn a_write_moves_the_count_and_a_read_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let store = Store::connect(&url).await.unwrap();
        let before = store.commits();
        store.campaign_heads().await.unwrap();
        store.dnc_contains("+74950000001").await.unwrap();
        assert_eq!(store.commits(), before, "a read is no commit");
        let now = chrono::Utc::now();
        store.dnc_add("+74950000001", "asked", now).await.unwrap();
        assert!(store.commits() > before, "a write is counted");
    }
}
