//! Calling windows as pure functions: is a contact callable at an instant in a zone, and the next
//! instant it becomes callable. The weekly windows, breaks and holidays are wall-clock times in the
//! zone passed in (the subscriber's with "subscriber local time", else the campaign's); start and
//! end are absolute instants. DST: a window edge that falls in a spring-forward gap opens at the
//! end of the gap; a wall-clock time that occurs twice in the autumn is open both times.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::schedule::{Schedule, DAY_SECONDS};

/// How far ahead [`next_open`] looks before answering "never" (about ten years).
const HORIZON_DAYS: i64 = 3700;

/// Is `at` inside the schedule, with weekly windows, breaks and holidays read in `tz`?
pub fn is_open(schedule: &Schedule, tz: Tz, at: DateTime<Utc>) -> bool {
    if schedule.start.is_some_and(|s| at < s) || schedule.end.is_some_and(|e| at >= e) {
        return false;
    }
    let local = at.with_timezone(&tz);
    if schedule.holidays.contains(&local.date_naive()) {
        return false;
    }
    let day = local.weekday().num_days_from_monday() as usize;
    let sod = local.num_seconds_from_midnight();
    schedule.week[day].iter().any(|&(a, b)| a <= sod && sod < b)
}

/// The first instant at or after `at` when the schedule is open in `tz`; `None` when it never
/// opens again (past its end, or no window within about ten years).
pub fn next_open(schedule: &Schedule, tz: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let from = schedule.start.map_or(at, |s| s.max(at));
    if schedule.end.is_some_and(|e| from >= e) || schedule.week.iter().all(Vec::is_empty) {
        return None;
    }
    if is_open(schedule, tz, from) {
        return Some(from);
    }
    let first_day = from.with_timezone(&tz).date_naive();
    for offset in 0..HORIZON_DAYS {
        let day = first_day + Duration::days(offset);
        if schedule.holidays.contains(&day) {
            continue;
        }
        let spans = &schedule.week[day.weekday().num_days_from_monday() as usize];
        for &(a, b) in spans {
            let open_at = local_instant(tz, day, a, true);
            if schedule.end.is_some_and(|e| open_at >= e) {
                return None;
            }
            if let Some(t) = first_open_in_span(schedule, tz, from, day, (a, b)) {
                return Some(t);
            }
        }
    }
    None
}

/// When the campaign's cron recurrence fires next after `after`, evaluated in `tz` (the
/// campaign's zone); `None` without a recurrence or when it never fires again.
pub fn next_recurrence(schedule: &Schedule, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use std::str::FromStr;
    let expr = schedule.cron.as_deref()?;
    let cron = cron::Schedule::from_str(expr).ok()?;
    let next = cron.after(&after.with_timezone(&tz)).next()?;
    Some(next.with_timezone(&Utc))
}

/// The earliest open instant of one span of one local day, not before `from`.
fn first_open_in_span(
    schedule: &Schedule,
    tz: Tz,
    from: DateTime<Utc>,
    day: NaiveDate,
    (a, b): (u32, u32),
) -> Option<DateTime<Utc>> {
    let close = local_instant(tz, day, b, false);
    // A wall-clock opening that occurs twice (autumn) gives two candidates.
    let candidates = [
        local_instant(tz, day, a, true),
        local_instant(tz, day, a, false),
    ];
    candidates
        .into_iter()
        .map(|c| c.max(from))
        .filter(|&c| c < close && is_open(schedule, tz, c))
        .min()
}

/// The instant of `seconds` after local midnight of `day` in `tz` (86,400 = next midnight).
fn local_instant(tz: Tz, day: NaiveDate, seconds: u32, earliest: bool) -> DateTime<Utc> {
    let (day, seconds) = if seconds >= DAY_SECONDS {
        (day + Duration::days(1), seconds - DAY_SECONDS)
    } else {
        (day, seconds)
    };
    let naive =
        day.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::seconds(seconds.into());
    resolve_local(tz, naive, earliest)
}

/// A wall-clock time in `tz` as an instant: the earlier (or later) of two when it occurs twice,
/// and the end of the gap when it does not exist (spring forward).
pub fn resolve_local(tz: Tz, naive: NaiveDateTime, earliest: bool) -> DateTime<Utc> {
    use chrono::LocalResult;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => {
            let pick = if earliest { a.min(b) } else { a.max(b) };
            pick.with_timezone(&Utc)
        }
        LocalResult::None => {
            // Gaps are whole minutes (an hour, sometimes half): the first wall minute after it.
            let mut probe = naive.with_second(0).unwrap_or(naive);
            for _ in 0..=24 * 60 {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            // No zone has a day-long gap; fall back to reading the wall time as UTC.
            Utc.from_utc_datetime(&naive)
        }
    }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
