//! `webhook`: asks an HTTP service which node comes next; it must answer one of `exits`
//! (each the name of a node). Any other answer, an error or a timeout takes `on_error`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::duration_text;
use crate::script::run::{render_text, Channel, ChannelError, Cx, StepError};
use crate::script::{exit, NodeSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    #[serde(with = "duration_text", default = "default_timeout")]
    pub timeout: Duration,
    pub exits: Vec<String>,
    pub on_error: Option<String>,
}

fn default_timeout() -> Duration {
    super::secs(5)
}

impl NodeSpec for Webhook {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        let mut v: Vec<_> = self
            .exits
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("exits[{i}]"), Some(t.as_str())))
            .collect();
        v.push(exit("on_error", &self.on_error));
        v
    }
    fn templates(&self) -> Vec<(&'static str, &str)> {
        vec![("url", &self.url)]
    }
    fn check(&self, place: &str) -> Result<(), String> {
        if self.exits.is_empty() {
            return Err(format!(
                "{place}.exits: list the nodes the service may answer"
            ));
        }
        Ok(())
    }
}

impl Webhook {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let payload = serde_json::json!({
            "vars": cx.vars,
            "digits": cx.out.digits,
            "tags": cx.out.tags,
            "bridged": cx.out.bridged,
            "trace": cx.out.trace,
        });
        let url = render_text(&self.url, cx.vars)?;
        let timeout_ms = u32::try_from(self.timeout.as_millis()).unwrap_or(u32::MAX);
        let chosen = match cx.ch.webhook(&url, payload, timeout_ms).await {
            Ok(Some(e)) => self.exits.iter().find(|x| **x == e).cloned(),
            Ok(None) => None,
            Err(ChannelError::HungUp) => return Err(StepError::HungUp),
            Err(ChannelError::Failed(m)) => {
                tracing::warn!(url = %url, error = %m, "webhook failed; taking its default exit");
                None
            }
        };
        Ok(chosen.or_else(|| self.on_error.clone()))
    }
}
