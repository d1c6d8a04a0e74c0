//! `speak`: a text template said by the TTS engine (FreeSWITCH `speak engine|voice|text`).

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::script::run::{render_text, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

/// TTS engine and voice when neither the node nor the campaign names one: espeak-ng through
/// mod_tts_commandline, Russian (freeswitch/ configures it).
pub const DEFAULT_TTS_ENGINE: &str = "tts_commandline";
pub const DEFAULT_TTS_VOICE: &str = "ru";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speak {
    pub text: String,
    pub voice: Option<String>,
    pub engine: Option<String>,
    pub next: Option<String>,
}

impl NodeSpec for Speak {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        vec![exit("next", &self.next)]
    }
    fn templates(&self) -> Vec<(&'static str, &str)> {
        vec![("text", &self.text)]
    }
    fn check(&self, place: &str) -> Result<(), String> {
        for (field, v) in [("engine", &self.engine), ("voice", &self.voice)] {
            if let Some(v) = v {
                if v.is_empty() || v.contains(['|', ' ']) {
                    return Err(format!(
                        "{place}.{field}: `{v}` must be one word without `|`"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Speak {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let engine = self.engine.as_deref().unwrap_or(&cx.settings.tts_engine);
        let voice = self.voice.as_deref().unwrap_or(&cx.settings.tts_voice);
        let call = sw::speak(engine, voice, &render_text(&self.text, cx.vars)?)?;
        cx.ch.execute(&call).await?;
        Ok(self.next.clone())
    }
}
