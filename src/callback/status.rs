//! The statuses of a callback job, each with its code (docs/callbacks.md has the table), where a
//! job is in its life ([`JobState`]), and the one pure rule for what comes after a call
//! ([`next_step`]): a recall after the interval, or the end.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::spec::CallbackSpec;

/// Declares [`CallbackStatus`] from one table (variant, name, code), with [`ALL`],
/// `as_str` and `code`.
macro_rules! statuses {
    ($($v:ident => $s:literal, $code:literal;)*) => {
        /// What happened to a callback job last. 1xx: in progress; 2xx: done well; 3xx: a recall
        /// asked for; 7xx: failures (708 is seeds/000's "cancelled by the manager").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum CallbackStatus {
            $($v,)*
        }

        /// Every status, in code order (docs and tests walk it).
        pub const ALL: &[CallbackStatus] = &[$(CallbackStatus::$v,)*];

        impl CallbackStatus {
            /// The status code reported with the status.
            pub fn code(self) -> u16 {
                match self {
                    $(CallbackStatus::$v => $code,)*
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(CallbackStatus::$v => $s,)*
                }
            }
        }
    };
}

statuses! {
    Queued => "queued", 100;
    NumberInCall => "number_in_call", 105;
    CallingManager => "calling_manager", 110;
    CallingClient => "calling_client", 120;
    Connected => "connected", 130;
    Completed => "completed", 200;
    Postponed => "postponed", 300;
    ManagerNoAnswer => "manager_no_answer", 701;
    ManagerBusy => "manager_busy", 702;
    ManagerRejected => "manager_rejected", 703;
    ClientNoAnswer => "client_no_answer", 704;
    ClientBusy => "client_busy", 705;
    ManagerNoConfirmation => "manager_no_confirmation", 706;
    ClientRejected => "client_rejected", 707;
    CancelledByManager => "cancelled_by_manager", 708;
    Cancelled => "cancelled", 709;
    TechnicalFailure => "technical_failure", 710;
}

impl CallbackStatus {
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
        ALL.iter()
            .copied()
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
