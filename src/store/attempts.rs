//! Attempts (the CDR): opened before the originate, closed with the contact's new state in one
//! transaction fenced on the lease owner; open ones listed and adopted for crash reconciliation.

use chrono::{DateTime, Utc};

use super::caps::{check_cap, SharedCaps};
use super::in_call::{self, check_not_in_call};
use super::outbox::enqueue_in;
use super::{
    from_ms, is_unique_violation, ms, parse_enum, parse_json, with_pool, Result, Store, StoreError,
    WriteTx,
};
use crate::model::{
    AttemptRecord, AttemptResult, ContactUpdate, FinishOutcome, NewAttempt, NewDelivery,
    OpenAttempt,
};
use crate::model::{ContactStatus, Disposition};

/// Writes a finished call's result into its attempt row, inside the caller's transaction.
macro_rules! close_attempt {
    ($tx:ident, $r:expr, $tags:expr, $attempt_id:expr) => {
        sqlx::query(
            "UPDATE attempts SET answered_at = $1, ended_at = $2, hangup_cause = $3, sip_code = $4, \
             disposition = $5, billsec = $6, digits = $7, recording = $8, tags = $9, trace = $11 \
             WHERE id = $10",
        )
        .bind($r.answered_at.map(ms))
        .bind(ms($r.ended_at))
        .bind(&$r.hangup_cause)
        .bind($r.sip_code.map(i64::from))
        .bind($r.disposition.as_str())
        .bind(i64::from($r.billsec))
        .bind(&$r.digits)
        .bind(&$r.recording)
        .bind(&$tags)
        .bind($attempt_id)
        .bind(serde_json::to_string(&$r.trace).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *$tx)
        .await?;
    };
}

#[derive(sqlx::FromRow)]
struct OpenRow {
    id: i64,
    contact_id: i64,
    campaign_id: i64,
    uuid: String,
    phone: String,
    node: String,
    gateway: String,
    owner: String,
    started_at: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
}

/// An open attempt's columns (an [`OpenRow`]) with its contact's lease.
const OPEN_SELECT: &str = "SELECT a.id, a.contact_id, a.campaign_id, a.uuid, a.phone, a.node, \
    a.gateway, a.owner, a.started_at, c.lease_owner, c.lease_until \
    FROM attempts a JOIN contacts c ON c.id = a.contact_id";

impl OpenRow {
    fn into_open(self) -> OpenAttempt {
        OpenAttempt {
            attempt_id: self.id,
            contact_id: self.contact_id,
            campaign_id: self.campaign_id,
            uuid: self.uuid,
            phone: self.phone,
            node: self.node,
            gateway: self.gateway,
            owner: self.owner,
            started_at: from_ms(self.started_at),
            lease_owner: self.lease_owner,
            lease_until: self.lease_until.map(from_ms),
        }
    }
}

/// The CDR's columns (a [`CdrRow`]), each attempt with its contact's name; callers add the
/// `WHERE` and `ORDER BY`.
const CDR_SELECT: &str = "SELECT a.id, a.contact_id, c.name AS contact_name, a.uuid, a.phone, \
    a.node, a.gateway, a.started_at, a.answered_at, a.ended_at, a.hangup_cause, a.sip_code, \
    a.disposition, a.billsec, a.digits, a.recording, a.tags, a.trace \
    FROM attempts a JOIN contacts c ON c.id = a.contact_id";

#[derive(sqlx::FromRow)]
struct CdrRow {
    id: i64,
    contact_id: i64,
    contact_name: String,
    uuid: String,
    phone: String,
    node: String,
    gateway: String,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    hangup_cause: Option<String>,
    sip_code: Option<i64>,
    disposition: Option<String>,
    billsec: Option<i64>,
    digits: Option<String>,
    recording: Option<String>,
    tags: Option<String>,
    trace: Option<String>,
}

impl CdrRow {
    fn into_record(self) -> Result<AttemptRecord> {
        Ok(AttemptRecord {
            id: self.id,
            contact_id: self.contact_id,
            contact_name: self.contact_name,
            uuid: self.uuid,
            phone: self.phone,
            node: self.node,
            gateway: self.gateway,
            started_at: from_ms(self.started_at),
            answered_at: self.answered_at.map(from_ms),
            ended_at: self.ended_at.map(from_ms),
            hangup_cause: self.hangup_cause,
            sip_code: self.sip_code.and_then(|c| u16::try_from(c).ok()),
            disposition: self
                .disposition
                .as_deref()
                .map(parse_enum::<Disposition>)
                .transpose()?,
            billsec: self.billsec.and_then(|b| u32::try_from(b).ok()),
            digits: self.digits,
            recording: self.recording,
            tags: match self.tags {
                Some(t) => parse_json(&t, "attempt tags")?,
                None => Vec::new(),
            },
            trace: match self.trace {
                Some(t) => parse_json(&t, "attempt trace")?,
                None => Vec::new(),
            },
        })
    }
}

impl Store {
    /// Writes and commits the attempt row for a contact `owner` holds, before the originate,
    /// with the webhook deliveries that report it (`outbox`, call_start) in the same transaction.
    /// Errors: [`StoreError::PhoneBusy`] (the number has an open attempt, any campaign, or is in
    /// a live callback job: `store::in_call`),
    /// [`StoreError::DoNotCall`], [`StoreError::LeaseLost`], [`StoreError::DuplicateUuid`].
    pub async fn start_attempt(
        &self,
        contact_id: i64,
        owner: &str,
        a: &NewAttempt,
        outbox: &[NewDelivery],
    ) -> Result<i64> {
        self.start_attempt_capped(contact_id, owner, a, outbox, &SharedCaps::default())
            .await
    }

    /// [`Store::start_attempt`], refused with [`StoreError::CapFull`] (nothing written) when the
    /// campaign's or gateway's live attempts or recent starts, counted across every dialer in
    /// the same transaction, have reached `caps`.
    pub async fn start_attempt_capped(
        &self,
        contact_id: i64,
        owner: &str,
        a: &NewAttempt,
        outbox: &[NewDelivery],
        caps: &SharedCaps,
    ) -> Result<i64> {
        let dnc = "SELECT COUNT(*) FROM dnc WHERE phone = $1";
        let touch = "UPDATE contacts SET updated_at = $1 WHERE id = $2 AND lease_owner = $3 \
                     AND status = 'dialing' RETURNING campaign_id";
        let insert = "INSERT INTO attempts (campaign_id, contact_id, uuid, phone, node, gateway, owner, started_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        let inserted: std::result::Result<(i64,), sqlx::Error> = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let (listed,): (i64,) = sqlx::query_as(dnc).bind(&a.phone).fetch_one(&mut *tx).await?;
            if listed > 0 {
                return Err(StoreError::DoNotCall(a.phone.clone()));
            }
            let pg = self.is_postgres();
            check_not_in_call!(tx, pg, &[a.phone.as_str()], in_call::attempt_sql(pg));
            let campaign: Option<(i64,)> = sqlx::query_as(touch)
                .bind(ms(a.started_at)).bind(contact_id).bind(owner)
                .fetch_optional(&mut *tx).await?;
            let Some((campaign_id,)) = campaign else {
                return Err(StoreError::LeaseLost { contact_id });
            };
            if let Some(cap) = &caps.campaign {
                let lock = format!("campaign:{campaign_id}");
                check_cap!(self, tx, cap, false, campaign_id, &lock, a.started_at, "the campaign's");
            }
            if let Some((gateway, cap)) = &caps.gateway {
                let lock = format!("gateway:{gateway}");
                check_cap!(self, tx, cap, true, gateway, &lock, a.started_at, "the gateway's");
            }
            let row: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(insert)
                .bind(campaign_id).bind(contact_id).bind(&a.uuid).bind(&a.phone)
                .bind(&a.node).bind(&a.gateway).bind(owner).bind(ms(a.started_at))
                .fetch_one(&mut *tx).await;
            if let Ok((id,)) = row {
                enqueue_in!(tx, outbox, id, ms(a.started_at));
                tx.commit().await?;
            }
            row
        });
        match inserted {
            Ok((id,)) => Ok(id),
            Err(e) if is_unique_violation(&e, "phone") => {
                Err(StoreError::PhoneBusy(a.phone.clone()))
            }
            Err(e) if is_unique_violation(&e, "uuid") => {
                Err(StoreError::DuplicateUuid(a.uuid.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Closes the attempt and writes the contact's new state in one transaction, only while
    /// `owner` still holds the contact's lease (else [`StoreError::LeaseLost`], nothing changed).
    /// The contact's lease is cleared; the campaign's technical streak is counted; the webhook
    /// deliveries that report the result (`outbox`, call_end) are written in the same transaction.
    pub async fn finish_attempt(
        &self,
        attempt_id: i64,
        owner: &str,
        r: &AttemptResult,
        c: &ContactUpdate,
        outbox: &[NewDelivery],
    ) -> Result<FinishOutcome> {
        if c.status == ContactStatus::Dialing {
            return Err(StoreError::Invalid(
                "a finished contact is pending, done or exhausted".into(),
            ));
        }
        let contact = "UPDATE contacts SET status = $1, attempts = $2, technical_streak = $3, \
             next_attempt_at = COALESCE($4, next_attempt_at), last_disposition = $5, last_attempt_at = $6, \
             lease_owner = NULL, lease_until = NULL, updated_at = $6 \
             WHERE id = (SELECT contact_id FROM attempts WHERE id = $7 AND ended_at IS NULL) \
             AND lease_owner = $8 AND status = 'dialing' RETURNING id, campaign_id";
        let streak = "UPDATE campaigns SET technical_streak = CASE $1 WHEN 'count' \
             THEN technical_streak + 1 WHEN 'keep' THEN technical_streak ELSE 0 END \
             WHERE id = $2 RETURNING technical_streak";
        let tags = serde_json::to_string(&r.tags).unwrap_or_else(|_| "[]".into());
        let outcome = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let ids: Option<(i64, i64)> = sqlx::query_as(contact)
                .bind(c.status.as_str()).bind(i64::from(c.attempts)).bind(i64::from(c.technical_streak))
                .bind(c.next_attempt_at.map(ms)).bind(r.disposition.as_str()).bind(ms(r.ended_at))
                .bind(attempt_id).bind(owner)
                .fetch_optional(&mut *tx).await?;
            let Some((contact_id, campaign_id)) = ids else {
                drop(tx);
                return Err(self.why_not_finished(attempt_id).await);
            };
            close_attempt!(tx, r, tags, attempt_id);
            let (streak,): (i64,) = sqlx::query_as(streak)
                .bind(r.campaign_streak.as_str()).bind(campaign_id).fetch_one(&mut *tx).await?;
            enqueue_in!(tx, outbox, attempt_id, ms(r.ended_at));
            tx.commit().await?;
            FinishOutcome { contact_id, campaign_id, campaign_technical_streak: streak.max(0) as u32 }
        });
        Ok(outcome)
    }

    /// Closes an attempt row while its contact stays leased and dialing: one phone of a
    /// `sequential` contact did not answer and the next one is called in the same attempt.
    /// Fenced like [`Store::finish_attempt`]; the contact's retry state is left as it is.
    pub async fn finish_call_keep_lease(
        &self,
        attempt_id: i64,
        owner: &str,
        r: &AttemptResult,
        outbox: &[NewDelivery],
    ) -> Result<()> {
        let fence =
            "UPDATE contacts SET last_disposition = $1, last_attempt_at = $2, updated_at = $2 \
             WHERE id = (SELECT contact_id FROM attempts WHERE id = $3 AND ended_at IS NULL) \
             AND lease_owner = $4 AND status = 'dialing' RETURNING id";
        let tags = serde_json::to_string(&r.tags).unwrap_or_else(|_| "[]".into());
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: Option<(i64,)> = sqlx::query_as(fence)
                .bind(r.disposition.as_str()).bind(ms(r.ended_at)).bind(attempt_id).bind(owner)
                .fetch_optional(&mut *tx).await?;
            if id.is_none() {
                drop(tx);
                return Err(self.why_not_finished(attempt_id).await);
            }
            close_attempt!(tx, r, tags, attempt_id);
            enqueue_in!(tx, outbox, attempt_id, ms(r.ended_at));
            tx.commit().await?;
        });
        Ok(())
    }

    async fn why_not_finished(&self, attempt_id: i64) -> StoreError {
        let sql = "SELECT contact_id, ended_at FROM attempts WHERE id = $1";
        let row: std::result::Result<Option<(i64, Option<i64>)>, sqlx::Error> =
            with_pool!(self, p => sqlx::query_as(sql).bind(attempt_id).fetch_optional(p).await);
        match row {
            Ok(Some((contact_id, None))) => StoreError::LeaseLost { contact_id },
            Ok(_) => StoreError::AttemptNotOpen(attempt_id),
            Err(e) => e.into(),
        }
    }

    /// Every attempt still open (calls placed and not finished), oldest first.
    pub async fn open_attempts(&self) -> Result<Vec<OpenAttempt>> {
        let sql = format!("{OPEN_SELECT} WHERE a.ended_at IS NULL ORDER BY a.started_at, a.id");
        let rows: Vec<OpenRow> = with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?;
        Ok(rows.into_iter().map(OpenRow::into_open).collect())
    }

    /// Takes over the contact of an open attempt (crash recovery): allowed when its lease has
    /// expired (`lease_until < now`) or `owner` already holds it. Afterwards `owner` may finish it.
    pub async fn adopt_attempt(
        &self,
        attempt_id: i64,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<()> {
        let sql = "UPDATE contacts SET status = 'dialing', lease_owner = $1, lease_until = $2, updated_at = $3 \
                   WHERE id = (SELECT contact_id FROM attempts WHERE id = $4 AND ended_at IS NULL) \
                   AND (lease_owner = $1 OR lease_owner IS NULL OR lease_until IS NULL OR lease_until < $3)";
        let n = with_pool!(self, p => {
            sqlx::query(sql).bind(owner).bind(ms(lease_until)).bind(ms(now)).bind(attempt_id)
                .execute(p).await.map(|r| r.rows_affected())
        })?;
        if n == 1 {
            return Ok(());
        }
        Err(self.why_not_finished(attempt_id).await)
    }

    /// Open attempts that need reconciling by `owner`: those whose contact's lease has expired
    /// (their dialer died) or that `owner` holds (the caller skips its own live calls).
    pub async fn orphaned_attempts(
        &self,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<OpenAttempt>> {
        let sql = format!(
            "{OPEN_SELECT} WHERE a.ended_at IS NULL AND (c.lease_owner = $1 OR c.lease_owner IS NULL \
             OR c.lease_until IS NULL OR c.lease_until < $2) ORDER BY a.started_at, a.id"
        );
        let rows: Vec<OpenRow> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(owner).bind(ms(now)).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(OpenRow::into_open).collect())
    }

    /// The id of the attempt opened with this origination uuid, if its row was written (an
    /// attempt start whose reply was lost may still have been committed).
    pub async fn attempt_id_by_uuid(&self, uuid: &str) -> Result<Option<i64>> {
        let sql = "SELECT id FROM attempts WHERE uuid = $1";
        let row: Option<(i64,)> =
            with_pool!(self, p => sqlx::query_as(sql).bind(uuid).fetch_optional(p).await)?;
        Ok(row.map(|(id,)| id))
    }

    /// The CDR of a campaign, oldest first.
    pub async fn campaign_attempts(&self, campaign_id: i64) -> Result<Vec<AttemptRecord>> {
        let sql = format!("{CDR_SELECT} WHERE a.campaign_id = $1 ORDER BY a.started_at, a.id");
        let rows: Vec<CdrRow> =
            with_pool!(self, p => sqlx::query_as(&sql).bind(campaign_id).fetch_all(p).await)?;
        rows.into_iter().map(CdrRow::into_record).collect()
    }

    /// A page of a campaign's CDR in id order (`after_id` exclusive).
    pub async fn attempts_page(
        &self,
        campaign_id: i64,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>> {
        let sql =
            format!("{CDR_SELECT} WHERE a.campaign_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3");
        let rows: Vec<CdrRow> = with_pool!(self, p => {
            sqlx::query_as(&sql).bind(campaign_id).bind(after_id).bind(i64::from(limit)).fetch_all(p).await
        })?;
        rows.into_iter().map(CdrRow::into_record).collect()
    }

    /// The attempts of some contacts, in id order.
    pub async fn contact_attempts(&self, contact_ids: &[i64]) -> Result<Vec<AttemptRecord>> {
        let mut out = Vec::new();
        for chunk in contact_ids.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
            let sql = format!(
                "{CDR_SELECT} WHERE a.contact_id IN ({}) ORDER BY a.id",
                marks.join(", ")
            );
            let rows: Vec<CdrRow> = with_pool!(self, p => {
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await
            })?;
            for r in rows {
                out.push(r.into_record()?);
            }
        }
        Ok(out)
    }
}
