//! Callback jobs benchmark (issue 14), each figure beside its goal: 1,000 jobs posted to
//! `POST /callbacks` within one second (32 keep-alive connections, one request a millisecond),
//! the API and the engine in this process on SQLite, the simulator as its own `outcall sim`
//! process at time scale 100 (managers answer after 1 s, the client after 1 s and talks 5 s).
//! Figures: jobs accepted, POST latency p50/p99 (goal p99 < 20 ms), POST-to-originate p50/p99
//! while lines are free (goal p99 < 100 ms), manager legs placed per second, and every job
//! completed with one call and one leg per side (none lost or doubled); then the CPU seconds of
//! this process and of the sim, and the machine's load average. The originate is when the switch
//! created the manager leg: the CHANNEL_CREATE's `Event-Date-Timestamp` (the sim's clock, scaled)
//! put on this process's clock by the smallest offset seen over all events (so a figure is never
//! earlier than the truth); the time the watcher received it (which adds this busy process's
//! own delay in reading its socket) is printed beside it. The 32 connections are opened before
//! the first POST (a backend keeps its connections), so no POST waits for a TCP connect.
//! `OUTCALL_BENCH_JOBS` overrides the job count.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use outcall::callback::record::Side;
use outcall::callback::{CallbackStatus, JobState};
use outcall::clock::Clock;
use outcall::config::HttpSettings;
use outcall::http::{router, ApiState};
use outcall::model::{Actor, Role};
use outcall::ops::tokens;
use outcall::scheduler::callbacks::CallbackLimits;
use outcall::scheduler::engine::EngineOptions;
use outcall::store::Store;
use tokio_util::sync::CancellationToken;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RULES: &str = r#"
[media]
chars_per_sec = 14.0
[[rule]]
prefix = "7916"
outcome = [{ result = "answer", ring = 1.0 }]
[[rule]]
prefix = "7701"
outcome = [{ result = "answer", ring = 1.0, hangup_after = 5.0 }]
"#;

const CONNECTIONS: usize = 32;

fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

#[tokio::main]
async fn main() {
    let jobs: usize = std::env::var("OUTCALL_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let (sim, addr) = support::start_sim_with(dir.path(), RULES);
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.unwrap();
    let clock = Clock::starting_at(Utc::now(), support::SCALE);
    let shutdown = CancellationToken::new();
    let opts = EngineOptions {
        owner: "bench".into(),
        ..EngineOptions::default()
    };
    let mut engine = support::engine(&store, &clock, &addr, opts, &shutdown).await;
    let lines = CallbackLimits {
        lines: support::LINES,
        cps: None,
    };
    engine.configure_callbacks(
        lines,
        outcall::callback::callerid::Locations::builtin(),
        "/tmp/rec".into(),
    );
    let handle = engine.handle();
    // A watcher sees when each manager leg is created on the switch: when it received the
    // event, and the switch's own time stamp (µs of the sim's scaled clock).
    let created: Arc<Mutex<HashMap<String, (Instant, i64)>>> = Arc::default();
    let watcher = outcall::esl::client::Client::connect(
        &addr,
        "ClueCon",
        outcall::esl::client::ClientOptions {
            events: vec!["CHANNEL_CREATE".into()],
            queue: 1_000_000,
            ..Default::default()
        },
    )
    .await
    .expect("watcher");
    let mut events = watcher.subscribe_all();
    let seen = created.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.next().await {
            let stamp = ev
                .get("Event-Date-Timestamp")
                .and_then(|t| t.parse::<i64>().ok());
            if let (Some(u), Some(stamp)) = (ev.get("Unique-ID"), stamp) {
                seen.lock()
                    .unwrap()
                    .entry(u.into_owned())
                    .or_insert_with(|| (Instant::now(), stamp));
            }
        }
    });
    let token = tokens::create(&store, &Actor::cli(), "site", Role::Backend, Utc::now())
        .await
        .unwrap();
    let mut state = ApiState::new(
        store.clone(),
        clock.clone(),
        HttpSettings {
            rate_per_token: 1_000_000,
            ..HttpSettings::default()
        },
        "RU",
    );
    state.wake = Some(handle.callback_wake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(state))).await });
    let stop = shutdown.clone();
    let task = tokio::spawn(async move { engine.run(stop, Duration::from_secs(5)).await });

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    warm_up(&client, &format!("http://{api}/callbacks?limit=1"), &token).await;
    let load0 = loadavg();
    let (cpu0, sim_cpu0) = (support::cpu_seconds(), sim.cpu_seconds());
    let t0 = Instant::now();
    let sent: Arc<Mutex<Vec<(i64, Instant, f64)>>> = Arc::default();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let client = client.clone();
        let sent = sent.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut errors = 0u64;
            for i in (c..jobs).step_by(CONNECTIONS) {
                let at = t0 + Duration::from_micros((i as u64 * 1_000_000) / jobs as u64);
                tokio::time::sleep_until(at.into()).await;
                let body = format!(
                    r#"{{"idempotency_key":"bench-{i}","managers":"+7916{i:07}","client":"+7701{i:07}","manager_trunks":["sofia/gateway/bench/{{number}}"],"client_delay_ms":1000}}"#
                );
                let start = Instant::now();
                let r = client
                    .post(format!("http://{api}/callbacks"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let ok = match r {
                    Ok(r) if r.status().as_u16() == 202 => r.text().await.ok(),
                    _ => None,
                };
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                match ok.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()) {
                    Some(v) => sent.lock().unwrap().push((v["id"].as_i64().unwrap(), start, ms)),
                    None => errors += 1,
                }
            }
            errors
        }));
    }
    let mut errors = 0;
    for t in tasks {
        errors += t.await.unwrap();
    }
    let posting = t0.elapsed().as_secs_f64();
    // Every job done (or 120 s).
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let done = store
            .callbacks_page(0, 100_000, Some(JobState::Done))
            .await
            .unwrap()
            .len();
        if done >= jobs || t0.elapsed() > Duration::from_secs(120) {
            break;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let (cpu, sim_cpu) = (support::cpu_seconds() - cpu0, sim.cpu_seconds() - sim_cpu0);
    let load1 = loadavg();
    shutdown.cancel();
    let _ = task.await;
    let sent = sent.lock().unwrap().clone();
    let created = created.lock().unwrap().clone();
    let placed = switch_times(&created, support::SCALE);
    let (mut post_ms, mut to_originate, mut first_legs) = (Vec::new(), Vec::new(), Vec::new());
    let mut to_seen = Vec::new();
    let (mut completed, mut one_call, mut exact_legs) = (0, 0, 0);
    let mut other: HashMap<String, usize> = HashMap::new();
    for (id, start, ms) in &sent {
        post_ms.push(*ms);
        let rec = store.callback(*id).await.unwrap().unwrap();
        let legs = store.callback_legs(*id).await.unwrap();
        completed += usize::from(rec.status == CallbackStatus::Completed);
        if rec.status != CallbackStatus::Completed {
            let causes: Vec<String> = legs
                .iter()
                .map(|l| {
                    format!(
                        "{}:{}",
                        l.side.as_str(),
                        l.cause.clone().unwrap_or_default()
                    )
                })
                .collect();
            *other
                .entry(format!("{} [{}]", rec.status, causes.join(" ")))
                .or_default() += 1;
        }
        one_call += usize::from(rec.calls == 1);
        let m = legs.iter().filter(|l| l.side == Side::Manager).count();
        let c = legs.iter().filter(|l| l.side == Side::Client).count();
        exact_legs += usize::from(m == 1 && c == 1);
        let manager = legs.iter().find(|l| l.side == Side::Manager);
        if let Some((seen, _)) = manager.and_then(|l| created.get(&l.uuid)) {
            to_seen.push(seen.duration_since(*start).as_secs_f64() * 1000.0);
        }
        if let Some(at) = manager.and_then(|l| placed.get(&l.uuid)) {
            to_originate.push(at.duration_since(*start).as_secs_f64() * 1000.0);
            first_legs.push(*at);
        }
    }
    first_legs.sort();
    let spread = match (first_legs.first(), first_legs.last()) {
        (Some(a), Some(b)) => b.duration_since(*a).as_secs_f64(),
        _ => 0.0,
    };
    println!("callback benchmark: {jobs} jobs posted over {CONNECTIONS} connections within 1 s; API + engine on SQLite in this process, sim x{} in its own", support::SCALE);
    println!("  accepted (202)          {:>8} of {jobs}  goal all   ({errors} errors, posting took {posting:.2} s)", sent.len());
    println!(
        "  POST latency            p50 {:.1} ms, p99 {:.1} ms   goal p99 < 20 ms",
        quantile(&mut post_ms.clone(), 0.5),
        quantile(&mut post_ms, 0.99)
    );
    println!(
        "  POST -> manager originate p50 {:.1} ms, p99 {:.1} ms   goal p99 < 100 ms (lines free: {} >= {jobs}; the switch's time of the leg)",
        quantile(&mut to_originate.clone(), 0.5),
        quantile(&mut to_originate, 0.99),
        support::LINES
    );
    println!(
        "    (as the watcher received it: p50 {:.1} ms, p99 {:.1} ms)",
        quantile(&mut to_seen.clone(), 0.5),
        quantile(&mut to_seen, 0.99)
    );
    println!(
        "  manager legs placed     {} in {spread:.2} s ({:.0}/s; no cps cap, {} lines)",
        first_legs.len(),
        first_legs.len() as f64 / spread.max(1e-9),
        support::LINES
    );
    for (what, n) in &other {
        println!("  not completed: {n} x {what}");
    }
    println!("  completed               {completed} of {jobs}, one call each {one_call}, one leg per side {exact_legs}   goal none lost or doubled   ({wall:.1} s in all)");
    println!("  CPU                     this process {cpu:.2} s, sim {sim_cpu:.2} s over {wall:.1} s; load average {load0} before, {load1} after (2 cores here)");
}

/// Opens the client's `CONNECTIONS` keep-alive connections (as many requests at once), so the
/// measured POSTs find them open.
async fn warm_up(client: &reqwest::Client, url: &str, token: &str) {
    let gets = (0..CONNECTIONS).map(|_| async move {
        let r = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("warm-up");
        let _ = r.bytes().await;
    });
    futures::future::join_all(gets).await;
}

/// The machine's 1-minute load average.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// When the switch created each leg, on this process's clock: its time stamp (the sim's clock,
/// `scale` times real time) plus the smallest offset between receipt and stamp over all events,
/// so that no leg is put earlier than the watcher could have seen it.
fn switch_times(seen: &HashMap<String, (Instant, i64)>, scale: f64) -> HashMap<String, Instant> {
    let Some(base) = seen.values().map(|(at, _)| *at).min() else {
        return HashMap::new();
    };
    let real = |stamp: i64| stamp as f64 / 1e6 / scale;
    let offset = seen
        .values()
        .map(|(at, stamp)| at.duration_since(base).as_secs_f64() - real(*stamp))
        .fold(f64::INFINITY, f64::min);
    seen.iter()
        .map(|(uuid, (_, stamp))| {
            let since = (real(*stamp) + offset).max(0.0);
            (uuid.clone(), base + Duration::from_secs_f64(since))
        })
        .collect()
}
