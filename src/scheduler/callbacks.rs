//! Callback jobs in the engine's pass: lease the due ones up to the free lines under
//! `CapKey::Callbacks` (and the first manager trunk's gateway), and run each on a node with a
//! pacing permit held until its call is recorded, as campaign calls are.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::engine::{Engine, EngineError};
use super::pacing::{CapKey, Pacer};
use crate::call::callback::{run, CallbackCall, CallbackEnv};
use crate::callback::callerid::Locations;
use crate::callback::record::CallbackRecord;
use crate::esl::command::app::gateway_of;

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
pub(super) fn defaults(pacer: &Pacer, lease: Duration) -> Arc<CallbackEnv> {
    let d = CallbackLimits::default();
    pacer.set_cap(CapKey::Callbacks, d.lines, d.cps, Instant::now());
    Arc::new(CallbackEnv {
        lease,
        ..CallbackEnv::default()
    })
}

/// The caps a job is counted against.
fn caps_of(rec: &CallbackRecord) -> Vec<CapKey> {
    let mut caps = vec![CapKey::Callbacks];
    if let Some(g) = rec.spec.manager_trunks.first().and_then(|t| gateway_of(t)) {
        caps.push(CapKey::Gateway(g.to_string()));
    }
    caps
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
            lease: self.opts.lease,
            recordings,
        });
    }

    /// Leases due callback jobs up to the free lines and starts their calls.
    pub(super) async fn dispatch_callbacks(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let env = self.env.clone();
        let slots = self.pacer.free_slots(&[CapKey::Callbacks], Instant::now());
        let until = now + self.lease_span();
        let claimed = env
            .store
            .claim_callbacks(now, slots, &self.opts.owner, until)
            .await?;
        for rec in claimed {
            let caps = caps_of(&rec);
            let Some(permit) = self.pacer.acquire(&caps, Instant::now()) else {
                // Raced out of room (a gateway cap): give it back, due now.
                env.store
                    .callback_release(rec.id, &self.opts.owner, now)
                    .await?;
                continue;
            };
            let call = CallbackCall {
                rec,
                node: self.nodes[permit.node()].clone(),
                shared: self.callbacks.clone(),
            };
            let env = env.clone();
            self.calls.spawn(async move {
                run(env.clone(), call).await;
                drop(permit);
                env.wake.notify_one();
            });
        }
        // A job due now that found no line is taken when a call ends (which wakes the engine)
        // or at the next poll; a later one sets the wake-up time.
        if let Some(t) = env.store.next_callback_due().await?.filter(|t| *t > now) {
            self.next_due = Some(self.next_due.map_or(t, |n| n.min(t)));
        }
        Ok(())
    }
}
