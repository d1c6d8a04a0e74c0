//! Crash safety and node watching. At start, every attempt left open in the store (a dialer
//! was killed mid-call) is reconciled with its switch: a call still alive is hung up cleanly
//! and recorded `interrupted` (retried); a call that ended meanwhile gets a disposition too.
//! None is left "dialing", no contact is lost, and the retry policy decides what comes next.
//! The node watchers read events that name no channel: a CUSTOM `filestring::fail` while a
//! campaign's `say` runs marks that campaign misconfigured and pauses it.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::engine::{Engine, EngineError};
use crate::call::actor::NodeRt;
use crate::call::call_channel::CallProgress;
use crate::call::finish::{finish_call, CallOutcome, EngineRequest, Placed};
use crate::call::job::CampaignRt;
use crate::call::retry::RetryState;
use crate::clock::Clock;
use crate::model::OpenAttempt;
use crate::script::ScriptOutcome;

/// The cause recorded for a call that ended while no dialer watched it.
pub const ENDED_UNWATCHED: &str = "ENDED_WHILE_DIALER_DOWN";

/// Reconciles every open attempt this dialer may take over.
pub async fn reconcile(engine: &Engine) -> Result<(), EngineError> {
    let env = &engine.env;
    let now = env.clock.now();
    let open = env.store.open_attempts().await?;
    for a in open {
        let foreign_live = a.lease_owner.as_deref().is_some_and(|o| o != env.owner)
            && a.lease_until.is_some_and(|t| t > now);
        if foreign_live {
            continue;
        }
        let until = now + engine.lease_span();
        if let Err(e) = env
            .store
            .adopt_attempt(a.attempt_id, &env.owner, now, until)
            .await
        {
            tracing::info!(attempt = a.attempt_id, error = %e, "not adopting this open attempt");
            continue;
        }
        let node = engine
            .nodes
            .iter()
            .find(|n| n.switch.name() == a.node)
            .cloned();
        if let Err(e) = settle(engine, &a, node).await {
            tracing::warn!(attempt = a.attempt_id, error = %e, "cannot settle an open attempt");
        }
    }
    Ok(())
}

async fn settle(
    engine: &Engine,
    a: &OpenAttempt,
    node: Option<Arc<NodeRt>>,
) -> Result<(), EngineError> {
    let env = &engine.env;
    let record = env.store.campaign(a.campaign_id).await?;
    let Some(contact) = env.store.contact(a.contact_id).await? else {
        return Ok(());
    };
    let campaign = CampaignRt {
        id: record.id,
        settings: record.definition.run_settings(),
        def: Arc::new(record.definition),
        stop: CancellationToken::new(),
    };
    let mut state = CallProgress::default();
    match node {
        Some(node) => hang_up_if_alive(&*node.switch, &a.uuid, &mut state, &env.clock).await,
        None => tracing::warn!(node = %a.node, "the attempt's node is not configured any more"),
    }
    if state.hangup.is_none() {
        state.job_error = Some(ENDED_UNWATCHED.into());
    }
    let before = RetryState {
        attempts: contact.attempts,
        technical_streak: contact.technical_streak,
    };
    tracing::info!(attempt = a.attempt_id, call_uuid = %a.uuid, "reconciled an open attempt after a restart");
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

/// If the channel still exists, hangs it up and collects its CHANNEL_HANGUP_COMPLETE.
pub(super) async fn hang_up_if_alive(
    switch: &dyn crate::call::switch::Switch,
    uuid: &str,
    state: &mut CallProgress,
    clock: &Clock,
) {
    let Ok(mut events) = switch.channel_events(uuid) else {
        return;
    };
    if let Ok(true) = switch.uuid_exists(uuid).await {
        // outcall ends this call, not the callee: it is `interrupted` (its script's progress
        // died with the old process, so no success point is known).
        state.interrupted = true;
        let _ = switch.kill(uuid, "NORMAL_CLEARING").await;
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
