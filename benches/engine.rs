//! Engine benchmark (`make bench`): 20,000 contacts against the simulator, run as a separate
//! `outcall sim` process so this process's CPU time is the engine's alone (with its SQLite
//! store). Time-scaled short answered calls (ring, one prompt, hang up), 1,000 lines, no cps
//! cap. Prints completed calls/s, engine CPU per call, p50/p99 reaction (CHANNEL_ANSWER
//! received -> first execute sent) and peak RSS, each beside the goal; and calls/s
//! without caps counted in the store (`shared_caps = false`), run first on its own simulator
//! and database, with the ratio beside its goal (issue 17: within 10 %).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use outcall::clock::Clock;
use outcall::model::CampaignStatus;
use outcall::scheduler::engine::EngineOptions;
use outcall::store::Store;
use support::{cpu_seconds, LINES, SCALE};
use tokio_util::sync::CancellationToken;

/// The allocator the `outcall` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONTACTS: usize = 20_000;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// What one run measured.
struct Run {
    done: u64,
    answered: u64,
    wall: f64,
    cpu: f64,
    p50: Duration,
    p99: Duration,
}

impl Run {
    fn calls_per_s(&self) -> f64 {
        self.done as f64 / self.wall
    }
}

/// One run on a fresh simulator and database, with caps counted in the store (`shared`) or per
/// process only.
async fn run(shared: bool) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, addr) = support::start_sim(dir.path());
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.unwrap();
    let clock = Clock::starting_at(Utc::now(), SCALE);
    let id = support::seed(&store, &clock, &support::campaign(""), CONTACTS).await;
    let shutdown = CancellationToken::new();
    let opts = EngineOptions {
        owner: "bench".into(),
        shared_caps: shared,
        ..EngineOptions::default()
    };
    let engine = support::engine(&store, &clock, &addr, opts, &shutdown).await;
    let metrics = engine.handle().metrics;
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    store
        .set_campaign_status(id, CampaignStatus::Running, None, clock.now())
        .await
        .unwrap();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move { engine.run(stop, Duration::from_secs(5)).await });
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (status, _) = store.campaign_status(id).await.unwrap();
        if status != CampaignStatus::Running || t0.elapsed() > Duration::from_secs(600) {
            break;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    shutdown.cancel();
    let _ = task.await;
    Run {
        done: metrics.finished(),
        answered: metrics.count(outcall::model::Disposition::Answered),
        wall,
        cpu,
        p50: metrics.reaction_quantile(0.5).unwrap_or_default(),
        p99: metrics.reaction_quantile(0.99).unwrap_or_default(),
    }
}

#[tokio::main]
async fn main() {
    // Per-process caps first, then the default (caps counted in the store, issue 17).
    let local = run(false).await;
    let r = run(true).await;
    println!("engine benchmark: {CONTACTS} contacts, {LINES} lines, no cps cap, sim x{SCALE} in its own process");
    println!(
        "  completed calls        {} ({} answered) in {:.1} s",
        r.done, r.answered, r.wall
    );
    println!(
        "  completed calls/s      {:>10.0}   goal >= 500",
        r.calls_per_s()
    );
    println!(
        "  without shared caps    {:>10.0}   calls/s; with them {:.1}%   goal >= 90%",
        local.calls_per_s(),
        100.0 * r.calls_per_s() / local.calls_per_s()
    );
    println!(
        "  engine CPU per call    {:>10.3} ms  goal < 1 ms  ({:.1} s CPU incl. SQLite; {:.3} ms without shared caps)",
        r.cpu * 1000.0 / r.done.max(1) as f64,
        r.cpu,
        local.cpu * 1000.0 / local.done.max(1) as f64
    );
    println!(
        "  park seen -> 1st exec  p50 {:.3} ms, p99 {:.3} ms   goal p99 < 5 ms",
        r.p50.as_secs_f64() * 1000.0,
        r.p99.as_secs_f64() * 1000.0
    );
    println!(
        "  peak RSS               {:>10.1} MB  goal < 150 MB (both runs)",
        peak_rss_mb()
    );
}
