//! `say`: FreeSWITCH `say <lang> <kind> <method> [gender] <text>` (needs the language's sound
//! prompts; without them the switch fires `filestring::fail`, which pauses the campaign).

use serde::{Deserialize, Serialize};

use crate::esl::command::app as sw;
use crate::script::run::{render_text, Channel, Cx, StepError};
use crate::script::{exit, NodeSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Say {
    /// `ru` or `en`.
    pub lang: String,
    /// currency, number, items, … (sent upper-cased).
    pub kind: String,
    /// pronounced, iterated, counted.
    #[serde(default = "default_method")]
    pub method: String,
    /// masculine, feminine, neuter (for languages that inflect numbers).
    pub gender: Option<String>,
    pub text: String,
    pub next: Option<String>,
}

fn default_method() -> String {
    "pronounced".into()
}

impl NodeSpec for Say {
    fn exits(&self) -> Vec<(String, Option<&str>)> {
        vec![exit("next", &self.next)]
    }
    fn templates(&self) -> Vec<(&'static str, &str)> {
        vec![("text", &self.text)]
    }
    fn check(&self, place: &str) -> Result<(), String> {
        if !matches!(self.lang.as_str(), "ru" | "en") {
            return Err(format!("{place}.lang: `{}` (use ru or en)", self.lang));
        }
        if let Some(g) = &self.gender {
            if !matches!(
                g.to_lowercase().as_str(),
                "masculine" | "feminine" | "neuter"
            ) {
                return Err(format!(
                    "{place}.gender: `{g}` (masculine, feminine or neuter)"
                ));
            }
        }
        Ok(())
    }
}

impl Say {
    pub(crate) async fn run<C: Channel>(
        &self,
        cx: &mut Cx<'_, C>,
    ) -> Result<Option<String>, StepError> {
        let text = render_text(&self.text, cx.vars)?;
        let gender = self.gender.as_deref().map(str::to_uppercase);
        let kind = self.kind.to_uppercase();
        let call = sw::say(&self.lang, &kind, &self.method, gender.as_deref(), &text)?;
        cx.ch.execute(&call).await?;
        Ok(self.next.clone())
    }
}
