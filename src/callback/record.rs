//! A callback job as stored and shown: the job row ([`CallbackRecord`]), its legs
//! ([`LegRecord`]: every manager and client leg with its trunk and cause), and what a dialer
//! writes while running one ([`NewLeg`], [`LegEnd`], [`CallResult`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::spec::CallbackSpec;
use super::status::{CallbackStatus, JobState};

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallbackRecord {
    pub id: i64,
    pub idempotency_key: Option<String>,
    pub spec: CallbackSpec,
    pub state: JobState,
    pub status: CallbackStatus,
    pub status_code: u16,
    /// Calls placed so far (the first and every recall).
    pub calls: u32,
    pub recalls_cancelled: bool,
    /// When it is due (pending) or was last due.
    pub next_attempt_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The last call: from the first originate to the end, and the client's talk time.
    pub duration_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    pub recording: Option<String>,
    /// The manager number that answered the last call.
    pub manager: Option<String>,
    /// Keys the manager pressed in the last call.
    pub digits: String,
}

/// Which side a leg dials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Manager,
    Client,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Manager => "manager",
            Side::Client => "client",
        }
    }
    pub fn parse(s: &str) -> Result<Side, String> {
        match s {
            "manager" => Ok(Side::Manager),
            "client" => Ok(Side::Client),
            _ => Err(format!("unknown leg side `{s}`")),
        }
    }
}

/// A leg about to be dialled (written before its originate or bridge).
#[derive(Debug, Clone, PartialEq)]
pub struct NewLeg {
    pub callback_id: i64,
    pub call_no: u32,
    pub side: Side,
    pub number: String,
    pub trunk: String,
    pub uuid: String,
    pub caller_id: String,
    pub node: String,
    pub started_at: DateTime<Utc>,
    /// The job's client: a manager leg is refused too while the client is in a live call.
    pub client: String,
}

impl NewLeg {
    /// The numbers that must not be in a live call for this leg to be dialled: its own, and for
    /// a manager leg the client's too (the manager is not rung for a client who cannot be
    /// called now). Sorted, so that locks on them are taken in one order.
    pub fn numbers(&self) -> Vec<&str> {
        let mut n = vec![self.number.as_str()];
        if self.side == Side::Manager && self.client != self.number {
            n.push(self.client.as_str());
        }
        n.sort_unstable();
        n
    }
}

/// How a leg ended.
#[derive(Debug, Clone, PartialEq)]
pub struct LegEnd {
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub cause: String,
    pub sip_code: Option<u16>,
}

/// A stored leg.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LegRecord {
    pub id: i64,
    pub call_no: u32,
    pub side: Side,
    pub number: String,
    pub trunk: String,
    pub uuid: String,
    pub caller_id: String,
    pub node: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub cause: Option<String>,
    pub sip_code: Option<u16>,
}

/// What one call of a job came to.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub status: CallbackStatus,
    pub ended_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub talk_ms: i64,
    pub recording: Option<String>,
    pub manager: Option<String>,
    pub digits: String,
    /// The manager pressed the cancel-recalls (or cancel) key.
    pub cancel_recalls: bool,
}
