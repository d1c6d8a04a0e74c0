//! CSV import: a file of contacts into a campaign, every row accounted for.
//!
//! Two passes. The first ([`sniff::inspect`]) checks the whole file's structure (binary data,
//! unterminated quotes, oversized fields) and guesses BOM and delimiter; a broken file is refused
//! before anything is written. The second streams records in batches: a blocking thread decodes
//! (UTF-8, else Windows-1251), maps columns, normalises phones in parallel, drops do-not-call
//! numbers, checks the script's variables and merges duplicates inside the file; the async side
//! writes batches (multi-row INSERTs) into a write transaction it commits about once a second
//! ([`COMMIT_EVERY`]) and at the end, merging rows whose first phone the campaign already has.
//! Memory stays bounded by the batch size plus 20 bytes per distinct contact of the file (the
//! duplicate set, [`seen`]).

pub mod phone;
pub mod rows;
pub mod sniff;

mod crlf;
mod memory;
mod parse;
mod records;
mod report;
mod row;
mod seen;
pub mod zone;

pub use memory::{import_bytes, SMALL_IMPORT_BYTES};
pub use records::{import_records, import_records_unread, Records};
use report::OwnedAudit;
pub use report::{
    ImportAudit, ImportError, ImportOptions, ImportReport, Merge, Progress, Rejection,
};

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::campaign::record::CampaignRecord;
use crate::model::NewContact;
use crate::store::{ContactWriter, RowFate, Store};

/// Rows per batch (one transaction each).
pub const BATCH_ROWS: usize = 2048;

/// Imports `path` into `campaign` (see the module docs). `now` stamps the rows; new contacts are
/// due at the campaign's start or `now`, whichever is later.
pub async fn import_file(
    store: &Store,
    campaign: &CampaignRecord,
    path: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<ImportReport, ImportError> {
    import_file_audited(store, campaign, path, options, now, progress, None).await
}

/// [`import_file`], recording `audit` in the import's last transaction (not on a dry run).
pub async fn import_file_audited(
    store: &Store,
    campaign: &CampaignRecord,
    path: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: Option<Progress>,
    audit: Option<&ImportAudit<'_>>,
) -> Result<ImportReport, ImportError> {
    let normalizer =
        phone::PhoneNormalizer::new(&options.default_country).map_err(ImportError::Country)?;
    let shape = inspect_file(path).await?;
    let dnc = store
        .dnc_list()
        .await?
        .into_iter()
        .map(|e| phone::key(&e.phone))
        .collect();
    let setup = parse::Setup {
        path: path.to_path_buf(),
        shape,
        normalizer,
        dnc,
        required_vars: campaign.definition.script_vars.clone(),
        filtered_vars: campaign.definition.filtered_vars.clone(),
        map: rows::column_map(campaign, &options.map),
        zones: options.zones.clone(),
        now,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let parser = tokio::task::spawn_blocking(move || parse::run(setup, tx));
    let mut report = ImportReport::default();
    let mut outcome: Result<(), ImportError> = Ok(());
    let mut target = Target::new(store, campaign, options, now);
    loop {
        // An open transaction is committed on time even while the parser is slow to send more,
        // so the write lock is never held much longer than COMMIT_EVERY.
        let deadline = target.began.map(|began| began + COMMIT_EVERY);
        let msg = match deadline {
            Some(at) => {
                match tokio::time::timeout_at(tokio::time::Instant::from_std(at), rx.recv()).await {
                    Ok(msg) => msg,
                    Err(_) => {
                        if let Err(e) = target.commit().await {
                            outcome = Err(e);
                            break;
                        }
                        continue;
                    }
                }
            }
            None => rx.recv().await,
        };
        let Some(msg) = msg else { break };
        let batch = match msg {
            Ok(b) => b,
            Err(message) => {
                outcome = Err(target.broken(path, message));
                break;
            }
        };
        let bytes = batch.bytes;
        if let Err(e) = write_batch(&mut target, batch, &mut report).await {
            outcome = Err(e);
            break;
        }
        if let Some(p) = &progress {
            p(bytes, shape.size);
        }
    }
    drop(rx);
    // A parser that died (a bug) ended the stream early: the open transaction is rolled back
    // rather than committed as if the file were complete.
    if parser.await.is_err() && outcome.is_ok() {
        outcome = Err(target.broken(path, "the import stopped on an internal error".into()));
    }
    if outcome.is_ok() {
        outcome = target.finish(audit, &report).await;
    }
    outcome?;
    report.rejected.sort_by_key(|r| r.line);
    report.warnings.sort_by_key(|r| r.line);
    report.merged.sort_by_key(|m| m.line);
    Ok(report)
}

async fn inspect_file(path: &Path) -> Result<sniff::Shape, ImportError> {
    let p = path.to_path_buf();
    let result = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&p)?;
        sniff::inspect(std::io::BufReader::new(file))
    })
    .await
    .map_err(|e| ImportError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?
    .map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    result.map_err(|broken| refused(path, broken))
}

/// The import's message for a file [`sniff::inspect`] found broken.
fn refused(path: &Path, broken: sniff::Broken) -> ImportError {
    ImportError::BadFile {
        path: path.to_path_buf(),
        message: match broken {
            sniff::Broken::Binary { line } => format!(
                "line {line} holds binary data: this is not a CSV text file (export the list as CSV, UTF-8 or Windows-1251)"
            ),
            sniff::Broken::UnterminatedQuote { line } => format!(
                "the quoted field that starts on line {line} is never closed (a `\"` is missing)"
            ),
            sniff::Broken::FieldTooLong { line } => format!(
                "a field on line {line} is longer than {} KiB: this is not a contacts list",
                sniff::MAX_FIELD / 1024
            ),
            sniff::Broken::Empty => "the file is empty".to_string(),
        },
    }
}

/// How long one write transaction of an import may stay open. Longer transactions write each
/// page of the phone index to the WAL fewer times (at a million contacts most of its leaves
/// change in every batch); shorter ones let the engine's writers in sooner.
pub const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Where batches go.
struct Target<'a> {
    store: &'a Store,
    campaign_id: i64,
    zone: &'a str,
    dry_run: bool,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    /// The import's writer, kept from its first batch to the end (one connection, whose page
    /// cache stays warm across commits: [`ContactWriter::commit_and_keep`]).
    writer: Option<ContactWriter>,
    /// When the rows not yet committed began to be written (none: nothing uncommitted).
    began: Option<std::time::Instant>,
    /// Whether a transaction of this import has been committed.
    committed: bool,
}

impl<'a> Target<'a> {
    /// Nothing open yet; new contacts due at the campaign's start or `now`, whichever is later.
    fn new(
        store: &'a Store,
        campaign: &'a CampaignRecord,
        options: &ImportOptions,
        now: DateTime<Utc>,
    ) -> Target<'a> {
        let start = campaign.definition.schedule.start;
        Target {
            store,
            campaign_id: campaign.id,
            zone: campaign.definition.timezone.name(),
            dry_run: options.dry_run,
            due: start.map_or(now, |s| s.max(now)),
            now,
            writer: None,
            began: None,
            committed: false,
        }
    }

    /// Commits the rows written so far, if any, keeping the writer for the next batches.
    async fn commit(&mut self) -> Result<(), ImportError> {
        if let (Some(writer), Some(_)) = (self.writer.as_mut(), self.began) {
            writer.commit_and_keep().await?;
            self.began = None;
            self.committed = true;
        }
        Ok(())
    }

    /// The import's writer, opened on first use.
    async fn writer(&mut self) -> Result<&mut ContactWriter, ImportError> {
        if self.writer.is_none() {
            let (id, zone) = (self.campaign_id, self.zone);
            let w = self
                .store
                .contact_writer(id, zone, self.due, self.now)
                .await?;
            self.writer = Some(w);
        }
        Ok(self.writer.as_mut().expect("opened above"))
    }

    /// Records the audit entry (when given, not on a dry run) and commits.
    async fn finish(
        &mut self,
        audit: Option<&ImportAudit<'_>>,
        report: &ImportReport,
    ) -> Result<(), ImportError> {
        if let (Some(audit), false) = (audit, self.dry_run) {
            self.writer().await?.audit(&audit.entry(report)).await?;
        }
        if let Some(writer) = self.writer.take() {
            writer.commit().await?;
            self.began = None;
            self.committed = true;
        }
        Ok(())
    }

    /// The error for a stream that broke: nothing written yet, or some batches committed.
    fn broken(&self, path: &Path, message: String) -> ImportError {
        let path = path.to_path_buf();
        if self.committed {
            ImportError::Interrupted { path, message }
        } else {
            ImportError::BadFile { path, message }
        }
    }
}

async fn write_batch(
    t: &mut Target<'_>,
    batch: parse::Batch,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let fates: Vec<RowFate> = if t.dry_run {
        // A row whose phone an earlier batch of this file had was checked against that row
        // already (its fingerprint); the campaign's own contacts are checked by name.
        let fresh: Vec<String> = batch
            .contacts
            .iter()
            .zip(&batch.earlier)
            .filter(|(_, earlier)| earlier.is_none())
            .map(|(c, _)| c.phones[0].clone())
            .collect();
        let known = t.store.existing_names(t.campaign_id, &fresh).await?;
        let fate = |(c, earlier): (&NewContact, &Option<u64>)| match known.get(&c.phones[0]) {
            _ if earlier.is_some() => RowFate::Merged,
            None => RowFate::New,
            Some(name) => {
                let old = NewContact {
                    name: name.clone(),
                    ..NewContact::default()
                };
                match old.conflict_with(c, false) {
                    Some(why) => RowFate::Conflict {
                        name: name.clone(),
                        why,
                    },
                    None => RowFate::Merged,
                }
            }
        };
        batch
            .contacts
            .iter()
            .zip(&batch.earlier)
            .map(fate)
            .collect()
    } else {
        let began = *t.began.get_or_insert_with(std::time::Instant::now);
        let writer = t.writer().await?;
        let fates = writer.add_checked(&batch.contacts, &batch.check()).await?;
        if began.elapsed() >= COMMIT_EVERY {
            t.commit().await?;
        }
        fates
    };
    account(batch, fates, report);
    Ok(())
}

/// Counts a written (or, on a dry run, checked) batch into the report, given what became of
/// each of its contacts.
fn account(batch: parse::Batch, fates: Vec<RowFate>, report: &mut ImportReport) {
    report.rows += batch.rows;
    report.duplicates += batch.merged_in_batch;
    report.rejected.extend(batch.rejected);
    report.warnings.extend(batch.warnings);
    report
        .merged
        .extend(batch.merges.iter().map(|(line, first)| Merge {
            line: *line,
            into_line: Some(*first),
        }));
    for (i, fate) in fates.into_iter().enumerate() {
        let (line, earlier) = (batch.lines[i], batch.earlier[i]);
        match fate {
            RowFate::New => {
                report.accepted += 1;
                report.zones.add(batch.zone_from[i]);
            }
            RowFate::Merged => {
                report.duplicates += 1;
                let into_line = earlier;
                report.merged.push(Merge { line, into_line });
            }
            RowFate::Conflict { name, why } => {
                let reason = match earlier {
                    Some(first) => parse::not_merged(first, &why),
                    None => format!(
                        "the campaign already has {} for {name}, and this row is {why}: rows of different people are not merged (one would be told the other's data)",
                        batch.contacts[i].phones[0]
                    ),
                };
                report.rejected.push(Rejection { line, reason });
            }
        }
    }
}
