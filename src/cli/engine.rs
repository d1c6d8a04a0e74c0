//! `outcall serve`, `outcall report NAME [--csv]` and `outcall demo`: thin shells over
//! `scheduler` (the engine, reports, the demo run).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::call::switch::Switch;
use crate::callback::callerid::Locations;
use crate::clock::Clock;
use crate::config::Config;
use crate::http::ApiState;
use crate::ops::report::Report;
use crate::scheduler::callbacks::CallbackLimits;
use crate::scheduler::engine::{default_owner, DrainReport, Engine, EngineOptions};
use crate::startup::nodes::{esl_nodes, wait_any_up};
use crate::startup::webhooks::delivery_worker;
use crate::store::Store;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// This dialer's lease owner name (default: outcall@<hostname>). Keep it across restarts
    /// so a restarted dialer takes back its own calls; give every dialer sharing a database
    /// its own.
    #[arg(long)]
    pub owner: Option<String>,
    /// Seconds to let live calls finish after Ctrl-C / SIGTERM (no new calls meanwhile; the
    /// switch connections stay up); then the rest are hung up and recorded as interrupted.
    #[arg(long, default_value_t = 30)]
    pub drain: u64,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Simulated time runs this many times faster than real time.
    #[arg(long, default_value_t = 25.0)]
    pub time_scale: f64,
    /// Give up after this many real seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Where the web console listens while the demo runs (a free port when this one is taken).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Keep the web console open after the campaign ends, until Ctrl-C.
    #[arg(long)]
    pub keep: bool,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The campaign's name.
    pub name: String,
    /// Print the attempts (CDR) as CSV instead of tables.
    #[arg(long)]
    pub csv: bool,
    /// With --csv: start with a UTF-8 byte order mark, so Excel shows Cyrillic names.
    #[arg(long, requires = "csv")]
    pub excel: bool,
    /// Print what each call heard (nodes, spoken text, files, digits, bridges, webhooks).
    #[arg(long)]
    pub trace: bool,
}

pub async fn serve(args: ServeArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::connect(config.database_url.expose())
        .await
        .context("cannot open the database (database_url)")?;
    let shutdown = CancellationToken::new();
    // The switch connections outlive the drain: live calls keep their event streams until
    // they end or are hung up.
    let nodes_stop = CancellationToken::new();
    let nodes = esl_nodes(&config.freeswitch, &nodes_stop);
    let opts = EngineOptions {
        owner: args.owner.unwrap_or_else(default_owner),
        max_concurrent_calls: config.max_concurrent_calls,
        gateways: config.gateway.clone(),
        shared_caps: config.shared_caps,
        webhooks: config.webhooks.urls(),
        ..EngineOptions::default()
    };
    let worker = delivery_worker(
        &config.webhooks,
        store.clone(),
        Clock::system(),
        &opts.owner,
    )
    .context("cannot start the webhook delivery worker ([webhooks])")?;
    let names: Vec<&str> = config.freeswitch.iter().map(|n| n.label()).collect();
    eprintln!(
        "outcall serve: owner {}, FreeSWITCH nodes: {}; Ctrl-C stops",
        opts.owner,
        names.join(", ")
    );
    // A missing webhooks.secret is said at the first delivery (the worker), not here: a
    // dialer with no webhooks anywhere has nothing to sign.
    let watched = nodes.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>();
    let switches: Vec<Arc<dyn Switch>> = nodes
        .iter()
        .map(|(s, _)| s.clone() as Arc<dyn Switch>)
        .collect();
    let mut engine = Engine::new(
        store.clone(),
        nodes.into_iter().map(|(_, s)| s).collect(),
        Clock::system(),
        opts,
    );
    let cb = &config.callbacks;
    let locations = match &cb.locations {
        None => Locations::builtin(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read callbacks.locations {}", p.display()))?;
            Locations::parse(&text).map_err(anyhow::Error::msg)?
        }
    };
    let limits = CallbackLimits {
        lines: cb.lines,
        cps: (cb.cps > 0.0).then_some(cb.cps),
    };
    engine.configure_callbacks(limits, locations, cb.recordings.clone());
    // Checked even without the API, so a broken `zone_table` is found at start, not at an upload.
    let zones = crate::ops::contacts::zone_table(config.zone_table.as_deref())?;
    if config.http.enabled {
        let (listener, addr) = crate::http::bind(&config.http).await.with_context(|| {
            format!(
                "cannot listen on {} ([http] listen; set enabled = false to run without the API)",
                config.http.listen
            )
        })?;
        let mut state = ApiState::new(
            store.clone(),
            Clock::system(),
            config.http.clone(),
            &config.default_country,
        );
        state.nodes = switches;
        state.zones = zones;
        state.why = super::why::why_env(config, Vec::new());
        state.metrics = Some(engine.handle().metrics.clone());
        state.wake = Some(engine.handle().callback_wake.clone());
        eprintln!(
            "outcall serve: HTTP API on http://{addr} (OpenAPI at /openapi.json), web console at http://{addr}/"
        );
        let stop = shutdown.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::http::serve(listener, Arc::new(state), stop).await {
                tracing::error!(error = %e, "the HTTP API stopped");
            }
        });
    }
    if wait_any_up(&watched, Duration::from_secs(5)).await == 0 {
        eprintln!("warning: no FreeSWITCH node reachable yet; calls wait until one is (retrying)");
    }
    let watch = tokio::spawn(crate::startup::watch::run(
        store.clone(),
        engine.handle().metrics,
        nodes_stop.clone(),
    ));
    let stop = shutdown.clone();
    let metrics = engine.handle().metrics;
    let drain = args.drain;
    tokio::spawn(async move {
        shutdown_signal().await;
        eprintln!(
            "outcall serve: stopping: no new calls; {} live call(s) may finish within {drain} s (--drain), then the rest are hung up",
            metrics.live()
        );
        stop.cancel();
    });
    // The worker outlives the engine's drain, so the calls that end meanwhile are delivered too.
    let worker_stop = CancellationToken::new();
    let deliveries = tokio::spawn(worker.run(worker_stop.clone()));
    let ran = engine
        .run(shutdown.clone(), Duration::from_secs(args.drain))
        .await;
    shutdown.cancel();
    nodes_stop.cancel();
    let _ = watch.await;
    worker_stop.cancel();
    let delivered = deliveries.await;
    let drained = ran.context("the engine stopped")?;
    eprintln!("outcall serve: stopped: {}", drain_text(&drained));
    delivered
        .context("the webhook delivery worker panicked")?
        .context("the webhook delivery worker stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// What the drain at a stop did, for stderr.
fn drain_text(r: &DrainReport) -> String {
    let mut text = format!(
        "{} call(s) were live; {} ended within the drain time",
        r.live, r.finished
    );
    if r.hung_up > 0 {
        text.push_str(&format!(
            "; {} hung up when it ran out (recorded interrupted unless their script had reached a success point; retried)",
            r.hung_up
        ));
    }
    if r.unrecorded > 0 {
        text.push_str(&format!(
            "; {} not recorded in time (the next start reconciles them)",
            r.unrecorded
        ));
    }
    text
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn report(args: ReportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::connect(config.database_url.expose())
        .await
        .context("cannot open the database (database_url)")?;
    let report = Report::load(&store, &args.name).await?;
    if args.csv {
        if args.excel {
            print!("{}", crate::ops::report::EXCEL_BOM);
        }
        print!("{}", report.attempts_csv()?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("campaign {}: {}", report.campaign, report.status);
    if let Some(r) = &report.status_reason {
        println!("  reason: {r}");
    }
    println!();
    print!("{}", report.attempts_table());
    if args.trace {
        print!("{}", report.traces_text());
    }
    print!("{}", report.totals_text());
    Ok(ExitCode::SUCCESS)
}

pub async fn demo(args: DemoArgs, _config: &Config) -> anyhow::Result<ExitCode> {
    let outcome = crate::startup::demo::run(
        args.time_scale,
        Duration::from_secs(args.timeout),
        &args.listen,
        args.keep,
    )
    .await?;
    Ok(if outcome.finished {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
