//! Unit tests of the calling windows: weekdays, breaks, holidays, start/end, DST, zones.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;
use crate::campaign::schedule::{parse_tz, Schedule, ScheduleSpec};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn schedule(toml_text: &str, tz: &str) -> (Schedule, Tz) {
    let spec: ScheduleSpec = toml::from_str(toml_text).unwrap();
    let tz = parse_tz(tz).unwrap();
    (Schedule::resolve(&spec, tz).unwrap(), tz)
}

const WORKDAYS: &str = r#"
[[windows]]
days = "mon-fri"
hours = ["09:00-20:00"]
breaks = ["13:00-14:00"]
"#;

// 2026-11-23 is a Monday.

#[test]
fn weekday_hours_in_moscow() {
    let (s, tz) = schedule(WORKDAYS, "Europe/Moscow");
    assert!(is_open(&s, tz, utc("2026-11-23T06:00:00Z"))); // 09:00 MSK
    assert!(!is_open(&s, tz, utc("2026-11-23T05:59:59Z")));
    assert!(is_open(&s, tz, utc("2026-11-23T16:59:59Z")));
    assert!(!is_open(&s, tz, utc("2026-11-23T17:00:00Z"))); // 20:00: end is exclusive
    assert!(!is_open(&s, tz, utc("2026-11-28T08:00:00Z"))); // Saturday 11:00
}

#[test]
fn breaks_close_and_reopen() {
    let (s, tz) = schedule(WORKDAYS, "Europe/Moscow");
    let lunch = utc("2026-11-23T10:30:00Z"); // 13:30 MSK
    assert!(!is_open(&s, tz, lunch));
    assert_eq!(next_open(&s, tz, lunch), Some(utc("2026-11-23T11:00:00Z")));
    assert!(is_open(&s, tz, utc("2026-11-23T09:59:59Z")));
}

#[test]
fn friday_evening_waits_for_monday() {
    let (s, tz) = schedule(WORKDAYS, "Europe/Moscow");
    let friday_late = utc("2026-11-27T17:30:00Z");
    assert_eq!(
        next_open(&s, tz, friday_late),
        Some(utc("2026-11-30T06:00:00Z"))
    );
    let open = utc("2026-11-24T07:00:00Z");
    assert_eq!(next_open(&s, tz, open), Some(open));
}

#[test]
fn holidays_are_skipped() {
    let text = format!("holidays = [\"2026-11-30\", \"2026-12-01\"]\n{WORKDAYS}");
    let (s, tz) = schedule(&text, "Europe/Moscow");
    assert!(!is_open(&s, tz, utc("2026-11-30T07:00:00Z")));
    let friday_late = utc("2026-11-27T17:30:00Z");
    assert_eq!(
        next_open(&s, tz, friday_late),
        Some(utc("2026-12-02T06:00:00Z"))
    );
}

#[test]
fn start_and_end_bound_everything() {
    let text = format!("start = \"2026-12-01 12:00\"\nend = \"2026-12-03\"\n{WORKDAYS}");
    let (s, tz) = schedule(&text, "Europe/Moscow");
    assert!(!is_open(&s, tz, utc("2026-11-30T07:00:00Z")));
    assert_eq!(
        next_open(&s, tz, utc("2026-11-23T00:00:00Z")),
        Some(utc("2026-12-01T09:00:00Z"))
    );
    // 2026-12-02 after 20:00: the next window (Dec 3) is past the end.
    assert_eq!(next_open(&s, tz, utc("2026-12-02T18:00:00Z")), None);
    assert_eq!(next_open(&s, tz, utc("2027-01-01T00:00:00Z")), None);
}

#[test]
fn subscriber_zone_decides() {
    let (s, _) = schedule(WORKDAYS, "Europe/Moscow");
    let at = utc("2026-11-23T06:30:00Z"); // 09:30 Moscow, 16:30 Vladivostok, 22:30 Yesterday LA
    assert!(is_open(&s, parse_tz("Europe/Moscow").unwrap(), at));
    assert!(is_open(&s, parse_tz("Asia/Vladivostok").unwrap(), at));
    assert!(!is_open(&s, parse_tz("America/Los_Angeles").unwrap(), at));
    let vlad = parse_tz("Asia/Vladivostok").unwrap();
    let evening = utc("2026-11-23T10:30:00Z"); // 20:30 Vladivostok
    assert_eq!(
        next_open(&s, vlad, evening),
        Some(utc("2026-11-23T23:00:00Z"))
    );
}

#[test]
fn spring_forward_gap_opens_at_gap_end() {
    // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
    let (s, tz) = schedule(
        "[[windows]]\ndays = \"all\"\nhours = [\"02:30-05:00\"]",
        "Europe/Berlin",
    );
    let before = utc("2026-03-28T23:00:00Z");
    assert_eq!(next_open(&s, tz, before), Some(utc("2026-03-29T01:00:00Z")));
    assert!(is_open(&s, tz, utc("2026-03-29T01:00:00Z")));
    assert!(!is_open(&s, tz, utc("2026-03-29T00:59:59Z")));
}

#[test]
fn fall_back_repeated_hour_is_open_twice() {
    // Berlin 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:00-02:30 happens twice.
    let (s, tz) = schedule(
        "[[windows]]\ndays = \"all\"\nhours = [\"02:00-02:30\"]",
        "Europe/Berlin",
    );
    assert!(is_open(&s, tz, utc("2026-10-25T00:15:00Z"))); // 02:15 CEST
    assert!(is_open(&s, tz, utc("2026-10-25T01:15:00Z"))); // 02:15 CET
    let between = utc("2026-10-25T00:45:00Z"); // 02:45 CEST
    assert_eq!(
        next_open(&s, tz, between),
        Some(utc("2026-10-25T01:00:00Z"))
    );
}

#[test]
fn new_york_dst_keeps_wall_clock_hours() {
    let (s, tz) = schedule(WORKDAYS, "America/New_York");
    // Friday 2026-03-06 is EST (UTC-5), Monday 2026-03-09 is EDT (UTC-4).
    assert!(is_open(&s, tz, utc("2026-03-06T14:00:00Z")));
    let friday_late = utc("2026-03-07T02:00:00Z");
    assert_eq!(
        next_open(&s, tz, friday_late),
        Some(utc("2026-03-09T13:00:00Z"))
    );
}

#[test]
fn around_the_clock_and_never() {
    let s = Schedule::always();
    let tz = parse_tz("UTC").unwrap();
    let t = utc("2026-11-23T03:04:05Z");
    assert!(is_open(&s, tz, t));
    assert_eq!(next_open(&s, tz, t), Some(t));
    let mut closed = Schedule::always();
    closed.week = Default::default();
    assert_eq!(next_open(&closed, tz, t), None);
}

#[test]
fn cron_recurrence_in_campaign_zone() {
    let (s, tz) = schedule("cron = \"0 9 1 * *\"", "Europe/Moscow");
    let next = next_recurrence(&s, tz, utc("2026-11-23T00:00:00Z"));
    assert_eq!(next, Some(utc("2026-12-01T06:00:00Z")));
    let (weekdays, tz) = schedule("cron = \"0 9 * * 1-5\"", "Europe/Moscow");
    // Saturday 2026-11-28: next is Monday 09:00 MSK.
    let next = next_recurrence(&weekdays, tz, utc("2026-11-28T00:00:00Z"));
    assert_eq!(next, Some(utc("2026-11-30T06:00:00Z")));
    assert_eq!(
        next_recurrence(&Schedule::always(), tz, utc("2026-11-28T00:00:00Z")),
        None
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn next_open_is_open_and_nothing_earlier_is(offset_min in 0i64..60 * 24 * 400, zone in 0usize..4) {
        let zones = ["Europe/Moscow", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"];
        let (s, tz) = schedule(WORKDAYS, zones[zone]);
        let at = utc("2026-01-01T00:00:00Z") + Duration::minutes(offset_min);
        let next = next_open(&s, tz, at).expect("weekly windows always reopen");
        prop_assert!(next >= at);
        prop_assert!(is_open(&s, tz, next));
        let mut probe = at;
        while probe < next {
            prop_assert!(!is_open(&s, tz, probe), "open at {probe} before {next}");
            probe += Duration::minutes(7);
        }
    }
}
