//! One CSV record to a contact or a rejection: fields decoded, phones normalised, do-not-call
//! numbers dropped, the script's variables checked, the time zone resolved. Pure and per row,
//! so it runs on the import's worker threads.

use std::collections::BTreeMap;

use super::parse::Setup;
use super::phone;
use super::rows::{parse_vars, split_phones, Columns};
use super::sniff::Encoding;
use super::zone::{self, ZoneFrom};
use super::Rejection;
use crate::campaign::text::clean;
use crate::model::NewContact;
use crate::script::template::apply_filter;

/// The longest value a CSV field may hold. A contact's values are spoken, shown and sent to the
/// switch on every call; a field longer than this is a broken export, and the row is rejected.
pub const MAX_FIELD_BYTES: usize = 4096;

/// What became of one record.
pub(super) enum Out {
    Row {
        line: u64,
        contact: NewContact,
        /// What was dropped from a kept row (an invalid or do-not-call extra phone).
        warning: Option<String>,
        /// Where its zone came from.
        zone_from: ZoneFrom,
    },
    Rejected(Rejection),
}

/// Processes the record that starts on `line`. `enc` is the file's encoding as decided so far
/// (the reader decides it on the first non-ASCII record, before any record after it is here).
pub(super) fn process(
    record: &csv::ByteRecord,
    line: u64,
    cols: &Columns,
    enc: Encoding,
    setup: &Setup,
) -> Out {
    match contact(record, cols, enc, setup) {
        Ok((contact, warning, zone_from)) => Out::Row {
            line,
            contact,
            warning,
            zone_from,
        },
        Err(reason) => Out::Rejected(Rejection { line, reason }),
    }
}

fn contact(
    record: &csv::ByteRecord,
    cols: &Columns,
    mut enc: Encoding,
    setup: &Setup,
) -> Result<(NewContact, Option<String>, ZoneFrom), String> {
    if record.len() > cols.width {
        return Err(format!(
            "{} fields but the header has {} (a delimiter inside an unquoted value?)",
            record.len(),
            cols.width
        ));
    }
    let mut field = |i: usize| -> Result<String, String> {
        let bytes = record.get(i).unwrap_or_default();
        if bytes.len() > MAX_FIELD_BYTES {
            return Err(format!(
                "column {} holds {} bytes (at most {MAX_FIELD_BYTES}: a name or a variable, not a document)",
                i + 1,
                bytes.len()
            ));
        }
        enc.decode(bytes)
            .map(|s| {
                let s = if s.chars().any(char::is_control) {
                    clean(&s).into_owned()
                } else {
                    s
                };
                let t = s.trim();
                if t.len() == s.len() {
                    s
                } else {
                    t.to_string()
                }
            })
            .ok_or_else(|| {
                "not valid UTF-8 text while the rest of the file is (mixed encodings?)".to_string()
            })
    };
    let mut raw_phones: Vec<String> = Vec::new();
    for &i in &cols.phones {
        raw_phones.extend(split_phones(&field(i)?).map(str::to_string));
    }
    let mut vars = BTreeMap::new();
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
        Some(i) => {
            let n = field(i)?;
            if n.contains(|c: char| c.is_whitespace() && c != ' ') || n.contains("  ") {
                n.split_whitespace().collect::<Vec<_>>().join(" ")
            } else {
                n
            }
        }
        None => String::new(),
    };
    let timezone = match cols.timezone {
        Some(i) => Some(field(i)?).filter(|t| !t.is_empty()),
        None => None,
    };
    if raw_phones.is_empty() {
        return Err("no phone number".into());
    }
    let mut phones: Vec<String> = Vec::with_capacity(raw_phones.len());
    let mut dropped: Vec<String> = Vec::new();
    let mut blocked: Vec<String> = Vec::new();
    for raw in &raw_phones {
        match setup.normalizer.normalize(raw) {
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
        return Err(format!(
            "missing variable {var} (used by {place}); the file's columns: {}; name one with --map \"COLUMN={var}\" or the campaign's [import] map",
            cols.found.join(", ")
        ));
    }
    for (var, filter, place) in &setup.filtered_vars {
        if let Some(v) = vars.get(var) {
            if apply_filter(filter, v).is_none() {
                return Err(format!(
                    "{var} `{v}` cannot be read by {filter} (used by {place}): {}",
                    what_filter_reads(filter)
                ));
            }
        }
    }
    let (timezone, zone_from) =
        zone::resolve(timezone.as_deref(), &phones[0], &setup.zones, setup.now)?;
    let mut notes: Vec<String> = dropped
        .into_iter()
        .map(|e| format!("phone dropped: {e}"))
        .collect();
    if zone_from == ZoneFrom::Campaign {
        if let Some(cc) = setup.normalizer.foreign_country(&phones[0]) {
            notes.push(format!(
                "{} is a number of {cc}, another country than the campaign's: its calling windows follow the campaign's zone (a TIMEZONE column sets its own)",
                phones[0]
            ));
        }
    }
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
        zone_from,
    ))
}

/// What a filter reads, for a rejected row's reason.
fn what_filter_reads(filter: &str) -> &'static str {
    match filter {
        "money_ru" | "money_en" => "an amount such as 1234,56 or -68.27 is expected",
        "number_ru" | "number_en" => "a number such as 12 or 3,5 is expected",
        "date_ru" => "a date such as 2026-12-31 or 31.12.2026 is expected",
        _ => "an unknown filter",
    }
}
