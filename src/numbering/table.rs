//! Parsing of the zone tables: the built-in TSV files and the user's CSV.

use std::collections::HashMap;

use chrono_tz::Tz;

use super::{Entry, PrefixMap, ZoneSource, MAX_PREFIX_LEN};

/// A user zone table that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneTableError {
    /// The text has no header line (it is empty, or only blank or `#` lines).
    #[error("zone table has no header line; expected `prefix,zone`")]
    MissingHeader,
    /// The first line is not `prefix,zone`.
    #[error("zone table line {line}: header must be `prefix,zone`, found `{found}`")]
    BadHeader { line: usize, found: String },
    /// A data row is wrong; `line` is 1-based, counting every line of the text.
    #[error("zone table line {line}: {problem}")]
    BadRow { line: usize, problem: RowProblem },
}

impl ZoneTableError {
    /// The 1-based line the error is on, when it is on one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ZoneTableError::MissingHeader => None,
            ZoneTableError::BadHeader { line, .. } | ZoneTableError::BadRow { line, .. } => {
                Some(*line)
            }
        }
    }
}

/// What is wrong with one row of a user zone table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("prefix `{0}` is not 1 to 15 digits")]
    BadPrefix(String),
    #[error("no zone given")]
    MissingZone,
    #[error("`{0}` is not an IANA time zone name (e.g. Europe/Moscow)")]
    UnknownZone(String),
    #[error("prefix `{prefix}` is already given on line {first_line}")]
    DuplicatePrefix { prefix: String, first_line: usize },
    #[error("{found} fields, expected {expected} as in the header")]
    WrongFieldCount { found: usize, expected: usize },
    #[error("a quoted field is not closed")]
    UnterminatedQuote,
}

/// A malformed line in a built-in file (a bug in the data, caught by tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub(crate) struct BuiltinError {
    pub file: &'static str,
    pub line: usize,
    pub reason: String,
}

/// Prefix check shared by both tables: 1 to 15 ASCII digits.
fn valid_prefix(p: &str) -> bool {
    !p.is_empty() && p.len() <= MAX_PREFIX_LEN && p.bytes().all(|b| b.is_ascii_digit())
}

/// One parsed built-in row.
pub(crate) struct BuiltinRow<'a> {
    pub prefix: &'a str,
    pub source: ZoneSource,
    pub zones: Vec<Tz>,
}

/// Parse one built-in line: `prefix<TAB>level<TAB>zone[,zone...]<TAB>comment`.
/// `Ok(None)` for blank and `#` lines.
pub(crate) fn parse_builtin_line(line: &str) -> Result<Option<BuiltinRow<'_>>, String> {
    if line.trim().is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split('\t').collect();
    if !(3..=4).contains(&fields.len()) {
        return Err(format!(
            "{} tab-separated fields, expected prefix, level, zones, comment",
            fields.len()
        ));
    }
    let prefix = fields[0];
    if !valid_prefix(prefix) {
        return Err(format!("prefix `{prefix}` is not 1 to 15 digits"));
    }
    let source = match fields[1] {
        "country" => ZoneSource::Country,
        "area" => ZoneSource::BuiltIn,
        other => return Err(format!("level `{other}` is neither `country` nor `area`")),
    };
    let mut zones = Vec::new();
    for name in fields[2].split(',') {
        let tz: Tz = name
            .parse()
            .map_err(|_| format!("`{name}` is not a zone chrono-tz knows"))?;
        if zones.contains(&tz) {
            return Err(format!("zone `{name}` is listed twice"));
        }
        zones.push(tz);
    }
    Ok(Some(BuiltinRow {
        prefix,
        source,
        zones,
    }))
}

/// Parse the built-in files into one map; a prefix may appear only once
/// across all of them.
pub(crate) fn parse_builtin(files: &[(&'static str, &str)]) -> Result<PrefixMap, BuiltinError> {
    let mut map = PrefixMap::new();
    let mut seen: HashMap<String, (&'static str, usize)> = HashMap::new();
    for &(file, text) in files {
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |reason: String| BuiltinError { file, line, reason };
            let Some(row) = parse_builtin_line(raw).map_err(err)? else {
                continue;
            };
            if let Some((f, l)) = seen.get(row.prefix) {
                return Err(err(format!(
                    "prefix {} already given at {f}:{l}",
                    row.prefix
                )));
            }
            seen.insert(row.prefix.to_string(), (file, line));
            let entry = Entry {
                zones: row.zones,
                source: row.source,
            };
            map.insert(row.prefix.to_string(), entry);
        }
    }
    Ok(map)
}

/// Split one CSV line into fields: commas separate, a field may be wrapped
/// in double quotes (`""` inside is one quote). Fields are trimmed.
fn split_csv(line: &str) -> Result<Vec<String>, RowProblem> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', false) if cur.trim().is_empty() => {
                cur.clear();
                in_quotes = true;
            }
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => in_quotes = false,
            (',', false) => fields.push(std::mem::take(&mut cur).trim().to_string()),
            (c, _) => cur.push(c),
        }
    }
    if in_quotes {
        return Err(RowProblem::UnterminatedQuote);
    }
    fields.push(cur.trim().to_string());
    Ok(fields)
}

/// Parse the user CSV into (prefix, zone) rows, in file order.
pub(crate) fn parse_user_csv(text: &str) -> Result<Vec<(String, Tz)>, ZoneTableError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));

    let (hline, header) = lines.next().ok_or(ZoneTableError::MissingHeader)?;
    let bad_header = || ZoneTableError::BadHeader {
        line: hline,
        found: header.trim().to_string(),
    };
    let names = split_csv(header).map_err(|_| bad_header())?;
    let names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    if names != ["prefix", "zone"] {
        return Err(bad_header());
    }

    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, raw) in lines {
        let bad = |problem| ZoneTableError::BadRow { line, problem };
        let fields = split_csv(raw).map_err(bad)?;
        if fields.len() != 2 {
            return Err(bad(RowProblem::WrongFieldCount {
                found: fields.len(),
                expected: 2,
            }));
        }
        let prefix = fields[0].strip_prefix('+').unwrap_or(&fields[0]);
        if !valid_prefix(prefix) {
            return Err(bad(RowProblem::BadPrefix(fields[0].clone())));
        }
        let zone_name = fields[1].as_str();
        if zone_name.is_empty() {
            return Err(bad(RowProblem::MissingZone));
        }
        let zone: Tz = zone_name
            .parse()
            .map_err(|_| bad(RowProblem::UnknownZone(zone_name.to_string())))?;
        if let Some(&first_line) = seen.get(prefix) {
            return Err(bad(RowProblem::DuplicatePrefix {
                prefix: prefix.to_string(),
                first_line,
            }));
        }
        seen.insert(prefix.to_string(), line);
        rows.push((prefix.to_string(), zone));
    }
    Ok(rows)
}
