//! `outcall demo`: the demo debtors campaign end to end, on a fresh temporary SQLite database,
//! against the simulator started in-process with `campaigns/demo-rules.toml`. The campaign
//! (`campaigns/demo.toml`) and its contacts (`campaigns/demo-debtors.csv`, imported like any
//! CSV) run with the engine's clock and the simulator sped up by the same time scale; progress
//! lines show live counts from the engine and the store, and the results table is read back from
//! the store at the end, with charged attempts apart from technical calls and what the first
//! call of each outcome heard. The number plan shows every outcome and the campaign completes:
//! the gateway-down numbers recover after three technical errors (the automatic pause after 20
//! in a row is left to real outages). Nothing is invented: every figure is what the run
//! recorded. The web console (`startup::console`) is served while it runs, with its URL and an
//! admin token printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::call::esl_switch::EslSwitch;
use crate::campaign::definition::CampaignDef;
use crate::clock::Clock;
use crate::config::Secret;
use crate::import::{import_file, ImportOptions};
use crate::model::{CampaignStatus, Disposition};
use crate::ops::report::Report;
use crate::scheduler::engine::{Engine, EngineOptions, NodeSpec};
use crate::scheduler::pacing::NodeLimits;
use crate::sim::{self, Rules, SimConfig};
use crate::store::Store;

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo file {0} not found (run from the project directory)")]
    Missing(String),
    #[error("{0}")]
    Setup(String),
}

/// How the demo ended.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    /// The campaign left `running` (completed, or paused by the engine) before the time limit.
    pub finished: bool,
    pub status: CampaignStatus,
    pub reason: Option<String>,
}

fn setup<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> DemoError + '_ {
    move |e| DemoError::Setup(format!("{what}: {e}"))
}

/// `campaigns/<name>` from the working directory, else from the source tree.
fn demo_file(name: &str) -> Result<PathBuf, DemoError> {
    let local = Path::new("campaigns").join(name);
    if local.exists() {
        return Ok(local);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("campaigns")
        .join(name);
    if built.exists() {
        return Ok(built);
    }
    Err(DemoError::Missing(local.display().to_string()))
}

/// Runs the demo and prints progress and results to stdout; the web console is served on
/// `listen` while it runs (and after it, until Ctrl-C, with `keep`).
pub async fn run(
    time_scale: f64,
    limit: Duration,
    listen: &str,
    keep: bool,
) -> Result<DemoOutcome, DemoError> {
    let rules_path = demo_file("demo-rules.toml")?;
    let def = CampaignDef::from_file(&demo_file("demo.toml")?).map_err(setup("demo.toml"))?;
    let csv = demo_file("demo-debtors.csv")?;
    let dir = std::env::temp_dir().join(format!(
        "outcall-demo-{}-{}",
        std::process::id(),
        Utc::now().timestamp_millis()
    ));
    std::fs::create_dir_all(&dir).map_err(setup("temporary directory"))?;
    let console = (listen, keep);
    let result = run_in(&dir, time_scale, limit, &rules_path, def, &csv, console).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    dir: &Path,
    time_scale: f64,
    limit: Duration,
    rules_path: &Path,
    def: CampaignDef,
    csv: &Path,
    (listen, keep): (&str, bool),
) -> Result<DemoOutcome, DemoError> {
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let store = Store::connect(&url).await.map_err(setup("database"))?;
    let rules = Rules::from_file(rules_path).map_err(setup("rules"))?;
    let sim = sim::start(SimConfig {
        rules,
        time_scale,
        ..SimConfig::default()
    })
    .await
    .map_err(setup("simulator"))?;
    let clock = Clock::starting_at(Utc::now(), time_scale);
    let now = clock.now();
    let campaign = store
        .create_campaign(&def, now)
        .await
        .map_err(setup("campaign"))?;
    let opts = ImportOptions::new("RU");
    let imported = import_file(&store, &campaign, csv, &opts, now, None)
        .await
        .map_err(setup("import"))?;
    println!(
        "outcall demo: campaign `{}`, {} contacts imported from {} ({} rejected); simulator on {} with {}; time x{time_scale}",
        def.name,
        imported.accepted,
        csv.display(),
        imported.rejected.len(),
        sim.addr(),
        rules_path.display()
    );
    store
        .set_campaign_status(campaign.id, CampaignStatus::Running, None, now)
        .await
        .map_err(setup("start"))?;
    let shutdown = CancellationToken::new();
    let switch = EslSwitch::start(
        "sim",
        &sim.addr().to_string(),
        Secret::new("ClueCon"),
        shutdown.clone(),
    );
    let node = NodeSpec {
        switch: switch.clone(),
        limits: NodeLimits {
            name: "sim".into(),
            max_sessions: 1000,
            cps: 1000.0,
            weight: 1,
        },
    };
    let opts = EngineOptions {
        owner: "outcall-demo".into(),
        ..EngineOptions::default()
    };
    let engine = Engine::new(store.clone(), vec![node], clock.clone(), opts);
    let handle = engine.handle();
    let nodes: Vec<std::sync::Arc<dyn crate::call::switch::Switch>> = vec![switch.clone()];
    let console = super::console::start(&store, &clock, nodes, handle.metrics.clone(), listen)
        .await
        .map_err(DemoError::Setup)?;
    println!("web console: {}  token: {}", console.url, console.token);
    let stop = shutdown.clone();
    let task = tokio::spawn(async move { engine.run(stop, Duration::from_secs(5)).await });
    let started = tokio::time::Instant::now();
    let (status, reason) = loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (status, reason) = store
            .campaign_status(campaign.id)
            .await
            .map_err(setup("status"))?;
        progress(&store, campaign.id, &handle.metrics, started.elapsed()).await;
        if status != CampaignStatus::Running || started.elapsed() > limit {
            break (status, reason);
        }
    };
    shutdown.cancel();
    let _ = task.await;
    sim.shutdown().await;
    let report = Report::load(&store, &def.name)
        .await
        .map_err(setup("report"))?;
    println!(
        "\nresults ({} real seconds, {} simulated):",
        started.elapsed().as_secs(),
        (clock.now() - now).num_seconds()
    );
    print!("{}", report.contacts_table());
    print!("{}", heard(&report));
    println!(
        "\ncampaign status: {status}{}",
        reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    let finished = status != CampaignStatus::Running;
    if !finished {
        println!(
            "the demo stopped at its time limit of {} s with the campaign still running",
            limit.as_secs()
        );
    }
    console.close(keep).await;
    Ok(DemoOutcome {
        finished,
        status,
        reason,
    })
}

async fn progress(
    store: &Store,
    id: i64,
    metrics: &crate::call::metrics::Metrics,
    elapsed: Duration,
) {
    let mut line = format!(
        "[{:>5.1}s] calls placed {:>3}, finished {:>3}, live {:>2} |",
        elapsed.as_secs_f64(),
        metrics.originates(),
        metrics.finished(),
        metrics.live()
    );
    for d in Disposition::ALL {
        let n = metrics.count(d);
        if n > 0 {
            line.push_str(&format!(" {d} {n}"));
        }
    }
    if let Ok(counts) = store.contact_counts(id).await {
        line.push_str(" | contacts:");
        for (s, n) in counts {
            line.push_str(&format!(" {s} {n}"));
        }
    }
    println!("{line}");
    let _ = std::io::stdout().flush();
}

/// What the calls heard: the trace of the first call of each outcome, so every path of the
/// script is shown once (`outcall report NAME --trace` prints every call's).
fn heard(report: &Report) -> String {
    let mut out = String::from("\nwhat the calls heard (the first call of each outcome):\n");
    for d in Disposition::ALL {
        let Some(a) = report.attempts.iter().find(|a| a.disposition == Some(d)) else {
            continue;
        };
        out.push_str(&format!("{d}: {} {}\n", a.contact_name, a.phone));
        if a.trace.is_empty() {
            let cause = a.hangup_cause.as_deref().unwrap_or("-");
            out.push_str(&format!("    (not answered: {cause})\n"));
        }
        for line in &a.trace {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}
