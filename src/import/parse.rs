//! The blocking half of an import, as a pipeline of threads: a reader splits the file into
//! chunks of CSV records (the CSV grammar is sequential), workers ([`WORKERS`]) turn records
//! into contacts ([`row::process`]), and a sequencer takes the results back in file order,
//! merges duplicates and sends batches to the writer. Chunks circulate through a fixed pool, so
//! however slow the writer, at most [`CHUNKS`] chunks and the channel's batches are in memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::seen::Seen;
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::Sender;

use super::crlf::CrlfToLf;
use super::phone::{self, PhoneNormalizer};
use super::row::{self, Out};
use super::rows::Columns;
use super::sniff::{Encoding, Shape};
use super::zone::ZoneFrom;
use super::{Rejection, BATCH_ROWS};
use crate::model::NewContact;
use crate::numbering::ZoneTable;

/// Worker threads. One: `phonenumber` keeps its compiled regexes in one cache behind a global
/// mutex, and with two workers fighting over it a 1M-row dry run took 9.5 s instead of 6.3 s on
/// the 2-core bench machine. The reader, the sequencer, the writer and SQLite's own thread still
/// run beside the worker.
const WORKERS: usize = 1;

/// Chunks in circulation (each holds up to [`BATCH_ROWS`] records).
const CHUNKS: usize = 4;

/// What the parser needs to know.
pub(super) struct Setup {
    pub path: PathBuf,
    pub shape: Shape,
    pub normalizer: PhoneNormalizer,
    /// Do-not-call numbers as keys.
    pub dnc: HashSet<u64, phone::KeyBuild>,
    /// Variables every contact must have, with the place that uses each.
    pub required_vars: BTreeMap<String, String>,
    /// Variables the script passes through a filter: (variable, filter, place).
    pub filtered_vars: Vec<(String, String, String)>,
    /// Header columns renamed before they are read: (file column, name).
    pub map: Vec<(String, String)>,
    /// Prefix -> zone tables for contacts without a TIMEZONE value.
    pub zones: ZoneTable,
    /// The import's instant (whether a country's zones keep one clock).
    pub now: DateTime<Utc>,
}

/// One batch, ready to write. `contacts` have distinct first phones.
#[derive(Clone)]
pub(super) struct Batch {
    pub contacts: Vec<NewContact>,
    /// Per contact: the line of its row (the first of the rows merged into it).
    pub lines: Vec<u64>,
    /// Per contact: the line of a row of an earlier batch of this file with its first phone.
    pub earlier: Vec<Option<u64>>,
    /// Per contact: where its zone came from.
    pub zone_from: Vec<ZoneFrom>,
    /// Rows merged into an earlier row of this batch: (line, the earlier row's line).
    pub merges: Vec<(u64, u64)>,
    /// Non-empty rows this batch covers.
    pub rows: u64,
    /// Rows merged into another row of this batch.
    pub merged_in_batch: u64,
    pub rejected: Vec<Rejection>,
    pub warnings: Vec<Rejection>,
    /// Bytes of the file read so far.
    pub bytes: u64,
}

impl Batch {
    /// Per contact, whether the campaign's own contact with its phone must be checked for the
    /// same person: rows whose phone an earlier batch had were checked against that row (its
    /// fingerprint) instead.
    pub fn check(&self) -> Vec<bool> {
        self.earlier.iter().map(Option::is_none).collect()
    }
}

/// Records read in file order, with where each starts; `records[..len]` are filled.
struct Chunk {
    seq: u64,
    records: Vec<csv::ByteRecord>,
    lines: Vec<u64>,
    len: usize,
    /// The encoding as decided after the last record of this chunk.
    enc: Encoding,
    /// Bytes of the file consumed after this chunk.
    bytes: u64,
    /// What the workers made of the records.
    out: Vec<Out>,
}

/// Parses the whole file, sending batches; a fatal problem is sent as `Err(message)`.
pub(super) fn run(setup: Setup, tx: Sender<Result<Batch, String>>) {
    let setup = &setup;
    let (free_tx, free_rx) = sync_channel::<Chunk>(CHUNKS);
    for _ in 0..CHUNKS {
        let _ = free_tx.send(Chunk {
            seq: 0,
            records: vec![csv::ByteRecord::new(); BATCH_ROWS],
            lines: vec![0; BATCH_ROWS],
            len: 0,
            enc: Encoding::default(),
            bytes: 0,
            out: Vec::with_capacity(BATCH_ROWS),
        });
    }
    let workers = WORKERS;
    let (work_tx, work_rx) = sync_channel::<(Arc<Columns>, Chunk)>(CHUNKS);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = sync_channel::<Chunk>(CHUNKS);
    let size = setup.shape.size;
    let failure = std::thread::scope(|s| {
        // Workers hold the only handles on the work queue and the done queue, so when one end
        // of the pipeline stops the rest winds down instead of waiting forever.
        for _ in 0..workers {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            s.spawn(move || work(setup, &work_rx, &done_tx));
        }
        drop(work_rx);
        drop(done_tx);
        let sequencer = s.spawn(|| sequence(done_rx, free_tx, &tx, size));
        let failure = read_all(setup, &free_rx, work_tx).err();
        let _ = sequencer.join();
        failure
    });
    if let Some(message) = failure {
        let _ = tx.blocking_send(Err(message));
    }
}

/// Reads records into free chunks and hands them to the workers. Ends with the file, at a
/// fatal error, or when the pipeline behind it has stopped.
fn read_all(
    setup: &Setup,
    free: &Receiver<Chunk>,
    work: SyncSender<(Arc<Columns>, Chunk)>,
) -> Result<(), String> {
    let file = std::fs::File::open(&setup.path).map_err(|e| format!("cannot read: {e}"))?;
    let mut input = BufReader::with_capacity(256 * 1024, file);
    let mut bom = [0u8; 3];
    input
        .read_exact(&mut bom[..setup.shape.bom])
        .map_err(|e| format!("cannot read: {e}"))?;
    let mut csv = reader(CrlfToLf::new(input), setup.shape.delimiter);
    let mut enc = Encoding::default();
    let cols = Arc::new(header(&mut csv, &mut enc, &setup.map)?);
    for seq in 0.. {
        let Ok(mut chunk) = free.recv() else {
            return Ok(());
        };
        chunk.seq = seq;
        chunk.len = 0;
        let mut more = true;
        while chunk.len < BATCH_ROWS {
            let at = chunk.len;
            match next(&mut csv, &mut chunk.records[at], &mut enc)? {
                Some(line) => chunk.lines[at] = line,
                None => {
                    more = false;
                    break;
                }
            }
            chunk.len += 1;
        }
        chunk.enc = enc;
        chunk.bytes = csv.get_ref().consumed + setup.shape.bom as u64;
        if chunk.len > 0 && work.send((Arc::clone(&cols), chunk)).is_err() {
            return Ok(());
        }
        if !more {
            return Ok(());
        }
    }
    Ok(())
}

/// Parses a small CSV held in memory (BOM included, as in a file) on this thread: the same
/// records, lines, rows and batches as [`run`] gives for the file.
pub(super) fn parse_all(setup: &Setup, bytes: &[u8]) -> Result<Vec<Batch>, String> {
    let body = bytes.get(setup.shape.bom..).unwrap_or_default();
    let input = CrlfToLf::with_capacity(body, body.len().min(64 * 1024));
    let mut csv = reader(input, setup.shape.delimiter);
    let mut enc = Encoding::default();
    let cols = header(&mut csv, &mut enc, &setup.map)?;
    let mut outs = Vec::new();
    let mut record = csv::ByteRecord::new();
    while let Some(line) = next(&mut csv, &mut record, &mut enc)? {
        outs.push(row::process(&record, line, &cols, enc, setup));
    }
    let mut seen = Seen::default();
    seen.reserve(outs.len());
    let mut batches = Vec::new();
    while !outs.is_empty() {
        let rest = outs.split_off(outs.len().min(BATCH_ROWS));
        batches.push(build_batch(outs, &mut seen, bytes.len() as u64));
        outs = rest;
    }
    Ok(batches)
}

fn reader<R: Read>(input: CrlfToLf<R>, delimiter: u8) -> csv::Reader<CrlfToLf<R>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(input)
}

/// The header: the first non-blank record.
fn header<R: Read>(
    csv: &mut csv::Reader<R>,
    enc: &mut Encoding,
    map: &[(String, String)],
) -> Result<Columns, String> {
    let mut record = csv::ByteRecord::new();
    loop {
        if !read(csv, &mut record)? {
            return Err("the file has no header row".into());
        }
        if !is_blank(&record) {
            let mut header: Vec<String> = record
                .iter()
                .map(|f| {
                    enc.decode(f)
                        .unwrap_or_else(|| String::from_utf8_lossy(f).into_owned())
                })
                .collect();
            super::rows::apply_map(&mut header, map)?;
            return Columns::from_header(&header);
        }
    }
}

/// The next non-blank record into `record`, and the line it starts on; none at the end.
fn next<R: Read>(
    csv: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    enc: &mut Encoding,
) -> Result<Option<u64>, String> {
    loop {
        if !read(csv, record)? {
            return Ok(None);
        }
        if is_blank(record) {
            continue;
        }
        decide(enc, record);
        // The reader stands on the line after this record's terminator (every record has one,
        // see CrlfToLf); the record started as many lines earlier as it spans.
        let spans = record
            .iter()
            .map(|f| memchr::memchr_iter(b'\n', f).count() as u64)
            .sum::<u64>();
        return Ok(Some(csv.position().line().saturating_sub(1 + spans).max(1)));
    }
}

/// Settles the file's encoding on its first non-ASCII field, as [`Encoding::decode`] would.
fn decide(enc: &mut Encoding, record: &csv::ByteRecord) {
    if *enc == Encoding::Undecided && !record.as_slice().is_ascii() {
        if let Some(field) = record.iter().find(|f| !f.is_ascii()) {
            let _ = enc.decode(field);
        }
    }
}

/// A worker: records to [`Out`]s, chunk after chunk.
fn work(setup: &Setup, work: &Mutex<Receiver<(Arc<Columns>, Chunk)>>, done: &SyncSender<Chunk>) {
    loop {
        let next = work.lock().map(|rx| rx.recv());
        let Ok(Ok((cols, mut chunk))) = next else {
            return;
        };
        chunk.out.clear();
        for i in 0..chunk.len {
            let out = row::process(&chunk.records[i], chunk.lines[i], &cols, chunk.enc, setup);
            chunk.out.push(out);
        }
        if done.send(chunk).is_err() {
            return;
        }
    }
}

/// Takes worked chunks back in file order, merges duplicates, sends batches, frees the chunks.
/// The duplicate set is sized once for the whole file (`size` bytes) from its first chunk.
fn sequence(
    done: Receiver<Chunk>,
    free: SyncSender<Chunk>,
    tx: &Sender<Result<Batch, String>>,
    size: u64,
) {
    let mut seen = Seen::default();
    let mut waiting: BTreeMap<u64, Chunk> = BTreeMap::new();
    let mut next = 0u64;
    while let Ok(chunk) = done.recv() {
        waiting.insert(chunk.seq, chunk);
        while let Some(mut chunk) = waiting.remove(&next) {
            next += 1;
            if next == 1 {
                seen.reserve(expected_rows(chunk.out.len(), chunk.bytes, size));
            }
            let batch = build_batch(std::mem::take(&mut chunk.out), &mut seen, chunk.bytes);
            chunk.out = Vec::with_capacity(BATCH_ROWS);
            if tx.blocking_send(Ok(batch)).is_err() || free.send(chunk).is_err() {
                return;
            }
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

/// The rows a file of `size` bytes holds, guessed from its first `rows` in `bytes` (a tenth
/// more, for rows shorter than those).
fn expected_rows(rows: usize, bytes: u64, size: u64) -> usize {
    if bytes == 0 {
        return rows;
    }
    let guess = rows as f64 * size as f64 / bytes as f64 * 1.1;
    (guess as usize).max(rows)
}

/// A batch of one chunk's results: rows whose first phone an earlier row of the batch has are
/// merged into it when they are the same person, else rejected naming both lines; `seen`
/// remembers first phones across batches, with the line of their first row.
pub(super) fn build_batch(outs: Vec<Out>, seen: &mut Seen, bytes: u64) -> Batch {
    let mut batch = Batch {
        contacts: Vec::with_capacity(outs.len()),
        lines: Vec::with_capacity(outs.len()),
        earlier: Vec::with_capacity(outs.len()),
        zone_from: Vec::with_capacity(outs.len()),
        merges: Vec::new(),
        rows: outs.len() as u64,
        merged_in_batch: 0,
        rejected: Vec::new(),
        warnings: Vec::new(),
        bytes,
    };
    let mut index: HashMap<u64, usize, phone::KeyBuild> = HashMap::default();
    for out in outs {
        let (line, contact, warning, zone_from) = match out {
            Out::Rejected(r) => {
                batch.rejected.push(r);
                continue;
            }
            Out::Row {
                line,
                contact,
                warning,
                zone_from,
            } => (line, contact, warning, zone_from),
        };
        let key = phone::key(&contact.phones[0]);
        if let Some(&at) = index.get(&key) {
            let first = batch.lines[at];
            if let Some(why) = batch.contacts[at].conflict_with(&contact, true) {
                batch.rejected.push(Rejection {
                    line,
                    reason: not_merged(first, &why),
                });
                continue;
            }
            if batch.contacts[at].timezone.is_none() && contact.timezone.is_some() {
                batch.zone_from[at] = zone_from;
            }
            batch.contacts[at].merge(&contact);
            batch.merged_in_batch += 1;
            batch.merges.push((line, first));
        } else {
            let line32 = u32::try_from(line).unwrap_or(u32::MAX);
            let print = fingerprint(&contact);
            let earlier = match seen.first_or_insert(key, line32, print) {
                Some((first, first_print)) => {
                    if first_print != print {
                        let why = "another name or other values of its variables";
                        batch.rejected.push(Rejection {
                            line,
                            reason: not_merged(u64::from(first), why),
                        });
                        continue;
                    }
                    Some(u64::from(first))
                }
                None => None,
            };
            index.insert(key, batch.contacts.len());
            batch.earlier.push(earlier);
            batch.zone_from.push(zone_from);
            batch.lines.push(line);
            batch.contacts.push(contact);
        }
        if let Some(reason) = warning {
            batch.warnings.push(Rejection { line, reason });
        }
    }
    batch
}

/// Who a row names: its [`NewContact::name_key`] and variables. Two rows of one
/// file (the same columns) with one phone and different fingerprints are different people.
fn fingerprint(c: &NewContact) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    c.name_key().hash(&mut h);
    c.vars.hash(&mut h);
    h.finish() as u32
}

/// The rejection of a row with the phone of `first` (a line of the file) but another person.
pub(super) fn not_merged(first: u64, why: &str) -> String {
    format!("the phone of line {first} but {why}: rows of different people are not merged (one would be told the other's data)")
}
