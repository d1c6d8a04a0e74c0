//! The webhook outbox: deliveries enqueued inside the transaction that records their event
//! ([`enqueue_in!`], used by `start_attempt` and `finish_attempt`), leased in batches by a
//! delivery worker (SQLite: one `UPDATE ... RETURNING`; PostgreSQL: `FOR UPDATE SKIP LOCKED`,
//! so two workers never hold one row), then settled (delivered, retried later, dead) in one
//! transaction per batch, fenced on the lease owner.

use chrono::{DateTime, Utc};

use super::{from_ms, ms, parse_enum, with_pool, Result, Store, WriteTx};
use crate::model::{Delivery, DeliveryResult, DeliveryStatus, OutboxCounts};

/// Binds: event_id, kind, url, body, attempt_id, next_try_at, created_at. A receiver listed
/// twice for one event gets it once.
pub(super) const ENQUEUE: &str = "INSERT INTO webhook_outbox \
     (event_id, kind, url, body, attempt_id, next_try_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (event_id, url) DO NOTHING";

/// Writes `$items` (`&[NewDelivery]`) for attempt `$attempt_id`, due at `$now` (ms), on the open
/// transaction `$tx`; `?` on its errors. The caller commits them with its own rows.
macro_rules! enqueue_in {
    ($tx:expr, $items:expr, $attempt_id:expr, $now:expr) => {
        for d in $items {
            sqlx::query($crate::store::outbox::ENQUEUE)
                .bind(&d.event_id)
                .bind(d.kind.as_str())
                .bind(&d.url)
                .bind(&d.body)
                .bind($attempt_id)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
    };
}
pub(crate) use enqueue_in;

const COLUMNS: &str = "id, event_id, kind, url, body, attempt_id, attempts, status, next_try_at, \
                       last_error, created_at, delivered_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    event_id: String,
    kind: String,
    url: String,
    body: String,
    attempt_id: Option<i64>,
    attempts: i64,
    status: String,
    next_try_at: i64,
    last_error: Option<String>,
    created_at: i64,
    delivered_at: Option<i64>,
}

impl Row {
    fn into_delivery(self) -> Result<Delivery> {
        Ok(Delivery {
            id: self.id,
            event_id: self.event_id,
            kind: parse_enum(&self.kind)?,
            url: self.url,
            body: self.body,
            attempt_id: self.attempt_id,
            attempts: u32::try_from(self.attempts.max(0)).unwrap_or(u32::MAX),
            status: parse_enum(&self.status)?,
            next_try_at: from_ms(self.next_try_at),
            last_error: self.last_error,
            created_at: from_ms(self.created_at),
            delivered_at: self.delivered_at.map(from_ms),
        })
    }
}

fn rows(rows: Vec<Row>) -> Result<Vec<Delivery>> {
    rows.into_iter().map(Row::into_delivery).collect()
}

/// Binds: $1 owner, $2 lease_until, $3 now, $4 limit.
fn claim_sql(postgres: bool) -> String {
    let pick = "SELECT id FROM webhook_outbox WHERE status = 'pending' AND next_try_at <= $3 \
                AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_try_at, id LIMIT $4";
    let set = "SET lease_owner = $1, lease_until = $2";
    if postgres {
        let cols = COLUMNS.replace(", ", ", o.");
        format!(
            "WITH picked AS ({pick} FOR UPDATE SKIP LOCKED) UPDATE webhook_outbox o {set} \
             FROM picked WHERE o.id = picked.id RETURNING o.{cols}"
        )
    } else {
        format!("UPDATE webhook_outbox {set} WHERE id IN ({pick}) RETURNING {COLUMNS}")
    }
}

impl Store {
    /// Leases up to `limit` due deliveries to `owner` until `lease_until`, earliest due first.
    /// A row leased by another worker is not due until its lease runs out.
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let sql = claim_sql(self.is_postgres());
        let got: Vec<Row> = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let got = sqlx::query_as(&sql)
                .bind(owner).bind(ms(lease_until)).bind(ms(now)).bind(i64::from(limit))
                .fetch_all(&mut *tx).await?;
            tx.commit().await?;
            got
        });
        let mut claimed = rows(got)?;
        claimed.sort_by_key(|d| (d.next_try_at, d.id));
        Ok(claimed)
    }

    /// Records what the sends of a batch came to, in one transaction; each row only while
    /// `owner` still holds its lease (a row whose lease ran out and was taken over is left to
    /// its new holder). Returns how many rows were settled.
    pub async fn settle_deliveries(
        &self,
        owner: &str,
        results: &[(i64, DeliveryResult)],
    ) -> Result<u64> {
        if results.is_empty() {
            return Ok(0);
        }
        let sql = "UPDATE webhook_outbox SET status = $1, next_try_at = $2, last_error = $3, \
                   delivered_at = $4, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL \
                   WHERE id = $5 AND lease_owner = $6 AND status = 'pending'";
        let n = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut n = 0;
            for (id, result) in results {
                let (status, at, error) = match result {
                    DeliveryResult::Delivered { at } => (DeliveryStatus::Delivered, at, None),
                    DeliveryResult::Retry { at, error } => (DeliveryStatus::Pending, at, Some(error)),
                    DeliveryResult::Dead { at, error } => (DeliveryStatus::Dead, at, Some(error)),
                };
                let delivered_at = (status == DeliveryStatus::Delivered).then(|| ms(*at));
                n += sqlx::query(sql)
                    .bind(status.as_str()).bind(ms(*at)).bind(error).bind(delivered_at)
                    .bind(*id).bind(owner)
                    .execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            n
        });
        Ok(n)
    }

    /// Ends every lease `owner` holds on pending deliveries (a restarted worker takes back what
    /// its killed predecessor had in flight; a stopping one hands back what it did not send).
    /// Returns how many.
    pub async fn release_deliveries(&self, owner: &str) -> Result<u64> {
        let sql = "UPDATE webhook_outbox SET lease_owner = NULL, lease_until = NULL \
                   WHERE lease_owner = $1 AND status = 'pending'";
        let n = with_pool!(self, p => {
            sqlx::query(sql).bind(owner).execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n)
    }

    /// When the next pending delivery is due (its lease, if any, counted).
    pub async fn next_delivery_at(&self) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_try_at \
                   THEN lease_until ELSE next_try_at END) FROM webhook_outbox WHERE status = 'pending'";
        let row: (Option<i64>,) = with_pool!(self, p => sqlx::query_as(sql).fetch_one(p).await)?;
        Ok(row.0.map(from_ms))
    }

    /// Deliveries not acknowledged yet (the queue depth; an index scan of the pending rows).
    pub async fn outbox_depth(&self) -> Result<u64> {
        let sql = "SELECT COUNT(*) FROM webhook_outbox WHERE status = 'pending'";
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(sql).fetch_one(p).await)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Deliveries in each state.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let sql = "SELECT status, COUNT(*) FROM webhook_outbox GROUP BY status";
        let got: Vec<(String, i64)> =
            with_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await)?;
        let mut counts = OutboxCounts::default();
        for (status, n) in got {
            let n = u64::try_from(n).unwrap_or(0);
            match status.as_str() {
                "pending" => counts.pending = n,
                "delivered" => counts.delivered = n,
                _ => counts.dead += n,
            }
        }
        Ok(counts)
    }

    /// Deliveries in the order they were enqueued, `limit` from `offset`.
    pub async fn deliveries_page(&self, offset: i64, limit: i64) -> Result<Vec<Delivery>> {
        let sql = format!("SELECT {COLUMNS} FROM webhook_outbox ORDER BY id LIMIT $1 OFFSET $2");
        let got: Vec<Row> = with_pool!(self, p => sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(p).await)?;
        rows(got)
    }

    /// The deliveries that report one attempt, in the order they were enqueued.
    pub async fn attempt_deliveries(&self, attempt_id: i64) -> Result<Vec<Delivery>> {
        let sql = format!("SELECT {COLUMNS} FROM webhook_outbox WHERE attempt_id = $1 ORDER BY id");
        let got: Vec<Row> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(attempt_id).fetch_all(p).await)?;
        rows(got)
    }
}
