//! Numbering-plan time zones: which IANA zone(s) a phone number is in, told from its prefix by a built-in table (`builtin.tsv`, `ru_def.tsv`) and an optional user override table.
//!
//! The module is pure: no I/O, no clock. A caller turns an E.164 number
//! (digits, no `+`) into a [`ZoneMatch`] with [`ZoneTable::lookup`] and adds
//! its own sources (a zone column in the contact list, a campaign default)
//! around it.
//!
//! Rules:
//! - the longest matching prefix wins;
//! - any user-table entry beats the built-in table, whatever the lengths
//!   (a user row `7,Europe/Moscow` overrides the built-in `7383`);
//! - a built-in row marked `country` reports [`ZoneSource::Country`], a finer
//!   one (area code, ABC/DEF code or range) [`ZoneSource::BuiltIn`];
//! - a prefix that spans several zones gives them all; a dialer should call
//!   only while its window is open in every one of them.
//!
//! Where the data comes from, and what is coarse in it: `docs/zones.md`.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono_tz::Tz;

mod table;
#[cfg(test)]
mod tests;

pub use table::{RowProblem, ZoneTableError};

/// The built-in table, hand-written part: countries, NANP area codes,
/// Russian ABC codes, Kazakh area codes.
const BUILTIN_TSV: &str = include_str!("builtin.tsv");
/// The built-in table, Russian mobile (DEF 9xx) ranges, derived from the
/// Russian numbering registry (see `docs/zones.md`).
const RU_DEF_TSV: &str = include_str!("ru_def.tsv");

/// Longest prefix looked at: an E.164 number has at most 15 digits.
pub const MAX_PREFIX_LEN: usize = 15;

/// Where a [`ZoneMatch`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneSource {
    /// The operator's own prefix table ([`ZoneTable::with_user_csv`]).
    UserTable,
    /// A built-in row finer than a country: an area code, an ABC/DEF code,
    /// a mobile range.
    BuiltIn,
    /// A built-in row for a whole calling code (or a NANP country's area
    /// code, e.g. 1876 Jamaica): all zones of that country.
    Country,
}

/// The zones a number is in, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneMatch {
    /// One zone, or several when the prefix spans several zones.
    /// Never empty.
    pub zones: Vec<Tz>,
    /// Which table and which kind of row matched.
    pub source: ZoneSource,
    /// The prefix that matched (E.164 digits, country code included).
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    zones: Vec<Tz>,
    source: ZoneSource,
}

/// Prefix -> zones, as parsed from the built-in files.
type PrefixMap = HashMap<String, Entry>;

/// Prefix tables: the built-in one, and the user's overrides.
#[derive(Clone)]
pub struct ZoneTable {
    builtin: &'static PrefixMap,
    user: PrefixMap,
}

impl std::fmt::Debug for ZoneTable {
    // The built-in table has some 12,000 rows: show sizes, not contents.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneTable")
            .field("builtin_prefixes", &self.builtin.len())
            .field("user_prefixes", &self.user.len())
            .finish()
    }
}

impl Default for ZoneTable {
    /// The built-in table alone, as [`ZoneTable::builtin`].
    fn default() -> Self {
        ZoneTable::builtin()
    }
}

fn builtin_map() -> &'static PrefixMap {
    static MAP: OnceLock<PrefixMap> = OnceLock::new();
    MAP.get_or_init(|| {
        // The built-in files are checked line by line by the unit tests
        // (`builtin_files_parse`); a failure here is a build that skipped them.
        table::parse_builtin(&[("builtin.tsv", BUILTIN_TSV), ("ru_def.tsv", RU_DEF_TSV)])
            .unwrap_or_else(|e| panic!("built-in zone table is malformed: {e}"))
    })
}

impl ZoneTable {
    /// The built-in table alone. Parsed once per process, then shared.
    pub fn builtin() -> ZoneTable {
        ZoneTable {
            builtin: builtin_map(),
            user: PrefixMap::new(),
        }
    }

    /// The built-in table plus the user's overrides, from CSV text: a header
    /// line `prefix,zone`, then one row per prefix, e.g. `7383,Asia/Novosibirsk`.
    /// Blank lines and lines starting with `#` are skipped; a prefix may
    /// start with `+`. A bad row is an error naming its line (1-based).
    pub fn with_user_csv(text: &str) -> Result<ZoneTable, ZoneTableError> {
        let rows = table::parse_user_csv(text)?;
        let user = rows
            .into_iter()
            .map(|(prefix, zone)| {
                let entry = Entry {
                    zones: vec![zone],
                    source: ZoneSource::UserTable,
                };
                (prefix, entry)
            })
            .collect();
        Ok(ZoneTable {
            builtin: builtin_map(),
            user,
        })
    }

    /// Number of user-table prefixes.
    pub fn user_len(&self) -> usize {
        self.user.len()
    }

    /// Number of built-in prefixes.
    pub fn builtin_len(&self) -> usize {
        self.builtin.len()
    }

    /// The zones of a number given as E.164 digits without `+`
    /// (`"79161234567"`, `"12125551234"`; a leading `+` is tolerated).
    /// `None` when the input is not all digits, or no prefix matches.
    pub fn lookup(&self, e164_digits: &str) -> Option<ZoneMatch> {
        let digits = e164_digits.strip_prefix('+').unwrap_or(e164_digits);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        longest(&self.user, digits).or_else(|| longest(self.builtin, digits))
    }

    /// The zones of the built-in country row a number falls under (its calling code, or a
    /// NANP country's area code), whatever finer rows say; `None` when no country row matches.
    pub fn country_zones(&self, e164_digits: &str) -> Option<Vec<Tz>> {
        let digits = e164_digits.strip_prefix('+').unwrap_or(e164_digits);
        let top = digits.len().min(MAX_PREFIX_LEN);
        (1..=top).rev().find_map(|n| {
            let e = self.builtin.get(digits.get(..n)?)?;
            (e.source == ZoneSource::Country).then(|| e.zones.clone())
        })
    }
}

/// The longest prefix of `digits` present in `map`.
fn longest(map: &PrefixMap, digits: &str) -> Option<ZoneMatch> {
    let top = digits.len().min(MAX_PREFIX_LEN);
    (1..=top).rev().find_map(|n| {
        let prefix = &digits[..n];
        map.get(prefix).map(|e| ZoneMatch {
            zones: e.zones.clone(),
            source: e.source,
            prefix: prefix.to_string(),
        })
    })
}
