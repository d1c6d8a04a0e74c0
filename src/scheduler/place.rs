//! The engine's one dispatch for every kind of [`Job`]: a leased campaign contact or callback
//! job gets its key recorded in the live set (whose leases the keep-alive extends), a pacing
//! permit for its caps, and a task that runs it ([`Job::run`]); when the run ends the key is
//! removed, the permit released and the engine woken. A job that finds no line is given back
//! ([`Job::give_back`], due now).

use tokio::time::Instant;

use super::engine::Engine;
use super::pacing::CapKey;
use crate::call::job::{CampaignRt, Job, NotStarted};
use crate::callback::record::CallbackRecord;
use crate::esl::command::app::gateway_of;

/// The caps a job's call is counted against.
pub(super) fn caps_of(job: &Job) -> Vec<CapKey> {
    match job {
        Job::Contact(j) => campaign_caps(&j.campaign),
        Job::Callback(j) => callback_caps(&j.rec),
    }
}

/// A campaign contact's caps: its campaign, and the gateway its dial string names (a gateway
/// without configured caps is unlimited).
pub(super) fn campaign_caps(rt: &CampaignRt) -> Vec<CapKey> {
    with_gateway(vec![CapKey::Campaign(rt.id)], Some(&rt.def.dial))
}

/// A callback job's caps: every callback job's shared cap, and the gateway of its first
/// manager trunk.
pub(super) fn callback_caps(rec: &CallbackRecord) -> Vec<CapKey> {
    with_gateway(vec![CapKey::Callbacks], rec.spec.manager_trunks.first())
}

fn with_gateway(mut caps: Vec<CapKey>, dial: Option<&String>) -> Vec<CapKey> {
    if let Some(g) = dial.and_then(|d| gateway_of(d)) {
        caps.push(CapKey::Gateway(g.to_string()));
    }
    caps
}

impl Engine {
    /// Places one leased job: live set, permit, run, release.
    pub(super) async fn place(&mut self, job: Job) {
        let key = job.key();
        if !self.env.live.insert(key) {
            // Its lease ran out and it was claimed again while its call is still live here.
            return;
        }
        let Some(permit) = self.pacer.acquire(&caps_of(&job), Instant::now()) else {
            self.env.live.remove(key);
            // Raced out of room: given back, due now.
            job.give_back(&self.env, NotStarted::Full("no line".into()))
                .await;
            return;
        };
        let node = self.nodes[permit.node()].clone();
        let env = self.env.clone();
        self.calls.spawn(async move {
            job.run(env.clone(), node).await;
            env.live.remove(key);
            drop(permit);
            env.wake.notify_one();
        });
    }
}
