//! A change made by a person (through the CLI or the API) as one write transaction that also
//! holds its audit entry: [`Store::change`] opens it, the methods below make the change, and
//! [`Change::audit`] then [`Change::commit`] record and commit both, or neither. The store's own
//! methods of the same names (used by the engine and tests) are one-change transactions.

use chrono::{DateTime, Utc};

use super::access::{audit_bind, AUDIT_INSERT};
use super::contact_writer::REOPEN;
use super::txn::{last_result, with_txn, Txn};
use super::WriteTx;
use super::{is_unique_violation, ms, parse_enum, NewAudit, Pool, Result, Store, StoreError};
use super::{ContactAdder, RowFate};
use crate::campaign::definition::CampaignDef;
use crate::model::{CampaignStatus, NewContact, Role};

/// One open write transaction of a person's change (see the module docs). Dropping it rolls
/// everything back.
pub struct Change {
    pub(super) txn: Txn,
    pub(super) postgres: bool,
    pub(super) now: DateTime<Utc>,
}

impl Store {
    /// Opens a change stamped `now`.
    /// [`Store::write`] is the way for requests: it shares one transaction between concurrent
    /// changes on SQLite.
    pub async fn change(&self, now: DateTime<Utc>) -> Result<Change> {
        Change::begin(&self.pool, now).await
    }
}

impl Change {
    /// Opens a change stamped `now` on `pool`.
    pub(super) async fn begin(pool: &Pool, now: DateTime<Utc>) -> Result<Change> {
        let (txn, postgres) = match pool {
            Pool::Sqlite(p) => (Txn::sqlite(p.begin_write().await?), false),
            Pool::Postgres(p) => (Txn::Postgres(p.begin_write().await?), true),
        };
        Ok(Change { txn, postgres, now })
    }

    /// When the change happens.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Records `entry` with the change.
    pub async fn audit(&mut self, entry: &NewAudit<'_>) -> Result<()> {
        let now = self.now;
        with_txn!(&mut self.txn, c => {
            audit_bind(sqlx::query(AUDIT_INSERT), entry, now).execute(c).await?;
        });
        Ok(())
    }

    /// Adds a batch of contacts under this change ([`super::ContactWriter::add_checked`]'s rules);
    /// the fate of each row.
    pub async fn add_contacts(
        &mut self,
        adder: &mut ContactAdder,
        rows: &[NewContact],
        check: &[bool],
    ) -> Result<Vec<RowFate>> {
        adder.add_checked(&mut self.txn, rows, check).await
    }

    /// Records the zones of the contacts `adder` inserted and reopens their campaign if it was
    /// completed (once, after the last batch).
    pub async fn finish_contacts(&mut self, adder: &ContactAdder) -> Result<()> {
        adder.finish(&mut self.txn).await
    }

    /// [`Change::finish_contacts`], then [`Change::audit`] with `entry`. On SQLite, when there is
    /// no new zone to record, the audit entry and the campaign's reopening go as one statement
    /// string: one round trip to the connection instead of two.
    pub async fn finish_contacts_audited(
        &mut self,
        adder: &ContactAdder,
        entry: &NewAudit<'_>,
    ) -> Result<()> {
        let Txn::Sqlite(t) = &mut self.txn else {
            self.finish_contacts(adder).await?;
            return self.audit(entry).await;
        };
        if adder.rows == 0 || !adder.zones_recorded() {
            self.finish_contacts(adder).await?;
            return self.audit(entry).await;
        }
        // Built once: the audit entry's seven parameters, then the campaign ($8) and time ($9).
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let reopen = REOPEN.replace("$CAMPAIGN", "$8").replace("$NOW", "$9");
            format!("{AUDIT_INSERT}; {reopen}")
        });
        let (sql, c) = t.led(&SQL);
        let q = audit_bind(sqlx::query(&sql), entry, self.now)
            .bind(adder.campaign_id)
            .bind(ms(adder.now));
        last_result(c, q).await?;
        Ok(())
    }

    /// Commits the change and its audit entries.
    pub async fn commit(self) -> Result<()> {
        self.txn.commit().await?;
        Ok(())
    }

    /// Inserts a campaign (status draft); its id.
    pub async fn create_campaign(&mut self, def: &CampaignDef) -> Result<i64> {
        let sql = "INSERT INTO campaigns (name, definition, timezone, keep_open, status, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, 'draft', $5, $5) RETURNING id";
        let now = ms(self.now);
        let inserted: std::result::Result<(i64,), sqlx::Error> = with_txn!(&mut self.txn, c => {
            sqlx::query_as(sql)
                .bind(&def.name)
                .bind(&def.source)
                .bind(def.timezone.name())
                .bind(i64::from(def.keep_open))
                .bind(now)
                .fetch_one(c)
                .await
        });
        match inserted {
            Ok((id,)) => Ok(id),
            Err(e) if is_unique_violation(&e, "name") => {
                Err(StoreError::CampaignExists(def.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes a campaign's definition (the edit rules are the caller's).
    pub async fn set_definition(&mut self, id: i64, def: &CampaignDef) -> Result<()> {
        let sql = "UPDATE campaigns SET definition = $1, timezone = $2, keep_open = $3, updated_at = $4 WHERE id = $5";
        let now = ms(self.now);
        with_txn!(&mut self.txn, c => {
            sqlx::query(sql)
                .bind(&def.source)
                .bind(def.timezone.name())
                .bind(i64::from(def.keep_open))
                .bind(now)
                .bind(id)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Re-plans the campaign's contacts a closed window had deferred: each is due again when it
    /// was before the deferral, and the engine defers it anew under the current windows on its
    /// next pass. Returns how many.
    pub async fn replan_deferred(&mut self, campaign_id: i64) -> Result<u64> {
        let sql = "UPDATE contacts SET next_attempt_at = deferred_from, deferred_from = NULL, updated_at = $1 \
                   WHERE campaign_id = $2 AND status = 'pending' AND deferred_from IS NOT NULL";
        let now = ms(self.now);
        let n = with_txn!(&mut self.txn, c => {
            sqlx::query(sql).bind(now).bind(campaign_id).execute(c).await?.rows_affected()
        });
        Ok(n)
    }

    /// Changes the status if [`CampaignStatus::can_become`] allows it; `reason` is stored beside
    /// it (`None` clears it). The status and reason it had. The row is locked from the read to
    /// the write (SQLite's write transaction, PostgreSQL's `FOR UPDATE`).
    pub async fn set_campaign_status(
        &mut self,
        id: i64,
        to: CampaignStatus,
        reason: Option<&str>,
    ) -> Result<(CampaignStatus, Option<String>)> {
        let lock = if self.postgres { " FOR UPDATE" } else { "" };
        let read = format!("SELECT name, status, status_reason FROM campaigns WHERE id = $1{lock}");
        let row: Option<(String, String, Option<String>)> = with_txn!(&mut self.txn, c => {
            sqlx::query_as(&read).bind(id).fetch_optional(c).await?
        });
        let (name, from, before) = row.ok_or(StoreError::NoCampaignId(id))?;
        let from: CampaignStatus = parse_enum(&from)?;
        if !from.can_become(to) {
            return Err(StoreError::BadTransition { name, from, to });
        }
        let sql =
            "UPDATE campaigns SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4";
        let now = ms(self.now);
        with_txn!(&mut self.txn, c => {
            sqlx::query(sql).bind(to.as_str()).bind(reason).bind(now).bind(id)
                .execute(c).await?;
        });
        Ok((from, before))
    }

    /// Archives a completed or cancelled campaign; false when it is in another status (nothing
    /// changes) or archived already.
    pub async fn archive_campaign(&mut self, id: i64) -> Result<bool> {
        let sql = "UPDATE campaigns SET archived_at = $1, updated_at = $1 WHERE id = $2 \
                   AND archived_at IS NULL AND status IN ('completed', 'cancelled')";
        let now = ms(self.now);
        let n = with_txn!(&mut self.txn, c => {
            sqlx::query(sql).bind(now).bind(id).execute(c).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Pauses every running or scheduled campaign with `reason`; their names.
    pub async fn pause_all(&mut self, reason: &str) -> Result<Vec<String>> {
        let sql = "UPDATE campaigns SET status = 'paused', status_reason = $1, updated_at = $2 \
                   WHERE status IN ('running', 'scheduled') RETURNING name";
        let now = ms(self.now);
        let rows: Vec<(String,)> = with_txn!(&mut self.txn, c => {
            sqlx::query_as(sql).bind(reason).bind(now).fetch_all(c).await?
        });
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }

    /// Adds numbers to the do-not-call list; how many were new (a listed one keeps its reason).
    pub async fn dnc_add_many(&mut self, phones: &[String], reason: &str) -> Result<u64> {
        let sql = "INSERT INTO dnc (phone, reason, added_at) VALUES ($1, $2, $3) ON CONFLICT (phone) DO NOTHING";
        let now = ms(self.now);
        let mut added = 0;
        for phone in phones {
            added += with_txn!(&mut self.txn, c => {
                sqlx::query(sql).bind(phone).bind(reason).bind(now)
                    .execute(c).await?.rows_affected()
            });
        }
        Ok(added)
    }

    /// Removes a number from the do-not-call list; whether it was listed.
    pub async fn dnc_remove(&mut self, phone: &str) -> Result<bool> {
        let n = with_txn!(&mut self.txn, c => {
            sqlx::query("DELETE FROM dnc WHERE phone = $1").bind(phone).execute(c).await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Stores a token's hash under its name and role.
    pub async fn token_create(&mut self, name: &str, role: Role, hash: &str) -> Result<()> {
        let sql = "INSERT INTO api_tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4)";
        let now = ms(self.now);
        let r = with_txn!(&mut self.txn, c => {
            sqlx::query(sql).bind(name).bind(role.as_str()).bind(hash).bind(now)
                .execute(c).await.map(|_| ())
        });
        match r {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Invalid(
                format!("a token named `{name}` already exists (names stay taken after a revoke)"),
            )),
            other => Ok(other?),
        }
    }

    /// Revokes a token; false when there is no live token of that name.
    pub async fn token_revoke(&mut self, name: &str) -> Result<bool> {
        let sql = "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL";
        let now = ms(self.now);
        let n = with_txn!(&mut self.txn, c => {
            sqlx::query(sql).bind(now).bind(name).execute(c).await?.rows_affected()
        });
        Ok(n == 1)
    }
}
