//! `hangup`: ends the call with a cause (default NORMAL_CLEARING).

use serde::{Deserialize, Serialize};

use crate::script::run::{Channel, Cx, StepError};
use crate::script::NodeSpec;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hangup {
    pub cause: Option<String>,
}

impl Hangup {
    pub const DEFAULT_CAUSE: &'static str = "NORMAL_CLEARING";

    /// The script ends here; the interpreter hangs up with this cause.
    pub(crate) fn set_cause<C>(&self, cx: &mut Cx<'_, C>) {
        if let Some(c) = &self.cause {
            cx.hangup_cause = c.clone();
        }
    }

    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        self.set_cause(cx);
        Ok(None)
    }
}

impl NodeSpec for Hangup {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        Vec::new()
    }
    fn check(&self, place: &str) -> Result<(), String> {
        match &self.cause {
            Some(c) if c.is_empty() || !c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') => {
                Err(format!(
                    "{place}.cause: `{c}` is not a hangup cause (e.g. NORMAL_CLEARING)"
                ))
            }
            _ => Ok(()),
        }
    }
}
