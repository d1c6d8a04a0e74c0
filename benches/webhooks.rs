//! Webhook benchmark (`make bench`): 10,000 calls, each with a call_end webhook, to a local
//! receiver that fails 30% of requests and is down for 20 s in the middle of the run (from the
//! 5,000th finished call). The engine and the delivery worker run in this process as in
//! `outcall serve`; the simulator in its own process; the receiver on a runtime of its own.
//! Runs alternate without and with webhooks (three and two, each with a fresh simulator and
//! database) so a busy machine weighs on both; prints, each beside its goal: lost webhooks, keys
//! acknowledged more than once, and the median engine calls/s with webhooks against without.

#[path = "support/mod.rs"]
mod support;
#[path = "../tests/webhook_support/mod.rs"]
mod webhook_support;

use std::time::{Duration, Instant};

use chrono::Utc;
use outcall::clock::Clock;
use outcall::config::{Secret, WebhookSettings};
use outcall::model::{CampaignStatus, WebhookUrls};
use outcall::scheduler::engine::EngineOptions;
use outcall::store::Store;
use outcall::webhooks::{Backoff, HttpClient, Worker, WorkerOptions};
use support::SCALE;
use tokio_util::sync::CancellationToken;
use webhook_support::{Policy, Receiver};

/// The allocator the `outcall` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONTACTS: usize = 10_000;
const DOWN: Duration = Duration::from_secs(20);

/// A receiver on its own runtime (one thread), so serving it does not share the engine's.
struct Remote {
    rt: tokio::runtime::Runtime,
    rx: Option<Receiver>,
}

impl Remote {
    async fn start(policy: Policy) -> Remote {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let rx = rt.spawn(Receiver::start(policy)).await.unwrap();
        Remote { rt, rx: Some(rx) }
    }

    fn rx(&self) -> &Receiver {
        self.rx.as_ref().unwrap()
    }

    /// Runs `f` on the receiver inside its runtime (going down or up spawns there).
    async fn with(&mut self, f: fn(Receiver) -> futures::future::BoxFuture<'static, Receiver>) {
        let rx = self.rx.take().unwrap();
        self.rx = Some(self.rt.spawn(f(rx)).await.unwrap());
    }
}

struct Run {
    calls: u64,
    /// Real seconds from start until the campaign completed.
    engine_wall: f64,
    /// Real seconds from start until the outbox was empty (webhook runs).
    drained: Option<f64>,
    /// Real seconds from start when the receiver went down and came back.
    outage: Option<(f64, f64)>,
}

impl Run {
    fn calls_per_s(&self) -> f64 {
        self.calls as f64 / self.engine_wall
    }
}

/// Real-time retry schedule expressed on the engine's scaled clock: the first retry about a
/// second later, at most four seconds apart.
fn worker_options() -> WorkerOptions {
    let settings = WebhookSettings::default();
    let mut o = WorkerOptions::from_settings("bench", &settings);
    o.secret = Some(Secret::new("bench-secret"));
    o.schedule = Backoff {
        backoff: Duration::from_secs_f64(SCALE),
        backoff_max: Duration::from_secs_f64(4.0 * SCALE),
        horizon: settings.horizon,
    };
    o
}

async fn run(addr: &str, remote: Option<&mut Remote>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.unwrap();
    let clock = Clock::starting_at(Utc::now(), SCALE);
    let hooks = remote
        .as_ref()
        .map(|r| format!("[webhooks]\ncall_end = [\"{}\"]\n", r.rx().url("end")));
    let toml = support::campaign(hooks.as_deref().unwrap_or(""));
    let id = support::seed(&store, &clock, &toml, CONTACTS).await;
    let shutdown = CancellationToken::new();
    let opts = EngineOptions {
        owner: "bench".into(),
        webhooks: WebhookUrls::default(),
        ..EngineOptions::default()
    };
    let engine = support::engine(&store, &clock, addr, opts, &shutdown).await;
    let metrics = engine.handle().metrics;
    let worker_stop = CancellationToken::new();
    let worker = remote.is_some().then(|| {
        let client = HttpClient::new(None).unwrap();
        let w = Worker::new(store.clone(), clock.clone(), client, worker_options());
        tokio::spawn(w.run(worker_stop.clone()))
    });
    let t0 = Instant::now();
    store
        .set_campaign_status(id, CampaignStatus::Running, None, clock.now())
        .await
        .unwrap();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move { engine.run(stop, Duration::from_secs(5)).await });
    let mut remote = remote;
    let (mut engine_wall, mut down_at, mut drained) = (None, None::<Instant>, None);
    let (mut was_down, mut outage) = (false, None);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if engine_wall.is_none()
            && store.campaign_status(id).await.unwrap().0 != CampaignStatus::Running
        {
            engine_wall = Some(t0.elapsed().as_secs_f64());
        }
        if let Some(r) = remote.as_deref_mut() {
            if down_at.is_none() && metrics.finished() >= CONTACTS as u64 / 2 {
                r.with(|rx| {
                    Box::pin(async move {
                        let mut rx = rx;
                        rx.down().await;
                        rx
                    })
                })
                .await;
                down_at = Some(Instant::now());
                was_down = true;
            }
            if was_down && down_at.is_some_and(|t| t.elapsed() >= DOWN) {
                r.with(|rx| {
                    Box::pin(async move {
                        let mut rx = rx;
                        rx.up().await;
                        rx
                    })
                })
                .await;
                was_down = false;
                let at = |t: Instant| t.duration_since(t0).as_secs_f64();
                outage = down_at.map(|d| (at(d), at(Instant::now())));
            }
            let back_up = down_at.is_some() && !was_down;
            if engine_wall.is_some() && back_up && store.outbox_depth().await.unwrap() == 0 {
                drained = Some(t0.elapsed().as_secs_f64());
            }
        }
        let done = engine_wall.is_some() && (remote.is_none() || drained.is_some());
        if done || t0.elapsed() > Duration::from_secs(600) {
            break;
        }
    }
    shutdown.cancel();
    let _ = task.await;
    worker_stop.cancel();
    if let Some(w) = worker {
        w.await.unwrap().unwrap();
    }
    if remote.is_some() {
        let counts = store.outbox_counts().await.unwrap();
        assert_eq!(counts.pending + counts.dead, 0, "undelivered: {counts:?}");
    }
    Run {
        calls: metrics.finished(),
        engine_wall: engine_wall.unwrap_or_else(|| t0.elapsed().as_secs_f64()),
        drained,
        outage,
    }
}

/// One run with a fresh simulator: without webhooks, or with them to a fresh receiver whose
/// figures come back beside the run's.
async fn run_once(hooked: bool) -> (Run, Option<Tally>) {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, addr) = support::start_sim(dir.path());
    if !hooked {
        return (run(&addr, None).await, None);
    }
    let mut remote = Remote::start(Policy::FailShare(0.3)).await;
    let r = run(&addr, Some(&mut remote)).await;
    let Remote { rt, rx } = remote;
    let rx = rx.unwrap();
    let acks = rx.acks();
    let seen = rx.seen();
    let tally = Tally {
        requests: seen.len(),
        refused: seen.iter().filter(|s| s.status != 200).count(),
        lost: CONTACTS.saturating_sub(acks.len()),
        twice: acks.values().filter(|n| **n > 1).count(),
    };
    drop(rx);
    rt.shutdown_background();
    (r, Some(tally))
}

/// What a receiver saw in one run.
struct Tally {
    requests: usize,
    refused: usize,
    lost: usize,
    twice: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    println!("webhook benchmark: {CONTACTS} calls with a call_end webhook each, receiver failing 30% and down {DOWN:?} from the {}th call; sim x{SCALE} in its own process; runs alternate without and with webhooks", CONTACTS / 2);
    let (mut plain, mut hooked) = (Vec::new(), Vec::new());
    let (mut lost, mut twice) = (0, 0);
    for i in 0..5 {
        let with = i % 2 == 1;
        let (r, tally) = run_once(with).await;
        let label = if with {
            "with webhooks   "
        } else {
            "without webhooks"
        };
        print!(
            "  run {} {label} {:>6.0} calls/s ({} calls, {:.1} s)",
            i + 1,
            r.calls_per_s(),
            r.calls,
            r.engine_wall
        );
        if let Some(t) = tally {
            let (down, up) = r.outage.unwrap_or((f64::NAN, f64::NAN));
            print!(
                "; {} requests ({} answered 500), lost {}, acknowledged twice {}; receiver down {down:.1}-{up:.1} s, outbox empty at {:.1} s",
                t.requests, t.refused, t.lost, t.twice, r.drained.unwrap_or(f64::NAN)
            );
            lost += t.lost;
            twice += t.twice;
            hooked.push(r.calls_per_s());
        } else {
            plain.push(r.calls_per_s());
        }
        println!();
    }
    let (base, with) = (median(plain), median(hooked));
    println!("  webhooks lost            {lost:>10}   goal 0");
    println!("  keys acknowledged twice  {twice:>10}   goal 0");
    println!(
        "  engine calls/s           {with:>10.0}   goal within 5% of {base:.0} without webhooks (medians): {:.1}%",
        with / base * 100.0
    );
}
