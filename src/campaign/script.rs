//! The call script (IVR flow): named nodes with named exits, and its validation at load. Rendering
//! templates is the dialer's job; this module parses them ([`Template`]) so the dialer renders the
//! parsed parts and the loader knows which contact variables a script needs.
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
//! Node types: play, speak, say, menu, bridge, record, set, webhook, hangup (see [`Node`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::model::{duration_text, Disposition};
pub use super::template::{Part, Template};

/// Variables every contact has without a CSV column: its name and the number being dialled.
pub const BUILTIN_VARS: [&str; 2] = ["NAME", "PHONE"];

/// A whole script: the start node and the nodes by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
}

/// What a menu or record says first: a file or a text template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub file: Option<String>,
    pub text: Option<String>,
}

/// One step of the flow. Exits name other nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    /// Play a sound file (path or URL as FreeSWITCH takes it).
    Play { file: String, next: Option<String> },
    /// Speak a text template through TTS; `voice` and `engine` go to FreeSWITCH's `speak`.
    Speak {
        text: String,
        voice: Option<String>,
        engine: Option<String>,
        next: Option<String>,
    },
    /// FreeSWITCH `say`: `lang` (ru, en), `kind` (currency, number, ...), `method`
    /// (pronounced, iterated, counted), `text` a template.
    Say {
        lang: String,
        kind: String,
        #[serde(default = "default_say_method")]
        method: String,
        text: String,
        next: Option<String>,
    },
    /// Prompt, then collect one digit: `digits` maps a digit to a node.
    Menu {
        prompt: Prompt,
        digits: BTreeMap<String, String>,
        #[serde(with = "duration_text", default = "default_menu_timeout")]
        timeout: Duration,
        #[serde(default = "default_tries")]
        tries: u32,
        on_timeout: Option<String>,
        on_invalid: Option<String>,
    },
    /// Bridge to an operator dial string (default: the campaign's `operator`).
    Bridge {
        to: Option<String>,
        #[serde(with = "duration_text", default = "default_bridge_timeout")]
        timeout: Duration,
        next: Option<String>,
        on_failure: Option<String>,
    },
    /// Record the subscriber; `file` is a template for the path.
    Record {
        file: String,
        #[serde(with = "duration_text", default = "default_record_max")]
        max: Duration,
        next: Option<String>,
    },
    /// Set the attempt's disposition and/or a tag; `dnc = true` puts the number on the
    /// do-not-call list (an opt-out).
    Set {
        disposition: Option<Disposition>,
        tag: Option<String>,
        #[serde(default)]
        dnc: bool,
        next: Option<String>,
    },
    /// Ask an HTTP service which node comes next; it must answer one of `exits`.
    Webhook {
        url: String,
        #[serde(with = "duration_text", default = "default_webhook_timeout")]
        timeout: Duration,
        exits: Vec<String>,
        on_error: Option<String>,
    },
    /// End the call; `cause` defaults to NORMAL_CLEARING.
    Hangup { cause: Option<String> },
}

fn default_say_method() -> String {
    "pronounced".into()
}
fn default_menu_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_tries() -> u32 {
    2
}
fn default_bridge_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_record_max() -> Duration {
    Duration::from_secs(60)
}
fn default_webhook_timeout() -> Duration {
    Duration::from_secs(5)
}

impl Node {
    /// The node's type as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Play { .. } => "play",
            Node::Speak { .. } => "speak",
            Node::Say { .. } => "say",
            Node::Menu { .. } => "menu",
            Node::Bridge { .. } => "bridge",
            Node::Record { .. } => "record",
            Node::Set { .. } => "set",
            Node::Webhook { .. } => "webhook",
            Node::Hangup { .. } => "hangup",
        }
    }

    /// Every exit as (exit name, target); `None` targets are required exits left out.
    pub fn exits(&self) -> Vec<(String, Option<&str>)> {
        fn one<'a>(name: &str, t: &'a Option<String>) -> (String, Option<&'a str>) {
            (name.to_string(), t.as_deref())
        }
        match self {
            Node::Play { next, .. }
            | Node::Speak { next, .. }
            | Node::Say { next, .. }
            | Node::Record { next, .. }
            | Node::Set { next, .. } => vec![one("next", next)],
            Node::Menu {
                digits,
                on_timeout,
                on_invalid,
                ..
            } => {
                let mut v: Vec<_> = digits
                    .iter()
                    .map(|(d, t)| (format!("digits.\"{d}\""), Some(t.as_str())))
                    .collect();
                v.push(one("on_timeout", on_timeout));
                v.push(one("on_invalid", on_invalid));
                v
            }
            Node::Bridge {
                next, on_failure, ..
            } => vec![one("next", next), one("on_failure", on_failure)],
            Node::Webhook {
                exits, on_error, ..
            } => {
                let mut v: Vec<_> = exits
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (format!("exits[{i}]"), Some(t.as_str())))
                    .collect();
                v.push(one("on_error", on_error));
                v
            }
            Node::Hangup { .. } => Vec::new(),
        }
    }

    /// The templates in this node, as (field name, text).
    pub fn templates(&self) -> Vec<(&'static str, &str)> {
        match self {
            Node::Speak { text, .. } | Node::Say { text, .. } => vec![("text", text)],
            Node::Menu { prompt, .. } => prompt
                .text
                .iter()
                .map(|t| ("prompt.text", t.as_str()))
                .collect(),
            Node::Record { file, .. } => vec![("file", file)],
            Node::Play { file, .. } => vec![("file", file)],
            Node::Webhook { url, .. } => vec![("url", url)],
            _ => Vec::new(),
        }
    }
}

impl Script {
    /// Checks the start node, every exit (present and naming a node) and every template. Errors
    /// name the place: `script.nodes.menu.on_timeout: ...`.
    pub fn validate(&self) -> Result<(), String> {
        if !self.nodes.contains_key(&self.start) {
            return Err(format!(
                "script.start: no node named `{}` (nodes: {})",
                self.start,
                self.names()
            ));
        }
        for (name, node) in &self.nodes {
            for (exit, target) in node.exits() {
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
            for (field, text) in node.templates() {
                Template::parse(text).map_err(|e| format!("script.nodes.{name}.{field}: {e}"))?;
            }
            node_specific_checks(name, node)?;
        }
        Ok(())
    }

    /// Variables the script uses (upper-cased) with the first place each is used, built-ins
    /// excluded. Call after [`Script::validate`].
    pub fn variables(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, node) in &self.nodes {
            for (field, text) in node.templates() {
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

fn node_specific_checks(name: &str, node: &Node) -> Result<(), String> {
    let place = format!("script.nodes.{name}");
    match node {
        Node::Menu {
            prompt,
            digits,
            tries,
            ..
        } => {
            if prompt.file.is_none() == prompt.text.is_none() {
                return Err(format!(
                    "{place}.prompt: give exactly one of `file` or `text`"
                ));
            }
            if *tries == 0 {
                return Err(format!("{place}.tries: at least 1"));
            }
            if let Some(d) = digits.keys().find(|d| !is_dtmf(d)) {
                return Err(format!(
                    "{place}.digits: `{d}` is not one DTMF key (0-9, *, #)"
                ));
            }
        }
        Node::Webhook { exits, .. } if exits.is_empty() => {
            return Err(format!(
                "{place}.exits: list the nodes the service may answer"
            ));
        }
        Node::Say { lang, .. } if !matches!(lang.as_str(), "ru" | "en") => {
            return Err(format!("{place}.lang: `{lang}` (use ru or en)"));
        }
        _ => {}
    }
    Ok(())
}

fn is_dtmf(d: &str) -> bool {
    d.len() == 1
        && d.chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
}

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
