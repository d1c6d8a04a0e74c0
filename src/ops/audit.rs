//! The audit log: every change made through the service layer is recorded here with who made
//! it, what, on which object, and the state before and after. Reading it is `outcall audit` and
//! `GET /audit`. Each entry is written in the transaction of the change it records. (The
//! engine's own automatic pauses are not user changes: they show in the
//! campaign's status reason.)

use super::Result;
use crate::model::{Actor, AuditEntry};
use crate::store::{AuditQuery, Change, NewAudit, Store};

/// Records one change inside its own transaction: the entry stands exactly when the change
/// does (the caller commits `change` after this).
pub(crate) async fn record(
    change: &mut Change,
    actor: &Actor,
    action: &str,
    object: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    Ok(change
        .audit(&entry(actor, action, object, before, after))
        .await?)
}

/// The audit entry of `actor`'s `action` on `object`.
pub(crate) fn entry<'a>(
    actor: &'a Actor,
    action: &'a str,
    object: &'a str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> NewAudit<'a> {
    NewAudit {
        actor: &actor.name,
        role: actor.role,
        action,
        object,
        before,
        after,
    }
}

/// A page of the log, oldest first, after entry `after_id`.
pub async fn page(store: &Store, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    Ok(store.audit_page(query).await?)
}
