//! The statuses of a callback job, each with its code (docs/callbacks.md has the table), where a
//! job is in its life ([`JobState`]), and the one pure rule for what comes after a call
//! ([`next_step`]): a recall after the interval, or the end.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::spec::CallbackSpec;

/// What happened to a callback job last. 1xx: in progress; 2xx: done well; 3xx: a recall asked
/// for; 7xx: failures (708 is seeds/000's "cancelled by the manager").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    Queued,
    CallingManager,
    CallingClient,
    Connected,
    Completed,
    Postponed,
    ManagerNoAnswer,
    ManagerBusy,
    ManagerRejected,
    ClientNoAnswer,
    ClientBusy,
    ManagerNoConfirmation,
    ClientRejected,
    CancelledByManager,
    Cancelled,
    TechnicalFailure,
}

/// Every status, in code order (docs and tests walk it).
pub const ALL: [CallbackStatus; 16] = {
    use CallbackStatus::*;
    [
        Queued,
        CallingManager,
        CallingClient,
        Connected,
        Completed,
        Postponed,
        ManagerNoAnswer,
        ManagerBusy,
        ManagerRejected,
        ClientNoAnswer,
        ClientBusy,
        ManagerNoConfirmation,
        ClientRejected,
        CancelledByManager,
        Cancelled,
        TechnicalFailure,
    ]
};

impl CallbackStatus {
    /// The status code reported with the status.
    pub fn code(self) -> u16 {
        use CallbackStatus::*;
        match self {
            Queued => 100,
            CallingManager => 110,
            CallingClient => 120,
            Connected => 130,
            Completed => 200,
            Postponed => 300,
            ManagerNoAnswer => 701,
            ManagerBusy => 702,
            ManagerRejected => 703,
            ClientNoAnswer => 704,
            ClientBusy => 705,
            ManagerNoConfirmation => 706,
            ClientRejected => 707,
            CancelledByManager => 708,
            Cancelled => 709,
            TechnicalFailure => 710,
        }
    }

    pub fn as_str(self) -> &'static str {
        use CallbackStatus::*;
        match self {
            Queued => "queued",
            CallingManager => "calling_manager",
            CallingClient => "calling_client",
            Connected => "connected",
            Completed => "completed",
            Postponed => "postponed",
            ManagerNoAnswer => "manager_no_answer",
            ManagerBusy => "manager_busy",
            ManagerRejected => "manager_rejected",
            ClientNoAnswer => "client_no_answer",
            ClientBusy => "client_busy",
            ManagerNoConfirmation => "manager_no_confirmation",
            ClientRejected => "client_rejected",
            CancelledByManager => "cancelled_by_manager",
            Cancelled => "cancelled",
            TechnicalFailure => "technical_failure",
        }
    }

    /// Whether a call that ended here is recalled (when an interval is left and recalls were
    /// not cancelled). A manager's cancel, an API cancel and a completed call are never recalled;
    /// postponed is always (it names its own interval).
    pub fn recalls(self) -> bool {
        use CallbackStatus::*;
        matches!(
            self,
            ManagerNoAnswer
                | ManagerBusy
                | ClientNoAnswer
                | ClientBusy
                | ManagerNoConfirmation
                | TechnicalFailure
        )
    }
}

impl fmt::Display for CallbackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallbackStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ALL.into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown callback status `{s}`"))
    }
}

/// Where a job is: waiting for its time, in a call (leased by a dialer), or over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Pending,
    Running,
    Done,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
        }
    }
}

impl FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(JobState::Pending),
            "running" => Ok(JobState::Running),
            "done" => Ok(JobState::Done),
            _ => Err(format!("unknown callback state `{s}`")),
        }
    }
}

/// What follows call number `calls` (1-based) that ended in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Due again after this many seconds.
    RecallIn(u64),
    Done,
}

/// The rule: a postponed call is recalled after the next interval (or the last, or 30 min);
/// a recallable failure after the next interval while one is left; nothing after recalls were
/// cancelled (digit) or for any other status.
pub fn next_step(
    spec: &CallbackSpec,
    status: CallbackStatus,
    calls: u32,
    recalls_cancelled: bool,
) -> Next {
    if recalls_cancelled {
        return Next::Done;
    }
    if status == CallbackStatus::Postponed {
        return Next::RecallIn(spec.postpone_after(calls));
    }
    match spec.recall_after(calls) {
        Some(s) if status.recalls() => Next::RecallIn(s),
        _ => Next::Done,
    }
}
