//! `pause`: the call waits `ms` milliseconds in silence (FreeSWITCH `sleep`), e.g. before a
//! `dtmf` node while a PBX answers, or between two prompts.

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::script::run::{Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

/// The longest pause a script may hold a line for.
pub const MAX_PAUSE_MS: u32 = 60_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    pub ms: u32,
    pub next: Option<String>,
}

impl NodeSpec for Pause {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        vec![exit("next", &self.next)]
    }
    fn check(&self, place: &str) -> Result<(), String> {
        if !(1..=MAX_PAUSE_MS).contains(&self.ms) {
            return Err(format!(
                "{place}.ms: {} (allowed 1..{MAX_PAUSE_MS} milliseconds)",
                self.ms
            ));
        }
        Ok(())
    }
}

impl Pause {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        cx.ch.execute(&sw::sleep(self.ms)?).await?;
        Ok(self.next.clone())
    }
}
