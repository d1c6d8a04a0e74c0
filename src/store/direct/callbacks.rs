//! A callback job's engine-side changes as direct changes: the claim, a leg's start and end,
//! the live status and the result with its webhooks. The statements are the sqlx changes' own
//! (`callback_run.rs`, `callback_legs.rs`); a change whose statement finds nothing to write
//! (a leg refused, a lease lost) declines, and the sqlx change then says why.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::{sql, DirectChange};
use crate::callback::record::{CallResult, CallbackRecord, LegEnd, NewLeg};
use crate::callback::CallbackStatus;
use crate::store::callback_legs::{LEG_END, SQLITE_LEG_INSERT};
use crate::store::callback_run::{after_call, finished, HooksFn, Recall};
use crate::store::callback_run::{FINISH, PROGRESS, SQLITE_CLAIM};
use crate::store::callbacks::Row;
use crate::store::outbox::ENQUEUE;
use crate::store::{ms, Result};

impl DirectChange<'_> {
    /// `Change::claim_callbacks` as a direct change.
    pub(crate) fn claim_callbacks(
        &self,
        limit: u32,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<CallbackRecord>> {
        static SQL: LazyLock<String> = LazyLock::new(|| sql(&SQLITE_CLAIM));
        let st = CallbackStatus::CallingManager;
        let mut q = self.conn().prepare_cached(&SQL)?;
        let rows = q.query_map(
            rusqlite::params![
                ms(self.now()),
                i64::from(limit),
                st.as_str(),
                i64::from(st.code()),
                owner,
                ms(until),
            ],
            Row::from_direct,
        )?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?.into_record()?);
        }
        out.sort_by_key(|r| (r.next_attempt_at, r.id));
        Ok(out)
    }

    /// `Change::callback_progress` as a direct change.
    pub(crate) fn callback_progress(
        &self,
        id: i64,
        owner: &str,
        status: CallbackStatus,
    ) -> Result<()> {
        static SQL: LazyLock<String> = LazyLock::new(|| sql(PROGRESS));
        self.conn()
            .prepare_cached(&SQL)?
            .execute(rusqlite::params![
                status.as_str(),
                i64::from(status.code()),
                ms(self.now()),
                id,
                owner,
            ])?;
        Ok(())
    }

    /// `Change::callback_leg_start` as a direct change: the leg's id, or none when the insert
    /// was refused (a number in a live call, or the lease lost: the sqlx change tells which).
    pub(crate) fn callback_leg_start(&self, leg: &NewLeg, owner: &str) -> Result<Option<i64>> {
        static SQL: LazyLock<String> = LazyLock::new(|| sql(&SQLITE_LEG_INSERT));
        let numbers = leg.numbers();
        let id = self
            .conn()
            .prepare_cached(&SQL)?
            .query_row(
                rusqlite::params![
                    leg.callback_id,
                    i64::from(leg.call_no),
                    leg.side.as_str(),
                    leg.number,
                    leg.trunk,
                    leg.uuid,
                    leg.caller_id,
                    leg.node,
                    ms(leg.started_at),
                    owner,
                    numbers[0],
                    numbers.last().copied().unwrap_or(numbers[0]),
                ],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id)
    }

    /// `Change::callback_leg_end` as a direct change.
    pub(crate) fn callback_leg_end(&self, leg_id: i64, end: &LegEnd) -> Result<()> {
        static SQL: LazyLock<String> = LazyLock::new(|| sql(LEG_END));
        self.conn()
            .prepare_cached(&SQL)?
            .execute(rusqlite::params![
                end.answered_at.map(ms),
                ms(end.ended_at),
                end.cause,
                end.sip_code.map(i64::from),
                leg_id,
            ])?;
        Ok(())
    }

    /// `Change::callback_finish` as a direct change: the job, or none when its lease was lost
    /// (nothing written; the sqlx change says so).
    pub(crate) fn callback_finish(
        &self,
        id: i64,
        owner: &str,
        result: &CallResult,
        recall: Recall,
        hooks: &HooksFn,
    ) -> Result<Option<CallbackRecord>> {
        static SQL: LazyLock<String> = LazyLock::new(|| sql(&FINISH));
        static OUTBOX: LazyLock<String> = LazyLock::new(|| sql(ENQUEUE));
        let ((state, due), (cancelled_state, cancelled_due)) = after_call(result, recall);
        let now = ms(result.ended_at);
        let status = result.status;
        let row = self
            .conn()
            .prepare_cached(&SQL)?
            .query_row(
                rusqlite::params![
                    state,
                    status.as_str(),
                    i64::from(status.code()),
                    i64::from(result.cancel_recalls),
                    due,
                    now,
                    result.duration_ms,
                    result.talk_ms,
                    result.recording,
                    result.manager,
                    result.digits,
                    id,
                    cancelled_state,
                    cancelled_due,
                    owner,
                ],
                Row::from_direct,
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (rec, items) = finished(row.into_record()?, result, recall, hooks);
        let mut enqueue = self.conn().prepare_cached(&OUTBOX)?;
        for d in &items {
            let none: Option<i64> = None;
            enqueue.execute(rusqlite::params![
                d.event_id,
                d.kind.as_str(),
                d.url,
                d.body,
                none,
                now
            ])?;
        }
        Ok(Some(rec))
    }
}
