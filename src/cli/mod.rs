//! The command line: clap definitions and dispatch. One file per command family; anyhow lives
//! here and in nothing below it.

mod access;
mod callback;
mod campaign;
mod dnc;
mod engine;
mod errors;
mod esl;
mod import;
mod migrate;
mod sim;
mod why;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "outcall",
    version,
    about = "Outbound dialer driving FreeSWITCH over its event socket"
)]
struct Cli {
    /// Configuration file (every key optional). Default: ./outcall.toml when it exists.
    #[arg(long, global = true, env = "OUTCALL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the dialer engine: schedule, pace and place the calls of every running campaign.
    Serve(engine::ServeArgs),
    /// Run the demo debtors campaign against the built-in simulator and print its results.
    Demo(engine::DemoArgs),
    /// Attempts and per-disposition totals of a campaign.
    Report(engine::ReportArgs),
    /// Import a contacts CSV into a campaign.
    Import(import::Args),
    /// Create, list, show and control campaigns.
    Campaign(campaign::Args),
    /// Pause every running campaign at once.
    PauseAll,
    /// Callback jobs: the manager first, then the client (add, list, show, cancel).
    Callback(callback::Args),
    /// The do-not-call list.
    Dnc(dnc::Args),
    /// One contact: why it is (not) being called.
    Contact(why::ContactArgs),
    /// Apply the database migrations.
    Migrate,
    /// The FreeSWITCH simulator: a mod_event_socket stand-in.
    Sim(sim::Args),
    /// Event socket tools.
    Esl(esl::Args),
    /// API tokens for the HTTP API: create (shown once), list, revoke.
    Token(access::TokenArgs),
    /// The audit log: every change, by whom, before and after.
    Audit(access::AuditArgs),
}

/// Entry point of the binary: parse, load config, run, map errors to a message and exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_) | Command::Sim(_)) {
        quiet_broken_pipe();
    }
    init_tracing();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", errors::error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// A command whose output goes to a reader that stops early (`outcall report X | head -1`)
/// ends quietly, as Unix tools do, instead of panicking on the failed write: SIGPIPE is given
/// back its default action (Rust ignores it, so a write fails with EPIPE and `println!`
/// panics). The long-running `serve` and `sim` keep ignoring it.
fn quiet_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default at start-up, before any thread
    // exists, has no memory effects.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Commands that need no configuration run before it is read, so a broken outcall.toml
    // does not stop `outcall esl decode` or `outcall sim`.
    match cli.command {
        Command::Esl(args) => return esl::run(args).await,
        Command::Sim(args) => return sim::run(args).await,
        _ => {}
    }
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => engine::serve(args, &config).await,
        Command::Demo(args) => engine::demo(args, &config).await,
        Command::Report(args) => engine::report(args, &config).await,
        Command::Import(args) => import::run(args, &config).await,
        Command::Campaign(args) => campaign::run(args, &config).await,
        Command::PauseAll => campaign::pause_all(&config).await,
        Command::Callback(args) => callback::run(args, &config).await,
        Command::Dnc(args) => dnc::run(args, &config).await,
        Command::Contact(args) => why::contact(args, &config).await,
        Command::Migrate => migrate::run(&config).await,
        Command::Token(args) => access::token(args, &config).await,
        Command::Audit(args) => access::audit(args, &config).await,
        Command::Esl(_) | Command::Sim(_) => unreachable!("handled above"),
    }
}

/// Logs go to stderr; `OUTCALL_LOG` (or `RUST_LOG`) sets the filter, default `warn`.
fn init_tracing() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("OUTCALL_LOG")
        .ok()
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
