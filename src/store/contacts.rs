//! Adding contacts (import): batched multi-row inserts, duplicates merged into the existing
//! contact, zones recorded, a completed campaign reopened. Reading contacts back.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{
    from_ms, ms, parse_enum, parse_json, with_pool, ContactRecord, NewContact, Result, Store,
    WriteTx,
};

/// Rows per multi-row INSERT (9 binds each; far below both backends' bind limits).
const INSERT_CHUNK: usize = 400;
/// Keys per `IN (...)` lookup.
const LOOKUP_CHUNK: usize = 500;

#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: i64,
    phone: String,
    phones: String,
    name: String,
    vars: String,
}

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

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

impl Store {
    /// Which of these duplicate keys (first callable phone, E.164) the campaign already has.
    pub async fn existing_keys(
        &self,
        campaign_id: i64,
        keys: &[String],
    ) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT phone FROM contacts WHERE campaign_id = {} AND phone IN ({})",
                self.param(1),
                self.params(2, chunk.len())
            );
            let rows: Vec<(String,)> = with_pool!(self, p => {
                let mut q = sqlx::query_as(&sql).bind(campaign_id);
                for k in chunk {
                    q = q.bind(k);
                }
                q.fetch_all(p).await
            })?;
            out.extend(rows.into_iter().map(|(k,)| k));
        }
        Ok(out)
    }

    /// Adds a batch in one transaction. Rows must have distinct first phones. A row whose first
    /// phone the campaign already has is merged into that contact ([`NewContact::merge`]); the
    /// others are inserted as pending, due at `due`, in their own zone or `campaign_tz`. Adding
    /// to a completed campaign reopens it (running). Returns, per row, whether it existed.
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
        let keys: Vec<String> = rows.iter().map(|r| r.phones[0].clone()).collect();
        let existed = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut existing: HashMap<String, ExistingRow> = HashMap::new();
            for chunk in keys.chunks(LOOKUP_CHUNK) {
                let sql = format!(
                    "SELECT id, phone, phones, name, vars FROM contacts WHERE campaign_id = {} AND phone IN ({})",
                    self.param(1),
                    self.params(2, chunk.len())
                );
                let mut q = sqlx::query_as::<_, ExistingRow>(&sql).bind(campaign_id);
                for k in chunk {
                    q = q.bind(k);
                }
                for row in q.fetch_all(&mut *tx).await? {
                    existing.insert(row.phone.clone(), row);
                }
            }
            let mut fresh: Vec<&NewContact> = Vec::new();
            let mut existed = Vec::with_capacity(rows.len());
            for row in rows {
                let Some(old) = existing.get(&row.phones[0]) else {
                    fresh.push(row);
                    existed.push(false);
                    continue;
                };
                existed.push(true);
                let mut merged = NewContact {
                    name: old.name.clone(),
                    phones: parse_json(&old.phones, "contact phones")?,
                    vars: parse_json::<BTreeMap<String, String>>(&old.vars, "contact vars")?,
                    timezone: None,
                };
                let before = merged.clone();
                merged.merge(row);
                if merged != before {
                    sqlx::query("UPDATE contacts SET phones = $1, vars = $2, name = $3, updated_at = $4 WHERE id = $5")
                        .bind(json(&merged.phones)).bind(json(&merged.vars)).bind(&merged.name)
                        .bind(ms(now)).bind(old.id)
                        .execute(&mut *tx).await?;
                }
            }
            for chunk in fresh.chunks(INSERT_CHUNK) {
                let sql = self.insert_sql(chunk.len());
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(campaign_id).bind(&r.phones[0]).bind(json(&r.phones)).bind(&r.name)
                        .bind(json(&r.vars)).bind(r.timezone.as_deref().unwrap_or(campaign_tz))
                        .bind(ms(due)).bind(ms(now)).bind(ms(now));
                }
                q.execute(&mut *tx).await?;
            }
            let zones: BTreeSet<&str> = fresh.iter().map(|r| r.timezone.as_deref().unwrap_or(campaign_tz)).collect();
            for zone in zones {
                sqlx::query("INSERT INTO campaign_zones (campaign_id, timezone) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(campaign_id).bind(zone).execute(&mut *tx).await?;
            }
            if !fresh.is_empty() {
                sqlx::query("UPDATE campaigns SET status = 'running', status_reason = NULL, updated_at = $1 \
                             WHERE id = $2 AND status = 'completed'")
                    .bind(ms(now)).bind(campaign_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            existed
        });
        Ok(existed)
    }

    /// A multi-row INSERT of `rows` contacts, 9 values each, bound row after row.
    fn insert_sql(&self, rows: usize) -> String {
        let values: Vec<String> = (0..rows)
            .map(|i| {
                let p: Vec<String> = self
                    .params(1 + i * 9, 9)
                    .split(", ")
                    .map(str::to_string)
                    .collect();
                format!(
                    "({}, {}, {}, {}, {}, {}, 'pending', {}, {}, {})",
                    p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
                )
            })
            .collect();
        format!(
            "INSERT INTO contacts (campaign_id, phone, phones, name, vars, timezone, status, \
             next_attempt_at, created_at, updated_at) VALUES {}",
            values.join(", ")
        )
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

const CONTACT_COLUMNS: &str = "id, campaign_id, name, phones, vars, timezone, status, attempts, \
                               technical_streak, next_attempt_at, last_disposition, lease_owner, lease_until";
