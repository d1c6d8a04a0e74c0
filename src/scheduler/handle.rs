//! What lives beside the engine's loop: the [`EngineHandle`] a caller holds while the engine
//! runs (metrics, a wake-up, the clock, and stepping by whole scheduling passes), the release
//! of a previous run's unstarted leases, the tasks that keep live calls' leases alive and sweep
//! calls lost with their nodes, and the drain at a stop ([`DrainReport`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::call::finish::CallEnv;
use crate::call::job::JobKey;
use crate::call::metrics::Metrics;
use crate::clock::Clock;
use crate::store::StoreError;

/// What a caller outside the loop can use while it runs.
#[derive(Clone)]
pub struct EngineHandle {
    pub metrics: Metrics,
    pub wake: Arc<Notify>,
    /// Wakes the engine for the callback part of a pass alone: a callback job was posted in
    /// this process (the API's `ApiState::wake`). Campaigns are read on the other wake-ups
    /// (and at least every poll), and [`EngineHandle::step`] counts only whole passes.
    pub callback_wake: Arc<Notify>,
    pub clock: Clock,
    pub(super) passes: watch::Receiver<u64>,
}

impl EngineHandle {
    /// Scheduling passes completed so far.
    pub fn passes(&self) -> u64 {
        *self.passes.borrow()
    }

    /// Wakes the engine and waits until `n` more passes have completed: after it, every
    /// status written before the call has been read and acted on (a step, not a guess at time).
    /// Returns early if the engine has stopped.
    pub async fn step(&self, n: u64) {
        let mut rx = self.passes.clone();
        let target = *rx.borrow_and_update() + n;
        while *rx.borrow() < target {
            self.wake.notify_one();
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// Waits, without waking the engine, until its next pass completes on its own (its poll
    /// interval, a due recall, or a finished call); false once the engine has stopped. Tests
    /// wait on this instead of sleeping: under a paused clock it is deterministic.
    pub async fn next_pass(&self) -> bool {
        let mut rx = self.passes.clone();
        rx.borrow_and_update();
        rx.changed().await.is_ok()
    }
}

/// At a dialer's start: the contacts its owner name still leases with no open attempt were
/// claimed by its previous life, killed before their calls started: due again at once.
pub(super) async fn release_own_leases(env: &CallEnv) -> Result<(), StoreError> {
    let released = env
        .store
        .release_own_leases(&env.owner, env.clock.now())
        .await?;
    if released > 0 {
        tracing::info!(
            contacts = released,
            "released the leases of calls a previous run of this dialer never started"
        );
    }
    Ok(())
}

/// The tasks beside the loop, until `stop`: the lease keep-alive and the sweeper of calls lost
/// with their nodes ([`crate::call::orphans`]).
pub(super) fn spawn_helpers(
    env: &Arc<CallEnv>,
    lease: Duration,
    stop: &CancellationToken,
) -> Vec<JoinHandle<()>> {
    let sweeper = {
        let (env, stop) = (env.clone(), stop.clone());
        tokio::spawn(async move { env.orphans.sweep_until(&env.nodes, stop).await })
    };
    vec![
        tokio::spawn(keep_leases(env.clone(), lease, stop.clone())),
        sweeper,
    ]
}

/// Extends the leases of live jobs (contacts and callback jobs) every third of the lease.
async fn keep_leases(env: Arc<CallEnv>, lease: Duration, shutdown: CancellationToken) {
    let every = (lease / 3).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let (mut contacts, mut callbacks) = (Vec::new(), Vec::new());
        for key in env.live.keys() {
            match key {
                JobKey::Contact(id) => contacts.push(id),
                JobKey::Callback(id) => callbacks.push(id),
            }
        }
        let until = env.clock.now() + Clock::span(lease.mul_f64(env.clock.scale()));
        if !contacts.is_empty() {
            if let Err(e) = env.store.extend_leases(&env.owner, &contacts, until).await {
                tracing::warn!(error = %e, "cannot extend leases");
            }
        }
        if !callbacks.is_empty() {
            let store = &env.store;
            if let Err(e) = store
                .extend_callback_leases(&env.owner, &callbacks, until)
                .await
            {
                tracing::warn!(error = %e, "cannot extend the callback jobs' leases");
            }
        }
    }
}

/// How long the calls hung up at the end of a drain may take to report their end and be
/// recorded.
const HANGUP_WAIT: Duration = Duration::from_secs(15);

/// What a stop's drain came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Calls live when the stop came.
    pub live: usize,
    /// Of them, calls that ended on their own within the drain time (recorded as usual).
    pub finished: usize,
    /// Calls still live when the drain time ran out, hung up by outcall (recorded
    /// `interrupted` unless their script had reached a success point).
    pub hung_up: usize,
    /// Of those, calls whose end was not recorded within the wait: their leases run out and
    /// the next start reconciles them.
    pub unrecorded: usize,
}

/// Waits up to `limit` for the live calls to end; then hangs up the rest and waits for their
/// ends to be recorded.
pub(super) async fn drain(calls: &mut JoinSet<()>, env: &CallEnv, limit: Duration) -> DrainReport {
    while calls.try_join_next().is_some() {}
    let live = calls.len();
    let all_done = async |calls: &mut JoinSet<()>| while calls.join_next().await.is_some() {};
    let _ = tokio::time::timeout(limit, all_done(calls)).await;
    let left = calls.len();
    let mut report = DrainReport {
        live,
        finished: live - left,
        ..DrainReport::default()
    };
    if left > 0 {
        report.hung_up = left;
        env.interrupt.cancel();
        let _ = tokio::time::timeout(HANGUP_WAIT, all_done(calls)).await;
        report.unrecorded = calls.len();
        calls.abort_all();
    }
    report
}
