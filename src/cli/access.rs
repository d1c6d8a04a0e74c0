//! `outcall token create|list|revoke` and `outcall audit`: API tokens and the audit log, thin
//! shells over `ops::tokens` and `ops::audit`.

use std::process::ExitCode;

use chrono::Utc;

use crate::config::Config;
use crate::model::{Actor, Role};
use crate::ops::{audit, tokens};
use crate::store::AuditQuery;

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(clap::Subcommand)]
enum TokenCommand {
    /// Make a token; it is printed once and never again (only its hash is kept).
    Create {
        #[arg(long)]
        name: String,
        /// admin, marketer, accountant, supervisor or backend.
        #[arg(long)]
        role: Role,
    },
    /// The tokens: name, role, made, last used, revoked.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by name (its name stays taken).
    Revoke { name: String },
}

#[derive(clap::Args)]
pub struct AuditArgs {
    /// Only entries about this object (e.g. `campaign:debtors`).
    #[arg(long)]
    object: Option<String>,
    /// Only entries by this actor (a token name, or `cli:<user>`).
    #[arg(long)]
    actor: Option<String>,
    /// At most this many entries, oldest first.
    #[arg(long, default_value_t = 1000)]
    limit: i64,
    /// Entries after this id.
    #[arg(long, default_value_t = 0)]
    after: i64,
    #[arg(long)]
    json: bool,
}

pub async fn token(args: TokenArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = super::migrate::open(config).await?;
    let now = Utc::now();
    match args.command {
        TokenCommand::Create { name, role } => {
            let token = tokens::create(&store, &Actor::cli(), &name, role, now).await?;
            eprintln!("token `{name}` ({role}) made; it is shown this once:");
            println!("{token}");
        }
        TokenCommand::List { json } => {
            let list = tokens::list(&store).await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                let when = |t: Option<chrono::DateTime<Utc>>| {
                    t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
                };
                for t in &list {
                    println!(
                        "{}\t{}\tmade {}\tused {}\trevoked {}",
                        t.name,
                        t.role,
                        t.created_at.format("%Y-%m-%d %H:%M"),
                        when(t.last_used),
                        when(t.revoked_at)
                    );
                }
            }
        }
        TokenCommand::Revoke { name } => {
            tokens::revoke(&store, &Actor::cli(), &name, now).await?;
            println!("token `{name}` revoked");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(args: AuditArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = super::migrate::open(config).await?;
    let query = AuditQuery {
        before_id: None,
        newest_first: false,
        after_id: args.after,
        limit: args.limit,
        object: args.object,
        actor: args.actor,
    };
    let entries = audit::page(&store, &query).await?;
    if args.json {
        println!("{}", serde_json::to_string(&entries)?);
    } else {
        for e in &entries {
            println!(
                "{}\t{}\t{} ({})\t{}\t{}",
                e.id,
                e.at.format("%Y-%m-%d %H:%M:%S"),
                e.actor,
                e.role,
                e.action,
                e.object
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
