//! Contact actions: import a CSV into a campaign (the same report for the CLI and the API,
//! `dry_run` writes nothing); a cancelled campaign takes no contacts.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{OpsError, Result};
use crate::import::{import_file, ImportOptions, ImportReport, Progress};
use crate::model::CampaignStatus;
use crate::store::Store;

/// Imports `path` into the campaign named `campaign`.
pub async fn import(
    store: &Store,
    campaign: &str,
    path: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<ImportReport> {
    let c = store.campaign_by_name(campaign).await?;
    if c.status == CampaignStatus::Cancelled {
        return Err(OpsError::Conflict(format!(
            "campaign `{}` is cancelled (stopped by hand); create a new campaign for these contacts",
            c.name
        )));
    }
    Ok(import_file(store, &c, path, options, now, progress).await?)
}
