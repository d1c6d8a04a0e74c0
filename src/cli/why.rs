//! `outcall campaign why NAME` and `outcall contact why PHONE`: a thin shell over `ops::why`,
//! which reads the database; the switches are probed from here (connect and authenticate,
//! 2 s each), since no engine runs in this process.

use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::esl::client::{Client, ClientOptions};
use crate::ops::explain::{CampaignWhy, ContactWhy, SwitchState};
use crate::ops::why::{self, WhyEnv};

#[derive(clap::Args)]
pub struct ContactArgs {
    #[command(subcommand)]
    command: ContactCommand,
}

#[derive(clap::Subcommand)]
enum ContactCommand {
    /// Why a contact is (not) being called: status, next attempt in its zone, lease, open call,
    /// do-not-call, attempts used and the rule that decided.
    Why {
        /// Its first phone, as in the CSV (national or E.164).
        phone: String,
        /// Only the contact of this campaign (default: every campaign that has the number).
        #[arg(long)]
        campaign: Option<String>,
        /// Print the facts as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// What the CLI knows beyond the database: outcall.toml's caps, and the switches as probed now.
pub(crate) async fn env(config: &Config, probe: bool) -> WhyEnv {
    let mut switches = Vec::new();
    if probe {
        for node in &config.freeswitch {
            let opts = ClientOptions {
                connect_timeout: Duration::from_secs(2),
                events: Vec::new(),
                liveness: None,
                ..ClientOptions::default()
            };
            let up = Client::connect(&node.address, node.password.expose(), opts)
                .await
                .is_ok();
            switches.push(SwitchState {
                name: node.label().to_string(),
                up: Some(up),
            });
        }
    }
    why_env(config, switches)
}

/// outcall.toml's caps and `switches` (the API's engine fills these from its own nodes).
pub(crate) fn why_env(config: &Config, switches: Vec<SwitchState>) -> WhyEnv {
    WhyEnv {
        gateways: config.gateway.clone(),
        nodes: config
            .freeswitch
            .iter()
            .map(|n| (n.label().to_string(), n.max_sessions))
            .collect(),
        max_concurrent_calls: Some(config.max_concurrent_calls),
        switches,
        default_country: config.default_country.clone(),
    }
}

/// `outcall campaign why NAME [--json]`.
pub async fn campaign(config: &Config, name: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = super::migrate::open(config).await?;
    let why = why::campaign(&store, &env(config, true).await, name, Utc::now()).await;
    store.close().await;
    let why = why?;
    if json {
        println!("{}", serde_json::to_string_pretty(&why)?);
    } else {
        print_campaign(&why);
    }
    Ok(ExitCode::SUCCESS)
}

/// `outcall contact why PHONE [--campaign NAME] [--json]`.
pub async fn contact(args: ContactArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let ContactCommand::Why {
        phone,
        campaign,
        json,
    } = args.command;
    let store = super::migrate::open(config).await?;
    let env = env(config, false).await;
    let why = why::contact(&store, &env, &phone, campaign.as_deref(), Utc::now()).await;
    store.close().await;
    let why = why?;
    if json {
        println!("{}", serde_json::to_string_pretty(&why)?);
    } else {
        why.iter().for_each(print_contact);
    }
    Ok(ExitCode::SUCCESS)
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or("never".into(), |t| {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    })
}

fn print_campaign(w: &CampaignWhy) {
    let reason = w
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    println!("campaign `{}`: {}{reason}", w.campaign, w.status);
    match w.blockers.is_empty() {
        true => println!(
            "dialling: {} contact(s) due in an open window",
            w.callable_now
        ),
        false => {
            println!("not dialling now, because:");
            w.blockers.iter().for_each(|b| println!("  - {b}"));
        }
    }
    println!("zone groups:");
    for z in &w.zones {
        let window = match z.open {
            true => "window open".to_string(),
            false => format!("window closed, opens {}", when(z.next_open)),
        };
        println!(
            "  {}: {window}; {} pending, {} due now, next due {}",
            z.zone,
            z.pending,
            z.due,
            when(z.next_due)
        );
    }
    println!(
        "next due: {}; in a call now: {}",
        when(w.next_due),
        w.dialing_now
    );
    println!("caps (live calls in the database):");
    for c in &w.caps {
        let limit = c.limit.map_or("no cap".into(), |l| l.to_string());
        let binds = if c.binds { "  <- binds" } else { "" };
        println!("  {}: {} of {limit}{binds}", c.level, c.in_use);
    }
    for s in &w.switches {
        let state = match s.up {
            Some(true) => "up",
            Some(false) => "DOWN (no connection or wrong password)",
            None => "unknown",
        };
        println!("switch {}: {state}", s.name);
    }
    let cause = match (&w.last_technical_cause, w.last_technical_at) {
        (Some(c), Some(at)) => format!("; last technical error {c} at {}", when(Some(at))),
        _ => String::new(),
    };
    println!(
        "technical errors in a row: {} (pauses at {}){cause}",
        w.technical_streak, w.pause_after
    );
}

fn print_contact(w: &ContactWhy) {
    println!(
        "{} {} in campaign `{}` ({}): {}",
        w.phone, w.name, w.campaign, w.campaign_status, w.status
    );
    match w.blockers.is_empty() {
        true => println!("callable now"),
        false => w.blockers.iter().for_each(|b| println!("  - {b}")),
    }
    println!("  zone: {}", w.zone);
    let local = w
        .next_attempt_local
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    println!("  next attempt: {}{local}", when(w.next_attempt));
    println!("  attempts used: {} of {}", w.attempts_used, w.max_attempts);
    if let Some(d) = &w.last_disposition {
        println!("  last result: {d}");
    }
    println!("  rule: {}", w.rule);
    if let Some(owner) = &w.lease_owner {
        println!("  lease: {owner} until {}", when(w.lease_until));
    }
    if let Some(c) = &w.open_call {
        println!(
            "  open call: {} on {} by {} since {}",
            c.uuid,
            c.node,
            c.owner,
            when(Some(c.started_at))
        );
    }
    if !w.do_not_call.is_empty() {
        println!("  do-not-call: {}", w.do_not_call.join(", "));
    }
}
