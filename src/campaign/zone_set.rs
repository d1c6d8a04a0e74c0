//! A contact's zone key: one IANA zone (`Europe/Moscow`), or several joined by `,` when its
//! number's prefix spans them (`Asia/Yakutsk,Asia/Khandyga`). Such a contact is callable only
//! while the window is open in every zone of its key; these pure functions answer that over
//! `campaign::window`.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::schedule::Schedule;
use super::window;

/// How far ahead [`next_open_all`] looks for an instant open in every zone before answering
/// "never" (windows that never overlap, e.g. 09:00-12:00 in Moscow and in New York).
const OVERLAP_HORIZON_DAYS: i64 = 400;
/// Steps of the search in [`next_open_all`]: each moves to some zone's next opening.
const OVERLAP_STEPS: usize = 20_000;

/// The stored key of a set of zones: sorted, deduplicated names joined by `,`.
pub fn key(zones: &[Tz]) -> String {
    let mut names: Vec<&str> = zones.iter().map(|z| z.name()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// The zones of a stored key; `None` when a part is not a zone name (a key is always written
/// by [`key`] or from a checked column, so that is a damaged row).
pub fn parse(key: &str) -> Option<Vec<Tz>> {
    key.split(',')
        .map(|z| z.trim().parse::<Tz>().ok())
        .collect()
}

/// Is `at` inside the schedule in every one of `zones`?
pub fn is_open_all(schedule: &Schedule, zones: &[Tz], at: DateTime<Utc>) -> bool {
    zones.iter().all(|&tz| window::is_open(schedule, tz, at))
}

/// The first instant at or after `at` when the schedule is open in every one of `zones`;
/// `None` when that never happens (past the end, or no overlap within about 400 days).
pub fn next_open_all(
    schedule: &Schedule,
    zones: &[Tz],
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let (&first, rest) = zones.split_first()?;
    if rest.is_empty() {
        return window::next_open(schedule, first, at);
    }
    let limit = at + Duration::days(OVERLAP_HORIZON_DAYS);
    let mut t = at;
    for _ in 0..OVERLAP_STEPS {
        // Every zone's next opening from t; the latest of them is the earliest candidate.
        let mut latest = t;
        for &tz in zones {
            latest = latest.max(window::next_open(schedule, tz, t)?);
        }
        if latest == t {
            return Some(t);
        }
        if latest > limit {
            return None;
        }
        t = latest;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::schedule::ScheduleSpec;
    use chrono::TimeZone;
    use chrono_tz::{America, Asia, Europe};

    fn hours(h: &str) -> Schedule {
        let text = format!("[[windows]]\ndays = \"all\"\nhours = [\"{h}\"]\n");
        let spec: ScheduleSpec = toml::from_str(&text).unwrap();
        Schedule::resolve(&spec, Europe::Moscow).unwrap()
    }

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    #[test]
    fn key_is_sorted_and_round_trips() {
        let k = key(&[Asia::Yakutsk, Asia::Khandyga, Asia::Yakutsk]);
        assert_eq!(k, "Asia/Khandyga,Asia/Yakutsk");
        assert_eq!(parse(&k), Some(vec![Asia::Khandyga, Asia::Yakutsk]));
        assert_eq!(parse("Europe/Moscow"), Some(vec![Europe::Moscow]));
        assert_eq!(parse("Europe/Moscow,Mars/Base"), None);
    }

    #[test]
    fn open_only_where_every_zone_is_open() {
        // 09:00-20:00 local. Moscow UTC+3, Yekaterinburg UTC+5, Vladivostok UTC+10.
        let s = hours("09:00-20:00");
        /// Zones, the instant (UTC h:m), open then, the next opening (None: 06:00 tomorrow).
        type Case<'a> = (&'a [Tz], (u32, u32), bool, Option<(u32, u32)>);
        let cases: &[Case] = &[
            // 06:00 UTC: 09:00 Moscow, 11:00 Yekaterinburg: both open.
            (
                &[Europe::Moscow, Asia::Yekaterinburg],
                (6, 0),
                true,
                Some((6, 0)),
            ),
            // 05:00 UTC: 08:00 Moscow closed; opens at 06:00 UTC.
            (
                &[Europe::Moscow, Asia::Yekaterinburg],
                (5, 0),
                false,
                Some((6, 0)),
            ),
            // 16:00 UTC: 19:00 Moscow open, 21:00 Yekaterinburg closed; next overlap tomorrow 06:00.
            (&[Europe::Moscow, Asia::Yekaterinburg], (16, 0), false, None),
            // Moscow and Vladivostok overlap 06:00-10:00 UTC (09-13 / 16-20 local).
            (&[Europe::Moscow, Asia::Vladivostok], (11, 0), false, None),
            (
                &[Europe::Moscow, Asia::Vladivostok],
                (7, 30),
                true,
                Some((7, 30)),
            ),
        ];
        for (zones, (h, m), open, next) in cases {
            let at = utc(*h, *m);
            assert_eq!(is_open_all(&s, zones, at), *open, "{zones:?} at {h}:{m}");
            let got = next_open_all(&s, zones, at).unwrap();
            let want = match next {
                Some((nh, nm)) => utc(*nh, *nm),
                None => utc(6, 0) + Duration::days(1),
            };
            assert_eq!(got, want, "{zones:?} from {h}:{m}");
        }
    }

    #[test]
    fn windows_that_never_overlap_never_open() {
        // 09:00-12:00 in Moscow (06-09 UTC) and New York (14-17 UTC) never meet.
        let s = hours("09:00-12:00");
        let zones = [Europe::Moscow, America::New_York];
        assert!(!is_open_all(&s, &zones, utc(7, 0)));
        assert_eq!(next_open_all(&s, &zones, utc(7, 0)), None);
        assert_eq!(next_open_all(&s, &[], utc(7, 0)), None);
    }
}
