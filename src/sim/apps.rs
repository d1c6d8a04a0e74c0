//! Dialplan applications run through `sendmsg` execute (or `&app()`): the data expanded as
//! switch_core_session_exec does, CHANNEL_EXECUTE, the application's effect in simulated time,
//! then CHANNEL_EXECUTE_COMPLETE with its response and result variables, as PROTOCOL.md §12
//! records them. While the originate still owns the channel, [`nomedia`] decides instead.

pub mod amd;
mod nomedia;

use super::leg::{origin, Actor, Exec, Wake};
use super::media::{self, Playable};
use super::vars::{expand_for, switch_true};

/// Runs one queued application (with its `loops`).
pub async fn run(a: &mut Actor, exec: Exec) {
    let app = exec.app.to_ascii_lowercase();
    if !KNOWN.contains(&app.as_str()) {
        // switch_core_session_execute_application: "Invalid Application", channel hung up.
        tracing::info!(app = %exec.app, "invalid application");
        a.begin_hangup("DESTINATION_OUT_OF_ORDER");
        return;
    }
    if nomedia::refused(a, &app) {
        // switch_core_session_execute_application_get_flags, outbound channel without media.
        tracing::warn!(app = %app, "Cannot execute app '{app}' media required on an outbound channel that does not have media established");
        return;
    }
    let loops = if exec.loops == 0 { 1 } else { exec.loops };
    let mut n = 0;
    while loops < 0 || n < loops {
        n += 1;
        let app_uuid = exec
            .event_uuid
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let arg = expand_arg(a, &exec.arg);
        {
            let mut c = a.ch();
            c.set_var("current_application", Some(&app));
            c.set_var("current_application_data", Some(&arg));
            c.current_app = Some((app.clone(), arg.clone()));
        }
        let mut post = vec![("Application", app.clone())];
        if !arg.is_empty() {
            post.push(("Application-Data", arg.clone()));
        }
        post.push(("Application-UUID", app_uuid.clone()));
        a.fire("CHANNEL_EXECUTE", origin::EXECUTE, &[], &post);
        let response = Box::pin(dispatch(a, &app, &arg, &app_uuid)).await;
        let Some(response) = response else {
            return; // a holding app (park, socket) completes at hangup
        };
        complete(a, &app, &arg, &app_uuid, &response);
        if a.hangup.is_some() {
            return;
        }
    }
}

/// The data as the application gets it: expanded unless `app_disable_expand_variables` is true
/// (switch_core_session_exec); CHANNEL_EXECUTE and its COMPLETE carry it expanded.
fn expand_arg(a: &Actor, arg: &str) -> String {
    let ch = a.ch();
    if ch
        .var("app_disable_expand_variables")
        .is_some_and(switch_true)
    {
        return arg.to_string();
    }
    expand_for(&a.core, &ch, arg)
}

/// Applications the sim implements.
const KNOWN: &[&str] = &[
    "answer",
    "pre_answer",
    "ring_ready",
    "playback",
    "speak",
    "say",
    "play_and_get_digits",
    "read",
    "bridge",
    "record_session",
    "stop_record_session",
    "set",
    "unset",
    "export",
    "sleep",
    "hangup",
    "park",
    "socket",
    "log",
    "info",
    "echo",
    "event",
    "spandsp_start_dtmf",
    "start_dtmf",
    "stop_dtmf",
    "displace_session",
    "send_dtmf",
    "sched_hangup",
    "wait_for_silence",
    "avmd_start",
    "avmd_stop",
];

/// Fires CHANNEL_EXECUTE_COMPLETE.
pub fn complete(a: &Actor, app: &str, arg: &str, app_uuid: &str, response: &str) {
    let mut post = vec![("Application", app.to_string())];
    if !arg.is_empty() {
        post.push(("Application-Data", arg.to_string()));
    }
    post.push(("Application-Response", response.to_string()));
    post.push(("Application-UUID", app_uuid.to_string()));
    a.ch().current_app = None;
    a.fire(
        "CHANNEL_EXECUTE_COMPLETE",
        origin::EXECUTE_COMPLETE,
        &[],
        &post,
    );
}

/// Runs the application; None for a holding app that completes later.
async fn dispatch(a: &mut Actor, app: &str, arg: &str, app_uuid: &str) -> Option<String> {
    if nomedia::consuming(a) {
        if let Some(response) = nomedia::dispatch(a, app, arg) {
            return Some(response);
        }
    }
    let none = || Some("_none_".to_string());
    match app {
        "answer" => {
            pre_answer(a);
            a.answer();
            none()
        }
        "pre_answer" | "ring_ready" => {
            pre_answer(a);
            none()
        }
        "playback" => Some(Box::pin(playback(a, arg)).await),
        "speak" => {
            let text = arg.rsplit('|').next().unwrap_or(arg);
            tracing::debug!(uuid = %a.uuid, text, "sim speaks");
            let secs = media::text_seconds(&a.core.rules.media, text);
            a.prompt_started(false);
            play_for(a, secs).await;
            none()
        }
        "say" => {
            say(a, arg).await;
            none()
        }
        "play_and_get_digits" => {
            Box::pin(super::digits::play_and_get_digits(a, arg)).await;
            none()
        }
        "read" => {
            Box::pin(super::digits::read(a, arg)).await;
            none()
        }
        "bridge" => {
            Box::pin(super::bridge::bridge_app(a, arg)).await;
            none()
        }
        "record_session" => {
            let path = arg.split_whitespace().next().unwrap_or("").to_string();
            a.record_start(path);
            none()
        }
        "stop_record_session" => {
            a.record_stop(arg.trim());
            none()
        }
        "set" | "export" => {
            let (k, v) = arg.split_once('=').unwrap_or((arg, ""));
            // base_set (set) expands the value once more; export does not.
            let v = if app == "set" {
                let ch = a.ch();
                expand_for(&a.core, &ch, v)
            } else {
                v.to_string()
            };
            a.ch()
                .set_var(k.trim(), (!v.is_empty()).then_some(v.as_str()));
            none()
        }
        "unset" => {
            a.ch().set_var(arg.trim(), None);
            none()
        }
        "sleep" => {
            let ms: f64 = arg.trim().parse().unwrap_or(0.0);
            let d = a.deadline(ms / 1000.0);
            a.wait(Some(d), false).await;
            none()
        }
        "echo" => {
            a.wait(None, false).await;
            none()
        }
        "wait_for_silence" => {
            Box::pin(amd::wait_for_silence(a, arg)).await;
            none()
        }
        "avmd_start" => {
            amd::avmd_start(a);
            none()
        }
        "avmd_stop" => {
            amd::avmd_stop(a);
            none()
        }
        "sched_hangup" => {
            sched_hangup(a, arg);
            none()
        }
        "hangup" => {
            let cause = if arg.trim().is_empty() {
                "NORMAL_CLEARING"
            } else {
                super::causes::canonical(arg)
            };
            a.begin_hangup(cause);
            none()
        }
        "park" => {
            a.holding = Some(("park".into(), arg.into(), app_uuid.into()));
            a.fire("CHANNEL_PARK", origin::PARK, &[], &[]);
            None
        }
        "socket" => {
            a.holding = Some(("socket".into(), arg.into(), app_uuid.into()));
            super::outbound::start_socket_app(a, arg);
            None
        }
        _ => none(), // log, info, event, dtmf detection, displace, send_dtmf: no effect on the call
    }
}

/// `sched_hangup [+]<time> [<cause>]`: `+N` is N seconds from now, a bare number an epoch
/// time; the switch hangs the channel up then (the cause defaults to ALLOTTED_TIMEOUT).
fn sched_hangup(a: &mut Actor, arg: &str) {
    let mut words = arg.split_whitespace();
    let Some(when) = words.next() else {
        return;
    };
    let cause = words
        .next()
        .map_or("ALLOTTED_TIMEOUT", super::causes::canonical);
    let secs = match when.strip_prefix('+') {
        Some(rel) => rel.parse::<f64>().unwrap_or(0.0),
        None => {
            let epoch: i64 = when.parse().unwrap_or(0);
            (epoch * 1_000_000 - a.now()) as f64 / 1e6
        }
    };
    a.sched_hangup(secs.max(0.0), cause);
}

fn pre_answer(a: &mut Actor) {
    let early = {
        let c = a.ch();
        c.is_answered() || c.profile.times.progress_media != 0
    };
    if early {
        return;
    }
    a.codecs();
    let now = a.now();
    {
        let mut c = a.ch();
        c.profile.get_mut().times.progress_media = now;
        c.answer_state = "early";
    }
    a.fire("CHANNEL_PROGRESS_MEDIA", origin::PROGRESS_MEDIA, &[], &[]);
}

/// Plays for a simulated duration; digits are consumed (DTMF during a prompt is discarded
/// unless it is a playback terminator). Returns how the wait ended.
pub async fn play_for(a: &mut Actor, secs: f64) -> Wake {
    let until = a.deadline(secs);
    loop {
        let w = a.wait(Some(until), true).await;
        if w != Wake::Digit {
            return w;
        }
        let terminators = a
            .ch()
            .var("playback_terminators")
            .unwrap_or("*")
            .to_string();
        let d = a.digits.pop_front().unwrap_or(' ');
        let hit = match terminators.as_str() {
            "none" => false,
            "any" => true,
            t => t.contains(d),
        };
        if hit {
            a.ch()
                .set_var("playback_terminator_used", Some(&d.to_string()));
            return Wake::Digit;
        }
    }
}

async fn playback(a: &mut Actor, arg: &str) -> String {
    let path = arg.trim().to_string();
    let secs = match media::playback(&a.core.rules.media, &path) {
        Playable::Secs(s) => s,
        Playable::NotFound => return "FILE NOT FOUND".into(),
    };
    a.prompt_started(false);
    a.fire(
        "PLAYBACK_START",
        origin::PLAYBACK_START,
        &[],
        &[("Playback-File-Path", path.clone())],
    );
    let w = play_for(a, secs).await;
    let status = if w == Wake::Deadline { "done" } else { "break" };
    a.fire(
        "PLAYBACK_STOP",
        origin::PLAYBACK_STOP,
        &[],
        &[
            ("Playback-File-Path", path),
            ("Playback-Status", status.into()),
        ],
    );
    {
        let mut c = a.ch();
        c.set_var("playback_seconds", Some(&(secs as u64).to_string()));
        c.set_var("current_application_response", None);
    }
    if w == Wake::Hangup {
        "PLAYBACK ERROR".into()
    } else {
        "FILE PLAYED".into()
    }
}

async fn say(a: &mut Actor, arg: &str) {
    let Some(say) = media::parse_say(arg) else {
        return;
    };
    let has_prompts = a
        .core
        .rules
        .media
        .say_languages
        .iter()
        .any(|l| l.eq_ignore_ascii_case(&say.lang));
    if !has_prompts {
        for file in media::say_files(&say) {
            let path = format!("/usr/share/freeswitch/sounds/{}/{file}", say.lang);
            let mut b = a.core.id_custom("filestring::fail", origin::FILESTRING);
            b.add("File", path);
            a.core.fire(b.build());
        }
        return;
    }
    let secs = media::say_files(&say).len() as f64 * 0.6;
    a.prompt_started(false);
    play_for(a, secs.max(0.5)).await;
}
