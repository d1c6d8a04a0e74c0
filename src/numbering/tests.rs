//! Tests of the numbering-plan zone tables: the lookup rules, the user CSV,
//! and the built-in data files themselves.

use std::collections::HashMap;

use chrono_tz::Tz;

use super::table::{parse_builtin_line, RowProblem};
use super::*;

fn builtin(number: &str) -> ZoneMatch {
    ZoneTable::builtin()
        .lookup(number)
        .unwrap_or_else(|| panic!("{number} matched nothing"))
}

fn assert_one(number: &str, zone: Tz, source: ZoneSource, prefix: &str) {
    let m = builtin(number);
    assert_eq!(m.zones, vec![zone], "{number} -> {m:?}");
    assert_eq!(m.source, source, "{number} -> {m:?}");
    assert_eq!(m.prefix, prefix, "{number} -> {m:?}");
}

/// `number` matches the finer-than-country row `prefix`, one zone.
fn area(number: &str, prefix: &str, zone: Tz) {
    assert_one(number, zone, ZoneSource::BuiltIn, prefix);
}

/// `number` matches the country row `prefix`, one zone.
fn country(number: &str, prefix: &str, zone: Tz) {
    assert_one(number, zone, ZoneSource::Country, prefix);
}

// ---- Russia ----------------------------------------------------------------

#[test]
fn moscow_abc_codes() {
    area("74951234567", "7495", Tz::Europe__Moscow);
    area("74991234567", "7499", Tz::Europe__Moscow);
}

#[test]
fn siberian_and_far_eastern_abc_codes() {
    area("73832123456", "7383", Tz::Asia__Novosibirsk);
    area("74232123456", "7423", Tz::Asia__Vladivostok);
    area("73852123456", "7385", Tz::Asia__Barnaul);
    area("74152123456", "7415", Tz::Asia__Kamchatka);
}

#[test]
fn kaliningrad_and_volga_zones() {
    area("74012123456", "7401", Tz::Europe__Kaliningrad);
    area("78442123456", "7844", Tz::Europe__Volgograd);
    area("78452123456", "7845", Tz::Europe__Saratov);
    area("78462123456", "7846", Tz::Europe__Samara);
}

#[test]
fn mobile_def_code_in_one_zone() {
    area("79161234567", "7916", Tz::Europe__Moscow);
}

#[test]
fn mobile_range_finer_than_its_def_code() {
    // DEF 912 is Urals (UTC+5) at large; 912 1xx is Komi (Moscow time).
    area("79126001234", "7912", Tz::Asia__Yekaterinburg);
    area("79121551234", "79121", Tz::Europe__Moscow);
}

#[test]
fn mobile_range_spanning_several_zones_lists_them_all() {
    // 914 2xx is allotted to Sakha, which spans UTC+9, +10 and +11.
    let m = builtin("79142301234");
    assert_eq!(m.source, ZoneSource::BuiltIn);
    assert_eq!(m.prefix, "79142");
    assert_eq!(
        m.zones,
        vec![
            Tz::Asia__Yakutsk,
            Tz::Asia__Khandyga,
            Tz::Asia__UstNera,
            Tz::Asia__Srednekolymsk
        ]
    );
    // 954 is allotted to all of Russia (satellite operators).
    let m = builtin("79541234567");
    assert_eq!(m.prefix, "7954");
    assert!(m.zones.contains(&Tz::Europe__Kaliningrad) && m.zones.contains(&Tz::Asia__Anadyr));
}

#[test]
fn longest_prefix_wins() {
    // 7411 is all of Sakha (several zones); 74112 is Yakutsk city.
    area("74112123456", "74112", Tz::Asia__Yakutsk);
    let m = builtin("74115123456");
    assert_eq!(m.prefix, "7411");
    assert_eq!(m.zones.len(), 4);
}

#[test]
fn russian_number_with_no_finer_prefix_falls_back_to_the_country() {
    let m = builtin("78001234567"); // toll-free, not geographic
    assert_eq!(m.source, ZoneSource::Country);
    assert_eq!(m.prefix, "7");
    assert!(m.zones.contains(&Tz::Europe__Moscow) && m.zones.contains(&Tz::Asia__Kamchatka));
}

// ---- Kazakhstan, Belarus, other countries -----------------------------------

#[test]
fn kazakhstan_area_codes_and_mobiles() {
    area("77272123456", "7727", Tz::Asia__Almaty);
    area("77122123456", "7712", Tz::Asia__Atyrau);
    area("77292123456", "7729", Tz::Asia__Aqtau);
    let m = builtin("77012345678");
    assert_eq!(m.source, ZoneSource::Country);
    assert_eq!(m.prefix, "77");
    assert_eq!(m.zones.len(), 7);
    assert_eq!(m.zones[0], Tz::Asia__Almaty);
}

#[test]
fn belarus_is_minsk() {
    country("375291234567", "375", Tz::Europe__Minsk);
}

#[test]
fn single_zone_countries() {
    country("4930123456", "49", Tz::Europe__Berlin);
    country("33142685300", "33", Tz::Europe__Paris);
    country("81312345678", "81", Tz::Asia__Tokyo);
    country("442071234567", "44", Tz::Europe__London);
}

#[test]
fn multi_zone_country_lists_all_its_zones() {
    let m = builtin("34912345678");
    assert_eq!(m.source, ZoneSource::Country);
    assert!(m.zones.contains(&Tz::Europe__Madrid) && m.zones.contains(&Tz::Atlantic__Canary));
}

// ---- NANP -------------------------------------------------------------------

#[test]
fn nanp_area_codes() {
    area("12125551234", "1212", Tz::America__New_York);
    area("12135551234", "1213", Tz::America__Los_Angeles);
    area("13125551234", "1312", Tz::America__Chicago);
    area("14165551234", "1416", Tz::America__Toronto);
    area("18085551234", "1808", Tz::Pacific__Honolulu);
}

#[test]
fn nanp_area_code_spanning_zones_lists_them_all() {
    let m = builtin("18505551234"); // Florida panhandle
    assert_eq!(m.zones, vec![Tz::America__New_York, Tz::America__Chicago]);
}

#[test]
fn nanp_country_is_country_level() {
    country("18765551234", "1876", Tz::America__Jamaica);
    let m = builtin("18005551234"); // toll-free: no area
    assert_eq!((m.source, m.prefix.as_str()), (ZoneSource::Country, "1"));
}

// ---- input ------------------------------------------------------------------

#[test]
fn input_that_is_not_digits_matches_nothing() {
    let t = ZoneTable::builtin();
    assert_eq!(t.lookup(""), None);
    assert_eq!(t.lookup("7495 123"), None);
    assert_eq!(t.lookup("+"), None);
    assert_eq!(t.lookup("0123"), None);
    assert_eq!(t.lookup("+74951234567").unwrap().prefix, "7495");
}

// ---- user table -------------------------------------------------------------

#[test]
fn user_table_beats_builtin_at_any_length() {
    let t = ZoneTable::with_user_csv("prefix,zone\n7,Asia/Tokyo\n74951,Europe/Minsk\n").unwrap();
    assert_eq!(t.user_len(), 2);
    let m = t.lookup("74991234567").unwrap();
    assert_eq!(
        (m.zones, m.source, m.prefix.as_str()),
        (vec![Tz::Asia__Tokyo], ZoneSource::UserTable, "7")
    );
    // the longest user prefix wins among user rows
    let m = t.lookup("74951234567").unwrap();
    assert_eq!(
        (m.zones, m.prefix.as_str()),
        (vec![Tz::Europe__Minsk], "74951")
    );
    // numbers no user row covers still use the built-in table
    let m = t.lookup("12125551234").unwrap();
    assert_eq!((m.source, m.prefix.as_str()), (ZoneSource::BuiltIn, "1212"));
}

#[test]
fn user_csv_tolerates_bom_crlf_quotes_comments_and_plus() {
    let text = "\u{feff}# my overrides\r\nPrefix , Zone\r\n\r\n\"+7383\",\"Asia/Omsk\"\r\n";
    let t = ZoneTable::with_user_csv(text).unwrap();
    let m = t.lookup("73832123456").unwrap();
    assert_eq!((m.zones, m.prefix.as_str()), (vec![Tz::Asia__Omsk], "7383"));
    assert_eq!(
        ZoneTable::with_user_csv("prefix,zone\n")
            .unwrap()
            .user_len(),
        0
    );
}

fn user_err(text: &str) -> ZoneTableError {
    ZoneTable::with_user_csv(text).expect_err("should be rejected")
}

#[test]
fn bad_user_rows_name_their_line() {
    let e = user_err("prefix,zone\n7495,Europe/Moscow\n\n7383,Asia/Novosibirk\n");
    assert_eq!(
        e,
        ZoneTableError::BadRow {
            line: 4,
            problem: RowProblem::UnknownZone("Asia/Novosibirk".into()),
        }
    );
    assert_eq!(e.line(), Some(4));
    assert!(e.to_string().contains("line 4"), "{e}");

    let e = user_err("prefix,zone\n74x5,Europe/Moscow\n");
    assert_eq!(e.line(), Some(2));
    assert!(matches!(
        e,
        ZoneTableError::BadRow {
            problem: RowProblem::BadPrefix(_),
            ..
        }
    ));

    let e = user_err("prefix,zone\n7495,\n");
    assert!(matches!(
        e,
        ZoneTableError::BadRow {
            line: 2,
            problem: RowProblem::MissingZone
        }
    ));

    let e = user_err("prefix,zone\n7495\n");
    assert!(matches!(e, ZoneTableError::BadRow { line: 2, .. }));

    let e = user_err("prefix,zone\n7495,Europe/Moscow,extra\n");
    assert!(matches!(
        e,
        ZoneTableError::BadRow {
            line: 2,
            problem: RowProblem::WrongFieldCount { found: 3, .. }
        }
    ));

    let e = user_err("prefix,zone\n7495,Europe/Moscow\n# note\n7495,Europe/Samara\n");
    assert_eq!(
        e,
        ZoneTableError::BadRow {
            line: 4,
            problem: RowProblem::DuplicatePrefix {
                prefix: "7495".into(),
                first_line: 2
            },
        }
    );

    let e = user_err("prefix,zone\n\"7495,Europe/Moscow\n");
    assert!(matches!(
        e,
        ZoneTableError::BadRow {
            line: 2,
            problem: RowProblem::UnterminatedQuote
        }
    ));

    let e = user_err("prefix,zone\n1234567890123456,Europe/Moscow\n");
    assert!(matches!(
        e,
        ZoneTableError::BadRow {
            problem: RowProblem::BadPrefix(_),
            ..
        }
    ));
}

#[test]
fn bad_user_header_or_none() {
    assert_eq!(user_err(""), ZoneTableError::MissingHeader);
    assert_eq!(
        user_err("# only a comment\n\n"),
        ZoneTableError::MissingHeader
    );
    let e = user_err("\nnumber,tz\n7495,Europe/Moscow\n");
    assert_eq!(
        e,
        ZoneTableError::BadHeader {
            line: 2,
            found: "number,tz".into()
        }
    );
    // a data row where the header should be is a bad header, not a silent skip
    assert!(matches!(
        user_err("7495,Europe/Moscow\n"),
        ZoneTableError::BadHeader { line: 1, .. }
    ));
}

// ---- the built-in files -----------------------------------------------------

const FILES: [(&str, &str); 2] = [("builtin.tsv", BUILTIN_TSV), ("ru_def.tsv", RU_DEF_TSV)];

/// Every line of both files: well formed, every zone known to chrono-tz.
/// Collects all failures, so one run shows every bad line.
#[test]
fn builtin_files_parse() {
    let mut bad = Vec::new();
    let mut rows = 0;
    for (file, text) in FILES {
        for (i, line) in text.lines().enumerate() {
            match parse_builtin_line(line) {
                Ok(Some(_)) => rows += 1,
                Ok(None) => {}
                Err(e) => bad.push(format!("{file}:{}: {e}", i + 1)),
            }
        }
    }
    assert!(
        bad.is_empty(),
        "malformed built-in lines:\n{}",
        bad.join("\n")
    );
    assert_eq!(ZoneTable::builtin().builtin_len(), rows);
}

#[test]
fn builtin_files_have_no_duplicate_prefixes() {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut dups = Vec::new();
    for (file, text) in FILES {
        for (i, line) in text.lines().enumerate() {
            if let Ok(Some(row)) = parse_builtin_line(line) {
                let at = format!("{file}:{}", i + 1);
                if let Some(first) = seen.insert(row.prefix.to_string(), at.clone()) {
                    dups.push(format!("{} at {at} and {first}", row.prefix));
                }
            }
        }
    }
    assert!(dups.is_empty(), "duplicate prefixes:\n{}", dups.join("\n"));
}

#[test]
fn builtin_files_keep_their_sections_apart() {
    // ru_def.tsv holds Russian mobile ranges only, all finer than a country.
    for line in RU_DEF_TSV.lines() {
        if let Ok(Some(row)) = parse_builtin_line(line) {
            assert!(row.prefix.starts_with("79"), "{line}");
            assert_eq!(row.source, ZoneSource::BuiltIn, "{line}");
        }
    }
    // every calling code the table knows has a country row
    let t = ZoneTable::builtin();
    for cc in [
        "1", "7", "20", "27", "30", "55", "86", "91", "212", "380", "998",
    ] {
        let m = t
            .lookup(&format!("{cc}0"))
            .unwrap_or_else(|| panic!("no row for +{cc}"));
        assert_eq!((m.prefix.as_str(), m.source), (cc, ZoneSource::Country));
    }
}
