//! The call script as the interpreter runs it: named steps with named exits. Campaign
//! definitions (`campaign::script`) are converted into a [`Flow`] once per campaign version;
//! the interpreter in [`super::script`] knows only this form.

use std::collections::HashMap;

use crate::campaign::model::Disposition;

/// A whole script: the steps by name and where to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub start: String,
    pub steps: HashMap<String, Step>,
    /// Text-to-speech engine and voice for `speak` (e.g. `tts_commandline`, `ru`).
    pub tts_engine: String,
    pub tts_voice: String,
}

/// What a prompt plays: a sound file, or text spoken by the TTS engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    File(String),
    Speak(String),
}

/// A menu: a prompt, then digits chosen among `choices`.
#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    pub prompt: Prompt,
    /// Played after each invalid or missing entry (FreeSWITCH plays it after every failed try).
    pub invalid_prompt: Option<Prompt>,
    /// Digit string -> step.
    pub choices: Vec<(String, String)>,
    pub tries: u32,
    pub timeout_ms: u32,
    /// Where to go when nothing was pressed in every try (None: end the script).
    pub on_timeout: Option<String>,
    /// Where to go when the last entry was not a choice (None: as timeout).
    pub on_invalid: Option<String>,
}

/// One step of a script. `next: None` ends the script (the call is hung up normally).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Play {
        file: String,
        next: Option<String>,
    },
    Speak {
        text: String,
        /// Overrides the flow's engine / voice for this step.
        engine: Option<String>,
        voice: Option<String>,
        next: Option<String>,
    },
    /// FreeSWITCH `say <lang> <kind> <method> [gender] <text>`, needs the language's prompts.
    Say {
        lang: String,
        kind: String,
        method: String,
        gender: Option<String>,
        text: String,
        next: Option<String>,
    },
    Menu(Menu),
    Bridge {
        dial_string: String,
        timeout_secs: u32,
        caller_id: Option<String>,
        next: Option<String>,
        on_failure: Option<String>,
    },
    Record {
        path: String,
        max_secs: Option<u32>,
        next: Option<String>,
    },
    /// Sets the disposition and/or a tag; `dnc` puts the number on the do-not-call list.
    Set {
        disposition: Option<Disposition>,
        tag: Option<String>,
        dnc: bool,
        next: Option<String>,
    },
    /// Asks an HTTP service which exit comes next.
    Webhook {
        url: String,
        timeout_ms: u32,
        exits: Vec<(String, String)>,
        next: Option<String>,
    },
    Hangup {
        cause: Option<String>,
    },
}

impl Step {
    /// Every step name this step can lead to.
    pub fn targets(&self) -> Vec<&str> {
        let mut out: Vec<&Option<String>> = Vec::new();
        let mut named: Vec<&str> = Vec::new();
        match self {
            Step::Play { next, .. }
            | Step::Speak { next, .. }
            | Step::Say { next, .. }
            | Step::Record { next, .. }
            | Step::Set { next, .. } => out.push(next),
            Step::Menu(m) => {
                out.push(&m.on_timeout);
                out.push(&m.on_invalid);
                named.extend(m.choices.iter().map(|(_, s)| s.as_str()));
            }
            Step::Bridge {
                next, on_failure, ..
            } => {
                out.push(next);
                out.push(on_failure);
            }
            Step::Webhook { exits, next, .. } => {
                out.push(next);
                named.extend(exits.iter().map(|(_, s)| s.as_str()));
            }
            Step::Hangup { .. } => {}
        }
        named.extend(out.into_iter().flatten().map(String::as_str));
        named
    }
}

impl Flow {
    /// Checks that the start and every exit name an existing step.
    pub fn validate(&self) -> Result<(), String> {
        if !self.steps.contains_key(&self.start) {
            return Err(format!(
                "script starts at `{}`, which is not a step",
                self.start
            ));
        }
        let mut names: Vec<&String> = self.steps.keys().collect();
        names.sort();
        for name in names {
            for target in self.steps[name].targets() {
                if !self.steps.contains_key(target) {
                    return Err(format!(
                        "step `{name}` leads to `{target}`, which is not a step"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_names_the_broken_exit() {
        let mut steps = HashMap::new();
        steps.insert(
            "hello".to_string(),
            Step::Play {
                file: "a.wav".into(),
                next: Some("bye".into()),
            },
        );
        let mut flow = Flow {
            start: "hello".into(),
            steps,
            tts_engine: "flite".into(),
            tts_voice: "kal".into(),
        };
        let e = flow.validate().unwrap_err();
        assert!(e.contains("`hello` leads to `bye`"), "{e}");
        flow.steps
            .insert("bye".into(), Step::Hangup { cause: None });
        flow.validate().unwrap();
        flow.start = "nope".into();
        assert!(flow.validate().unwrap_err().contains("nope"));
    }
}
