//! The call script (IVR flow): named nodes with named exits, one file per node type under
//! [`nodes`], each holding the node's definition (its TOML fields), its validation and its
//! execution on a live channel. A new node type is one new file plus one line in
//! [`node_types!`]'s list below. [`run`] is the interpreter; [`template`] fills `{{VAR}}`.
//!
//! TOML (inside a campaign definition):
//! ```toml
//! [script]
//! start = "greeting"
//! [script.nodes.greeting]
//! type = "speak"
//! text = "Здравствуйте, {{NAME}}. Ваша задолженность {{BALANCE|money_ru}}."
//! next = "menu"
//! [script.nodes.menu]
//! type = "menu"
//! prompt = { text = "Нажмите 1, чтобы связаться с оператором." }
//! digits = { "1" = "operator", "9" = "opt_out" }
//! timeout = "5s"
//! tries = 2
//! on_timeout = "bye"
//! on_invalid = "bye"
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub mod amd;
pub mod nodes;
pub mod run;
pub mod template;
pub mod words;

pub use self::run::{run, AppResult, Channel, ChannelError, RunSettings, ScriptOutcome};
pub use self::template::{Part, Template};

/// Variables every contact has without a CSV column: its name and the number being dialled.
pub const BUILTIN_VARS: [&str; 2] = ["NAME", "PHONE"];

/// What a node's definition offers the loader: its exits, its templates, its own checks.
pub trait NodeSpec {
    /// Every exit as (exit name, target); `None` targets are required exits left out.
    fn exits(&self) -> Vec<(String, Option<&str>)>;
    /// The templates in this node, as (field name, text).
    fn templates(&self) -> Vec<(&'static str, &str)> {
        Vec::new()
    }
    /// Checks of this node type beyond exits and templates; `place` is
    /// `script.nodes.<name>`.
    fn check(&self, _place: &str) -> Result<(), String> {
        Ok(())
    }
}

/// One `(exit name, target)` of a node whose exit is an optional field.
pub(crate) fn exit<'a>(name: &str, target: &'a Option<String>) -> (String, Option<&'a str>) {
    (name.to_string(), target.as_deref())
}

/// Lists the node types: the `Node` enum (tagged by `type` in TOML) and its dispatch.
macro_rules! node_types {
    ($($variant:ident($module:ident::$ty:ident) = $tag:literal),* $(,)?) => {
        /// One node of a script; `type` in TOML picks the variant.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum Node {
            $($variant(nodes::$module::$ty),)*
        }

        impl Node {
            /// The node's type as written in TOML.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Node::$variant(_) => $tag,)*
                }
            }

            /// The definition side of the node.
            pub fn spec(&self) -> &dyn NodeSpec {
                match self {
                    $(Node::$variant(n) => n,)*
                }
            }

            /// Runs the node; the next node's name, or None to end the script.
            pub(crate) async fn execute<C: Channel>(
                &self,
                cx: &mut run::Cx<'_, C>,
            ) -> Result<Option<String>, run::StepError> {
                match self {
                    $(Node::$variant(n) => n.run(cx).await,)*
                }
            }
        }
    };
}

node_types! {
    Play(play::Play) = "play",
    Speak(speak::Speak) = "speak",
    Say(say::Say) = "say",
    Menu(menu::Menu) = "menu",
    Bridge(bridge::Bridge) = "bridge",
    Record(record::Record) = "record",
    Set(set::Set) = "set",
    Webhook(webhook::Webhook) = "webhook",
    Hangup(hangup::Hangup) = "hangup",
    Pause(pause::Pause) = "pause",
    Dtmf(dtmf::Dtmf) = "dtmf",
    Voicemail(voicemail::Voicemail) = "voicemail",
}

/// A whole script: the start node and the nodes by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
}

/// What a menu says first (or after a wrong entry): a file or a text template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub file: Option<String>,
    pub text: Option<String>,
}

impl Script {
    /// Checks the start node, every exit (present and naming a node), every template and each
    /// node type's own rules. Errors name the place: `script.nodes.menu.on_timeout: ...`.
    pub fn validate(&self) -> Result<(), String> {
        if !self.nodes.contains_key(&self.start) {
            return Err(format!(
                "script.start: no node named `{}` (nodes: {})",
                self.start,
                self.names()
            ));
        }
        for (name, node) in &self.nodes {
            let spec = node.spec();
            for (exit, target) in spec.exits() {
                let place = format!("script.nodes.{name}.{exit}");
                match target {
                    None => {
                        return Err(format!(
                            "{place}: missing exit of this {} node; name the node that comes next",
                            node.kind()
                        ))
                    }
                    Some(t) if !self.nodes.contains_key(t) => {
                        return Err(format!(
                            "{place}: unknown node `{t}` (nodes: {})",
                            self.names()
                        ))
                    }
                    Some(_) => {}
                }
            }
            for (field, text) in spec.templates() {
                Template::parse(text).map_err(|e| format!("script.nodes.{name}.{field}: {e}"))?;
            }
            spec.check(&format!("script.nodes.{name}"))?;
        }
        Ok(())
    }

    /// Variables the script uses (upper-cased) with the first place each is used, built-ins
    /// excluded. Call after [`Script::validate`].
    pub fn variables(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, node) in &self.nodes {
            for (field, text) in node.spec().templates() {
                let Ok(t) = Template::parse(text) else {
                    continue;
                };
                for v in t.variables() {
                    if !BUILTIN_VARS.contains(&v) {
                        out.entry(v.to_string())
                            .or_insert_with(|| format!("script.nodes.{name}.{field}"));
                    }
                }
            }
        }
        out
    }

    /// Variables in `required` that `present` (upper-cased keys) lacks, with their place.
    pub fn missing_vars<'a>(
        required: &'a BTreeMap<String, String>,
        present: &BTreeSet<String>,
    ) -> Option<(&'a str, &'a str)> {
        required
            .iter()
            .find(|(k, _)| !present.contains(*k))
            .map(|(k, place)| (k.as_str(), place.as_str()))
    }

    fn names(&self) -> String {
        self.nodes
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Variables from pairs, for tests.
#[cfg(test)]
pub(crate) fn test_vars(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests;
