//! `outcall campaign create|update|check|list|show|start|pause|resume|stop` and `outcall pause-all`:
//! a thin shell over `ops::campaigns`, which holds the rules. A running `outcall serve` sees
//! status changes within a second.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use crate::config::Config;
use crate::model::Actor;
use crate::model::ContactStatus;
use crate::ops::campaigns::{self, Transition};
use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Create a campaign (status draft) from a TOML definition.
    Create { file: PathBuf },
    /// Replace a campaign's definition (schedule, limits, retry: only while draft, scheduled or paused).
    Update { file: PathBuf },
    /// Validate a definition without touching the database.
    Check { file: PathBuf },
    /// Every campaign with its status and contact counts.
    List {
        /// The archived campaigns instead.
        #[arg(long)]
        archived: bool,
    },
    /// One campaign: definition summary, status, contacts by status, attempts by disposition.
    Show { name: String },
    /// Start (or restart) calling: draft, scheduled, paused or completed -> running
    /// (scheduled until `schedule.start` when that is ahead).
    Start { name: String },
    /// Why it is (not) dialling: status, windows per zone group, caps, due contacts, switches,
    /// technical errors.
    Why {
        name: String,
        /// Print the facts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop placing new calls; live calls finish.
    Pause {
        name: String,
        /// Shown beside the status.
        #[arg(long, default_value = "paused by hand")]
        reason: String,
    },
    /// Continue a paused campaign.
    Resume { name: String },
    /// Cancel the campaign for good (live calls are hung up by the engine).
    Stop { name: String },
    /// Put a completed or cancelled campaign away (`list --archived` shows it).
    Archive { name: String },
}

pub async fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    if let Command::Check { file } = &args.command {
        let def = campaigns::check(file)?;
        println!("{}: campaign `{}` is valid", file.display(), def.name);
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Why { name, json } = &args.command {
        return super::why::campaign(config, name, *json).await;
    }
    let store = super::migrate::open(config).await?;
    let now = Utc::now();
    match args.command {
        Command::Why { .. } => unreachable!("handled above"),
        Command::Check { .. } => unreachable!("handled above"),
        Command::Create { file } => {
            let def = campaigns::check(&file)?;
            let c = campaigns::create(&store, &Actor::cli(), &def, now).await?;
            println!(
                "created campaign `{}` (#{}, draft). Next: outcall import FILE --campaign {0}; outcall campaign start {0}",
                c.name, c.id
            );
        }
        Command::Update { file } => {
            let def = campaigns::check(&file)?;
            let (c, replanned) = campaigns::update(&store, &Actor::cli(), &def, now).await?;
            match replanned {
                0 => println!("campaign `{}` updated", c.name),
                n => println!(
                    "campaign `{}` updated; {n} contacts a closed window had deferred are re-planned for the new windows",
                    c.name
                ),
            }
        }
        Command::List { archived } => list(&store, archived).await?,
        Command::Show { name } => show(&store, &name).await?,
        Command::Start { name } => said(campaigns::start(&store, &Actor::cli(), &name, now).await?),
        Command::Pause { name, reason } => {
            said(campaigns::pause(&store, &Actor::cli(), &name, &reason, now).await?)
        }
        Command::Resume { name } => {
            said(campaigns::resume(&store, &Actor::cli(), &name, now).await?)
        }
        Command::Stop { name } => said(campaigns::stop(&store, &Actor::cli(), &name, now).await?),
        Command::Archive { name } => {
            campaigns::archive(&store, &Actor::cli(), &name, now).await?;
            println!("campaign `{name}` archived");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn pause_all(config: &Config) -> anyhow::Result<ExitCode> {
    let store = super::migrate::open(config).await?;
    let names = campaigns::pause_all(
        &store,
        &Actor::cli(),
        "paused by hand (pause-all)",
        Utc::now(),
    )
    .await?;
    if names.is_empty() {
        println!("no campaign was running or scheduled");
    } else {
        println!("paused {} campaign(s): {}", names.len(), names.join(", "));
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn said(t: Transition) {
    if t.from == t.to {
        println!("campaign `{}` is already {}", t.name, t.to);
    } else {
        println!("campaign `{}`: {} -> {}", t.name, t.from, t.to);
    }
}

fn counts_line(counts: &[(ContactStatus, u64)]) -> String {
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
    format!("{total} contacts: {}", parts.join(", "))
}

async fn list(store: &Store, archived: bool) -> anyhow::Result<()> {
    let all = if archived {
        campaigns::list_archived(store).await?
    } else {
        campaigns::list(store).await?
    };
    if all.is_empty() && archived {
        println!("no archived campaigns");
        return Ok(());
    }
    if all.is_empty() {
        println!("no campaigns yet: outcall campaign create campaigns/debtors.toml");
        return Ok(());
    }
    println!("{:<24} {:<10} CONTACTS", "NAME", "STATUS");
    for s in &all {
        let c = &s.campaign;
        let reason = c
            .status_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        println!(
            "{:<24} {:<10} {}{reason}",
            c.name,
            c.status.as_str(),
            counts_line(&s.contacts)
        );
    }
    Ok(())
}

async fn show(store: &Store, name: &str) -> anyhow::Result<()> {
    let details = campaigns::show(store, name).await?;
    let c = &details.campaign;
    let d = &c.definition;
    println!("campaign   {} (#{})", c.name, c.id);
    match &c.status_reason {
        Some(r) => println!("status     {} ({r})", c.status),
        None => println!("status     {}", c.status),
    }
    if !d.description.is_empty() {
        println!("about      {}", d.description);
    }
    println!("dial       {} (caller ID {})", d.dial, d.caller_id);
    println!(
        "zone       {}{}",
        d.timezone.name(),
        if d.subscriber_local_time {
            ", windows in each subscriber's local time"
        } else {
            ""
        }
    );
    println!(
        "limits     {} lines, {} calls/s",
        d.limits.lines, d.limits.cps
    );
    println!(
        "retry      {} attempts, recall after {}, min success {} s",
        d.retry.max_attempts,
        crate::model::duration_text::format(d.retry.recall_interval),
        d.retry.min_success_seconds
    );
    println!("contacts   {}", counts_line(&details.contacts));
    if details.attempts.is_empty() {
        println!("attempts   none yet");
    } else {
        let calls = crate::ops::report::split_line(&details.attempts);
        println!("attempts   {calls}");
    }
    Ok(())
}
