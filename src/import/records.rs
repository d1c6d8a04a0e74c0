//! Contacts given as data (the API's JSON) imported without a CSV in between: a header and one
//! record per contact go through the import's own column rules ([`Columns::from_header`], the
//! column map), row rules ([`row::process`]) and duplicate merging ([`parse::build_batch`]), so a
//! contact is accepted, merged or rejected exactly as the same row of a file would be. The
//! report's line N is the contact at index N - 2 (the header is line 1), whatever the values
//! hold, and every contact is accounted for: one with nothing in it is rejected ("no phone
//! number"), where a blank CSV line would be skipped.
//!
//! Writing the contacts as a CSV and reading them back cost a POSTed contact a third of its CPU
//! (building the CSV reader's state machine alone, about 20 µs), and line numbers then counted the
//! lines of values that held a line break.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::memory::{import_parsed, in_line_order, setup, write_new_direct};
use super::parse::{build_batch, Batch, Setup};
use super::row;
use super::rows::{apply_map, Columns};
use super::seen::Seen;
use super::sniff::{Encoding, Shape};
use super::{phone, ImportAudit, ImportError, ImportOptions, ImportReport, Target, BATCH_ROWS};
use crate::campaign::record::CampaignRecord;
use crate::store::Store;

/// Contacts as the import's records: a header (`phone`, `phone2`, …, `name`, a variable) and
/// one record per contact, its fields in the header's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Imports `records` into `campaign` in one change with its audit entry (`dry_run`: writes
/// nothing); messages name the input `shown`.
pub async fn import_records(
    store: &Store,
    campaign: &CampaignRecord,
    records: &Records,
    shown: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    audit: Option<&ImportAudit<'_>>,
) -> Result<ImportReport, ImportError> {
    let (setup, rows, size) = prepared(campaign, records, shown, options, now)?;
    let parse = |s: &Setup| parse_records(s, &records.header, &rows, size);
    import_parsed(store, campaign, setup, parse, options, audit).await
}

/// [`import_records`] into `campaign` as [`Store::campaign_as_last_read`] gave it (`text`: its
/// definition as stored then), without reading the campaign or the do-not-call list first: the
/// change checks both in its own transaction, and writes only when the campaign is unchanged and
/// not cancelled, no phone is on the list and every contact is new to the campaign. `None`, with
/// nothing written, when that was not so (then [`import_records`] after a fresh read of the
/// campaign gives the answer), on a dry run, and on a store without a direct path.
///
/// This is a POSTed contact's usual way. The two reads it saves were most of its latency beside
/// the write: the first read after another connection's commit fetches every page again (about
/// 50 µs here), where the writer's own connection, which made that commit, has them cached.
#[allow(clippy::too_many_arguments)]
pub async fn import_records_unread(
    store: &Store,
    campaign: &CampaignRecord,
    text: String,
    records: &Records,
    shown: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    audit: Option<&ImportAudit<'_>>,
) -> Result<Option<ImportReport>, ImportError> {
    if options.dry_run || store.direct.is_none() {
        return Ok(None);
    }
    // Input this way cannot take is refused by the way after a read, which names what is
    // wrong in the same order as for any other request (an unknown campaign first).
    let Ok((setup, rows, size)) = prepared(campaign, records, shown, options, now) else {
        return Ok(None);
    };
    let Ok(batches) = parse_records(&setup, &records.header, &rows, size) else {
        return Ok(None);
    };
    let to = Target::new(store, campaign, options, now);
    let adder = store.contact_adder(campaign.id, to.zone, to.due, now);
    let (id, audit) = (campaign.id, audit.map(|a| a.owned()));
    let written = store
        .write_direct(now, move |change| {
            let mut phones = batches
                .iter()
                .flat_map(|b| b.contacts.iter())
                .flat_map(|c| c.phones.iter().map(String::as_str));
            if !change.campaign_unchanged(id, &text)? || !change.none_listed(&mut phones)? {
                return Ok(None);
            }
            write_new_direct(change, adder, batches, audit, ImportReport::default())
        })
        .await?;
    Ok(written.map(|(report, adder)| {
        adder.committed();
        in_line_order(report)
    }))
}

/// The parser's setup for `records`, the records as the row rules read them, and their size.
fn prepared(
    campaign: &CampaignRecord,
    records: &Records,
    shown: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<(Setup, Vec<csv::ByteRecord>, u64), ImportError> {
    let normalizer =
        phone::PhoneNormalizer::new(&options.default_country).map_err(ImportError::Country)?;
    let size = records.rows.iter().flatten().map(|f| f.len() as u64).sum();
    let shape = Shape {
        bom: 0,
        delimiter: b',',
        size,
    };
    let setup = setup(shown, shape, normalizer, campaign, options, now);
    let rows = records
        .rows
        .iter()
        .map(|r| csv::ByteRecord::from(r.clone()))
        .collect();
    Ok((setup, rows, size))
}

/// The batches of these records, as `parse::parse_all` gives them for a file.
fn parse_records(
    setup: &Setup,
    header: &[String],
    rows: &[csv::ByteRecord],
    size: u64,
) -> Result<Vec<Batch>, String> {
    let mut header = header.to_vec();
    apply_map(&mut header, &setup.map)?;
    let cols = Columns::from_header(&header)?;
    // The fields came from JSON strings: UTF-8.
    let mut outs: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, record)| row::process(record, i as u64 + 2, &cols, Encoding::Utf8, setup))
        .collect();
    let mut seen = Seen::default();
    seen.reserve(outs.len());
    let mut batches = Vec::new();
    while !outs.is_empty() {
        let rest = outs.split_off(outs.len().min(BATCH_ROWS));
        batches.push(build_batch(outs, &mut seen, size));
        outs = rest;
    }
    Ok(batches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::definition::CampaignDef;

    const DEMO: &str = include_str!("../../campaigns/demo.toml");

    fn setup_for(def: &CampaignDef) -> Setup {
        let campaign = CampaignRecord {
            id: 1,
            name: def.name.clone(),
            status: crate::model::CampaignStatus::Draft,
            status_reason: None,
            definition: std::sync::Arc::new(def.clone()),
            technical_streak: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let options = ImportOptions::new("RU");
        let n = phone::PhoneNormalizer::new("RU").unwrap();
        let shape = Shape {
            bom: 0,
            delimiter: b',',
            size: 0,
        };
        setup(
            Path::new("the contacts"),
            shape,
            n,
            &campaign,
            &options,
            Utc::now(),
        )
    }

    fn records(header: &[&str], rows: &[&[&str]]) -> (Vec<String>, Vec<csv::ByteRecord>) {
        (
            header.iter().map(|h| h.to_string()).collect(),
            rows.iter()
                .map(|r| csv::ByteRecord::from(r.to_vec()))
                .collect(),
        )
    }

    #[test]
    fn lines_count_contacts_whatever_their_values_hold() {
        let def = CampaignDef::from_toml_str(DEMO, "demo.toml").unwrap();
        let s = setup_for(&def);
        let (h, rows) = records(
            &["phone", "name", "BALANCE"],
            &[
                &["89161001001", "Иванов\nИван", "10"],
                &["", "", ""],
                &["not a phone", "Петров", "10"],
                &["89161001001", "Иванов Иван", "10"],
            ],
        );
        let batches = parse_records(&s, &h, &rows, 0).unwrap();
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.rows, 4, "every contact is a row");
        assert_eq!(b.lines, vec![2]);
        assert_eq!(b.contacts[0].name, "Иванов Иван", "the line break cleaned");
        assert_eq!(
            b.merges,
            vec![(5, 2)],
            "the fourth contact merged into the first"
        );
        let rejected: Vec<(u64, &str)> = b
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(rejected[0], (3, "no phone number"), "{rejected:?}");
        assert_eq!(rejected[1].0, 4, "{rejected:?}");
        assert!(rejected[1].1.contains("not a phone"), "{rejected:?}");
    }

    #[test]
    fn the_column_map_and_its_errors_apply_as_to_a_file() {
        let def = CampaignDef::from_toml_str(DEMO, "demo.toml").unwrap();
        let mut s = setup_for(&def);
        s.map = vec![("tel".into(), "PHONE".into())];
        let (h, rows) = records(&["tel", "BALANCE"], &[&["89161001001", "10"]]);
        let b = parse_records(&s, &h, &rows, 0).unwrap();
        assert_eq!(b[0].contacts[0].phones, vec!["+79161001001".to_string()]);
        let (h, rows) = records(&["name"], &[&["x"]]);
        let Err(e) = parse_records(&setup_for(&def), &h, &rows, 0) else {
            panic!("a header without a phone column")
        };
        assert!(e.contains("no phone column"), "{e}");
    }
}
