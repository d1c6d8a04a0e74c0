//! `dtmf`: sends DTMF keys to the callee (FreeSWITCH `send_dtmf`), e.g. an extension once a
//! company's PBX has answered. `digits` is a template (`{{EXT}}`); what it renders to must be
//! DTMF keys only (0-9 * # A-D, at most 32), else the step fails and the call ends: a value
//! from the contact list can never become switch syntax.

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::script::run::{render_text, sample_of, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dtmf {
    pub digits: String,
    pub next: Option<String>,
}

impl NodeSpec for Dtmf {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        vec![exit("next", &self.next)]
    }
    fn templates(&self) -> Vec<(&'static str, &str)> {
        vec![("digits", &self.digits)]
    }
    fn check(&self, place: &str) -> Result<(), String> {
        // The configured part alone (values stand for one key each) must be keys.
        let sample = sample_of(&format!("{place}.digits"), &self.digits, "1")?;
        sw::send_dtmf(sample.trim())
            .map(|_| ())
            .map_err(|e| format!("{place}.digits: `{}`: {e}", self.digits))
    }
}

impl Dtmf {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let keys = render_text(&self.digits, cx.vars)?;
        cx.ch.execute(&sw::send_dtmf(keys.trim())?).await?;
        Ok(self.next.clone())
    }
}
