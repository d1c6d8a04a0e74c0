//! Turns a campaign definition's call script (`campaign::script`) into the [`Flow`] the
//! interpreter runs: durations to milliseconds, the campaign's operator filled into bridges,
//! prompts to [`Prompt`]s. The definition was validated at load, so this cannot fail.

use std::collections::HashMap;

use super::flow::{Flow, Menu, Prompt, Step};
use crate::campaign::definition::CampaignDef;
use crate::campaign::script::{self, Node};

/// TTS engine and voice when a `speak` node names none: espeak-ng through
/// mod_tts_commandline, Russian (freeswitch/ configures it).
pub const DEFAULT_TTS_ENGINE: &str = "tts_commandline";
pub const DEFAULT_TTS_VOICE: &str = "ru";

/// The flow of a campaign's script.
pub fn compile(def: &CampaignDef) -> Flow {
    let steps = def
        .script
        .nodes
        .iter()
        .map(|(name, node)| (name.clone(), step(def, node)))
        .collect::<HashMap<_, _>>();
    Flow {
        start: def.script.start.clone(),
        steps,
        tts_engine: DEFAULT_TTS_ENGINE.into(),
        tts_voice: DEFAULT_TTS_VOICE.into(),
    }
}

fn prompt(p: &script::Prompt) -> Prompt {
    match (&p.file, &p.text) {
        (Some(f), _) => Prompt::File(f.clone()),
        (None, Some(t)) => Prompt::Speak(t.clone()),
        (None, None) => Prompt::File("silence_stream://250".into()),
    }
}

fn ms(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

fn step(def: &CampaignDef, node: &Node) -> Step {
    match node {
        Node::Play { file, next } => Step::Play {
            file: file.clone(),
            next: next.clone(),
        },
        Node::Speak {
            text,
            voice,
            engine,
            next,
        } => Step::Speak {
            text: text.clone(),
            engine: engine.clone(),
            voice: voice.clone(),
            next: next.clone(),
        },
        Node::Say {
            lang,
            kind,
            method,
            text,
            next,
        } => Step::Say {
            lang: lang.clone(),
            kind: kind.to_uppercase(),
            method: method.clone(),
            gender: None,
            text: text.clone(),
            next: next.clone(),
        },
        Node::Menu {
            prompt: p,
            digits,
            timeout,
            tries,
            on_timeout,
            on_invalid,
        } => Step::Menu(Menu {
            prompt: prompt(p),
            invalid_prompt: None,
            choices: digits.iter().map(|(d, t)| (d.clone(), t.clone())).collect(),
            tries: *tries,
            timeout_ms: ms(*timeout),
            on_timeout: on_timeout.clone(),
            on_invalid: on_invalid.clone(),
        }),
        Node::Bridge {
            timeout,
            next,
            on_failure,
            ..
        } => Step::Bridge {
            dial_string: def.bridge_target(node).unwrap_or_default().to_string(),
            timeout_secs: u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX),
            caller_id: None,
            next: next.clone(),
            on_failure: on_failure.clone(),
        },
        Node::Record { file, max, next } => Step::Record {
            path: file.clone(),
            max_secs: Some(u32::try_from(max.as_secs()).unwrap_or(u32::MAX)),
            next: next.clone(),
        },
        Node::Set {
            disposition,
            tag,
            dnc,
            next,
        } => Step::Set {
            disposition: *disposition,
            tag: tag.clone(),
            dnc: *dnc,
            next: next.clone(),
        },
        Node::Webhook {
            url,
            timeout,
            exits,
            on_error,
        } => Step::Webhook {
            url: url.clone(),
            timeout_ms: ms(*timeout),
            exits: exits.iter().map(|e| (e.clone(), e.clone())).collect(),
            next: on_error.clone(),
        },
        Node::Hangup { cause } => Step::Hangup {
            cause: cause.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_campaign_compiles_to_a_valid_flow() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/campaigns/demo.toml");
        let def = CampaignDef::from_file(std::path::Path::new(path)).unwrap();
        let flow = compile(&def);
        flow.validate().unwrap();
        assert_eq!(flow.start, def.script.start);
        let bridges: Vec<&Step> = flow
            .steps
            .values()
            .filter(|s| matches!(s, Step::Bridge { .. }))
            .collect();
        assert!(!bridges.is_empty());
        for b in bridges {
            let Step::Bridge { dial_string, .. } = b else {
                unreachable!()
            };
            assert_eq!(dial_string, def.operator.as_deref().unwrap());
        }
    }
}
