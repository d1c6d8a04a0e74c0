//! Contacts posted through the API as a direct change: rows that are all new to their campaign
//! are inserted, their zones recorded, the campaign reopened and the audit entry written, on the
//! group writer's direct connection. A row whose phone the campaign has already declines the
//! whole change (merging and conflicts are `ContactAdder::add_checked`'s, through sqlx). Also the
//! checks of a change built without reading first: the campaign unchanged, no phone listed.

use super::DirectChange;
use crate::model::NewContact;
use crate::store::access::NewAudit;
use crate::store::contact_writer::{json, REOPEN, ZONE_INSERT};
use crate::store::{ms, ContactAdder, Result};

/// One new contact; skipped when the campaign has its first phone.
const INSERT: &str = "INSERT INTO contacts (campaign_id, phone, phones, name, vars, timezone, \
     status, next_attempt_at, created_at, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?8) \
     ON CONFLICT (campaign_id, phone) DO NOTHING";

/// Whether the campaign `id` still holds the definition `text` and is not cancelled.
const UNCHANGED: &str = "SELECT 1 FROM campaigns WHERE id = ?1 AND definition = ?2 \
     AND status <> 'cancelled'";

/// Whether `phone` is on the do-not-call list.
const LISTED: &str = "SELECT 1 FROM dnc WHERE phone = ?1";

impl DirectChange<'_> {
    /// Whether campaign `id` is still as a read of it before this change found it (definition
    /// `text`, not cancelled), under this change's transaction: what a change built on that
    /// read, without reading it again, checks first.
    pub(crate) fn campaign_unchanged(&self, id: i64, text: &str) -> Result<bool> {
        Ok(self
            .conn()
            .prepare_cached(UNCHANGED)?
            .exists(rusqlite::params![id, text])?)
    }

    /// Whether none of `phones` is on the do-not-call list, under this change's transaction.
    pub(crate) fn none_listed<'p>(
        &self,
        phones: impl IntoIterator<Item = &'p str>,
    ) -> Result<bool> {
        let mut q = self.conn().prepare_cached(LISTED)?;
        for phone in phones {
            if q.exists([phone])? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl ContactAdder {
    /// Inserts `rows` (distinct first phones) as new pending contacts under `change`; `false`,
    /// with some inserted, when the campaign had one's first phone already: the change must then
    /// decline.
    pub(crate) fn add_new_direct(
        &mut self,
        change: &DirectChange<'_>,
        rows: &[NewContact],
    ) -> Result<bool> {
        let mut insert = change.conn().prepare_cached(INSERT)?;
        let (now, due) = (ms(self.now), ms(self.due));
        for r in rows {
            let zone = r.timezone.as_deref().unwrap_or(&self.campaign_tz);
            let inserted = insert.execute(rusqlite::params![
                self.campaign_id,
                r.phones[0],
                json(&r.phones),
                r.name,
                json(&r.vars),
                zone,
                due,
                now,
            ])?;
            if inserted == 0 {
                return Ok(false);
            }
            if !self.zones.contains(zone) {
                self.zones.insert(zone.to_string());
            }
            self.rows += 1;
        }
        Ok(true)
    }

    /// Records the new contacts' zones, reopens a completed campaign that got new contacts, and
    /// writes `entry`, under `change` (what `ContactAdder::finish` and `Change::audit` do).
    pub(crate) fn finish_direct(
        &self,
        change: &DirectChange<'_>,
        entry: Option<&NewAudit<'_>>,
    ) -> Result<()> {
        let conn = change.conn();
        let recorded = self.store.zones.of(self.campaign_id);
        for zone in self.zones.iter().filter(|z| !recorded.contains(*z)) {
            conn.prepare_cached(ZONE_INSERT)?
                .execute(rusqlite::params![self.campaign_id, zone])?;
        }
        if self.rows > 0 {
            static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                REOPEN.replace("$NOW", "?1").replace("$CAMPAIGN", "?2")
            });
            conn.prepare_cached(&SQL)?
                .execute(rusqlite::params![ms(self.now), self.campaign_id])?;
        }
        match entry {
            Some(e) => change.audit(e),
            None => Ok(()),
        }
    }
}
