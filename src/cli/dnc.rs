//! `outcall dnc add|import|list|remove`: the do-not-call list, a thin shell over `ops::dnc`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;

use crate::config::Config;
use crate::model::Actor;
use crate::ops::dnc;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// Country of numbers written without `+` (default: default_country from the config).
    #[arg(long, global = true)]
    default_country: Option<String>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Add numbers.
    Add {
        #[arg(required = true)]
        phones: Vec<String>,
        #[arg(long, default_value = "added by hand")]
        reason: String,
    },
    /// Add every number of a file: one per line (the first `,` `;` or tab separated field).
    Import {
        file: PathBuf,
        #[arg(long, default_value = "imported")]
        reason: String,
    },
    /// Print the list.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove numbers.
    Remove {
        #[arg(required = true)]
        phones: Vec<String>,
    },
}

pub async fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let country = args
        .default_country
        .clone()
        .unwrap_or_else(|| config.default_country.clone());
    let store = super::migrate::open(config).await?;
    let now = Utc::now();
    match args.command {
        Command::Add { phones, reason } => {
            let (n, already) =
                dnc::add(&store, &Actor::cli(), &country, &phones, &reason, now).await?;
            println!("{n} added, {already} already listed");
        }
        Command::Import { file, reason } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let r = dnc::import_list(&store, &Actor::cli(), &country, &bytes, &reason, now).await?;
            for (line, why) in &r.bad {
                eprintln!("line {line}: {why}");
            }
            println!(
                "{} added, {} already listed, {} lines not understood",
                r.added,
                r.already,
                r.bad.len()
            );
        }
        Command::List { json } => {
            let list = dnc::list(&store).await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for e in &list {
                    println!(
                        "{}\t{}\t{}",
                        e.phone,
                        e.added_at.format("%Y-%m-%d %H:%M"),
                        e.reason
                    );
                }
            }
        }
        Command::Remove { phones } => {
            for (p, removed) in
                dnc::remove(&store, &Actor::cli(), &country, &phones, Utc::now()).await?
            {
                println!(
                    "{p}: {}",
                    if removed { "removed" } else { "was not listed" }
                );
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
