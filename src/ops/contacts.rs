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
    import_file_audited, import_records, import_records_unread, ImportAudit, ImportError,
    ImportOptions, ImportReport, Progress, Records,
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

/// Adds contacts given as data, in one change with its audit entry: they become the import's
/// records (a header and a row each, see `import::records`), so the rules and the report are the
/// import's (line N = the contact at index N - 2, the header being line 1).
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
    let records = to_records(contacts)?;
    let shown = Path::new("the contacts");
    // The campaign as last read, checked inside the write (no read before it); a campaign
    // not read yet, changed, cancelled or gone, a listed phone or a known contact takes the
    // way below, which reads the campaign first and says what is wrong.
    if let Some((c, text)) = store.campaign_as_last_read(campaign) {
        let audit = ImportAudit {
            actor,
            object: format!("campaign:{}", c.name),
        };
        let unread =
            import_records_unread(store, &c, text, &records, shown, options, now, Some(&audit));
        if let Some(report) = unread.await? {
            return Ok(report);
        }
    }
    let c = open_campaign(store, campaign).await?;
    let audit = ImportAudit {
        actor,
        object: format!("campaign:{}", c.name),
    };
    Ok(import_records(store, &c, &records, shown, options, now, Some(&audit)).await?)
}

/// The import's records of these contacts: `phone,phone2,…,name,timezone,VAR…`.
fn to_records(contacts: &[ContactInput]) -> Result<Records> {
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
    let rows = contacts
        .iter()
        .map(|c| {
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
            row
        })
        .collect();
    Ok(Records { header, rows })
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
#[path = "contacts_tests.rs"]
mod unread_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_become_the_records_the_import_reads() {
        let c = vec![
            ContactInput {
                phones: vec!["89161001001".into(), "+74951234567".into()],
                name: "Иванов, \"И\"".into(),
                vars: BTreeMap::from([("balance".into(), "1234,56".into())]),
                timezone: None,
            },
            ContactInput {
                phones: vec!["89161001002".into()],
                vars: BTreeMap::from([("Note ".into(), "x".into())]),
                ..ContactInput::default()
            },
        ];
        let r = to_records(&c).unwrap();
        assert_eq!(
            r.header,
            ["phone", "phone2", "name", "timezone", "BALANCE", "NOTE"]
        );
        assert_eq!(
            r.rows,
            [
                vec![
                    "89161001001",
                    "+74951234567",
                    "Иванов, \"И\"",
                    "",
                    "1234,56",
                    ""
                ],
                vec!["89161001002", "", "", "", "", "x"],
            ]
        );
        let one = to_records(&c[..1]).unwrap();
        assert_eq!(one.rows[0][4], "1234,56", "a single variable");
    }

    #[test]
    fn a_variable_named_like_a_column_is_refused() {
        let c = vec![ContactInput {
            phones: vec!["89161001001".into()],
            vars: BTreeMap::from([("Phone".into(), "x".into())]),
            ..ContactInput::default()
        }];
        let e = to_records(&c).unwrap_err().to_string();
        assert!(e.contains("contacts[0].vars") && e.contains("Phone"), "{e}");
    }
}
