//! What `campaign why` reads beyond the usual counts: due contacts by zone group, and the
//! cause of the campaign's latest technical error.

use chrono::{DateTime, Utc};

use super::{from_ms, ms, with_pool, Result, Store};

/// A campaign's pending contacts in one zone group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneDue {
    /// The zone key (one zone, or several joined by `,`).
    pub zone: String,
    /// Pending contacts.
    pub pending: u64,
    /// Of them, due at or before the instant asked about.
    pub due: u64,
    /// The earliest `next_attempt_at` among them.
    pub next_due: Option<DateTime<Utc>>,
}

impl Store {
    /// The campaign's pending contacts by zone group, with how many are due at `now`.
    pub async fn due_by_zone(&self, campaign_id: i64, now: DateTime<Utc>) -> Result<Vec<ZoneDue>> {
        let sql = "SELECT timezone, COUNT(*), \
                   SUM(CASE WHEN next_attempt_at <= $2 THEN 1 ELSE 0 END), MIN(next_attempt_at) \
                   FROM contacts WHERE campaign_id = $1 AND status = 'pending' \
                   GROUP BY timezone ORDER BY timezone";
        let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = with_pool!(self, p => {
            sqlx::query_as(sql).bind(campaign_id).bind(ms(now)).fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(zone, pending, due, next)| ZoneDue {
                zone,
                pending: pending.max(0) as u64,
                due: due.unwrap_or(0).max(0) as u64,
                next_due: next.map(from_ms),
            })
            .collect())
    }

    /// The hangup cause and end of the campaign's latest attempt recorded as a technical error.
    pub async fn last_technical_cause(
        &self,
        campaign_id: i64,
    ) -> Result<Option<(String, DateTime<Utc>)>> {
        let sql = "SELECT hangup_cause, ended_at FROM attempts \
                   WHERE campaign_id = $1 AND disposition = 'technical' AND ended_at IS NOT NULL \
                   ORDER BY ended_at DESC, id DESC LIMIT 1";
        let row: Option<(Option<String>, i64)> = with_pool!(self, p => {
            sqlx::query_as(sql).bind(campaign_id).fetch_optional(p).await
        })?;
        Ok(row.map(|(cause, at)| (cause.unwrap_or_default(), from_ms(at))))
    }
}
