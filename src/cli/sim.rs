//! `outcall sim`: runs the FreeSWITCH simulator until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::sim::{self, Rules, SimConfig};

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8021")]
    listen: SocketAddr,
    /// Event socket password.
    #[arg(long, default_value = "ClueCon", env = "OUTCALL_SIM_PASSWORD")]
    password: String,
    /// Rules file (TOML) mapping destinations to outcomes; without it every call rings 1 s
    /// and is answered.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Simulated time runs this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Maximum concurrent sessions (default: no limit).
    #[arg(long)]
    max_sessions: Option<u32>,
    /// Maximum new sessions per second (default: no limit).
    #[arg(long)]
    sps: Option<u32>,
    /// Seed for weighted random outcome mixes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        anyhow::bail!(
            "--time-scale must be a positive number, got {}",
            args.time_scale
        );
    }
    let rules = match &args.rules {
        Some(p) => {
            Rules::from_file(p).with_context(|| "fix the rules file and retry".to_string())?
        }
        None => Rules::default(),
    };
    let cfg = SimConfig {
        listen: args.listen,
        password: args.password,
        rules,
        time_scale: args.time_scale,
        max_sessions: args.max_sessions,
        sps: args.sps,
        seed: args.seed,
        faults: sim::Faults::default(),
    };
    let handle = sim::start(cfg).await?;
    // The address goes to stdout so scripts starting the sim on port 0 can read it.
    println!("outcall sim listening on {}", handle.addr());
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    let stats = handle.stats();
    handle.shutdown().await;
    eprintln!(
        "outcall sim: {} originates, {} sessions, peak {} concurrent channels",
        stats.originates, stats.sessions_total, stats.max_concurrent_channels
    );
    Ok(ExitCode::SUCCESS)
}
