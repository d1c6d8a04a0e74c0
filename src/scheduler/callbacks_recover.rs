//! Callback jobs no live call follows: at start every job left running (this dialer's own, or
//! one whose lease has expired), and then in every pass of the continuous reconciler
//! (`scheduler::recover`) every job whose lease has expired (its dialer died), is taken over
//! (a fenced lease: one dialer wins), its legs still alive on a switch are hung up and their ends
//! recorded, and the interrupted call is recorded once: `completed` when the client had
//! answered (the job was `connected`, or a client leg has an answer time), else
//! `technical_failure` (recalled by its intervals). None stays running, none is dialled twice
//! at the same time: a job live in this process is never taken, and its key is in the live set
//! (its lease kept alive) while it is settled.

use std::sync::Arc;

use super::recover::hang_up_if_alive;
use crate::call::actor::NodeRt;
use crate::call::call_channel::CallProgress;
use crate::call::callback::record;
use crate::call::finish::CallEnv;
use crate::call::job::JobKey;
use crate::callback::record::{CallResult, LegEnd, Side};
use crate::callback::CallbackStatus;
use crate::store::{RunningCallback, StoreError};

/// The cause written on legs that ended while no dialer watched them.
pub const ENDED_UNWATCHED: &str = "ENDED_WHILE_DIALER_DOWN";

/// Which running jobs a pass takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Take {
    /// At start: this dialer's own (left by its previous run) and expired ones.
    OwnAndExpired,
    /// While the engine runs: expired ones only (this dialer's live jobs keep theirs alive; a
    /// job just claimed here holds a fresh lease until its call is in the live set).
    Expired,
}

/// Settles every running job this dialer may take; how many.
pub(super) async fn settle_all(
    env: &CallEnv,
    nodes: &[Arc<NodeRt>],
    lease: chrono::Duration,
    take: Take,
) -> Result<usize, StoreError> {
    let now = env.clock.now();
    let mut n = 0;
    for job in env.store.running_callbacks(&env.owner, now).await? {
        let expired = job.record.lease_until.is_none_or(|t| t <= now);
        if take == Take::Expired && !expired {
            continue;
        }
        let key = JobKey::Callback(job.record.id);
        if !env.live.insert(key) {
            continue;
        }
        let settled = settle_one(env, nodes, lease, job).await;
        env.live.remove(key);
        n += usize::from(settled?);
    }
    Ok(n)
}

/// Takes one job over and records its interrupted call; false when another dialer took it.
async fn settle_one(
    env: &CallEnv,
    nodes: &[Arc<NodeRt>],
    lease: chrono::Duration,
    job: RunningCallback,
) -> Result<bool, StoreError> {
    let now = env.clock.now();
    if !env
        .store
        .adopt_callback(job.record.id, &env.owner, now, now + lease)
        .await?
    {
        return Ok(false);
    }
    let mut client_answered = false;
    for leg in &job.open_legs {
        let node = nodes.iter().find(|n| n.switch.name() == leg.node);
        let mut p = CallProgress::default();
        if let Some(node) = node {
            hang_up_if_alive(&*node.switch, &leg.uuid, &mut p, &env.clock).await;
        }
        let answered = leg.answered_at.or(p.answered_at);
        let cause = p
            .hangup
            .as_ref()
            .and_then(|h| h.get("Hangup-Cause").map(|c| c.into_owned()))
            .unwrap_or_else(|| ENDED_UNWATCHED.into());
        client_answered |= leg.side == Side::Client && answered.is_some();
        let end = LegEnd {
            answered_at: answered,
            ended_at: env.clock.now(),
            cause,
            sip_code: None,
        };
        env.store.callback_leg_end(leg.id, &end).await?;
    }
    let legs = env.store.callback_legs(job.record.id).await?;
    client_answered |= legs.iter().any(|l| {
        l.call_no == job.record.calls && l.side == Side::Client && l.answered_at.is_some()
    });
    // `connected` is written when the manager's channel bridged to the client.
    client_answered |= job.record.status == CallbackStatus::Connected;
    let status = if client_answered {
        CallbackStatus::Completed
    } else {
        CallbackStatus::TechnicalFailure
    };
    let started = legs
        .iter()
        .filter(|l| l.call_no == job.record.calls)
        .map(|l| l.started_at)
        .min();
    let ended_at = env.clock.now();
    let result = CallResult {
        status,
        ended_at,
        duration_ms: started.map_or(0, |s| (ended_at - s).num_milliseconds().max(0)),
        talk_ms: 0,
        recording: None,
        manager: legs
            .iter()
            .find(|l| {
                l.call_no == job.record.calls && l.side == Side::Manager && l.answered_at.is_some()
            })
            .map(|l| l.number.clone()),
        digits: String::new(),
        cancel_recalls: false,
    };
    tracing::info!(callback = job.record.id, status = %status, "settled a callback left running by a stopped dialer");
    record(env, &job.record, &result).await;
    // A recall may be due: the engine looks again.
    env.wake.notify_one();
    Ok(true)
}
