//! A campaign's schedule: start/end, weekly windows with breaks, holidays and an optional cron
//! recurrence. `ScheduleSpec` is what a TOML definition says; `Schedule` is the resolved form the
//! pure functions in [`crate::campaign::window`] evaluate (start/end turned into instants with the
//! campaign's zone, windows turned into open intervals per weekday).
//!
//! TOML:
//! ```toml
//! [schedule]
//! start = "2026-01-01 09:00"        # campaign-local; RFC 3339 with an offset also accepted
//! end = "2030-12-31"                # a date alone means its midnight
//! holidays = ["2026-12-31", "2027-01-01"]
//! cron = "0 9 1 * *"               # optional re-run (5-field crontab or the cron crate's 6/7)
//! [[schedule.windows]]
//! days = "mon-fri"                  # or ["mon", "wed"], "sat,sun", "all"
//! hours = ["09:00-20:00"]           # "24:00" allowed as an end
//! breaks = ["13:00-14:00"]          # subtracted from hours
//! ```
//! No `[[schedule.windows]]` at all means "open around the clock".

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A day is 86,400 seconds of wall-clock time; intervals are `[from, to)` in seconds of the day.
pub const DAY_SECONDS: u32 = 86_400;

/// A time written as a string or as a native TOML date/time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimeText {
    Text(String),
    Toml(toml::value::Datetime),
}

impl TimeText {
    fn text(&self) -> String {
        match self {
            TimeText::Text(s) => s.trim().to_string(),
            TimeText::Toml(d) => d.to_string(),
        }
    }
}

/// Days of a weekly window: `"mon-fri"`, `"sat,sun"`, `"all"` or a list of such strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DaysSpec {
    One(String),
    Many(Vec<String>),
}

/// One weekly window as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    pub days: DaysSpec,
    pub hours: Vec<String>,
    #[serde(default)]
    pub breaks: Vec<String>,
}

/// The `[schedule]` table as written.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleSpec {
    pub start: Option<TimeText>,
    pub end: Option<TimeText>,
    pub holidays: Vec<String>,
    pub cron: Option<String>,
    pub windows: Vec<WindowSpec>,
}

/// The resolved schedule. `week[0]` is Monday; each day holds sorted, disjoint open intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub holidays: BTreeSet<NaiveDate>,
    pub week: [Vec<(u32, u32)>; 7],
    /// The normalised cron expression (seconds field included), when the campaign re-runs.
    pub cron: Option<String>,
}

impl Schedule {
    /// Open every day around the clock, no start, end or holidays.
    pub fn always() -> Schedule {
        Schedule {
            start: None,
            end: None,
            holidays: BTreeSet::new(),
            week: std::array::from_fn(|_| vec![(0, DAY_SECONDS)]),
            cron: None,
        }
    }

    /// Resolves a spec; `tz` is the campaign's zone (for start and end). Errors name the field.
    pub fn resolve(spec: &ScheduleSpec, tz: Tz) -> Result<Schedule, String> {
        let start = spec
            .start
            .as_ref()
            .map(|t| parse_instant(&t.text(), tz).map_err(|e| format!("schedule.start: {e}")))
            .transpose()?;
        let end = spec
            .end
            .as_ref()
            .map(|t| parse_instant(&t.text(), tz).map_err(|e| format!("schedule.end: {e}")))
            .transpose()?;
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                return Err("schedule.end must come after schedule.start".into());
            }
        }
        let mut holidays = BTreeSet::new();
        for (i, h) in spec.holidays.iter().enumerate() {
            let d = NaiveDate::parse_from_str(h.trim(), "%Y-%m-%d")
                .map_err(|_| format!("schedule.holidays[{i}]: `{h}` is not a YYYY-MM-DD date"))?;
            holidays.insert(d);
        }
        let week = if spec.windows.is_empty() {
            Schedule::always().week
        } else {
            resolve_windows(&spec.windows)?
        };
        let cron = spec
            .cron
            .as_deref()
            .map(|c| normalize_cron(c).map_err(|e| format!("schedule.cron: {e}")))
            .transpose()?;
        Ok(Schedule {
            start,
            end,
            holidays,
            week,
            cron,
        })
    }
}

fn resolve_windows(specs: &[WindowSpec]) -> Result<[Vec<(u32, u32)>; 7], String> {
    let mut week: [Vec<(u32, u32)>; 7] = Default::default();
    for (i, w) in specs.iter().enumerate() {
        let place = format!("schedule.windows[{i}]");
        let days = parse_days(&w.days).map_err(|e| format!("{place}.days: {e}"))?;
        let mut open = Vec::new();
        for h in &w.hours {
            open.push(parse_span(h).map_err(|e| format!("{place}.hours: {e}"))?);
        }
        if open.is_empty() {
            return Err(format!(
                "{place}.hours: at least one span like \"09:00-20:00\""
            ));
        }
        let mut breaks = Vec::new();
        for b in &w.breaks {
            breaks.push(parse_span(b).map_err(|e| format!("{place}.breaks: {e}"))?);
        }
        let spans = subtract(merge(open), &merge(breaks));
        for d in days {
            week[d].extend(spans.iter().copied());
        }
    }
    Ok(week.map(merge))
}

/// Sorts and merges overlapping or touching intervals.
fn merge(mut spans: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    spans.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// `open` minus `holes`, both merged.
fn subtract(open: Vec<(u32, u32)>, holes: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for (mut a, b) in open {
        for &(ha, hb) in holes {
            if hb <= a || ha >= b {
                continue;
            }
            if ha > a {
                out.push((a, ha));
            }
            a = a.max(hb);
        }
        if a < b {
            out.push((a, b));
        }
    }
    out
}

/// `"09:00-13:00"` into seconds of the day; `24:00` is allowed as an end.
pub fn parse_span(text: &str) -> Result<(u32, u32), String> {
    let (a, b) = text
        .split_once('-')
        .ok_or_else(|| format!("`{text}` is not a span like \"09:00-13:00\""))?;
    let a = parse_clock(a.trim()).map_err(|e| format!("`{text}`: {e}"))?;
    let b = parse_clock(b.trim()).map_err(|e| format!("`{text}`: {e}"))?;
    if b <= a {
        return Err(format!(
            "`{text}`: the end must be after the start (split a span over midnight into two days)"
        ));
    }
    Ok((a, b))
}

fn parse_clock(text: &str) -> Result<u32, String> {
    if text == "24:00" || text == "24:00:00" {
        return Ok(DAY_SECONDS);
    }
    let t = NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| format!("`{text}` is not a time like 09:00"))?;
    Ok(chrono::Timelike::num_seconds_from_midnight(&t))
}

fn parse_days(spec: &DaysSpec) -> Result<Vec<usize>, String> {
    let items: Vec<String> = match spec {
        DaysSpec::One(s) => s.split(',').map(str::to_string).collect(),
        DaysSpec::Many(v) => v.clone(),
    };
    let mut days = BTreeSet::new();
    for item in items {
        let item = item.trim().to_ascii_lowercase();
        if item == "all" || item == "*" || item == "daily" {
            days.extend(0..7);
            continue;
        }
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (weekday(a.trim())?, weekday(b.trim())?);
                let mut d = a;
                loop {
                    days.insert(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => {
                days.insert(weekday(&item)?);
            }
        }
    }
    if days.is_empty() {
        return Err("no days given".into());
    }
    Ok(days.into_iter().collect())
}

fn weekday(name: &str) -> Result<usize, String> {
    Weekday::from_str(name)
        .map(|d| d.num_days_from_monday() as usize)
        .map_err(|_| format!("`{name}` is not a weekday (mon, tue, wed, thu, fri, sat, sun)"))
}

/// `2026-01-01`, `2026-01-01 09:00[:00]`, `2026-01-01T09:00[:00]` in `tz`, or RFC 3339.
pub fn parse_instant(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    })
    .ok_or_else(|| format!("`{text}` is not a date/time like 2026-01-01 09:00"))?;
    Ok(crate::campaign::window::resolve_local(tz, naive, true))
}

/// Accepts the usual 5-field crontab (numeric day-of-week 0-7, Sunday 0 or 7) and the cron
/// crate's 6/7-field form; returns the cron crate's form, checked.
pub fn normalize_cron(text: &str) -> Result<String, String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let full = match fields.len() {
        5 => {
            let dow = crontab_dow(fields[4])?;
            format!(
                "0 {} {} {} {} {}",
                fields[0], fields[1], fields[2], fields[3], dow
            )
        }
        6 | 7 => fields.join(" "),
        n => return Err(format!("`{text}` has {n} fields; write 5 (crontab) or 6/7")),
    };
    cron::Schedule::from_str(&full).map_err(|e| format!("`{text}`: {e}"))?;
    Ok(full)
}

/// Crontab counts days of the week from Sunday = 0 (7 also Sunday); the cron crate from Sunday = 1.
fn crontab_dow(field: &str) -> Result<String, String> {
    let shift = |n: &str| -> Result<u32, String> {
        let v: u32 = n
            .parse()
            .map_err(|_| format!("day of week `{n}` is not 0-7"))?;
        if v > 7 {
            return Err(format!("day of week `{n}` is not 0-7"));
        }
        Ok(v % 7 + 1)
    };
    let mut out = Vec::new();
    for item in field.split(',') {
        let numeric = item.chars().all(|c| c.is_ascii_digit() || c == '-');
        if !numeric || item.is_empty() {
            out.push(item.to_string());
            continue;
        }
        match item.split_once('-') {
            None => out.push(shift(item)?.to_string()),
            Some((a, b)) => {
                let (a, b) = (shift(a)?, shift(b)?);
                if b >= a {
                    out.push(format!("{a}-{b}"));
                } else if b == 1 {
                    // "5-7" (Fri-Sun): the end wrapped to Sunday = 1.
                    out.push(format!("{a}-7"));
                    out.push("1".into());
                } else {
                    return Err(format!("day-of-week range `{item}` runs backwards"));
                }
            }
        }
    }
    Ok(out.join(","))
}

/// Parses a zone name such as `Europe/Moscow`.
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    Tz::from_str(name.trim()).map_err(|_| {
        format!("`{name}` is not an IANA time zone (like Europe/Moscow, Asia/Yekaterinburg, UTC)")
    })
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
