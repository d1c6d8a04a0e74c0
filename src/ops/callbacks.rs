//! Callback jobs as user actions (the API's `POST /callbacks` and `outcall callback`): add
//! (checked, idempotent on the client's key, due at its time inside the working hours), show with
//! the leg log, list, cancel. Every change is audited.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::audit::{entry, record};
use super::{OpsError, Result};
use crate::callback::record::{CallbackRecord, LegRecord};
use crate::callback::{CallbackRequest, CallbackSpec, JobState};
use crate::import::phone::PhoneNormalizer;
use crate::model::Actor;
use crate::store::{DirectChange, NewCallback, Store};

/// Accepts a job: checked (errors name the field), stored due at its `at` (default now) moved
/// into the working hours. With an idempotency key already used: the stored job and `false`;
/// the same key with a different request is a conflict.
pub async fn add(
    store: &Store,
    actor: &Actor,
    country: &str,
    req: &CallbackRequest,
    now: DateTime<Utc>,
) -> Result<(CallbackRecord, bool)> {
    let norm = PhoneNormalizer::new(country).map_err(OpsError::Invalid)?;
    let spec = req
        .check(&|p: &str| norm.normalize(p))
        .map_err(OpsError::Invalid)?;
    let earliest = spec.at.map_or(now, |t| t.max(now));
    let due = spec
        .due_at(earliest)
        .ok_or_else(|| OpsError::Invalid("working_hours: the windows never open".into()))?;
    let new = NewCallback {
        key: req.idempotency_key.as_deref(),
        spec: &spec,
        due,
        created_by: &actor.name,
    };
    let known = |rec: CallbackRecord| {
        if rec.spec != spec {
            return Err(OpsError::Conflict(format!(
                "idempotency_key: already used by callback #{} with a different request",
                rec.id
            )));
        }
        Ok((rec, false))
    };
    // A repeat is answered from the stored job: the insert is skipped when the key is stored
    // (no id used up), or refused by the unique key when a request with it won the race.
    let Some(rec) = insert(store, actor, &new, now).await? else {
        let rec = store.callback_by_key(new.key).await?.ok_or_else(|| {
            OpsError::Conflict("idempotency_key: a request with this key is being stored".into())
        })?;
        return known(rec);
    };
    Ok((rec, true))
}

/// Stores a new job with its audit entry as one change (the store's group commit); none when
/// a job with its key exists (nothing written).
async fn insert(
    store: &Store,
    actor: &Actor,
    new: &NewCallback<'_>,
    now: DateTime<Utc>,
) -> Result<Option<CallbackRecord>> {
    let (key, spec, due) = (new.key.map(str::to_string), new.spec.clone(), new.due);
    let actor = actor.clone();
    // On a SQLite file, as a direct change (one that never declines); elsewhere through sqlx.
    let (k, s, a) = (key.clone(), spec.clone(), actor.clone());
    let direct = move |change: &mut DirectChange<'_>| {
        let new = NewCallback {
            key: k.as_deref(),
            spec: &s,
            due,
            created_by: &a.name,
        };
        let Some(rec) = change.callback_insert(&new)? else {
            return Ok(Some(None));
        };
        let (after, object) = added(&rec, &s, due);
        change.audit(&entry(&a, "callback.add", &object, None, Some(after)))?;
        Ok::<_, OpsError>(Some(Some(rec)))
    };
    store
        .write_either(now, direct, move |change| {
            Box::pin(async move {
                let new = NewCallback {
                    key: key.as_deref(),
                    spec: &spec,
                    due,
                    created_by: &actor.name,
                };
                let Some(rec) = change.callback_insert(&new).await? else {
                    return Ok(None);
                };
                let (after, object) = added(&rec, &spec, due);
                record(change, &actor, "callback.add", &object, None, Some(after)).await?;
                Ok::<_, OpsError>(Some(rec))
            })
        })
        .await
}

/// The audit entry of an added job: what it records, and the object.
fn added(
    rec: &CallbackRecord,
    spec: &CallbackSpec,
    due: DateTime<Utc>,
) -> (serde_json::Value, String) {
    let after =
        json!({ "id": rec.id, "client": spec.client, "managers": spec.managers, "due": due });
    (after, format!("callback:{}", rec.id))
}

/// A job with its legs.
pub async fn show(store: &Store, id: i64) -> Result<(CallbackRecord, Vec<LegRecord>)> {
    let rec = store
        .callback(id)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("no callback #{id}")))?;
    let legs = store.callback_legs(id).await?;
    Ok((rec, legs))
}

/// A page of jobs after id `after` (oldest first), optionally in one state.
pub async fn list(
    store: &Store,
    after: i64,
    limit: u32,
    state: Option<JobState>,
) -> Result<Vec<CallbackRecord>> {
    Ok(store
        .callbacks_page(after, limit.clamp(1, 1000), state)
        .await?)
}

/// Cancels a job: pending ones end (status cancelled), a running one's live call finishes and
/// no recall follows. A job already done is a conflict.
pub async fn cancel(
    store: &Store,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<CallbackRecord> {
    let (before, _) = show(store, id).await?;
    if before.state == JobState::Done {
        return Err(OpsError::Conflict(format!(
            "callback #{id} is already over (status {})",
            before.status
        )));
    }
    let mut change = store.change(now).await?;
    change.callback_cancel(id).await?;
    let b = json!({ "state": before.state, "status": before.status });
    let a = json!({ "action": "cancel", "recalls_cancelled": true });
    let object = format!("callback:{id}");
    record(
        &mut change,
        actor,
        "callback.cancel",
        &object,
        Some(b),
        Some(a),
    )
    .await?;
    change.commit().await?;
    let (after, _) = show(store, id).await?;
    Ok(after)
}
