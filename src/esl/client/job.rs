//! `bgapi` jobs: a [`Job`] accepted by FreeSWITCH whose BACKGROUND_JOB is still to come, its
//! [`JobResult`], and waiting on a reply that a disconnect may cut short.

use std::sync::Arc;

use tokio::sync::{oneshot, watch};

use super::error::{Disconnect, Error, Result};
use crate::esl::event::Event;

/// A `bgapi` accepted by FreeSWITCH, whose result is still to come.
#[derive(Debug)]
pub struct Job {
    /// The Job-UUID (ours if we chose it).
    pub job_uuid: String,
    pub(super) done: oneshot::Receiver<Result<Arc<Event>>>,
    pub(super) closed: watch::Receiver<Option<Arc<Disconnect>>>,
}

/// The BACKGROUND_JOB of a `bgapi`.
#[derive(Clone, Debug)]
pub struct JobResult {
    /// The command's output, e.g. `+OK <uuid>\n` or `-ERR USER_BUSY\n`.
    pub body: String,
    /// The whole BACKGROUND_JOB event.
    pub event: Arc<Event>,
}

impl JobResult {
    /// `Ok(rest)` for `+OK rest`, `Err(rest)` for `-ERR rest` or `-USAGE…`, trimmed.
    pub fn outcome(&self) -> std::result::Result<&str, &str> {
        let b = self.body.trim_end();
        if let Some(rest) = b.strip_prefix("+OK") {
            Ok(rest.trim_start())
        } else if let Some(rest) = b.strip_prefix("-ERR") {
            Err(rest.trim_start())
        } else if b.starts_with('-') {
            Err(b)
        } else {
            Ok(b)
        }
    }
}

impl Job {
    /// Waits for the BACKGROUND_JOB.
    pub async fn wait(self) -> Result<JobResult> {
        let ev = recv(self.done, &self.closed).await?;
        Ok(JobResult {
            body: ev.body_text().map(|b| b.into_owned()).unwrap_or_default(),
            event: ev,
        })
    }
}

pub(super) async fn recv<T>(
    rx: oneshot::Receiver<Result<T>>,
    closed: &watch::Receiver<Option<Arc<Disconnect>>>,
) -> Result<T> {
    match rx.await {
        Ok(r) => r,
        Err(_) => Err(gone(closed)),
    }
}

pub(super) fn gone(closed: &watch::Receiver<Option<Arc<Disconnect>>>) -> Error {
    let reason = closed.borrow().clone();
    Error::Disconnected(reason.unwrap_or_else(|| Arc::new(Disconnect::Dropped)))
}
