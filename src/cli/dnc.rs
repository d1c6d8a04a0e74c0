//! `outcall dnc add|import|list|remove`: the do-not-call list (numbers normalised to E.164).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;

use crate::campaign::import::phone::PhoneNormalizer;
use crate::config::Config;

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
    let norm = PhoneNormalizer::new(&country).map_err(anyhow::Error::msg)?;
    let normalize = |p: &str| norm.normalize(p).map_err(anyhow::Error::msg);
    let store = super::migrate::open(config).await?;
    match args.command {
        Command::Add { phones, reason } => {
            let list = phones
                .iter()
                .map(|p| normalize(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let n = store.dnc_add_many(&list, &reason, Utc::now()).await?;
            println!("{n} added, {} already listed", list.len() as u64 - n);
        }
        Command::Import { file, reason } => {
            let text =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let (text, _, _) = if std::str::from_utf8(&text).is_ok() {
                encoding_rs::UTF_8.decode(&text)
            } else {
                encoding_rs::WINDOWS_1251.decode(&text)
            };
            let (list, bad) = numbers_of(&text, &norm);
            for (line, why) in &bad {
                eprintln!("line {line}: {why}");
            }
            let n = store.dnc_add_many(&list, &reason, Utc::now()).await?;
            println!(
                "{n} added, {} already listed, {} lines not understood",
                list.len() as u64 - n,
                bad.len()
            );
        }
        Command::List { json } => {
            let list = store.dnc_list().await?;
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
            for p in phones {
                let p = normalize(&p)?;
                let removed = store.dnc_remove(&p).await?;
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

/// Numbers of a plain list; a first line that is not a number (a header) is skipped silently.
fn numbers_of(text: &str, norm: &PhoneNormalizer) -> (Vec<String>, Vec<(usize, String)>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let field = line
            .split([',', ';', '\t'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if field.is_empty() {
            continue;
        }
        match norm.normalize(field) {
            Ok(p) => good.push(p),
            Err(_) if i == 0 => {}
            Err(e) => bad.push((i + 1, e)),
        }
    }
    (good, bad)
}
