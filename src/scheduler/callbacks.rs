//! Callback jobs in the engine's pass: lease the due ones up to the free lines under
//! `CapKey::Callbacks` (and the first manager trunk's gateway), and place each as a
//! `Job::Callback` through the engine's one dispatch (`scheduler::place`), as campaign
//! contacts are.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::engine::{Engine, EngineError};
use super::pacing::{CapKey, Pacer};
use crate::call::callback::{CallbackEnv, CallbackJob};
use crate::call::job::Job;
use crate::callback::callerid::Locations;

/// Caps of every callback job of one dialer (`[callbacks]` in outcall.toml).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallbackLimits {
    /// Jobs in a call at once.
    pub lines: u32,
    /// New jobs started per second (`None`: no rate cap).
    pub cps: Option<f64>,
}

impl Default for CallbackLimits {
    fn default() -> Self {
        CallbackLimits {
            lines: 10,
            cps: Some(5.0),
        }
    }
}

/// The default callback cap on `pacer` and what callback calls share, for a new engine.
pub(super) fn defaults(pacer: &Pacer) -> Arc<CallbackEnv> {
    let d = CallbackLimits::default();
    pacer.set_cap(CapKey::Callbacks, d.lines, d.cps, Instant::now());
    Arc::new(CallbackEnv::default())
}

impl Engine {
    /// Sets the callback jobs' caps, caller-ID locations and recordings directory (before
    /// [`Engine::run`]).
    pub fn configure_callbacks(
        &mut self,
        limits: CallbackLimits,
        locations: Locations,
        recordings: String,
    ) {
        self.pacer
            .set_cap(CapKey::Callbacks, limits.lines, limits.cps, Instant::now());
        self.callbacks = Arc::new(CallbackEnv {
            locations,
            recordings,
        });
    }

    /// Leases due callback jobs up to the free lines and starts their calls: one read of when
    /// pending jobs are due, and the lease only when one is due and a line is free.
    pub(super) async fn dispatch_callbacks(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let env = self.env.clone();
        let due = env.store.callbacks_due(now).await?;
        // A job due now that finds no line is taken when a call ends (which wakes the engine)
        // or at the next poll; a later one sets the wake-up time.
        self.next_callback_due = due.later;
        if due.earliest.is_none_or(|t| t > now) {
            return Ok(());
        }
        let slots = self.pacer.free_slots(&[CapKey::Callbacks], Instant::now());
        let until = now + self.lease_span();
        let claimed = env
            .store
            .claim_callbacks(now, slots, &self.opts.owner, until)
            .await?;
        for rec in claimed {
            let shared = self.callbacks.clone();
            let job = Box::new(CallbackJob { rec, shared });
            self.place(Job::Callback(job)).await;
        }
        Ok(())
    }

    /// The callback part of a pass alone, when a job was posted in this process
    /// ([`super::EngineHandle::callback_wake`]): the campaigns are not read again for it.
    pub(super) async fn callbacks_pass(&mut self) -> Result<(), EngineError> {
        for node in &self.nodes {
            self.pacer.set_node_health(node.index, node.switch.is_up());
        }
        let now = self.env.clock.now();
        self.dispatch_callbacks(now).await
    }
}
