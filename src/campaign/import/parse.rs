//! The blocking half of an import: CSV records to batches of contacts and rejections.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Read};
use std::path::PathBuf;

use tokio::sync::mpsc::Sender;

use super::crlf::CrlfToLf;
use super::phone::{self, PhoneNormalizer};
use super::rows::{parse_vars, split_phones, Columns};
use super::sniff::{Encoding, Shape};
use super::{Rejection, BATCH_ROWS};
use crate::campaign::schedule::parse_tz;
use crate::store::NewContact;

/// What the parser needs to know.
pub(super) struct Setup {
    pub path: PathBuf,
    pub shape: Shape,
    pub normalizer: PhoneNormalizer,
    /// Do-not-call numbers as keys.
    pub dnc: HashSet<u64, phone::KeyBuild>,
    /// Variables every contact must have, with the place that uses each.
    pub required_vars: BTreeMap<String, String>,
}

/// One batch, ready to write. `contacts` have distinct first phones.
pub(super) struct Batch {
    pub contacts: Vec<NewContact>,
    /// Per contact: its first phone belongs to a row of an earlier batch of this file.
    pub dup_in_file: Vec<bool>,
    /// Non-empty rows this batch covers.
    pub rows: u64,
    /// Rows merged into another row of this batch.
    pub merged_in_batch: u64,
    pub rejected: Vec<Rejection>,
    pub warnings: Vec<Rejection>,
    /// Bytes of the file read so far.
    pub bytes: u64,
}

/// A row before its phones are normalised.
enum Raw {
    Row {
        line: u64,
        name: String,
        phones: Vec<String>,
        vars: BTreeMap<String, String>,
        timezone: Option<String>,
    },
    Rejected(Rejection),
}

/// Parses the whole file, sending batches; a fatal problem is sent as `Err(message)`.
pub(super) fn run(setup: Setup, tx: Sender<Result<Batch, String>>) {
    if let Err(message) = parse_all(&setup, &tx) {
        let _ = tx.blocking_send(Err(message));
    }
}

fn parse_all(setup: &Setup, tx: &Sender<Result<Batch, String>>) -> Result<(), String> {
    let file = std::fs::File::open(&setup.path).map_err(|e| format!("cannot read: {e}"))?;
    let mut input = BufReader::with_capacity(256 * 1024, file);
    let mut bom = [0u8; 3];
    input
        .read_exact(&mut bom[..setup.shape.bom])
        .map_err(|e| format!("cannot read: {e}"))?;
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(setup.shape.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(CrlfToLf::new(input));
    let mut enc = Encoding::default();
    let mut record = csv::ByteRecord::new();
    let cols = loop {
        if !read(&mut csv, &mut record)? {
            return Err("the file has no header row".into());
        }
        if !is_blank(&record) {
            let header: Vec<String> = record
                .iter()
                .map(|f| {
                    enc.decode(f)
                        .unwrap_or_else(|| String::from_utf8_lossy(f).into_owned())
                })
                .collect();
            break Columns::from_header(&header)?;
        }
    };
    let mut seen: HashSet<u64, phone::KeyBuild> = HashSet::default();
    let mut pending: Vec<Raw> = Vec::with_capacity(BATCH_ROWS);
    loop {
        let more = read(&mut csv, &mut record)?;
        if more && !is_blank(&record) {
            // The reader stands on the line after this record's terminator (every record has
            // one, see CrlfToLf); the record started as many lines earlier as it spans.
            let spans = record
                .iter()
                .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
                .sum::<u64>();
            let line = csv.position().line().saturating_sub(1 + spans).max(1);
            pending.push(raw_row(&record, line, &cols, &mut enc));
        }
        if pending.len() >= BATCH_ROWS || (!more && !pending.is_empty()) {
            let bytes = csv.get_ref().consumed + setup.shape.bom as u64;
            let batch = build_batch(std::mem::take(&mut pending), setup, &mut seen, bytes);
            if tx.blocking_send(Ok(batch)).is_err() {
                return Ok(());
            }
        }
        if !more {
            return Ok(());
        }
    }
}

fn read<R: Read>(csv: &mut csv::Reader<R>, record: &mut csv::ByteRecord) -> Result<bool, String> {
    csv.read_byte_record(record).map_err(|e| {
        let line = e.position().map_or(0, |p| p.line());
        format!("line {line}: {e}")
    })
}

fn is_blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
}

fn raw_row(record: &csv::ByteRecord, line: u64, cols: &Columns, enc: &mut Encoding) -> Raw {
    let reject = |reason: String| Raw::Rejected(Rejection { line, reason });
    if record.len() > cols.width {
        return reject(format!(
            "{} fields but the header has {} (a delimiter inside an unquoted value?)",
            record.len(),
            cols.width
        ));
    }
    let mut field = |i: usize| -> Result<String, String> {
        let bytes = record.get(i).unwrap_or_default();
        enc.decode(bytes)
            .map(|s| s.trim().to_string())
            .ok_or_else(|| {
                "not valid UTF-8 text while the rest of the file is (mixed encodings?)".to_string()
            })
    };
    let mut phones = Vec::new();
    let mut vars = BTreeMap::new();
    let mut parts = || -> Result<(String, Option<String>), String> {
        for &i in &cols.phones {
            phones.extend(split_phones(&field(i)?).map(str::to_string));
        }
        for (i, key) in &cols.extra {
            let v = field(*i)?;
            if !v.is_empty() {
                vars.insert(key.clone(), v);
            }
        }
        if let Some(i) = cols.vars {
            parse_vars(&field(i)?, &mut vars)?;
        }
        let name = match cols.name {
            Some(i) => field(i)?.split_whitespace().collect::<Vec<_>>().join(" "),
            None => String::new(),
        };
        let timezone = match cols.timezone {
            Some(i) => Some(field(i)?).filter(|t| !t.is_empty()),
            None => None,
        };
        Ok((name, timezone))
    };
    match parts() {
        Ok((name, timezone)) => Raw::Row {
            line,
            name,
            phones,
            vars,
            timezone,
        },
        Err(reason) => reject(reason),
    }
}

/// Normalises `items` on every core.
fn normalize_all(normalizer: PhoneNormalizer, items: &[&str]) -> Vec<Result<String, String>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads == 1 || items.len() < 256 {
        return items.iter().map(|p| normalizer.normalize(p)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|p| normalizer.normalize(p))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("phone normalisation does not panic"))
            .collect()
    })
}

fn build_batch(
    raws: Vec<Raw>,
    setup: &Setup,
    seen: &mut HashSet<u64, phone::KeyBuild>,
    bytes: u64,
) -> Batch {
    let mut batch = Batch {
        contacts: Vec::with_capacity(raws.len()),
        dup_in_file: Vec::with_capacity(raws.len()),
        rows: raws.len() as u64,
        merged_in_batch: 0,
        rejected: Vec::new(),
        warnings: Vec::new(),
        bytes,
    };
    let flat: Vec<&str> = raws
        .iter()
        .flat_map(|r| match r {
            Raw::Row { phones, .. } => phones.iter().map(String::as_str).collect(),
            Raw::Rejected(_) => Vec::new(),
        })
        .collect();
    let mut results = normalize_all(setup.normalizer, &flat).into_iter();
    let mut index: HashMap<u64, usize, phone::KeyBuild> = HashMap::default();
    for raw in raws {
        let (line, name, phones, vars, timezone) = match raw {
            Raw::Rejected(r) => {
                batch.rejected.push(r);
                continue;
            }
            Raw::Row {
                line,
                name,
                phones,
                vars,
                timezone,
            } => (line, name, phones, vars, timezone),
        };
        let normalized: Vec<_> = phones
            .iter()
            .map(|_| results.next().expect("one result per phone"))
            .collect();
        let contact = match finish_row(setup, &phones, normalized, name, vars, timezone) {
            Ok((c, warning)) => {
                if let Some(reason) = warning {
                    batch.warnings.push(Rejection { line, reason });
                }
                c
            }
            Err(reason) => {
                batch.rejected.push(Rejection { line, reason });
                continue;
            }
        };
        let key = phone::key(&contact.phones[0]);
        if let Some(&at) = index.get(&key) {
            batch.contacts[at].merge(&contact);
            batch.merged_in_batch += 1;
            continue;
        }
        index.insert(key, batch.contacts.len());
        batch.dup_in_file.push(!seen.insert(key));
        batch.contacts.push(contact);
    }
    batch
}

/// Checks one row with its normalised phones: a contact (and a note of what was dropped), or why not.
fn finish_row(
    setup: &Setup,
    raw: &[String],
    normalized: Vec<Result<String, String>>,
    name: String,
    vars: BTreeMap<String, String>,
    timezone: Option<String>,
) -> Result<(NewContact, Option<String>), String> {
    if raw.is_empty() {
        return Err("no phone number".into());
    }
    let mut phones: Vec<String> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    let mut blocked: Vec<String> = Vec::new();
    for n in normalized {
        match n {
            Ok(p) if setup.dnc.contains(&phone::key(&p)) => blocked.push(p),
            Ok(p) if !phones.contains(&p) => phones.push(p),
            Ok(_) => {}
            Err(e) => dropped.push(e),
        }
    }
    if phones.is_empty() {
        return Err(match (blocked.is_empty(), dropped.first()) {
            (false, _) => format!(
                "every phone is on the do-not-call list ({})",
                blocked.join(", ")
            ),
            (true, Some(e)) => format!("no valid phone number: {e}"),
            (true, None) => "no phone number".into(),
        });
    }
    if let Some((var, place)) = setup
        .required_vars
        .iter()
        .find(|(k, _)| !vars.contains_key(*k))
    {
        return Err(format!("missing variable {var} (used by {place})"));
    }
    let timezone = match timezone {
        Some(t) => Some(
            parse_tz(&t)
                .map_err(|e| format!("time zone: {e}"))?
                .name()
                .to_string(),
        ),
        None => phone::single_zone(&phones[0]).map(str::to_string),
    };
    let mut notes: Vec<String> = dropped
        .into_iter()
        .map(|e| format!("phone dropped: {e}"))
        .collect();
    notes.extend(
        blocked
            .into_iter()
            .map(|p| format!("phone {p} dropped: on the do-not-call list")),
    );
    let warning = (!notes.is_empty()).then(|| notes.join("; "));
    Ok((
        NewContact {
            name,
            phones,
            vars,
            timezone,
        },
        warning,
    ))
}
