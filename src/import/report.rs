//! The import's vocabulary: its options, its report (rows, merges, rejections, zone sources),
//! the errors that refuse a whole file, and the audit entry written with its last batch.

use std::path::PathBuf;

use serde::Serialize;

use super::zone;
use crate::model::Actor;
use crate::numbering::ZoneTable;
use crate::store::{NewAudit, StoreError};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// ISO country for numbers written without `+` (e.g. `RU`).
    pub default_country: String,
    /// Report only; write nothing.
    pub dry_run: bool,
    /// Header columns to rename (file column, name), over the campaign's `[import] map`
    /// (`--map "Сумма долга=BALANCE,Телефон=PHONE"`).
    pub map: Vec<(String, String)>,
    /// Prefix -> zone tables for contacts without a TIMEZONE value: the built-in one, plus the
    /// operator's (`zone_table` in outcall.toml, `import --zones FILE`), whose rows win.
    pub zones: ZoneTable,
}

impl ImportOptions {
    /// Options for `default_country`, writing, with the built-in zone table.
    pub fn new(default_country: &str) -> ImportOptions {
        ImportOptions {
            default_country: default_country.to_string(),
            dry_run: false,
            map: Vec::new(),
            zones: ZoneTable::builtin(),
        }
    }
}

/// One rejected row: the 1-based physical line where it starts, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

/// One row merged into another with its phone (the same person): its line, and the line of
/// the row it went into, or none for a contact the campaign already had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merge {
    pub line: u64,
    pub into_line: Option<u64>,
}

/// The outcome. Serialized (for `--json`) it is exactly
/// `{"rows": N, "accepted": N, "duplicates": N, "rejected": [{"line": L, "reason": "..."}],
/// "merged": [{"line": L, "into_line": M}], "zones": {"column": N, "user_table": N,
/// "builtin": N, "country": N, "campaign": N}}`; `rows = accepted + duplicates +
/// rejected.len()`, `merged` lists every duplicate, and `zones` counts the accepted contacts
/// by where their zone came from (they add up to `accepted`). Rows with a phone already taken by another person are
/// rejected naming both (see [`crate::model::NewContact::conflict_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Non-empty data rows.
    pub rows: u64,
    /// New contacts (written, or that would be with `--dry-run`).
    pub accepted: u64,
    /// Rows merged into an earlier row of the file or a contact the campaign already had.
    pub duplicates: u64,
    pub rejected: Vec<Rejection>,
    /// Every duplicate, by line.
    pub merged: Vec<Merge>,
    /// Accepted contacts by the source of their zone.
    pub zones: zone::ZoneCounts,
    /// Kept rows from which something was dropped (a do-not-call or invalid extra phone).
    #[serde(skip)]
    pub warnings: Vec<Rejection>,
}

/// A file that cannot be imported at all; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}; nothing was imported")]
    BadFile { path: PathBuf, message: String },
    /// The stream broke after some batches were committed (they stay: a re-import skips them).
    #[error("{path}: {message}; the contacts committed before this point stay, and importing the file again adds only the rest")]
    Interrupted { path: PathBuf, message: String },
    #[error("default country: {0}")]
    Country(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Called with (bytes read, file size) after each batch.
pub type Progress = Box<dyn Fn(u64, u64) + Send + Sync>;

/// Who imports into what: the audit entry (`contacts.import`, with the report's counts) is
/// written in the import's last transaction, so it stands exactly when the contacts do.
pub struct ImportAudit<'a> {
    pub actor: &'a Actor,
    /// The audited object, e.g. `campaign:debtors`.
    pub object: String,
}

impl ImportAudit<'_> {
    pub(super) fn entry(&self, report: &ImportReport) -> NewAudit<'_> {
        audit_entry(&self.actor.name, self.actor.role, &self.object, report)
    }

    /// The same, owning its strings (for a change run by the store's writer task).
    pub(super) fn owned(&self) -> OwnedAudit {
        OwnedAudit {
            actor: self.actor.name.clone(),
            role: self.actor.role,
            object: self.object.clone(),
        }
    }
}

/// An [`ImportAudit`] that owns its strings.
pub(super) struct OwnedAudit {
    actor: String,
    role: crate::model::Role,
    object: String,
}

impl OwnedAudit {
    pub(super) fn entry(&self, report: &ImportReport) -> NewAudit<'_> {
        audit_entry(&self.actor, self.role, &self.object, report)
    }
}

/// The `contacts.import` entry of an import with this report.
fn audit_entry<'a>(
    actor: &'a str,
    role: crate::model::Role,
    object: &'a str,
    report: &ImportReport,
) -> NewAudit<'a> {
    NewAudit {
        actor,
        role,
        action: "contacts.import",
        object,
        before: None,
        after: Some(serde_json::json!({
            "rows": report.rows,
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "rejected": report.rejected.len(),
        })),
    }
}
