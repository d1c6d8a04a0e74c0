//! Adding contacts batch after batch inside one write transaction: what an import holds while it
//! streams a file, committing when it chooses (the importer commits about once a second, so the
//! engine's writers wait at most that long and a crash loses at most the uncommitted batches,
//! which a re-import adds again).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::txn::{last_result, with_txn, Txn};
use super::{ms, parse_json, Result, Store, StoreError};
use crate::model::NewContact;

/// Rows per multi-row INSERT (9 binds each; far below both backends' bind limits).
const INSERT_CHUNK: usize = 400;
/// Keys per `IN (...)` lookup.
pub(super) const LOOKUP_CHUNK: usize = 500;

/// Binds each contact's 9 values in [`insert_sql`]'s order.
macro_rules! bind_rows {
    ($q:expr, $chunk:expr, $campaign_id:expr, $tz:expr, $due:expr, $now:expr) => {{
        let mut q = $q;
        for r in $chunk {
            q = q
                .bind($campaign_id)
                .bind(&r.phones[0])
                .bind(json(&r.phones))
                .bind(&r.name)
                .bind(json(&r.vars))
                .bind(r.timezone.as_deref().unwrap_or($tz))
                .bind($due)
                .bind($now)
                .bind($now);
        }
        q
    }};
}

/// What became of one row given to [`ContactWriter::add_checked`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowFate {
    /// Inserted as a new contact.
    New,
    /// Merged into the contact the campaign had with its first phone.
    Merged,
    /// The campaign has its first phone for another person (`name`): nothing changed.
    Conflict { name: String, why: String },
}

/// Contacts added to one campaign under one transaction ([`Store::contact_writer`]). Nothing is
/// visible to others until [`ContactWriter::commit`]; dropping it rolls back. On SQLite its
/// connection has a bigger page cache until the commit (`IMPORT_CACHE_KIB`).
pub struct ContactWriter {
    pub(super) txn: Txn,
    pub(super) adder: ContactAdder,
    /// On SQLite, after [`ContactWriter::commit_and_keep`]: the connection sits in an empty
    /// deferred transaction (no lock, no snapshot) until the next write takes the lock.
    pub(super) parked: bool,
}

/// Records that a campaign has contacts in a zone (`$1` the campaign, `$2` the zone).
pub(super) const ZONE_INSERT: &str =
    "INSERT INTO campaign_zones (campaign_id, timezone) VALUES ($1, $2) ON CONFLICT DO NOTHING";

/// Reopens a completed campaign that got new contacts (`$NOW` and `$CAMPAIGN` are replaced by
/// the parameter numbers of the string it goes into).
pub(super) const REOPEN: &str = "UPDATE campaigns SET status = 'running', status_reason = NULL, \
     updated_at = $NOW WHERE id = $CAMPAIGN AND status = 'completed'";

/// What adding contacts to one campaign keeps between batches of one transaction (the
/// transaction is a [`ContactWriter`]'s or a [`super::Change`]'s): where they go and what was
/// inserted.
#[derive(Clone)]
pub struct ContactAdder {
    pub(super) store: Store,
    pub(super) campaign_id: i64,
    pub(super) campaign_tz: String,
    pub(super) due: DateTime<Utc>,
    pub(super) now: DateTime<Utc>,
    /// Zones of the contacts inserted under this transaction.
    pub(super) zones: BTreeSet<String>,
    /// Contacts inserted under this transaction.
    pub(super) rows: u64,
}

#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: i64,
    phone: String,
    phones: String,
    name: String,
    vars: String,
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

impl ContactWriter {
    /// Adds a batch whose rows have distinct first phones. A row whose first phone the campaign
    /// already has is merged into that contact ([`NewContact::merge`]); the others are inserted
    /// as pending, due at the writer's `due`, in their own zone or the campaign's. Returns, per
    /// row, whether it existed.
    pub async fn add(&mut self, rows: &[NewContact]) -> Result<Vec<bool>> {
        let fates = self.add_checked(rows, &vec![false; rows.len()]).await?;
        Ok(fates.iter().map(|f| *f != RowFate::New).collect())
    }

    /// [`ContactWriter::add`], merging a row whose `check` flag is set into the contact it
    /// duplicates only when it names the same person ([`NewContact::conflict_with`], by name:
    /// a later list may update a person's values); a conflicting row changes nothing. The fate
    /// of each row.
    pub async fn add_checked(
        &mut self,
        rows: &[NewContact],
        check: &[bool],
    ) -> Result<Vec<RowFate>> {
        self.resume().await?;
        self.adder.add_checked(&mut self.txn, rows, check).await
    }

    /// Commits what was added so far (recording its zones, as [`ContactWriter::commit`] does)
    /// and keeps the connection for the next batches, holding no lock until the next write. An
    /// import's connection keeps its page cache (the phone index pages it just wrote, still
    /// valid while no other connection writes), where a new writer would take another pooled
    /// connection whose cache SQLite drops; and the import fills one connection's cache, not
    /// every pooled one's.
    pub async fn commit_and_keep(&mut self) -> Result<()> {
        self.resume().await?;
        self.adder.finish(&mut self.txn).await?;
        // sqlx holds this connection's transaction open until `commit` or a drop (which rolls
        // back): a transaction is always open under it, here a deferred one that takes nothing.
        with_txn!(&mut self.txn, c => {
            sqlx::query("COMMIT").execute(&mut *c).await?;
            sqlx::query("BEGIN").execute(&mut *c).await?;
        });
        self.adder.committed();
        self.parked = matches!(self.txn, Txn::Sqlite(_));
        Ok(())
    }

    /// Takes the write lock again after [`ContactWriter::commit_and_keep`] (SQLite's `BEGIN
    /// IMMEDIATE`: a write never fails on lock upgrade). On failure the connection is back in
    /// an empty deferred transaction, so a drop rolls back cleanly.
    async fn resume(&mut self) -> Result<()> {
        if !self.parked {
            return Ok(());
        }
        if let Txn::Sqlite(t) = &mut self.txn {
            let c = t.conn().await?;
            sqlx::query("COMMIT").execute(&mut *c).await?;
            if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await {
                sqlx::query("BEGIN").execute(&mut *c).await?;
                return Err(e.into());
            }
        }
        self.parked = false;
        Ok(())
    }

    /// Records `entry` in the audit log under this transaction: it stands or falls with the
    /// contacts it describes.
    pub async fn audit(&mut self, entry: &super::NewAudit<'_>) -> Result<()> {
        self.resume().await?;
        let now = self.adder.now;
        with_txn!(&mut self.txn, c => {
            super::access::audit_bind(sqlx::query(super::access::AUDIT_INSERT), entry, now).execute(c).await?;
        });
        Ok(())
    }

    /// Contacts inserted (not merged) since the writer was opened.
    pub fn inserted(&self) -> u64 {
        self.adder.rows
    }

    /// Records the new contacts' zones, reopens a completed campaign that got new contacts, and
    /// commits.
    pub async fn commit(mut self) -> Result<()> {
        // Parked, everything was committed already and the open transaction is empty.
        if !self.parked {
            self.adder.finish(&mut self.txn).await?;
        }
        if let Txn::Sqlite(t) = &mut self.txn {
            // Back to the pool's cache size: the pages over it are freed as they are let go.
            let sql = format!("PRAGMA cache_size = -{}", super::CACHE_KIB);
            sqlx::query(&sql).execute(t.conn().await?).await?;
        }
        self.txn.commit().await?;
        self.adder.committed();
        Ok(())
    }
}

impl ContactAdder {
    /// Adds a batch under `txn` as [`ContactWriter::add`] does, merging a row whose `check` flag is set into the contact it
    /// duplicates only when it names the same person ([`NewContact::conflict_with`], by name:
    /// a later list may update a person's values); a conflicting row changes nothing. The fate
    /// of each row.
    pub(crate) async fn add_checked(
        &mut self,
        txn: &mut Txn,
        rows: &[NewContact],
        check: &[bool],
    ) -> Result<Vec<RowFate>> {
        let store = self.store.clone();
        let store = &store;
        let campaign_id = self.campaign_id;
        let now = ms(self.now);
        let due = ms(self.due);
        // Insert first, skipping rows whose key the campaign has: one index probe per new row
        // (a lookup before the insert would make it two). What was skipped is merged below.
        let mut existed: Vec<bool> = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(INSERT_CHUNK) {
            let sql = insert_sql(store, chunk.len());
            let tz = self.campaign_tz.as_str();
            match &mut *txn {
                Txn::Sqlite(t) => {
                    // The group writer's savepoint for this change, if waiting, goes with it.
                    let (sql, c) = t.led(&sql);
                    let q = bind_rows!(sqlx::query(&sql), chunk, campaign_id, tz, due, now);
                    let done = last_result(c, q).await?;
                    let n = done.rows_affected() as usize;
                    if n == chunk.len() {
                        existed.extend(std::iter::repeat_n(false, n));
                        continue;
                    }
                    // Some rows were skipped. Holding the write lock, SQLite gave the inserted
                    // rows consecutive ids ending at the last insert rowid: older ids existed.
                    let first_new = done.last_insert_rowid() - n as i64 + 1;
                    let lookup = format!(
                        "SELECT phone, id FROM contacts WHERE campaign_id = ? AND phone IN ({})",
                        store.params(2, chunk.len())
                    );
                    let mut q = sqlx::query_as::<_, (String, i64)>(&lookup).bind(campaign_id);
                    for r in chunk {
                        q = q.bind(&r.phones[0]);
                    }
                    let ids: HashMap<String, i64> =
                        q.fetch_all(t.conn().await?).await?.into_iter().collect();
                    existed.extend(
                        chunk.iter().map(|r| {
                            n == 0 || ids.get(&r.phones[0]).is_none_or(|id| *id < first_new)
                        }),
                    );
                }
                Txn::Postgres(t) => {
                    let sql = format!("{sql} RETURNING phone");
                    let q = bind_rows!(sqlx::query(&sql), chunk, campaign_id, tz, due, now);
                    let inserted: HashSet<String> = q
                        .fetch_all(&mut **t)
                        .await?
                        .into_iter()
                        .map(|row| sqlx::Row::get::<String, _>(&row, 0))
                        .collect();
                    existed.extend(chunk.iter().map(|r| !inserted.contains(&r.phones[0])));
                }
            }
        }
        let inserted = existed.iter().filter(|e| !**e).count();
        let mut fates: Vec<RowFate> = existed
            .iter()
            .map(|e| if *e { RowFate::Merged } else { RowFate::New })
            .collect();
        let known: Vec<(usize, &NewContact)> = rows
            .iter()
            .enumerate()
            .zip(&existed)
            .filter(|(_, e)| **e)
            .map(|(r, _)| r)
            .collect();
        for chunk in known.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT id, phone, phones, name, vars FROM contacts WHERE campaign_id = {} AND phone IN ({})",
                store.param(1),
                store.params(2, chunk.len())
            );
            let found: Vec<ExistingRow> = with_txn!(&mut *txn, c => {
                let mut q = sqlx::query_as::<_, ExistingRow>(&sql).bind(campaign_id);
                for (_, r) in chunk {
                    q = q.bind(&r.phones[0]);
                }
                q.fetch_all(c).await?
            });
            let by_phone: HashMap<&str, &ExistingRow> =
                found.iter().map(|r| (r.phone.as_str(), r)).collect();
            for (i, row) in chunk {
                let Some(old) = by_phone.get(row.phones[0].as_str()) else {
                    return Err(StoreError::Invalid(format!(
                        "contact {} was neither inserted nor found",
                        row.phones[0]
                    )));
                };
                fates[*i] = merge_into(txn, old, row, check[*i], now).await?;
            }
        }
        for r in rows
            .iter()
            .zip(&existed)
            .filter(|(_, e)| !**e)
            .map(|(r, _)| r)
        {
            let zone = r.timezone.as_deref().unwrap_or(&self.campaign_tz);
            if !self.zones.contains(zone) {
                self.zones.insert(zone.to_string());
            }
        }
        self.rows += inserted as u64;
        Ok(fates)
    }

    /// Contacts inserted (not merged) under this transaction so far.
    pub fn inserted(&self) -> u64 {
        self.rows
    }

    /// Whether every zone of the contacts inserted so far is recorded already.
    pub(super) fn zones_recorded(&self) -> bool {
        let recorded = self.store.zones.of(self.campaign_id);
        self.zones.iter().all(|z| recorded.contains(z))
    }

    /// Call once the transaction has committed: its new contacts' zones are recorded in the
    /// database, and later transactions need not record them again.
    pub fn committed(&self) {
        self.store.zones.add(self.campaign_id, &self.zones);
    }

    /// Records the new contacts' zones and reopens a completed campaign that got new contacts
    /// (before the commit).
    pub(crate) async fn finish(&self, txn: &mut Txn) -> Result<()> {
        let campaign_id = self.campaign_id;
        let now = ms(self.now);
        let recorded = self.store.zones.of(campaign_id);
        for zone in self.zones.iter().filter(|z| !recorded.contains(*z)) {
            with_txn!(&mut *txn, c => {
                sqlx::query(ZONE_INSERT)
                    .bind(campaign_id).bind(zone).execute(c).await?;
            });
        }
        if self.rows > 0 {
            static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                REOPEN.replace("$NOW", "$1").replace("$CAMPAIGN", "$2")
            });
            with_txn!(&mut *txn, c => {
                sqlx::query(&SQL).bind(now).bind(campaign_id).execute(c).await?;
            });
        }
        Ok(())
    }
}

/// Merges a later row into the stored contact it duplicates (unless `check` and the row
/// names another person: [`RowFate::Conflict`]); writes only on a change.
async fn merge_into(
    txn: &mut Txn,
    old: &ExistingRow,
    row: &NewContact,
    check: bool,
    now: i64,
) -> Result<RowFate> {
    let mut merged = NewContact {
        name: old.name.clone(),
        phones: parse_json(&old.phones, "contact phones")?,
        vars: parse_json::<BTreeMap<String, String>>(&old.vars, "contact vars")?,
        timezone: None,
    };
    if let Some(why) = check.then(|| merged.conflict_with(row, false)).flatten() {
        return Ok(RowFate::Conflict {
            name: merged.name,
            why,
        });
    }
    let before = merged.clone();
    merged.merge(row);
    if merged != before {
        with_txn!(&mut *txn, c => {
            sqlx::query("UPDATE contacts SET phones = $1, vars = $2, name = $3, updated_at = $4 WHERE id = $5")
                .bind(json(&merged.phones)).bind(json(&merged.vars)).bind(&merged.name)
                .bind(now).bind(old.id)
                .execute(c).await?;
        });
    }
    Ok(RowFate::Merged)
}

/// A multi-row INSERT of `rows` contacts, 9 values each, bound row after row; rows whose key
/// the campaign has are skipped.
fn insert_sql(store: &Store, rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let p: Vec<String> = store
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
         next_attempt_at, created_at, updated_at) VALUES {} \
         ON CONFLICT (campaign_id, phone) DO NOTHING",
        values.join(", ")
    )
}
