//! The legs of callback calls: each written before it is dialled (fenced on the job's lease
//! owner), closed with its end, read back in order for `GET /callbacks/{id}` and the call log.

use super::in_call::{self, check_not_in_call};
use super::txn::{with_txn_led, Txn};
use super::{from_ms, ms, with_pool, Change, Result, Store, StoreError};
use crate::callback::record::{LegEnd, LegRecord, NewLeg, Side};

#[derive(sqlx::FromRow)]
struct LegRow {
    id: i64,
    call_no: i64,
    side: String,
    number: String,
    trunk: String,
    uuid: String,
    caller_id: String,
    node: String,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    cause: Option<String>,
    sip_code: Option<i64>,
}

impl LegRow {
    fn into_leg(self) -> Result<LegRecord> {
        Ok(LegRecord {
            id: self.id,
            call_no: u32::try_from(self.call_no.max(0)).unwrap_or(0),
            side: Side::parse(&self.side).map_err(StoreError::Corrupt)?,
            number: self.number,
            trunk: self.trunk,
            uuid: self.uuid,
            caller_id: self.caller_id,
            node: self.node,
            started_at: from_ms(self.started_at),
            answered_at: self.answered_at.map(from_ms),
            ended_at: self.ended_at.map(from_ms),
            cause: self.cause,
            sip_code: self.sip_code.and_then(|c| u16::try_from(c).ok()),
        })
    }
}

const LEG_COLUMNS: &str = "id, call_no, side, number, trunk, uuid, caller_id, node, started_at, \
                           answered_at, ended_at, cause, sip_code";

/// A leg, written while its job's lease is `$10`'s.
const LEG_INSERT: &str = "INSERT INTO callback_legs (callback_id, call_no, side, number, trunk, \
     uuid, caller_id, node, started_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS \
     (SELECT 1 FROM callbacks WHERE id = $1 AND lease_owner = $10 AND state = 'running')";
/// [`LEG_INSERT`] on SQLite: only while its numbers (`$11`, `$12`) are in no live call.
pub(super) static SQLITE_LEG_INSERT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{LEG_INSERT} AND {} RETURNING id", in_call::LEG_FREE));
/// A leg's end (once: a closed leg keeps its first end).
pub(super) const LEG_END: &str = "UPDATE callback_legs SET answered_at = $1, ended_at = $2, \
     cause = $3, sip_code = $4 WHERE id = $5 AND ended_at IS NULL";

impl Store {
    /// A job's legs, in the order they were dialled.
    pub async fn callback_legs(&self, id: i64) -> Result<Vec<LegRecord>> {
        let sql =
            format!("SELECT {LEG_COLUMNS} FROM callback_legs WHERE callback_id = $1 ORDER BY id");
        let rows: Vec<LegRow> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(id).fetch_all(p).await?
        });
        rows.into_iter().map(LegRow::into_leg).collect()
    }

    /// Writes a leg before it is dialled, fenced on the job's lease owner, in the store's group
    /// commit ([`Store::write`]); its id. [`StoreError::PhoneBusy`] (nothing written) while a
    /// number it needs is in a live call (`store::in_call`).
    pub async fn callback_leg_start(&self, leg: &NewLeg, owner: &str) -> Result<i64> {
        let (leg, owner) = (leg.clone(), owner.to_string());
        let (l, o) = (leg.clone(), owner.clone());
        self.write_either(
            leg.started_at,
            move |c| c.callback_leg_start(&l, &o),
            move |c| Box::pin(async move { c.callback_leg_start(&leg, &owner).await }),
        )
        .await
    }

    /// Closes a leg (once: a closed leg keeps its first end), in the store's group commit.
    pub async fn callback_leg_end(&self, leg_id: i64, end: &LegEnd) -> Result<()> {
        let (end, e) = (end.clone(), end.clone());
        self.write_either(
            end.ended_at,
            move |c| c.callback_leg_end(leg_id, &e).map(Some),
            move |c| Box::pin(async move { c.callback_leg_end(leg_id, &end).await }),
        )
        .await
    }
}

impl Change {
    /// [`Store::callback_leg_start`] under this change. On SQLite the insert carries the
    /// in-call check ([`in_call::LEG_FREE`]: one statement); only a refused insert checks the
    /// numbers one by one to tell a busy number (the first, in order) from a lost lease.
    pub async fn callback_leg_start(&mut self, leg: &NewLeg, owner: &str) -> Result<i64> {
        let pg = matches!(self.txn, Txn::Postgres(_));
        let numbers = leg.numbers();
        let sql = match pg {
            true => format!("{LEG_INSERT} RETURNING id"),
            false => SQLITE_LEG_INSERT.clone(),
        };
        // On SQLite the insert is the change's first statement: it takes the savepoint's lead.
        let id: Option<i64> = with_txn_led!(&mut self.txn, &sql => sql, c => {
            if pg {
                check_not_in_call!(c, pg, &numbers, in_call::LEG_SQL, leg.callback_id);
            }
            let q = sqlx::query_scalar(&sql)
                .bind(leg.callback_id).bind(i64::from(leg.call_no)).bind(leg.side.as_str())
                .bind(&leg.number).bind(&leg.trunk).bind(&leg.uuid).bind(&leg.caller_id)
                .bind(&leg.node).bind(ms(leg.started_at)).bind(owner);
            let q = match pg {
                true => q,
                false => q.bind(numbers[0]).bind(numbers.last().copied().unwrap_or(numbers[0])),
            };
            let id = q.fetch_optional(&mut *c).await?;
            if id.is_none() && !pg {
                check_not_in_call!(c, pg, &numbers, in_call::LEG_SQL, leg.callback_id);
            }
            id
        });
        id.ok_or(StoreError::LeaseLost {
            contact_id: leg.callback_id,
        })
    }

    /// [`Store::callback_leg_end`] under this change.
    pub async fn callback_leg_end(&mut self, leg_id: i64, end: &LegEnd) -> Result<()> {
        with_txn_led!(&mut self.txn, LEG_END => sql, c => {
            sqlx::query(&sql).bind(end.answered_at.map(ms)).bind(ms(end.ended_at)).bind(&end.cause)
                .bind(end.sip_code.map(i64::from)).bind(leg_id).execute(c).await?;
        });
        Ok(())
    }
}
