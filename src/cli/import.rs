//! `outcall import FILE --campaign NAME [--dry-run] [--json] [--default-country RU] [--map ..]`.
//! Exit codes: 0 imported (some rows may be rejected, each listed), 1 refused (nothing written),
//! 3 every row rejected.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::import::{ImportOptions, ImportReport, Progress};
use crate::ops::contacts;

#[derive(clap::Args)]
pub struct Args {
    /// The CSV file (UTF-8 or Windows-1251; `,` `;` or tab separated; a header row).
    pub file: PathBuf,
    /// The campaign to add the contacts to.
    #[arg(long)]
    pub campaign: String,
    /// Check and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Country of numbers written without `+` (default: default_country from the config, RU).
    #[arg(long)]
    pub default_country: Option<String>,
    /// Rename columns of the file: "Сумма долга=BALANCE,Телефон=PHONE" (over the campaign's
    /// [import] map).
    #[arg(long, value_name = "COLUMN=NAME,...")]
    pub map: Option<String>,
    /// A `prefix,zone` CSV whose rows beat the built-in numbering-plan table for rows without
    /// a TIMEZONE value (default: zone_table from the config).
    #[arg(long, value_name = "FILE")]
    pub zones: Option<PathBuf>,
}

/// The exit code when the file was read but every row was rejected (nothing imported).
pub const EVERY_ROW_REJECTED: u8 = 3;

pub async fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let zones = contacts::zone_table(args.zones.as_deref().or(config.zone_table.as_deref()))?;
    let store = super::migrate::open(config).await?;
    let options = ImportOptions {
        default_country: args
            .default_country
            .clone()
            .unwrap_or_else(|| config.default_country.clone()),
        dry_run: args.dry_run,
        map: match &args.map {
            Some(m) => crate::import::rows::parse_map(m).map_err(anyhow::Error::msg)?,
            None => Vec::new(),
        },
        zones,
    };
    let bar = (!args.json && std::io::stderr().is_terminal()).then(progress_bar);
    let progress: Option<Progress> = bar.clone().map(|b| {
        Box::new(move |done: u64, total: u64| {
            b.set_length(total);
            b.set_position(done);
        }) as Progress
    });
    let report = contacts::import(
        &store,
        &crate::model::Actor::cli(),
        &args.campaign,
        &args.file,
        &options,
        chrono::Utc::now(),
        progress,
    )
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = report?;
    store.close().await;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        for w in &report.warnings {
            eprintln!("line {}: {}", w.line, w.reason);
        }
    } else {
        print_human(&report, &args.campaign, args.dry_run);
    }
    if report.rows > 0 && report.accepted == 0 && report.duplicates == 0 {
        eprintln!(
            "error: every one of the {} rows was rejected; nothing was imported (exit code {EVERY_ROW_REJECTED})",
            report.rows
        );
        return Ok(ExitCode::from(EVERY_ROW_REJECTED));
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn print_human(r: &ImportReport, campaign: &str, dry_run: bool) {
    let verb = if dry_run { "would add" } else { "added" };
    println!(
        "{} rows: {verb} {} new contacts to `{campaign}`, {} duplicates merged, {} rejected{}",
        r.rows,
        r.accepted,
        r.duplicates,
        r.rejected.len(),
        if dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    let z = &r.zones;
    println!(
        "  zones of the new contacts: {} from the TIMEZONE column, {} from the zone table, {} from the number (built-in table), {} from the country, {} the campaign's",
        z.column, z.user_table, z.builtin, z.country, z.campaign
    );
    const SHOWN: usize = 50;
    for x in r.rejected.iter().take(SHOWN) {
        println!("  rejected line {}: {}", x.line, x.reason);
    }
    if r.rejected.len() > SHOWN {
        println!(
            "  ... and {} more rejected rows (--json lists every one)",
            r.rejected.len() - SHOWN
        );
    }
    for m in r.merged.iter().take(SHOWN) {
        match m.into_line {
            Some(into) => println!(
                "  merged line {} into line {into} (the same person)",
                m.line
            ),
            None => println!(
                "  merged line {} into the contact the campaign had (the same person)",
                m.line
            ),
        }
    }
    if r.merged.len() > SHOWN {
        println!("  ... and {} more merges", r.merged.len() - SHOWN);
    }
    for w in r.warnings.iter().take(SHOWN) {
        println!("  note line {}: {}", w.line, w.reason);
    }
    if r.warnings.len() > SHOWN {
        println!("  ... and {} more notes", r.warnings.len() - SHOWN);
    }
}
