//! Outcomes: what a rule does to a call (answer, busy, no answer, ... with ring time, early
//! media, the callee's hangup and DTMF), their defaults, and the hangup cause of a failure.

use serde::Deserialize;

/// What happens to a call.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Rings, answers; stays up until `hangup_after` or until hung up.
    Answer,
    /// A person: answers, says a short "hello" (`greeting`, default 0.8 s, after
    /// `initial_silence`, default 0.4 s), then is quiet; like `answer`.
    Human,
    /// Answers and plays a greeting like an answering machine (`greeting`, default 6 s, after
    /// `initial_silence`, default 0.4 s), then a 0.5 s beep half a second later; hangs up after
    /// `hangup_after` (default 20 s).
    Machine,
    /// SIP 486 after ringing: USER_BUSY.
    Busy,
    /// Rings until originate_timeout: NO_ANSWER.
    NoAnswer,
    /// SIP 480 after ringing: NO_USER_RESPONSE.
    NoUserResponse,
    /// SIP 603: CALL_REJECTED.
    Rejected,
    /// SIP 404: UNALLOCATED_NUMBER.
    Unallocated,
    /// SIP 503: NORMAL_TEMPORARY_FAILURE.
    TemporaryFailure,
    /// The gateway is down: GATEWAY_DOWN, no channel is created.
    GatewayDown,
    /// Fails after ringing with the hangup cause named in `cause`.
    Fail,
}

/// When scripted DTMF digits are pressed.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DtmfOn {
    /// `dtmf_after` seconds after answer.
    #[default]
    Answer,
    /// `dtmf_after` seconds after the first digit-collecting prompt (play_and_get_digits, read)
    /// starts.
    Prompt,
    /// `dtmf_after` seconds after the first prompt of any kind (playback, speak, say,
    /// play_and_get_digits, read) starts. Digits pressed during a plain playback are discarded
    /// unless they are playback terminators, as in FreeSWITCH.
    AnyPrompt,
}

/// Keys the callee presses at a time: `at` simulated seconds after answer (a manager of a
/// callback job pressing connect, cancel, postpone or info while the text is spoken, or after
/// the client call).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeysAt {
    pub at: f64,
    pub press: String,
}

/// One outcome.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[serde(default = "default_kind")]
    pub result: Kind,
    /// Hangup cause for `result = "fail"` (any FreeSWITCH cause name).
    pub cause: Option<String>,
    /// Seconds of ringing before answer or failure.
    #[serde(default = "default_ring")]
    pub ring: f64,
    /// Early media (183): CHANNEL_PROGRESS_MEDIA instead of CHANNEL_PROGRESS.
    #[serde(default)]
    pub early_media: bool,
    /// Seconds after answer at which the callee hangs up (none: stays until hung up).
    pub hangup_after: Option<f64>,
    /// Digits the callee presses.
    pub dtmf: Option<String>,
    #[serde(default)]
    pub dtmf_on: DtmfOn,
    #[serde(default = "default_dtmf_after")]
    pub dtmf_after: f64,
    /// Keys pressed at given times after answer, whatever runs on the channel.
    #[serde(default)]
    pub keys: Vec<KeysAt>,
    /// Simulated seconds between the answer and the moment the originate notices it (then
    /// BACKGROUND_JOB, CS_EXECUTE and the `&app()` target follow). Until then the channel stays
    /// in CS_CONSUME_MEDIA and executes run at once without media. A real switch's originate
    /// loop polls every 20 ms.
    #[serde(default = "default_park_delay")]
    pub park_delay: f64,
    /// Seconds of silence after the answer before the callee speaks.
    pub initial_silence: Option<f64>,
    /// Seconds the callee speaks (a person's "hello", a machine's greeting).
    pub greeting: Option<f64>,
    /// Weight within a `mix`.
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_kind() -> Kind {
    Kind::Answer
}
fn default_ring() -> f64 {
    1.0
}
fn default_dtmf_after() -> f64 {
    1.0
}
fn default_park_delay() -> f64 {
    0.02
}
fn default_weight() -> u32 {
    1
}

impl Default for Outcome {
    /// With no rules: ring 1 s, answer, stay up until hung up.
    fn default() -> Self {
        Outcome {
            result: Kind::Answer,
            cause: None,
            ring: 1.0,
            early_media: false,
            hangup_after: None,
            dtmf: None,
            dtmf_on: DtmfOn::Answer,
            dtmf_after: 1.0,
            keys: Vec::new(),
            park_delay: default_park_delay(),
            initial_silence: None,
            greeting: None,
            weight: 1,
        }
    }
}

/// Where a machine's beep starts after its greeting ends, and how long it lasts (seconds).
pub const BEEP_GAP: f64 = 0.5;
pub const BEEP_LEN: f64 = 0.5;

impl Outcome {
    /// When the callee's audio is voice (or a tone), in seconds after the answer: the greeting
    /// and, on a machine, the beep. Silence anywhere else.
    pub fn voiced_at(&self, t: f64) -> bool {
        let machine = self.result == Kind::Machine;
        let start = self.initial_silence.unwrap_or(0.4);
        let len = self.greeting.unwrap_or(if machine { 6.0 } else { 0.8 });
        if (start..start + len).contains(&t) {
            return true;
        }
        machine
            && self
                .beep_at()
                .is_some_and(|b| (b..b + BEEP_LEN).contains(&t))
    }

    /// When a machine's beep starts (seconds after the answer).
    pub fn beep_at(&self) -> Option<f64> {
        (self.result == Kind::Machine)
            .then(|| self.initial_silence.unwrap_or(0.4) + self.greeting.unwrap_or(6.0) + BEEP_GAP)
    }

    /// The hangup cause of a failing outcome (None when it answers or rings forever).
    pub fn failure_cause(&self) -> Option<&str> {
        Some(match self.result {
            Kind::Answer | Kind::Human | Kind::Machine | Kind::NoAnswer => return None,
            Kind::Busy => "USER_BUSY",
            Kind::NoUserResponse => "NO_USER_RESPONSE",
            Kind::Rejected => "CALL_REJECTED",
            Kind::Unallocated => "UNALLOCATED_NUMBER",
            Kind::TemporaryFailure => "NORMAL_TEMPORARY_FAILURE",
            Kind::GatewayDown => "GATEWAY_DOWN",
            Kind::Fail => self.cause.as_deref().unwrap_or("NORMAL_TEMPORARY_FAILURE"),
        })
    }
}
