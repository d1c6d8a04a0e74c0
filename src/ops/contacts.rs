//! Contact actions: import a CSV into a campaign (the same report for the CLI and the API,
//! `dry_run` writes nothing), and add contacts given as data (the API's JSON), which go through
//! the very same import so that every rule (phones, required variables, do-not-call,
//! duplicates) is the import's; a cancelled campaign takes no contacts.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{OpsError, Result};
use crate::campaign::record::CampaignRecord;
use crate::import::{
    import_bytes, import_file_audited, ImportAudit, ImportError, ImportOptions, ImportReport,
    Progress, SMALL_IMPORT_BYTES,
};
use crate::model::{Actor, CampaignStatus};
use crate::numbering::ZoneTable;
use crate::store::Store;

/// One contact given as data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// Phones in the order to try; written as in a CSV (national or E.164).
    pub phones: Vec<String>,
    #[serde(default)]
    pub name: String,
    /// Variables for the script (keys are upper-cased, as CSV columns are).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// IANA zone of the subscriber, when known.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// The zone table of imports: the built-in one plus the operator's `prefix,zone` CSV at
/// `path`, when given. A file that cannot be read or parsed is refused naming it (and the line).
pub fn zone_table(path: Option<&Path>) -> Result<ZoneTable> {
    let Some(path) = path else {
        return Ok(ZoneTable::builtin());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| OpsError::Invalid(format!("zone table {}: {e}", path.display())))?;
    ZoneTable::with_user_csv(&text)
        .map_err(|e| OpsError::Invalid(format!("{}: {e}", path.display())))
}

async fn open_campaign(store: &Store, campaign: &str) -> Result<CampaignRecord> {
    let c = store.campaign_by_name(campaign).await?;
    if c.status == CampaignStatus::Cancelled {
        return Err(OpsError::Conflict(format!(
            "campaign `{}` is cancelled (stopped by hand); create a new campaign for these contacts",
            c.name
        )));
    }
    Ok(c)
}

/// Imports `path` into the campaign named `campaign`.
pub async fn import(
    store: &Store,
    actor: &Actor,
    campaign: &str,
    path: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<ImportReport> {
    import_as(store, actor, campaign, path, path, options, now, progress).await
}

/// Like [`import`] for a file saved from a request: messages name it `shown` (e.g. "the
/// upload"), never the temporary path.
#[allow(clippy::too_many_arguments)]
pub async fn import_as(
    store: &Store,
    actor: &Actor,
    campaign: &str,
    path: &Path,
    shown: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<ImportReport> {
    let c = open_campaign(store, campaign).await?;
    let audit = ImportAudit {
        actor,
        object: format!("campaign:{}", c.name),
    };
    import_file_audited(store, &c, path, options, now, progress, Some(&audit))
        .await
        .map_err(|e| renamed(e, shown).into())
}

/// Imports a small CSV held in memory (at most [`SMALL_IMPORT_BYTES`]; messages name it
/// `shown`): the rules and report of [`import`], in one transaction with its audit entry.
pub async fn import_small(
    store: &Store,
    actor: &Actor,
    campaign: &str,
    csv: &[u8],
    shown: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    let c = open_campaign(store, campaign).await?;
    let audit = ImportAudit {
        actor,
        object: format!("campaign:{}", c.name),
    };
    Ok(import_bytes(store, &c, csv, shown, options, now, Some(&audit)).await?)
}

fn renamed(e: ImportError, shown: &Path) -> ImportError {
    let shown = shown.to_path_buf();
    match e {
        ImportError::Read { source, .. } => ImportError::Read {
            path: shown,
            source,
        },
        ImportError::BadFile { message, .. } => ImportError::BadFile {
            path: shown,
            message,
        },
        ImportError::Interrupted { message, .. } => ImportError::Interrupted {
            path: shown,
            message,
        },
        other => other,
    }
}

/// Adds contacts given as data: they are written as a CSV and imported (from memory when small),
/// so the report (line N = the N-th contact, counting the header as line 1) and the rules are
/// the import's.
pub async fn add(
    store: &Store,
    actor: &Actor,
    campaign: &str,
    contacts: &[ContactInput],
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    if contacts.is_empty() {
        return Err(OpsError::Invalid("no contacts given".into()));
    }
    let csv = to_csv(contacts)?;
    let shown = Path::new("the contacts");
    if csv.len() <= SMALL_IMPORT_BYTES {
        return import_small(store, actor, campaign, &csv, shown, options, now).await;
    }
    let dir = tempfile::tempdir().map_err(|e| OpsError::Invalid(format!("temp file: {e}")))?;
    let path = dir.path().join("contacts.csv");
    tokio::fs::write(&path, csv)
        .await
        .map_err(|e| OpsError::Invalid(format!("temp file: {e}")))?;
    import_as(store, actor, campaign, &path, shown, options, now, None).await
}

/// The CSV the import reads for these contacts: `phone,phone2,…,name,timezone,VAR…`.
fn to_csv(contacts: &[ContactInput]) -> Result<Vec<u8>> {
    let phones = contacts
        .iter()
        .map(|c| c.phones.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut vars: Vec<String> = Vec::new();
    for (i, c) in contacts.iter().enumerate() {
        for k in c.vars.keys() {
            let key = k.trim().to_uppercase();
            if key.is_empty() || RESERVED.contains(&key.to_lowercase().as_str()) {
                return Err(OpsError::Invalid(format!(
                    "contacts[{i}].vars: `{k}` cannot be a variable name (it names a column)"
                )));
            }
            if !vars.contains(&key) {
                vars.push(key);
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = (1..=phones)
        .map(|i| {
            if i == 1 {
                "phone".into()
            } else {
                format!("phone{i}")
            }
        })
        .collect();
    header.extend(["name".to_string(), "timezone".to_string()]);
    header.extend(vars.iter().cloned());
    let bad = |e: csv::Error| OpsError::Invalid(format!("contacts: {e}"));
    w.write_record(&header).map_err(bad)?;
    for c in contacts {
        let mut row: Vec<String> = (0..phones)
            .map(|i| c.phones.get(i).cloned().unwrap_or_default())
            .collect();
        row.push(c.name.clone());
        row.push(c.timezone.clone().unwrap_or_default());
        let upper: BTreeMap<String, &String> = c
            .vars
            .iter()
            .map(|(k, v)| (k.trim().to_uppercase(), v))
            .collect();
        row.extend(
            vars.iter()
                .map(|k| upper.get(k).map(|v| v.to_string()).unwrap_or_default()),
        );
        w.write_record(&row).map_err(bad)?;
    }
    w.into_inner()
        .map_err(|e| OpsError::Invalid(format!("contacts: {e}")))
}

/// Column names the import gives a meaning of its own.
const RESERVED: &[&str] = &[
    "phone",
    "name",
    "timezone",
    "tz",
    "time_zone",
    "vars",
    "user_vars",
    "variables",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_become_the_csv_the_import_reads() {
        let c = vec![
            ContactInput {
                phones: vec!["89161001001".into(), "+74951234567".into()],
                name: "Иванов, \"И\"".into(),
                vars: BTreeMap::from([("balance".into(), "1234,56".into())]),
                timezone: None,
            },
            ContactInput {
                phones: vec!["89161001002".into()],
                ..ContactInput::default()
            },
        ];
        let text = String::from_utf8(to_csv(&c).unwrap()).unwrap();
        assert_eq!(
            text,
            "phone,phone2,name,timezone,BALANCE\n\
             89161001001,+74951234567,\"Иванов, \"\"И\"\"\",,\"1234,56\"\n\
             89161001002,,,,\n"
        );
    }

    #[test]
    fn a_variable_named_like_a_column_is_refused() {
        let c = vec![ContactInput {
            phones: vec!["89161001001".into()],
            vars: BTreeMap::from([("Phone".into(), "x".into())]),
            ..ContactInput::default()
        }];
        let e = to_csv(&c).unwrap_err().to_string();
        assert!(e.contains("contacts[0].vars") && e.contains("Phone"), "{e}");
    }
}
