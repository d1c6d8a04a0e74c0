//! A direct change on its way to the group writer ([`Store::write_direct`]): the request the
//! writer's queue carries, answered once its transaction has committed.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::writer::{DirectChange, DirectItem};
use crate::store::group::Pending;
use crate::store::{Change, Store, StoreError};

/// A direct change: `Ok(None)` means it declined (what it wrote is undone, and the caller takes
/// its sqlx way).
struct DirectRequest<T, E, F> {
    now: DateTime<Utc>,
    change: Option<F>,
    result: Option<std::result::Result<Option<T>, E>>,
    reply: oneshot::Sender<std::result::Result<Option<T>, E>>,
}

impl<T, E, F> Pending for DirectRequest<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce(&mut DirectChange<'_>) -> std::result::Result<Option<T>, E> + Send + 'static,
{
    fn now(&self) -> DateTime<Utc> {
        self.now
    }

    fn direct(&self) -> bool {
        true
    }

    fn run<'c>(&'c mut self, _change: &'c mut Change) -> BoxFuture<'c, bool> {
        Box::pin(async { false })
    }

    fn run_direct(&mut self, change: &mut DirectChange<'_>) -> bool {
        let Some(f) = self.change.take() else {
            return false;
        };
        // A change that panics fails alone (its savepoint is rolled back), as a sqlx one does.
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(change))) {
            Ok(r) => r,
            Err(_) => {
                Err(StoreError::Invalid("the change failed on an internal error".into()).into())
            }
        };
        let ok = matches!(result, Ok(Some(_)));
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, failed: Option<&StoreError>) {
        let result = match (self.result, failed) {
            (Some(Err(e)), _) => Err(e),
            // Declined: nothing of it was meant to stand.
            (Some(Ok(None)), _) => Ok(None),
            (Some(Ok(v)), None) => Ok(v),
            (_, Some(e)) => Err(StoreError::NotCommitted(e.to_string()).into()),
            (None, None) => Err(StoreError::NotCommitted("the change did not run".into()).into()),
        };
        let _ = self.reply.send(result);
    }
}

/// A request run where it is made (`Writer::run_now`), or any other change waiting.
impl<P: Pending + 'static> DirectItem for P {
    fn now(&self) -> DateTime<Utc> {
        Pending::now(self)
    }

    fn run_direct(&mut self, change: &mut DirectChange<'_>) -> bool {
        Pending::run_direct(self, change)
    }
}

impl DirectItem for Box<dyn Pending> {
    fn now(&self) -> DateTime<Utc> {
        Pending::now(&**self)
    }

    fn run_direct(&mut self, change: &mut DirectChange<'_>) -> bool {
        Pending::run_direct(&mut **self, change)
    }
}

impl Store {
    /// Runs `change` on the writer's direct connection (see `direct`), sharing its transaction
    /// and commit like [`Store::write`]: `Ok(Some(_))` once committed; `Ok(None)` when the
    /// change declined (returned `Ok(None)`: what it wrote is undone) or the store has no direct
    /// path (PostgreSQL, an in-memory database). Either way the caller then takes its sqlx way.
    pub(crate) async fn write_direct<T, E, F>(
        &self,
        now: DateTime<Utc>,
        change: F,
    ) -> std::result::Result<Option<T>, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut DirectChange<'_>) -> std::result::Result<Option<T>, E> + Send + 'static,
    {
        if self.direct.is_none() {
            return Ok(None);
        }
        let (reply, answer) = oneshot::channel();
        let mut request = DirectRequest {
            now,
            change: Some(change),
            result: None,
            reply,
        };
        // Nothing queued before it, the connection idle and the write lock free: the change
        // runs here and now, alone, without the hand-off to the writer task and back (a lone
        // POSTed contact's way).
        let ran = self
            .direct_writer()
            .filter(|_| self.none_queued())
            .and_then(|w| w.run_now(std::slice::from_mut(&mut request)));
        let Some(done) = ran else {
            return self.ask(Box::new(request), answer).await;
        };
        match &done {
            Ok(true) => self.count_commit(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, changes = 1, "a direct write transaction failed"),
        }
        Box::new(request).answer(done.err().as_ref());
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::NotCommitted("the change was not answered".into()).into())
        })
    }

    /// `direct` through [`Store::write_direct`], and when it declined or the store has no
    /// direct path, `change` through [`Store::write`]: the result of whichever wrote.
    pub(crate) async fn write_either<T, E, D, F>(
        &self,
        now: DateTime<Utc>,
        direct: D,
        change: F,
    ) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        D: FnOnce(&mut DirectChange<'_>) -> std::result::Result<Option<T>, E> + Send + 'static,
        F: for<'c> FnOnce(&'c mut Change) -> BoxFuture<'c, std::result::Result<T, E>>
            + Send
            + 'static,
    {
        match self.write_direct(now, direct).await? {
            Some(done) => Ok(done),
            None => self.write(now, change).await,
        }
    }
}
