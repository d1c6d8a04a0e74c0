//! The end of a call: disposition from the facts, the contact's next step from the retry
//! policy, one fenced store transaction (attempt row + contact), the do-not-call list on an
//! opt-out, metrics, and asking the engine for the automatic pause after too many technical
//! errors in a row.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::call_channel::{call_facts, CallProgress};
use super::disposition::{disposition, normalise_cause, CallFacts};
use super::hook_events::{self, Ended, Subject, Timeline};
use super::job::{CampaignRt, JobKey};
use super::metrics::Metrics;
use super::orphans::Orphans;
use super::retry::{self, RetryState};
use super::script_health::Verdict;
use super::switch::Switch;
use crate::clock::Clock;
use crate::model::{AttemptResult, ContactUpdate, Disposition, StreakStep, WebhookUrls};
use crate::script::ScriptOutcome;
use crate::store::{Store, StoreError};

/// What the engine asks of itself from inside a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineRequest {
    /// Pause a campaign with a reason (technical errors, misconfiguration).
    Pause { campaign_id: i64, reason: String },
}

/// Jobs (contacts, callback jobs) with a live call in this process, or being settled by the
/// reconciler; the keep-alive extends their leases.
#[derive(Debug, Default)]
pub struct LiveSet {
    ids: Mutex<HashSet<JobKey>>,
}

impl LiveSet {
    /// Adds a job; false when it already has a live call here (a second call for the same
    /// job must not start: the lease is fenced by owner, not by call).
    pub fn insert(&self, key: JobKey) -> bool {
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key)
    }
    pub fn remove(&self, key: JobKey) {
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }
    pub fn contains(&self, key: JobKey) -> bool {
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key)
    }
    /// The live jobs' keys.
    pub fn keys(&self) -> Vec<JobKey> {
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect()
    }
    /// Whether no campaign contact is live here (a campaign completes only then).
    pub fn no_contacts(&self) -> bool {
        let ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        !ids.iter().any(|k| matches!(k, JobKey::Contact(_)))
    }
    pub fn len(&self) -> usize {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The engine's shared state that every call uses.
pub struct CallEnv {
    pub store: Store,
    /// This dialer's lease owner name.
    pub owner: String,
    pub clock: Clock,
    pub metrics: Metrics,
    /// Wakes the scheduler (a line is free, a contact is due again).
    pub wake: Arc<Notify>,
    pub live: LiveSet,
    pub requests: mpsc::UnboundedSender<EngineRequest>,
    /// Webhook receivers of every campaign's calls (outcall.toml `[webhooks]`).
    pub webhooks: WebhookUrls,
    /// Fired when a stop's drain time is over: every live call is hung up and recorded as
    /// `interrupted` (unless its script had reached a success point).
    pub interrupt: CancellationToken,
    /// Every node this engine drives, in the engine's order (a node's death is not its
    /// campaigns' fault while another is up).
    pub nodes: Vec<Arc<dyn Switch>>,
    /// Channels lost with their nodes; their numbers wait until the channels are gone.
    pub orphans: Orphans,
}

impl CallEnv {
    /// A real duration as this engine's clock counts it.
    pub fn clock_span(&self, real: Duration) -> Duration {
        real.mul_f64(self.clock.scale())
    }

    /// Whether some node is up (socket connected, answering its liveness probe).
    pub fn some_node_up(&self) -> bool {
        self.nodes.iter().any(|n| n.is_up())
    }
}

/// What one call came to: the one value a finished call travels as, from the call actor (or
/// recovery after a restart) to [`finish_call`].
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub attempt_id: i64,
    /// The origination UUID (the channel's Unique-ID).
    pub uuid: String,
    /// The number dialled.
    pub phone: String,
    /// The contact's retry state before this call.
    pub before: RetryState,
    /// When the attempt row was written (the call placed).
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub bridged_at: Option<DateTime<Utc>>,
    pub unbridged_at: Option<DateTime<Utc>>,
    /// What the switch said (cause, SIP code, billsec, answered, bridged, …).
    pub facts: CallFacts,
    /// What the script did (digits, recording, tags, opt-out).
    pub script: ScriptOutcome,
}

/// Which attempt a call is: its row, channel, number and start, and the contact's retry state
/// before it.
#[derive(Debug, Clone)]
pub struct Placed<'a> {
    pub attempt_id: i64,
    pub uuid: &'a str,
    pub phone: &'a str,
    pub started_at: DateTime<Utc>,
    pub before: RetryState,
}

impl CallOutcome {
    /// The outcome of the call `placed` whose events are `state`, whose script did `script`,
    /// which rang for `rang_for` against a ring timeout of `ring_timeout`.
    pub fn of(
        placed: Placed<'_>,
        state: &CallProgress,
        script: ScriptOutcome,
        rang: (Duration, Duration),
    ) -> CallOutcome {
        let facts = call_facts(state, &script, rang.0, rang.1);
        CallOutcome {
            attempt_id: placed.attempt_id,
            uuid: placed.uuid.to_string(),
            phone: placed.phone.to_string(),
            before: placed.before,
            started_at: placed.started_at,
            answered_at: state.answered_at,
            bridged_at: state.bridged_at,
            unbridged_at: state.unbridged_at,
            facts,
            script,
        }
    }

    /// The attempt row's result: disposition `d`, normalised `cause`, ended at `ended_at`.
    fn result(&self, d: Disposition, cause: &str, ended_at: DateTime<Utc>) -> AttemptResult {
        AttemptResult {
            answered_at: self.answered_at,
            ended_at,
            hangup_cause: (!cause.is_empty()).then(|| cause.to_string()),
            sip_code: self.facts.sip_code,
            disposition: d,
            billsec: self.facts.billsec,
            digits: self.script.digits.clone().unwrap_or_default(),
            recording: self.script.recording.clone(),
            tags: self.script.tags.clone(),
            trace: self.script.heard.clone(),
            campaign_streak: StreakStep::of(d),
        }
    }

    /// The call_end webhooks of this call, recorded with `result` and the contact's `update`.
    fn end_hooks(
        &self,
        env: &CallEnv,
        campaign: &CampaignRt,
        contact: &Subject<'_>,
        (result, update): (&AttemptResult, &ContactUpdate),
    ) -> Vec<crate::model::NewDelivery> {
        let ended = Ended {
            attempt_id: self.attempt_id,
            call_uuid: &self.uuid,
            number: &self.phone,
            timeline: self.timeline(result.ended_at),
            result,
            contact: update,
        };
        hook_events::call_end(campaign.receivers(&env.webhooks), contact, &ended)
    }

    /// The call's instants, ended at `ended_at` (ring, IVR and talk seconds in its webhooks).
    fn timeline(&self, ended_at: DateTime<Utc>) -> Timeline {
        Timeline {
            started_at: self.started_at,
            answered_at: self.answered_at,
            bridged_at: self.bridged_at,
            unbridged_at: self.unbridged_at,
            ended_at,
        }
    }
}

/// For a contact with another phone to call in this attempt (`phone_strategy =
/// "sequential"`): when the call's disposition moves on ([`retry::moves_to_next_phone`]),
/// records its attempt row (and call_end webhooks, the contact shown still `dialing`) with the
/// contact kept leased and its retry state untouched, and returns the disposition; `None`
/// when the call ends the attempt (record it with [`finish_call`]).
pub async fn finish_to_next_phone(
    env: &CallEnv,
    campaign: &CampaignRt,
    contact: &Subject<'_>,
    outcome: &CallOutcome,
) -> Option<Disposition> {
    let facts = &outcome.facts;
    let d = disposition(facts, campaign.def.retry.min_success_seconds);
    if !retry::moves_to_next_phone(d) {
        return None;
    }
    let ended_at = env.clock.now();
    let cause = normalise_cause(&facts.hangup_cause, facts.sip_code);
    let result = outcome.result(d, &cause, ended_at);
    let update = ContactUpdate {
        status: crate::model::ContactStatus::Dialing,
        attempts: outcome.before.attempts,
        technical_streak: outcome.before.technical_streak,
        next_attempt_at: None,
    };
    tracing::info!(disposition = %d, cause = %cause, "call finished; the contact's next phone is called");
    env.metrics.call_finished(d);
    let hooks = outcome.end_hooks(env, campaign, contact, (&result, &update));
    let store = &env.store;
    let record = || store.finish_call_keep_lease(outcome.attempt_id, &env.owner, &result, &hooks);
    match store.persist("record a call's result", record).await {
        Ok(()) => Some(d),
        Err(e) => {
            tracing::warn!(error = %e, "cannot record the call's result; the next phone is not called");
            None
        }
    }
}

/// Records the end of a call of `contact`, with its call_end webhooks; returns the
/// disposition it came to.
pub async fn finish_call(
    env: &CallEnv,
    campaign: &CampaignRt,
    contact: &Subject<'_>,
    outcome: CallOutcome,
) -> Disposition {
    let policy = &campaign.def.retry;
    let facts = &outcome.facts;
    let d = disposition(facts, policy.min_success_seconds);
    let ended_at = env.clock.now();
    let next = retry::next_step(policy, outcome.before, d, ended_at);
    let cause = normalise_cause(&facts.hangup_cause, facts.sip_code);
    let mut result = outcome.result(d, &cause, ended_at);
    result.campaign_streak = retry::streak_step(d, &cause, env.some_node_up());
    let update = ContactUpdate {
        status: next.status,
        attempts: next.state.attempts,
        technical_streak: next.state.technical_streak,
        next_attempt_at: next.next_attempt_at,
    };
    tracing::info!(disposition = %d, cause = %cause, billsec = facts.billsec, status = %next.status, "call finished");
    script_verdict(env, campaign, &outcome.script);
    env.metrics.call_finished(d);
    let store = &env.store;
    if facts.opted_out {
        let add = || store.dnc_add(&outcome.phone, "opted out in a call", ended_at);
        if let Err(e) = store
            .persist("add an opt-out to the do-not-call list", add)
            .await
        {
            tracing::warn!(error = %e, "cannot add the number to the do-not-call list");
        }
    }
    let hooks = outcome.end_hooks(env, campaign, contact, (&result, &update));
    // Never dropped: a failing store is tried again (backoff to 5 s) until it takes the result.
    let record = || store.finish_attempt(outcome.attempt_id, &env.owner, &result, &update, &hooks);
    let recorded = store.persist("record a call's result", record).await;
    match recorded {
        Ok(done) => {
            let limit = policy.pause_after_technical_errors;
            let counted = result.campaign_streak == StreakStep::Count;
            if counted && limit > 0 && done.campaign_technical_streak == limit {
                let reason = retry::pause_reason(done.campaign_technical_streak, &cause);
                // The engine makes every automatic pause (`ops::campaigns::pause_automatically`).
                let _ = env.requests.send(EngineRequest::Pause {
                    campaign_id: campaign.id,
                    reason,
                });
            }
        }
        Err(StoreError::LeaseLost { .. }) => {
            tracing::warn!("lease lost: another dialer owns this contact now; result not written");
        }
        Err(StoreError::AttemptNotOpen(_)) => {
            // A try whose reply was lost (a backend killed at COMMIT) had written it.
            tracing::info!("the call's result was already recorded");
        }
        Err(e) => tracing::error!(error = %e, "cannot record the call's result"),
    }
    d
}

/// Notes how the script fared on an answered call: its campaign's first failure is logged, and
/// most calls failing asks the engine to pause the campaign (`call::script_health`).
fn script_verdict(env: &CallEnv, campaign: &CampaignRt, script: &ScriptOutcome) {
    if script.trace.is_empty() {
        return;
    }
    match campaign.script_health.record(script.error.as_deref()) {
        Verdict::Quiet => {}
        Verdict::FirstFailure => tracing::warn!(
            campaign = %campaign.def.name,
            error = script.error.as_deref().unwrap_or_default(),
            "the call script failed (later failures of this campaign are logged at debug level)"
        ),
        Verdict::Pause(reason) => {
            let _ = env.requests.send(EngineRequest::Pause {
                campaign_id: campaign.id,
                reason,
            });
        }
    }
}
