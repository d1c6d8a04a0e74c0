//! The live call as the script interpreter sees it: [`LiveChannel`] implements
//! [`Channel`] over a [`Switch`], draining the call's events while an application runs, so a
//! callee hangup, a bridge, or a stop of the campaign is noticed at once. [`CallProgress`] keeps
//! what the events said; [`call_facts`] turns it into the facts a disposition is computed from.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::disposition::{CallFacts, SWITCH_UNREACHABLE};
use super::metrics::Metrics;
use super::say_watch::SayWatch;
use super::switch::{CallEvent, Events, Switch, SwitchError};
use super::webhook;
use crate::clock::Clock;
use crate::esl::command::AppCall;
use crate::script::{AppResult, Channel, ChannelError, ScriptOutcome};

/// What the call's events said so far.
#[derive(Debug, Default)]
pub struct CallProgress {
    /// A channel exists on the switch (any channel event seen).
    pub created: bool,
    pub answered_at: Option<DateTime<Utc>>,
    /// CHANNEL_PARK was seen: the originate has handed the channel to its `park` target, so
    /// applications sent now run with media. One sent earlier (on CHANNEL_ANSWER alone) runs
    /// in CS_CONSUME_MEDIA with no media path and its prompt is lost (PROTOCOL.md section 12).
    pub parked: bool,
    /// When CHANNEL_PARK was received, until the first execute is sent.
    pub park_seen: Option<Instant>,
    pub bridged: bool,
    /// The first CHANNEL_BRIDGE and the last CHANNEL_UNBRIDGE (talk time in the webhooks).
    pub bridged_at: Option<DateTime<Utc>>,
    pub unbridged_at: Option<DateTime<Utc>>,
    /// The CHANNEL_HANGUP_COMPLETE event.
    pub hangup: Option<CallEvent>,
    /// The dialer hung up because the campaign was stopped.
    pub cancelled: bool,
    /// outcall hung up on its own account (the drain time of a stop ran out).
    pub interrupted: bool,
    /// The node's socket died under the call.
    pub unreachable: bool,
    /// The originate was sent: a channel may exist on the switch.
    pub originate_sent: bool,
    /// `-ERR <cause>` of the originate job.
    pub job_error: Option<String>,
    /// The last event seen on the channel (they come in switch order): its Event-Sequence,
    /// read only when a `say` starts, orders the channel against node-wide events.
    pub last_event: Option<CallEvent>,
}

impl CallProgress {
    /// Takes one event into account.
    pub fn observe(&mut self, ev: CallEvent, clock: &Clock) {
        self.created = true;
        self.last_event = Some(ev.clone());
        match ev.name().as_ref() {
            "CHANNEL_ANSWER" if self.answered_at.is_none() => {
                self.answered_at = Some(clock.now());
            }
            "CHANNEL_PARK" if !self.parked => {
                self.parked = true;
                self.park_seen = Some(Instant::now());
            }
            "CHANNEL_BRIDGE" => {
                self.bridged = true;
                self.bridged_at.get_or_insert_with(|| clock.now());
            }
            "CHANNEL_UNBRIDGE" => self.unbridged_at = Some(clock.now()),
            "CHANNEL_HANGUP_COMPLETE" => self.hangup = Some(ev),
            _ => {}
        }
    }

    /// Answered and parked: the script may start.
    pub fn ready(&self) -> bool {
        self.answered_at.is_some() && self.parked && !self.ended()
    }

    /// The call is over on the switch.
    pub fn ended(&self) -> bool {
        self.hangup.is_some() || self.unreachable
    }
}

/// A live, answered call.
pub struct LiveChannel<'a> {
    pub switch: &'a dyn Switch,
    pub uuid: &'a str,
    pub campaign_id: i64,
    pub events: &'a mut Events,
    pub state: &'a mut CallProgress,
    pub cancel: &'a CancellationToken,
    /// The engine's drain is over: hang up, recorded as interrupted.
    pub interrupt: &'a CancellationToken,
    pub metrics: &'a Metrics,
    pub clock: &'a Clock,
    pub say_watch: &'a SayWatch,
}

impl LiveChannel<'_> {
    /// Handles one event or stream end; true when the call is over.
    fn take(&mut self, ev: Option<CallEvent>) -> bool {
        match ev {
            Some(ev) => self.state.observe(ev, self.clock),
            None => self.state.unreachable = true,
        }
        self.state.ended()
    }

    async fn stop(&mut self) {
        self.state.cancelled = true;
        let _ = self.switch.hangup(self.uuid, "NORMAL_CLEARING").await;
    }

    /// Drives `work` while following the call's events: Some(its output), or None once a
    /// CUSTOM event of subclass `watch` about the channel came first; Err(HungUp) when the
    /// call ended, or was withdrawn (campaign stopped, drain over) and hung up.
    async fn follow<T>(
        &mut self,
        work: impl std::future::Future<Output = T>,
        watch: Option<&str>,
    ) -> Result<Option<T>, ChannelError> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                r = &mut work => return Ok(Some(r)),
                ev = self.events.next() => {
                    let seen = ev.as_ref().is_some_and(|e| {
                        e.name() == "CUSTOM" && e.get("Event-Subclass").as_deref() == watch
                    });
                    if self.take(ev) {
                        return Err(ChannelError::HungUp);
                    }
                    if seen {
                        return Ok(None);
                    }
                }
                _ = self.cancel.cancelled(), if !self.state.cancelled => {
                    self.stop().await;
                    return Err(ChannelError::HungUp);
                }
                _ = self.interrupt.cancelled(), if !self.state.interrupted => {
                    self.state.interrupted = true;
                    let _ = self.switch.hangup(self.uuid, "NORMAL_CLEARING").await;
                    return Err(ChannelError::HungUp);
                }
            }
        }
    }
}

fn channel_error(e: SwitchError) -> ChannelError {
    match e {
        SwitchError::Unreachable(_) | SwitchError::HungUp => ChannelError::HungUp,
        SwitchError::Refused(m) if m.contains("invalid session") || m.contains("No such") => {
            ChannelError::HungUp
        }
        other => ChannelError::Failed(other.to_string()),
    }
}

impl Channel for LiveChannel<'_> {
    async fn execute(&mut self, call: &AppCall) -> Result<AppResult, ChannelError> {
        if self.state.ended() || self.state.cancelled || self.state.interrupted {
            return Err(ChannelError::HungUp);
        }
        if let Some(seen) = self.state.park_seen.take() {
            self.metrics.reaction(seen.elapsed());
        }
        let watching = call.app() == "say";
        if watching {
            let after = self.state.last_event.as_ref().and_then(CallEvent::sequence);
            self.say_watch.started(self.uuid, self.campaign_id, after);
        }
        let switch = self.switch;
        let mut end_seq = None;
        let result = match self.follow(switch.execute(self.uuid, call), None).await {
            Ok(Some(r)) => r.map_err(channel_error).map(|ev| {
                end_seq = ev.sequence();
                AppResult {
                    response: ev
                        .get("Application-Response")
                        .unwrap_or_default()
                        .into_owned(),
                    vars: ev.variables().into_iter().collect(),
                }
            }),
            Ok(None) | Err(_) => Err(ChannelError::HungUp),
        };
        if watching {
            self.say_watch.finished(self.uuid, end_seq);
        }
        result
    }

    async fn hangup(&mut self, cause: &str) -> Result<(), ChannelError> {
        if self.state.ended() {
            return Err(ChannelError::HungUp);
        }
        self.switch
            .hangup(self.uuid, cause)
            .await
            .map_err(channel_error)
    }

    async fn webhook(
        &mut self,
        url: &str,
        payload: serde_json::Value,
        timeout_ms: u32,
    ) -> Result<Option<String>, ChannelError> {
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        webhook::ask(url, &payload, timeout)
            .await
            .map_err(|e| ChannelError::Failed(e.to_string()))
    }

    async fn wait_custom(
        &mut self,
        subclass: &str,
        timeout: Duration,
    ) -> Result<bool, ChannelError> {
        if self.state.ended() || self.state.cancelled || self.state.interrupted {
            return Err(ChannelError::HungUp);
        }
        let until = tokio::time::sleep(self.clock.real(timeout));
        Ok(self.follow(until, Some(subclass)).await?.is_none())
    }
}

/// The facts of a finished call.
pub fn call_facts(
    state: &CallProgress,
    script: &ScriptOutcome,
    rang_for: Duration,
    ring_timeout: Duration,
) -> CallFacts {
    let hangup = state.hangup.as_ref();
    let var = |name: &str| hangup.and_then(|h| h.variable(name));
    let lost = state.unreachable && hangup.is_none();
    let cause = hangup
        .and_then(|h| h.get("Hangup-Cause"))
        .map(|c| c.into_owned())
        .or_else(|| state.job_error.clone().filter(|_| !lost))
        .unwrap_or_else(|| {
            if state.unreachable {
                SWITCH_UNREACHABLE.to_string()
            } else {
                String::new()
            }
        });
    let billsec = var("billsec").and_then(|v| v.parse().ok()).unwrap_or(0);
    // A call whose node was lost before its end is a technical failure, answered or not.
    let answered = !lost
        && (state.answered_at.is_some()
            || var("answer_epoch").is_some_and(|v| !v.is_empty() && v != "0"));
    CallFacts {
        hangup_cause: cause,
        sip_code: var("sip_term_status").and_then(|v| v.parse().ok()),
        answered,
        billsec,
        // FreeSWITCH fires the ring timeout a little early (2.1-3.0 s into 3 s).
        ring_timeout: !answered && rang_for >= ring_timeout.mul_f64(0.6),
        bridged: !lost && (script.bridged || (state.bridged && answered)),
        opted_out: script.opted_out,
        cancelled: state.cancelled,
        interrupted: state.interrupted && !lost,
        script_disposition: script.disposition.filter(|_| !lost),
        machine: script.machine() && !lost,
    }
}
