//! What answering-machine detection hears in the sim: `wait_for_silence` (mod_dptools,
//! `switch_ivr_wait_for_silence` in src/switch_ivr_play_say.c) run frame by frame over the
//! outcome's voice model ([`Outcome::voiced_at`]: initial silence, greeting, a machine's beep),
//! and mod_avmd's `avmd_start` / `avmd_stop` with their CUSTOM `avmd::start`, `avmd::beep`,
//! `avmd::stop` events and the `avmd_detect` / `avmd_total_time` variables (mod_avmd.c,
//! `avmd_fire_event`, `avmd_detector_func`).

use crate::sim::event::Origin;
use crate::sim::leg::{Actor, Wake};
use crate::sim::rules::BEEP_LEN;

/// Mean absolute sample value of a frame of the callee's voice (or beep), and of a quiet line.
pub const VOICE_ENERGY: u32 = 2000;
pub const QUIET_ENERGY: u32 = 20;
/// Samples of one 20 ms frame at 8 kHz (PCMA, the codec the sim's channels use).
const FRAME_SAMPLES: i64 = 160;
const FRAME_SECS: f64 = 0.02;
/// How far into the beep mod_avmd has heard enough of it.
const AVMD_DELAY: f64 = 0.1;
/// A wait without timeout that hears no silence gives up (and waits for the hangup) here.
const MAX_FRAMES: u32 = 180_000;

/// Where mod_avmd fires its events (`switch_event_fire(&event_copy)` in `avmd_fire_event`);
/// the line is placed from the source by hand, there is no capture of these events.
const AVMD: Origin = ("mod_avmd.c", "avmd_fire_event", 695);

/// A running avmd session on a channel.
#[derive(Debug, Clone, Copy)]
pub struct Avmd {
    started_us: i64,
    detected: bool,
}

/// What `switch_ivr_wait_for_silence` ends with: the frames it read and the variables it set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listened {
    pub frames: u32,
    pub vars: Vec<(&'static str, String)>,
}

/// The frame loop of `switch_ivr_wait_for_silence`, over `energy(frame index)`.
pub fn listen(
    thresh: u32,
    silence_hits: u32,
    listen_hits: u32,
    timeout_ms: u32,
    energy: impl Fn(u32) -> u32,
) -> Option<Listened> {
    let org_silence_hits = silence_hits;
    let mut silence_hits = silence_hits;
    let mut sample_count = 8 * i64::from(timeout_ms);
    let mut listening = 0u32;
    let mut countdown = 0u32;
    for n in 0..MAX_FRAMES {
        let frames = n + 1;
        if sample_count != 0 {
            sample_count -= FRAME_SAMPLES;
            if sample_count <= 0 {
                let vars = vec![
                    ("wait_for_silence_timeout", "true".to_string()),
                    ("wait_for_silence_listenhits", listening.to_string()),
                    ("wait_for_silence_silence_hits", silence_hits.to_string()),
                ];
                return Some(Listened { frames, vars });
            }
        }
        if countdown != 0 {
            countdown -= 1;
            if countdown == 0 {
                let vars = vec![("wait_for_silence_timeout", "false".to_string())];
                return Some(Listened { frames, vars });
            }
            continue;
        }
        let score = energy(n);
        if score >= thresh {
            listening += 1;
        }
        if listening > listen_hits && score < thresh {
            silence_hits -= 1;
            if silence_hits == 0 {
                countdown = 25;
            }
        } else {
            silence_hits = org_silence_hits;
        }
    }
    None
}

/// Seconds since the channel was answered.
fn since_answer(a: &Actor) -> f64 {
    let answered = a.ch().profile.times.answered;
    if answered == 0 {
        return 0.0;
    }
    (a.now() - answered) as f64 / 1e6
}

/// `wait_for_silence <thresh> <silence_hits> <listen_hits> [<timeout_ms>]`: does nothing unless
/// the first three are above zero (`wait_for_silence_function`), sets nothing when the call
/// ends first.
pub async fn wait_for_silence(a: &mut Actor, arg: &str) {
    let v: Vec<i64> = arg
        .split(' ')
        .filter(|s| !s.is_empty())
        .take(4)
        .map(|s| s.parse().unwrap_or(0))
        .collect();
    let (thresh, silence, listen_hits) = match v[..] {
        [t, s, l, ..] if t > 0 && s > 0 && l > 0 => (t as u32, s as u32, l as u32),
        _ => {
            tracing::warn!(uuid = %a.uuid, arg, "Usage: wait_for_silence <silence_thresh> <silence_hits> <listen_hits> <timeout_ms> [<file>]");
            return;
        }
    };
    let timeout = v.get(3).copied().unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32;
    let t0 = since_answer(a);
    let outcome = a.outcome.clone();
    let energy = |n: u32| {
        if outcome.voiced_at(t0 + f64::from(n) * FRAME_SECS) {
            VOICE_ENERGY
        } else {
            QUIET_ENERGY
        }
    };
    let Some(heard) = listen(thresh, silence, listen_hits, timeout, energy) else {
        a.wait(None, false).await;
        return;
    };
    let until = a.deadline(f64::from(heard.frames) * FRAME_SECS);
    loop {
        match a.wait(Some(until), false).await {
            Wake::Deadline => break,
            Wake::Digit => a.digits.clear(),
            _ => return,
        }
    }
    let mut c = a.ch();
    for (k, val) in &heard.vars {
        c.set_var(k, Some(val));
    }
}

/// `avmd_start`: adds the media bug and fires `avmd::start`; the beep of a machine still to
/// come will be heard.
pub fn avmd_start(a: &mut Actor) {
    if a.avmd.is_some() {
        return; // "Avmd already started!"
    }
    let now = a.now();
    a.avmd = Some(Avmd {
        started_us: now,
        detected: false,
    });
    fire(a, "avmd::start", vec![("Start-time", now.to_string())]);
    let t = since_answer(a);
    if let Some(beep) = a.outcome.beep_at() {
        if t < beep + BEEP_LEN - AVMD_DELAY {
            let at = (beep + AVMD_DELAY).max(t);
            a.avmd_beep_at = Some(a.deadline(at - t));
        }
    }
}

/// `avmd_stop`: removes the bug; `avmd::stop` says whether a beep was heard.
pub fn avmd_stop(a: &mut Actor) {
    let Some(s) = a.avmd.take() else {
        return; // "Stop failed - avmd has not yet been started on this channel"
    };
    a.avmd_beep_at = None;
    let status = if s.detected {
        "DETECTED"
    } else {
        "NOTDETECTED"
    };
    let total = a.now() - s.started_us;
    fire(
        a,
        "avmd::stop",
        vec![
            ("Beep-Status", status.to_string()),
            ("Total-time", total.to_string()),
        ],
    );
}

/// The beep timer: `avmd_detect=TRUE`, `avmd_total_time=[ms]`, CUSTOM `avmd::beep`.
pub fn beep_heard(a: &mut Actor) {
    a.avmd_beep_at = None;
    let Some(s) = a.avmd.as_mut() else {
        return;
    };
    s.detected = true;
    let started = s.started_us;
    let detection_us = a.now() - started;
    {
        let mut c = a.ch();
        c.set_var(
            "avmd_total_time",
            Some(&format!("[{}]", detection_us / 1000)),
        );
        c.set_var("avmd_detect", Some("TRUE"));
    }
    // Values as `avmd_fire_event` prints them ("%f" into AVMD_CHAR_BUF_LEN = 20 bytes).
    fire(
        a,
        "avmd::beep",
        vec![
            ("Beep-Status", "DETECTED".into()),
            ("Frequency", "1000.000000".into()),
            ("Frequency-variance", "0.000000".into()),
            ("Amplitude", "0.000000".into()),
            ("Amplitude-variance", "0.000000".into()),
            ("Detection-time", detection_us.to_string()),
            ("Detector-resolution", "1".into()),
            ("Detector-offset", "0".into()),
            ("Detector-index", "0".into()),
        ],
    );
}

fn fire(a: &Actor, subclass: &str, headers: Vec<(&'static str, String)>) {
    let mut b = a.core.id_custom(subclass, AVMD);
    b.add("Unique-ID", a.uuid.clone());
    b.add("Call-command", "avmd");
    for (k, v) in headers {
        b.add(k, v);
    }
    b.unique_id(&a.uuid);
    a.core.fire(b.build());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Voice in frames [from, to), quiet elsewhere.
    fn speech(from: u32, to: u32) -> impl Fn(u32) -> u32 {
        move |n| {
            if (from..to).contains(&n) {
                VOICE_ENERGY
            } else {
                QUIET_ENERGY
            }
        }
    }

    #[test]
    fn a_hello_then_silence_ends_the_wait() {
        // 0.4 s quiet, 0.8 s hello (frames 20..60), then 40 quiet frames and 25 more.
        let l = listen(256, 40, 5, 5300, speech(20, 60)).unwrap();
        assert_eq!(l.vars, vec![("wait_for_silence_timeout", "false".into())]);
        assert_eq!(l.frames, 60 + 40 + 25);
    }

    #[test]
    fn a_long_greeting_times_out_with_its_voice_counted() {
        let l = listen(256, 40, 5, 5300, speech(20, 320)).unwrap();
        assert_eq!(l.frames, 265, "5300 ms of 20 ms frames");
        assert_eq!(
            l.vars,
            vec![
                ("wait_for_silence_timeout", "true".into()),
                ("wait_for_silence_listenhits", "244".into()),
                ("wait_for_silence_silence_hits", "40".into()),
            ]
        );
    }

    #[test]
    fn silence_alone_times_out_with_nothing_heard() {
        let l = listen(256, 40, 5, 1000, speech(0, 0)).unwrap();
        assert_eq!(l.vars[1], ("wait_for_silence_listenhits", "0".into()));
        assert!(
            listen(256, 40, 5, 0, speech(0, 0)).is_none(),
            "no timeout: waits on"
        );
    }
}
