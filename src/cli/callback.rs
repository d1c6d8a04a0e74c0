//! `outcall callback add|list|show|cancel`: callback jobs from the command line, a thin shell
//! over `ops::callbacks` (the same rules as `POST /callbacks`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::callback::record::{CallbackRecord, LegRecord};
use crate::callback::{CallbackRequest, DialMode, JobState, Managers};
use crate::config::Config;
use crate::model::Actor;
use crate::ops::callbacks;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Queue a callback job: the manager(s) first, then the client.
    Add(Box<AddArgs>),
    /// List jobs.
    List {
        /// Only jobs in this state: pending, running or done.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// One job with its leg-by-leg log.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Cancel a job and its recalls.
    Cancel { id: i64 },
}

#[derive(clap::Args)]
struct AddArgs {
    /// A request as JSON (the body of POST /callbacks); the options below override its fields.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Manager number (repeat, or join with `_` or `^`).
    #[arg(long = "manager")]
    managers: Vec<String>,
    #[arg(long)]
    client: Option<String>,
    /// Ring every manager at once (first answer wins).
    #[arg(long)]
    parallel: bool,
    /// Dial pattern toward the managers, e.g. sofia/gateway/t1/{number} (repeat for failover).
    #[arg(long = "trunk")]
    trunks: Vec<String>,
    /// Dial pattern toward the client (repeat; default: the manager trunks).
    #[arg(long = "client-trunk")]
    client_trunks: Vec<String>,
    #[arg(long)]
    text: Option<String>,
    #[arg(long)]
    info: Option<String>,
    #[arg(long)]
    info_digit: Option<String>,
    #[arg(long)]
    connect_digit: Option<String>,
    #[arg(long)]
    cancel_digit: Option<String>,
    #[arg(long)]
    postpone_digit: Option<String>,
    #[arg(long)]
    cancel_recalls_digit: Option<String>,
    #[arg(long)]
    repeats: Option<u32>,
    /// Seconds before a recall (repeat: one per recall).
    #[arg(long = "recall")]
    recalls: Vec<u64>,
    /// When to call (RFC 3339; default now).
    #[arg(long)]
    at: Option<DateTime<Utc>>,
    /// Idempotency key: adding the same key again gives the same job.
    #[arg(long)]
    key: Option<String>,
    #[arg(long)]
    status_url: Option<String>,
    #[arg(long)]
    log_url: Option<String>,
    /// Country of numbers written without `+` (default: default_country from the config).
    #[arg(long)]
    default_country: Option<String>,
}

impl AddArgs {
    fn request(&self) -> anyhow::Result<CallbackRequest> {
        let mut r: CallbackRequest = match &self.file {
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a callback request", f.display()))?
            }
            None => CallbackRequest::default(),
        };
        if !self.managers.is_empty() {
            r.managers = Some(Managers::List(
                self.managers
                    .iter()
                    .flat_map(|m| Managers::Joined(m.clone()).split())
                    .collect(),
            ));
        }
        if self.parallel {
            r.dial_mode = DialMode::Parallel;
        }
        if !self.trunks.is_empty() {
            r.manager_trunks = self.trunks.clone();
        }
        if !self.client_trunks.is_empty() {
            r.client_trunks = self.client_trunks.clone();
        }
        if !self.recalls.is_empty() {
            r.recall_intervals = self.recalls.clone();
        }
        let set = |dst: &mut Option<String>, src: &Option<String>| {
            if src.is_some() {
                dst.clone_from(src);
            }
        };
        set(&mut r.client, &self.client);
        set(&mut r.text, &self.text);
        set(&mut r.info, &self.info);
        set(&mut r.info_digit, &self.info_digit);
        set(&mut r.connect_digit, &self.connect_digit);
        set(&mut r.cancel_digit, &self.cancel_digit);
        set(&mut r.postpone_digit, &self.postpone_digit);
        set(&mut r.cancel_recalls_digit, &self.cancel_recalls_digit);
        set(&mut r.idempotency_key, &self.key);
        set(&mut r.status_url, &self.status_url);
        set(&mut r.log_url, &self.log_url);
        r.repeats = self.repeats.or(r.repeats);
        r.at = self.at.or(r.at);
        Ok(r)
    }
}

pub async fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let store = super::migrate::open(config).await?;
    let now = Utc::now();
    match args.command {
        Command::Add(a) => {
            let req = a.request()?;
            let country = a
                .default_country
                .as_deref()
                .unwrap_or(&config.default_country);
            let (rec, created) = callbacks::add(&store, &Actor::cli(), country, &req, now).await?;
            let what = if created {
                "queued"
            } else {
                "already queued (same key)"
            };
            println!(
                "callback #{} {what}, due {}",
                rec.id,
                rec.next_attempt_at.to_rfc3339()
            );
        }
        Command::List { state, limit, json } => {
            let state = state
                .as_deref()
                .map(|s| s.parse::<JobState>().map_err(anyhow::Error::msg))
                .transpose()?;
            let rows = callbacks::list(&store, 0, limit, state).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:>6}  {:<8} {:<24} {:>4}  {:<16} managers",
                    "id", "state", "status", "code", "client"
                );
                for r in &rows {
                    print_row(r);
                }
            }
        }
        Command::Show { id, json } => {
            let (rec, legs) = callbacks::show(&store, id).await?;
            if json {
                let v = serde_json::json!({ "callback": rec, "legs": legs });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_row(&rec);
                print_detail(&rec, &legs);
            }
        }
        Command::Cancel { id } => {
            let rec = callbacks::cancel(&store, &Actor::cli(), id, now).await?;
            println!(
                "callback #{id}: {} ({}), recalls cancelled",
                rec.status,
                rec.state.as_str()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_row(r: &CallbackRecord) {
    println!(
        "{:>6}  {:<8} {:<24} {:>4}  {:<16} {}",
        r.id,
        r.state.as_str(),
        r.status.as_str(),
        r.status_code,
        r.spec.client,
        r.spec.managers.join(",")
    );
}

fn print_detail(r: &CallbackRecord, legs: &[LegRecord]) {
    println!(
        "calls {}  next {}  duration {} ms  talk {} ms  digits {:?}  recording {}",
        r.calls,
        r.next_attempt_at.to_rfc3339(),
        r.duration_ms.unwrap_or(0),
        r.talk_ms.unwrap_or(0),
        r.digits,
        r.recording.as_deref().unwrap_or("-")
    );
    for l in legs {
        println!(
            "  call {} {:<7} {:<16} {:<32} {:<20} answered {:<5} cause {}",
            l.call_no,
            l.side.as_str(),
            l.number,
            l.trunk,
            l.caller_id,
            l.answered_at.is_some(),
            l.cause.as_deref().unwrap_or("(live)")
        );
    }
}
