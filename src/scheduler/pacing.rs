//! Pacing: concurrent-call caps and calls-per-second token buckets at four levels (global,
//! FreeSWITCH node, gateway, campaign), and the choice of node for each new call.
//!
//! A call takes a [`Permit`] before it is originated; the permit holds one line at every level
//! and gives it back when dropped. Free slots are the smallest room left at any level. Time is
//! passed in (`tokio::time::Instant`), so tests drive it with paused time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// Calls per second as a token bucket: `rate` tokens a second, holding at most `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket; the burst is one second's worth (at least one call).
    pub fn new(rate: f64, now: Instant) -> Self {
        let burst = rate.max(1.0);
        TokenBucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    /// Whole calls that may start now.
    pub fn available(&mut self, now: Instant) -> u32 {
        self.refill(now);
        self.tokens.floor().max(0.0) as u32
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until one token is there.
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 || self.rate <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64((1.0 - self.tokens) / self.rate)
    }
}

/// One level's limits and use: a line cap and an optional rate.
#[derive(Debug, Clone)]
struct Gate {
    lines: u32,
    active: u32,
    bucket: Option<TokenBucket>,
}

impl Gate {
    fn new(lines: u32, cps: Option<f64>, now: Instant) -> Self {
        Gate {
            lines,
            active: 0,
            bucket: cps
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| TokenBucket::new(r, now)),
        }
    }

    fn set(&mut self, lines: u32, cps: Option<f64>, now: Instant) {
        self.lines = lines;
        let cps = cps.filter(|r| r.is_finite() && *r > 0.0);
        match (&mut self.bucket, cps) {
            (Some(b), Some(r)) if (b.rate - r).abs() < f64::EPSILON => {}
            (_, r) => self.bucket = r.map(|r| TokenBucket::new(r, now)),
        }
    }

    fn room(&mut self, now: Instant) -> u32 {
        let lines = self.lines.saturating_sub(self.active);
        match &mut self.bucket {
            Some(b) => lines.min(b.available(now)),
            None => lines,
        }
    }

    fn wait(&mut self, now: Instant) -> Duration {
        self.bucket.as_mut().map_or(Duration::ZERO, |b| b.wait(now))
    }

    fn take(&mut self, now: Instant) {
        if let Some(b) = &mut self.bucket {
            b.take(now);
        }
        self.active += 1;
    }
}

/// A FreeSWITCH node as pacing sees it.
#[derive(Debug, Clone)]
pub struct NodeLimits {
    pub name: String,
    pub max_sessions: u32,
    pub cps: f64,
    pub weight: u32,
}

#[derive(Debug)]
struct Node {
    name: String,
    weight: u32,
    healthy: bool,
    gate: Gate,
}

/// A cap a job is counted against, besides the process and the node it is placed on. A job
/// names the caps that apply to it (a campaign contact: its campaign and, when it dials through
/// one, its gateway; a callback job: its own), and pacing knows nothing else of jobs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CapKey {
    /// A campaign's lines and calls per second. Must be set: an unknown campaign has no room.
    Campaign(i64),
    /// A SIP gateway's caps, shared by everything dialling through it; unlimited when unset.
    Gateway(String),
    /// Every callback job of this dialer (one line per job, however many legs it rings).
    Callbacks,
}

impl CapKey {
    /// Whether a job naming this cap may run only once the cap is set.
    fn required(&self) -> bool {
        matches!(self, CapKey::Campaign(_))
    }
}

#[derive(Debug)]
struct State {
    global: Gate,
    nodes: Vec<Node>,
    caps: HashMap<CapKey, Gate>,
}

impl State {
    /// The room left under every cap in `keys`: None when a required cap is not set.
    fn caps_room(&mut self, keys: &[CapKey], now: Instant) -> Option<u32> {
        let mut room = u32::MAX;
        for k in keys {
            match self.caps.get_mut(k) {
                Some(g) => room = room.min(g.room(now)),
                None if k.required() => return None,
                None => {}
            }
        }
        Some(room)
    }
}

/// The pacing state of one dialer process; cheap to clone.
#[derive(Debug, Clone)]
pub struct Pacer {
    state: Arc<Mutex<State>>,
}

/// One line held at every level; dropping it frees the line.
#[derive(Debug)]
pub struct Permit {
    state: Arc<Mutex<State>>,
    /// The caps a line was taken from.
    caps: Vec<CapKey>,
    node: usize,
}

impl Permit {
    /// Index of the node chosen for the call (in the order given to [`Pacer::new`]).
    pub fn node(&self) -> usize {
        self.node
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut s = lock(&self.state);
        s.global.active = s.global.active.saturating_sub(1);
        if let Some(n) = s.nodes.get_mut(self.node) {
            n.gate.active = n.gate.active.saturating_sub(1);
        }
        for k in &self.caps {
            if let Some(g) = s.caps.get_mut(k) {
                g.active = g.active.saturating_sub(1);
            }
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pacer {
    /// A pacer for these nodes with a global cap on concurrent calls.
    pub fn new(global_lines: u32, nodes: &[NodeLimits], now: Instant) -> Self {
        let nodes = nodes
            .iter()
            .map(|n| Node {
                name: n.name.clone(),
                weight: n.weight.max(1),
                healthy: true,
                gate: Gate::new(n.max_sessions, Some(n.cps), now),
            })
            .collect();
        Pacer {
            state: Arc::new(Mutex::new(State {
                global: Gate::new(global_lines, None, now),
                nodes,
                caps: HashMap::new(),
            })),
        }
    }

    /// Sets (or changes) a cap's lines and calls per second.
    pub fn set_cap(&self, key: CapKey, lines: u32, cps: Option<f64>, now: Instant) {
        let mut s = lock(&self.state);
        s.caps
            .entry(key)
            .and_modify(|g| g.set(lines, cps, now))
            .or_insert_with(|| Gate::new(lines, cps, now));
    }

    /// Sets (or changes) a campaign's lines and calls per second.
    pub fn set_campaign(&self, campaign: i64, lines: u32, cps: f64, now: Instant) {
        self.set_cap(CapKey::Campaign(campaign), lines, Some(cps), now);
    }

    /// Sets a gateway's lines and calls per second (gateways without limits are unlimited).
    pub fn set_gateway(&self, gateway: &str, lines: u32, cps: Option<f64>, now: Instant) {
        self.set_cap(CapKey::Gateway(gateway.to_string()), lines, cps, now);
    }

    /// Marks a node healthy (its socket is up) or not; unhealthy nodes get no new calls.
    pub fn set_node_health(&self, node: usize, healthy: bool) {
        if let Some(n) = lock(&self.state).nodes.get_mut(node) {
            n.healthy = healthy;
        }
    }

    /// Name of a node.
    pub fn node_name(&self, node: usize) -> String {
        lock(&self.state)
            .nodes
            .get(node)
            .map(|n| n.name.clone())
            .unwrap_or_default()
    }

    /// Calls under the caps `keys` that could start now: the smallest room left at any level.
    pub fn free_slots(&self, keys: &[CapKey], now: Instant) -> u32 {
        let mut s = lock(&self.state);
        let s = &mut *s;
        let Some(caps) = s.caps_room(keys, now) else {
            return 0;
        };
        let room = s.global.room(now).min(caps);
        let nodes: u32 = s
            .nodes
            .iter_mut()
            .filter(|n| n.healthy)
            .map(|n| n.gate.room(now))
            .sum();
        room.min(nodes)
    }

    /// How long until a rate limit could let a job under `keys` place another call (zero when
    /// only line caps hold it back: those free up when a call ends, which notifies).
    pub fn wait_hint(&self, keys: &[CapKey], now: Instant) -> Duration {
        let mut s = lock(&self.state);
        let s = &mut *s;
        let mut wait = Duration::ZERO;
        for k in keys {
            if let Some(g) = s.caps.get_mut(k) {
                wait = wait.max(g.wait(now));
            }
        }
        let node_wait = s
            .nodes
            .iter_mut()
            .filter(|n| n.healthy)
            .map(|n| n.gate.wait(now))
            .min()
            .unwrap_or(Duration::ZERO);
        wait.max(node_wait)
    }

    /// Takes one line at every level for a job under the caps `keys`, choosing the node;
    /// `None` when any level is full.
    pub fn acquire(&self, keys: &[CapKey], now: Instant) -> Option<Permit> {
        let mut guard = lock(&self.state);
        let s = &mut *guard;
        if s.global.room(now) == 0 || s.caps_room(keys, now)? == 0 {
            return None;
        }
        let node = choose_node(&mut s.nodes, now)?;
        s.global.take(now);
        s.nodes[node].gate.take(now);
        let mut taken = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(g) = s.caps.get_mut(k) {
                g.take(now);
                taken.push(k.clone());
            }
        }
        drop(guard);
        Some(Permit {
            state: self.state.clone(),
            caps: taken,
            node,
        })
    }

    /// Concurrent calls now held (global level).
    pub fn active(&self) -> u32 {
        lock(&self.state).global.active
    }
}

/// A healthy node with room, the one whose load relative to its weight is lowest.
fn choose_node(nodes: &mut [Node], now: Instant) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, n) in nodes.iter_mut().enumerate() {
        if !n.healthy || n.gate.room(now) == 0 {
            continue;
        }
        let load = f64::from(n.gate.active + 1) / f64::from(n.weight);
        if best.is_none_or(|(_, b)| load < b) {
            best = Some((i, load));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
#[path = "pacing_tests.rs"]
mod tests;
