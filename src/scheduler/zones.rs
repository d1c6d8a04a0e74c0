//! Which timezones of a campaign may be called now: pure planning over `campaign::window`.
//! With "subscriber local time" each contact zone is read on its own; without it every zone
//! follows the campaign's zone. A zone key naming several zones (a number whose prefix spans
//! them, `campaign::zone_set`) is open only while every one of them is. A closed zone gets the
//! instant it opens next, so its due contacts can be deferred to then instead of being looked
//! at on every wake-up.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::campaign::schedule::Schedule;
use crate::campaign::zone_set;

/// The plan for one wake-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZonePlan {
    /// Zones inside their window now.
    pub open: Vec<String>,
    /// Closed zones and when each opens next.
    pub deferred: Vec<(String, DateTime<Utc>)>,
    /// Closed zones that never open again (past the campaign's end).
    pub never: Vec<String>,
}

/// Sorts `zones` into open, deferred and never for the instant `now`.
pub fn plan(
    schedule: &Schedule,
    campaign_tz: Tz,
    subscriber_local_time: bool,
    zones: &[String],
    now: DateTime<Utc>,
) -> ZonePlan {
    let mut out = ZonePlan::default();
    for zone in zones {
        let tzs = match subscriber_local_time {
            true => zone_set::parse(zone).unwrap_or_else(|| vec![campaign_tz]),
            false => vec![campaign_tz],
        };
        if zone_set::is_open_all(schedule, &tzs, now) {
            out.open.push(zone.clone());
        } else {
            match zone_set::next_open_all(schedule, &tzs, now) {
                Some(at) => out.deferred.push((zone.clone(), at)),
                None => out.never.push(zone.clone()),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::schedule::ScheduleSpec;
    use chrono::TimeZone;

    fn nine_to_five() -> Schedule {
        let spec: ScheduleSpec =
            toml::from_str("[[windows]]\ndays = \"mon-sun\"\nhours = [\"09:00-17:00\"]\n").unwrap();
        Schedule::resolve(&spec, chrono_tz::Europe::Moscow).unwrap()
    }

    #[test]
    fn zones_open_by_their_own_clock() {
        let s = nine_to_five();
        // 06:00 UTC: 09:00 in Moscow and 13:00 in Novosibirsk (open), 01:00 in New York (closed).
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap();
        let zones = vec![
            "Europe/Moscow".to_string(),
            "Asia/Novosibirsk".to_string(),
            "America/New_York".to_string(),
        ];
        let p = plan(&s, chrono_tz::Europe::Moscow, true, &zones, now);
        assert_eq!(p.open, vec!["Europe/Moscow", "Asia/Novosibirsk"]);
        assert_eq!(p.deferred.len(), 1);
        let (zone, at) = &p.deferred[0];
        assert_eq!(zone, "America/New_York");
        assert_eq!(*at, Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap());
        let p = plan(&s, chrono_tz::Europe::Moscow, false, &zones, now);
        assert_eq!(
            p.open.len(),
            3,
            "without subscriber time the campaign's zone rules"
        );
    }

    #[test]
    fn a_key_of_several_zones_is_open_only_when_all_are() {
        let s = nine_to_five();
        // 06:00 UTC: 09:00 Moscow and 13:00 Novosibirsk open, 22:00 Los Angeles closed.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap();
        let zones = vec![
            "Asia/Novosibirsk,Europe/Moscow".to_string(),
            "America/Los_Angeles,Europe/Moscow".to_string(),
        ];
        let p = plan(&s, chrono_tz::Europe::Moscow, true, &zones, now);
        assert_eq!(p.open, vec!["Asia/Novosibirsk,Europe/Moscow"]);
        // 09:00-17:00 in Moscow (06-14 UTC) and Los Angeles (16-01 UTC in summer) never overlap.
        assert_eq!(p.never, vec!["America/Los_Angeles,Europe/Moscow"]);
    }

    #[test]
    fn past_the_end_never_opens() {
        let spec: ScheduleSpec = toml::from_str("end = \"2026-01-01 00:00\"\n").unwrap();
        let s = Schedule::resolve(&spec, chrono_tz::Europe::Moscow).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap();
        let p = plan(
            &s,
            chrono_tz::Europe::Moscow,
            true,
            &["Europe/Moscow".into()],
            now,
        );
        assert_eq!(p.never, vec!["Europe/Moscow"]);
    }
}
