//! A callback job as posted (seeds/000 "Полный список данных"): [`CallbackRequest`] is the wire
//! form (JSON of `POST /callbacks`, the file of `outcall callback add`), [`CallbackSpec`] the
//! checked form the store keeps and the engine runs. [`CallbackRequest::check`] turns one into the
//! other; every error names its field. Nothing in a spec changes once it is accepted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::fields::{caller_id, digit, text, url};
use crate::campaign::schedule::{parse_tz, Schedule, ScheduleSpec, WindowSpec};

pub use super::fields::check_trunk;

/// The text spoken to the manager when the request gives none.
pub const DEFAULT_TEXT: &str = "Звонок с сайта. Пожалуйста, ожидайте соединения";
/// The phrase said to the manager just before the client is dialled.
pub const DEFAULT_CLIENT_PHRASE: &str = "Звонок клиенту";
/// Repeats of the text: under this the client is connected automatically after them; from it
/// up to [`MAX_REPEATS`] the call is hung up when no digit came.
pub const AUTO_CONNECT_BELOW: u32 = 16;
pub const MAX_REPEATS: u32 = 24;
/// The interval of a postponed call when the request lists no recall interval (30 min).
pub const DEFAULT_POSTPONE_SECS: u64 = 1800;

/// Manager numbers: one string with `_` or `^` between numbers (as in seeds/000), or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Managers {
    Joined(String),
    List(Vec<String>),
}

impl Managers {
    /// The numbers as written, in order, blanks dropped.
    pub fn split(&self) -> Vec<String> {
        let parts: Vec<&str> = match self {
            Managers::Joined(s) => s.split(['_', '^']).collect(),
            Managers::List(v) => v.iter().map(String::as_str).collect(),
        };
        parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// How several manager numbers are dialled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialMode {
    /// One after another until one answers.
    #[default]
    Sequential,
    /// All at once (one originate, `,` between legs): the first to answer wins, the switch ends
    /// the others (LOSE_RACE).
    Parallel,
}

/// The manager's working hours: weekly windows (as a campaign's `[[schedule.windows]]`) in a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// IANA zone, e.g. `Europe/Moscow`.
    pub timezone: String,
    /// e.g. `[{"days": "mon-fri", "hours": ["09:00-18:00"]}]`.
    #[schema(value_type = Vec<Object>)]
    pub windows: Vec<WindowSpec>,
}

/// `POST /callbacks`: everything the call needs, in one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CallbackRequest {
    /// The client's key: a second request with the same key returns the first job.
    pub idempotency_key: Option<String>,
    /// Manager numbers: `"+79161234567_+79161234568"` (`_` or `^` between) or a list.
    pub managers: Option<Managers>,
    /// The client's number.
    pub client: Option<String>,
    pub dial_mode: DialMode,
    /// Spoken to the manager on answer (default "Звонок с сайта. Пожалуйста, ожидайте соединения").
    pub text: Option<String>,
    /// Language of the speech (default `ru`).
    pub language: Option<String>,
    /// TTS voice (default: the language).
    pub voice: Option<String>,
    /// Extra information about the client, spoken on `info_digit`.
    pub info: Option<String>,
    /// The digit that speaks `info`; `#` speaks it automatically after the text.
    pub info_digit: Option<String>,
    /// The digit that starts the client call.
    pub connect_digit: Option<String>,
    /// The digit that cancels the call and its recalls (status 708).
    pub cancel_digit: Option<String>,
    /// The digit that postpones the call (a recall after the interval).
    pub postpone_digit: Option<String>,
    /// The digit that cancels all later recalls.
    pub cancel_recalls_digit: Option<String>,
    /// Times the text is spoken (1..=24, default 1): under 16 the client is connected after
    /// them; 16 to 24: the call is hung up when no digit came.
    pub repeats: Option<u32>,
    /// Extension digits sent to the manager's PBX after answer, after `extension_delay_ms`.
    pub extension: Option<String>,
    pub extension_delay_ms: Option<u64>,
    /// Pause before the client is dialled (default 3000 ms).
    pub client_delay_ms: Option<u64>,
    /// Said to the manager before the client call (default "Звонок клиенту").
    pub client_phrase: Option<String>,
    /// Dial patterns (`sofia/gateway/NAME/{number}`) toward the managers, tried in order: each
    /// further trunk once, after a technical failure on the previous one.
    pub manager_trunks: Vec<String>,
    /// The same toward the client (default: `manager_trunks`).
    pub client_trunks: Vec<String>,
    /// Caller ID shown to the client (wins within one location).
    pub client_caller_id: Option<String>,
    /// Caller IDs used when the location rule names none: shown to the manager / the client.
    pub default_caller_id_manager: Option<String>,
    pub default_caller_id_client: Option<String>,
    /// The site's attempt number (echoed back in webhooks; default 1).
    pub attempt: Option<u32>,
    /// Seconds between recalls: the n-th recall waits the n-th interval; none: no recalls.
    pub recall_intervals: Vec<u64>,
    /// Seconds each leg may ring (default 30).
    pub ring_timeout: Option<u64>,
    /// When to call (RFC 3339; default now).
    pub at: Option<DateTime<Utc>>,
    pub working_hours: Option<WorkingHours>,
    /// Receives each status change.
    pub status_url: Option<String>,
    /// Receives the call log (every leg) at the end of each call.
    pub log_url: Option<String>,
}

/// A checked callback job: what the store keeps and the engine runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackSpec {
    /// E.164 numbers, in order.
    pub managers: Vec<String>,
    pub client: String,
    pub dial_mode: DialMode,
    pub text: String,
    pub language: String,
    pub voice: String,
    pub info: Option<String>,
    pub info_digit: Option<char>,
    pub connect_digit: Option<char>,
    pub cancel_digit: Option<char>,
    pub postpone_digit: Option<char>,
    pub cancel_recalls_digit: Option<char>,
    pub repeats: u32,
    pub extension: Option<String>,
    pub extension_delay_ms: u64,
    pub client_delay_ms: u64,
    pub client_phrase: String,
    pub manager_trunks: Vec<String>,
    pub client_trunks: Vec<String>,
    pub client_caller_id: Option<String>,
    pub default_caller_id_manager: Option<String>,
    pub default_caller_id_client: Option<String>,
    pub attempt: u32,
    pub recall_intervals: Vec<u64>,
    pub ring_timeout: u64,
    pub at: Option<DateTime<Utc>>,
    pub working_hours: Option<WorkingHours>,
    pub status_url: Option<String>,
    pub log_url: Option<String>,
}

impl CallbackRequest {
    /// Checks every field; `phone` normalises a number to E.164 (or says why it cannot).
    pub fn check(
        &self,
        phone: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<CallbackSpec, String> {
        let raw = self
            .managers
            .as_ref()
            .map(Managers::split)
            .unwrap_or_default();
        if raw.is_empty() {
            return Err("managers: give at least one manager number".into());
        }
        if raw.len() > 20 {
            return Err("managers: at most 20 numbers".into());
        }
        let mut managers = Vec::with_capacity(raw.len());
        for (i, m) in raw.iter().enumerate() {
            managers.push(phone(m).map_err(|e| format!("managers[{i}]: {e}"))?);
        }
        let client = match self.client.as_deref().map(str::trim) {
            None | Some("") => return Err("client: the client's number is required".into()),
            Some(c) => phone(c).map_err(|e| format!("client: {e}"))?,
        };
        if let Some(k) = &self.idempotency_key {
            if k.is_empty() || k.len() > 200 || k.chars().any(char::is_control) {
                return Err("idempotency_key: 1 to 200 characters, no control characters".into());
            }
        }
        let language = text("language", &self.language, "ru")?;
        if !language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "language: `{language}` is not a language code like ru or en"
            ));
        }
        let voice = text("voice", &self.voice, &language)?;
        if !voice
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "voice: `{voice}` is not a TTS voice name (letters, digits, - and _)"
            ));
        }
        let info = match self
            .info
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(_) => Some(text("info", &self.info, "")?),
            None => None,
        };
        let digits = [
            ("info_digit", digit("info_digit", &self.info_digit, true)?),
            (
                "connect_digit",
                digit("connect_digit", &self.connect_digit, false)?,
            ),
            (
                "cancel_digit",
                digit("cancel_digit", &self.cancel_digit, false)?,
            ),
            (
                "postpone_digit",
                digit("postpone_digit", &self.postpone_digit, false)?,
            ),
            (
                "cancel_recalls_digit",
                digit("cancel_recalls_digit", &self.cancel_recalls_digit, false)?,
            ),
        ];
        for (i, (name, d)) in digits.iter().enumerate() {
            for (other, o) in &digits[..i] {
                if d.is_some() && d == o {
                    return Err(format!("{name}: the same key as {other}"));
                }
            }
        }
        let repeats = self.repeats.unwrap_or(1);
        if !(1..=MAX_REPEATS).contains(&repeats) {
            return Err(format!(
                "repeats: {repeats} is not between 1 and {MAX_REPEATS}"
            ));
        }
        let extension = match self
            .extension
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(e)
                if e.len() <= 20
                    && e.chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#') =>
            {
                Some(e.to_string())
            }
            Some(e) => {
                return Err(format!(
                    "extension: `{e}` is not extension digits (0-9, *, #)"
                ))
            }
        };
        let ms = |field: &str, v: Option<u64>, default: u64| match v.unwrap_or(default) {
            x if x <= 600_000 => Ok(x),
            x => Err(format!("{field}: {x} ms is over 600000 (10 minutes)")),
        };
        if self.manager_trunks.is_empty() {
            return Err(
                "manager_trunks: give at least one trunk (e.g. sofia/gateway/NAME/{number})".into(),
            );
        }
        for (i, t) in self.manager_trunks.iter().enumerate() {
            check_trunk(&format!("manager_trunks[{i}]"), t)?;
        }
        for (i, t) in self.client_trunks.iter().enumerate() {
            check_trunk(&format!("client_trunks[{i}]"), t)?;
        }
        let client_trunks = if self.client_trunks.is_empty() {
            self.manager_trunks.clone()
        } else {
            self.client_trunks.clone()
        };
        if self.recall_intervals.len() > 99 {
            return Err("recall_intervals: at most 99 recalls".into());
        }
        for (i, s) in self.recall_intervals.iter().enumerate() {
            if !(1..=30 * 86_400).contains(s) {
                return Err(format!(
                    "recall_intervals[{i}]: {s} s is not between 1 s and 30 days"
                ));
            }
        }
        let ring_timeout = self.ring_timeout.unwrap_or(30);
        if !(5..=300).contains(&ring_timeout) {
            return Err(format!(
                "ring_timeout: {ring_timeout} s is not between 5 and 300"
            ));
        }
        if let Some(w) = &self.working_hours {
            working_schedule(w)?;
        }
        Ok(CallbackSpec {
            managers,
            client,
            dial_mode: self.dial_mode,
            text: text("text", &self.text, DEFAULT_TEXT)?,
            language,
            voice,
            info,
            info_digit: digits[0].1,
            connect_digit: digits[1].1,
            cancel_digit: digits[2].1,
            postpone_digit: digits[3].1,
            cancel_recalls_digit: digits[4].1,
            repeats,
            extension,
            extension_delay_ms: ms("extension_delay_ms", self.extension_delay_ms, 0)?,
            client_delay_ms: ms("client_delay_ms", self.client_delay_ms, 3000)?,
            client_phrase: text("client_phrase", &self.client_phrase, DEFAULT_CLIENT_PHRASE)?,
            manager_trunks: self.manager_trunks.clone(),
            client_trunks,
            client_caller_id: caller_id("client_caller_id", &self.client_caller_id)?,
            default_caller_id_manager: caller_id(
                "default_caller_id_manager",
                &self.default_caller_id_manager,
            )?,
            default_caller_id_client: caller_id(
                "default_caller_id_client",
                &self.default_caller_id_client,
            )?,
            attempt: self.attempt.unwrap_or(1).max(1),
            recall_intervals: self.recall_intervals.clone(),
            ring_timeout,
            at: self.at,
            working_hours: self.working_hours.clone(),
            status_url: url("status_url", &self.status_url)?,
            log_url: url("log_url", &self.log_url)?,
        })
    }
}

/// The working hours as a resolved schedule and zone; errors name `working_hours.*`.
pub fn working_schedule(w: &WorkingHours) -> Result<(Schedule, chrono_tz::Tz), String> {
    let tz = parse_tz(&w.timezone).map_err(|e| format!("working_hours.timezone: {e}"))?;
    if w.windows.is_empty() {
        return Err("working_hours.windows: give at least one window".into());
    }
    let spec = ScheduleSpec {
        windows: w.windows.clone(),
        ..ScheduleSpec::default()
    };
    let s = Schedule::resolve(&spec, tz).map_err(|e| format!("working_hours: {e}"))?;
    Ok((s, tz))
}

impl CallbackSpec {
    /// Repeats from 16 on hang up when no digit came; fewer connect the client after them.
    pub fn auto_connect(&self) -> bool {
        self.repeats < AUTO_CONNECT_BELOW
    }

    /// The wait before recall number `n` (1-based), if there is one.
    pub fn recall_after(&self, n: u32) -> Option<u64> {
        self.recall_intervals
            .get(n.checked_sub(1)? as usize)
            .copied()
    }

    /// The wait before a postponed call: the next recall interval, else the last one, else 30 min.
    pub fn postpone_after(&self, n: u32) -> u64 {
        self.recall_after(n)
            .or_else(|| self.recall_intervals.last().copied())
            .unwrap_or(DEFAULT_POSTPONE_SECS)
    }
}

impl CallbackSpec {
    /// The first instant at or after `earliest` inside the manager's working hours (`earliest`
    /// itself without them); `None` when the hours never open.
    pub fn due_at(&self, earliest: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.working_hours {
            None => Some(earliest),
            Some(w) => {
                let (schedule, tz) = working_schedule(w).ok()?;
                crate::campaign::window::next_open(&schedule, tz, earliest)
            }
        }
    }
}
