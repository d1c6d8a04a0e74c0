//! The FreeSWITCH simulator behind `outcall sim`: a mod_event_socket server that simulates
//! calls with scripted outcomes, for tests, the demo and benchmarks.
//!
//! It reads client requests with the esl module's [`crate::esl::ServerCodec`] and writes every
//! reply and event itself, the way FreeSWITCH serializes them ([`encode`]), so it shares no
//! parsing shortcut with the client. Start it in-process with [`start`] on `127.0.0.1:0`:
//!
//! ```no_run
//! # async fn f() -> Result<(), outcall::sim::SimError> {
//! let sim = outcall::sim::start(outcall::sim::SimConfig::default()).await?;
//! println!("listening on {}", sim.addr());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! One task per connection, one per channel, one for HEARTBEAT; events are built once and
//! serialized once per format, then shared by every listener. See docs/sim.md for the rules
//! format and what is simulated.

mod api;
mod apps;
mod blocks;
mod bridge;
pub mod causes;
pub mod channel;
mod commands;
mod conn;
mod core;
pub mod dialstring;
mod digits;
pub mod encode;
pub mod event;
pub mod expand;
pub mod headers;
mod leg;
pub mod media;
mod originate;
mod outbound;
pub mod rules;
mod show;
pub mod simtime;
mod subs;
mod vars;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use self::core::Core;
use self::event::Identity;
use self::leg::{spawn_leg, Exec, LegSpec};
pub use self::rules::{Rules, RulesError};
pub use self::vars::InlineApiCall;

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("cannot place the inbound call: {0}")]
    Inbound(&'static str),
}

/// Faults injected into every connection accepted after they are set.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Close the connection right after sending this many events.
    pub drop_after_events: Option<u64>,
    /// After this many events, stop writing for this long (real time).
    pub stall_after_events: Option<(u64, Duration)>,
    /// After this many events, write a frame whose header block is not `Name: value` lines.
    pub malformed_after_events: Option<u64>,
    /// Stop reading requests after this many (a slow consumer: the client's writes back up).
    pub stop_reading_after_requests: Option<u64>,
}

/// How to run the simulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub password: String,
    pub rules: Rules,
    /// Simulated time runs this many times faster than real time.
    pub time_scale: f64,
    /// Like FreeSWITCH's max-sessions; None: no limit.
    pub max_sessions: Option<u32>,
    /// Like FreeSWITCH's sessions-per-second; None: no limit.
    pub sps: Option<u32>,
    /// Seed of the generator behind weighted random mixes.
    pub seed: u64,
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            password: "ClueCon".into(),
            rules: Rules::default(),
            time_scale: 1.0,
            max_sessions: None,
            sps: None,
            seed: 0,
            faults: Faults::default(),
        }
    }
}

/// Counters of a running simulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub originates: u64,
    pub channels_now: u64,
    pub max_concurrent_channels: u64,
    pub sessions_total: u64,
    pub events_fired: u64,
    pub connections: u64,
}

/// An inbound call that runs the `socket` application (outbound mode).
#[derive(Clone, Debug)]
pub struct InboundCall {
    pub caller: String,
    pub destination: String,
    /// The `socket` application argument, e.g. `127.0.0.1:8084 async full`.
    pub socket: String,
    /// Seconds after which the caller hangs up (None: stays until hung up).
    pub hangup_after: Option<f64>,
    /// Channel variables the dialplan set before `socket` (e.g. hangup_after_bridge=true).
    pub vars: Vec<(String, String)>,
}

/// A running simulator.
pub struct SimHandle {
    addr: SocketAddr,
    core: Arc<Core>,
    tasks: Vec<JoinHandle<()>>,
}

/// Binds and starts the simulator.
pub async fn start(cfg: SimConfig) -> Result<SimHandle, SimError> {
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: cfg.listen.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: cfg.listen.to_string(),
        source,
    })?;
    let clock = simtime::Clock::new(cfg.time_scale);
    let core = Arc::new(Core::new(
        Identity::new(clock),
        cfg.rules,
        cfg.seed,
        cfg.max_sessions,
        cfg.sps,
    ));
    if let Ok(mut f) = core.faults.lock() {
        *f = cfg.faults;
    }
    let accept = tokio::spawn(accept_loop(core.clone(), listener, cfg.password));
    let heartbeat = tokio::spawn(heartbeat_loop(core.clone()));
    Ok(SimHandle {
        addr,
        core,
        tasks: vec![accept, heartbeat],
    })
}

async fn accept_loop(core: Arc<Core>, listener: TcpListener, password: String) {
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    tokio::spawn(conn::serve_inbound(core.clone(), stream, password.clone()));
                }
                Err(e) => {
                    tracing::warn!(%e, "sim accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = core.shutdown.cancelled() => return,
        }
    }
}

async fn heartbeat_loop(core: Arc<Core>) {
    let every = Duration::from_secs(20);
    loop {
        tokio::select! {
            _ = core.id.clock.sleep(every) => fire_heartbeat(&core),
            _ = core.shutdown.cancelled() => return,
        }
    }
}

fn fire_heartbeat(core: &Core) {
    let up = core.id.clock.uptime_us();
    let s = up / 1_000_000;
    let c = &core.counters;
    let max = core.max_sessions.load(Ordering::Relaxed);
    let sps = core.sps.load(Ordering::Relaxed);
    let mut b = core.event("HEARTBEAT", ("switch_core.c", "send_heartbeat", 86));
    b.add("Event-Info", "System Ready");
    b.add(
        "Up-Time",
        format!(
            "0 years, {} days, {} hours, {} minutes, {} seconds, {} milliseconds, {} microseconds",
            s / 86_400,
            s / 3600 % 24,
            s / 60 % 60,
            s % 60,
            up / 1000 % 1000,
            up % 1000
        ),
    );
    b.add("FreeSWITCH-Version", "1.11.1-release~64bit");
    b.add("Uptime-msec", (up / 1000).to_string());
    b.add(
        "Session-Count",
        c.channels_now.load(Ordering::Relaxed).to_string(),
    );
    b.add(
        "Max-Sessions",
        if max == 0 { 1000 } else { max }.to_string(),
    );
    b.add(
        "Session-Per-Sec",
        if sps == 0 { 30 } else { sps }.to_string(),
    );
    b.add("Session-Per-Sec-Last", core.sps_now().to_string());
    b.add("Session-Per-Sec-Max", core.sps_now().to_string());
    b.add("Session-Per-Sec-FiveMin", core.sps_now().to_string());
    b.add(
        "Session-Since-Startup",
        c.sessions_total.load(Ordering::Relaxed).to_string(),
    );
    b.add(
        "Session-Peak-Max",
        c.max_concurrent.load(Ordering::Relaxed).to_string(),
    );
    b.add(
        "Session-Peak-FiveMin",
        c.max_concurrent.load(Ordering::Relaxed).to_string(),
    );
    b.add("Idle-CPU", "99.000000");
    core.fire(b.build());
}

impl SimHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        let c = &self.core.counters;
        Stats {
            originates: c.originates.load(Ordering::Relaxed),
            channels_now: c.channels_now.load(Ordering::Relaxed),
            max_concurrent_channels: c.max_concurrent.load(Ordering::Relaxed),
            sessions_total: c.sessions_total.load(Ordering::Relaxed),
            events_fired: c.events_fired.load(Ordering::Relaxed),
            connections: c.connections.load(Ordering::Relaxed),
        }
    }

    /// Every inline API call (`${system(...)}`, `${create_uuid()}`, ...) that `${...}`
    /// expansion of channel data met, in order. FreeSWITCH would have run them; the sim runs
    /// none (see docs/sim.md).
    pub fn inline_api_calls(&self) -> Vec<InlineApiCall> {
        self.core
            .inline_calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many expansions changed a string (application data, `set` values): 0 when nothing
    /// a client sent held `${...}`, `$${...}` or backslash escapes that FreeSWITCH acts on.
    pub fn expansions(&self) -> u64 {
        self.core.expansions.load(Ordering::Relaxed)
    }

    /// Faults for connections accepted from now on.
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.core.faults.lock() {
            *f = faults;
        }
    }

    /// The destination number of every live channel (one entry per channel), as the switch
    /// itself sees them: how tests count numbers with two live channels.
    pub fn live_destinations(&self) -> Vec<String> {
        let channels = self.core.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels
            .values()
            .filter_map(|c| c.data.lock().ok().map(|d| d.profile.destination.clone()))
            .collect()
    }

    /// Hangs the switch, like a SIGSTOPped FreeSWITCH as its ESL clients see it: every
    /// connection stops reading requests and writing replies and events, new connections are
    /// accepted by TCP but not greeted; nothing is closed. Unlike a stopped process, channels
    /// go on in simulated time (their events wait in the listeners' queues). [`Self::resume`]
    /// ends it.
    pub fn hang(&self) {
        self.core.hung.send_replace(true);
    }

    /// Ends a [`Self::hang`]: connections read, answer and deliver what waited.
    pub fn resume(&self) {
        self.core.hung.send_replace(false);
    }

    /// Places an inbound call whose dialplan runs the `socket` application (outbound mode);
    /// returns its uuid.
    pub fn inbound_call(&self, call: InboundCall) -> Result<String, SimError> {
        let uuid = uuid::Uuid::new_v4().to_string();
        let outcome = rules::Outcome {
            hangup_after: call.hangup_after,
            ..rules::Outcome::default()
        };
        let spec = LegSpec {
            uuid: uuid.clone(),
            endpoint: format!("sofia/internal/{}", call.destination),
            dest: call.destination.clone(),
            vars: call.vars,
            cid: (call.caller.clone(), call.caller.clone()),
            outcome,
            originator: None,
            inbound: true,
            initial: vec![Exec {
                app: "socket".into(),
                arg: call.socket,
                event_uuid: None,
                loops: 1,
            }],
        };
        spawn_leg(&self.core, spec, None).map_err(SimError::Inbound)?;
        Ok(uuid)
    }

    /// Stops accepting, hangs up every channel (SYSTEM_SHUTDOWN), tells every connection the
    /// system is shutting down, and waits for the listener tasks.
    pub async fn shutdown(self) {
        self.core.shutdown.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        for _ in 0..50 {
            if self.core.counters.channels_now.load(Ordering::Relaxed) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
