//! The `api` / `bgapi` commands: originate, uuid_* call control, status, version, show
//! channels, hupall, fsctl; an unknown command gets FreeSWITCH's `-ERR <cmd> Command not found!`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::causes;
use super::core::Core;
use super::dialstring::parse_originate;
use super::leg::{Exec, Go, LegCmd, Peer};
use super::originate::{spawn_ring, RingOpts, RingResult};

/// An API result and what must happen once it has been delivered.
pub struct ApiOutput {
    pub body: String,
    /// Run after the result went out (BACKGROUND_JOB fired or api/response written).
    pub then: Option<Box<dyn FnOnce() + Send>>,
}

impl From<String> for ApiOutput {
    fn from(body: String) -> Self {
        ApiOutput { body, then: None }
    }
}

impl From<&str> for ApiOutput {
    fn from(body: &str) -> Self {
        ApiOutput {
            body: body.to_string(),
            then: None,
        }
    }
}

/// FreeSWITCH's version line.
pub const VERSION: &str = "FreeSWITCH Version 1.11.1-release~64bit (outcall-sim 64bit)";

/// Runs an API command.
pub async fn execute(core: &Arc<Core>, cmd: &str, args: &str) -> ApiOutput {
    fire_api_event(core, cmd, args);
    let args = args.trim();
    match cmd.to_ascii_lowercase().as_str() {
        "originate" => originate(core, args).await,
        "uuid_kill" => uuid_kill(core, args).into(),
        "uuid_exists" => bool_str(core.channel(first(args)).is_some()).into(),
        "uuid_getvar" => uuid_getvar(core, args).into(),
        "uuid_setvar" => uuid_setvar(core, args).into(),
        "uuid_broadcast" => uuid_broadcast(core, args).into(),
        "uuid_bridge" => uuid_bridge(core, args).into(),
        "uuid_record" => uuid_record(core, args).await.into(),
        "uuid_send_dtmf" => uuid_send_dtmf(core, args).into(),
        "status" => super::show::status(core).into(),
        "version" => format!("{VERSION}\n").into(),
        "show" => super::show::show(core, args).into(),
        "hupall" => hupall(core, args).into(),
        "fsctl" => fsctl(core, args).into(),
        "reloadxml" => "+OK [Success]\n".into(),
        "echo" => args.to_string().into(),
        "uptime" => format!("{}\n", core.id.clock.uptime_us() / 1_000_000).into(),
        "global_getvar" => "\n".into(),
        "hostname" => core.id.hostname.clone().into(),
        "eval" => args.to_string().into(),
        _ => format!("-ERR {cmd} Command not found!\n").into(),
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn first(args: &str) -> &str {
    args.split_whitespace().next().unwrap_or("")
}

/// The API event switch_api_execute fires for every API it runs (inline calls too).
pub fn fire_api_event(core: &Core, cmd: &str, args: &str) {
    let mut b = core.event(
        "API",
        ("switch_loadable_module.c", "switch_api_execute", 2248),
    );
    b.add("API-Command", cmd.to_string());
    if !args.is_empty() {
        b.add("API-Command-Argument", args.to_string());
    }
    core.fire(b.build());
}

async fn originate(core: &Arc<Core>, args: &str) -> ApiOutput {
    let o = match parse_originate(args) {
        Ok(o) => o,
        Err(usage) => return usage.into(),
    };
    core.counters.originates.fetch_add(1, Ordering::Relaxed);
    let opts = RingOpts {
        timeout: o.timeout,
        cid_name: o.cid_name.clone(),
        cid_num: o.cid_num.clone(),
        originator: None,
    };
    let (_cancel_tx, cancel_rx) = oneshot::channel();
    let rx = spawn_ring(core.clone(), o.dial, opts, cancel_rx);
    match rx.await {
        Ok(RingResult::Won { uuid, go }) => {
            let target = o.target;
            ApiOutput {
                body: format!("+OK {uuid}\n"),
                then: Some(Box::new(move || {
                    let _ = go.send(Go::Run(target));
                })),
            }
        }
        Ok(RingResult::Failed { cause, ack }) => ApiOutput {
            body: format!("-ERR {cause}\n"),
            then: ack.map(|a| -> Box<dyn FnOnce() + Send> {
                Box::new(move || {
                    let _ = a.send(());
                })
            }),
        },
        Err(_) => "-ERR NORMAL_TEMPORARY_FAILURE\n".into(),
    }
}

fn uuid_kill(core: &Core, args: &str) -> String {
    let mut it = args.split_whitespace();
    let uuid = it.next().unwrap_or("");
    let cause = it.next().map_or("NORMAL_CLEARING", causes::canonical);
    match core.channel(uuid) {
        Some(e) => {
            let _ = e.tx.send(LegCmd::Hangup(cause));
            "+OK\n".into()
        }
        None => "-ERR No such channel!\n".into(),
    }
}

fn uuid_getvar(core: &Core, args: &str) -> String {
    let mut it = args.split_whitespace();
    let (uuid, var) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
    match core.channel(uuid) {
        Some(e) => {
            let c = e.data.lock().unwrap_or_else(|p| p.into_inner());
            c.var(var).unwrap_or("_undef_").to_string()
        }
        None => "-ERR No such channel!\n".into(),
    }
}

fn uuid_setvar(core: &Core, args: &str) -> String {
    let mut it = args.splitn(3, ' ');
    let (uuid, var, value) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next());
    if var.is_empty() {
        return "-USAGE: <uuid> <var> [value]\n".into();
    }
    match core.channel(uuid) {
        Some(e) => {
            let mut c = e.data.lock().unwrap_or_else(|p| p.into_inner());
            c.set_var(var, value.filter(|v| !v.is_empty()));
            "+OK\n".into()
        }
        None => "-ERR No such channel!\n".into(),
    }
}

fn uuid_broadcast(core: &Core, args: &str) -> String {
    let mut it = args.split_whitespace();
    let uuid = it.next().unwrap_or("");
    let what = it.next().unwrap_or("");
    let Some(e) = core.channel(uuid) else {
        return "-ERR invalid uuid\n".into();
    };
    let (app, arg) = match what.split_once("::") {
        Some((app, arg)) => (app.to_string(), arg.to_string()),
        None => ("playback".to_string(), what.to_string()),
    };
    let _ = e.tx.send(LegCmd::Execute(Exec {
        app,
        arg,
        event_uuid: None,
        loops: 1,
    }));
    "+OK Message sent\n".into()
}

fn uuid_bridge(core: &Core, args: &str) -> String {
    let mut it = args.split_whitespace();
    let (a, b) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
    let (Some(ea), Some(eb)) = (core.channel(a), core.channel(b)) else {
        return "-ERR Invalid uuid\n".into();
    };
    let pa = ea
        .data
        .lock()
        .map(|c| (*c.profile).clone())
        .unwrap_or_default();
    let pb = eb
        .data
        .lock()
        .map(|c| (*c.profile).clone())
        .unwrap_or_default();
    let _ = ea.tx.send(LegCmd::Join {
        peer: Peer {
            uuid: b.to_string(),
            tx: eb.tx.clone(),
            profile: pb,
        },
        a_side: true,
    });
    let _ = eb.tx.send(LegCmd::Join {
        peer: Peer {
            uuid: a.to_string(),
            tx: ea.tx.clone(),
            profile: pa,
        },
        a_side: false,
    });
    format!("+OK {b}\n")
}

async fn uuid_record(core: &Core, args: &str) -> String {
    let mut it = args.split_whitespace();
    let (uuid, action, path) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
    );
    let Some(e) = core.channel(uuid) else {
        return "-ERR Cannot locate session!\n".into();
    };
    match action.to_ascii_lowercase().as_str() {
        "start" if !path.is_empty() => {
            let _ = e.tx.send(LegCmd::RecordStart(path.to_string()));
            "+OK Success\n".into()
        }
        "stop" => {
            let (tx, rx) = oneshot::channel();
            let _ = e.tx.send(LegCmd::RecordStop(path.to_string(), tx));
            match rx.await {
                Ok(true) => "+OK Success\n".into(),
                _ => "-ERR Cannot stop record session!\n".into(),
            }
        }
        "mask" | "unmask" => "+OK Success\n".into(),
        _ => "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n".into(),
    }
}

fn uuid_send_dtmf(core: &Core, args: &str) -> String {
    let uuid = first(args);
    match core.channel(uuid) {
        Some(_) => "+OK Success\n".into(),
        None => format!("-ERR no such session {uuid}\n"),
    }
}

fn hupall(core: &Core, args: &str) -> String {
    let mut it = args.split_whitespace();
    let cause = it.next().map_or("MANAGER_REQUEST", causes::canonical);
    let filter = it.next().zip(it.next());
    for e in core.live_channels() {
        let matches =
            filter.is_none_or(|(k, v)| e.data.lock().map(|c| c.var(k) == Some(v)).unwrap_or(false));
        if matches {
            let _ = e.tx.send(LegCmd::Hangup(cause));
        }
    }
    format!("+OK hangup all channels with cause {cause}\n")
}

fn fsctl(core: &Core, args: &str) -> String {
    let mut it = args.split_whitespace();
    let what = it.next().unwrap_or("").to_ascii_lowercase();
    let n: Option<u32> = it.next().and_then(|v| v.parse().ok());
    match what.as_str() {
        "sps" => {
            if let Some(n) = n {
                core.sps.store(n, Ordering::Relaxed);
            }
            format!(
                "+OK sessions per second: {}\n",
                core.sps.load(Ordering::Relaxed)
            )
        }
        "max_sessions" => {
            if let Some(n) = n {
                core.max_sessions.store(n, Ordering::Relaxed);
            }
            format!(
                "+OK max sessions: {}\n",
                core.max_sessions.load(Ordering::Relaxed)
            )
        }
        "hupall" => hupall(core, "MANAGER_REQUEST"),
        _ => "-ERR INVALID COMMAND\nUSAGE: fsctl [hupall|sps|max_sessions]\n".into(),
    }
}
