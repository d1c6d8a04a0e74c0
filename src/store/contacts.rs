//! Adding contacts (one batch, or a [`ContactWriter`] for many), looking up which keys a
//! campaign already has, and reading contacts back.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::contact_writer::LOOKUP_CHUNK;
use super::txn::Txn;
use super::{
    from_ms, parse_enum, parse_json, with_pool, ContactAdder, ContactWriter, Pool, Result, Store,
    WriteTx,
};
use crate::model::{ContactRecord, NewContact};

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    campaign_id: i64,
    name: String,
    phones: String,
    vars: String,
    timezone: String,
    status: String,
    attempts: i64,
    technical_streak: i64,
    next_attempt_at: i64,
    last_disposition: Option<String>,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
}

impl ContactRow {
    fn into_record(self) -> Result<ContactRecord> {
        Ok(ContactRecord {
            id: self.id,
            campaign_id: self.campaign_id,
            name: self.name,
            phones: parse_json(&self.phones, "contact phones")?,
            vars: parse_json(&self.vars, "contact vars")?,
            timezone: self.timezone,
            status: parse_enum(&self.status)?,
            attempts: self.attempts.max(0) as u32,
            technical_streak: self.technical_streak.max(0) as u32,
            next_attempt_at: from_ms(self.next_attempt_at),
            last_disposition: self
                .last_disposition
                .as_deref()
                .map(parse_enum)
                .transpose()?,
            lease_owner: self.lease_owner,
            lease_until: self.lease_until.map(from_ms),
        })
    }
}

impl Store {
    /// The first phones among `keys` that the campaign has, with their contact's name.
    pub async fn existing_names(
        &self,
        campaign_id: i64,
        keys: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT phone, name FROM contacts WHERE campaign_id = {} AND phone IN ({})",
                self.param(1),
                self.params(2, chunk.len())
            );
            let rows: Vec<(String, String)> = with_pool!(self, p => {
                let mut q = sqlx::query_as(&sql).bind(campaign_id);
                for k in chunk {
                    q = q.bind(k);
                }
                q.fetch_all(p).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Adds a batch in one transaction. Rows must have distinct first phones. A row whose first
    /// phone the campaign already has is merged into that contact ([`NewContact::merge`]); the
    /// others are inserted as pending, due at `due`, in their own zone or `campaign_tz`. Adding
    /// to a completed campaign reopens it (running). Returns, per row, whether it existed.
    /// Imports that write many batches hold a [`ContactWriter`] instead.
    pub async fn add_contacts(
        &self,
        campaign_id: i64,
        campaign_tz: &str,
        rows: &[NewContact],
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut writer = self
            .contact_writer(campaign_id, campaign_tz, due, now)
            .await?;
        let existed = writer.add(rows).await?;
        writer.commit().await?;
        Ok(existed)
    }

    /// Opens a write transaction for adding contacts batch after batch ([`ContactWriter`]).
    pub async fn contact_writer(
        &self,
        campaign_id: i64,
        campaign_tz: &str,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ContactWriter> {
        let mut txn = match &self.pool {
            Pool::Sqlite(p) => Txn::sqlite(p.begin_write().await?),
            Pool::Postgres(p) => Txn::Postgres(p.begin_write().await?),
        };
        if let Txn::Sqlite(t) = &mut txn {
            let sql = format!("PRAGMA cache_size = -{}", super::IMPORT_CACHE_KIB);
            sqlx::query(&sql).execute(t.conn().await?).await?;
        }
        Ok(ContactWriter {
            txn,
            adder: self.contact_adder(campaign_id, campaign_tz, due, now),
            parked: false,
        })
    }

    /// What adding contacts to a campaign keeps under one transaction ([`ContactAdder`]; for
    /// a [`super::Change`], see [`super::Change::add_contacts`]).
    pub fn contact_adder(
        &self,
        campaign_id: i64,
        campaign_tz: &str,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> ContactAdder {
        ContactAdder {
            store: self.clone(),
            campaign_id,
            campaign_tz: campaign_tz.to_string(),
            due,
            now,
            zones: BTreeSet::new(),
            rows: 0,
        }
    }

    /// One contact.
    pub async fn contact(&self, id: i64) -> Result<Option<ContactRecord>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1");
        let row: Option<ContactRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(ContactRow::into_record).transpose()
    }

    /// A page of a campaign's contacts by id (`after_id` exclusive), for listings and tests.
    pub async fn contacts_page(
        &self,
        campaign_id: i64,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<ContactRecord>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE campaign_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        let rows: Vec<ContactRow> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(campaign_id).bind(after_id).bind(i64::from(limit)).fetch_all(p).await
        })?;
        rows.into_iter().map(ContactRow::into_record).collect()
    }
}

/// Filters of [`Store::contacts_search`].
#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    pub status: Option<crate::model::ContactStatus>,
    /// The last attempt's disposition.
    pub disposition: Option<crate::model::Disposition>,
    /// Digits the contact's first phone contains (any position).
    pub phone: Option<String>,
    pub after_id: i64,
    pub limit: u32,
}

impl Store {
    /// A page of a campaign's contacts matching `q`, by id.
    pub async fn contacts_search(
        &self,
        campaign_id: i64,
        q: &ContactQuery,
    ) -> Result<Vec<ContactRecord>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE campaign_id = $1 AND id > $2 \
             AND (CAST($3 AS TEXT) IS NULL OR status = $3) \
             AND (CAST($4 AS TEXT) IS NULL OR phone LIKE $4) \
             AND (CAST($6 AS TEXT) IS NULL OR last_disposition = $6) ORDER BY id LIMIT $5"
        );
        let like = q.phone.as_ref().map(|d| {
            let digits: String = d.chars().filter(char::is_ascii_digit).collect();
            format!("%{digits}%")
        });
        let status = q.status.map(|s| s.as_str());
        let rows: Vec<ContactRow> = with_pool!(self, p => {
            sqlx::query_as(&sql)
                .bind(campaign_id)
                .bind(q.after_id)
                .bind(status)
                .bind(like.as_deref())
                .bind(i64::from(q.limit.clamp(1, 10_000)))
                .bind(q.disposition.map(|d| d.as_str()))
                .fetch_all(p)
                .await
        })?;
        rows.into_iter().map(ContactRow::into_record).collect()
    }
}

impl Store {
    /// The contacts whose first phone is `phone` (E.164), in every campaign or in one.
    pub async fn contacts_by_phone(
        &self,
        phone: &str,
        campaign_id: Option<i64>,
    ) -> Result<Vec<ContactRecord>> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE phone = $1 \
             AND (CAST($2 AS BIGINT) IS NULL OR campaign_id = $2) ORDER BY id LIMIT 100"
        );
        let rows: Vec<ContactRow> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(phone).bind(campaign_id).fetch_all(p).await
        })?;
        rows.into_iter().map(ContactRow::into_record).collect()
    }
}

const CONTACT_COLUMNS: &str = "id, campaign_id, name, phones, vars, timezone, status, attempts, \
                               technical_streak, next_attempt_at, last_disposition, lease_owner, lease_until";
