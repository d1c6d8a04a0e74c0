//! From CSV records to contacts: which column is what (header names, case-insensitive), vars from
//! `USER_VARS` (`KEY=VALUE` pairs separated by `;` or `,`) and from every other column.

use std::collections::BTreeMap;

const PHONE_NAMES: &[&str] = &[
    "phone",
    "phones",
    "phone_number",
    "phone_numbers",
    "phonenumber",
    "number",
    "numbers",
    "tel",
    "telephone",
    "mobile",
    "msisdn",
    "телефон",
    "телефоны",
    "номер",
    "номер_телефона",
    "мобильный",
];
const NAME_NAMES: &[&str] = &[
    "name",
    "full_name",
    "fullname",
    "fio",
    "client",
    "фио",
    "имя",
    "клиент",
    "абонент",
];
const VARS_NAMES: &[&str] = &["user_vars", "vars", "variables", "переменные"];
const TZ_NAMES: &[&str] = &["timezone", "tz", "time_zone", "часовой_пояс"];

/// What each column of the file means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub phones: Vec<usize>,
    pub name: Option<usize>,
    pub vars: Option<usize>,
    pub timezone: Option<usize>,
    /// Every other column: (index, var name upper-cased).
    pub extra: Vec<(usize, String)>,
    pub width: usize,
    /// The header as found (after the column mapping), for messages.
    pub found: Vec<String>,
}

fn canon(header: &str) -> String {
    header
        .trim()
        .trim_matches('"')
        .to_lowercase()
        .replace([' ', '-'], "_")
}

/// `phone2`, `phone_2`, `телефон2` count as phone columns too.
fn is_phone(c: &str) -> bool {
    let base = c
        .trim_end_matches(|ch: char| ch.is_ascii_digit())
        .trim_end_matches('_');
    PHONE_NAMES.contains(&base)
}

impl Columns {
    /// Maps a header row; an error names what was found when no phone column is there.
    pub fn from_header(header: &[String]) -> Result<Columns, String> {
        let mut cols = Columns {
            phones: Vec::new(),
            name: None,
            vars: None,
            timezone: None,
            extra: Vec::new(),
            width: header.len(),
            found: header.iter().map(|h| h.trim().to_string()).collect(),
        };
        for (i, h) in header.iter().enumerate() {
            let c = canon(h);
            if is_phone(&c) {
                cols.phones.push(i);
            } else if NAME_NAMES.contains(&c.as_str()) && cols.name.is_none() {
                cols.name = Some(i);
            } else if VARS_NAMES.contains(&c.as_str()) && cols.vars.is_none() {
                cols.vars = Some(i);
            } else if TZ_NAMES.contains(&c.as_str()) && cols.timezone.is_none() {
                cols.timezone = Some(i);
            } else if !c.is_empty() {
                cols.extra.push((i, h.trim().to_uppercase()));
            }
        }
        if cols.phones.is_empty() {
            let found: Vec<&str> = header.iter().map(|h| h.trim()).collect();
            return Err(format!(
                "the header has no phone column (found: {}); name one column PHONE, PHONE_NUMBER or ТЕЛЕФОН (any case)",
                if found.is_empty() { "nothing".to_string() } else { found.join(", ") }
            ));
        }
        Ok(cols)
    }
}

/// A column mapping as written on the command line: `FILE COLUMN=NAME` pairs separated by `,`
/// (`Сумма долга=BALANCE,Телефон=PHONE`). Names are what the import knows (`PHONE`, `NAME`,
/// `TIMEZONE`, a script variable).
pub fn parse_map(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((from, to)) = pair.split_once('=') else {
            return Err(format!(
                "column mapping `{pair}`: write FILE COLUMN=NAME, e.g. \"Сумма долга=BALANCE\""
            ));
        };
        out.push((from.trim().to_string(), to.trim().to_string()));
    }
    check_map(&out)?;
    Ok(out)
}

/// Every pair names a column and a name of letters, digits and `_`.
pub fn check_map(map: &[(String, String)]) -> Result<(), String> {
    map.iter()
        .try_for_each(|(from, to)| crate::campaign::definition::ImportSpec::check_pair(from, to))
}

/// Renames the header's columns by `map` (file column, case and surrounding spaces aside ->
/// name). A mapped column the header lacks is an error listing the columns found.
pub fn apply_map(header: &mut [String], map: &[(String, String)]) -> Result<(), String> {
    for (from, to) in map {
        let key = from.trim().to_lowercase();
        match header.iter_mut().find(|h| h.trim().to_lowercase() == key) {
            Some(h) => *h = to.clone(),
            None => {
                let found: Vec<&str> = header.iter().map(|h| h.trim()).collect();
                return Err(format!(
                    "the column mapping names `{from}`, which the header does not have (found: {})",
                    found.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// The column mapping of an import: the campaign's `[import] map`, then `extra` (the command
/// line's or the request's), which wins for a column both name.
pub(crate) fn column_map(
    campaign: &crate::campaign::record::CampaignRecord,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let mut out: Vec<(String, String)> = campaign
        .definition
        .import
        .map
        .iter()
        .filter(|(from, _)| !extra.iter().any(|(f, _)| same(f, from)))
        .map(|(a, b)| (a.clone(), b.clone()))
        .collect();
    out.extend(extra.iter().cloned());
    out
}

/// `KEY=VALUE` pairs separated by `;` or `,`; a piece without `=` belongs to the previous value
/// (`BALANCE=-68,27` stays one value). Keys are upper-cased.
pub fn parse_vars(text: &str, into: &mut BTreeMap<String, String>) -> Result<(), String> {
    let mut current: Option<(String, String)> = None;
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut pieces: Vec<(&str, Option<char>)> = Vec::new();
    for &(i, c) in &bytes {
        if c == ';' || c == ',' {
            pieces.push((&text[start..i], Some(c)));
            start = i + c.len_utf8();
        }
    }
    pieces.push((&text[start..], None));
    let mut prev_sep: Option<char> = None;
    for (piece, sep) in pieces {
        match piece.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                if let Some((k, v)) = current.take() {
                    into.insert(k, v);
                }
                current = Some((k.trim().to_uppercase(), v.trim().to_string()));
            }
            _ => match current.as_mut() {
                Some((_, v)) => {
                    v.push(prev_sep.unwrap_or(','));
                    v.push_str(piece.trim_end());
                }
                None if piece.trim().is_empty() => {}
                None => {
                    return Err(format!(
                        "vars `{text}`: `{}` is not KEY=VALUE",
                        piece.trim()
                    ))
                }
            },
        }
        prev_sep = sep;
    }
    if let Some((k, v)) = current {
        into.insert(k, v);
    }
    Ok(())
}

/// Splits a phones cell: `17605632123;79508881234`, commas too.
pub fn split_phones(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &[&str]) -> Result<Columns, String> {
        Columns::from_header(&cols.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn seed_layout_and_others() {
        let c = header(&["NAME", "PHONE_NUMBER", "USER_VARS"]).unwrap();
        assert_eq!(
            (c.phones.clone(), c.name, c.vars),
            (vec![1], Some(0), Some(2))
        );
        let c = header(&["Телефон", "ФИО", "Сумма", "TZ", "phone 2"]).unwrap();
        assert_eq!(c.phones, vec![0, 4]);
        assert_eq!(c.timezone, Some(3));
        assert_eq!(c.extra, vec![(2, "СУММА".to_string())]);
        let e = header(&["name", "balance"]).unwrap_err();
        assert!(
            e.contains("no phone column") && e.contains("name, balance"),
            "{e}"
        );
    }

    #[test]
    fn a_column_mapping_renames_the_header() {
        let map = parse_map("Сумма долга=BALANCE, Телефон=PHONE").unwrap();
        assert_eq!(map[0], ("Сумма долга".to_string(), "BALANCE".to_string()));
        let mut h: Vec<String> = ["ФИО", " сумма ДОЛГА ", "Телефон"]
            .map(String::from)
            .to_vec();
        apply_map(&mut h, &map).unwrap();
        assert_eq!(h, ["ФИО", "BALANCE", "PHONE"]);
        let cols = Columns::from_header(&h).unwrap();
        assert_eq!(cols.extra, vec![(1, "BALANCE".to_string())]);
        let e = apply_map(&mut ["A".to_string()], &map).unwrap_err();
        assert!(e.contains("`Сумма долга`") && e.contains("found: A"), "{e}");
        assert!(parse_map("BALANCE")
            .unwrap_err()
            .contains("FILE COLUMN=NAME"));
        assert!(parse_map("a=b c").is_err());
    }

    #[test]
    fn vars_pairs() {
        let mut v = BTreeMap::new();
        parse_vars("BALANCE=-68.27", &mut v).unwrap();
        parse_vars("contract=A-1; due = 2026-12-01,BALANCE2=-68,27", &mut v).unwrap();
        assert_eq!(v["BALANCE"], "-68.27");
        assert_eq!(v["CONTRACT"], "A-1");
        assert_eq!(v["DUE"], "2026-12-01");
        assert_eq!(v["BALANCE2"], "-68,27");
        assert!(parse_vars("just text", &mut v).is_err());
        parse_vars("", &mut v).unwrap();
    }

    #[test]
    fn phone_cells() {
        let p: Vec<_> = split_phones("17605632123; 79508881234,").collect();
        assert_eq!(p, ["17605632123", "79508881234"]);
    }
}
