//! A campaign contact as a job ([`ContactJob`], the [`super::Job::Contact`] variant): what is
//! dialled, what runs on the channel, how the outcome is recorded and retried, and its stop
//! signal; the call actor asks it and knows nothing else of where the work came from.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::call::finish::{finish_call, finish_to_next_phone, CallEnv, CallOutcome};
use crate::call::hook_events::{self, Receivers, Subject};
use crate::call::retry::RetryState;
use crate::campaign::definition::{CampaignDef, PhoneStrategy};
use crate::model::{ClaimedContact, ContactStatus, Disposition, NewAttempt, WebhookUrls};
use crate::script::{RunSettings, Script};
use crate::store::caps::SharedCaps;
use crate::store::StoreError;

use super::{NotStarted, AFTER_STORE_ERROR};

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
    /// Caps its attempts are checked against in the store, across every dialer (empty: none).
    pub caps: SharedCaps,
    /// How its script fared on the recent answered calls (the automatic pause).
    pub script_health: crate::call::script_health::ScriptHealth,
}

impl CampaignRt {
    /// A contact of this campaign, as its calls' webhooks name it.
    pub fn subject<'a>(
        &'a self,
        contact_id: i64,
        name: &'a str,
        vars: &'a BTreeMap<String, String>,
    ) -> Subject<'a> {
        Subject {
            campaign_id: self.id,
            campaign: &self.def.name,
            contact_id,
            contact_name: name,
            vars,
        }
    }

    /// Where this campaign's call webhooks go: the `global` receivers, then its own.
    pub fn receivers<'a>(&'a self, global: &'a WebhookUrls) -> Receivers<'a> {
        Receivers {
            global,
            campaign: &self.def.webhooks,
        }
    }
}

/// A contact of a running campaign, leased by this dialer.
#[derive(Debug)]
pub struct ContactJob {
    pub contact: ClaimedContact,
    pub campaign: Arc<CampaignRt>,
}

impl ContactJob {
    /// The key the engine's live set and leases use (the contact id).
    pub fn key(&self) -> i64 {
        self.contact.id
    }

    /// For logs: the campaign's name.
    pub fn label(&self) -> &str {
        &self.campaign.def.name
    }

    /// The campaign a misconfiguration found on this call is blamed on.
    pub fn campaign_id(&self) -> i64 {
        self.campaign.id
    }

    /// Fires when the work is withdrawn (a stopped campaign): the live call hangs up.
    pub fn stop(&self) -> &CancellationToken {
        &self.campaign.stop
    }

    /// How long the callee may ring.
    pub fn ring_timeout(&self) -> Duration {
        self.campaign.def.ring_timeout
    }

    /// The dial pattern (`sofia/gateway/gw/{number}`) the number goes into.
    pub fn dial_pattern(&self) -> &str {
        &self.campaign.def.dial
    }

    /// The numbers this attempt calls, in order: `round_robin` one phone per attempt (the
    /// next on the next attempt); `sequential` every phone from the first, the next one called
    /// while a call moves on ([`crate::call::retry::moves_to_next_phone`]).
    pub fn phones(&self) -> Vec<&str> {
        let ContactJob { contact, campaign } = self;
        if contact.phones.is_empty() {
            return Vec::new();
        }
        if campaign.def.phone_strategy == PhoneStrategy::Sequential {
            return contact.phones.iter().map(String::as_str).collect();
        }
        let i = contact.attempts as usize % contact.phones.len();
        vec![contact.phones[i].as_str()]
    }

    /// The longest an answered call may last (the campaign's `max_call_duration`).
    pub fn max_call_duration(&self) -> Duration {
        self.campaign.def.max_call_duration
    }

    /// The script the answered call runs, with its defaults.
    pub fn script(&self) -> (&Script, &RunSettings) {
        (&self.campaign.def.script, &self.campaign.settings)
    }

    /// The originate's channel variables (escaped by the switch's command builder).
    pub fn originate_vars(&self, uuid: &str) -> Vec<(String, String)> {
        let ContactJob { contact, campaign } = self;
        let def = &campaign.def;
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

    /// The variables the script sees: the contact's, plus NAME, PHONE and CALL_UUID.
    pub fn script_vars(&self, phone: &str, uuid: &str) -> HashMap<String, String> {
        let ContactJob { contact, .. } = self;
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

    /// Whom the call is for, as its webhooks name it.
    fn subject(&self) -> Subject<'_> {
        let ContactJob { contact, campaign } = self;
        campaign.subject(contact.id, &contact.name, &contact.vars)
    }

    /// Where the call's webhooks go.
    fn receivers<'a>(&'a self, env: &'a CallEnv) -> Receivers<'a> {
        self.campaign.receivers(&env.webhooks)
    }

    /// Commits the attempt row, with its call_start webhooks, before anything is sent to the
    /// switch; its id.
    pub async fn start_attempt(&self, env: &CallEnv, a: &NewAttempt) -> Result<i64, NotStarted> {
        let hooks = hook_events::call_start(self.receivers(env), &self.subject(), a);
        let ContactJob { contact, campaign } = self;
        let store = &env.store;
        let caps = &campaign.caps;
        match store
            .start_attempt_capped(contact.id, &env.owner, a, &hooks, caps)
            .await
        {
            Ok(id) => Ok(id),
            Err(StoreError::PhoneBusy(_)) => Err(NotStarted::Busy),
            Err(StoreError::DoNotCall(_)) => Err(NotStarted::Closed("do not call")),
            Err(StoreError::CapFull(what)) => Err(NotStarted::Full(what)),
            Err(e) if e.is_transient() => {
                // The row may have been committed with its reply lost (a backend
                // killed at COMMIT): then the call goes ahead as if nothing happened.
                let written = store
                    .persist("look up an attempt", || store.attempt_id_by_uuid(&a.uuid))
                    .await;
                match written {
                    Ok(Some(id)) => Ok(id),
                    _ => Err(NotStarted::Store(e)),
                }
            }
            Err(e) => Err(NotStarted::Store(e)),
        }
    }

    /// Gives the job back without a call: due again shortly, or closed.
    pub async fn give_back(&self, env: &CallEnv, why: NotStarted) {
        let now = env.clock.now();
        let (status, when) = match &why {
            NotStarted::Busy => (ContactStatus::Pending, now + chrono::Duration::seconds(30)),
            NotStarted::Closed(_) => (ContactStatus::Done, now + chrono::Duration::seconds(30)),
            NotStarted::Full(what) => {
                tracing::debug!(cap = %what, "cap reached across dialers; the contact waits");
                (ContactStatus::Pending, now)
            }
            NotStarted::Store(e) => {
                env.store.health().failed("open an attempt", e);
                (ContactStatus::Pending, now + AFTER_STORE_ERROR)
            }
        };
        let ContactJob { contact, .. } = self;
        let store = &env.store;
        let release = || store.release_contact(contact.id, &env.owner, status, when);
        if let Err(e) = store.persist("give a contact back", release).await {
            tracing::warn!(error = %e, why = ?why, "cannot give the contact back");
        }
    }

    /// The retry state before this call.
    pub fn retry_state(&self) -> RetryState {
        RetryState {
            attempts: self.contact.attempts,
            technical_streak: self.contact.technical_streak,
        }
    }

    /// For a contact whose next phone may be called: records a call that moved on and says
    /// so (its disposition); `None` when the call ends the attempt.
    pub async fn finish_to_next_phone(
        &self,
        env: &CallEnv,
        outcome: &CallOutcome,
    ) -> Option<Disposition> {
        finish_to_next_phone(env, &self.campaign, &self.subject(), outcome).await
    }

    /// Records what the call came to (attempt row, the job's next step, the retry policy).
    /// Records the outcome; returns the disposition it came to.
    pub async fn finish(&self, env: &CallEnv, outcome: CallOutcome) -> Disposition {
        finish_call(env, &self.campaign, &self.subject(), outcome).await
    }
}
