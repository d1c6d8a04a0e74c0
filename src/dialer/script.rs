//! The call script interpreter: runs a [`Flow`] on one answered channel, step by step, over
//! the abstract [`Channel`] (the call actor implements it with ESL `sendmsg execute`; tests use
//! a fake). Application results are read from the channel variables of the
//! CHANNEL_EXECUTE_COMPLETE event (PROTOCOL.md section 12), never from Application-Response.

use std::collections::HashMap;
use std::future::Future;

use super::flow::{Flow, Menu, Prompt, Step};
use super::template::{render, render_with, TemplateError};
use crate::campaign::model::Disposition;
use crate::esl::command::app::{self as sw, DigitsPrompt};
use crate::esl::command::{AppCall, CommandError};

/// The channel variable play_and_get_digits stores the entry in.
pub const DIGITS_VAR: &str = "outcall_digits";
/// A script never runs more steps than this (a loop in a menu ends here).
pub const MAX_STEPS: usize = 200;

/// What CHANNEL_EXECUTE_COMPLETE said about an application.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppResult {
    /// `Application-Response` (kept for logs only).
    pub response: String,
    /// Channel variables of the event, without the `variable_` prefix.
    pub vars: HashMap<String, String>,
}

/// Why the channel could not run an application.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("the call has hung up")]
    HungUp,
    #[error("{0}")]
    Failed(String),
}

/// A live call the script can act on.
pub trait Channel: Send {
    /// Runs an application (built by `esl::command::app`, the only way to make one) and waits
    /// for its CHANNEL_EXECUTE_COMPLETE.
    fn execute(
        &mut self,
        call: &AppCall,
    ) -> impl Future<Output = Result<AppResult, ChannelError>> + Send;
    /// Hangs the call up with a cause.
    fn hangup(&mut self, cause: &str) -> impl Future<Output = Result<(), ChannelError>> + Send;
    /// Posts the call's state to a webhook; returns the exit name it answered, if any.
    fn webhook(
        &mut self,
        url: &str,
        payload: serde_json::Value,
        timeout_ms: u32,
    ) -> impl Future<Output = Result<Option<String>, ChannelError>> + Send;
}

/// What the script did, for the disposition and the attempt row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptOutcome {
    pub bridged: bool,
    pub opted_out: bool,
    pub disposition: Option<Disposition>,
    pub tags: Vec<String>,
    /// The last digits entered in a menu.
    pub digits: Option<String>,
    pub recording: Option<String>,
    /// `bridge_hangup_cause` of the last bridge.
    pub bridge_cause: Option<String>,
    /// The callee hung up before the script ended.
    pub callee_hung_up: bool,
    /// A problem in the script itself (template, missing step), for the logs and the campaign.
    pub error: Option<String>,
    /// Steps run, in order.
    pub trace: Vec<String>,
}

/// Runs `flow` on `channel` with the contact's variables; hangs up at the end.
pub async fn run<C: Channel>(
    flow: &Flow,
    vars: &HashMap<String, String>,
    channel: &mut C,
) -> ScriptOutcome {
    let mut out = ScriptOutcome::default();
    let mut current = Some(flow.start.clone());
    let mut hangup_cause = "NORMAL_CLEARING".to_string();
    while let Some(name) = current.take() {
        if out.trace.len() >= MAX_STEPS {
            out.error = Some(format!("script ran {MAX_STEPS} steps without ending"));
            break;
        }
        let Some(step) = flow.steps.get(&name) else {
            out.error = Some(format!("script step `{name}` does not exist"));
            break;
        };
        out.trace.push(name.clone());
        if let Step::Hangup { cause } = step {
            if let Some(c) = cause {
                hangup_cause = c.clone();
            }
            break;
        }
        match run_step(flow, step, vars, channel, &mut out).await {
            Ok(next) => current = next,
            Err(StepError::HungUp) => {
                out.callee_hung_up = true;
                return out;
            }
            Err(StepError::Script(e)) => {
                out.error = Some(format!("step `{name}`: {e}"));
                break;
            }
        }
    }
    if channel.hangup(&hangup_cause).await == Err(ChannelError::HungUp) {
        out.callee_hung_up = true;
    }
    out
}

pub enum StepError {
    HungUp,
    Script(String),
}

impl From<ChannelError> for StepError {
    fn from(e: ChannelError) -> Self {
        match e {
            ChannelError::HungUp => StepError::HungUp,
            ChannelError::Failed(m) => StepError::Script(m),
        }
    }
}

impl From<TemplateError> for StepError {
    fn from(e: TemplateError) -> Self {
        StepError::Script(e.to_string())
    }
}

impl From<CommandError> for StepError {
    fn from(e: CommandError) -> Self {
        StepError::Script(format!("cannot be sent to the switch: {e}"))
    }
}

/// Renders a file path: each value becomes one safe path segment ([`sw::path_part`]).
fn render_path(template: &str, vars: &HashMap<String, String>) -> Result<String, TemplateError> {
    render_with(template, vars, |v| Ok(sw::path_part(v)))
}

/// Renders a dial string: a value that is not a plain dial word is refused ([`sw::dial_part`]).
fn render_dial(template: &str, vars: &HashMap<String, String>) -> Result<String, TemplateError> {
    render_with(template, vars, |v| {
        sw::dial_part(v)
            .map(str::to_string)
            .map_err(|e| TemplateError::Unplaceable(format!("value {v:?} in a dial string: {e}")))
    })
}

async fn run_step<C: Channel>(
    flow: &Flow,
    step: &Step,
    vars: &HashMap<String, String>,
    ch: &mut C,
    out: &mut ScriptOutcome,
) -> Result<Option<String>, StepError> {
    match step {
        Step::Play { file, next } => {
            ch.execute(&sw::playback(&render_path(file, vars)?)?)
                .await?;
            Ok(next.clone())
        }
        Step::Speak {
            text,
            engine,
            voice,
            next,
        } => {
            let engine = engine.as_deref().unwrap_or(&flow.tts_engine);
            let voice = voice.as_deref().unwrap_or(&flow.tts_voice);
            ch.execute(&sw::speak(engine, voice, &render(text, vars)?)?)
                .await?;
            Ok(next.clone())
        }
        Step::Say {
            lang,
            kind,
            method,
            gender,
            text,
            next,
        } => {
            let text = render(text, vars)?;
            let call = sw::say(lang, kind, method, gender.as_deref(), &text)?;
            ch.execute(&call).await?;
            Ok(next.clone())
        }
        Step::Menu(menu) => run_menu(flow, menu, vars, ch, out).await,
        Step::Bridge {
            dial_string,
            timeout_secs,
            caller_id,
            next,
            on_failure,
        } => {
            let timeout = timeout_secs.to_string();
            let cid = caller_id
                .as_ref()
                .map(|c| render_dial(c, vars))
                .transpose()?;
            let mut bvars = vec![("leg_timeout", timeout.as_str())];
            if let Some(c) = &cid {
                bvars.push(("origination_caller_id_number", c.as_str()));
            }
            let call = sw::bridge(&bvars, &render_dial(dial_string, vars)?)?;
            let res = ch.execute(&call).await?;
            out.bridge_cause = res.vars.get("bridge_hangup_cause").cloned();
            if bridge_succeeded(&res) {
                out.bridged = true;
                Ok(next.clone())
            } else {
                Ok(on_failure.clone())
            }
        }
        Step::Record {
            path,
            max_secs,
            next,
        } => {
            let path = render_path(path, vars)?;
            ch.execute(&sw::record_session(&path, *max_secs)?).await?;
            out.recording = Some(path);
            Ok(next.clone())
        }
        Step::Set {
            disposition,
            tag,
            dnc,
            next,
        } => {
            if let Some(d) = disposition {
                out.disposition = Some(*d);
            }
            if *dnc || *disposition == Some(Disposition::OptedOut) {
                out.opted_out = true;
            }
            if let Some(t) = tag {
                out.tags.push(render(t, vars)?);
            }
            Ok(next.clone())
        }
        Step::Webhook {
            url,
            timeout_ms,
            exits,
            next,
        } => {
            let payload = serde_json::json!({
                "vars": vars,
                "digits": out.digits,
                "tags": out.tags,
                "bridged": out.bridged,
                "trace": out.trace,
            });
            let exit = ch.webhook(&render(url, vars)?, payload, *timeout_ms).await;
            let chosen = match exit {
                Ok(Some(e)) => exits.iter().find(|(k, _)| *k == e).map(|(_, s)| s.clone()),
                Ok(None) => None,
                Err(ChannelError::HungUp) => return Err(StepError::HungUp),
                Err(ChannelError::Failed(m)) => {
                    tracing::warn!(url = %url, error = %m, "webhook failed; taking its default exit");
                    None
                }
            };
            Ok(chosen.or_else(|| next.clone()))
        }
        Step::Hangup { .. } => Ok(None),
    }
}

async fn run_menu<C: Channel>(
    flow: &Flow,
    menu: &Menu,
    vars: &HashMap<String, String>,
    ch: &mut C,
    out: &mut ScriptOutcome,
) -> Result<Option<String>, StepError> {
    if let Prompt::Speak(text) = &menu.prompt {
        let call = sw::speak(&flow.tts_engine, &flow.tts_voice, &render(text, vars)?)?;
        ch.execute(&call).await?;
    }
    let call = menu_call(flow, menu, vars)?;
    let res = ch.execute(&call).await?;
    let entered = res.vars.get(DIGITS_VAR).filter(|d| !d.is_empty());
    if let Some(digits) = entered {
        out.digits = Some(digits.clone());
        if let Some((_, target)) = menu.choices.iter().find(|(d, _)| d == digits) {
            return Ok(Some(target.clone()));
        }
        return Ok(menu.on_invalid.clone().or_else(|| menu.on_timeout.clone()));
    }
    let invalid_var = format!("{DIGITS_VAR}_invalid");
    if res.vars.get(&invalid_var).is_some_and(|v| !v.is_empty()) {
        return Ok(menu.on_invalid.clone().or_else(|| menu.on_timeout.clone()));
    }
    Ok(menu.on_timeout.clone())
}

/// The play_and_get_digits application:
/// `<min> <max> <tries> <timeout_ms> <terminators> <file> <invalid_file> <var> <regex>`.
pub fn menu_call(
    flow: &Flow,
    menu: &Menu,
    vars: &HashMap<String, String>,
) -> Result<AppCall, StepError> {
    let lens = menu.choices.iter().map(|(d, _)| d.chars().count());
    let min = lens.clone().min().unwrap_or(1).max(1);
    let max = lens.max().unwrap_or(1).max(1);
    let terminators = if menu.choices.iter().any(|(d, _)| d.contains('#')) {
        "none"
    } else {
        "#"
    };
    let file = prompt_file(flow, &menu.prompt, vars)?;
    let invalid = match &menu.invalid_prompt {
        Some(p) => prompt_file(flow, p, vars)?,
        None => "silence_stream://250".to_string(),
    };
    let choices: Vec<&str> = menu.choices.iter().map(|(d, _)| d.as_str()).collect();
    let regex = sw::digits_regex(&choices)?;
    let call = sw::play_and_get_digits(&DigitsPrompt {
        min: u32::try_from(min).unwrap_or(1),
        max: u32::try_from(max).unwrap_or(1),
        tries: menu.tries.max(1),
        timeout_ms: menu.timeout_ms,
        terminators,
        file: &file,
        invalid_file: &invalid,
        var: DIGITS_VAR,
        regex: &regex,
    })?;
    Ok(call)
}

/// A prompt as the play_and_get_digits file argument (one word: the argument is split on
/// spaces). A spoken prompt is said with `speak` just before, and the digits are then collected
/// over a short silence, so the text never has to fit in one argument.
pub fn prompt_file(
    _flow: &Flow,
    prompt: &Prompt,
    vars: &HashMap<String, String>,
) -> Result<String, TemplateError> {
    Ok(match prompt {
        Prompt::File(f) => render_path(f, vars)?,
        Prompt::Speak(_) => "silence_stream://250".to_string(),
    })
}

/// Did the bridge reach the operator? FreeSWITCH sets DIALSTATUS (SUCCESS when answered) and
/// originate_disposition in the EXECUTE_COMPLETE variables.
pub fn bridge_succeeded(res: &AppResult) -> bool {
    let ok = |k: &str| {
        res.vars
            .get(k)
            .is_some_and(|v| v.eq_ignore_ascii_case("SUCCESS") || v.eq_ignore_ascii_case("ANSWER"))
    };
    ok("DIALSTATUS") || ok("originate_disposition")
}
