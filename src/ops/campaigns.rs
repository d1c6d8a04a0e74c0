//! Campaign actions: check, create, update (edit rules by status), list, show, start, pause,
//! resume, stop, pause all. Status rules: a transition the model does not allow is a conflict
//! naming both states; only a paused campaign resumes.

use std::path::Path;

use chrono::{DateTime, Utc};

use serde_json::json;

use super::audit::record;
use super::{OpsError, Result};
use crate::campaign::definition::CampaignDef;
use crate::campaign::record::{CampaignHead, CampaignRecord};
use crate::model::{Actor, CampaignStatus, ContactStatus, Disposition};
use crate::store::Store;

/// A definition file, parsed and validated; nothing is written.
pub fn check(path: &Path) -> Result<CampaignDef> {
    CampaignDef::from_file(path).map_err(|e| OpsError::Invalid(e.to_string()))
}

/// A definition given as text (`source` names it in messages).
pub fn check_text(text: &str, source: &str) -> Result<CampaignDef> {
    CampaignDef::from_toml_str(text, source).map_err(|e| OpsError::Invalid(e.to_string()))
}

/// Creates a campaign (status draft).
pub async fn create(
    store: &Store,
    actor: &Actor,
    def: &CampaignDef,
    now: DateTime<Utc>,
) -> Result<CampaignRecord> {
    let mut change = store.change(now).await?;
    let id = change.create_campaign(def).await?;
    let after = json!({ "status": CampaignStatus::Draft, "definition": def.source });
    let object = format!("campaign:{}", def.name);
    record(
        &mut change,
        actor,
        "campaign.create",
        &object,
        None,
        Some(after),
    )
    .await?;
    change.commit().await?;
    Ok(store.campaign(id).await?)
}

/// Replaces a campaign's definition, found by the definition's name. Schedule, limits and
/// retry rules change only while draft, scheduled or paused; the script any time. A change of
/// when contacts may be called (schedule, windows, holidays, zone, local time) re-plans the
/// contacts a closed window had deferred, in the same transaction: they are due again as before
/// the deferral and wait only for the new windows. Returns the campaign and how many contacts
/// were re-planned.
pub async fn update(
    store: &Store,
    actor: &Actor,
    def: &CampaignDef,
    now: DateTime<Utc>,
) -> Result<(CampaignRecord, u64)> {
    let c = store.campaign_by_name(&def.name).await?;
    store.check_edit(&c, def)?;
    let mut change = store.change(now).await?;
    change.set_definition(c.id, def).await?;
    let old = &c.definition;
    let when_changed = old.schedule != def.schedule
        || old.timezone != def.timezone
        || old.subscriber_local_time != def.subscriber_local_time;
    let replanned = match when_changed {
        true => change.replan_deferred(c.id).await?,
        false => 0,
    };
    let object = format!("campaign:{}", c.name);
    let before = json!({ "definition": c.definition.source });
    let after = json!({ "definition": def.source, "replanned": replanned });
    let action = "campaign.update";
    record(
        &mut change,
        actor,
        action,
        &object,
        Some(before),
        Some(after),
    )
    .await?;
    change.commit().await?;
    Ok((store.campaign(c.id).await?, replanned))
}

/// A campaign with its contacts by status. The definition is not parsed, so a campaign whose
/// stored definition no longer validates is still listed (with the reason it was paused).
#[derive(Debug, Clone)]
pub struct Summary {
    pub campaign: CampaignHead,
    pub contacts: Vec<(ContactStatus, u64)>,
}

/// A campaign, its contacts by status and its attempts by disposition.
#[derive(Debug, Clone)]
pub struct Details {
    pub campaign: CampaignRecord,
    pub contacts: Vec<(ContactStatus, u64)>,
    pub attempts: Vec<(Disposition, u64)>,
}

/// Every campaign with its contact counts (the archived ones only when asked).
pub async fn list(store: &Store) -> Result<Vec<Summary>> {
    list_of(store, false).await
}

/// The archived campaigns with their contact counts.
pub async fn list_archived(store: &Store) -> Result<Vec<Summary>> {
    list_of(store, true).await
}

async fn list_of(store: &Store, archived: bool) -> Result<Vec<Summary>> {
    let heads = if archived {
        store.archived_campaign_heads().await?
    } else {
        store.campaign_heads().await?
    };
    let mut out = Vec::new();
    for c in heads {
        let contacts = store.contact_counts(c.id).await?;
        out.push(Summary {
            campaign: c,
            contacts,
        });
    }
    Ok(out)
}

/// One campaign.
pub async fn show(store: &Store, name: &str) -> Result<Details> {
    let c = store.campaign_by_name(name).await?;
    let counts = store.campaign_counts(c.id).await?;
    Ok(Details {
        campaign: c,
        contacts: counts.contacts,
        attempts: counts.attempts,
    })
}

/// A campaign's stored head (definition not parsed, so cheap and shown even when it no longer
/// validates), its contacts by status and its attempts by disposition.
#[derive(Debug, Clone)]
pub struct Overview {
    pub campaign: CampaignHead,
    pub contacts: Vec<(ContactStatus, u64)>,
    pub attempts: Vec<(Disposition, u64)>,
}

/// One campaign, as the API shows it.
pub async fn overview(store: &Store, name: &str) -> Result<Overview> {
    let c = store.campaign_head_by_name(name).await?;
    let counts = store.campaign_counts(c.id).await?;
    Ok(Overview {
        campaign: c,
        contacts: counts.contacts,
        attempts: counts.attempts,
    })
}

/// A status change that happened (or was already so: `from == to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub name: String,
    pub from: CampaignStatus,
    pub to: CampaignStatus,
}

/// One status change, audited as `campaign.<action>` with the status and reason before and
/// after.
struct Change<'a> {
    action: &'static str,
    to: CampaignStatus,
    reason: Option<&'a str>,
}

async fn change(
    store: &Store,
    actor: &Actor,
    name: &str,
    what: Change<'_>,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let c = store.campaign_head_by_name(name).await?;
    let mut change = store.change(now).await?;
    let (from, before_reason) = change
        .set_campaign_status(c.id, what.to, what.reason)
        .await?;
    let object = format!("campaign:{}", c.name);
    let before = json!({ "status": from, "reason": before_reason });
    let after = json!({ "status": what.to, "reason": what.reason });
    let action = format!("campaign.{}", what.action);
    record(
        &mut change,
        actor,
        &action,
        &object,
        Some(before),
        Some(after),
    )
    .await?;
    change.commit().await?;
    Ok(Transition {
        name: c.name,
        from,
        to: what.to,
    })
}

/// Start (or restart) calling: draft, scheduled, paused or completed -> running, or ->
/// scheduled while the definition's `schedule.start` is still ahead (the engine moves it to
/// running at its start, [`start_when_due`]).
pub async fn start(
    store: &Store,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let c = store.campaign_by_name(name).await?;
    let to = status_on_start(c.definition.schedule.start, now);
    let what = Change {
        action: "start",
        to,
        reason: None,
    };
    change(store, actor, name, what, now).await
}

/// What `start` makes of a campaign whose schedule starts at `start`: scheduled until then,
/// running from then on (or without a start).
pub fn status_on_start(start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> CampaignStatus {
    match start {
        Some(at) if at > now => CampaignStatus::Scheduled,
        _ => CampaignStatus::Running,
    }
}

/// The engine's move of a scheduled campaign to running once its start has come; the one
/// place it is made. A campaign no longer scheduled (paused, stopped meanwhile) is left as it
/// is; `true` when it now runs.
pub async fn start_when_due(store: &Store, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let (status, _) = store.campaign_status(id).await?;
    if status != CampaignStatus::Scheduled {
        return Ok(false);
    }
    match store
        .set_campaign_status(id, CampaignStatus::Running, None, now)
        .await
    {
        Ok(_) => {
            tracing::info!(
                campaign_id = id,
                "scheduled start reached: campaign running"
            );
            Ok(true)
        }
        Err(crate::store::StoreError::BadTransition { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A pause's reason, trimmed; a blank one is refused.
fn pause_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OpsError::Invalid("a pause needs a reason".into()));
    }
    Ok(reason)
}

/// Stop placing new calls; live calls finish. The reason is shown beside the status.
pub async fn pause(
    store: &Store,
    actor: &Actor,
    name: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let reason = pause_reason(reason)?;
    let to = CampaignStatus::Paused;
    let what = Change {
        action: "pause",
        to,
        reason: Some(reason),
    };
    change(store, actor, name, what, now).await
}

/// Continue a paused campaign (only a paused one).
pub async fn resume(
    store: &Store,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let c = store.campaign_by_name(name).await?;
    if c.status != CampaignStatus::Paused {
        return Err(OpsError::Conflict(format!(
            "campaign `{name}` is {}; only a paused campaign can be resumed",
            c.status
        )));
    }
    // Paused before its start, it goes back to waiting for it.
    let to = status_on_start(c.definition.schedule.start, now);
    let what = Change {
        action: "resume",
        to,
        reason: None,
    };
    change(store, actor, name, what, now).await
}

/// Cancel the campaign for good (the engine hangs its live calls up).
pub async fn stop(
    store: &Store,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let to = CampaignStatus::Cancelled;
    let what = Change {
        action: "stop",
        to,
        reason: Some("stopped by hand"),
    };
    change(store, actor, name, what, now).await
}

/// Puts a completed or cancelled campaign away: it leaves the list and is never scheduled
/// again (a cron campaign included); its contacts and results stay readable.
pub async fn archive(store: &Store, actor: &Actor, name: &str, now: DateTime<Utc>) -> Result<()> {
    let c = store.campaign_head_by_name(name).await?;
    let mut change = store.change(now).await?;
    if !change.archive_campaign(c.id).await? {
        return Err(OpsError::Conflict(format!(
            "campaign `{name}` is {}; only a completed or cancelled campaign can be archived (stop it first), and only once",
            c.status
        )));
    }
    let object = format!("campaign:{}", c.name);
    let before = json!({ "status": c.status, "archived": false });
    let after = json!({ "status": c.status, "archived": true });
    let action = "campaign.archive";
    record(
        &mut change,
        actor,
        action,
        &object,
        Some(before),
        Some(after),
    )
    .await?;
    change.commit().await?;
    Ok(())
}

/// Pauses every running or scheduled campaign; their names.
pub async fn pause_all(
    store: &Store,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let reason = pause_reason(reason)?;
    let mut change = store.change(now).await?;
    let names = change.pause_all(reason).await?;
    let after = json!({ "paused": names, "reason": reason });
    let action = "campaign.pause_all";
    record(&mut change, actor, action, "campaigns", None, Some(after)).await?;
    change.commit().await?;
    Ok(names)
}

/// Pauses a campaign on the engine's own finding (technical errors in a row, a misconfigured
/// script; `reason` says so, "paused automatically: …"); the one place automatic pauses are
/// made. A campaign that is not running or scheduled any more is left as it is.
pub async fn pause_automatically(
    store: &Store,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (status, _) = store.campaign_status(id).await?;
    if status != CampaignStatus::Running && status != CampaignStatus::Scheduled {
        return Ok(false);
    }
    match store
        .set_campaign_status(id, CampaignStatus::Paused, Some(reason), now)
        .await
    {
        Ok(_) => {
            tracing::warn!(campaign_id = id, %reason, "campaign paused");
            Ok(true)
        }
        Err(crate::store::StoreError::BadTransition { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
