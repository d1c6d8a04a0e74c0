//! Who may do what: the roles of API tokens, the actions they are checked against (one table,
//! [`Role::may`]), the actor a change is recorded under, and the records of tokens and the
//! audit log.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A token's role (the HTTP API issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, tokens included.
    Admin,
    /// Campaigns, schedules, contacts, reports; starts and pauses their campaigns.
    Marketer,
    /// Uploads contacts, exports results, reads campaigns.
    Accountant,
    /// Controls campaigns (pause all included), watches live, reads everything.
    Supervisor,
    /// A site backend: posts callback jobs.
    Backend,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Marketer,
        Role::Accountant,
        Role::Supervisor,
        Role::Backend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Marketer => "marketer",
            Role::Accountant => "accountant",
            Role::Supervisor => "supervisor",
            Role::Backend => "backend",
        }
    }

    /// The one table of permissions; the API checks every request against it.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Marketer => matches!(
                action,
                CampaignRead
                    | CampaignWrite
                    | Control
                    | ContactsRead
                    | ContactsWrite
                    | ResultsRead
                    | DncRead
                    | DncWrite
                    | LiveRead
            ),
            Role::Accountant => matches!(
                action,
                CampaignRead | ContactsRead | ContactsWrite | ResultsRead
            ),
            Role::Supervisor => matches!(
                action,
                CampaignRead
                    | Control
                    | PauseAll
                    | ContactsRead
                    | ResultsRead
                    | DncRead
                    | NodesRead
                    | LiveRead
                    | AuditRead
                    | CallbacksRead
            ),
            Role::Backend => matches!(action, CallbacksWrite | CallbacksRead),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (admin, marketer, accountant, supervisor, backend)")
            })
    }
}

/// What a request wants to do, as the permission table knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    CampaignRead,
    /// Create, update, archive.
    CampaignWrite,
    /// Start, pause, resume, stop one campaign.
    Control,
    PauseAll,
    ContactsRead,
    /// Upload a CSV, add contacts.
    ContactsWrite,
    /// Attempts and per-contact results, JSON and CSV.
    ResultsRead,
    DncRead,
    DncWrite,
    NodesRead,
    LiveRead,
    AuditRead,
    /// Create, list, revoke tokens.
    Tokens,
    CallbacksWrite,
    CallbacksRead,
}

impl Action {
    pub const ALL: [Action; 15] = [
        Action::CampaignRead,
        Action::CampaignWrite,
        Action::Control,
        Action::PauseAll,
        Action::ContactsRead,
        Action::ContactsWrite,
        Action::ResultsRead,
        Action::DncRead,
        Action::DncWrite,
        Action::NodesRead,
        Action::LiveRead,
        Action::AuditRead,
        Action::Tokens,
        Action::CallbacksWrite,
        Action::CallbacksRead,
    ];

    /// The name `GET /me` lists (the console shows a control only when its action is listed).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CampaignRead => "campaign_read",
            Action::CampaignWrite => "campaign_write",
            Action::Control => "control",
            Action::PauseAll => "pause_all",
            Action::ContactsRead => "contacts_read",
            Action::ContactsWrite => "contacts_write",
            Action::ResultsRead => "results_read",
            Action::DncRead => "dnc_read",
            Action::DncWrite => "dnc_write",
            Action::NodesRead => "nodes_read",
            Action::LiveRead => "live_read",
            Action::AuditRead => "audit_read",
            Action::Tokens => "tokens",
            Action::CallbacksWrite => "callbacks_write",
            Action::CallbacksRead => "callbacks_read",
        }
    }
}

/// Who made a change: a token's name and role, or a shell user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// The person at the command line (the CLI has the database, so it acts as admin).
    pub fn cli() -> Actor {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Actor {
            name: format!("cli:{user}"),
            role: Role::Admin,
        }
    }
}

/// A stored API token (its secret is never kept, only a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
}

/// One change, as written to the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: Role,
    /// e.g. `campaign.pause`.
    pub action: String,
    /// e.g. `campaign:debtors`.
    pub object: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().unwrap_err().contains("unknown role"));
    }

    #[test]
    fn every_action_is_listed_once_with_its_own_name() {
        let names: std::collections::BTreeSet<&str> =
            Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), Action::ALL.len());
    }

    #[test]
    fn the_permission_table() {
        use Action::*;
        assert!(Role::Admin.may(Tokens));
        for r in [
            Role::Marketer,
            Role::Accountant,
            Role::Supervisor,
            Role::Backend,
        ] {
            assert!(!r.may(Tokens), "{r}");
        }
        assert!(Role::Marketer.may(CampaignWrite) && Role::Marketer.may(Control));
        assert!(!Role::Marketer.may(PauseAll) && !Role::Marketer.may(AuditRead));
        assert!(Role::Accountant.may(ContactsWrite) && Role::Accountant.may(ResultsRead));
        assert!(!Role::Accountant.may(Control) && !Role::Accountant.may(CampaignWrite));
        assert!(Role::Supervisor.may(PauseAll) && Role::Supervisor.may(AuditRead));
        assert!(!Role::Supervisor.may(CampaignWrite) && !Role::Supervisor.may(ContactsWrite));
        assert!(Role::Backend.may(CallbacksWrite));
        assert!(!Role::Backend.may(CampaignRead) && !Role::Backend.may(ResultsRead));
    }
}
