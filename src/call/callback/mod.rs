//! One call of a callback job (seeds/000, Callback v.11) on one node: the managers rung
//! ([`manager`]), the answered manager's text and keys and the client bridged ([`ivr`]), then
//! the result recorded with its status and call-log webhooks in one fenced transaction
//! ([`hooks`]). A [`CallbackJob`] is the `Job::Callback` variant: the engine places it through
//! the same dispatch as a campaign contact (lease, live set and its lease keep-alive, pacing
//! permit held until this returns); `scheduler::callbacks_recover` settles jobs whose dialer
//! stopped or died. A leg whose number is in a live call (a campaign's or another callback's)
//! is refused by the store with the leg's row: the call stops there and the job is given back,
//! not counted, due again after [`BUSY_WAIT`] with status `number_in_call`.

mod hooks;
mod ivr;
mod line;
mod manager;

use std::sync::Arc;

use tracing::Instrument;

use super::actor::NodeRt;
use super::finish::CallEnv;
use super::job::{NotStarted, AFTER_STORE_ERROR, BUSY_WAIT};
use super::switch::Switch;
use crate::callback::callerid::{CallerIds, Defaults, Locations};
use crate::callback::record::{CallResult, CallbackRecord, NewLeg, Side};
use crate::callback::status::{next_step, Next};
use crate::callback::{CallbackSpec, CallbackStatus};
use crate::store::{Recall, StoreError};

pub use ivr::AFTER_CALL;

/// Where recordings of callback calls go on the switch host.
pub const RECORDINGS: &str = "/var/lib/freeswitch/recordings/outcall";

/// What every callback call shares (set once by the engine).
#[derive(Debug)]
pub struct CallbackEnv {
    pub locations: Locations,
    /// Directory of recordings on the switch host.
    pub recordings: String,
}

impl Default for CallbackEnv {
    fn default() -> Self {
        CallbackEnv {
            locations: Locations::builtin(),
            recordings: RECORDINGS.into(),
        }
    }
}

/// One leased callback job to call now (`Job::Callback`).
#[derive(Debug)]
pub struct CallbackJob {
    pub rec: CallbackRecord,
    pub shared: Arc<CallbackEnv>,
}

impl CallbackJob {
    /// Gives the job back without counting the call: pending again with `number_in_call` after
    /// [`BUSY_WAIT`] when a number was in a live call, `queued` otherwise (due now when no line
    /// was free, shortly after a store error).
    pub async fn give_back(&self, env: &CallEnv, why: NotStarted) {
        let now = env.clock.now();
        let (status, due) = match &why {
            NotStarted::Busy => (CallbackStatus::NumberInCall, now + BUSY_WAIT),
            NotStarted::Store(e) => {
                env.store.health().failed("start a callback leg", e);
                (CallbackStatus::Queued, now + AFTER_STORE_ERROR)
            }
            NotStarted::Full(_) | NotStarted::Closed(_) => (CallbackStatus::Queued, now),
        };
        let store = &env.store;
        let release = || store.callback_release_until(self.rec.id, &env.owner, status, due, now);
        if let Err(e) = store.persist("give a callback back", release).await {
            tracing::warn!(error = %e, why = ?why, "cannot give the callback back");
        }
        env.wake.notify_one();
    }
}

/// Why a leg was not written.
pub(crate) enum LegRefused {
    /// Its number (or, for a manager leg, the client's) is in a live call.
    Busy,
    /// The job's lease is gone, or the store failed: the job is left as it is.
    Lost,
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

    /// Writes a leg before it is dialled; refused when a number it needs is in a live call or
    /// the lease is lost.
    pub async fn start_leg(
        &self,
        side: Side,
        number: &str,
        trunk: &str,
        uuid: &str,
        shown: &str,
    ) -> Result<i64, LegRefused> {
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
            client: self.spec.client.clone(),
        };
        match self
            .env
            .store
            .callback_leg_start(&leg, &self.env.owner)
            .await
        {
            Ok(id) => Ok(id),
            Err(StoreError::PhoneBusy(n)) => {
                tracing::info!(number = %n, "a number of the callback is in a live call; the job waits");
                Err(LegRefused::Busy)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot write the leg; leaving the job");
                Err(LegRefused::Lost)
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

/// How a call's drive ended.
enum Drove {
    /// To an outcome, to be recorded.
    Ended(Outcome),
    /// A leg was refused: a number is in a live call. The job goes back, not counted.
    Busy,
    /// The lease is lost: nothing is written.
    Lost,
}

/// Runs one call of the job on `node` to its end and records it (or gives the job back when a
/// number is in a live call). Never panics on switch or store trouble. The engine keeps the
/// job's lease alive while this runs (its key is in the live set).
pub async fn run(env: Arc<CallEnv>, job: CallbackJob, node: Arc<NodeRt>) {
    let span = tracing::info_span!("callback", id = job.rec.id, call_no = job.rec.calls);
    async move {
        env.metrics.live_inc();
        let ctx = Ctx {
            env: &env,
            switch: &*node.switch,
            rec: &job.rec,
            spec: &job.rec.spec,
            shared: &job.shared,
            recording: format!(
                "{}/callback-{}-{}.wav",
                job.shared.recordings, job.rec.id, job.rec.calls
            ),
        };
        let started = env.clock.now();
        match drive(&ctx).await {
            Drove::Ended(outcome) => finish(&ctx, outcome, started).await,
            Drove::Busy => job.give_back(&env, NotStarted::Busy).await,
            Drove::Lost => {}
        }
        env.metrics.live_dec();
    }
    .instrument(span)
    .await
}

async fn drive(ctx: &Ctx<'_>) -> Drove {
    let mut line = match manager::call_managers(ctx).await {
        manager::Reached::Manager(line) => *line,
        manager::Reached::Not(status) => {
            return Drove::Ended(Outcome {
                status,
                talk_ms: 0,
                manager: None,
                digits: String::new(),
                cancel_recalls: false,
            })
        }
        manager::Reached::Busy => return Drove::Busy,
        manager::Reached::LeaseLost => return Drove::Lost,
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
            ivr::ClientEnd::Refused(why) => {
                line.hang_up(ctx).await;
                line.leg.close(ctx).await;
                return match why {
                    LegRefused::Busy => Drove::Busy,
                    LegRefused::Lost => Drove::Lost,
                };
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
    Drove::Ended(Outcome {
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

/// Writes a call's result with its webhooks; the job's next step from the recall rule. The
/// caller wakes the engine after (a call's own end does once its line is free).
pub async fn record(env: &CallEnv, rec: &CallbackRecord, result: &CallResult) {
    let legs = match hooks::needs_legs(&rec.spec) {
        true => env.store.callback_legs(rec.id).await.unwrap_or_default(),
        false => Vec::new(),
    };
    let spec = &rec.spec;
    let decide = |cancelled: bool| match next_step(spec, result.status, rec.calls, cancelled) {
        Next::RecallIn(secs) => {
            spec.due_at(result.ended_at + chrono::Duration::seconds(secs as i64))
        }
        Next::Done => None,
    };
    let recall = Recall {
        if_cancelled: decide(true),
        otherwise: decide(false),
    };
    let done = result.clone();
    let build = move |after: &CallbackRecord, next: Option<chrono::DateTime<chrono::Utc>>| {
        hooks::deliveries(after, next, &legs, &done)
    };
    match env
        .store
        .callback_finish(rec.id, &env.owner, result, recall, Box::new(build))
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
}
