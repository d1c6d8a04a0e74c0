//! `set`: the attempt's disposition and/or a tag; `dnc = true` (or disposition `opted_out`)
//! puts the number on the do-not-call list.

use serde::{Deserialize, Serialize};

use crate::model::Disposition;
use crate::script::run::{render_text, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Set {
    pub disposition: Option<Disposition>,
    pub tag: Option<String>,
    #[serde(default)]
    pub dnc: bool,
    pub next: Option<String>,
}

impl NodeSpec for Set {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        vec![exit("next", &self.next)]
    }
    fn templates(&self) -> Vec<(&'static str, &str)> {
        self.tag.iter().map(|t| ("tag", t.as_str())).collect()
    }
}

impl Set {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        if let Some(d) = self.disposition {
            cx.out.disposition = Some(d);
        }
        if self.dnc || self.disposition == Some(Disposition::OptedOut) {
            cx.out.opted_out = true;
        }
        if let Some(t) = &self.tag {
            cx.out.tags.push(render_text(t, cx.vars)?);
        }
        Ok(self.next.clone())
    }
}
