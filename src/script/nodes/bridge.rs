//! `bridge`: connects the callee to an operator dial string (default: the campaign's
//! `operator`); `next` when the operator answered, `on_failure` otherwise.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::model::duration_text;
use crate::script::run::{render_dial, AppResult, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bridge {
    /// A dial string, e.g. `sofia/gateway/office/operator` or `user/1001`.
    pub to: Option<String>,
    #[serde(with = "duration_text", default = "default_timeout")]
    pub timeout: Duration,
    /// The caller ID number the operator sees (digits, `+`).
    pub caller_id: Option<String>,
    pub next: Option<String>,
    pub on_failure: Option<String>,
}

fn default_timeout() -> Duration {
    super::secs(30)
}

impl NodeSpec for Bridge {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        vec![
            exit("next", &self.next),
            exit("on_failure", &self.on_failure),
        ]
    }
    fn check(&self, place: &str) -> Result<(), String> {
        if let Some(cid) = &self.caller_id {
            if sw::dial_part(cid).is_err() {
                return Err(format!("{place}.caller_id: `{cid}` must be digits (and +)"));
            }
        }
        Ok(())
    }
}

impl Bridge {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let to = self
            .to
            .as_deref()
            .or(cx.settings.operator.as_deref())
            .ok_or_else(|| {
                StepError::Script("bridge has no `to` and the campaign no operator".into())
            })?;
        let timeout = self.timeout.as_secs().to_string();
        let mut vars = vec![("leg_timeout", timeout.as_str())];
        if let Some(c) = &self.caller_id {
            vars.push(("origination_caller_id_number", c.as_str()));
        }
        let call = sw::bridge(&vars, &render_dial(to, cx.vars)?)?;
        let res = cx.ch.execute(&call).await?;
        cx.out.bridge_cause = res.vars.get("bridge_hangup_cause").cloned();
        if bridge_succeeded(&res) {
            cx.out.bridged = true;
            Ok(self.next.clone())
        } else {
            Ok(self.on_failure.clone())
        }
    }
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
