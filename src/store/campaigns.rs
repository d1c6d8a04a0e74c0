//! Campaign rows: create, read, status changes with their allowed transitions and reason,
//! definition edits, completion, counts for reports.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{from_ms, ms, parse_enum, with_pool, Result, Store, StoreError, WriteTx};
use crate::campaign::definition::CampaignDef;
use crate::campaign::record::CampaignHead;
use crate::campaign::record::CampaignRecord;
use crate::model::{CampaignStatus, ContactStatus, Disposition};

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    name: String,
    definition: String,
    timezone: String,
    status: String,
    status_reason: Option<String>,
    technical_streak: i64,
    created_at: i64,
    updated_at: i64,
}

const CAMPAIGN_COLUMNS: &str =
    "id, name, definition, timezone, status, status_reason, technical_streak, created_at, updated_at";

impl CampaignRow {
    /// The row of a direct read of [`CAMPAIGN_COLUMNS`].
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<CampaignRow> {
        Ok(CampaignRow {
            id: r.get(0)?,
            name: r.get(1)?,
            definition: r.get(2)?,
            timezone: r.get(3)?,
            status: r.get(4)?,
            status_reason: r.get(5)?,
            technical_streak: r.get(6)?,
            created_at: r.get(7)?,
            updated_at: r.get(8)?,
        })
    }

    fn into_head(self) -> Result<CampaignHead> {
        Ok(CampaignHead {
            id: self.id,
            name: self.name,
            status: parse_enum(&self.status)?,
            status_reason: self.status_reason,
            definition: self.definition,
            timezone: self.timezone,
            technical_streak: self.technical_streak.max(0) as u32,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
        })
    }
}

/// Definitions parsed lately, by campaign id, each with the stored text it was parsed from: a
/// campaign read again with the same text (the API's requests on one campaign) is not parsed
/// again. Parsing depends on the text alone, so a copy of an earlier parse is the same result.
/// Beside them, the head of each campaign as [`Store::campaign_by_name`] last read it.
#[derive(Default)]
pub(crate) struct Parsed {
    by_id: std::sync::Mutex<std::collections::HashMap<i64, (String, Arc<CampaignDef>)>>,
    by_name: std::sync::Mutex<std::collections::HashMap<String, CampaignHead>>,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Parsed")
    }
}

/// Campaigns whose definitions [`Parsed`] keeps at most (more are forgotten all at once).
const PARSED_KEPT: usize = 256;

impl Parsed {
    /// The record of `head`, its definition from the last parse of the same text or parsed now.
    fn record(&self, head: CampaignHead) -> Result<CampaignRecord> {
        let lock = || self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((text, def)) = lock().get(&head.id) {
            if *text == head.definition {
                return Ok(head.record(def.clone()));
            }
        }
        let def = Arc::new(
            head.parse()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let mut kept = lock();
        if kept.len() >= PARSED_KEPT {
            kept.clear();
        }
        kept.insert(head.id, (head.definition.clone(), def.clone()));
        Ok(head.record(def))
    }

    /// Keeps `head` as the last read of its campaign by name.
    fn read_by_name(&self, head: &CampaignHead) {
        let mut names = self.by_name.lock().unwrap_or_else(|p| p.into_inner());
        if names.len() >= PARSED_KEPT && !names.contains_key(&head.name) {
            names.clear();
        }
        names.insert(head.name.clone(), head.clone());
    }

    /// The record of the campaign named `name` as last read, and its definition's text.
    fn last_read(&self, name: &str) -> Option<(CampaignRecord, String)> {
        let head = self
            .by_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)?
            .clone();
        let by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        let (text, def) = by_id.get(&head.id)?;
        (*text == head.definition).then(|| (head.record(def.clone()), head.definition))
    }
}

impl Store {
    /// Stores a new campaign (status draft).
    pub async fn create_campaign(
        &self,
        def: &CampaignDef,
        now: DateTime<Utc>,
    ) -> Result<CampaignRecord> {
        let mut change = self.change(now).await?;
        let id = change.create_campaign(def).await?;
        change.commit().await?;
        self.campaign(id).await
    }

    /// The campaign with this id.
    pub async fn campaign(&self, id: i64) -> Result<CampaignRecord> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
        let row: Option<CampaignRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        self.parsed
            .record(row.ok_or(StoreError::NoCampaignId(id))?.into_head()?)
    }

    /// The campaign with this name.
    pub async fn campaign_by_name(&self, name: &str) -> Result<CampaignRecord> {
        let head = self.campaign_head_by_name(name).await?;
        self.parsed.read_by_name(&head);
        self.parsed.record(head)
    }

    /// The campaign named `name` as [`Store::campaign_by_name`] last read it in this process, and
    /// its definition's text, without reading it again (none when it was not read yet): for a
    /// change that checks in its own transaction that the campaign is still so
    /// (`campaign_unchanged`), where a read before it would cost more than the change.
    pub(crate) fn campaign_as_last_read(&self, name: &str) -> Option<(CampaignRecord, String)> {
        self.parsed.last_read(name)
    }

    /// Every campaign with its definition unparsed (the engine's pass: it parses a definition
    /// once per version, and one that no longer validates stops only its own campaign).
    pub async fn campaign_heads(&self) -> Result<Vec<CampaignHead>> {
        self.heads_where("archived_at IS NULL").await
    }

    /// The campaign with this name, its definition not parsed (cheap; for listings).
    pub async fn campaign_head_by_name(&self, name: &str) -> Result<CampaignHead> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE name = $1")
        });
        let direct = self.read_direct(|c| {
            use rusqlite::OptionalExtension;
            c.prepare_cached(&SQL)?
                .query_row([name], CampaignRow::from_direct)
                .optional()
        });
        let row: Option<CampaignRow> = match direct {
            Some(row) => row?,
            None => with_pool!(self, p => sqlx::query_as(&SQL).bind(name).fetch_optional(p).await)?,
        };
        row.ok_or_else(|| StoreError::NoSuchCampaign(name.to_string()))?
            .into_head()
    }

    /// The archived campaigns (never scheduled again), by id.
    pub async fn archived_campaign_heads(&self) -> Result<Vec<CampaignHead>> {
        self.heads_where("archived_at IS NOT NULL").await
    }

    async fn heads_where(&self, filter: &'static str) -> Result<Vec<CampaignHead>> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE {filter} ORDER BY id");
        let rows: Vec<CampaignRow> =
            with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?;
        rows.into_iter().map(CampaignRow::into_head).collect()
    }

    /// Archives a completed or cancelled campaign; false when it is in another status (nothing
    /// changes) or archived already.
    pub async fn archive_campaign(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let mut change = self.change(now).await?;
        let done = change.archive_campaign(id).await?;
        change.commit().await?;
        Ok(done)
    }

    /// The status and its reason, cheaply (the engine polls this).
    pub async fn campaign_status(&self, id: i64) -> Result<(CampaignStatus, Option<String>)> {
        let sql = "SELECT status, status_reason FROM campaigns WHERE id = $1";
        let row: Option<(String, Option<String>)> =
            with_pool!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await)?;
        let (status, reason) = row.ok_or(StoreError::NoCampaignId(id))?;
        Ok((parse_enum(&status)?, reason))
    }

    /// Changes the status if [`CampaignStatus::can_become`] allows it (see
    /// [`super::Change::set_campaign_status`]); `reason` is stored beside it (`None` clears it).
    /// Returns the status it had.
    pub async fn set_campaign_status(
        &self,
        id: i64,
        to: CampaignStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CampaignStatus> {
        let mut change = self.change(now).await?;
        let (from, _) = change.set_campaign_status(id, to, reason).await?;
        change.commit().await?;
        Ok(from)
    }

    /// Pauses every running or scheduled campaign with `reason`; returns their names.
    pub async fn pause_all(&self, reason: &str, now: DateTime<Utc>) -> Result<Vec<String>> {
        let mut change = self.change(now).await?;
        let names = change.pause_all(reason).await?;
        change.commit().await?;
        Ok(names)
    }

    /// May `current` take `def`? Its name must be the campaign's; schedule, limits and retry
    /// rules change only while draft, scheduled or paused, the script any time.
    pub fn check_edit(&self, current: &CampaignRecord, def: &CampaignDef) -> Result<()> {
        if def.name != current.name {
            return Err(StoreError::Invalid(format!(
                "the definition names `{}`, the campaign is `{}`",
                def.name, current.name
            )));
        }
        let editable = matches!(
            current.status,
            CampaignStatus::Draft | CampaignStatus::Scheduled | CampaignStatus::Paused
        );
        let mut only_script = CampaignDef::clone(&current.definition);
        only_script.script = def.script.clone();
        only_script.script_vars = def.script_vars.clone();
        only_script.import = def.import.clone();
        only_script.source = def.source.clone();
        if !editable && only_script != *def {
            return Err(StoreError::NotEditable {
                name: current.name.clone(),
                status: current.status,
            });
        }
        Ok(())
    }

    /// Replaces the definition. The name must stay; schedule, limits and retry may change only
    /// while draft, scheduled or paused; the script alone may change at any time.
    pub async fn update_definition(
        &self,
        id: i64,
        def: &CampaignDef,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.check_edit(&self.campaign(id).await?, def)?;
        let mut change = self.change(now).await?;
        change.set_definition(id, def).await?;
        change.commit().await?;
        Ok(())
    }

    /// Marks a running campaign completed when no contact is pending or dialing (unless it is
    /// kept open). Returns whether it did.
    pub async fn complete_if_done(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE campaigns SET status = 'completed', status_reason = NULL, updated_at = $1 \
                   WHERE id = $2 AND status = 'running' AND keep_open = 0 AND NOT EXISTS \
                   (SELECT 1 FROM contacts WHERE campaign_id = $2 AND status IN ('pending', 'dialing'))";
        let n = with_pool!(self, p => {
            sqlx::query(sql).bind(ms(now)).bind(id).execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// A cron re-run: every final contact becomes pending again with its attempts reset, due at
    /// `now`, and the campaign runs. Contacts being dialled are left alone. Returns how many.
    pub async fn rerun_campaign(&self, id: i64, now: DateTime<Utc>) -> Result<u64> {
        let reset = "UPDATE contacts SET status = 'pending', attempts = 0, technical_streak = 0, \
                     next_attempt_at = $1, updated_at = $1 \
                     WHERE campaign_id = $2 AND status IN ('done', 'exhausted')";
        let n = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(reset).bind(ms(now)).bind(id).execute(&mut *tx).await?.rows_affected();
            sqlx::query("UPDATE campaigns SET technical_streak = 0 WHERE id = $1")
                .bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(n)
        })?;
        self.set_campaign_status(id, CampaignStatus::Running, None, now)
            .await?;
        Ok(n)
    }

    /// Contacts by status, every status listed (zeros included).
    pub async fn contact_counts(&self, id: i64) -> Result<Vec<(ContactStatus, u64)>> {
        let sql = "SELECT status, COUNT(*) FROM contacts WHERE campaign_id = $1 GROUP BY status";
        let rows: Vec<(String, i64)> =
            with_pool!(self, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?;
        by_status(rows)
    }

    /// Finished attempts by disposition (only dispositions that occurred), most frequent first.
    pub async fn disposition_counts(&self, id: i64) -> Result<Vec<(Disposition, u64)>> {
        let sql = "SELECT disposition, COUNT(*) FROM attempts \
                   WHERE campaign_id = $1 AND disposition IS NOT NULL GROUP BY disposition";
        let rows: Vec<(String, i64)> =
            with_pool!(self, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?;
        by_disposition(rows)
    }

    /// Both counts of a campaign in one round trip: [`Store::contact_counts`] and
    /// [`Store::disposition_counts`].
    pub async fn campaign_counts(&self, id: i64) -> Result<CampaignCounts> {
        let sql =
            "SELECT 'c', status, COUNT(*) FROM contacts WHERE campaign_id = $1 GROUP BY status \
                   UNION ALL \
                   SELECT 'a', disposition, COUNT(*) FROM attempts \
                   WHERE campaign_id = $1 AND disposition IS NOT NULL GROUP BY disposition";
        let rows: Vec<(String, String, i64)> =
            with_pool!(self, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?;
        let (contacts, attempts): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.0 == "c");
        let pairs = |v: Vec<(String, String, i64)>| v.into_iter().map(|(_, k, n)| (k, n)).collect();
        Ok(CampaignCounts {
            contacts: by_status(pairs(contacts))?,
            attempts: by_disposition(pairs(attempts))?,
        })
    }
}

/// A campaign's contacts by status (every status) and attempts by disposition (those that
/// occurred, most frequent first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignCounts {
    pub contacts: Vec<(ContactStatus, u64)>,
    pub attempts: Vec<(Disposition, u64)>,
}

fn by_status(rows: Vec<(String, i64)>) -> Result<Vec<(ContactStatus, u64)>> {
    let mut out: Vec<(ContactStatus, u64)> = ContactStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for (status, n) in rows {
        let s: ContactStatus = parse_enum(&status)?;
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == s) {
            slot.1 = n.max(0) as u64;
        }
    }
    Ok(out)
}

fn by_disposition(rows: Vec<(String, i64)>) -> Result<Vec<(Disposition, u64)>> {
    let mut out = rows
        .into_iter()
        .map(|(d, n)| Ok((parse_enum::<Disposition>(&d)?, n.max(0) as u64)))
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
    Ok(out)
}
