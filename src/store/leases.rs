//! Leasing due contacts to a dialer: claim, defer a closed zone, extend, release, expire.

use chrono::{DateTime, Utc};

use super::{from_ms, ms, parse_enum, parse_json, with_pool, Result, Store, StoreError, WriteTx};
use crate::model::ClaimedContact;
use crate::model::ContactStatus;

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    campaign_id: i64,
    name: String,
    phones: String,
    vars: String,
    timezone: String,
    attempts: i64,
    technical_streak: i64,
    last_disposition: Option<String>,
    lease_until: Option<i64>,
}

impl ClaimRow {
    fn into_claimed(self) -> Result<ClaimedContact> {
        Ok(ClaimedContact {
            id: self.id,
            campaign_id: self.campaign_id,
            name: self.name,
            phones: parse_json(&self.phones, "contact phones")?,
            vars: parse_json(&self.vars, "contact vars")?,
            timezone: self.timezone,
            attempts: self.attempts.max(0) as u32,
            technical_streak: self.technical_streak.max(0) as u32,
            last_disposition: self
                .last_disposition
                .as_deref()
                .map(parse_enum)
                .transpose()?,
            lease_until: from_ms(self.lease_until.unwrap_or_default()),
        })
    }
}

const RETURNING: &str = "RETURNING id, campaign_id, name, phones, vars, timezone, attempts, \
                         technical_streak, last_disposition, lease_until";
const RETURNING_PG: &str = "RETURNING contacts.id, contacts.campaign_id, contacts.name, contacts.phones, \
                            contacts.vars, contacts.timezone, contacts.attempts, contacts.technical_streak, \
                            contacts.last_disposition, contacts.lease_until";

/// Binds: $1 owner, $2 lease_until, $3 now(ms, updated_at), $4 campaign, $5 zone, $6 due-before,
/// $7 limit.
fn claim_sql(postgres: bool) -> String {
    let pick = "SELECT id FROM contacts WHERE campaign_id = $4 AND status = 'pending' \
                AND timezone = $5 AND next_attempt_at <= $6 \
                AND EXISTS (SELECT 1 FROM campaigns WHERE id = $4 AND status = 'running') \
                ORDER BY next_attempt_at LIMIT $7";
    if postgres {
        format!(
            "WITH picked AS ({pick} FOR UPDATE SKIP LOCKED) \
             UPDATE contacts SET status = 'dialing', lease_owner = $1, lease_until = $2, updated_at = $3, \
             deferred_from = NULL FROM picked WHERE contacts.id = picked.id {RETURNING_PG}"
        )
    } else {
        format!(
            "UPDATE contacts SET status = 'dialing', lease_owner = $1, lease_until = $2, updated_at = $3, \
             deferred_from = NULL WHERE id IN ({pick}) {RETURNING}"
        )
    }
}

impl Store {
    /// Leases up to `limit` pending contacts of a RUNNING campaign whose `next_attempt_at <= now`
    /// and whose timezone is in `open_zones` (zones in the order given, earliest due first within
    /// a zone). Leased contacts become `dialing` with `lease_owner = owner`. Atomic: two owners
    /// never get the same contact.
    pub async fn claim_due(
        &self,
        campaign_id: i64,
        now: DateTime<Utc>,
        open_zones: &[String],
        limit: u32,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<ClaimedContact>> {
        if limit == 0 || open_zones.is_empty() {
            return Ok(Vec::new());
        }
        let sql = claim_sql(self.is_postgres());
        let rows: Vec<ClaimRow> = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut rows: Vec<ClaimRow> = Vec::new();
            for zone in open_zones {
                let room = i64::from(limit) - rows.len() as i64;
                if room <= 0 {
                    break;
                }
                let mut got: Vec<ClaimRow> = sqlx::query_as(&sql)
                    .bind(owner).bind(ms(lease_until)).bind(ms(now)).bind(campaign_id)
                    .bind(zone).bind(ms(now)).bind(room)
                    .fetch_all(&mut *tx).await?;
                rows.append(&mut got);
            }
            tx.commit().await?;
            rows
        });
        rows.into_iter().map(ClaimRow::into_claimed).collect()
    }

    /// Pushes due pending contacts of a closed zone to `until` (its next opening), keeping the
    /// time each was due in `deferred_from` for a re-plan ([`super::Change::replan_deferred`]).
    /// Returns how many. Only while the campaign runs under `definition`, the text whose
    /// windows gave `until`: a pass that read the definition before a `campaign update` (which
    /// re-plans deferred contacts) must not defer them again by the old windows.
    pub async fn defer_zone(
        &self,
        campaign_id: i64,
        zone: &str,
        until: DateTime<Utc>,
        definition: &str,
    ) -> Result<u64> {
        let sql = "UPDATE contacts SET deferred_from = COALESCE(deferred_from, next_attempt_at), next_attempt_at = $1 \
                   WHERE campaign_id = $2 AND status = 'pending' AND timezone = $3 AND next_attempt_at < $1 \
                   AND EXISTS (SELECT 1 FROM campaigns WHERE id = $2 AND status = 'running' AND definition = $4)";
        let n = with_pool!(self, p => {
            sqlx::query(sql).bind(ms(until)).bind(campaign_id).bind(zone).bind(definition)
                .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n)
    }

    /// The zones the campaign's contacts live in.
    pub async fn campaign_zones(&self, campaign_id: i64) -> Result<Vec<String>> {
        let sql = "SELECT timezone FROM campaign_zones WHERE campaign_id = $1 ORDER BY timezone";
        let rows: Vec<(String,)> =
            with_pool!(self, p => sqlx::query_as(sql).bind(campaign_id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(|(z,)| z).collect())
    }

    /// The earliest `next_attempt_at` among pending contacts of the campaign in `zone`.
    pub async fn next_due_at(&self, campaign_id: i64, zone: &str) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT MIN(next_attempt_at) FROM contacts \
                   WHERE campaign_id = $1 AND status = 'pending' AND timezone = $2";
        let row: (Option<i64>,) = with_pool!(self, p => {
            sqlx::query_as(sql).bind(campaign_id).bind(zone).fetch_one(p).await
        })?;
        Ok(row.0.map(from_ms))
    }

    /// Moves the lease of contacts this owner holds to `until`. Returns how many it still holds.
    pub async fn extend_leases(
        &self,
        owner: &str,
        contact_ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<u64> {
        let mut total = 0;
        for chunk in contact_ids.chunks(500) {
            let sql = format!(
                "UPDATE contacts SET lease_until = {} WHERE lease_owner = {} AND status = 'dialing' \
                 AND id IN ({})",
                self.param(1),
                self.param(2),
                self.params(3, chunk.len())
            );
            total += with_pool!(self, p => {
                let mut q = sqlx::query(&sql).bind(ms(until)).bind(owner);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(p).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(total)
    }

    /// How many of a campaign's contacts are leased now (claimed or in a call, by any dialer).
    pub async fn dialing_count(&self, campaign_id: i64) -> Result<u64> {
        let sql = "SELECT COUNT(*) FROM contacts WHERE campaign_id = $1 AND status = 'dialing'";
        let (n,): (i64,) =
            with_pool!(self, p => sqlx::query_as(sql).bind(campaign_id).fetch_one(p).await)?;
        Ok(n.max(0) as u64)
    }

    /// Contacts whose lease ended before `now` and that have no open attempt go back to pending
    /// (due as they were). Contacts with an open attempt are left for reconciliation. Returns how
    /// many were released.
    pub async fn release_expired_leases(&self, now: DateTime<Utc>) -> Result<u64> {
        self.release_unstarted("lease_until < $1", now, "").await
    }

    /// At a dialer's start: contacts its owner name still leases with no open attempt were
    /// claimed by its previous life (killed before their calls started) and go back to pending
    /// at once instead of after the lease. Returns how many.
    pub async fn release_own_leases(&self, owner: &str, now: DateTime<Utc>) -> Result<u64> {
        self.release_unstarted("lease_owner = $2", now, owner).await
    }

    /// Releases the leased contacts with no open attempt that match `which` ($1 is `now`, $2
    /// `owner`).
    async fn release_unstarted(&self, which: &str, now: DateTime<Utc>, owner: &str) -> Result<u64> {
        let sql = format!(
            "UPDATE contacts SET status = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = $1 \
             WHERE status = 'dialing' AND {which} AND NOT EXISTS \
             (SELECT 1 FROM attempts a WHERE a.contact_id = contacts.id AND a.ended_at IS NULL)"
        );
        // The expired leases: a read first. The engine asks on every pass, and a write
        // statement takes SQLite's write lock even when it changes nothing (beside the API's and
        // the calls' writes).
        if owner.is_empty() {
            let probe =
                format!("SELECT 1 FROM contacts WHERE status = 'dialing' AND {which} LIMIT 1");
            let any: Option<i32> = with_pool!(self, p => {
                sqlx::query_scalar(&probe).bind(ms(now)).fetch_optional(p).await?
            });
            if any.is_none() {
                return Ok(0);
            }
        }
        let n = with_pool!(self, p => {
            let q = sqlx::query(&sql).bind(ms(now));
            let q = if owner.is_empty() { q } else { q.bind(owner) };
            q.execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n)
    }

    /// Gives a leased contact back without a finished call (no room after all, phone busy, do
    /// not call): `status` pending (due at `next_attempt_at`) or final. Fenced on the owner.
    pub async fn release_contact(
        &self,
        contact_id: i64,
        owner: &str,
        status: ContactStatus,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<()> {
        if status == ContactStatus::Dialing {
            return Err(StoreError::Invalid(
                "release a contact as pending, done or exhausted".into(),
            ));
        }
        let sql = "UPDATE contacts SET status = $1, next_attempt_at = $2, lease_owner = NULL, \
                   lease_until = NULL, updated_at = $2 \
                   WHERE id = $3 AND lease_owner = $4 AND status = 'dialing'";
        let n = with_pool!(self, p => {
            sqlx::query(sql).bind(status.as_str()).bind(ms(next_attempt_at)).bind(contact_id).bind(owner)
                .execute(p).await.map(|r| r.rows_affected())
        })?;
        if n == 0 {
            return Err(StoreError::LeaseLost { contact_id });
        }
        Ok(())
    }
}
