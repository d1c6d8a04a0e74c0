//! A small CSV held in memory imported in one pass on the calling task: the same checks, rules
//! and report as a file import, with no temporary file, parser threads or whole do-not-call
//! list, and one change ([`Store::write`], shared with concurrent requests on SQLite) that also
//! holds the audit entry. Its second half (the do-not-call lookup of the input's phones and the
//! one change) also imports contacts given as data (`records`, the API's JSON).

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{
    account, parse, phone, refused, sniff, write_batch, ImportAudit, ImportError, ImportOptions,
    ImportReport, OwnedAudit, Target,
};
use crate::campaign::record::CampaignRecord;
use crate::store::{Change, ContactAdder, DirectChange, RowFate, Store};

/// Inputs up to this size may be imported from memory ([`import_bytes`]); bigger ones go
/// through a file and [`super::import_file`], whose memory stays bounded whatever the size.
pub const SMALL_IMPORT_BYTES: usize = 256 * 1024;

/// Imports `bytes` (a CSV, BOM and all, at most [`SMALL_IMPORT_BYTES`]) into `campaign`;
/// messages name it `shown`. Do-not-call numbers are looked up for the file's phones only.
pub async fn import_bytes(
    store: &Store,
    campaign: &CampaignRecord,
    bytes: &[u8],
    shown: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    audit: Option<&ImportAudit<'_>>,
) -> Result<ImportReport, ImportError> {
    if bytes.len() > SMALL_IMPORT_BYTES {
        return Err(ImportError::BadFile {
            path: shown.to_path_buf(),
            message: format!(
                "{} bytes is too much to import from memory (at most {SMALL_IMPORT_BYTES}); import it as a file",
                bytes.len()
            ),
        });
    }
    let normalizer =
        phone::PhoneNormalizer::new(&options.default_country).map_err(ImportError::Country)?;
    let shape = sniff::inspect(bytes)
        .map_err(|source| ImportError::Read {
            path: shown.to_path_buf(),
            source,
        })?
        .map_err(|broken| refused(shown, broken))?;
    let setup = setup(shown, shape, normalizer, campaign, options, now);
    import_parsed(
        store,
        campaign,
        setup,
        |s| parse::parse_all(s, bytes),
        options,
        audit,
    )
    .await
}

/// The parser's setup for an input named `shown` of this `shape` into `campaign`, with no
/// do-not-call numbers yet.
pub(super) fn setup(
    shown: &Path,
    shape: sniff::Shape,
    normalizer: phone::PhoneNormalizer,
    campaign: &CampaignRecord,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> parse::Setup {
    parse::Setup {
        path: shown.to_path_buf(),
        shape,
        normalizer,
        dnc: HashSet::default(),
        required_vars: campaign.definition.script_vars.clone(),
        filtered_vars: campaign.definition.filtered_vars.clone(),
        map: super::rows::column_map(campaign, &options.map),
        zones: options.zones.clone(),
        now,
    }
}

/// Parses with `parse` (given the do-not-call numbers among the input's phones in
/// `setup.dnc`) and writes the batches in one change with the audit entry: the second half of
/// [`import_bytes`], shared with [`super::import_records`].
pub(super) async fn import_parsed(
    store: &Store,
    campaign: &CampaignRecord,
    mut setup: parse::Setup,
    parse: impl Fn(&parse::Setup) -> Result<Vec<parse::Batch>, String>,
    options: &ImportOptions,
    audit: Option<&ImportAudit<'_>>,
) -> Result<ImportReport, ImportError> {
    let now = setup.now;
    let bad = |message: String| ImportError::BadFile {
        path: setup.path.clone(),
        message,
    };
    // Parsed first without a do-not-call list; while the phones parsed include listed ones,
    // parse again with them (a dropped phone can change which rows merge), so that what is
    // dropped and reported is exactly what a file import gives.
    let mut listed: HashSet<String> = HashSet::new();
    let batches = loop {
        let batches = parse(&setup).map_err(bad)?;
        let phones: Vec<String> = batches
            .iter()
            .flat_map(|b| b.contacts.iter())
            .flat_map(|c| c.phones.iter().cloned())
            .collect();
        let found = store.dnc_among(&phones).await?;
        if found.is_subset(&listed) {
            break batches;
        }
        listed.extend(found);
        setup.dnc = listed.iter().map(|p| phone::key(p)).collect();
    };
    let mut report = ImportReport::default();
    if options.dry_run {
        let mut target = Target::new(store, campaign, options, now);
        for batch in batches {
            write_batch(&mut target, batch, &mut report).await?;
        }
    } else {
        let to = Target::new(store, campaign, options, now);
        let adder = store.contact_adder(campaign.id, to.zone, to.due, now);
        // All new contacts (what a site backend posts) go the direct way; a row the campaign
        // has already, which may merge or conflict, sends the whole change through sqlx.
        let direct = {
            let (adder, batches) = (adder.clone(), batches.clone());
            let (audit, report) = (audit.map(|a| a.owned()), report.clone());
            move |change: &mut DirectChange<'_>| {
                write_new_direct(change, adder, batches, audit, report)
            }
        };
        let audit = audit.map(|a| a.owned());
        let written;
        (report, written) = store
            .write_either(now, direct, move |change| {
                Box::pin(write_all(change, adder, batches, audit, report))
            })
            .await?;
        written.committed();
    }
    Ok(in_line_order(report))
}

/// `report` with its lists in the order of the input's lines.
pub(super) fn in_line_order(mut report: ImportReport) -> ImportReport {
    report.rejected.sort_by_key(|r| r.line);
    report.warnings.sort_by_key(|r| r.line);
    report.merged.sort_by_key(|m| m.line);
    report
}

/// [`write_all`] as a direct change, for batches whose contacts are all new to the campaign;
/// `None` (declined, nothing written) when one is not.
pub(super) fn write_new_direct(
    change: &mut DirectChange<'_>,
    mut adder: ContactAdder,
    batches: Vec<parse::Batch>,
    audit: Option<OwnedAudit>,
    mut report: ImportReport,
) -> Result<Option<(ImportReport, ContactAdder)>, ImportError> {
    for batch in batches {
        if !adder.add_new_direct(change, &batch.contacts)? {
            return Ok(None);
        }
        let fates = vec![RowFate::New; batch.contacts.len()];
        account(batch, fates, &mut report);
    }
    let entry = audit.as_ref().map(|a| a.entry(&report));
    adder.finish_direct(change, entry.as_ref())?;
    Ok(Some((report, adder)))
}

/// Writes every batch and the audit entry under one change (the store's group commit); the
/// report, and the adder (to be told when the change has committed).
async fn write_all(
    change: &mut Change,
    mut adder: ContactAdder,
    batches: Vec<parse::Batch>,
    audit: Option<OwnedAudit>,
    mut report: ImportReport,
) -> Result<(ImportReport, ContactAdder), ImportError> {
    for batch in batches {
        let fates = change
            .add_contacts(&mut adder, &batch.contacts, &batch.check())
            .await?;
        account(batch, fates, &mut report);
    }
    match audit {
        Some(a) => {
            change
                .finish_contacts_audited(&adder, &a.entry(&report))
                .await?
        }
        None => change.finish_contacts(&adder).await?,
    }
    Ok((report, adder))
}
