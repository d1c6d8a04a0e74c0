//! Event routing, owned by the connection task (so no lock is taken per event).
//!
//! Each event is parsed once and shared as `Arc<Event>`. BACKGROUND_JOB completes the `bgapi`
//! waiting on its Job-UUID; CHANNEL_EXECUTE_COMPLETE completes the `execute` waiting on its
//! Application-UUID; CHANNEL_HANGUP_COMPLETE / CHANNEL_DESTROY fail the executes still waiting on
//! that channel. Then the event goes to the channel's subscriber (by Unique-ID) and to every
//! catch-all subscriber with `try_send`: a full queue drops the event and counts it, so a slow
//! consumer never stalls the socket reader. Events nobody took are counted as unrouted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::error::{Disconnect, Error, Result};
use crate::esl::event::Event;

/// Counters, readable from any handle.
#[derive(Debug, Default)]
pub struct Stats {
    pub(super) events: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) unrouted: AtomicU64,
    pub(super) bad_events: AtomicU64,
}

/// A copy of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Events received and parsed.
    pub events: u64,
    /// Deliveries dropped because a subscriber's queue was full.
    pub dropped: u64,
    /// Events no waiter or subscriber took.
    pub unrouted: u64,
    /// Event frames whose body could not be parsed.
    pub bad_events: u64,
}

impl Stats {
    pub(super) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            events: self.events.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            unrouted: self.unrouted.load(Relaxed),
            bad_events: self.bad_events.load(Relaxed),
        }
    }
}

/// The sending side of one subscription.
pub(super) struct Sub {
    pub id: u64,
    pub tx: mpsc::Sender<Arc<Event>>,
    pub dropped: Arc<AtomicU64>,
}

pub(super) type Done = oneshot::Sender<Result<Arc<Event>>>;

#[derive(Default)]
pub(super) struct Router {
    routes: HashMap<String, Sub>,
    all: Vec<Sub>,
    jobs: HashMap<String, Done>,
    execs: HashMap<String, (String, Done)>,
    execs_by_channel: HashMap<String, Vec<String>>,
    stats: Arc<Stats>,
}

enum Offer {
    Taken,
    Full,
    Gone,
}

fn offer(sub: &Sub, ev: &Arc<Event>, stats: &Stats) -> Offer {
    match sub.tx.try_send(ev.clone()) {
        Ok(()) => Offer::Taken,
        Err(mpsc::error::TrySendError::Full(_)) => {
            sub.dropped.fetch_add(1, Relaxed);
            stats.dropped.fetch_add(1, Relaxed);
            Offer::Full
        }
        Err(mpsc::error::TrySendError::Closed(_)) => Offer::Gone,
    }
}

impl Router {
    pub fn new(stats: Arc<Stats>) -> Self {
        Router {
            stats,
            ..Default::default()
        }
    }

    /// Routes `uuid`'s events to `sub`, replacing an earlier subscription for it.
    pub fn route(&mut self, uuid: String, sub: Sub) {
        self.routes.insert(uuid, sub);
    }

    /// Removes the route if it is still the subscription `id`.
    pub fn unroute(&mut self, uuid: &str, id: u64) {
        if self.routes.get(uuid).is_some_and(|s| s.id == id) {
            self.routes.remove(uuid);
        }
    }

    pub fn catch_all(&mut self, sub: Sub) {
        self.all.push(sub);
    }

    pub fn wait_job(&mut self, job: String, done: Done) {
        self.jobs.insert(job, done);
    }

    pub fn forget_job(&mut self, job: &str) -> Option<Done> {
        self.jobs.remove(job)
    }

    pub fn wait_exec(&mut self, channel: String, event_uuid: String, done: Done) {
        self.execs_by_channel
            .entry(channel.clone())
            .or_default()
            .push(event_uuid.clone());
        self.execs.insert(event_uuid, (channel, done));
    }

    pub fn forget_exec(&mut self, event_uuid: &str) -> Option<Done> {
        let (channel, done) = self.execs.remove(event_uuid)?;
        if let Some(list) = self.execs_by_channel.get_mut(&channel) {
            list.retain(|e| e != event_uuid);
            if list.is_empty() {
                self.execs_by_channel.remove(&channel);
            }
        }
        Some(done)
    }

    /// Delivers one event to its waiters and subscribers.
    pub fn dispatch(&mut self, ev: Event) {
        self.stats.events.fetch_add(1, Relaxed);
        let ev = Arc::new(ev);
        let mut taken = self.complete_waiters(&ev);
        if let Some(uid) = ev.unique_id() {
            if let Some(sub) = self.routes.get(uid.as_ref()) {
                match offer(sub, &ev, &self.stats) {
                    Offer::Taken => taken = true,
                    Offer::Full => taken = true,
                    Offer::Gone => {
                        self.routes.remove(uid.as_ref());
                    }
                }
            }
        }
        let stats = &self.stats;
        self.all.retain(|sub| match offer(sub, &ev, stats) {
            Offer::Gone => false,
            _ => {
                taken = true;
                true
            }
        });
        if !taken {
            self.stats.unrouted.fetch_add(1, Relaxed);
        }
    }

    fn complete_waiters(&mut self, ev: &Arc<Event>) -> bool {
        let Some(name) = ev.event_name() else {
            return false;
        };
        match name.as_ref() {
            "BACKGROUND_JOB" => {
                let done = ev.job_uuid().and_then(|j| self.jobs.remove(j.as_ref()));
                done.map(|d| d.send(Ok(ev.clone()))).is_some()
            }
            "CHANNEL_EXECUTE_COMPLETE" => {
                let done = ev
                    .application_uuid()
                    .and_then(|a| self.forget_exec(a.as_ref()));
                done.map(|d| d.send(Ok(ev.clone()))).is_some()
            }
            "CHANNEL_HANGUP_COMPLETE" | "CHANNEL_DESTROY" => {
                if let Some(uid) = ev.unique_id() {
                    self.fail_channel(uid.as_ref());
                }
                false
            }
            _ => false,
        }
    }

    fn fail_channel(&mut self, uuid: &str) {
        for e in self.execs_by_channel.remove(uuid).unwrap_or_default() {
            if let Some((_, done)) = self.execs.remove(&e) {
                let _ = done.send(Err(Error::HungUp(uuid.to_owned())));
            }
        }
    }

    /// The connection is gone: every waiter gets the reason; subscriptions end.
    pub fn fail_all(&mut self, reason: &Arc<Disconnect>) {
        for (_, done) in self.jobs.drain() {
            let _ = done.send(Err(Error::Disconnected(reason.clone())));
        }
        for (_, (_, done)) in self.execs.drain() {
            let _ = done.send(Err(Error::Disconnected(reason.clone())));
        }
        self.execs_by_channel.clear();
        self.routes.clear();
        self.all.clear();
    }
}
