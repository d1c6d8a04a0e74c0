//! A contact's time zone at import, and where it came from: the file's TIMEZONE column, else
//! the user's prefix table, else the built-in numbering-plan table (`crate::numbering`), else
//! the country's zone when it has only one, else the campaign's. Pure, per row.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::campaign::schedule::parse_tz;
use crate::campaign::zone_set;
use crate::numbering::{ZoneSource, ZoneTable};

/// Which source gave a contact its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneFrom {
    /// The file's TIMEZONE column.
    Column,
    /// The operator's prefix table (`zone_table` in outcall.toml, `import --zones FILE`).
    UserTable,
    /// A built-in row finer than a country: an area code, an ABC/DEF code or range.
    BuiltIn,
    /// The number's country, which has a single zone.
    Country,
    /// Nothing narrower was known: the campaign's zone.
    Campaign,
}

/// How many new contacts got their zone from each source (the import report's `zones`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ZoneCounts {
    pub column: u64,
    pub user_table: u64,
    pub builtin: u64,
    pub country: u64,
    pub campaign: u64,
}

impl ZoneCounts {
    /// Counts one contact.
    pub fn add(&mut self, from: ZoneFrom) {
        let n = match from {
            ZoneFrom::Column => &mut self.column,
            ZoneFrom::UserTable => &mut self.user_table,
            ZoneFrom::BuiltIn => &mut self.builtin,
            ZoneFrom::Country => &mut self.country,
            ZoneFrom::Campaign => &mut self.campaign,
        };
        *n += 1;
    }
}

/// The zone key of a contact whose column holds `column` (empty: none) and whose first phone
/// is `phone` (E.164 with `+`), and its source; `None` means the campaign's zone. A built-in
/// row that names several zones gives them all (callable only while every one is open), unless
/// it is as wide as the whole country and its zones keep different clocks at `now` (Russia's
/// `7` and its nation-wide ranges, the US and Canada's `1`: the number tells nothing, and the
/// windows of zones 11 hours apart never overlap). A country whose zones all keep one clock
/// (Kazakhstan since 2024) gives them all. An unknown zone name in the column is an error.
pub fn resolve(
    column: Option<&str>,
    phone: &str,
    table: &ZoneTable,
    now: DateTime<Utc>,
) -> Result<(Option<String>, ZoneFrom), String> {
    if let Some(name) = column.filter(|c| !c.trim().is_empty()) {
        let tz = parse_tz(name).map_err(|e| format!("time zone: {e}"))?;
        return Ok((Some(tz.name().to_string()), ZoneFrom::Column));
    }
    let Some(m) = table.lookup(phone) else {
        return Ok((None, ZoneFrom::Campaign));
    };
    let from = match m.source {
        ZoneSource::UserTable => ZoneFrom::UserTable,
        ZoneSource::Country => ZoneFrom::Country,
        ZoneSource::BuiltIn => ZoneFrom::BuiltIn,
    };
    let country_wide = match m.source {
        ZoneSource::Country => true,
        _ => table
            .country_zones(phone)
            .is_some_and(|c| c.iter().all(|z| m.zones.contains(z))),
    };
    if m.zones.len() > 1 && country_wide && !one_clock(&m.zones, now) {
        return Ok((None, ZoneFrom::Campaign));
    }
    Ok((Some(zone_set::key(&m.zones)), from))
}

/// Do all `zones` show the same UTC offset at `now`?
fn one_clock(zones: &[Tz], now: DateTime<Utc>) -> bool {
    let offset = |tz: &Tz| tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    zones.windows(2).all(|w| offset(&w[0]) == offset(&w[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap()
    }

    #[test]
    fn sources_in_order() {
        let user = ZoneTable::with_user_csv("prefix,zone\n7916555,Asia/Omsk\n").unwrap();
        let builtin = ZoneTable::builtin();
        /// Table, column value, phone, the zone key wanted (None: the campaign's), its source.
        type Case<'a> = (
            &'a ZoneTable,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            ZoneFrom,
        );
        let cases: &[Case] = &[
            // The column wins over everything, the user table over the built-in one.
            (&user, Some("Asia/Tokyo"), "+79165551234", Some("Asia/Tokyo"), ZoneFrom::Column),
            (&user, Some(" "), "+79165551234", Some("Asia/Omsk"), ZoneFrom::UserTable),
            (&user, None, "+79165551234", Some("Asia/Omsk"), ZoneFrom::UserTable),
            // Moscow mobile, Novosibirsk and Vladivostok landlines, New York, Almaty.
            (&builtin, None, "+79161234567", Some("Europe/Moscow"), ZoneFrom::BuiltIn),
            (&builtin, None, "+73832123456", Some("Asia/Novosibirsk"), ZoneFrom::BuiltIn),
            (&builtin, None, "+74232123456", Some("Asia/Vladivostok"), ZoneFrom::BuiltIn),
            (&builtin, None, "+12125551234", Some("America/New_York"), ZoneFrom::BuiltIn),
            (&builtin, None, "+77272123456", Some("Asia/Almaty"), ZoneFrom::BuiltIn),
            // A prefix that spans zones gives them all: Sakha outside Yakutsk city.
            (
                &builtin,
                None,
                "+74114123456",
                Some("Asia/Khandyga,Asia/Srednekolymsk,Asia/Ust-Nera,Asia/Yakutsk"),
                ZoneFrom::BuiltIn,
            ),
            // Countries with one zone: Belarus, Germany.
            (&builtin, None, "+375291234567", Some("Europe/Minsk"), ZoneFrom::Country),
            (&builtin, None, "+4930123456", Some("Europe/Berlin"), ZoneFrom::Country),
            // Kazakh mobiles: seven zones, one clock (UTC+5 since 2024-03-01).
            (
                &builtin,
                None,
                "+77011234567",
                Some("Asia/Almaty,Asia/Aqtau,Asia/Aqtobe,Asia/Atyrau,Asia/Oral,Asia/Qostanay,Asia/Qyzylorda"),
                ZoneFrom::Country,
            ),
            // Several clocks and nothing finer known: the campaign's (Baikonur 733x falls to +7).
            (&builtin, None, "+73362123456", None, ZoneFrom::Campaign),
            (&builtin, None, "+5511912345678", None, ZoneFrom::Campaign),
            // No row at all (non-geographic +800).
            (&builtin, None, "+80012345678", None, ZoneFrom::Campaign),
        ];
        for (table, column, phone, zone, from) in cases {
            let got = resolve(*column, phone, table, now()).unwrap();
            assert_eq!(got, (zone.map(str::to_string), *from), "{phone} {column:?}");
        }
    }

    #[test]
    fn a_nation_wide_range_is_the_campaigns() {
        // DEF 954 (satellite operators) is registered for all of Russia: every Russian zone,
        // no better than the country.
        let table = ZoneTable::builtin();
        let m = table.lookup("+79541234567").unwrap();
        assert_eq!(m.zones.len(), table.country_zones("+7").unwrap().len());
        assert_eq!(
            resolve(None, "+79541234567", &table, now()).unwrap(),
            (None, ZoneFrom::Campaign)
        );
    }

    #[test]
    fn a_bad_column_names_the_problem() {
        let err = resolve(
            Some("Mars/Base"),
            "+79161234567",
            &ZoneTable::builtin(),
            now(),
        )
        .unwrap_err();
        assert!(err.starts_with("time zone: `Mars/Base`"), "{err}");
    }
}
