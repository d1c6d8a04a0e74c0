//! Callback jobs: insert (idempotent on the client's key), read with their legs, list, cancel;
//! the engine's side: lease due jobs, write each leg before it is dialled and close it after,
//! record a call's result with its webhooks in one transaction fenced on the lease owner, and
//! find running jobs after a restart.

use chrono::{DateTime, Utc};

use super::outbox::enqueue_in;
use super::txn::with_txn;
use super::{from_ms, ms, parse_enum, parse_json, with_pool, Result, Store, StoreError, WriteTx};
use super::{Change, Txn};
use crate::callback::record::{CallResult, CallbackRecord, LegRecord};
use crate::callback::{CallbackSpec, CallbackStatus, JobState};
use crate::model::NewDelivery;

const COLUMNS: &str = "id, idem_key, spec, state, status, status_code, calls, recalls_cancelled, \
     next_attempt_at, lease_owner, lease_until, created_by, created_at, updated_at, duration_ms, \
     talk_ms, recording, manager, digits";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    idem_key: Option<String>,
    spec: String,
    state: String,
    status: String,
    status_code: i64,
    calls: i64,
    recalls_cancelled: i64,
    next_attempt_at: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    duration_ms: Option<i64>,
    talk_ms: Option<i64>,
    recording: Option<String>,
    manager: Option<String>,
    digits: String,
}

impl Row {
    fn into_record(self) -> Result<CallbackRecord> {
        Ok(CallbackRecord {
            id: self.id,
            idempotency_key: self.idem_key,
            spec: parse_json(&self.spec, "callback spec")?,
            state: parse_enum(&self.state)?,
            status: parse_enum(&self.status)?,
            status_code: u16::try_from(self.status_code).unwrap_or(0),
            calls: u32::try_from(self.calls.max(0)).unwrap_or(u32::MAX),
            recalls_cancelled: self.recalls_cancelled != 0,
            next_attempt_at: from_ms(self.next_attempt_at),
            lease_owner: self.lease_owner,
            lease_until: self.lease_until.map(from_ms),
            created_by: self.created_by,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
            duration_ms: self.duration_ms,
            talk_ms: self.talk_ms,
            recording: self.recording,
            manager: self.manager,
            digits: self.digits,
        })
    }
}

fn records(rows: Vec<Row>) -> Result<Vec<CallbackRecord>> {
    rows.into_iter().map(Row::into_record).collect()
}

/// Builds a finished call's webhooks from the job as recorded and its next due time.
pub type HooksFn<'a> =
    dyn Fn(&CallbackRecord, Option<DateTime<Utc>>) -> Vec<NewDelivery> + Sync + 'a;

/// A new job to store.
#[derive(Debug, Clone)]
pub struct NewCallback<'a> {
    pub key: Option<&'a str>,
    pub spec: &'a CallbackSpec,
    /// When it is first due.
    pub due: DateTime<Utc>,
    pub created_by: &'a str,
}

/// A job that was running when its dialer stopped, with its legs still open.
#[derive(Debug, Clone)]
pub struct RunningCallback {
    pub record: CallbackRecord,
    pub open_legs: Vec<LegRecord>,
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
        let sql = "UPDATE callbacks SET status = $1, status_code = $2, updated_at = $3 \
                   WHERE id = $4 AND lease_owner = $5 AND state = 'running'";
        let now = ms(self.now);
        with_txn!(&mut self.txn, c => {
            sqlx::query(sql).bind(status.as_str()).bind(i64::from(status.code())).bind(now)
                .bind(id).bind(owner).execute(c).await?;
        });
        Ok(())
    }

    /// Stores a new job, due at `due`; none when a job with its key exists (nothing written:
    /// the unique key settles two requests racing).
    pub async fn callback_insert(
        &mut self,
        new: &NewCallback<'_>,
    ) -> Result<Option<CallbackRecord>> {
        let spec = serde_json::to_string(new.spec)
            .map_err(|e| StoreError::Invalid(format!("callback spec: {e}")))?;
        let status = CallbackStatus::Queued;
        let sql = format!(
            "INSERT INTO callbacks (idem_key, spec, state, status, status_code, next_attempt_at, \
             created_by, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (idem_key) DO NOTHING RETURNING {COLUMNS}"
        );
        let now = ms(self.now);
        let row: Option<Row> = with_txn!(&mut self.txn, c => {
            sqlx::query_as(&sql)
                .bind(new.key).bind(&spec).bind(status.as_str()).bind(i64::from(status.code()))
                .bind(ms(new.due)).bind(new.created_by).bind(now)
                .fetch_optional(c).await?
        });
        row.map(Row::into_record).transpose()
    }

    /// [`Store::claim_callbacks`] under this change (due by the change's time).
    pub async fn claim_callbacks(
        &mut self,
        limit: u32,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<CallbackRecord>> {
        let st = CallbackStatus::CallingManager;
        let pick = "SELECT id FROM callbacks WHERE state = 'pending' AND next_attempt_at <= $1 \
                    ORDER BY next_attempt_at, id LIMIT $2";
        let set = "SET state = 'running', status = $3, status_code = $4, calls = calls + 1, \
                   lease_owner = $5, lease_until = $6, updated_at = $1";
        let sql = if self.postgres {
            let cols: Vec<String> = COLUMNS
                .split(", ")
                .map(|c| format!("callbacks.{c}"))
                .collect();
            format!(
                "WITH picked AS ({pick} FOR UPDATE SKIP LOCKED) UPDATE callbacks {set} \
                 FROM picked WHERE callbacks.id = picked.id RETURNING {}",
                cols.join(", ")
            )
        } else {
            format!("UPDATE callbacks {set} WHERE id IN ({pick}) RETURNING {COLUMNS}")
        };
        let now = ms(self.now);
        let rows: Vec<Row> = with_txn!(&mut self.txn, c => {
            sqlx::query_as(&sql)
                .bind(now).bind(i64::from(limit)).bind(st.as_str()).bind(i64::from(st.code()))
                .bind(owner).bind(ms(until))
                .fetch_all(c).await?
        });
        let mut out = records(rows)?;
        out.sort_by_key(|r| (r.next_attempt_at, r.id));
        Ok(out)
    }

    /// Cancels a job: a pending one is done at once (status cancelled); a running one keeps its
    /// live call and gets no recall.
    pub async fn callback_cancel(&mut self, id: i64) -> Result<()> {
        let st = CallbackStatus::Cancelled;
        let pending = "UPDATE callbacks SET state = 'done', status = $1, status_code = $2, \
                       recalls_cancelled = 1, updated_at = $3 WHERE id = $4 AND state = 'pending'";
        let running = "UPDATE callbacks SET recalls_cancelled = 1, updated_at = $1 \
                       WHERE id = $2 AND state = 'running'";
        let now = ms(self.now);
        with_txn!(&mut self.txn, c => {
            sqlx::query(pending).bind(st.as_str()).bind(i64::from(st.code())).bind(now).bind(id)
                .execute(&mut *c).await?;
            sqlx::query(running).bind(now).bind(id).execute(&mut *c).await?;
        });
        Ok(())
    }
}

impl Store {
    /// The job stored under a client's key (none without a key).
    pub async fn callback_by_key(&self, key: Option<&str>) -> Result<Option<CallbackRecord>> {
        let Some(key) = key else {
            return Ok(None);
        };
        let sql = format!("SELECT {COLUMNS} FROM callbacks WHERE idem_key = $1");
        let row: Option<Row> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(key).fetch_optional(p).await?
        });
        row.map(Row::into_record).transpose()
    }

    /// One job.
    pub async fn callback(&self, id: i64) -> Result<Option<CallbackRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM callbacks WHERE id = $1");
        let row: Option<Row> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(id).fetch_optional(p).await?
        });
        row.map(Row::into_record).transpose()
    }

    /// Jobs after id `after`, oldest first, at most `limit`; only those in `state` when given.
    pub async fn callbacks_page(
        &self,
        after: i64,
        limit: u32,
        state: Option<JobState>,
    ) -> Result<Vec<CallbackRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM callbacks WHERE id > $1 AND ($2 = '' OR state = $2) ORDER BY id LIMIT $3"
        );
        let st = state.map(JobState::as_str).unwrap_or("");
        let rows: Vec<Row> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(after).bind(st).bind(i64::from(limit)).fetch_all(p).await?
        });
        records(rows)
    }

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
        let owner = owner.to_string();
        self.write(now, move |c| {
            Box::pin(async move { c.claim_callbacks(limit, &owner, until).await })
        })
        .await
    }

    /// The earliest due time of a pending job.
    pub async fn next_callback_due(&self) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT MIN(next_attempt_at) FROM callbacks WHERE state = 'pending'";
        let t: Option<i64> = with_pool!(self, p => {
            sqlx::query_scalar(sql).fetch_one(p).await?
        });
        Ok(t.map(from_ms))
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
        let owner = owner.to_string();
        self.write(now, move |c| {
            Box::pin(async move { c.callback_progress(id, &owner, status).await })
        })
        .await
    }

    /// Records a call's result and its webhooks in one transaction fenced on the lease owner.
    /// `decide` gets whether later recalls were cancelled (by the manager's key now, or by a
    /// cancel meanwhile) and returns when the job is due again (`None`: done). Returns the job.
    pub async fn callback_finish(
        &self,
        id: i64,
        owner: &str,
        result: &CallResult,
        hooks: &HooksFn<'_>,
        decide: &(dyn Fn(bool) -> Option<DateTime<Utc>> + Sync),
    ) -> Result<CallbackRecord> {
        let sel = format!("SELECT {COLUMNS} FROM callbacks WHERE id = $1 AND lease_owner = $2 AND state = 'running'");
        let upd = "UPDATE callbacks SET state = $1, status = $2, status_code = $3, recalls_cancelled = $4, \
                   next_attempt_at = $5, lease_owner = NULL, lease_until = NULL, updated_at = $6, \
                   duration_ms = $7, talk_ms = $8, recording = $9, manager = $10, digits = $11 WHERE id = $12";
        let now = ms(result.ended_at);
        let rec: Option<CallbackRecord> = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<Row> = sqlx::query_as(&sel).bind(id).bind(owner).fetch_optional(&mut *tx).await?;
            match row {
                None => None,
                Some(row) => {
                    let mut rec = row.into_record()?;
                    let cancelled = rec.recalls_cancelled || result.cancel_recalls;
                    let next = decide(cancelled);
                    rec.state = if next.is_some() { JobState::Pending } else { JobState::Done };
                    rec.status = result.status;
                    rec.status_code = result.status.code();
                    rec.recalls_cancelled = cancelled;
                    rec.next_attempt_at = next.unwrap_or(result.ended_at);
                    rec.lease_owner = None;
                    rec.lease_until = None;
                    rec.updated_at = result.ended_at;
                    rec.duration_ms = Some(result.duration_ms);
                    rec.talk_ms = Some(result.talk_ms);
                    rec.recording = result.recording.clone();
                    rec.manager = result.manager.clone();
                    rec.digits = result.digits.clone();
                    sqlx::query(upd)
                        .bind(rec.state.as_str()).bind(rec.status.as_str()).bind(i64::from(rec.status_code))
                        .bind(i64::from(cancelled)).bind(ms(rec.next_attempt_at)).bind(now)
                        .bind(result.duration_ms).bind(result.talk_ms).bind(&result.recording)
                        .bind(&result.manager).bind(&result.digits).bind(id)
                        .execute(&mut *tx).await?;
                    let items = hooks(&rec, next);
                    let none: Option<i64> = None;
                    enqueue_in!(tx, &items, none, now);
                    tx.commit().await?;
                    Some(rec)
                }
            }
        });
        rec.ok_or(StoreError::LeaseLost { contact_id: id })
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
