//! Applications run while the originate still owns an outbound channel (CS_CONSUME_MEDIA,
//! before its `&app()` target starts). switch_ivr_originate's check_channel_status makes the
//! channel parse a queued `sendmsg` execute at once; the applications' media loops then find
//! the channel not ready (switch_channel_ready / switch_channel_media_ready), so they return
//! without playing or collecting anything. See docs/sim.md ("Applications before park").

use crate::sim::channel::State;
use crate::sim::leg::{origin, Actor};

/// Applications registered with SAF_SUPPORT_NOMEDIA (mod_dptools, mod_event_socket).
fn supports_nomedia(app: &str) -> bool {
    matches!(
        app,
        "answer"
            | "pre_answer"
            | "ring_ready"
            | "bridge"
            | "set"
            | "unset"
            | "export"
            | "sleep"
            | "hangup"
            | "park"
            | "socket"
            | "log"
            | "info"
            | "event"
            | "send_dtmf"
            | "sched_hangup"
    )
}

/// Whether the originate still owns the channel.
pub fn consuming(a: &Actor) -> bool {
    a.ch().state == State::ConsumeMedia
}

/// An application that needs media, on a channel still ringing without early media: FreeSWITCH
/// refuses it before CHANNEL_EXECUTE ("Cannot execute app ... media required on an outbound
/// channel that does not have media established").
pub fn refused(a: &Actor, app: &str) -> bool {
    let c = a.ch();
    c.state == State::ConsumeMedia && !c.media && !supports_nomedia(app)
}

/// The application's run without a media path, or None when it runs as usual (set, export,
/// unset, hangup, record_session, log, ...).
pub fn dispatch(a: &mut Actor, app: &str, arg: &str) -> Option<String> {
    let none = || Some("_none_".to_string());
    match app {
        // switch_channel_answer / pre_answer do nothing on an outbound channel.
        "answer" | "pre_answer" | "ring_ready" => none(),
        // The TTS loop and the sleep loop end on !switch_channel_ready: done in 0 ms.
        "speak" | "sleep" | "echo" | "wait_for_silence" => {
            tracing::debug!(uuid = %a.uuid, app, arg, "no media yet: returns at once");
            none()
        }
        // switch_ivr_play_file returns SWITCH_STATUS_FALSE before opening anything: no
        // PLAYBACK_START/STOP, and for say no file_string open, so no filestring::fail.
        "playback" => Some("PLAYBACK ERROR".into()),
        "say" => none(),
        "play_and_get_digits" => {
            pagd(a, arg);
            none()
        }
        "read" => {
            read(a, arg);
            none()
        }
        "park" => {
            // switch_ivr_park: CHANNEL_PARK, its loop ends at once, CHANNEL_UNPARK.
            a.fire("CHANNEL_PARK", origin::PARK, &[], &[]);
            a.fire("CHANNEL_UNPARK", origin::UNPARK, &[], &[]);
            none()
        }
        "socket" => {
            tracing::warn!(uuid = %a.uuid, arg, "socket before the originate's target: not simulated");
            none()
        }
        "bridge" => {
            // switch_ivr_originate checks the caller before creating any leg: not ready, so no
            // B leg, cause ORIGINATOR_CANCEL (DIALSTATUS CANCEL).
            crate::sim::bridge::set_failure(a, "ORIGINATOR_CANCEL");
            none()
        }
        _ => None,
    }
}

/// switch_play_and_get_digits: `<var>_invalid` is cleared (with a regex), then the loop
/// `while (switch_channel_ready(channel) && max_tries)` never runs: no digits, no read_result.
fn pagd(a: &Actor, arg: &str) {
    let v: Vec<&str> = arg.split(' ').filter(|s| !s.is_empty()).collect();
    if let (Some(var), Some(_regex)) = (v.get(7), v.get(8)) {
        a.ch().set_var(&format!("{var}_invalid"), None);
    }
}

/// switch_ivr_read: read_result and the variable are cleared; the prompt does not play, so
/// it ends there, or with `failure` when there is no prompt (digit collection cannot run).
fn read(a: &Actor, arg: &str) {
    let v: Vec<&str> = arg.split(' ').filter(|s| !s.is_empty()).collect();
    let mut c = a.ch();
    c.set_var("read_result", None);
    if let Some(var) = v.get(3) {
        c.set_var(var, None);
    }
    let prompt = v.get(2).copied().unwrap_or("");
    if prompt.is_empty() || prompt.eq_ignore_ascii_case("silence") {
        c.set_var("read_result", Some("failure"));
    }
}
