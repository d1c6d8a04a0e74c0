//! Engine benchmark (`make bench`): 20,000 contacts against the simulator, run as a separate
//! `outcall sim` process so this process's CPU time is the engine's alone (with its SQLite
//! store). Time-scaled short answered calls (ring, one prompt, hang up), 1,000 lines, no cps
//! cap. Prints completed calls/s, engine CPU per call, p50/p99 reaction (CHANNEL_ANSWER
//! received -> first execute sent) and peak RSS, each beside the issue's goal.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use outcall::call::esl_switch::EslSwitch;
use outcall::campaign::definition::CampaignDef;
use outcall::clock::Clock;
use outcall::config::Secret;
use outcall::model::CampaignStatus;
use outcall::model::NewContact;
use outcall::scheduler::engine::{Engine, EngineOptions, NodeSpec};
use outcall::scheduler::pacing::NodeLimits;
use outcall::store::Store;
use tokio_util::sync::CancellationToken;

/// The allocator the `outcall` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONTACTS: usize = 20_000;
const LINES: u32 = 1_000;
const SCALE: f64 = 100.0;

const RULES: &str = r#"
[media]
default_playback = 3.0
[default]
result = "answer"
ring = 1.0
"#;

const CAMPAIGN: &str = r#"
name = "bench"
caller_id = "74950000000"
dial = "sofia/gateway/bench/{number}"
timezone = "Europe/Moscow"
ring_timeout = "60s"
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
"#;

struct Sim(Child);
impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn start_sim(dir: &std::path::Path) -> (Sim, String) {
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
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

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, addr) = start_sim(dir.path());
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.unwrap();
    let clock = Clock::starting_at(Utc::now(), SCALE);
    let def = CampaignDef::from_toml_str(CAMPAIGN, "bench").unwrap();
    let rec = store.create_campaign(&def, clock.now()).await.unwrap();
    let rows: Vec<NewContact> = (0..CONTACTS)
        .map(|i| NewContact {
            name: format!("Debtor {i}"),
            phones: vec![format!("+7901{i:07}")],
            vars: BTreeMap::new(),
            timezone: None,
        })
        .collect();
    for chunk in rows.chunks(4096) {
        store
            .add_contacts(rec.id, "Europe/Moscow", chunk, clock.now(), clock.now())
            .await
            .unwrap();
    }
    let shutdown = CancellationToken::new();
    let switch = EslSwitch::start("sim", &addr, Secret::new("ClueCon"), shutdown.clone());
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
        owner: "bench".into(),
        max_concurrent_calls: LINES,
        ..EngineOptions::default()
    };
    let engine = Engine::new(store.clone(), vec![node], clock.clone(), opts);
    let metrics = engine.handle().metrics;
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    store
        .set_campaign_status(rec.id, CampaignStatus::Running, None, clock.now())
        .await
        .unwrap();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move { engine.run(stop, Duration::from_secs(5)).await });
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (status, _) = store.campaign_status(rec.id).await.unwrap();
        if status != CampaignStatus::Running || t0.elapsed() > Duration::from_secs(600) {
            break;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    shutdown.cancel();
    let _ = task.await;
    let done = metrics.finished();
    let answered = metrics.count(outcall::model::Disposition::Answered);
    let p50 = metrics.reaction_quantile(0.5).unwrap_or_default();
    let p99 = metrics.reaction_quantile(0.99).unwrap_or_default();
    println!("engine benchmark: {CONTACTS} contacts, {LINES} lines, no cps cap, sim x{SCALE} in its own process");
    println!("  completed calls        {done} ({answered} answered) in {wall:.1} s");
    println!(
        "  completed calls/s      {:>10.0}   goal >= 500",
        done as f64 / wall
    );
    println!(
        "  engine CPU per call    {:>10.3} ms  goal < 1 ms  ({cpu:.1} s CPU incl. SQLite)",
        cpu * 1000.0 / done.max(1) as f64
    );
    println!(
        "  park seen -> 1st exec  p50 {:.3} ms, p99 {:.3} ms   goal p99 < 5 ms",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
    println!(
        "  peak RSS               {:>10.1} MB  goal < 150 MB",
        peak_rss_mb()
    );
}
