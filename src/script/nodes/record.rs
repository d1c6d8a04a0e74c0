//! `record`: records the call from here on (`record_session`); `file` is a path template whose
//! values each become one safe segment, so the file stays inside the template's folder. The
//! stored path is the one sent to the switch.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::model::duration_text;
use crate::script::run::{check_path_template, render_path, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub file: String,
    #[serde(with = "duration_text", default = "default_max")]
    pub max: Duration,
    pub next: Option<String>,
}

fn default_max() -> Duration {
    super::secs(60)
}

impl NodeSpec for Record {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        vec![exit("next", &self.next)]
    }
    fn templates(&self) -> Vec<(&'static str, &str)> {
        vec![("file", &self.file)]
    }
    fn check(&self, place: &str) -> Result<(), String> {
        check_path_template(&format!("{place}.file"), &self.file)
    }
}

impl Record {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let path = render_path(&self.file, cx.vars)?;
        let secs = u32::try_from(self.max.as_secs()).unwrap_or(u32::MAX);
        cx.ch
            .execute(&sw::record_session(&path, Some(secs))?)
            .await?;
        cx.out.recording = Some(path);
        Ok(self.next.clone())
    }
}
