//! Contacts and attempts as plain data: what an import makes, what the scheduler claims, what
//! a call records, what reports read. The store persists them; it does not define them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ContactStatus, Disposition};

/// A contact leased by the store's `claim_due`: everything needed to call it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedContact {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    /// E.164 numbers with `+`, in order.
    pub phones: Vec<String>,
    /// Upper-case keys.
    pub vars: BTreeMap<String, String>,
    pub timezone: String,
    /// Attempts used so far.
    pub attempts: u32,
    /// Technical errors in a row for this contact.
    pub technical_streak: u32,
    pub last_disposition: Option<Disposition>,
    pub lease_until: DateTime<Utc>,
}

/// The attempt row written before the originate.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttempt {
    /// The origination UUID (also the channel's Unique-ID).
    pub uuid: String,
    pub phone: String,
    /// FreeSWITCH node name.
    pub node: String,
    pub gateway: String,
    pub started_at: DateTime<Utc>,
}

/// What a call came to.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptResult {
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub hangup_cause: Option<String>,
    pub sip_code: Option<u16>,
    pub disposition: Disposition,
    pub billsec: u32,
    /// DTMF digits the subscriber pressed, in order.
    pub digits: String,
    pub recording: Option<String>,
    pub tags: Vec<String>,
    /// What the call heard, line by line (`script::trace`); empty when it was not answered.
    pub trace: Vec<String>,
    /// What this result does to its campaign's run of technical errors in a row.
    pub campaign_streak: StreakStep,
}

/// What one result does to its campaign's technical-error streak (the automatic pause).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreakStep {
    /// A technical error of the campaign's own: one more in a row.
    Count,
    /// Neither the campaign's error nor a sign that its calls work: a node died under the call
    /// while another node was healthy, or outcall itself interrupted the call.
    Keep,
    /// Anything else ends the run.
    Reset,
}

impl StreakStep {
    /// The step a result with disposition `d` takes when nothing else is known.
    pub fn of(d: Disposition) -> StreakStep {
        match d {
            Disposition::Technical => StreakStep::Count,
            Disposition::Interrupted => StreakStep::Keep,
            _ => StreakStep::Reset,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StreakStep::Count => "count",
            StreakStep::Keep => "keep",
            StreakStep::Reset => "reset",
        }
    }
}

/// The contact's new retry state, decided by the dialer's retry policy.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactUpdate {
    /// Pending (retry later), Done or Exhausted. Dialing is refused.
    pub status: ContactStatus,
    pub attempts: u32,
    pub technical_streak: u32,
    /// When it is due again (used with Pending; kept as is when `None`).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// What [`crate::store::Store::finish_attempt`] tells the caller besides success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinishOutcome {
    pub contact_id: i64,
    pub campaign_id: i64,
    /// Technical errors in a row across the campaign after this attempt (0 after any other
    /// disposition): the dialer pauses the campaign when it reaches the policy's limit.
    pub campaign_technical_streak: u32,
}

/// An attempt still open (no `ended_at`), for crash reconciliation.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAttempt {
    pub attempt_id: i64,
    pub contact_id: i64,
    pub campaign_id: i64,
    pub uuid: String,
    pub phone: String,
    pub node: String,
    pub gateway: String,
    /// The dialer that placed the call.
    pub owner: String,
    pub started_at: DateTime<Utc>,
    /// The contact's current lease.
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
}

/// One row of the CDR, for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptRecord {
    pub id: i64,
    pub contact_id: i64,
    pub contact_name: String,
    pub uuid: String,
    pub phone: String,
    pub node: String,
    pub gateway: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub hangup_cause: Option<String>,
    pub sip_code: Option<u16>,
    pub disposition: Option<Disposition>,
    pub billsec: Option<u32>,
    pub digits: Option<String>,
    pub recording: Option<String>,
    pub tags: Vec<String>,
    /// What the call heard, line by line (`script::trace`).
    pub trace: Vec<String>,
}

/// A contact to add (from a CSV row or the API).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewContact {
    pub name: String,
    /// E.164 with `+`; the first is the duplicate key. Never empty.
    pub phones: Vec<String>,
    /// Upper-case keys.
    pub vars: BTreeMap<String, String>,
    /// The contact's own zone; `None`: the campaign's.
    pub timezone: Option<String>,
}

/// A contact as stored (for `campaign show`, tests and the API).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub vars: BTreeMap<String, String>,
    pub timezone: String,
    pub status: ContactStatus,
    pub attempts: u32,
    pub technical_streak: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_disposition: Option<Disposition>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
}

/// One do-not-call entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DncEntry {
    pub phone: String,
    pub reason: String,
    pub added_at: DateTime<Utc>,
}

impl NewContact {
    /// The name as people are compared by it: without case and extra spaces.
    pub fn name_key(&self) -> String {
        self.name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }

    /// Why `later` (a row with this contact's first phone) is not the same person, if it is
    /// not. `strict` (both rows come from one file, so they have the same columns): another
    /// name (compared without case and extra spaces) or any other value of a variable. Else
    /// (a later list against a stored contact): another name only, an empty one matching any,
    /// so a list may update a person's values. Rows of different people are never merged: one
    /// would be told the other's data.
    pub fn conflict_with(&self, later: &NewContact, strict: bool) -> Option<String> {
        let (a, b) = (self.name_key(), later.name_key());
        let either_empty = a.is_empty() || b.is_empty();
        if a != b && (strict || !either_empty) {
            return Some(format!("another name ({}, not {})", later.name, self.name));
        }
        if strict {
            let keys = self.vars.keys().chain(later.vars.keys());
            for k in keys {
                let (mine, theirs) = (self.vars.get(k), later.vars.get(k));
                if mine != theirs {
                    let show = |v: Option<&String>| v.map_or("none".to_string(), |v| v.clone());
                    return Some(format!(
                        "another {k} ({}, not {})",
                        show(theirs),
                        show(mine)
                    ));
                }
            }
        }
        None
    }

    /// Merges a later duplicate into this contact: its vars win, its phones not yet present are
    /// appended, its name and timezone fill in only what is empty here.
    pub fn merge(&mut self, later: &NewContact) {
        for (k, v) in &later.vars {
            self.vars.insert(k.clone(), v.clone());
        }
        for p in &later.phones {
            if !self.phones.contains(p) {
                self.phones.push(p.clone());
            }
        }
        if self.name.is_empty() {
            self.name = later.name.clone();
        }
        if self.timezone.is_none() {
            self.timezone = later.timezone.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NewContact;

    fn row(name: &str, balance: &str) -> NewContact {
        NewContact {
            name: name.into(),
            phones: vec!["+79161001001".into()],
            vars: [("BALANCE".to_string(), balance.to_string())].into(),
            timezone: None,
        }
    }

    #[test]
    fn rows_of_different_people_conflict() {
        let ivanov = row("Иванов", "1234,56");
        let why = ivanov.conflict_with(&row("Попов", "200,00"), true);
        assert_eq!(why.as_deref(), Some("another name (Попов, not Иванов)"));
        let why = ivanov.conflict_with(&row("Иванов", "200,00"), true);
        assert_eq!(
            why.as_deref(),
            Some("another BALANCE (200,00, not 1234,56)")
        );
        assert_eq!(
            ivanov.conflict_with(&row("Иванов", "200,00"), false),
            None,
            "an update"
        );
        assert_eq!(
            ivanov.conflict_with(&row(" иванов ", "1234,56"), true),
            None
        );
        assert!(ivanov.conflict_with(&row("", "1234,56"), true).is_some());
        assert_eq!(
            ivanov.conflict_with(&row("", "5"), false),
            None,
            "no name: an update"
        );
        let mut more = row("Иванов", "1234,56");
        more.vars.insert("DUE".into(), "01.12".into());
        assert_eq!(
            ivanov.conflict_with(&more, true).as_deref(),
            Some("another DUE (01.12, not none)")
        );
    }
}
