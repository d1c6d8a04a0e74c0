//! What the engine benchmarks share: the simulator as a separate `outcall sim` process (so this
//! process's CPU is the engine's), the short answered call (ring 1 s, one 3 s prompt, hang up)
//! and a campaign of numbered contacts, and an engine on 1,000 lines with no cps cap.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use outcall::call::esl_switch::EslSwitch;
use outcall::campaign::definition::CampaignDef;
use outcall::clock::Clock;
use outcall::config::Secret;
use outcall::model::NewContact;
use outcall::scheduler::engine::{Engine, EngineOptions, NodeSpec};
use outcall::scheduler::pacing::NodeLimits;
use outcall::store::Store;
use tokio_util::sync::CancellationToken;

pub const LINES: u32 = 1_000;
pub const SCALE: f64 = 100.0;

const RULES: &str = r#"
[media]
default_playback = 3.0
[default]
result = "answer"
ring = 1.0
"#;

/// The benchmark campaign; `extra` goes before its `[limits]` (e.g. a `[webhooks]` table).
pub fn campaign(extra: &str) -> String {
    format!(
        r#"
name = "bench"
caller_id = "74950000000"
dial = "sofia/gateway/bench/{{number}}"
timezone = "Europe/Moscow"
ring_timeout = "60s"
{extra}
[limits]
lines = 1000
cps = 1000000
[retry]
max_attempts = 1
min_success_seconds = 1
[script]
start = "hello"
[script.nodes.hello]
type = "play"
file = "hello.wav"
next = "bye"
[script.nodes.bye]
type = "hangup"
"#
    )
}

/// `outcall sim` in its own process; killed on drop.
pub struct Sim(Child);

impl Sim {
    /// The simulator process's CPU seconds (user + system) so far.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/{}/stat", self.0.id()))
    }
}
impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the simulator with the benchmark's rules; its address.
pub fn start_sim(dir: &std::path::Path) -> (Sim, String) {
    start_sim_with(dir, RULES)
}

/// Starts the simulator with these rules (TOML); its address.
pub fn start_sim_with(dir: &std::path::Path, rules_toml: &str) -> (Sim, String) {
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, rules_toml).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_outcall"))
        .args(["sim", "--listen", &addr, "--rules"])
        .arg(&rules)
        .args(["--time-scale", &SCALE.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run outcall sim");
    (Sim(child), addr)
}

/// A draft campaign from `toml` with `contacts` numbered contacts; its id.
pub async fn seed(store: &Store, clock: &Clock, toml: &str, contacts: usize) -> i64 {
    let def = CampaignDef::from_toml_str(toml, "bench").unwrap();
    let rec = store.create_campaign(&def, clock.now()).await.unwrap();
    let rows: Vec<NewContact> = (0..contacts)
        .map(|i| NewContact {
            name: format!("Debtor {i}"),
            phones: vec![format!("+7901{i:07}")],
            vars: BTreeMap::from([("BALANCE".to_string(), format!("-{i}.27"))]),
            timezone: None,
        })
        .collect();
    for chunk in rows.chunks(4096) {
        store
            .add_contacts(rec.id, "Europe/Moscow", chunk, clock.now(), clock.now())
            .await
            .unwrap();
    }
    rec.id
}

/// An engine on the simulator at `addr`, with `opts` (owner, webhooks) on 1,000 lines.
pub async fn engine(
    store: &Store,
    clock: &Clock,
    addr: &str,
    opts: EngineOptions,
    shutdown: &CancellationToken,
) -> Engine {
    let switch = EslSwitch::start("sim", addr, Secret::new("ClueCon"), shutdown.clone());
    assert!(
        switch.wait_up(Duration::from_secs(10)).await,
        "sim reachable"
    );
    let node = NodeSpec {
        switch,
        limits: NodeLimits {
            name: "sim".into(),
            max_sessions: LINES,
            cps: 1e9,
            weight: 1,
        },
    };
    let opts = EngineOptions {
        max_concurrent_calls: LINES,
        ..opts
    };
    Engine::new(store.clone(), vec![node], clock.clone(), opts)
}

/// This process's CPU seconds (user + system).
pub fn cpu_seconds() -> f64 {
    cpu_seconds_of("/proc/self/stat")
}

/// The CPU seconds (user + system) of the process whose `stat` file is `path`.
fn cpu_seconds_of(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
