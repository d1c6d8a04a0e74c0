//! `outcall migrate`: open the database and apply pending migrations (every command does this on
//! connect; this one only reports it).

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::store::Store;

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::connect(config.database_url.expose())
        .await
        .context("database_url (outcall.toml or OUTCALL_DATABASE_URL)")?;
    let version = store.migrate().await?;
    println!(
        "{} database is up to date (schema version {version})",
        store.backend()
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Opens the configured store, with a hint on failure (shared by the other commands here).
pub(crate) async fn open(config: &Config) -> anyhow::Result<Store> {
    Store::connect(config.database_url.expose()).await.context(
        "opening the database named by database_url (outcall.toml or OUTCALL_DATABASE_URL)",
    )
}
