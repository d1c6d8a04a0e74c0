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
mod tests {
    use super::*;

    fn camp(id: i64) -> [CapKey; 1] {
        [CapKey::Campaign(id)]
    }

    fn node(name: &str, max: u32, cps: f64, weight: u32) -> NodeLimits {
        NodeLimits {
            name: name.into(),
            max_sessions: max,
            cps,
            weight,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_refills_at_its_rate() {
        let now = Instant::now();
        let mut b = TokenBucket::new(2.0, now);
        assert_eq!(b.available(now), 2);
        assert!(b.take(now) && b.take(now));
        assert!(!b.take(now));
        assert_eq!(b.wait(now), Duration::from_millis(500));
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(b.take(Instant::now()));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.available(Instant::now()), 2, "capped at the burst");
    }

    #[tokio::test(start_paused = true)]
    async fn free_slots_is_the_smallest_room() {
        let now = Instant::now();
        let p = Pacer::new(100, &[node("a", 10, 1000.0, 1)], now);
        assert_eq!(
            p.free_slots(&camp(1), now),
            0,
            "unknown campaign gets nothing"
        );
        p.set_campaign(1, 3, 1000.0, now);
        assert_eq!(p.free_slots(&camp(1), now), 3, "campaign lines");
        p.set_gateway("gw", 2, None, now);
        assert_eq!(
            p.free_slots(&[CapKey::Campaign(1), CapKey::Gateway("gw".into())], now),
            2,
            "gateway lines"
        );
        p.set_campaign(1, 50, 4.0, now);
        assert_eq!(p.free_slots(&camp(1), now), 4, "campaign cps");
        p.set_campaign(1, 50, 1000.0, now);
        assert_eq!(p.free_slots(&camp(1), now), 10, "node sessions");
        let p = Pacer::new(5, &[node("a", 10, 1000.0, 1)], now);
        p.set_campaign(1, 50, 1000.0, now);
        assert_eq!(p.free_slots(&camp(1), now), 5, "global cap");
    }

    #[tokio::test(start_paused = true)]
    async fn permits_hold_lines_until_dropped() {
        let now = Instant::now();
        let p = Pacer::new(100, &[node("a", 10, 1000.0, 1)], now);
        p.set_campaign(7, 2, 1000.0, now);
        let a = p.acquire(&camp(7), now).unwrap();
        let _b = p.acquire(&camp(7), now).unwrap();
        assert!(p.acquire(&camp(7), now).is_none(), "lines cap");
        assert_eq!(p.active(), 2);
        drop(a);
        assert_eq!(p.active(), 1);
        assert!(p.acquire(&camp(7), now).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn cps_spreads_calls_over_time() {
        let now = Instant::now();
        let p = Pacer::new(100, &[node("a", 100, 1000.0, 1)], now);
        p.set_campaign(1, 100, 5.0, now);
        let mut held = Vec::new();
        while let Some(permit) = p.acquire(&camp(1), now) {
            held.push(permit);
        }
        assert_eq!(held.len(), 5);
        assert_eq!(p.wait_hint(&camp(1), now), Duration::from_millis(200));
        tokio::time::advance(Duration::from_millis(200)).await;
        assert!(p.acquire(&camp(1), Instant::now()).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn nodes_by_weight_health_and_room() {
        let now = Instant::now();
        let p = Pacer::new(1000, &[node("a", 100, 1e6, 1), node("b", 100, 1e6, 3)], now);
        p.set_campaign(1, 1000, 1e6, now);
        let permits: Vec<Permit> = (0..40).map(|_| p.acquire(&camp(1), now).unwrap()).collect();
        let on_b = permits.iter().filter(|x| x.node() == 1).count();
        assert_eq!(on_b, 30, "three quarters go to the weight-3 node");
        p.set_node_health(1, false);
        for _ in 0..5 {
            assert_eq!(p.acquire(&camp(1), now).unwrap().node(), 0);
        }
        p.set_node_health(0, false);
        assert!(p.acquire(&camp(1), now).is_none(), "no healthy node");
        assert_eq!(p.free_slots(&camp(1), now), 0);
        let p = Pacer::new(1000, &[node("a", 1, 1e6, 1), node("b", 1, 1e6, 1)], now);
        p.set_campaign(1, 10, 1e6, now);
        let x = p.acquire(&camp(1), now).unwrap();
        let y = p.acquire(&camp(1), now).unwrap();
        assert_ne!(x.node(), y.node(), "a full node is skipped");
        assert!(p.acquire(&camp(1), now).is_none());
        assert_eq!(p.node_name(1), "b");
    }

    #[tokio::test(start_paused = true)]
    async fn a_campaign_cap_is_required_and_a_gateway_cap_optional() {
        let now = Instant::now();
        let p = Pacer::new(
            10,
            &[NodeLimits {
                name: "a".into(),
                max_sessions: 10,
                cps: 100.0,
                weight: 1,
            }],
            now,
        );
        let gw = [CapKey::Campaign(1), CapKey::Gateway("office".into())];
        assert_eq!(p.free_slots(&gw, now), 0, "campaign 1 has no caps yet");
        assert!(p.acquire(&gw, now).is_none());
        p.set_campaign(1, 2, 100.0, now);
        assert_eq!(p.free_slots(&gw, now), 2, "an unset gateway does not limit");
        p.set_gateway("office", 1, None, now);
        let held = p.acquire(&gw, now).expect("one line on the gateway");
        assert!(
            p.acquire(&gw, now).is_none(),
            "the gateway's one line is taken"
        );
        assert_eq!(
            p.free_slots(&camp(1), now),
            1,
            "the campaign alone has one more"
        );
        drop(held);
        assert_eq!(p.free_slots(&gw, now), 1);
    }
}
