//! One call of a callback job (seeds/000, Callback v.11) on one node: the managers rung
//! ([`manager`]), the answered manager's text and keys and the client bridged ([`ivr`]), then
//! the result recorded with its status and call-log webhooks in one fenced transaction
//! ([`hooks`]). The engine leases the job, holds its line (pacing permit) and wakes when this
//! returns; `scheduler::callbacks_recover` settles jobs a stopped dialer left running.

mod hooks;
mod ivr;
mod line;
mod manager;

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use super::actor::NodeRt;
use super::finish::CallEnv;
use super::switch::Switch;
use crate::callback::callerid::{CallerIds, Defaults, Locations};
use crate::callback::record::{CallResult, CallbackRecord, NewLeg, Side};
use crate::callback::status::{next_step, Next};
use crate::callback::{CallbackSpec, CallbackStatus};
use crate::clock::Clock;
use crate::store::StoreError;

pub use ivr::AFTER_CALL;

/// Where recordings of callback calls go on the switch host.
pub const RECORDINGS: &str = "/var/lib/freeswitch/recordings/outcall";

/// What every callback call shares (set once by the engine).
pub struct CallbackEnv {
    pub locations: Locations,
    /// The lease in real time (kept alive every third of it while the call lives).
    pub lease: Duration,
    /// Directory of recordings on the switch host.
    pub recordings: String,
}

impl Default for CallbackEnv {
    fn default() -> Self {
        CallbackEnv {
            locations: Locations::builtin(),
            lease: Duration::from_secs(120),
            recordings: RECORDINGS.into(),
        }
    }
}

/// One leased job to call now, on a node.
pub struct CallbackCall {
    pub rec: CallbackRecord,
    pub node: Arc<NodeRt>,
    pub shared: Arc<CallbackEnv>,
}

/// What the steps of one call read.
pub(crate) struct Ctx<'a> {
    pub env: &'a CallEnv,
    pub switch: &'a dyn Switch,
    pub rec: &'a CallbackRecord,
    pub spec: &'a CallbackSpec,
    pub shared: &'a CallbackEnv,
    pub recording: String,
}

impl Ctx<'_> {
    /// Caller IDs when the manager `manager` and the client are connected.
    pub fn caller_ids(&self, manager: &str) -> CallerIds {
        let d = Defaults {
            to_manager: self.spec.default_caller_id_manager.as_deref(),
            to_client: self.spec.default_caller_id_client.as_deref(),
            custom_to_client: self.spec.client_caller_id.as_deref(),
        };
        self.shared
            .locations
            .caller_ids(manager, &self.spec.client, d)
    }

    /// Writes a leg before it is dialled; `Err` when the lease is lost.
    pub async fn start_leg(
        &self,
        side: Side,
        number: &str,
        trunk: &str,
        uuid: &str,
        shown: &str,
    ) -> Result<i64, ()> {
        let leg = NewLeg {
            callback_id: self.rec.id,
            call_no: self.rec.calls,
            side,
            number: number.into(),
            trunk: trunk.into(),
            uuid: uuid.into(),
            caller_id: shown.into(),
            node: self.switch.name().into(),
            started_at: self.env.clock.now(),
        };
        match self
            .env
            .store
            .callback_leg_start(&leg, &self.env.owner)
            .await
        {
            Ok(id) => Ok(id),
            Err(e) => {
                tracing::warn!(error = %e, "cannot write the leg; leaving the job");
                Err(())
            }
        }
    }

    /// Shows a live status (calling_client, connected).
    pub async fn progress(&self, status: CallbackStatus) {
        let now = self.env.clock.now();
        if let Err(e) = self
            .env
            .store
            .callback_progress(self.rec.id, &self.env.owner, status, now)
            .await
        {
            tracing::warn!(error = %e, "cannot write the live status");
        }
    }
}

/// What the call came to, before it is recorded.
struct Outcome {
    status: CallbackStatus,
    talk_ms: i64,
    manager: Option<String>,
    digits: String,
    cancel_recalls: bool,
}

/// Runs one call of the job to its end and records it. Never panics on switch or store trouble.
pub async fn run(env: Arc<CallEnv>, call: CallbackCall) {
    let span = tracing::info_span!("callback", id = call.rec.id, call_no = call.rec.calls);
    async move {
        env.metrics.live_inc();
        let keeper = keep_lease(env.clone(), call.rec.id, call.shared.lease);
        let ctx = Ctx {
            env: &env,
            switch: &*call.node.switch,
            rec: &call.rec,
            spec: &call.rec.spec,
            shared: &call.shared,
            recording: format!(
                "{}/callback-{}-{}.wav",
                call.shared.recordings, call.rec.id, call.rec.calls
            ),
        };
        let started = env.clock.now();
        if let Some(outcome) = drive(&ctx).await {
            finish(&ctx, outcome, started).await;
        }
        drop(keeper);
        env.metrics.live_dec();
    }
    .instrument(span)
    .await
}

async fn drive(ctx: &Ctx<'_>) -> Option<Outcome> {
    let mut line = match manager::call_managers(ctx).await {
        manager::Reached::Manager(line) => *line,
        manager::Reached::Not(status) => {
            return Some(Outcome {
                status,
                talk_ms: 0,
                manager: None,
                digits: String::new(),
                cancel_recalls: false,
            })
        }
        manager::Reached::LeaseLost => return None,
    };
    let mut cancel_recalls = false;
    let choice = ivr::confirm(ctx, &mut line, &mut cancel_recalls).await;
    let mut talk_ms = 0;
    let status = match choice {
        ivr::Choice::Cancel => CallbackStatus::CancelledByManager,
        ivr::Choice::Postpone => CallbackStatus::Postponed,
        ivr::Choice::NoConfirmation => {
            line.hang_up(ctx).await;
            CallbackStatus::ManagerNoConfirmation
        }
        ivr::Choice::Connect => match ivr::call_client(ctx, &mut line, &mut cancel_recalls).await {
            ivr::ClientEnd::LeaseLost => {
                line.hang_up(ctx).await;
                line.leg.close(ctx).await;
                return None;
            }
            ivr::ClientEnd::Chose(ivr::Choice::Postpone) => CallbackStatus::Postponed,
            ivr::ClientEnd::Chose(_) => CallbackStatus::CancelledByManager,
            ivr::ClientEnd::Not(s) => s,
            ivr::ClientEnd::Talked(ms) => {
                talk_ms = ms;
                if ivr::after_call(ctx, &mut line, &mut cancel_recalls).await {
                    CallbackStatus::Postponed
                } else {
                    CallbackStatus::Completed
                }
            }
        },
    };
    line.drain(ctx).await;
    line.leg.close(ctx).await;
    Some(Outcome {
        status,
        talk_ms,
        manager: Some(line.leg.number.clone()),
        digits: line.digits.clone(),
        cancel_recalls,
    })
}

/// Records the call and queues its webhooks, in one transaction fenced on the lease.
async fn finish(ctx: &Ctx<'_>, o: Outcome, started: chrono::DateTime<chrono::Utc>) {
    let env = ctx.env;
    let ended_at = env.clock.now();
    let answered = o.manager.is_some();
    let result = CallResult {
        status: o.status,
        ended_at,
        duration_ms: (ended_at - started).num_milliseconds().max(0),
        talk_ms: o.talk_ms,
        recording: answered.then(|| ctx.recording.clone()),
        manager: o.manager,
        digits: o.digits,
        cancel_recalls: o.cancel_recalls,
    };
    record(env, ctx.rec, &result).await;
}

/// Writes a call's result with its webhooks; the job's next step from the recall rule.
pub async fn record(env: &CallEnv, rec: &CallbackRecord, result: &CallResult) {
    let legs = env.store.callback_legs(rec.id).await.unwrap_or_default();
    let spec = &rec.spec;
    let calls = rec.calls;
    let decide = |cancelled: bool| match next_step(spec, result.status, calls, cancelled) {
        Next::RecallIn(secs) => {
            spec.due_at(result.ended_at + chrono::Duration::seconds(secs as i64))
        }
        Next::Done => None,
    };
    let build = |after: &CallbackRecord, next: Option<chrono::DateTime<chrono::Utc>>| {
        hooks::deliveries(after, next, &legs, result)
    };
    match env
        .store
        .callback_finish(rec.id, &env.owner, result, &build, &decide)
        .await
    {
        Ok(after) => {
            tracing::info!(status = %after.status, code = after.status_code, state = after.state.as_str(), "callback call finished")
        }
        Err(StoreError::LeaseLost { .. }) => {
            tracing::warn!("lease lost: another dialer holds this callback; result not written")
        }
        Err(e) => tracing::error!(error = %e, "cannot record the callback's result"),
    }
    env.wake.notify_one();
}

/// The lease keeper of one call: stops when dropped (the call ended, or its task was aborted).
struct Keeper(tokio::task::JoinHandle<()>);

impl Drop for Keeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Extends the job's lease every third of it while the call lives.
fn keep_lease(env: Arc<CallEnv>, id: i64, lease: Duration) -> Keeper {
    Keeper(tokio::spawn(async move {
        let every = (lease / 3).max(Duration::from_millis(50));
        loop {
            tokio::time::sleep(every).await;
            let until = env.clock.now() + Clock::span(lease.mul_f64(env.clock.scale()));
            if let Err(e) = env
                .store
                .extend_callback_leases(&env.owner, &[id], until)
                .await
            {
                tracing::warn!(error = %e, "cannot extend the callback's lease");
            }
        }
    }))
}
