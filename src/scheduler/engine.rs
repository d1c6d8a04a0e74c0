//! The engine: one scheduler loop per dialer process. It wakes at the next due time, on a
//! notify (a call ended, a line is free; a callback job posted in this process wakes the
//! callback part of a pass alone) or at least every `poll` (so `campaign pause|resume|
//! stop` and `pause-all`, written to the store by another process, act within a second), then
//! for each running campaign plans its zones, leases due contacts up to the free pacing slots
//! and, like the due callback jobs (`scheduler::callbacks`), places each as a `Job` through the
//! one dispatch (`scheduler::place`). It also keeps live calls' leases alive, applies pause
//! requests from calls (technical errors, `filestring::fail`), restarts cron campaigns and
//! marks campaigns completed (`scheduler::by_time` starts scheduled campaigns and reruns cron
//! ones).

use std::collections::HashMap;

pub use super::handle::{DrainReport, EngineHandle};
pub use super::options::{default_owner, EngineOptions};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::definitions::{Definitions, Lookup};
use super::zones;
use crate::call::actor::NodeRt;
use crate::call::finish::{CallEnv, EngineRequest, LiveSet};
use crate::call::job::{CampaignRt, ContactJob, Job};
use crate::call::metrics::Metrics;
use crate::call::say_watch::SayWatch;
use crate::call::switch::Switch;
use crate::campaign::definition::CampaignDef;
use crate::clock::Clock;
use crate::model::CampaignStatus;
use crate::ops::campaigns::pause_automatically;
use crate::scheduler::pacing::{NodeLimits, Pacer};
use crate::store::{Store, StoreError};

/// Errors that stop the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// A FreeSWITCH node to drive, with its limits.
pub struct NodeSpec {
    pub switch: Arc<dyn Switch>,
    pub limits: NodeLimits,
}

/// The running dialer.
pub struct Engine {
    pub(crate) env: Arc<CallEnv>,
    pub(crate) nodes: Vec<Arc<NodeRt>>,
    pub(crate) pacer: Pacer,
    pub(crate) opts: EngineOptions,
    campaigns: HashMap<i64, Arc<CampaignRt>>,
    definitions: Definitions,
    passes: watch::Sender<u64>,
    requests: mpsc::UnboundedReceiver<EngineRequest>,
    pub(super) calls: JoinSet<()>,
    pub(super) next_due: Option<DateTime<Utc>>,
    /// The next due time of a pending callback job, as the last callback part saw it.
    pub(super) next_callback_due: Option<DateTime<Utc>>,
    /// Wakes the loop for the callback part of a pass alone (a job was posted here).
    callback_wake: Arc<Notify>,
    /// What callback calls share (caller-ID locations, lease, recordings).
    pub(super) callbacks: Arc<crate::call::callback::CallbackEnv>,
}

impl Engine {
    pub fn new(store: Store, nodes: Vec<NodeSpec>, clock: Clock, opts: EngineOptions) -> Engine {
        let (tx, rx) = mpsc::unbounded_channel();
        let limits: Vec<NodeLimits> = nodes.iter().map(|n| n.limits.clone()).collect();
        let pacer = Pacer::new(opts.max_concurrent_calls, &limits, Instant::now());
        for g in &opts.gateways {
            pacer.set_gateway(&g.name, g.lines, g.cps, Instant::now());
        }
        let switches = nodes.iter().map(|n| n.switch.clone()).collect();
        let callbacks = super::callbacks::defaults(&pacer);
        let env = Arc::new(CallEnv {
            interrupt: CancellationToken::new(),
            nodes: switches,
            orphans: Default::default(),
            store,
            owner: opts.owner.clone(),
            clock,
            metrics: Metrics::default(),
            wake: Arc::new(Notify::new()),
            live: LiveSet::default(),
            requests: tx,
            webhooks: opts.webhooks.clone(),
        });
        let nodes = nodes
            .into_iter()
            .enumerate()
            .map(|(index, n)| {
                Arc::new(NodeRt {
                    index,
                    switch: n.switch,
                    say_watch: SayWatch::default(),
                })
            })
            .collect();
        Engine {
            env,
            nodes,
            pacer,
            opts,
            campaigns: HashMap::new(),
            definitions: Definitions::default(),
            passes: watch::Sender::new(0),
            requests: rx,
            calls: JoinSet::new(),
            next_due: None,
            next_callback_due: None,
            callback_wake: Arc::new(Notify::new()),
            callbacks,
        }
    }

    pub fn handle(&self) -> EngineHandle {
        EngineHandle {
            metrics: self.env.metrics.clone(),
            wake: self.env.wake.clone(),
            callback_wake: self.callback_wake.clone(),
            clock: self.env.clock.clone(),
            passes: self.passes.subscribe(),
        }
    }

    /// Runs until `shutdown` fires; then places no new call and lets live calls finish for up
    /// to `drain`, with the switch connections, event streams and lease keep-alive still
    /// running; then hangs up the calls still live (recorded `interrupted` unless their script
    /// had reached a success point) and waits for their ends. The caller closes the switch
    /// connections only after this returns.
    pub async fn run(
        mut self,
        shutdown: CancellationToken,
        drain: Duration,
    ) -> Result<DrainReport, EngineError> {
        super::handle::release_own_leases(&self.env).await?;
        let own = super::callbacks_recover::Take::OwnAndExpired;
        super::callbacks_recover::settle_all(&self.env, &self.nodes, self.lease_span(), own)
            .await?;
        // The reconciler (open attempts and callback jobs nobody follows, at start and then every
        // few seconds)
        // stops with the scheduler loop; the keep-alive, the node watchers and the orphan
        // sweeper outlive it: they run through the drain.
        let reconciler = tokio::spawn(
            super::recover::Reconciler::new(&self).run(self.opts.reconcile_every, shutdown.clone()),
        );
        let background = CancellationToken::new();
        let _stop_background = background.clone().drop_guard();
        let mut helpers = super::recover::watch_nodes(&self, background.clone());
        helpers.extend(super::handle::spawn_helpers(
            &self.env,
            self.opts.lease,
            &background,
        ));
        // When the pass now starting was due: a wake-up is due at once, a timer at its time.
        let mut due = Instant::now();
        // A whole pass, or the callback part alone (a job posted here).
        let mut whole = true;
        loop {
            let began = Instant::now();
            let done = match whole {
                true => self.tick().await,
                false => self.callbacks_pass().await,
            };
            if let Err(EngineError::Store(e)) = done {
                self.env.store.health().failed("schedule calls", &e);
            }
            let metrics = &self.env.metrics;
            metrics.scheduler_pass(began.saturating_duration_since(due), began.elapsed());
            if whole {
                self.passes.send_modify(|n| *n += 1);
            }
            let wait = self.wait_time();
            let timer = Instant::now() + wait;
            whole = true;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.env.wake.notified() => due = Instant::now(),
                _ = self.callback_wake.notified() => (due, whole) = (Instant::now(), false),
                _ = tokio::time::sleep_until(timer) => due = timer,
                Some(req) = self.requests.recv() => {
                    self.handle_request(req).await;
                    due = Instant::now();
                }
            }
            while self.calls.try_join_next().is_some() {}
        }
        reconciler.abort();
        let report = super::handle::drain(&mut self.calls, &self.env, drain).await;
        background.cancel();
        for h in helpers {
            let _ = h.await;
        }
        Ok(report)
    }

    /// The lease length in the engine clock's time (the option is real time).
    pub(crate) fn lease_span(&self) -> chrono::Duration {
        Clock::span(self.opts.lease.mul_f64(self.env.clock.scale()))
    }

    fn wait_time(&self) -> Duration {
        let next = match (self.next_due, self.next_callback_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let due = next
            .map(|t| self.env.clock.real_until(t))
            .unwrap_or(self.opts.poll);
        due.min(self.opts.poll).max(Duration::from_millis(5))
    }

    async fn handle_request(&mut self, req: EngineRequest) {
        match req {
            EngineRequest::Pause {
                campaign_id,
                reason,
            } => {
                let now = self.env.clock.now();
                let store = &self.env.store;
                if let Err(e) = pause_automatically(store, campaign_id, &reason, now).await {
                    tracing::warn!(campaign_id, error = %e, "cannot pause the campaign");
                }
            }
        }
    }

    /// One scheduling pass over every campaign.
    pub async fn tick(&mut self) -> Result<(), EngineError> {
        let now = self.env.clock.now();
        self.env.store.release_expired_leases(now).await?;
        for node in &self.nodes {
            self.pacer.set_node_health(node.index, node.switch.is_up());
        }
        let heads = self.env.store.campaign_heads().await?;
        self.next_due = None;
        for head in heads {
            match head.status {
                CampaignStatus::Paused | CampaignStatus::Draft => continue,
                CampaignStatus::Cancelled => {
                    if let Some(rt) = self.campaigns.remove(&head.id) {
                        rt.stop.cancel();
                    }
                    continue;
                }
                _ => {}
            }
            let def = match self.definitions.get(&head) {
                Lookup::Valid(def) => def,
                Lookup::NewlyBroken(why) => {
                    let reason = format!(
                        "paused automatically: its stored definition no longer validates ({why}); fix it with `outcall campaign update`"
                    );
                    if let Err(e) =
                        pause_automatically(&self.env.store, head.id, &reason, now).await
                    {
                        tracing::warn!(campaign_id = head.id, error = %e, "cannot pause the campaign");
                    }
                    continue;
                }
                Lookup::Broken => continue,
            };
            if head.status == CampaignStatus::Running || self.start_if_due(&head, &def, now).await?
            {
                let rt = self.runtime(head.id, &def);
                self.dispatch(&rt, now).await?;
            } else {
                self.maybe_rerun(&head, &def, now).await?;
            }
        }
        self.dispatch_callbacks(now).await?;
        Ok(())
    }

    /// The runtime of a campaign, rebuilt when its definition changed (a new script applies to
    /// calls placed after the change).
    fn runtime(&mut self, id: i64, def: &Arc<CampaignDef>) -> Arc<CampaignRt> {
        if let Some(rt) = self.campaigns.get(&id) {
            if Arc::ptr_eq(&rt.def, def) {
                return rt.clone();
            }
        }
        let stop = self
            .campaigns
            .get(&id)
            .map(|rt| rt.stop.clone())
            .unwrap_or_default();
        let caps = match self.opts.shared_caps {
            true => super::shared::caps_of(def, &self.opts.gateways, self.env.clock.scale()),
            false => Default::default(),
        };
        let rt = Arc::new(CampaignRt {
            id,
            def: def.clone(),
            settings: def.run_settings(),
            stop,
            caps,
            script_health: Default::default(),
        });
        let limits = &def.limits;
        self.pacer
            .set_campaign(id, limits.lines, limits.cps, Instant::now());
        self.campaigns.insert(id, rt.clone());
        rt
    }

    async fn dispatch(
        &mut self,
        rt: &Arc<CampaignRt>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let env = self.env.clone();
        let store = &env.store;
        let def = &rt.def;
        let caps = super::place::campaign_caps(rt);
        let zones_all = store.campaign_zones(rt.id).await?;
        let plan = zones::plan(
            &def.schedule,
            def.timezone,
            def.subscriber_local_time,
            &zones_all,
            now,
        );
        for (zone, at) in &plan.deferred {
            store.defer_zone(rt.id, zone, *at, &def.source).await?;
        }
        let local = self.pacer.free_slots(&caps, Instant::now());
        let slots = super::shared::room(store, rt.id, &rt.caps, local).await?;
        let mut claimed_n = 0;
        if slots > 0 && !plan.open.is_empty() {
            let until = now + self.lease_span();
            let claimed = store
                .claim_due(rt.id, now, &plan.open, slots, &self.opts.owner, until)
                .await?;
            claimed_n = claimed.len();
            if claimed_n > 0 {
                store.health().worked();
            }
            for contact in claimed {
                let campaign = rt.clone();
                self.place(Job::Contact(ContactJob { contact, campaign }))
                    .await;
            }
        }
        if claimed_n == 0
            && self.env.live.no_contacts()
            && store.complete_if_done(rt.id, now).await?
        {
            tracing::info!(campaign = %def.name, "campaign completed");
            return Ok(());
        }
        if (claimed_n as u32) < slots || slots == 0 {
            for zone in plan.open.iter().chain(plan.deferred.iter().map(|(z, _)| z)) {
                if let Some(t) = store.next_due_at(rt.id, zone).await? {
                    self.next_due = Some(self.next_due.map_or(t, |n| n.min(t)));
                }
            }
        }
        Ok(())
    }
}
