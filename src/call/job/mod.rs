//! The unit of work the scheduler hands to the call layer: a [`Job`], of two kinds. A campaign
//! contact ([`ContactJob`]) is one call placed and followed by `call::actor`; a callback job
//! ([`CallbackJob`], seeds/000) is one call of several legs on one node, `call::callback`. The
//! engine places both through one path (`scheduler::place`): it leases the job, records its
//! [`JobKey`] in the live set (whose leases the keep-alive extends), takes a pacing permit for
//! its caps, spawns [`Job::run`] and releases the permit when the run ends. The job says its
//! key, how it runs, and how it is given back without a call ([`Job::give_back`]); what happens
//! inside the run differs by kind.

mod contact;

use std::sync::Arc;

pub use super::callback::CallbackJob;
pub use contact::{CampaignRt, ContactJob};

use super::actor::{run_call, CallJob, NodeRt};
use super::finish::CallEnv;
use crate::store::StoreError;

/// What the engine's live set and leases know a job by: the contact or the callback job id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKey {
    Contact(i64),
    Callback(i64),
}

/// One unit of work the engine places.
#[derive(Debug)]
pub enum Job {
    /// A contact of a running campaign, leased by this dialer.
    Contact(ContactJob),
    /// A callback job leased by this dialer: one call (the managers, then the client).
    Callback(Box<CallbackJob>),
}

/// Why a job could not be started as a call.
#[derive(Debug)]
pub enum NotStarted {
    /// The number is in a call already (any campaign, any callback): try again shortly.
    Busy,
    /// The number may not be called (do-not-call list, no callable phone).
    Closed(&'static str),
    /// A cap counted across every dialer (or this dialer's pacing) is reached: due again at
    /// once, for when a line frees.
    Full(String),
    /// The store failed and no attempt row was written: given back at once, due shortly.
    Store(StoreError),
}

/// How long a job whose attempt could not be written waits before it is due again.
pub(crate) const AFTER_STORE_ERROR: chrono::Duration = chrono::Duration::seconds(5);

/// How long a job whose number is in a live call waits before it is due again.
pub const BUSY_WAIT: chrono::Duration = chrono::Duration::seconds(30);

impl Job {
    /// Its key in the live set.
    pub fn key(&self) -> JobKey {
        match self {
            Job::Contact(j) => JobKey::Contact(j.key()),
            Job::Callback(j) => JobKey::Callback(j.rec.id),
        }
    }

    /// For logs: the campaign's name, or `callback`.
    pub fn label(&self) -> &str {
        match self {
            Job::Contact(j) => j.label(),
            Job::Callback(_) => "callback",
        }
    }

    /// Runs the job's call on `node` to its end, its result recorded (or the job given back).
    pub async fn run(self, env: Arc<CallEnv>, node: Arc<NodeRt>) {
        match self {
            Job::Contact(job) => run_call(env, CallJob { job, node }).await,
            Job::Callback(job) => super::callback::run(env, *job, node).await,
        }
    }

    /// Gives the job back without a call (nothing dialled, no attempt counted).
    pub async fn give_back(&self, env: &CallEnv, why: NotStarted) {
        match self {
            Job::Contact(j) => j.give_back(env, why).await,
            Job::Callback(j) => j.give_back(env, why).await,
        }
    }
}
