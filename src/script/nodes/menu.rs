//! `menu`: a prompt, then digits (play_and_get_digits): `digits` maps an entry to a node;
//! `on_timeout` when nothing was pressed in any try, `on_invalid` when the last entry was not a
//! choice. A spoken prompt is said with `speak` first and the digits are collected over a short
//! silence, so the text never has to fit in one play_and_get_digits argument; with `tries` above
//! one the prompt is said again before each try (and a spoken `invalid` after each failed one),
//! as play_and_get_digits replays a file prompt and its invalid file.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::esl::command::app::{self as sw, DigitsPrompt};
use crate::model::duration_text;
use crate::script::run::{check_path_template, render_path, render_text, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec, Prompt};

/// The channel variable play_and_get_digits stores the entry in.
pub const DIGITS_VAR: &str = "outcall_digits";
const SILENCE: &str = "silence_stream://250";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    pub prompt: Prompt,
    /// Said after each wrong or missing entry (FreeSWITCH plays it after every failed try).
    pub invalid: Option<Prompt>,
    pub digits: BTreeMap<String, String>,
    #[serde(with = "duration_text", default = "default_timeout")]
    pub timeout: Duration,
    #[serde(default = "default_tries")]
    pub tries: u32,
    pub on_timeout: Option<String>,
    pub on_invalid: Option<String>,
}

fn default_timeout() -> Duration {
    super::secs(5)
}
fn default_tries() -> u32 {
    2
}

impl NodeSpec for Menu {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        let mut v: Vec<_> = self
            .digits
            .iter()
            .map(|(d, t)| (format!("digits.\"{d}\""), Some(t.as_str())))
            .collect();
        v.push(exit("on_timeout", &self.on_timeout));
        v.push(exit("on_invalid", &self.on_invalid));
        v
    }
    fn templates(&self) -> Vec<(&'static str, &str)> {
        let mut v: Vec<(&'static str, &str)> = Vec::new();
        v.extend(self.prompt.text.iter().map(|t| ("prompt.text", t.as_str())));
        v.extend(self.prompt.file.iter().map(|t| ("prompt.file", t.as_str())));
        if let Some(p) = &self.invalid {
            v.extend(p.text.iter().map(|t| ("invalid.text", t.as_str())));
            v.extend(p.file.iter().map(|t| ("invalid.file", t.as_str())));
        }
        v
    }
    fn check(&self, place: &str) -> Result<(), String> {
        for (field, p) in [
            ("prompt", Some(&self.prompt)),
            ("invalid", self.invalid.as_ref()),
        ] {
            if let Some(p) = p {
                if p.file.is_none() == p.text.is_none() {
                    return Err(format!(
                        "{place}.{field}: give exactly one of `file` or `text`"
                    ));
                }
            }
        }
        for (field, p) in [
            ("prompt", Some(&self.prompt)),
            ("invalid", self.invalid.as_ref()),
        ] {
            if let Some(f) = p.and_then(|p| p.file.as_deref()) {
                check_path_template(&format!("{place}.{field}.file"), f)?;
            }
        }
        if self.tries == 0 {
            return Err(format!("{place}.tries: at least 1"));
        }
        if let Some(d) = self.digits.keys().find(|d| !is_dtmf(d)) {
            return Err(format!(
                "{place}.digits: `{d}` is not one DTMF key (0-9, *, #)"
            ));
        }
        Ok(())
    }
}

fn is_dtmf(d: &str) -> bool {
    d.len() == 1
        && d.chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
}

/// What one collection came to.
enum Entry {
    Choice(String),
    Invalid(String),
    Nothing,
}

impl Menu {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let spoken = self.prompt.text.is_some() || self.invalid_text().is_some();
        // A file prompt is replayed by play_and_get_digits itself on each try; a spoken one is
        // said again here before each try, and a spoken `invalid` after each failed one.
        let (rounds, per_round) = if spoken {
            (self.tries.max(1), 1)
        } else {
            (1, self.tries.max(1))
        };
        let mut last = Entry::Nothing;
        for _ in 0..rounds {
            if let Some(text) = &self.prompt.text {
                let s = &cx.settings;
                let call = sw::speak(&s.tts_engine, &s.tts_voice, &render_text(text, cx.vars)?)?;
                cx.ch.execute(&call).await?;
            }
            let res = cx.ch.execute(&self.collect(cx.vars, per_round)?).await?;
            last = self.entry(&res.vars);
            match &last {
                Entry::Choice(target) => {
                    cx.out.digits = res.vars.get(DIGITS_VAR).cloned();
                    return Ok(Some(target.clone()));
                }
                Entry::Invalid(d) if !d.is_empty() => cx.out.digits = Some(d.clone()),
                _ => {}
            }
            if let Some(text) = self.invalid_text() {
                let s = &cx.settings;
                let call = sw::speak(&s.tts_engine, &s.tts_voice, &render_text(text, cx.vars)?)?;
                cx.ch.execute(&call).await?;
            }
        }
        Ok(match last {
            Entry::Invalid(_) => self.on_invalid.clone().or_else(|| self.on_timeout.clone()),
            _ => self.on_timeout.clone(),
        })
    }

    fn invalid_text(&self) -> Option<&str> {
        self.invalid.as_ref().and_then(|p| p.text.as_deref())
    }

    /// Reads play_and_get_digits' result: the entry in `outcall_digits` (a choice, or not one),
    /// or `outcall_digits_invalid` (set when the entry failed the regex).
    fn entry(&self, vars: &HashMap<String, String>) -> Entry {
        if let Some(digits) = vars.get(DIGITS_VAR).filter(|d| !d.is_empty()) {
            return match self.digits.get(digits) {
                Some(target) => Entry::Choice(target.clone()),
                None => Entry::Invalid(digits.clone()),
            };
        }
        let invalid_var = format!("{DIGITS_VAR}_invalid");
        match vars.get(&invalid_var).filter(|v| !v.is_empty()) {
            Some(v) => Entry::Invalid(v.clone()),
            None => Entry::Nothing,
        }
    }

    /// The play_and_get_digits application of this menu.
    pub fn collect(
        &self,
        vars: &HashMap<String, String>,
        tries: u32,
    ) -> Result<crate::esl::command::AppCall, StepError> {
        let lens = self.digits.keys().map(|d| d.chars().count());
        let min = lens.clone().min().unwrap_or(1).max(1);
        let max = lens.max().unwrap_or(1).max(1);
        let terminators = if self.digits.keys().any(|d| d.contains('#')) {
            "none"
        } else {
            "#"
        };
        let file = prompt_file(Some(&self.prompt), vars)?;
        let invalid = prompt_file(self.invalid.as_ref(), vars)?;
        let choices: Vec<&str> = self.digits.keys().map(String::as_str).collect();
        let regex = sw::digits_regex(&choices)?;
        let call = sw::play_and_get_digits(&DigitsPrompt {
            min: u32::try_from(min).unwrap_or(1),
            max: u32::try_from(max).unwrap_or(1),
            tries: tries.max(1),
            timeout_ms: u32::try_from(self.timeout.as_millis()).unwrap_or(u32::MAX),
            terminators,
            file: &file,
            invalid_file: &invalid,
            var: DIGITS_VAR,
            regex: &regex,
        })?;
        Ok(call)
    }
}

/// A prompt as a play_and_get_digits file argument: a file (its values made path-safe), or a
/// short silence for a spoken prompt (said before) or none.
fn prompt_file(p: Option<&Prompt>, vars: &HashMap<String, String>) -> Result<String, StepError> {
    Ok(match p.and_then(|p| p.file.as_deref()) {
        Some(f) => render_path(f, vars)?,
        None => SILENCE.to_string(),
    })
}
