//! `play`: a sound file (a path or URL as FreeSWITCH takes it; `{{VAR}}` values become one
//! safe path segment each).

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::script::run::{check_path_template, render_path, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Play {
    pub file: String,
    pub next: Option<String>,
}

impl NodeSpec for Play {
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

impl Play {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let call = sw::playback(&render_path(&self.file, cx.vars)?)?;
        cx.ch.execute(&call).await?;
        Ok(self.next.clone())
    }
}
