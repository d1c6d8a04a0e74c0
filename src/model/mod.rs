//! The campaign domain's shared vocabulary: statuses, dispositions, retry policy and limits.
//! These names are a contract between `campaign`, `store` and `dialer`: extend them, do not
//! rename them. Everything here is plain data with serde, no I/O.

mod access;
mod records;
pub use self::access::*;
pub use self::records::*;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where a campaign is in its life (seeds/003 statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    Running,
    /// By hand, or automatically on repeated technical errors (the reason is kept beside it).
    Paused,
    /// Every contact is final.
    Completed,
    /// Stopped by hand.
    Cancelled,
}

impl CampaignStatus {
    /// The status changes allowed (setting the current status again is always allowed):
    /// draft -> scheduled | running | cancelled; scheduled -> draft | running | paused | cancelled;
    /// running -> paused | completed | cancelled; paused -> running | scheduled | cancelled;
    /// completed -> running | scheduled (contacts added, or a cron re-run); cancelled is final.
    pub fn can_become(self, to: CampaignStatus) -> bool {
        use CampaignStatus::*;
        self == to
            || matches!(
                (self, to),
                (Draft, Scheduled | Running | Cancelled)
                    | (Scheduled, Draft | Running | Paused | Cancelled)
                    | (Running, Paused | Completed | Cancelled)
                    | (Paused, Running | Scheduled | Cancelled)
                    | (Completed, Running | Scheduled)
            )
    }

    /// Every status, in life order.
    pub const ALL: [CampaignStatus; 6] = [
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
        CampaignStatus::Running,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Cancelled,
    ];

    /// The statuses `to` may be reached from.
    pub fn sources_of(to: CampaignStatus) -> Vec<CampaignStatus> {
        CampaignStatus::ALL
            .into_iter()
            .filter(|s| s.can_become(to))
            .collect()
    }
}

/// Where a contact is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Waiting for `next_attempt_at` (and its window).
    Pending,
    /// Leased by a dialer; a call is being placed or is live.
    Dialing,
    /// Final: success, or a result that is never retried (invalid number, opted out, cancelled).
    Done,
    /// Final: attempts used up without success.
    Exhausted,
}

impl ContactStatus {
    /// Every status, in life order.
    pub const ALL: [ContactStatus; 4] = [
        ContactStatus::Pending,
        ContactStatus::Dialing,
        ContactStatus::Done,
        ContactStatus::Exhausted,
    ];

    /// Done or Exhausted: never called again.
    pub fn is_final(self) -> bool {
        matches!(self, ContactStatus::Done | ContactStatus::Exhausted)
    }
}

/// What one attempt came to. The raw hangup cause and SIP code are always kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Answered and lasted at least `min_success_seconds`.
    Answered,
    /// Answered but shorter than `min_success_seconds`.
    ShortCall,
    /// Answered by an answering machine or voicemail (the campaign's `[amd]` detection);
    /// retried per policy like a busy line.
    Machine,
    Busy,
    NoAnswer,
    Rejected,
    InvalidNumber,
    Failed,
    /// Switch unreachable, gateway down, temporary failure, congestion.
    Technical,
    /// Bridged to an operator.
    Transferred,
    /// The subscriber asked not to be called again.
    OptedOut,
    /// Cancelled by an operator (campaign stopped).
    Cancelled,
    /// Ended by outcall itself (drain at a stop, crash recovery) before its script reached a
    /// success point; retried by the technical rule without counting toward the campaign's
    /// technical-error streak.
    Interrupted,
}

impl Disposition {
    pub const ALL: [Disposition; 13] = [
        Disposition::Answered,
        Disposition::ShortCall,
        Disposition::Machine,
        Disposition::Busy,
        Disposition::NoAnswer,
        Disposition::Rejected,
        Disposition::InvalidNumber,
        Disposition::Failed,
        Disposition::Technical,
        Disposition::Transferred,
        Disposition::OptedOut,
        Disposition::Cancelled,
        Disposition::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "answered",
            Disposition::ShortCall => "short_call",
            Disposition::Machine => "machine",
            Disposition::Busy => "busy",
            Disposition::NoAnswer => "no_answer",
            Disposition::Rejected => "rejected",
            Disposition::InvalidNumber => "invalid_number",
            Disposition::Failed => "failed",
            Disposition::Technical => "technical",
            Disposition::Transferred => "transferred",
            Disposition::OptedOut => "opted_out",
            Disposition::Cancelled => "cancelled",
            Disposition::Interrupted => "interrupted",
        }
    }

    /// A call the callee had no part in ending (a technical error, or outcall cut it): retried
    /// with backoff and free, using up one of the contact's attempts only per
    /// `technical_errors_per_attempt` in a row. Reports show these apart from charged attempts.
    pub fn is_technical(self) -> bool {
        matches!(self, Disposition::Technical | Disposition::Interrupted)
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Disposition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Disposition::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown disposition `{s}`"))
    }
}

macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),* }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok(<$t>::$v),)*
                    _ => Err(format!("unknown {} `{s}`", stringify!($t))),
                }
            }
        }
    };
}

str_enum!(CampaignStatus { Draft => "draft", Scheduled => "scheduled", Running => "running",
    Paused => "paused", Completed => "completed", Cancelled => "cancelled" });
str_enum!(ContactStatus { Pending => "pending", Dialing => "dialing", Done => "done",
    Exhausted => "exhausted" });

// After `str_enum!`, which it uses.
mod webhooks;
pub use self::webhooks::*;
pub mod durations;
pub mod recall;

/// Retry rules of a campaign (DESIGN.md "Retry policy"; seeds/003 give the defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts per contact, 1..=99.
    pub max_attempts: u32,
    /// Wait after the end of an attempt before the next one.
    #[serde(with = "duration_text")]
    pub recall_interval: Duration,
    /// Dispositions that are retried (technical errors follow their own rule).
    pub retry_on: Vec<Disposition>,
    /// An answered call shorter than this is a short call.
    pub min_success_seconds: u32,
    /// First backoff after a technical error; doubles with each one in a row.
    #[serde(with = "duration_text")]
    pub technical_backoff: Duration,
    /// Ceiling of the technical backoff.
    #[serde(with = "duration_text")]
    pub technical_backoff_max: Duration,
    /// Technical errors in a row that use up one attempt.
    pub technical_errors_per_attempt: u32,
    /// Technical errors in a row across the campaign that pause it automatically.
    pub pause_after_technical_errors: u32,
    /// Waits by attempt number: the wait after attempt 1, after attempt 2, ...; the last one
    /// repeats. Empty: `recall_interval` after every attempt.
    #[serde(with = "durations::list", skip_serializing_if = "Vec::is_empty")]
    pub intervals: Vec<Duration>,
    /// Waits by disposition name (`busy = "10m"`, `no_answer = "2h"`), beating `intervals`
    /// and `recall_interval` for that disposition. Checked by the campaign definition.
    #[serde(with = "durations::map", skip_serializing_if = "BTreeMap::is_empty")]
    pub by_disposition: BTreeMap<String, Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 1,
            recall_interval: Duration::from_secs(30 * 60),
            retry_on: vec![
                Disposition::Busy,
                Disposition::NoAnswer,
                Disposition::ShortCall,
                Disposition::Failed,
                Disposition::Machine,
            ],
            min_success_seconds: 10,
            technical_backoff: Duration::from_secs(60),
            technical_backoff_max: Duration::from_secs(60 * 60),
            technical_errors_per_attempt: 9,
            pause_after_technical_errors: 20,
            intervals: Vec::new(),
            by_disposition: BTreeMap::new(),
        }
    }
}

/// Pacing limits of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Concurrent calls ("lines").
    pub lines: u32,
    /// Originates per second.
    pub cps: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { lines: 3, cps: 5.0 }
    }
}

/// Durations as people write them: `90` (seconds), `"90s"`, `"30m"`, `"2h"`, `"1d"`, `"1h30m"`.
pub mod duration_text {
    use std::time::Duration;

    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn parse(text: &str) -> Result<Duration, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty duration".into());
        }
        if let Ok(secs) = t.parse::<u64>() {
            return Ok(Duration::from_secs(secs));
        }
        let mut total: u64 = 0;
        let mut number = String::new();
        for c in t.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(format!("`{text}`: unknown unit `{c}` (use s, m, h, d)")),
            };
            let n: u64 = number
                .parse()
                .map_err(|_| format!("`{text}`: a number must come before `{c}`"))?;
            total = total.saturating_add(n.saturating_mul(unit));
            number.clear();
        }
        if !number.is_empty() {
            return Err(format!("`{text}`: the last number has no unit"));
        }
        Ok(Duration::from_secs(total))
    }

    pub fn format(d: Duration) -> String {
        let s = d.as_secs();
        match s {
            0 => "0s".into(),
            s if s % 3600 == 0 => format!("{}h", s / 3600),
            s if s % 60 == 0 => format!("{}m", s / 60),
            s => format!("{s}s"),
        }
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Secs(s) => Ok(Duration::from_secs(s)),
            Raw::Text(t) => parse(&t).map_err(de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests;
