//! The call actor: one task per call. It commits the attempt row, registers for the channel's
//! events, sends `bgapi originate` (to `&park()`), follows the events, runs the call script on
//! answer, and on CHANNEL_HANGUP_COMPLETE computes the disposition and closes the attempt and
//! the contact in one fenced transaction ([`super::finish`]). Every step logs inside a span
//! carrying campaign, contact, attempt and call UUID.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::call_channel::{CallProgress, LiveChannel};
use super::finish::{finish_call, CallEnv, CallOutcome};
use super::retry::RetryState;
use super::say_watch::SayWatch;
use super::switch::{Events, Switch};
use crate::campaign::definition::CampaignDef;
use crate::esl::command::app::dial_target;
use crate::esl::command::app::gateway_of;
use crate::model::ContactStatus;
use crate::model::{ClaimedContact, NewAttempt};
use crate::script::{self, RunSettings, ScriptOutcome};
use crate::store::StoreError;

/// A campaign as the running engine holds it.
#[derive(Debug)]
pub struct CampaignRt {
    pub id: i64,
    /// The definition as parsed once per stored version (shared with the engine's cache).
    pub def: Arc<CampaignDef>,
    /// The script's defaults (TTS, the operator), from the definition.
    pub settings: RunSettings,
    /// Cancelled when the campaign is stopped: live calls hang up.
    pub stop: CancellationToken,
}

/// A FreeSWITCH node and what the engine keeps beside it.
pub struct NodeRt {
    pub index: usize,
    pub switch: Arc<dyn Switch>,
    pub say_watch: SayWatch,
}

/// Everything one call needs.
pub struct CallJob {
    pub contact: ClaimedContact,
    pub campaign: Arc<CampaignRt>,
    pub node: Arc<NodeRt>,
}

/// How long an answered call whose originate succeeded may wait for CHANNEL_PARK.
const PARK_GRACE: Duration = Duration::from_secs(2);

/// How long a call that was hung up may take to report CHANNEL_HANGUP_COMPLETE.
const HANGUP_GRACE: Duration = Duration::from_secs(10);

/// The phone for this attempt: round robin across attempts.
pub fn pick_phone(contact: &ClaimedContact) -> Option<&str> {
    if contact.phones.is_empty() {
        return None;
    }
    let i = contact.attempts as usize % contact.phones.len();
    Some(contact.phones[i].as_str())
}

/// Runs one call to its end. Never panics on switch or store trouble: it logs and gives the
/// contact back. The caller has put the contact in `env.live`; it is removed here at the end.
/// The caller holds the call's line (its pacing permit) until this returns, then wakes the
/// scheduler.
pub async fn run_call(env: Arc<CallEnv>, job: CallJob) {
    let uuid = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "call",
        campaign = %job.campaign.def.name,
        contact = job.contact.id,
        attempt = tracing::field::Empty,
        call_uuid = %uuid
    );
    async move {
        env.metrics.live_inc();
        place_call(&env, &job, &uuid).await;
        env.metrics.live_dec();
        env.live.remove(job.contact.id);
    }
    .instrument(span)
    .await
}

async fn place_call(env: &CallEnv, job: &CallJob, uuid: &str) {
    let contact = &job.contact;
    let def = &job.campaign.def;
    let Some(phone) = pick_phone(contact) else {
        give_back(env, contact.id, ContactStatus::Done, "contact has no phone").await;
        return;
    };
    let endpoint = match dial_target(&def.dial, phone) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(phone = %phone, error = %e, "number cannot be dialled");
            give_back(
                env,
                contact.id,
                ContactStatus::Done,
                "number cannot be dialled",
            )
            .await;
            return;
        }
    };
    let attempt = NewAttempt {
        uuid: uuid.to_string(),
        phone: phone.to_string(),
        node: job.node.switch.name().to_string(),
        gateway: gateway_of(&endpoint).unwrap_or_default().to_string(),
        started_at: env.clock.now(),
    };
    let attempt_id = match env
        .store
        .start_attempt(contact.id, &env.owner, &attempt)
        .await
    {
        Ok(id) => id,
        Err(StoreError::PhoneBusy(p)) => {
            tracing::info!(phone = %p, "number already in a call; retrying later");
            give_back(env, contact.id, ContactStatus::Pending, "phone busy").await;
            return;
        }
        Err(StoreError::DoNotCall(_)) => {
            give_back(env, contact.id, ContactStatus::Done, "do not call").await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the attempt");
            return;
        }
    };
    tracing::Span::current().record("attempt", attempt_id);
    let (state, script, rang_for) = drive(env, job, uuid, &endpoint, phone).await;
    let before = RetryState {
        attempts: contact.attempts,
        technical_streak: contact.technical_streak,
    };
    let rang = (rang_for, def.ring_timeout);
    let outcome = CallOutcome::of(attempt_id, phone, before, &state, script, rang);
    finish_call(env, &job.campaign, outcome).await;
}

/// Gives a leased contact back without a call.
async fn give_back(env: &CallEnv, contact_id: i64, status: ContactStatus, why: &str) {
    let when = env.clock.now() + chrono::Duration::seconds(30);
    if let Err(e) = env
        .store
        .release_contact(contact_id, &env.owner, status, when)
        .await
    {
        tracing::warn!(error = %e, why, "cannot give the contact back");
    }
}

/// Originates and follows the call until it is over; returns what happened.
async fn drive(
    env: &CallEnv,
    job: &CallJob,
    uuid: &str,
    endpoint: &str,
    phone: &str,
) -> (CallProgress, ScriptOutcome, Duration) {
    let switch = &*job.node.switch;
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
    let vars = originate_vars(&job.campaign, &job.contact, uuid, phone);
    let originate = switch.originate(vars, endpoint.to_string(), "&park()".to_string());
    env.metrics.originated();
    let answered = ring(env, job, uuid, &mut events, &mut state, originate).await;
    let rang_for = env.clock_span(started.elapsed());
    if answered {
        let vars = script_vars(&job.contact, phone, uuid);
        let mut channel = LiveChannel {
            switch,
            uuid,
            campaign_id: job.campaign.id,
            events: &mut events,
            state: &mut state,
            cancel: &job.campaign.stop,
            metrics: &env.metrics,
            clock: &env.clock,
            say_watch: &job.node.say_watch,
        };
        let campaign = &job.campaign;
        outcome = script::run(
            &campaign.def.script,
            &campaign.settings,
            &vars,
            &mut channel,
        )
        .await;
        if let Some(e) = &outcome.error {
            tracing::warn!(error = %e, "call script problem");
        }
    }
    await_hangup(switch, uuid, &mut events, &mut state, env).await;
    (state, outcome, rang_for)
}

/// Follows the ringing phase; true once answered and parked (the first application may be
/// sent), false when the call ended first.
async fn ring(
    env: &CallEnv,
    job: &CallJob,
    uuid: &str,
    events: &mut Events,
    state: &mut CallProgress,
    originate: futures::future::BoxFuture<'_, Result<String, super::switch::SwitchError>>,
) -> bool {
    let switch = &*job.node.switch;
    let guard = env.clock.real(job.campaign.def.ring_timeout) * 2 + Duration::from_secs(30);
    let deadline = tokio::time::sleep(guard);
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
                    Some(ev) => state.observe(ev, &env.clock),
                    None => state.unreachable = true,
                }
                if state.ready() {
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
            _ = job.campaign.stop.cancelled(), if !state.cancelled => {
                state.cancelled = true;
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
    if state.unreachable && state.hangup.is_none() {
        end_orphan(switch, uuid).await;
    }
}

/// The node's socket died under a call: the call is recorded as technical, and once the node is
/// back (within the grace time) the channel, if it still exists, is hung up so it cannot stay
/// parked with no one driving it.
async fn end_orphan(switch: &dyn Switch, uuid: &str) {
    let deadline = Instant::now() + HANGUP_GRACE;
    while !switch.is_up() {
        if Instant::now() >= deadline {
            tracing::warn!("node still down; the channel is left to the switch");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Ok(true) = switch.uuid_exists(uuid).await {
        let _ = switch.kill(uuid, "NORMAL_CLEARING").await;
        tracing::info!("hung up a channel orphaned by a lost connection");
    }
}

/// The originate's channel variables (escaped by the switch's command builder).
fn originate_vars(
    campaign: &CampaignRt,
    contact: &ClaimedContact,
    uuid: &str,
    phone: &str,
) -> Vec<(String, String)> {
    let def = &campaign.def;
    let _ = phone;
    vec![
        ("origination_uuid".into(), uuid.to_string()),
        ("origination_caller_id_number".into(), def.caller_id.clone()),
        (
            "originate_timeout".into(),
            def.ring_timeout.as_secs().max(1).to_string(),
        ),
        ("outcall_campaign".into(), campaign.id.to_string()),
        ("outcall_contact".into(), contact.id.to_string()),
    ]
}

/// The variables a script sees: the contact's, plus NAME, PHONE and CALL_UUID.
fn script_vars(contact: &ClaimedContact, phone: &str, uuid: &str) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = contact
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    vars.entry("NAME".into())
        .or_insert_with(|| contact.name.clone());
    vars.insert("PHONE".into(), phone.to_string());
    vars.insert("CALL_UUID".into(), uuid.to_string());
    vars
}
