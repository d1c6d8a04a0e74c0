//! "Why isn't it dialling": pure functions from a snapshot of a campaign (or a contact) to the
//! facts a person needs, ending in the blockers, most fundamental first. The snapshot is read
//! by `ops::why`; nothing here does I/O or reads a clock.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::call::retry::{is_final_success, is_never_retried, technical_backoff};
use crate::campaign::definition::CampaignDef;
use crate::campaign::zone_set;
use crate::model::recall::recall_wait;
use crate::model::{duration_text, CampaignStatus, ContactRecord, ContactStatus, Disposition};
use crate::store::ZoneDue;

#[path = "explain_contact.rs"]
mod contact;
pub use contact::{explain_contact, ContactSnapshot, ContactWhy, OpenCall};

/// A cap level and its use, as the snapshot saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CapUse {
    /// `campaign lines`, `gateway trunk1 lines`, `node fs1 sessions`, `all calls of a dialer`.
    pub level: String,
    pub in_use: u32,
    /// None: no cap at this level.
    pub limit: Option<u32>,
    /// This level has the least room: it decides how many calls start now.
    pub binds: bool,
}

/// A switch and whether it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SwitchState {
    pub name: String,
    /// None: not known from here (no engine in this process and no probe answered).
    pub up: Option<bool>,
}

/// What `campaign why` reads.
#[derive(Debug, Clone)]
pub struct CampaignSnapshot<'a> {
    pub def: &'a CampaignDef,
    pub status: CampaignStatus,
    pub status_reason: Option<String>,
    pub technical_streak: u32,
    pub last_technical: Option<(String, DateTime<Utc>)>,
    /// Pending contacts by zone group.
    pub zones: Vec<ZoneDue>,
    /// Final contacts (done or exhausted) and those being dialled now.
    pub finished: u64,
    pub dialing: u64,
    /// Cap levels with their use (see [`CapUse`]; `binds` is worked out here).
    pub caps: Vec<CapUse>,
    pub switches: Vec<SwitchState>,
    pub now: DateTime<Utc>,
}

/// One zone group of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ZoneWhy {
    pub zone: String,
    /// The window is open now (in every zone of the group).
    pub open: bool,
    /// When it opens next (now when open); None: never again.
    pub next_open: Option<DateTime<Utc>>,
    pub pending: u64,
    /// Due now (whatever the window).
    pub due: u64,
    pub next_due: Option<DateTime<Utc>>,
}

/// The facts of `campaign why`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CampaignWhy {
    pub campaign: String,
    pub status: String,
    pub reason: Option<String>,
    /// Calls can start now.
    pub dialling: bool,
    /// Why nothing (more) starts now, most fundamental first; empty when it dials.
    pub blockers: Vec<String>,
    pub zones: Vec<ZoneWhy>,
    /// Contacts due now in an open window: what would be dialled with room.
    pub callable_now: u64,
    /// When the next pending contact is due (in any zone group).
    pub next_due: Option<DateTime<Utc>>,
    pub dialing_now: u64,
    pub caps: Vec<CapUse>,
    pub switches: Vec<SwitchState>,
    pub technical_streak: u32,
    /// The streak that pauses the campaign (`retry.pause_after_technical_errors`).
    pub pause_after: u32,
    pub last_technical_cause: Option<String>,
    pub last_technical_at: Option<DateTime<Utc>>,
}

/// The zones a key is read in: its own with subscriber local time, else the campaign's.
pub(crate) fn zones_of(def: &CampaignDef, key: &str) -> Vec<chrono_tz::Tz> {
    match def.subscriber_local_time {
        true => zone_set::parse(key).unwrap_or_else(|| vec![def.timezone]),
        false => vec![def.timezone],
    }
}

/// The facts of a campaign snapshot.
pub fn explain_campaign(s: &CampaignSnapshot<'_>) -> CampaignWhy {
    let def = s.def;
    let zones: Vec<ZoneWhy> = s
        .zones
        .iter()
        .map(|z| {
            let tzs = zones_of(def, &z.zone);
            ZoneWhy {
                zone: z.zone.clone(),
                open: zone_set::is_open_all(&def.schedule, &tzs, s.now),
                next_open: zone_set::next_open_all(&def.schedule, &tzs, s.now),
                pending: z.pending,
                due: z.due,
                next_due: z.next_due,
            }
        })
        .collect();
    let callable_now = zones.iter().filter(|z| z.open).map(|z| z.due).sum();
    let next_due = zones.iter().filter_map(|z| z.next_due).min();
    let caps = with_binding(&s.caps);
    let mut blockers = Vec::new();
    if let Some(b) = status_blocker(s) {
        blockers.push(b);
    }
    blockers.extend(contact_blockers(s, &zones, callable_now));
    if let Some(b) = caps
        .iter()
        .find(|c| c.binds && c.limit.is_some_and(|l| c.in_use >= l))
    {
        blockers.push(format!(
            "no room: {} in use {} of {}",
            b.level,
            b.in_use,
            b.limit.unwrap_or(0)
        ));
    }
    if !s.switches.is_empty() && s.switches.iter().all(|w| w.up == Some(false)) {
        blockers
            .push("no switch is up: every FreeSWITCH node is down or refuses the password".into());
    }
    CampaignWhy {
        campaign: def.name.clone(),
        status: s.status.to_string(),
        reason: s.status_reason.clone(),
        dialling: blockers.is_empty(),
        blockers,
        zones,
        callable_now,
        next_due,
        dialing_now: s.dialing,
        caps,
        switches: s.switches.clone(),
        technical_streak: s.technical_streak,
        pause_after: def.retry.pause_after_technical_errors,
        last_technical_cause: s.last_technical.as_ref().map(|(c, _)| c.clone()),
        last_technical_at: s.last_technical.as_ref().map(|(_, t)| *t),
    }
}

/// Marks the level with the least room left (uncapped levels never bind).
fn with_binding(caps: &[CapUse]) -> Vec<CapUse> {
    let room = |c: &CapUse| c.limit.map(|l| l.saturating_sub(c.in_use));
    let least = caps.iter().filter_map(room).min();
    let mut marked = false;
    caps.iter()
        .map(|c| {
            let binds = !marked && least.is_some() && room(c) == least;
            marked |= binds;
            CapUse { binds, ..c.clone() }
        })
        .collect()
}

fn status_blocker(s: &CampaignSnapshot<'_>) -> Option<String> {
    let name = &s.def.name;
    let reason = s.status_reason.as_deref().unwrap_or("no reason given");
    Some(match s.status {
        CampaignStatus::Running => return None,
        CampaignStatus::Draft => {
            format!("draft: not started; start it with `outcall campaign start {name}`")
        }
        CampaignStatus::Scheduled => match s.def.schedule.start {
            Some(at) if at > s.now => {
                format!("scheduled: the engine starts it at {}", at.to_rfc3339())
            }
            _ => {
                "scheduled: its start has come; a running `outcall serve` starts it within a second"
                    .into()
            }
        },
        CampaignStatus::Paused => {
            format!("paused ({reason}); resume it with `outcall campaign resume {name}`")
        }
        CampaignStatus::Completed => {
            "completed: every contact is final; adding contacts reopens it".into()
        }
        CampaignStatus::Cancelled => "cancelled (stopped by hand): it never dials again".into(),
    })
}

fn contact_blockers(s: &CampaignSnapshot<'_>, zones: &[ZoneWhy], callable: u64) -> Vec<String> {
    let pending: u64 = zones.iter().map(|z| z.pending).sum();
    if pending == 0 {
        return match s.dialing {
            0 => vec![format!("no contact left to call ({} final)", s.finished)],
            n => vec![format!(
                "no contact waiting: {n} in a call now, {} final",
                s.finished
            )],
        };
    }
    if callable > 0 {
        return Vec::new();
    }
    let due: u64 = zones.iter().map(|z| z.due).sum();
    if due == 0 {
        let next = zones.iter().filter_map(|z| z.next_due).min();
        let at = next.map_or("never".to_string(), |t| t.to_rfc3339());
        return vec![format!(
            "nothing due now: {pending} pending, the next is due at {at}"
        )];
    }
    if s.def.schedule.end.is_some_and(|e| s.now >= e) {
        return vec![format!(
            "past schedule.end: {due} due contacts will not be called"
        )];
    }
    let opens = zones
        .iter()
        .filter(|z| z.due > 0)
        .map(|z| match z.next_open {
            Some(t) => format!("{} opens {}", z.zone, t.to_rfc3339()),
            None => format!("{} never opens (its windows do not overlap)", z.zone),
        })
        .collect::<Vec<_>>()
        .join("; ");
    vec![format!("outside the calling window: {due} due, {opens}")]
}

/// A wait as text (`10m`, `2h`).
pub(crate) fn wait_text(d: std::time::Duration) -> String {
    duration_text::format(d)
}

/// The rule that set a contact's state (see [`ContactWhy::rule`]).
pub(crate) fn rule_of(def: &CampaignDef, c: &ContactRecord) -> String {
    let p = &def.retry;
    let max = p.max_attempts;
    match (c.status, c.last_disposition) {
        (ContactStatus::Dialing, _) => "being dialled now (leased by a dialer)".into(),
        (ContactStatus::Exhausted, _) => format!(
            "attempts used up: {} of retry.max_attempts = {max} (technical errors use one every {} in a row)",
            c.attempts, p.technical_errors_per_attempt
        ),
        (ContactStatus::Done, Some(d)) if is_final_success(d) => format!("final: `{d}` is a success"),
        (ContactStatus::Done, Some(d)) if is_never_retried(d) => format!("final: `{d}` is never retried"),
        (ContactStatus::Done, Some(d)) => format!("final: `{d}` is not in retry.retry_on"),
        (ContactStatus::Done, None) => "final".into(),
        (ContactStatus::Pending, None) => {
            "first attempt: due from its import (or the campaign's start)".into()
        }
        (ContactStatus::Pending, Some(d @ (Disposition::Technical | Disposition::Interrupted))) => {
            let wait = technical_backoff(p, c.technical_streak.max(1));
            format!(
                "`{d}`: wait {} by retry.technical_backoff (doubling up to technical_backoff_max; {} in a row)",
                wait_text(wait),
                c.technical_streak
            )
        }
        (ContactStatus::Pending, Some(d)) => {
            let (wait, rule) = recall_wait(p, d, c.attempts);
            format!("`{d}`: wait {} by {rule}", wait_text(wait))
        }
    }
}

/// When a pending contact is called next: its due time, moved to its zone's next opening.
pub(crate) fn next_call(
    def: &CampaignDef,
    c: &ContactRecord,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let from = c.next_attempt_at.max(now);
    zone_set::next_open_all(&def.schedule, &zones_of(def, &c.timezone), from)
}

/// A UTC instant as wall-clock time in a zone key's first zone (`2026-11-23 09:00 Asia/Omsk`).
pub(crate) fn local_text(def: &CampaignDef, key: &str, at: DateTime<Utc>) -> String {
    let tz = zones_of(def, key).first().copied().unwrap_or(def.timezone);
    format!(
        "{} {}",
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz.name()
    )
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
