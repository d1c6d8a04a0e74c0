//! `voicemail`: on an answering machine, waits for its beep before the message is left.
//! Starts mod_avmd on the channel (`avmd_start`), waits up to `wait` for its CUSTOM
//! `avmd::beep` event (mod_avmd fires it, and sets `avmd_detect=TRUE`, when it hears the
//! tone), stops it (`avmd_stop`), then goes on to `next` (the message), or to `on_no_beep`
//! (default `next`) when no beep came in time. The campaign's `[amd] voicemail` names it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::model::duration_text;
use crate::script::run::{Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

/// The CUSTOM event subclass mod_avmd fires on a beep.
pub const BEEP_EVENT: &str = "avmd::beep";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voicemail {
    #[serde(with = "duration_text", default = "default_wait")]
    pub wait: Duration,
    pub next: Option<String>,
    pub on_no_beep: Option<String>,
}

fn default_wait() -> Duration {
    super::secs(30)
}

impl NodeSpec for Voicemail {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        let mut v = vec![exit("next", &self.next)];
        if self.on_no_beep.is_some() {
            v.push(exit("on_no_beep", &self.on_no_beep));
        }
        v
    }
    fn check(&self, place: &str) -> Result<(), String> {
        if self.wait.is_zero() || self.wait > super::secs(120) {
            return Err(format!("{place}.wait: 1s..2m"));
        }
        Ok(())
    }
}

impl Voicemail {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        cx.ch.execute(&sw::bare("avmd_start")?).await?;
        let beep = cx.ch.wait_custom(BEEP_EVENT, self.wait).await?;
        cx.ch.execute(&sw::bare("avmd_stop")?).await?;
        cx.out.beep = Some(beep);
        if beep {
            return Ok(self.next.clone());
        }
        Ok(self.on_no_beep.clone().or_else(|| self.next.clone()))
    }
}
