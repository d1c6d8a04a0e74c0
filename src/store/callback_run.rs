//! Callback jobs on the engine's side: when pending jobs are due (one read per pass), lease the
//! due ones, keep their leases, give one back, show a running job's live status, record a call's
//! result with its webhooks (one statement fenced on the lease owner, in the store's group
//! commit), and find and adopt running jobs after a restart. The legs are
//! `store::callback_legs`.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::callbacks::{records, Row, COLUMNS};
use super::outbox::enqueue_in;
use super::txn::{with_txn, with_txn_led};
use super::{from_ms, ms, with_pool, Result, Store, StoreError};
use super::{Change, Txn};
use crate::callback::record::{CallResult, CallbackRecord, LegRecord};
use crate::callback::{CallbackStatus, JobState};
use crate::model::NewDelivery;

/// Builds a finished call's webhooks from the job as recorded and its next due time.
pub type HooksFn = dyn Fn(&CallbackRecord, Option<DateTime<Utc>>) -> Vec<NewDelivery> + Send + Sync;

/// When a job whose call just ended is due again (`None`: it is done), by whether its later
/// recalls are cancelled (by the manager's key in this call, or by a cancel meanwhile: only the
/// store knows the latter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recall {
    pub if_cancelled: Option<DateTime<Utc>>,
    pub otherwise: Option<DateTime<Utc>>,
}

/// When pending jobs are due, as one read tells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallbacksDue {
    /// The earliest due time of a pending job.
    pub earliest: Option<DateTime<Utc>>,
    /// The earliest due time after the time asked about.
    pub later: Option<DateTime<Utc>>,
}

/// A job that was running when its dialer stopped, with its legs still open.
#[derive(Debug, Clone)]
pub struct RunningCallback {
    pub record: CallbackRecord,
    pub open_legs: Vec<LegRecord>,
}

/// A running job's live status, fenced on its lease owner.
pub(super) const PROGRESS: &str = "UPDATE callbacks SET status = $1, status_code = $2, \
     updated_at = $3 WHERE id = $4 AND lease_owner = $5 AND state = 'running'";
/// The due pending jobs a claim takes (`$1` now, `$2` how many).
const CLAIM_PICK: &str = "SELECT id FROM callbacks WHERE state = 'pending' \
     AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2";
const CLAIM_SET: &str = "SET state = 'running', status = $3, status_code = $4, \
     calls = calls + 1, lease_owner = $5, lease_until = $6, updated_at = $1";
/// A claim on SQLite (the write lock keeps two claims apart).
pub(super) static SQLITE_CLAIM: LazyLock<String> = LazyLock::new(|| {
    format!("UPDATE callbacks {CLAIM_SET} WHERE id IN ({CLAIM_PICK}) RETURNING {COLUMNS}")
});
/// A call's result, fenced on the lease owner. Every SET expression reads the row as it was
/// before the update.
pub(super) static FINISH: LazyLock<String> = LazyLock::new(|| {
    let cancelled = "recalls_cancelled <> 0 OR $4 <> 0";
    format!(
        "UPDATE callbacks SET state = CASE WHEN {cancelled} THEN $13 ELSE $1 END, \
         status = $2, status_code = $3, \
         recalls_cancelled = CASE WHEN {cancelled} THEN 1 ELSE 0 END, \
         next_attempt_at = CASE WHEN {cancelled} THEN $14 ELSE $5 END, \
         lease_owner = NULL, lease_until = NULL, updated_at = $6, duration_ms = $7, \
         talk_ms = $8, recording = $9, manager = $10, digits = $11 \
         WHERE id = $12 AND lease_owner = $15 AND state = 'running' RETURNING {COLUMNS}"
    )
});

/// The job's state and due time (ms) after a call ([`FINISH`]'s `$1` and `$5`), then the same
/// if its recalls turn out cancelled (`$13` and `$14`).
pub(super) fn after_call(
    result: &CallResult,
    recall: Recall,
) -> ((&'static str, i64), (&'static str, i64)) {
    let at = |next: Option<DateTime<Utc>>| match next {
        Some(t) => (JobState::Pending.as_str(), ms(t)),
        None => (JobState::Done.as_str(), ms(result.ended_at)),
    };
    (at(recall.otherwise), at(recall.if_cancelled))
}

/// The job as a finished call left it (its instants as given: the row holds them to the
/// millisecond), and the webhooks it calls for.
pub(super) fn finished(
    mut rec: CallbackRecord,
    result: &CallResult,
    recall: Recall,
    hooks: &HooksFn,
) -> (CallbackRecord, Vec<NewDelivery>) {
    let next = match rec.recalls_cancelled {
        true => recall.if_cancelled,
        false => recall.otherwise,
    };
    rec.next_attempt_at = next.unwrap_or(result.ended_at);
    rec.updated_at = result.ended_at;
    let items = hooks(&rec, next);
    (rec, items)
}

impl Change {
    /// Shows a running job's live status (fenced on its lease owner), stamped with the change's
    /// time.
    pub async fn callback_progress(
        &mut self,
        id: i64,
        owner: &str,
        status: CallbackStatus,
    ) -> Result<()> {
        let now = ms(self.now);
        with_txn_led!(&mut self.txn, PROGRESS => sql, c => {
            sqlx::query(&sql).bind(status.as_str()).bind(i64::from(status.code())).bind(now)
                .bind(id).bind(owner).execute(c).await?;
        });
        Ok(())
    }

    /// [`Store::claim_callbacks`] under this change (due by the change's time).
    pub async fn claim_callbacks(
        &mut self,
        limit: u32,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<CallbackRecord>> {
        let st = CallbackStatus::CallingManager;
        let sql = if self.postgres {
            let cols: Vec<String> = COLUMNS
                .split(", ")
                .map(|c| format!("callbacks.{c}"))
                .collect();
            format!(
                "WITH picked AS ({CLAIM_PICK} FOR UPDATE SKIP LOCKED) UPDATE callbacks {CLAIM_SET} \
                 FROM picked WHERE callbacks.id = picked.id RETURNING {}",
                cols.join(", ")
            )
        } else {
            SQLITE_CLAIM.clone()
        };
        let now = ms(self.now);
        let rows: Vec<Row> = with_txn_led!(&mut self.txn, &sql => sql, c => {
            sqlx::query_as(&sql)
                .bind(now).bind(i64::from(limit)).bind(st.as_str()).bind(i64::from(st.code()))
                .bind(owner).bind(ms(until))
                .fetch_all(c).await?
        });
        let mut out = records(rows)?;
        out.sort_by_key(|r| (r.next_attempt_at, r.id));
        Ok(out)
    }

    /// [`Store::callback_finish`] under this change: one `UPDATE ... RETURNING` that reads
    /// whether recalls were cancelled meanwhile as it writes the result, then the webhooks.
    pub async fn callback_finish(
        &mut self,
        id: i64,
        owner: &str,
        result: &CallResult,
        recall: Recall,
        hooks: &HooksFn,
    ) -> Result<CallbackRecord> {
        let ((state, due), (cancelled_state, cancelled_due)) = after_call(result, recall);
        let now = ms(result.ended_at);
        let status = result.status;
        let row: Option<Row> = with_txn_led!(&mut self.txn, FINISH.as_str() => sql, c => {
            sqlx::query_as(&sql)
                .bind(state).bind(status.as_str()).bind(i64::from(status.code()))
                .bind(i64::from(result.cancel_recalls)).bind(due).bind(now)
                .bind(result.duration_ms).bind(result.talk_ms).bind(&result.recording)
                .bind(&result.manager).bind(&result.digits).bind(id)
                .bind(cancelled_state).bind(cancelled_due).bind(owner)
                .fetch_optional(&mut *c).await?
        });
        let row = row.ok_or(StoreError::LeaseLost { contact_id: id })?;
        let (rec, items) = finished(row.into_record()?, result, recall, hooks);
        if !items.is_empty() {
            let none: Option<i64> = None;
            with_txn!(&mut self.txn, c => {
                enqueue_in!(c, &items, none, now);
            });
        }
        Ok(rec)
    }
}

impl Store {
    /// Leases up to `limit` due pending jobs to `owner` (they become running, status
    /// calling_manager, one more call counted), earliest due first. On SQLite the claim is one
    /// change of the store's group commit ([`Store::write`]): it shares the transaction of the
    /// jobs being posted meanwhile instead of queueing for the write lock beside it.
    pub async fn claim_callbacks(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<CallbackRecord>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (owner, o) = (owner.to_string(), owner.to_string());
        self.write_either(
            now,
            move |c| c.claim_callbacks(limit, &o, until).map(Some),
            move |c| Box::pin(async move { c.claim_callbacks(limit, &owner, until).await }),
        )
        .await
    }

    /// When pending jobs are due: the earliest, and the earliest after `now` (one read; the
    /// engine leases only when the earliest is due).
    pub async fn callbacks_due(&self, now: DateTime<Utc>) -> Result<CallbacksDue> {
        const DUE: &str = "SELECT (SELECT MIN(next_attempt_at) FROM callbacks \
             WHERE state = 'pending'), (SELECT MIN(next_attempt_at) FROM callbacks \
             WHERE state = 'pending' AND next_attempt_at > $1)";
        let direct = self.read_direct(|c| {
            static SQL: LazyLock<String> = LazyLock::new(|| super::direct::sql(DUE));
            c.prepare_cached(&SQL)?
                .query_row([ms(now)], |r| Ok((r.get(0)?, r.get(1)?)))
        });
        let (earliest, later): (Option<i64>, Option<i64>) = match direct {
            Some(due) => due?,
            None => with_pool!(self, p => sqlx::query_as(DUE).bind(ms(now)).fetch_one(p).await?),
        };
        Ok(CallbacksDue {
            earliest: earliest.map(from_ms),
            later: later.map(from_ms),
        })
    }

    /// Extends the leases of `owner`'s running jobs.
    pub async fn extend_callback_leases(
        &self,
        owner: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<()> {
        for id in ids {
            let sql = "UPDATE callbacks SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'";
            with_pool!(self, p => {
                sqlx::query(sql).bind(ms(until)).bind(id).bind(owner).execute(p).await?;
            });
        }
        Ok(())
    }

    /// Gives a leased job back without a call (no line was free after all): pending, due
    /// `now`, the call not counted.
    pub async fn callback_release(&self, id: i64, owner: &str, now: DateTime<Utc>) -> Result<()> {
        self.callback_release_until(id, owner, CallbackStatus::Queued, now, now)
            .await
    }

    /// Gives a leased job back without counting its call: pending with `status`, due at `due`
    /// (a number in a live call, a store error, no free line).
    pub async fn callback_release_until(
        &self,
        id: i64,
        owner: &str,
        status: CallbackStatus,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = "UPDATE callbacks SET state = 'pending', status = $1, status_code = $2, calls = calls - 1, \
                   lease_owner = NULL, lease_until = NULL, next_attempt_at = $3, updated_at = $6 \
                   WHERE id = $4 AND lease_owner = $5 AND state = 'running'";
        with_pool!(self, p => {
            sqlx::query(sql).bind(status.as_str()).bind(i64::from(status.code())).bind(ms(due))
                .bind(id).bind(owner).bind(ms(now)).execute(p).await?;
        });
        Ok(())
    }

    /// Sets the live status of a running job (calling_client, connected), fenced on the owner.
    pub async fn callback_progress(
        &self,
        id: i64,
        owner: &str,
        status: CallbackStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (owner, o) = (owner.to_string(), owner.to_string());
        self.write_either(
            now,
            move |c| c.callback_progress(id, &o, status).map(Some),
            move |c| Box::pin(async move { c.callback_progress(id, &owner, status).await }),
        )
        .await
    }

    /// Records a call's result and its webhooks, fenced on the lease owner
    /// ([`StoreError::LeaseLost`]: nothing written), as one change of the store's group commit.
    /// `recall` says when the job is due again, by whether later recalls end up cancelled;
    /// `hooks` builds the webhooks from the job as recorded. Returns the job.
    pub async fn callback_finish(
        &self,
        id: i64,
        owner: &str,
        result: &CallResult,
        recall: Recall,
        hooks: Box<HooksFn>,
    ) -> Result<CallbackRecord> {
        let (owner, result) = (owner.to_string(), result.clone());
        let hooks: std::sync::Arc<HooksFn> = hooks.into();
        let now = result.ended_at;
        let (o, r, h) = (owner.clone(), result.clone(), hooks.clone());
        self.write_either(
            now,
            move |c| c.callback_finish(id, &o, &r, recall, &*h),
            move |c| {
                Box::pin(async move {
                    c.callback_finish(id, &owner, &result, recall, &*hooks)
                        .await
                })
            },
        )
        .await
    }

    /// Running jobs another dialer does not hold alive (`owner`'s own, or leases expired by
    /// `now`), with their open legs: what a restarted dialer must settle.
    pub async fn running_callbacks(
        &self,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<RunningCallback>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM callbacks WHERE state = 'running' AND (lease_owner = $1 OR lease_until <= $2) ORDER BY id"
        );
        let rows: Vec<Row> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(owner).bind(ms(now)).fetch_all(p).await?
        });
        let mut out = Vec::new();
        for rec in records(rows)? {
            let legs = self.callback_legs(rec.id).await?;
            out.push(RunningCallback {
                open_legs: legs.into_iter().filter(|l| l.ended_at.is_none()).collect(),
                record: rec,
            });
        }
        Ok(out)
    }

    /// Takes a running job over for settling (its lease is `owner`'s or expired).
    pub async fn adopt_callback(
        &self,
        id: i64,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE callbacks SET lease_owner = $1, lease_until = $2 WHERE id = $3 AND state = 'running' \
                   AND (lease_owner = $1 OR lease_until <= $4)";
        let n = with_pool!(self, p => {
            sqlx::query(sql).bind(owner).bind(ms(until)).bind(id).bind(ms(now)).execute(p).await?.rows_affected()
        });
        Ok(n == 1)
    }
}
