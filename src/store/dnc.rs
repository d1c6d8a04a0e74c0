//! The do-not-call list: E.164 numbers never to be dialled, by any campaign.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::contact_writer::LOOKUP_CHUNK;
use super::{from_ms, with_pool, Result, Store};
use crate::model::DncEntry;

/// Phones [`Store::dnc_among`] looks up directly (more go as `IN` lists through sqlx).
const DIRECT_PHONES: usize = 64;

impl Store {
    /// Adds a number (E.164); returns false when it was already listed (its reason is kept).
    pub async fn dnc_add(&self, phone: &str, reason: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.dnc_add_many(&[phone.to_string()], reason, now).await? == 1)
    }

    /// Adds many numbers in one transaction; returns how many were new.
    pub async fn dnc_add_many(
        &self,
        phones: &[String],
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut change = self.change(now).await?;
        let added = change.dnc_add_many(phones, reason).await?;
        change.commit().await?;
        Ok(added)
    }

    /// Is this number listed?
    pub async fn dnc_contains(&self, phone: &str) -> Result<bool> {
        let (n,): (i64,) = with_pool!(self, p => {
            sqlx::query_as("SELECT COUNT(*) FROM dnc WHERE phone = $1").bind(phone).fetch_one(p).await
        })?;
        Ok(n > 0)
    }

    /// Which of `phones` (E.164) are listed.
    pub async fn dnc_among(&self, phones: &[String]) -> Result<HashSet<String>> {
        // A request's few phones: one indexed lookup each, here and now.
        if phones.len() <= DIRECT_PHONES {
            let direct = self.read_direct(|c| {
                let mut q = c.prepare_cached("SELECT 1 FROM dnc WHERE phone = ?1")?;
                let mut out = HashSet::new();
                for phone in phones {
                    if q.exists([phone])? {
                        out.insert(phone.clone());
                    }
                }
                Ok(out)
            });
            if let Some(found) = direct {
                return found;
            }
        }
        let mut out = HashSet::new();
        for chunk in phones.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT phone FROM dnc WHERE phone IN ({})",
                self.params(1, chunk.len())
            );
            let rows: Vec<(String,)> = with_pool!(self, p => {
                let mut q = sqlx::query_as(&sql);
                for phone in chunk {
                    q = q.bind(phone);
                }
                q.fetch_all(p).await
            })?;
            out.extend(rows.into_iter().map(|(phone,)| phone));
        }
        Ok(out)
    }

    /// The whole list, by number.
    pub async fn dnc_list(&self) -> Result<Vec<DncEntry>> {
        let rows: Vec<(String, String, i64)> = with_pool!(self, p => {
            sqlx::query_as("SELECT phone, reason, added_at FROM dnc ORDER BY phone").fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(phone, reason, at)| DncEntry {
                phone,
                reason,
                added_at: from_ms(at),
            })
            .collect())
    }
}
