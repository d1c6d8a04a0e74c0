//! The interpreter: runs a [`Script`] on one answered channel, node by node, over the abstract
//! [`Channel`] (the call module implements it with ESL `sendmsg execute`; tests use a fake).
//! Application results are read from the channel variables of the CHANNEL_EXECUTE_COMPLETE
//! event (PROTOCOL.md section 12), never from Application-Response. Every application is made
//! by `esl::command::app`, so no subscriber data becomes FreeSWITCH syntax.

use std::collections::HashMap;
use std::future::Future;

use super::amd::{Amd, OnMachine, Verdict};
use super::nodes::hangup::Hangup;
use super::template::{render_with, TemplateError};
use super::{Node, Script};
use crate::esl::command::app as sw;
use crate::esl::command::{AppCall, CommandError};
use crate::model::Disposition;

/// A script never runs more nodes than this (a loop in a menu ends here).
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
    /// Waits up to `timeout` for a CUSTOM event of `subclass` about this channel (mod_avmd's
    /// `avmd::beep`); true when it came.
    fn wait_custom(
        &mut self,
        subclass: &str,
        timeout: std::time::Duration,
    ) -> impl Future<Output = Result<bool, ChannelError>> + Send;
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
    /// A problem in the script itself (template, refused value), for the logs and the campaign.
    pub error: Option<String>,
    /// Nodes run, in order.
    pub trace: Vec<String>,
    /// The answering-machine detection's verdict, when the campaign has `[amd]`.
    pub amd: Option<Verdict>,
    /// A `voicemail` node heard the beep (Some(false): it waited in vain).
    pub beep: Option<bool>,
}

impl ScriptOutcome {
    /// The detection found a machine.
    pub fn machine(&self) -> bool {
        matches!(self.amd, Some(Verdict::Machine(_)))
    }
}

/// What a script runs with besides its nodes: defaults its nodes may override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    /// Text-to-speech engine and voice for `speak` and spoken menu prompts.
    pub tts_engine: String,
    pub tts_voice: String,
    /// The dial string a `bridge` node without `to` uses (the campaign's operator).
    pub operator: Option<String>,
    /// Answering-machine detection before the first node (the campaign's `[amd]`).
    pub amd: Option<Amd>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            tts_engine: super::nodes::speak::DEFAULT_TTS_ENGINE.into(),
            tts_voice: super::nodes::speak::DEFAULT_TTS_VOICE.into(),
            operator: None,
            amd: None,
        }
    }
}

/// What a node runs with.
pub struct Cx<'a, C> {
    pub ch: &'a mut C,
    pub vars: &'a HashMap<String, String>,
    pub settings: &'a RunSettings,
    pub out: &'a mut ScriptOutcome,
    /// The cause the call is hung up with at the end.
    pub hangup_cause: String,
}

/// Why a node could not go on.
#[derive(Debug)]
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

/// Renders free text (the builders make it [`sw::spoken`]).
pub(crate) fn render_text(
    t: &str,
    vars: &HashMap<String, String>,
) -> Result<String, TemplateError> {
    super::template::render(t, vars)
}

/// Renders a file path: each value becomes one safe path segment ([`sw::path_part`]).
pub(crate) fn render_path(
    t: &str,
    vars: &HashMap<String, String>,
) -> Result<String, TemplateError> {
    render_with(t, vars, |v| Ok(sw::path_part(v)))
}

/// Renders a dial string: a value that is not a plain dial word is refused ([`sw::dial_part`]).
pub(crate) fn render_dial(
    t: &str,
    vars: &HashMap<String, String>,
) -> Result<String, TemplateError> {
    render_with(t, vars, |v| {
        sw::dial_part(v)
            .map(str::to_string)
            .map_err(|e| TemplateError::Unplaceable(format!("value {v:?} in a dial string: {e}")))
    })
}

/// Checks a path template at load: with every `{{VAR}}` standing for a plain value, the path
/// must be one the switch takes as one file (`esl::command::app::check_path`), so a space or a
/// `+` in the configured part is reported by `campaign check`, not on every call.
pub(crate) fn check_path_template(place: &str, template: &str) -> Result<(), String> {
    let sample = sample_of(place, template, "x")?;
    sw::check_path("path", &sample).map_err(|e| format!("{place}: `{template}`: {e}"))
}

/// A template with every `{{VAR}}` replaced by `stand_in`: what the configured part makes of a
/// plain value, for the checks at load.
pub(crate) fn sample_of(place: &str, template: &str, stand_in: &str) -> Result<String, String> {
    let parsed = super::Template::parse(template).map_err(|e| format!("{place}: {e}"))?;
    Ok(parsed
        .parts
        .iter()
        .map(|p| match p {
            super::Part::Text(t) => t.as_str(),
            super::Part::Var { .. } => stand_in,
        })
        .collect())
}

/// Runs `script` on `channel` with the contact's variables; hangs up at the end.
pub async fn run<C: Channel>(
    script: &Script,
    settings: &RunSettings,
    vars: &HashMap<String, String>,
    channel: &mut C,
) -> ScriptOutcome {
    let mut out = ScriptOutcome::default();
    let mut cx = Cx {
        ch: channel,
        vars,
        settings,
        out: &mut out,
        hangup_cause: Hangup::DEFAULT_CAUSE.to_string(),
    };
    let mut current = Some(script.start.clone());
    if let Some(amd) = &settings.amd {
        match super::amd::detect(amd, &mut cx).await {
            Ok(verdict) => {
                tracing::info!(verdict = ?verdict, "answering-machine detection");
                cx.out.amd = Some(verdict);
                if matches!(verdict, Verdict::Machine(_)) {
                    current = match amd.on_machine {
                        OnMachine::Hangup => None,
                        OnMachine::Voicemail => amd.voicemail.clone(),
                        OnMachine::Continue => current,
                    };
                }
            }
            Err(StepError::HungUp) => {
                cx.out.callee_hung_up = true;
                return out;
            }
            Err(StepError::Script(e)) => {
                cx.out.error = Some(format!("answering-machine detection: {e}"));
                current = None;
            }
        }
    }
    while let Some(name) = current.take() {
        if cx.out.trace.len() >= MAX_STEPS {
            cx.out.error = Some(format!("script ran {MAX_STEPS} steps without ending"));
            break;
        }
        let Some(node) = script.nodes.get(&name) else {
            cx.out.error = Some(format!("script step `{name}` does not exist"));
            break;
        };
        cx.out.trace.push(name.clone());
        if let Node::Hangup(h) = node {
            h.set_cause(&mut cx);
            break;
        }
        match node.execute(&mut cx).await {
            Ok(next) => current = next,
            Err(StepError::HungUp) => {
                cx.out.callee_hung_up = true;
                return out;
            }
            Err(StepError::Script(e)) => {
                cx.out.error = Some(format!("step `{name}`: {e}"));
                break;
            }
        }
    }
    let cause = std::mem::take(&mut cx.hangup_cause);
    if cx.ch.hangup(&cause).await == Err(ChannelError::HungUp) {
        cx.out.callee_hung_up = true;
    }
    out
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
