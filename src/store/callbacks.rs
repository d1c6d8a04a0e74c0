//! Callback jobs: insert (idempotent on the client's key), read, list, cancel. The engine's side
//! (lease, live status, result) is `store::callback_run`; the legs are `store::callback_legs`.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::txn::{with_txn, with_txn_led};
use super::{direct, Change, DirectChange, Txn};
use super::{from_ms, ms, parse_enum, parse_json, with_pool, Result, Store, StoreError};
use crate::callback::record::CallbackRecord;
use crate::callback::{CallbackSpec, CallbackStatus, JobState};

pub(super) const COLUMNS: &str =
    "id, idem_key, spec, state, status, status_code, calls, recalls_cancelled, \
     next_attempt_at, lease_owner, lease_until, created_by, created_at, updated_at, duration_ms, \
     talk_ms, recording, manager, digits";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
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
    /// The row of a direct read of [`COLUMNS`].
    pub(super) fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        Ok(Row {
            id: r.get(0)?,
            idem_key: r.get(1)?,
            spec: r.get(2)?,
            state: r.get(3)?,
            status: r.get(4)?,
            status_code: r.get(5)?,
            calls: r.get(6)?,
            recalls_cancelled: r.get(7)?,
            next_attempt_at: r.get(8)?,
            lease_owner: r.get(9)?,
            lease_until: r.get(10)?,
            created_by: r.get(11)?,
            created_at: r.get(12)?,
            updated_at: r.get(13)?,
            duration_ms: r.get(14)?,
            talk_ms: r.get(15)?,
            recording: r.get(16)?,
            manager: r.get(17)?,
            digits: r.get(18)?,
        })
    }

    pub(super) fn into_record(self) -> Result<CallbackRecord> {
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

pub(super) fn records(rows: Vec<Row>) -> Result<Vec<CallbackRecord>> {
    rows.into_iter().map(Row::into_record).collect()
}

/// Stores a new job unless its key is stored (see [`Change::callback_insert`]).
static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO callbacks (idem_key, spec, state, status, status_code, next_attempt_at, \
         created_by, created_at, updated_at) SELECT $1, $2, 'pending', $3, $4, $5, $6, $7, $7 \
         WHERE NOT EXISTS (SELECT 1 FROM callbacks WHERE idem_key = $1) \
         ON CONFLICT (idem_key) DO NOTHING RETURNING {COLUMNS}"
    )
});

fn spec_text(new: &NewCallback<'_>) -> Result<String> {
    serde_json::to_string(new.spec).map_err(|e| StoreError::Invalid(format!("callback spec: {e}")))
}

impl DirectChange<'_> {
    /// [`Change::callback_insert`] as a direct change.
    pub(crate) fn callback_insert(&self, new: &NewCallback<'_>) -> Result<Option<CallbackRecord>> {
        use rusqlite::OptionalExtension;
        static SQL: LazyLock<String> = LazyLock::new(|| direct::sql(&INSERT));
        let spec = spec_text(new)?;
        let status = CallbackStatus::Queued;
        let row = self
            .conn()
            .prepare_cached(&SQL)?
            .query_row(
                rusqlite::params![
                    new.key,
                    spec,
                    status.as_str(),
                    i64::from(status.code()),
                    ms(new.due),
                    new.created_by,
                    ms(self.now()),
                ],
                Row::from_direct,
            )
            .optional()?;
        row.map(Row::into_record).transpose()
    }
}

/// A new job to store.
#[derive(Debug, Clone)]
pub struct NewCallback<'a> {
    pub key: Option<&'a str>,
    pub spec: &'a CallbackSpec,
    /// When it is first due.
    pub due: DateTime<Utc>,
    pub created_by: &'a str,
}

impl Change {
    /// Stores a new job, due at `due`; none when a job with its key exists (nothing written, no
    /// id used up: the insert is skipped when the key is stored, and the unique key settles two
    /// requests racing).
    pub async fn callback_insert(
        &mut self,
        new: &NewCallback<'_>,
    ) -> Result<Option<CallbackRecord>> {
        let spec = spec_text(new)?;
        let status = CallbackStatus::Queued;
        let sql = &*INSERT;
        let now = ms(self.now);
        let row: Option<Row> = with_txn_led!(&mut self.txn, sql => sql, c => {
            sqlx::query_as(&sql)
                .bind(new.key).bind(&spec).bind(status.as_str()).bind(i64::from(status.code()))
                .bind(ms(new.due)).bind(new.created_by).bind(now)
                .fetch_optional(c).await?
        });
        row.map(Row::into_record).transpose()
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
}
