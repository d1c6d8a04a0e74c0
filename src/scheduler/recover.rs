//! Crash safety and node watching. Reconcile runs all the time, not only at start: every few
//! seconds it looks for open attempts that no live call of this process follows, whose lease
//! this dialer holds (it restarted) or has expired (their dialer died), and settles each with
//! its switch; and for running callback jobs whose lease has expired, settled the same way
//! (`scheduler::callbacks_recover`). A channel still alive is hung up cleanly and its real end recorded; a channel the
//! node says is gone gets a disposition too. A channel that cannot be checked (the node is down,
//! or did not answer `uuid_exists`) is left open, so its number stays busy, until the node
//! answers: an attempt is never recorded as ended while it may be live, and never redialled.
//! A call hung up here is recorded `interrupted` (retried).
//! The node watchers read events that name no channel: a CUSTOM `filestring::fail` while a
//! campaign's `say` runs marks that campaign misconfigured and pauses it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::engine::{Engine, EngineError};
use crate::call::actor::NodeRt;
use crate::call::call_channel::CallProgress;
use crate::call::finish::{finish_call, CallEnv, CallOutcome, EngineRequest, Placed};
use crate::call::job::{CampaignRt, JobKey};
use crate::call::retry::RetryState;
use crate::call::switch::Switch;
use crate::clock::Clock;
use crate::model::OpenAttempt;
use crate::script::ScriptOutcome;

/// The cause recorded for a call that ended while no dialer watched it.
pub const ENDED_UNWATCHED: &str = "ENDED_WHILE_DIALER_DOWN";

/// Attempts settled at once in one reconcile pass.
const SETTLE_AT_ONCE: usize = 32;

/// What reconciling needs from the engine; cheap to clone into its task.
#[derive(Clone)]
pub struct Reconciler {
    env: Arc<CallEnv>,
    nodes: Vec<Arc<NodeRt>>,
    /// The lease taken on an adopted attempt, in the engine clock's time.
    lease: chrono::Duration,
    /// Attempts on nodes this dialer does not drive, already warned about.
    unknown: Arc<Mutex<HashSet<i64>>>,
}

/// How one open attempt's channel stands on its switch.
enum Channel {
    /// It was live and has been hung up here: its CHANNEL_HANGUP_COMPLETE is in the progress.
    HungUp(CallProgress),
    /// The node says it does not exist (it ended while no dialer watched).
    Gone,
    /// The node could not be asked: leave the attempt open.
    Unknown,
}

impl Reconciler {
    pub fn new(engine: &Engine) -> Reconciler {
        Reconciler {
            env: engine.env.clone(),
            nodes: engine.nodes.clone(),
            lease: engine.lease_span(),
            unknown: Arc::default(),
        }
    }

    /// Runs a pass now, then one every `every` (real time) until `shutdown`.
    pub async fn run(self, every: Duration, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "reconcile pass failed; trying again");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One pass: settles every open attempt this dialer may take and can check now, then every
    /// callback job whose lease has expired. Returns how many attempts were left open because
    /// their node could not be asked.
    pub async fn pass(&self) -> Result<usize, EngineError> {
        let env = &self.env;
        let open = env
            .store
            .orphaned_attempts(&env.owner, env.clock.now())
            .await?;
        let mut waiting = 0;
        let limit = Arc::new(Semaphore::new(SETTLE_AT_ONCE));
        let mut settling = JoinSet::new();
        for a in open {
            let Some(node) = self.node_of(&a) else {
                continue;
            };
            if !node.switch.is_up() {
                waiting += 1;
                continue;
            }
            // A live call of this process, or one being settled, has its key in the live set.
            if !env.live.insert(JobKey::Contact(a.contact_id)) {
                continue;
            }
            let this = self.clone();
            let permit = limit.clone().acquire_owned().await;
            settling.spawn(async move {
                let settled = this.adopt_and_settle(&a, &node).await;
                this.env.live.remove(JobKey::Contact(a.contact_id));
                drop(permit);
                settled
            });
        }
        while let Some(r) = settling.join_next().await {
            match r {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => waiting += 1,
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot settle an open attempt"),
                Err(e) => tracing::warn!(error = %e, "a reconcile task failed"),
            }
        }
        let expired = super::callbacks_recover::Take::Expired;
        super::callbacks_recover::settle_all(env, &self.nodes, self.lease, expired).await?;
        if waiting > 0 {
            tracing::info!(
                attempts = waiting,
                "open attempts wait for their FreeSWITCH node to answer; their numbers stay busy"
            );
        }
        Ok(waiting)
    }

    /// The attempt's node, if this dialer drives it (else warned once and left to a dialer that
    /// does).
    fn node_of(&self, a: &OpenAttempt) -> Option<Arc<NodeRt>> {
        let node = self
            .nodes
            .iter()
            .find(|n| n.switch.name() == a.node)
            .cloned();
        if node.is_none() {
            let mut warned = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
            if warned.insert(a.attempt_id) {
                tracing::warn!(
                    attempt = a.attempt_id,
                    node = %a.node,
                    "an open attempt is on a FreeSWITCH node this dialer does not drive; it stays open for a dialer that does"
                );
            }
        }
        node
    }

    /// Takes the attempt's lease and settles it; false when the channel could not be checked
    /// (the attempt stays open, its lease runs out, and a later pass tries again).
    async fn adopt_and_settle(&self, a: &OpenAttempt, node: &NodeRt) -> Result<bool, EngineError> {
        let env = &self.env;
        let now = env.clock.now();
        if let Err(e) = env
            .store
            .adopt_attempt(a.attempt_id, &env.owner, now, now + self.lease)
            .await
        {
            tracing::info!(attempt = a.attempt_id, error = %e, "not adopting this open attempt");
            return Ok(true);
        }
        let state = match check_channel(&*node.switch, &a.uuid, &env.clock).await {
            Channel::Unknown => return Ok(false),
            // Issue 17 item 8 (another change): a call that reconcile itself hung up is
            // `interrupted`, retried per policy; this is the place to say so in `state`.
            Channel::HungUp(state) => state,
            Channel::Gone => CallProgress {
                job_error: Some(ENDED_UNWATCHED.into()),
                ..CallProgress::default()
            },
        };
        settle(env, a, state).await?;
        Ok(true)
    }
}

/// Records the end of an adopted open attempt from what its channel came to.
async fn settle(env: &CallEnv, a: &OpenAttempt, state: CallProgress) -> Result<(), EngineError> {
    let record = env.store.campaign(a.campaign_id).await?;
    let Some(contact) = env.store.contact(a.contact_id).await? else {
        return Ok(());
    };
    let campaign = CampaignRt {
        id: record.id,
        settings: record.definition.run_settings(),
        def: record.definition,
        stop: CancellationToken::new(),
        caps: Default::default(),
        script_health: Default::default(),
    };
    let before = RetryState {
        attempts: contact.attempts,
        technical_streak: contact.technical_streak,
    };
    tracing::info!(attempt = a.attempt_id, call_uuid = %a.uuid, "reconciled an open attempt");
    let rang = (Duration::ZERO, campaign.def.ring_timeout);
    let script = ScriptOutcome::default();
    let placed = Placed {
        attempt_id: a.attempt_id,
        uuid: &a.uuid,
        phone: &a.phone,
        started_at: a.started_at,
        before,
    };
    let outcome = CallOutcome::of(placed, &state, script, rang);
    let subject = campaign.subject(contact.id, &contact.name, &contact.vars);
    finish_call(env, &campaign, &subject, outcome).await;
    Ok(())
}

/// If the channel still exists, hangs it up and collects its CHANNEL_HANGUP_COMPLETE into
/// `state` (a callback job's legs at restart).
pub(super) async fn hang_up_if_alive(
    switch: &dyn Switch,
    uuid: &str,
    state: &mut CallProgress,
    clock: &Clock,
) {
    if let Channel::HungUp(p) = check_channel(switch, uuid, clock).await {
        *state = p;
    }
}

/// Asks the node about the channel; a live one is hung up and its CHANNEL_HANGUP_COMPLETE
/// collected. Anything the node does not answer is [`Channel::Unknown`].
async fn check_channel(switch: &dyn Switch, uuid: &str, clock: &Clock) -> Channel {
    let Ok(mut events) = switch.channel_events(uuid) else {
        return Channel::Unknown;
    };
    match switch.uuid_exists(uuid).await {
        Ok(false) => return Channel::Gone,
        Ok(true) => {}
        Err(e) => {
            tracing::info!(call_uuid = %uuid, error = %e, "cannot check the channel of an open attempt");
            return Channel::Unknown;
        }
    }
    // outcall ends this call, not the callee: it is `interrupted` (its script's progress died
    // with the process that ran it, so no success point is known).
    let mut state = CallProgress {
        interrupted: true,
        ..CallProgress::default()
    };
    if switch.kill(uuid, "NORMAL_CLEARING").await.is_ok() {
        let wait = async {
            while let Some(ev) = events.next().await {
                state.observe(ev, clock);
                if state.ended() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(10), wait).await;
    }
    if state.hangup.is_some() {
        return Channel::HungUp(state);
    }
    // No hangup seen: gone only if the node now says so.
    match switch.uuid_exists(uuid).await {
        Ok(false) => Channel::Gone,
        _ => Channel::Unknown,
    }
}

/// One task per node reading its unrouted events for `filestring::fail`.
pub fn watch_nodes(engine: &Engine, shutdown: CancellationToken) -> Vec<JoinHandle<()>> {
    engine
        .nodes
        .iter()
        .filter_map(|node| {
            let mut rx = node.switch.unrouted()?;
            let node = node.clone();
            let requests = engine.env.requests.clone();
            let shutdown = shutdown.clone();
            Some(tokio::spawn(async move {
                loop {
                    let ev = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        ev = rx.next() => match ev { Some(ev) => ev, None => return },
                    };
                    let subclass = ev.get("Event-Subclass").unwrap_or_default();
                    if ev.name() != "CUSTOM" || subclass != "filestring::fail" {
                        continue;
                    }
                    for campaign_id in node.say_watch.blame(ev.sequence()) {
                        let reason = format!(
                            "misconfigured: `say` found no sound prompts on {} (filestring::fail); install the language's prompts or use speak with a money_ru template",
                            node.switch.name()
                        );
                        let _ = requests.send(EngineRequest::Pause { campaign_id, reason });
                    }
                }
            }))
        })
        .collect()
}
