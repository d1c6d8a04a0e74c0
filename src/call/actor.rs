//! The call actor: one task per campaign contact's call ([`ContactJob`]). It has the job commit its
//! attempt row, registers for the channel's events, sends `bgapi originate` (to `&park()`),
//! follows the events, runs the job's script once the channel has parked, and on
//! CHANNEL_HANGUP_COMPLETE hands one [`CallOutcome`] to the job to record. A call whose node
//! is lost under it is recorded at once and its channel left to [`super::orphans`]. Every step
//! logs inside a span carrying campaign, contact, attempt and call UUID.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;
use tracing::Instrument;

use super::call_channel::{CallProgress, LiveChannel};
use super::finish::{CallEnv, CallOutcome, Placed};
use super::job::{ContactJob, NotStarted};
use super::metrics::{CallEvent, CallStage, LiveKey};
use super::say_watch::SayWatch;
use super::switch::{Events, Switch};
use crate::esl::command::app::{dial_target, gateway_of, sched_hangup};
use crate::model::{Disposition, NewAttempt};
use crate::script::{self, Channel as _, ScriptOutcome};

/// A FreeSWITCH node and what the engine keeps beside it.
pub struct NodeRt {
    pub index: usize,
    pub switch: Arc<dyn Switch>,
    pub say_watch: SayWatch,
}

/// Everything one call needs: the work and the node it is placed on.
pub struct CallJob {
    pub job: ContactJob,
    pub node: Arc<NodeRt>,
}

/// How long an answered call whose originate succeeded may wait for CHANNEL_PARK.
const PARK_GRACE: Duration = Duration::from_secs(2);

/// How long a call that was hung up may take to report CHANNEL_HANGUP_COMPLETE.
const HANGUP_GRACE: Duration = Duration::from_secs(10);

/// Runs one call to its end. Never panics on switch or store trouble: it logs and gives the
/// job back. The engine's one dispatch (through `Job::run`) has put the job's key in
/// `env.live`, holds the call's line (its pacing permit) and, when this returns, removes the key,
/// releases the line and wakes the scheduler.
pub async fn run_call(env: Arc<CallEnv>, call: CallJob) {
    let uuid = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "call",
        campaign = %call.job.label(),
        contact = call.job.key(),
        attempt = tracing::field::Empty,
        call_uuid = %uuid
    );
    async move {
        env.metrics.live_inc();
        place_call(&env, &call, &uuid).await;
        env.metrics.live_dec();
    }
    .instrument(span)
    .await
}

async fn place_call(env: &CallEnv, call: &CallJob, uuid: &str) {
    let job = &call.job;
    let phones = job.phones();
    if phones.is_empty() {
        job.give_back(env, NotStarted::Closed("no phone")).await;
        return;
    }
    // `sequential`: the next phone in the same attempt while a call moves on (busy, no
    // answer, ...); each call placed has its own attempt row and channel.
    let last = phones.len() - 1;
    for (i, phone) in phones.iter().enumerate() {
        let fresh;
        let uuid = if i == 0 {
            uuid
        } else {
            fresh = uuid::Uuid::new_v4().to_string();
            tracing::info!(phone = %phone, call_uuid = %fresh, "calling the contact's next phone");
            &fresh
        };
        if !place_one(env, call, uuid, phone, i < last).await {
            return;
        }
    }
}

/// Places one call to `phone`; true when it moved on and the contact's next phone is called
/// (`more`: there is one).
async fn place_one(env: &CallEnv, call: &CallJob, uuid: &str, phone: &str, more: bool) -> bool {
    let job = &call.job;
    let endpoint = match dial_target(job.dial_pattern(), phone) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(phone = %phone, error = %e, "number cannot be dialled");
            if more {
                return true;
            }
            job.give_back(env, NotStarted::Closed("number cannot be dialled"))
                .await;
            return false;
        }
    };
    if env.orphans.holds(phone) {
        // Its last call was lost with a node whose channel may still be up there.
        tracing::info!(phone = %phone, "number may still be in a call on a lost node; retrying later");
        job.give_back(env, NotStarted::Busy).await;
        return false;
    }
    let attempt = NewAttempt {
        uuid: uuid.to_string(),
        phone: phone.to_string(),
        node: call.node.switch.name().to_string(),
        gateway: gateway_of(&endpoint).unwrap_or_default().to_string(),
        started_at: env.clock.now(),
    };
    let attempt_id = match job.start_attempt(env, &attempt).await {
        Ok(id) => id,
        Err(why) => {
            if matches!(why, NotStarted::Busy) {
                tracing::info!(phone = %phone, "number already in a call; retrying later");
            }
            job.give_back(env, why).await;
            return false;
        }
    };
    tracing::Span::current().record("attempt", attempt_id);
    let live = env.metrics.live_call(&LiveKey {
        campaign: job.label().to_string(),
        gateway: attempt.gateway.clone(),
        node: attempt.node.clone(),
    });
    let (state, script, rang_for) = drive(env, call, uuid, &endpoint, phone).await;
    drop(live);
    if state.originate_sent && state.unreachable && state.hangup.is_none() {
        // Before the result is written, so the retry cannot come first.
        env.orphans.add(call.node.index, uuid, phone);
    }
    let rang = (rang_for, job.ring_timeout());
    let placed = Placed {
        attempt_id,
        uuid,
        phone,
        started_at: attempt.started_at,
        before: job.retry_state(),
    };
    let outcome = CallOutcome::of(placed, &state, script, rang);
    if more {
        if let Some(d) = job.finish_to_next_phone(env, &outcome).await {
            env.metrics
                .publish(call_event(env, call, phone, CallStage::Ended, Some(d)));
            return true;
        }
    }
    let d = job.finish(env, outcome).await;
    env.metrics
        .publish(call_event(env, call, phone, CallStage::Ended, Some(d)));
    false
}

/// A live event about this call.
fn call_event(
    env: &CallEnv,
    call: &CallJob,
    phone: &str,
    stage: CallStage,
    disposition: Option<Disposition>,
) -> CallEvent {
    CallEvent {
        stage,
        campaign: call.job.label().to_string(),
        contact: call.job.key(),
        phone: phone.to_string(),
        node: call.node.switch.name().to_string(),
        disposition,
        at: env.clock.now(),
    }
}

/// Originates and follows the call until it is over; returns what happened.
async fn drive(
    env: &CallEnv,
    call: &CallJob,
    uuid: &str,
    endpoint: &str,
    phone: &str,
) -> (CallProgress, ScriptOutcome, Duration) {
    let job = &call.job;
    let switch = &*call.node.switch;
    let mut state = CallProgress::default();
    let mut outcome = ScriptOutcome::default();
    let started = Instant::now();
    let mut events = match switch.channel_events(uuid) {
        Ok(rx) => rx,
        Err(e) => {
            tracing::warn!(error = %e, "node unavailable");
            state.unreachable = true;
            return (state, outcome, Duration::ZERO);
        }
    };
    let vars = job.originate_vars(uuid);
    let originate = switch.originate(vars, endpoint.to_string(), "&park()".to_string());
    state.originate_sent = true;
    env.metrics.originated();
    env.metrics
        .publish(call_event(env, call, phone, CallStage::Started, None));
    let answered = ring(env, call, uuid, &mut events, &mut state, originate).await;
    let rang_for = env.clock_span(started.elapsed());
    if answered {
        env.metrics
            .publish(call_event(env, call, phone, CallStage::Answered, None));
        let vars = job.script_vars(phone, uuid);
        let mut channel = LiveChannel {
            switch,
            uuid,
            campaign_id: job.campaign_id(),
            events: &mut events,
            state: &mut state,
            cancel: job.stop(),
            interrupt: &env.interrupt,
            metrics: &env.metrics,
            clock: &env.clock,
            say_watch: &call.node.say_watch,
        };
        limit_length(&mut channel, job.max_call_duration()).await;
        let (script, settings) = job.script();
        outcome = script::run(script, settings, &vars, &mut channel).await;
        if let Some(e) = &outcome.error {
            tracing::debug!(error = %e, "call script problem");
        }
    }
    await_hangup(switch, uuid, &mut events, &mut state, env).await;
    (state, outcome, rang_for)
}

/// Has the switch hang the answered call up once it has lasted `max` (`sched_hangup`, cause
/// ALLOTTED_TIMEOUT): a script stuck in a long bridge or a silent line cannot hold a line.
async fn limit_length(channel: &mut LiveChannel<'_>, max: Duration) {
    let call = match sched_hangup(max.as_secs().max(1), "ALLOTTED_TIMEOUT") {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "no maximum call duration");
            return;
        }
    };
    if let Err(e) = channel.execute(&call).await {
        tracing::warn!(error = %e, "cannot schedule the maximum call duration");
    }
}

/// Follows the ringing phase; true once answered and parked (the first application may be
/// sent), false when the call ended first.
async fn ring(
    env: &CallEnv,
    call: &CallJob,
    uuid: &str,
    events: &mut Events,
    state: &mut CallProgress,
    originate: futures::future::BoxFuture<'_, Result<String, super::switch::SwitchError>>,
) -> bool {
    let switch = &*call.node.switch;
    let stop = call.job.stop();
    let guard = env.clock.real(call.job.ring_timeout()) * 2 + Duration::from_secs(30);
    let deadline = tokio::time::sleep(guard);
    let sent = Instant::now();
    // A switch that never reports CHANNEL_PARK (another target, events filtered) must not
    // hold an answered call: after the originate job's +OK, wait at most PARK_GRACE.
    let park_grace = tokio::time::sleep(Duration::from_secs(86_400));
    tokio::pin!(deadline, originate, park_grace);
    let mut job_done = false;
    let mut grace_armed = false;
    loop {
        if !grace_armed && job_done && state.answered_at.is_some() && state.job_error.is_none() {
            grace_armed = true;
            park_grace
                .as_mut()
                .reset(tokio::time::Instant::now() + PARK_GRACE);
        }
        tokio::select! {
            ev = events.next() => {
                match ev {
                    Some(ev) => {
                        if !state.created {
                            env.metrics.originate_latency(sent.elapsed());
                        }
                        state.observe(ev, &env.clock);
                    }
                    None => state.unreachable = true,
                }
                if state.ready() {
                    if state.interrupted {
                        // Interrupted before the channel existed: the kill found nothing.
                        let _ = switch.kill(uuid, "NORMAL_CLEARING").await;
                        return false;
                    }
                    return true;
                }
                if state.ended() {
                    return false;
                }
            }
            r = &mut originate, if !job_done => {
                job_done = true;
                match r {
                    Ok(body) if body.starts_with("+OK") => {}
                    Ok(body) => {
                        let cause = body.trim().trim_start_matches("-ERR").trim().to_string();
                        state.job_error = Some(cause);
                        if !state.created {
                            return false;
                        }
                    }
                    Err(super::switch::SwitchError::Refused(m)) => {
                        state.job_error = Some(m);
                        if !state.created {
                            return false;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "originate failed");
                        state.unreachable = true;
                        return false;
                    }
                }
            }
            _ = stop.cancelled(), if !state.cancelled => {
                state.cancelled = true;
                let _ = switch.kill(uuid, "ORIGINATOR_CANCEL").await;
            }
            _ = env.interrupt.cancelled(), if !state.interrupted => {
                state.interrupted = true;
                let _ = switch.kill(uuid, "ORIGINATOR_CANCEL").await;
            }
            _ = &mut park_grace, if grace_armed => {
                tracing::warn!("answered but no CHANNEL_PARK in time; running the script anyway");
                state.parked = true;
                return !state.ended();
            }
            _ = &mut deadline => {
                tracing::warn!("no answer nor hangup in time; killing the channel");
                let _ = switch.kill(uuid, "ALLOTTED_TIMEOUT").await;
                return false;
            }
        }
    }
}

/// Waits for CHANNEL_HANGUP_COMPLETE (the script has hung up, or the callee did); asks the
/// switch if it never comes.
async fn await_hangup(
    switch: &dyn Switch,
    uuid: &str,
    events: &mut Events,
    state: &mut CallProgress,
    env: &CallEnv,
) {
    if state.ended() || (!state.created && state.job_error.is_some()) {
        return;
    }
    let wait = async {
        while let Some(ev) = events.next().await {
            state.observe(ev, &env.clock);
            if state.ended() {
                return;
            }
        }
        state.unreachable = true;
    };
    if tokio::time::timeout(HANGUP_GRACE, wait).await.is_err() {
        tracing::warn!("no CHANNEL_HANGUP_COMPLETE in time");
        if let Ok(true) = switch.uuid_exists(uuid).await {
            let _ = switch.kill(uuid, "NORMAL_CLEARING").await;
        }
    }
}
