//! Campaign definitions in TOML (`campaigns/*.toml`), parsed and validated in one step: a
//! [`CampaignDef`] that exists is valid. Errors name the place (`schedule.windows[0].hours: ...`,
//! `script.nodes.menu.on_timeout: ...`). See docs/campaigns.md for the whole format.
//!
//! ```toml
//! name = "debtors"
//! caller_id = "74950000000"
//! dial = "sofia/gateway/demo/{number}"   # {number}: E.164 without the plus
//! timezone = "Europe/Moscow"
//! subscriber_local_time = true
//! operator = "sofia/gateway/demo/operator"
//! [schedule] ... [limits] ... [retry] ... [webhooks] ... [script] ...
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::schedule::{parse_tz, Schedule, ScheduleSpec};
use crate::model::{duration_text, Disposition, Limits, RetryPolicy, WebhookUrls};
use crate::script::amd::Amd;
use crate::script::{Node, RunSettings, Script};

/// Why a definition was refused; the message names the place.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("{source_name}: not valid TOML or wrong field: {message}")]
    Toml {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
}

/// How a contact's several phones are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneStrategy {
    /// One phone per attempt, the next phone on the next attempt.
    #[default]
    RoundRobin,
    /// Within one attempt, try the phones in order until one answers.
    Sequential,
}

/// The TOML as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    name: String,
    #[serde(default)]
    description: String,
    caller_id: String,
    dial: String,
    timezone: String,
    #[serde(default = "yes")]
    subscriber_local_time: bool,
    #[serde(default)]
    keep_open: bool,
    #[serde(default)]
    phone_strategy: PhoneStrategy,
    operator: Option<String>,
    #[serde(with = "duration_text", default = "default_ring")]
    ring_timeout: Duration,
    #[serde(with = "duration_text", default = "default_max_call")]
    max_call_duration: Duration,
    amd: Option<Amd>,
    #[serde(default)]
    schedule: ScheduleSpec,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    retry: RetryPolicy,
    #[serde(default)]
    webhooks: WebhookUrls,
    #[serde(default)]
    import: ImportSpec,
    script: Script,
}

/// The campaign's `[import]` table: how its CSV files are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// Header columns renamed before they are read: `{ "Сумма долга" = "BALANCE" }`.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
}

impl ImportSpec {
    /// One mapping: a column of the file, then a name of letters, digits and `_`.
    pub fn check_pair(from: &str, to: &str) -> Result<(), String> {
        let ok = !to.is_empty() && to.chars().all(|c| c.is_alphanumeric() || c == '_');
        if from.trim().is_empty() || !ok {
            return Err(format!(
                "column mapping `{from}={to}`: a column of the file, then a name of letters, digits and _"
            ));
        }
        Ok(())
    }
}

fn yes() -> bool {
    true
}
fn default_ring() -> Duration {
    Duration::from_secs(30)
}
fn default_max_call() -> Duration {
    Duration::from_secs(30 * 60)
}

/// A validated campaign definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignDef {
    pub name: String,
    pub description: String,
    /// Caller ID number (digits, optional leading `+`).
    pub caller_id: String,
    /// Dial string template with `{number}` (E.164 digits without `+`).
    pub dial: String,
    /// The campaign's zone: start/end, cron, and windows of contacts without their own zone
    /// (or of everyone when `subscriber_local_time` is off).
    pub timezone: Tz,
    pub subscriber_local_time: bool,
    /// Stay `running` when every contact is final (contacts will be added later).
    pub keep_open: bool,
    pub phone_strategy: PhoneStrategy,
    /// Default dial string of `bridge` nodes.
    pub operator: Option<String>,
    /// How long an originate rings before it is given up (no answer).
    pub ring_timeout: Duration,
    /// The longest an answered call may last: the switch hangs it up then (`sched_hangup`,
    /// cause ALLOTTED_TIMEOUT), a bridge to an operator included.
    pub max_call_duration: Duration,
    /// Answering-machine detection before the script's first node (`[amd]`; none: off).
    pub amd: Option<Amd>,
    pub schedule: Schedule,
    pub limits: Limits,
    pub retry: RetryPolicy,
    /// This campaign's own webhook receivers (besides outcall.toml's, which get every call).
    pub webhooks: WebhookUrls,
    /// How its CSV files are read (`[import]`).
    pub import: ImportSpec,
    pub script: Script,
    /// Variables the script needs from every contact, each with the first place it is used.
    pub script_vars: BTreeMap<String, String>,
    /// Variables the script passes through a filter: (variable, filter, place). Found once
    /// here, not by every import (a POSTed contact's).
    pub filtered_vars: Vec<(String, String, String)>,
    /// The TOML text this was parsed from (what the store keeps).
    pub source: String,
}

impl CampaignDef {
    /// Reads and validates a definition file.
    pub fn from_file(path: &std::path::Path) -> Result<CampaignDef, DefinitionError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DefinitionError::Invalid {
            source_name: shown.clone(),
            message: format!("cannot read: {e}"),
        })?;
        CampaignDef::from_toml_str(&text, &shown)
    }

    /// Parses and validates TOML text; `source_name` is shown in errors (a path, "request").
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<CampaignDef, DefinitionError> {
        let spec: Spec = toml::from_str(text).map_err(|e| DefinitionError::Toml {
            source_name: source_name.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        build(spec, text).map_err(|message| DefinitionError::Invalid {
            source_name: source_name.to_string(),
            message,
        })
    }

    /// What this campaign's script runs with: the default TTS engine and voice, and the
    /// operator a `bridge` without `to` dials.
    pub fn run_settings(&self) -> RunSettings {
        RunSettings {
            operator: self.operator.clone(),
            amd: self.amd.clone(),
            ..RunSettings::default()
        }
    }
}

fn build(spec: Spec, text: &str) -> Result<CampaignDef, String> {
    check_name(&spec.name)?;
    check_caller_id(&spec.caller_id)?;
    check_dial("dial", &spec.dial, true)?;
    if let Some(op) = &spec.operator {
        check_dial("operator", op, false)?;
    }
    let timezone = parse_tz(&spec.timezone).map_err(|e| format!("timezone: {e}"))?;
    let schedule = Schedule::resolve(&spec.schedule, timezone)?;
    check_limits(&spec.limits)?;
    check_retry(&spec.retry)?;
    spec.webhooks.check("webhooks")?;
    for (from, to) in &spec.import.map {
        ImportSpec::check_pair(from, to).map_err(|e| format!("import.map: {e}"))?;
    }
    spec.script.validate()?;
    for (name, node) in &spec.script.nodes {
        if let Node::Bridge(crate::script::nodes::bridge::Bridge { to, .. }) = node {
            match to.as_deref().or(spec.operator.as_deref()) {
                None => {
                    return Err(format!(
                        "script.nodes.{name}.to: no `to` here and no campaign `operator`"
                    ))
                }
                Some(t) => check_dial(&format!("script.nodes.{name}.to"), t, false)?,
            }
        }
    }
    check_call_limits(&spec)?;
    let script_vars = spec.script.variables();
    let filtered_vars = spec.script.filtered_vars();
    Ok(CampaignDef {
        name: spec.name,
        description: spec.description,
        caller_id: spec.caller_id,
        dial: spec.dial,
        timezone,
        subscriber_local_time: spec.subscriber_local_time,
        keep_open: spec.keep_open,
        phone_strategy: spec.phone_strategy,
        operator: spec.operator,
        ring_timeout: spec.ring_timeout,
        max_call_duration: spec.max_call_duration,
        amd: spec.amd,
        schedule,
        limits: spec.limits,
        retry: spec.retry,
        webhooks: spec.webhooks,
        import: spec.import,
        script: spec.script,
        script_vars,
        filtered_vars,
        source: text.to_string(),
    })
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().count() <= 100
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "name: `{name}`: use 1-100 letters, digits, `-`, `_` or `.` (it is typed on the command line)"
        ))
    }
}

fn check_caller_id(id: &str) -> Result<(), String> {
    let digits = id.strip_prefix('+').unwrap_or(id);
    if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "caller_id: `{id}` is not a number (digits, optional leading +)"
        ));
    }
    Ok(())
}

fn check_dial(place: &str, dial: &str, needs_number: bool) -> Result<(), String> {
    if dial.is_empty() || dial.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{place}: `{}` must be one word without spaces or line breaks",
            dial.escape_debug()
        ));
    }
    if needs_number && !dial.contains("{number}") {
        return Err(format!(
            "{place}: `{dial}` has no `{{number}}` (e.g. sofia/gateway/demo/{{number}})"
        ));
    }
    let rest = dial.replace("{number}", "");
    if rest.contains(['{', '}']) {
        return Err(format!(
            "{place}: `{dial}`: only `{{number}}` may appear in braces"
        ));
    }
    Ok(())
}

/// The call's own bounds: the longest call, and the answering-machine detection's settings
/// (its voicemail node must exist and be a `voicemail` node).
fn check_call_limits(spec: &Spec) -> Result<(), String> {
    let max = spec.max_call_duration;
    if max < Duration::from_secs(10) || max > Duration::from_secs(24 * 3600) {
        return Err(format!(
            "max_call_duration: `{}` (allowed 10s..24h)",
            duration_text::format(max)
        ));
    }
    let Some(amd) = &spec.amd else {
        return Ok(());
    };
    amd.check("amd")?;
    if let Some(vm) = &amd.voicemail {
        match spec.script.nodes.get(vm) {
            Some(Node::Voicemail(_)) => {}
            Some(other) => {
                return Err(format!(
                    "amd.voicemail: node `{vm}` is a {} node; name a `voicemail` node (it waits for the beep)",
                    other.kind()
                ))
            }
            None => return Err(format!("amd.voicemail: unknown node `{vm}`")),
        }
    }
    Ok(())
}

fn check_limits(l: &Limits) -> Result<(), String> {
    if l.lines == 0 {
        return Err("limits.lines: at least 1".into());
    }
    if !(l.cps > 0.0 && l.cps.is_finite()) {
        return Err("limits.cps: above zero".into());
    }
    Ok(())
}

fn check_retry(r: &RetryPolicy) -> Result<(), String> {
    if !(1..=99).contains(&r.max_attempts) {
        return Err(format!(
            "retry.max_attempts: {} (allowed 1..99)",
            r.max_attempts
        ));
    }
    let never = [
        Disposition::Answered,
        Disposition::Technical,
        Disposition::Transferred,
        Disposition::Interrupted,
    ];
    if let Some(d) = r.retry_on.iter().find(|d| never.contains(d)) {
        return Err(format!(
            "retry.retry_on: `{d}` cannot be listed (technical errors and interrupted calls have their own backoff; answered and transferred are successes)"
        ));
    }
    if r.technical_errors_per_attempt == 0 || r.pause_after_technical_errors == 0 {
        return Err("retry: technical_errors_per_attempt and pause_after_technical_errors must be at least 1".into());
    }
    if r.technical_backoff.is_zero() || r.technical_backoff_max < r.technical_backoff {
        return Err(
            "retry.technical_backoff: above zero and not above technical_backoff_max".into(),
        );
    }
    crate::model::recall::check(r)
}

#[cfg(test)]
#[path = "definition_tests.rs"]
mod tests;
