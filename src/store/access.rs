//! API tokens (kept as SHA-256 hashes, never the token) and the audit log of changes.

use chrono::{DateTime, Utc};

use super::{from_ms, ms, with_pool, Result, Store, StoreError};
use crate::model::{AuditEntry, Role, TokenInfo};

/// A change to record (see [`Store::audit`]).
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub actor: &'a str,
    pub role: Role,
    pub action: &'a str,
    pub object: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Filters of [`Store::audit_page`].
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Entries with an id above this one (pages go forward).
    pub after_id: i64,
    pub limit: i64,
    pub object: Option<String>,
    pub actor: Option<String>,
    /// Only entries with an id below this one (paging back from the newest).
    pub before_id: Option<i64>,
    /// Newest first (a log's latest page) instead of id order.
    pub newest_first: bool,
}

type TokenRow = (String, String, i64, Option<i64>, Option<i64>);
type AuditRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn role_of(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|e: String| StoreError::Corrupt(format!("api_tokens.role: {e}")))
}

fn token_info((name, role, created, revoked, used): TokenRow) -> Result<TokenInfo> {
    Ok(TokenInfo {
        name,
        role: role_of(&role)?,
        created_at: from_ms(created),
        revoked_at: revoked.map(from_ms),
        last_used: used.map(from_ms),
    })
}

pub(super) fn json_col(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

/// The INSERT of one audit entry, for any backend and any executor: `$1` its time, `$2`..`$7`
/// the entry ([`audit_bind`]).
pub(super) const AUDIT_INSERT: &str = "INSERT INTO audit_log (at, actor, role, action, object, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Binds [`AUDIT_INSERT`]'s seven parameters to `q` (a string that starts with it).
pub(super) fn audit_bind<'q, DB>(
    q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    entry: &NewAudit<'q>,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.bind(ms(now))
        .bind(entry.actor)
        .bind(entry.role.as_str())
        .bind(entry.action)
        .bind(entry.object)
        .bind(json_col(&entry.before))
        .bind(json_col(&entry.after))
}

impl Store {
    /// Stores a new token under a unique name; `hash` is the hex SHA-256 of the token.
    pub async fn token_create(
        &self,
        name: &str,
        role: Role,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut change = self.change(now).await?;
        change.token_create(name, role, hash).await?;
        change.commit().await
    }

    /// Every token, newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let sql =
            "SELECT name, role, created_at, revoked_at, last_used FROM api_tokens ORDER BY id DESC";
        let rows: Vec<TokenRow> = with_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await)?;
        rows.into_iter().map(token_info).collect()
    }

    /// The live (not revoked) token with this hash; marks it used at `now`.
    pub async fn token_by_hash(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<TokenInfo>> {
        let sql = "SELECT name, role, created_at, revoked_at, last_used FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL";
        let row: Option<TokenRow> =
            with_pool!(self, p => sqlx::query_as(sql).bind(hash).fetch_optional(p).await)?;
        let Some(row) = row else { return Ok(None) };
        // Last use to the second is enough, and spares a write per request.
        let stale = row.4.is_none_or(|t| ms(now) - t >= 1000);
        if stale {
            with_pool!(self, p => {
                sqlx::query("UPDATE api_tokens SET last_used = $1 WHERE hash = $2")
                    .bind(ms(now)).bind(hash).execute(p).await.map(|_| ())
            })?;
        }
        token_info(row).map(Some)
    }

    /// Revokes a token by name; false when there is no live token of that name.
    pub async fn token_revoke(&self, name: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut change = self.change(now).await?;
        let done = change.token_revoke(name).await?;
        change.commit().await?;
        Ok(done)
    }

    /// Appends one entry to the audit log.
    pub async fn audit(&self, entry: &NewAudit<'_>, now: DateTime<Utc>) -> Result<()> {
        with_pool!(self, p => audit_bind(sqlx::query(AUDIT_INSERT), entry, now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Audit entries in id order (or newest first), after `q.after_id` and below
    /// `q.before_id`, at most `q.limit`.
    pub async fn audit_page(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT id, at, actor, role, action, object, before, after FROM audit_log \
             WHERE id > $1 AND (CAST($2 AS TEXT) IS NULL OR object = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR actor = $3) \
             AND (CAST($5 AS BIGINT) IS NULL OR id < $5) \
             ORDER BY id {} LIMIT $4",
            if q.newest_first { "DESC" } else { "ASC" }
        );
        let rows: Vec<AuditRow> = with_pool!(self, p => {
            sqlx::query_as(&sql)
                .bind(q.after_id)
                .bind(q.object.as_deref())
                .bind(q.actor.as_deref())
                .bind(q.limit.clamp(1, 10_000))
                .bind(q.before_id)
                .fetch_all(p)
                .await
        })?;
        rows.into_iter()
            .map(|(id, at, actor, role, action, object, before, after)| {
                let parse = |v: Option<String>| -> Result<Option<serde_json::Value>> {
                    v.map(|s| {
                        serde_json::from_str(&s)
                            .map_err(|e| StoreError::Corrupt(format!("audit_log json: {e}")))
                    })
                    .transpose()
                };
                Ok(AuditEntry {
                    id,
                    at: from_ms(at),
                    actor,
                    role: role_of(&role)?,
                    action,
                    object,
                    before: parse(before)?,
                    after: parse(after)?,
                })
            })
            .collect()
    }
}
