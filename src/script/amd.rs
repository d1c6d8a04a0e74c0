//! Answering-machine detection on the switch's own tools (docs/campaigns.md "Answering
//! machines"): the campaign's `[amd]` settings, the one `wait_for_silence` (mod_dptools) that
//! listens to the callee's greeting, and the verdict as a pure function of what it reported, in
//! the manner of Asterisk's AMD (initial silence, greeting length, silence after it).
//!
//! `switch_ivr_wait_for_silence` (src/switch_ivr_play_say.c) reads 20 ms frames; a frame whose
//! mean absolute sample is at least `thresh` is voice and counts toward `listening`. Once more
//! than `listen_hits` voice frames were heard, `silence_hits` silent frames in a row end the
//! wait (after 25 more frames) with `wait_for_silence_timeout=false`: a short greeting followed
//! by a pause, a person. When `timeout_ms` runs out first it sets
//! `wait_for_silence_timeout=true`, `wait_for_silence_listenhits` (voice frames heard) and
//! `wait_for_silence_silence_hits` (silent frames still missing): no word at all is a long
//! initial silence, more voice than `greeting_ms` is a long greeting; both a machine.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::run::{Channel, Cx, StepError};
use crate::esl::command::app as sw;

/// The frame length FreeSWITCH reads at with the usual 20 ms packetisation (PCMA, PCMU).
pub const FRAME_MS: u32 = 20;
/// Frames `switch_ivr_wait_for_silence` goes on reading after the silence was found.
pub const COUNTDOWN_FRAMES: u32 = 25;

/// What to do when a machine answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMachine {
    /// Hang up at once; the attempt is recorded `machine` (retried per policy).
    #[default]
    Hangup,
    /// Run the script from the node named by `voicemail` (a `voicemail` node waits for the
    /// beep); recorded `machine` unless the script sets a disposition.
    Voicemail,
    /// Run the script as for a person; recorded `machine` unless the script sets one.
    Continue,
}

/// A campaign's `[amd]` table (Asterisk's AMD defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Amd {
    pub on_machine: OnMachine,
    /// The node run on a machine when `on_machine = "voicemail"`.
    pub voicemail: Option<String>,
    /// Silence before the first word longer than this (with nothing said later) is a machine.
    pub initial_silence_ms: u32,
    /// Voice longer than this in all is a machine's greeting.
    pub greeting_ms: u32,
    /// Silence after the first words that makes them a person's "hello".
    pub after_greeting_silence_ms: u32,
    /// Voice shorter than this is noise, not a word.
    pub min_word_ms: u32,
    /// Mean absolute sample value (0-32767) at or above which a frame is voice.
    pub silence_threshold: u32,
}

impl Default for Amd {
    fn default() -> Self {
        Amd {
            on_machine: OnMachine::Hangup,
            voicemail: None,
            initial_silence_ms: 2500,
            greeting_ms: 1500,
            after_greeting_silence_ms: 800,
            min_word_ms: 100,
            silence_threshold: 256,
        }
    }
}

/// Why a machine was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineWhy {
    /// Nothing said during the whole listening time.
    InitialSilence,
    /// More voice than `greeting_ms`, without the pause a person leaves.
    LongGreeting,
}

/// The detection's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Human,
    Machine(MachineWhy),
    /// Some voice, neither long nor followed by a pause (or nothing reported): treated as a
    /// person, so nobody is hung up on by a guess.
    NotSure,
}

impl Amd {
    /// Checks the numbers; `place` is `amd`.
    pub fn check(&self, place: &str) -> Result<(), String> {
        let ms = [
            ("initial_silence_ms", self.initial_silence_ms),
            ("greeting_ms", self.greeting_ms),
            ("after_greeting_silence_ms", self.after_greeting_silence_ms),
            ("min_word_ms", self.min_word_ms),
        ];
        for (field, v) in ms {
            if !(FRAME_MS..=30_000).contains(&v) {
                return Err(format!(
                    "{place}.{field}: {v} (allowed {FRAME_MS}..30000 milliseconds)"
                ));
            }
        }
        if !(1..=32_767).contains(&self.silence_threshold) {
            return Err(format!(
                "{place}.silence_threshold: {} (allowed 1..32767)",
                self.silence_threshold
            ));
        }
        match (self.on_machine, &self.voicemail) {
            (OnMachine::Voicemail, None) => Err(format!(
                "{place}.voicemail: on_machine = \"voicemail\" needs the node to run (e.g. voicemail = \"leave_message\")"
            )),
            (OnMachine::Hangup | OnMachine::Continue, Some(_)) => Err(format!(
                "{place}.voicemail: only used with on_machine = \"voicemail\""
            )),
            _ => Ok(()),
        }
    }

    /// The `wait_for_silence` arguments: (thresh, silence_hits, listen_hits, timeout_ms). The
    /// wait may last the initial silence, the greeting, the silence after it and the 25
    /// frames FreeSWITCH reads after finding it.
    pub fn listen_args(&self) -> (u32, u32, u32, u32) {
        let frames = |ms: u32| ms.div_ceil(FRAME_MS).max(1);
        let timeout = self.initial_silence_ms
            + self.greeting_ms
            + self.after_greeting_silence_ms
            + COUNTDOWN_FRAMES * FRAME_MS;
        (
            self.silence_threshold,
            frames(self.after_greeting_silence_ms),
            frames(self.min_word_ms),
            timeout,
        )
    }

    /// The verdict from the variables of wait_for_silence's CHANNEL_EXECUTE_COMPLETE.
    pub fn decide(&self, vars: &HashMap<String, String>) -> Verdict {
        let (_, _, listen_hits, _) = self.listen_args();
        match vars.get("wait_for_silence_timeout").map(String::as_str) {
            Some("false") => Verdict::Human,
            Some("true") => {
                let voiced: u32 = vars
                    .get("wait_for_silence_listenhits")
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if voiced <= listen_hits {
                    Verdict::Machine(MachineWhy::InitialSilence)
                } else if voiced * FRAME_MS > self.greeting_ms {
                    Verdict::Machine(MachineWhy::LongGreeting)
                } else {
                    Verdict::NotSure
                }
            }
            _ => Verdict::NotSure,
        }
    }
}

/// Listens to the greeting and decides.
pub(crate) async fn detect<C: Channel>(
    amd: &Amd,
    cx: &mut Cx<'_, C>,
) -> Result<Verdict, StepError> {
    let (thresh, silence_hits, listen_hits, timeout) = amd.listen_args();
    let call = sw::wait_for_silence(thresh, silence_hits, listen_hits, timeout)?;
    let res = cx.ch.execute(&call).await?;
    Ok(amd.decide(&res.vars))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::script::test_vars as vars;

    #[test]
    fn verdicts_from_what_wait_for_silence_reported() {
        let amd = Amd::default();
        let table: [(&[(&str, &str)], Verdict); 8] = [
            (&[("wait_for_silence_timeout", "false")], Verdict::Human),
            (
                &[
                    ("wait_for_silence_timeout", "true"),
                    ("wait_for_silence_listenhits", "0"),
                ],
                Verdict::Machine(MachineWhy::InitialSilence),
            ),
            (
                &[
                    ("wait_for_silence_timeout", "true"),
                    ("wait_for_silence_listenhits", "5"),
                ],
                Verdict::Machine(MachineWhy::InitialSilence),
            ),
            (
                &[
                    ("wait_for_silence_timeout", "true"),
                    ("wait_for_silence_listenhits", "6"),
                ],
                Verdict::NotSure,
            ),
            (
                &[
                    ("wait_for_silence_timeout", "true"),
                    ("wait_for_silence_listenhits", "75"),
                ],
                Verdict::NotSure,
            ),
            (
                &[
                    ("wait_for_silence_timeout", "true"),
                    ("wait_for_silence_listenhits", "76"),
                ],
                Verdict::Machine(MachineWhy::LongGreeting),
            ),
            (
                &[("wait_for_silence_timeout", "true")],
                Verdict::Machine(MachineWhy::InitialSilence),
            ),
            (&[], Verdict::NotSure),
        ];
        for (pairs, want) in table {
            assert_eq!(amd.decide(&vars(pairs)), want, "{pairs:?}");
        }
    }

    #[test]
    fn listening_arguments_follow_the_cadence() {
        let amd = Amd::default();
        // 800 ms of silence = 40 frames, 100 ms word = 5 frames, 2500+1500+800+500 ms.
        assert_eq!(amd.listen_args(), (256, 40, 5, 5300));
        let short = Amd {
            after_greeting_silence_ms: 30,
            min_word_ms: 20,
            ..Amd::default()
        };
        assert_eq!(short.listen_args().1, 2, "a part frame counts as one");
        assert_eq!(short.listen_args().2, 1);
    }

    #[test]
    fn bad_settings_are_explained() {
        let bad = Amd {
            greeting_ms: 5,
            ..Amd::default()
        };
        assert!(bad.check("amd").unwrap_err().contains("amd.greeting_ms"));
        let bad = Amd {
            on_machine: OnMachine::Voicemail,
            ..Amd::default()
        };
        assert!(bad.check("amd").unwrap_err().contains("amd.voicemail"));
        let bad = Amd {
            voicemail: Some("vm".into()),
            ..Amd::default()
        };
        assert!(bad.check("amd").unwrap_err().contains("only used"));
        assert!(Amd::default().check("amd").is_ok());
    }
}
