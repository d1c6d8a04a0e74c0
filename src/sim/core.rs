//! The switch's shared state: identity and clock, the channel table, the listeners that events
//! are queued to, limits, counters. Locks here are std mutexes held only for short, await-free
//! sections.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::channel::Channel;
use super::event::{Event, EventBuilder, Identity, Origin};
use super::leg::LegCmd;
use super::rules::{RuleState, Rules};
use super::subs::Subs;
use super::vars::InlineApiCall;
use super::Faults;

/// Events a listener may have queued before it loses events (FreeSWITCH: 100000).
pub const LISTENER_QUEUE: usize = 100_000;
/// Lost events after which a listener is killed (FreeSWITCH: 500).
pub const MAX_LOST: u64 = 500;

/// A connection that receives events.
pub struct Listener {
    pub id: u64,
    pub subs: Arc<RwLock<Subs>>,
    pub tx: mpsc::Sender<Arc<Event>>,
    pub lost: AtomicU64,
    pub killed: AtomicBool,
    /// A channel whose CHANNEL_HANGUP this listener always gets (outbound sessions).
    pub watch: Option<String>,
}

/// A live channel: its data and its actor's command queue.
#[derive(Clone)]
pub struct ChanEntry {
    pub data: Arc<Mutex<Channel>>,
    pub tx: mpsc::UnboundedSender<LegCmd>,
}

/// Counters reported by `SimHandle::stats()`.
#[derive(Default)]
pub struct Counters {
    pub originates: AtomicU64,
    pub channels_now: AtomicU64,
    pub max_concurrent: AtomicU64,
    pub sessions_total: AtomicU64,
    pub events_fired: AtomicU64,
    pub connections: AtomicU64,
}

/// The shared switch.
pub struct Core {
    pub id: Identity,
    pub rules: Rules,
    pub rule_state: Mutex<RuleState>,
    pub channels: Mutex<HashMap<String, ChanEntry>>,
    listeners: RwLock<Vec<Arc<Listener>>>,
    next_listener: AtomicU64,
    pub counters: Counters,
    /// 0 = no limit.
    pub max_sessions: AtomicU32,
    /// 0 = no limit.
    pub sps: AtomicU32,
    sps_window: Mutex<(i64, u32)>,
    pub faults: Mutex<Faults>,
    /// True while the switch hangs (like a SIGSTOPped process): no connection reads, writes
    /// or greets; TCP connections stay open.
    pub hung: tokio::sync::watch::Sender<bool>,
    pub shutdown: CancellationToken,
    pub session_ids: AtomicU64,
    /// Inline API calls met by `${...}` expansion (none is run).
    pub inline_calls: Mutex<Vec<InlineApiCall>>,
    /// Expansions that changed a string.
    pub expansions: AtomicU64,
}

/// Why a new session cannot be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    MaxSessions,
    Sps,
}

impl Core {
    /// Returns at once unless the switch hangs; then when it resumes (or shuts down).
    pub async fn awake(&self) {
        let mut rx = self.hung.subscribe();
        tokio::select! {
            _ = async { let _ = rx.wait_for(|hung| !*hung).await; } => {}
            _ = self.shutdown.cancelled() => {}
        }
    }

    pub fn new(id: Identity, rules: Rules, seed: u64, max: Option<u32>, sps: Option<u32>) -> Self {
        Core {
            id,
            rules,
            rule_state: Mutex::new(RuleState::new(seed)),
            channels: Mutex::new(HashMap::new()),
            listeners: RwLock::new(Vec::new()),
            next_listener: AtomicU64::new(1),
            counters: Counters::default(),
            max_sessions: AtomicU32::new(max.unwrap_or(0)),
            sps: AtomicU32::new(sps.unwrap_or(0)),
            sps_window: Mutex::new((0, 0)),
            faults: Mutex::new(Faults::default()),
            hung: tokio::sync::watch::Sender::new(false),
            shutdown: CancellationToken::new(),
            session_ids: AtomicU64::new(1),
            inline_calls: Mutex::new(Vec::new()),
            expansions: AtomicU64::new(0),
        }
    }

    /// A new event builder with the common block.
    pub fn event(&self, name: &'static str, origin: Origin) -> EventBuilder {
        EventBuilder::new(&self.id, name, None, origin)
    }

    /// A CUSTOM event builder with its subclass.
    pub fn id_custom(&self, subclass: &str, origin: Origin) -> EventBuilder {
        EventBuilder::new(&self.id, "CUSTOM", Some(subclass), origin)
    }

    /// Queues an event to every listener that wants it.
    pub fn fire(&self, ev: Event) {
        self.counters.events_fired.fetch_add(1, Ordering::Relaxed);
        let ev = Arc::new(ev);
        let listeners = self.listeners.read().unwrap_or_else(|e| e.into_inner());
        for l in listeners.iter() {
            let watched =
                l.watch.is_some() && ev.name == "CHANNEL_HANGUP" && ev.unique_id == l.watch;
            let wants = watched || l.subs.read().map(|s| s.wants(&ev)).unwrap_or(false);
            if !wants || l.killed.load(Ordering::Relaxed) {
                continue;
            }
            if l.tx.try_send(ev.clone()).is_err() {
                let lost = l.lost.fetch_add(1, Ordering::Relaxed) + 1;
                if lost > MAX_LOST {
                    l.killed.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Whether some listener may get a channel event of this name about this channel (its
    /// filters aside), as [`Core::fire`] decides: when none does, the event need not be built.
    pub fn heard(&self, name: &str, unique_id: &str) -> bool {
        let listeners = self.listeners.read().unwrap_or_else(|e| e.into_inner());
        listeners.iter().any(|l| {
            let watched = name == "CHANNEL_HANGUP" && l.watch.as_deref() == Some(unique_id);
            let may = || {
                l.subs
                    .read()
                    .map(|s| s.may_want(name, None, (Some(unique_id), None)))
                    .unwrap_or(false)
            };
            !l.killed.load(Ordering::Relaxed) && (watched || may())
        })
    }

    /// Accounts for an event nobody hears without building it: it takes its sequence number
    /// and counts as fired, as if built and fired.
    pub fn fire_unheard(&self) {
        self.id.next_seq();
        self.counters.events_fired.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether anyone listens at all (lets hot paths skip building events nobody gets).
    pub fn has_listeners(&self) -> bool {
        !self
            .listeners
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Registers a listener; returns it and the receiving end of its queue.
    pub fn add_listener(
        &self,
        subs: Arc<RwLock<Subs>>,
        watch: Option<String>,
    ) -> (Arc<Listener>, mpsc::Receiver<Arc<Event>>) {
        let (tx, rx) = mpsc::channel(LISTENER_QUEUE);
        let l = Arc::new(Listener {
            id: self.next_listener.fetch_add(1, Ordering::Relaxed),
            subs,
            tx,
            lost: AtomicU64::new(0),
            killed: AtomicBool::new(false),
            watch,
        });
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(l.clone());
        (l, rx)
    }

    pub fn remove_listener(&self, id: u64) {
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|l| l.id != id);
    }

    /// A live (not hung up) channel by uuid.
    pub fn channel(&self, uuid: &str) -> Option<ChanEntry> {
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let e = map.get(uuid)?;
        let up = e
            .data
            .lock()
            .map(|c| c.hangup_cause.is_none())
            .unwrap_or(false);
        up.then(|| e.clone())
    }

    /// Whether a uuid is taken (live or still tearing down).
    pub fn uuid_taken(&self, uuid: &str) -> bool {
        self.channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(uuid)
    }

    /// Checks the session limits and counts a new session; Err when a limit is hit.
    pub fn admit(&self, uuid: &str, entry: ChanEntry) -> Result<(), LimitHit> {
        let max = self.max_sessions.load(Ordering::Relaxed);
        let sps = self.sps.load(Ordering::Relaxed);
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if max > 0 && map.len() as u32 >= max {
            return Err(LimitHit::MaxSessions);
        }
        if sps > 0 {
            let sec = self.id.clock.now_us().div_euclid(1_000_000);
            let mut w = self.sps_window.lock().unwrap_or_else(|e| e.into_inner());
            if w.0 != sec {
                *w = (sec, 0);
            }
            if w.1 >= sps {
                return Err(LimitHit::Sps);
            }
            w.1 += 1;
        }
        map.insert(uuid.to_string(), entry);
        let now = map.len() as u64;
        drop(map);
        self.counters.channels_now.store(now, Ordering::Relaxed);
        self.counters
            .max_concurrent
            .fetch_max(now, Ordering::Relaxed);
        self.counters.sessions_total.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Forgets a destroyed channel.
    pub fn remove_channel(&self, uuid: &str) {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(uuid);
        self.counters
            .channels_now
            .store(map.len() as u64, Ordering::Relaxed);
    }

    /// Snapshot of every live channel.
    pub fn live_channels(&self) -> Vec<ChanEntry> {
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
    }

    /// Sessions created in the current simulated second (for HEARTBEAT / status).
    pub fn sps_now(&self) -> u32 {
        self.sps_window.lock().map(|w| w.1).unwrap_or(0)
    }
}
