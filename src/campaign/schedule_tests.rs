//! Unit tests of schedule parsing: spans, breaks, days, cron, instants.
use super::*;

#[test]
fn spans_merge_and_breaks_subtract() {
    let w = WindowSpec {
        days: DaysSpec::One("mon-fri".into()),
        hours: vec!["09:00-20:00".into()],
        breaks: vec!["13:00-14:00".into()],
    };
    let week = resolve_windows(&[w]).unwrap();
    assert_eq!(week[0], vec![(9 * 3600, 13 * 3600), (14 * 3600, 20 * 3600)]);
    assert!(week[5].is_empty() && week[6].is_empty());
    assert_eq!(merge(vec![(5, 10), (0, 5), (8, 12)]), vec![(0, 12)]);
}

#[test]
fn days_wrap_and_lists() {
    assert_eq!(
        parse_days(&DaysSpec::One("sat-mon".into())).unwrap(),
        vec![0, 5, 6]
    );
    let many = DaysSpec::Many(vec!["Mon".into(), "wed".into()]);
    assert_eq!(parse_days(&many).unwrap(), vec![0, 2]);
    assert!(parse_days(&DaysSpec::One("funday".into()))
        .unwrap_err()
        .contains("funday"));
}

#[test]
fn spans_reject_nonsense() {
    assert_eq!(parse_span("00:00-24:00").unwrap(), (0, DAY_SECONDS));
    assert!(parse_span("20:00-09:00")
        .unwrap_err()
        .contains("after the start"));
    assert!(parse_span("9-5").is_err());
    assert!(parse_span("0900").is_err());
}

#[test]
fn cron_five_fields_shift_day_of_week() {
    assert_eq!(normalize_cron("0 9 * * 1-5").unwrap(), "0 0 9 * * 2-6");
    assert_eq!(normalize_cron("0 9 * * 0").unwrap(), "0 0 9 * * 1");
    assert_eq!(normalize_cron("0 9 * * 5-7").unwrap(), "0 0 9 * * 6-7,1");
    assert_eq!(normalize_cron("30 8 1 * *").unwrap(), "0 30 8 1 * *");
    assert_eq!(normalize_cron("0 0 9 1 * *").unwrap(), "0 0 9 1 * *");
    assert!(normalize_cron("0 9 * *").is_err());
    assert!(normalize_cron("0 99 * * *").is_err());
}

#[test]
fn instants_in_campaign_zone() {
    let tz = parse_tz("Europe/Moscow").unwrap();
    let t = parse_instant("2026-03-01 09:00", tz).unwrap();
    assert_eq!(t.to_rfc3339(), "2026-03-01T06:00:00+00:00");
    let t = parse_instant("2026-03-01T09:00:00Z", tz).unwrap();
    assert_eq!(t.to_rfc3339(), "2026-03-01T09:00:00+00:00");
    assert!(parse_instant("yesterday", tz).is_err());
    assert!(parse_tz("Mars/Olympus")
        .unwrap_err()
        .contains("Mars/Olympus"));
}
