//! `contact why`: the facts of one contact from its snapshot (pure; see `ops::explain`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{local_text, next_call, rule_of};
use crate::campaign::definition::CampaignDef;
use crate::model::{CampaignStatus, ContactRecord, ContactStatus};

/// A contact's open attempt (a call in progress, or one not yet reconciled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenCall {
    pub uuid: String,
    pub node: String,
    /// The dialer that placed it.
    pub owner: String,
    pub started_at: DateTime<Utc>,
}

/// What `contact why` reads for one contact.
#[derive(Debug, Clone)]
pub struct ContactSnapshot<'a> {
    pub def: &'a CampaignDef,
    pub campaign_status: CampaignStatus,
    pub contact: &'a ContactRecord,
    pub open_call: Option<OpenCall>,
    /// Its phones on the do-not-call list.
    pub do_not_call: Vec<String>,
    pub now: DateTime<Utc>,
}

/// The facts of `contact why`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContactWhy {
    pub campaign: String,
    pub campaign_status: String,
    pub phone: String,
    pub name: String,
    pub status: String,
    /// Its zone key (one zone, or several joined by `,`: called while all are open).
    pub zone: String,
    pub attempts_used: u32,
    pub max_attempts: u32,
    pub last_disposition: Option<String>,
    /// When it is called next (its due time moved into its window); None: not again.
    pub next_attempt: Option<DateTime<Utc>>,
    /// The same in the contact's own zone.
    pub next_attempt_local: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub open_call: Option<OpenCall>,
    pub do_not_call: Vec<String>,
    /// The rule that set its state or its next attempt (`retry.by_disposition.busy`, ...).
    pub rule: String,
    /// Why it is not being called now, most fundamental first; empty when it is callable.
    pub blockers: Vec<String>,
}

/// The facts of a contact snapshot.
pub fn explain_contact(s: &ContactSnapshot<'_>) -> ContactWhy {
    let (def, c) = (s.def, s.contact);
    let pending = c.status == ContactStatus::Pending;
    let next_attempt = pending.then(|| next_call(def, c, s.now)).flatten();
    let mut blockers = Vec::new();
    if !matches!(s.campaign_status, CampaignStatus::Running) {
        blockers.push(format!(
            "its campaign is {} (`outcall campaign why {}`)",
            s.campaign_status, def.name
        ));
    }
    if !s.do_not_call.is_empty() {
        blockers.push(format!(
            "on the do-not-call list: {} (never dialled)",
            s.do_not_call.join(", ")
        ));
    }
    match c.status {
        ContactStatus::Done | ContactStatus::Exhausted => {
            blockers.push(format!("{}: {}", c.status, rule_of(def, c)));
        }
        ContactStatus::Dialing => blockers.push(match &c.lease_owner {
            Some(owner) => format!("in a call now, leased by `{owner}`"),
            None => "in a call now".into(),
        }),
        ContactStatus::Pending => match next_attempt {
            None => blockers.push("its window never opens again (past schedule.end, or its zones' windows never overlap)".into()),
            Some(at) if at > s.now && at > c.next_attempt_at => blockers.push(format!(
                "outside its calling window until {}",
                local_text(def, &c.timezone, at)
            )),
            Some(at) if at > s.now => blockers.push(format!(
                "not due until {}",
                local_text(def, &c.timezone, at)
            )),
            Some(_) => {}
        },
    }
    ContactWhy {
        campaign: def.name.clone(),
        campaign_status: s.campaign_status.to_string(),
        phone: c.phones.first().cloned().unwrap_or_default(),
        name: c.name.clone(),
        status: c.status.to_string(),
        zone: c.timezone.clone(),
        attempts_used: c.attempts,
        max_attempts: def.retry.max_attempts,
        last_disposition: c.last_disposition.map(|d| d.to_string()),
        next_attempt,
        next_attempt_local: next_attempt.map(|t| local_text(def, &c.timezone, t)),
        lease_owner: c.lease_owner.clone(),
        lease_until: c.lease_until,
        open_call: s.open_call.clone(),
        do_not_call: s.do_not_call.clone(),
        rule: rule_of(def, c),
        blockers,
    }
}
