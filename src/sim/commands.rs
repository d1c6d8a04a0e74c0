//! The event-socket commands (PROTOCOL.md §4): auth, api, bgapi, event, nixevent, noevents,
//! filter, sendmsg, sendevent, myevents, linger, log, divert_events, exit; outbound-only
//! connect, getvar, resume. Replies use FreeSWITCH's texts.

use std::io;

use super::api;
use super::conn::{header, Next, Session};
use super::encode::command_reply;
use super::leg::{Exec, LegCmd};
use crate::esl::Request;

/// Handles one request and writes its reply.
pub async fn handle(s: &mut Session, req: Request) -> io::Result<Next> {
    let verb = req.verb().to_ascii_lowercase();
    let args = req.args().to_string();
    if verb.starts_with("exit") || verb == "..." {
        s.reply("+OK bye").await?;
        return Ok(Next::Bye);
    }
    if s.outbound.is_none() && !s.authed {
        return pre_auth(s, &verb, &args).await;
    }
    if let Some(o) = &s.outbound {
        let allowed = [
            "connect",
            "myevents",
            "getvar",
            "resume",
            "filter",
            "divert_events",
            "sendmsg",
            "linger",
            "nolinger",
        ];
        if !o.full && !allowed.contains(&verb.as_str()) {
            s.reply("-ERR command not found").await?;
            return Ok(Next::Continue);
        }
    }
    match verb.as_str() {
        "api" => cmd_api(s, &args).await?,
        "bgapi" => cmd_bgapi(s, &args, &req).await?,
        "event" => cmd_event(s, &args).await?,
        "nixevent" => cmd_nixevent(s, &args).await?,
        "noevents" => cmd_noevents(s).await?,
        "filter" => cmd_filter(s, &args).await?,
        "sendmsg" => cmd_sendmsg(s, &args, &req).await?,
        "sendevent" => cmd_sendevent(s, &args, &req).await?,
        "myevents" => cmd_myevents(s, &args).await?,
        "linger" => cmd_linger(s, &args).await?,
        "nolinger" => cmd_nolinger(s).await?,
        "log" => cmd_log(s, &args).await?,
        "nolog" => s.reply("+OK no longer logging").await?,
        "divert_events" => cmd_divert(s, &args).await?,
        "connect" | "getvar" | "resume" if s.outbound.is_some() => {
            super::outbound::command(s, &verb, &args).await?
        }
        _ => s.reply("-ERR command not found").await?,
    }
    Ok(Next::Continue)
}

async fn pre_auth(s: &mut Session, verb: &str, args: &str) -> io::Result<Next> {
    if verb != "auth" {
        s.reply("-ERR command not found").await?;
        return Ok(Next::Continue);
    }
    if args == s.password {
        s.authed = true;
        s.reply("+OK accepted").await?;
        Ok(Next::Continue)
    } else {
        s.reply("-ERR invalid").await?;
        Ok(Next::Bye)
    }
}

async fn cmd_api(s: &mut Session, args: &str) -> io::Result<()> {
    let (cmd, rest) = split_cmd(args);
    let out = api::execute(&s.core, cmd, rest).await;
    let body = if out.body.is_empty() {
        "-ERR no reply\n".to_string()
    } else {
        out.body
    };
    s.api_reply(&body).await?;
    if let Some(then) = out.then {
        then();
    }
    Ok(())
}

fn split_cmd(args: &str) -> (&str, &str) {
    let a = args.trim_start();
    match a.find(' ') {
        Some(i) => (&a[..i], a[i + 1..].trim_start_matches(' ')),
        None => (a, ""),
    }
}

async fn cmd_bgapi(s: &mut Session, args: &str, req: &Request) -> io::Result<()> {
    let job = header(req, "Job-UUID")
        .filter(|j| !j.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let text = format!("+OK Job-UUID: {job}");
    s.write(command_reply(&text, &[("Job-UUID", &job)])).await?;
    let core = s.core.clone();
    let owner = s.outbound.as_ref().map(|o| o.uuid.clone());
    let args = args.to_string();
    tokio::spawn(async move {
        let (cmd, rest) = split_cmd(&args);
        let out = api::execute(&core, cmd, rest).await;
        let mut b = core.event("BACKGROUND_JOB", ("mod_event_socket.c", "api_exec", 1572));
        b.add("Job-UUID", job);
        b.add("Job-Command", cmd.to_string());
        if !rest.is_empty() {
            b.add("Job-Command-Arg", rest.to_string());
        }
        if let Some(o) = &owner {
            b.add("Job-Owner-UUID", o.clone());
        }
        b.job_owner(owner.as_deref());
        b.body(out.body);
        core.fire(b.build());
        if let Some(then) = out.then {
            then();
        }
    });
    Ok(())
}

async fn cmd_event(s: &mut Session, args: &str) -> io::Result<()> {
    let (ok, fmt) = {
        let mut subs = s.subs.write().unwrap_or_else(|e| e.into_inner());
        let ok = subs.subscribe(args);
        (ok, subs.format)
    };
    if ok {
        s.reply(&format!("+OK event listener enabled {}", fmt.name()))
            .await
    } else {
        s.reply("-ERR no keywords supplied").await
    }
}

async fn cmd_nixevent(s: &mut Session, args: &str) -> io::Result<()> {
    let listening = {
        let mut subs = s.subs.write().unwrap_or_else(|e| e.into_inner());
        let l = subs.listening();
        if l {
            subs.nix(args);
        }
        l
    };
    if listening {
        s.reply("+OK events nixed").await
    } else {
        s.reply("-ERR not listening for events").await
    }
}

async fn cmd_noevents(s: &mut Session) -> io::Result<()> {
    let listening = {
        let mut subs = s.subs.write().unwrap_or_else(|e| e.into_inner());
        let l = subs.listening();
        subs.clear();
        l
    };
    if listening {
        s.reply("+OK no longer listening for events").await
    } else {
        s.reply("-ERR not listening for events").await
    }
}

async fn cmd_filter(s: &mut Session, args: &str) -> io::Result<()> {
    let mut words: Vec<&str> = args.splitn(3, ' ').collect();
    let delete = words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("delete"));
    if delete || words.first().is_some_and(|w| w.eq_ignore_ascii_case("add")) {
        let rest = args.split_once(' ').map_or("", |(_, r)| r);
        words = rest.splitn(2, ' ').collect();
    } else {
        words = args.splitn(2, ' ').collect();
    }
    let header = words.first().copied().unwrap_or("").trim();
    let value = words.get(1).map(|v| v.trim());
    if header.is_empty() || (!delete && value.is_none_or(str::is_empty)) {
        return s.reply("-ERR invalid syntax").await;
    }
    let reply = {
        let mut subs = s.subs.write().unwrap_or_else(|e| e.into_inner());
        if delete {
            subs.delete_filter(header, value);
            format!("+OK filter deleted. [{header}][{}]", value.unwrap_or(""))
        } else {
            let v = value.unwrap_or("");
            subs.add_filter(header, v);
            format!("+OK filter added. [{header}]=[{v}]")
        }
    };
    s.reply(&reply).await
}

async fn cmd_sendmsg(s: &mut Session, args: &str, req: &Request) -> io::Result<()> {
    let uuid = Some(args.trim().to_string())
        .filter(|u| !u.is_empty())
        .or_else(|| header(req, "session-id"))
        .or_else(|| s.outbound.as_ref().map(|o| o.uuid.clone()))
        .unwrap_or_default();
    let Some(entry) = s.core.channel(&uuid) else {
        return s.reply(&format!("-ERR invalid session id [{uuid}]")).await;
    };
    let cmd = header(req, "call-command")
        .unwrap_or_default()
        .to_ascii_lowercase();
    match cmd.as_str() {
        "execute" => {
            let body = req.body.as_ref().map(|b| {
                String::from_utf8_lossy(b)
                    .trim_end_matches('\n')
                    .to_string()
            });
            let arg = header(req, "execute-app-arg").or(body).unwrap_or_default();
            let loops = header(req, "loops")
                .and_then(|l| l.parse().ok())
                .unwrap_or(1);
            let exec = Exec {
                app: header(req, "execute-app-name").unwrap_or_default(),
                arg,
                event_uuid: header(req, "event-uuid"),
                loops,
            };
            let _ = entry.tx.send(LegCmd::Execute(exec));
        }
        "hangup" => {
            let cause = header(req, "hangup-cause")
                .map_or("NORMAL_CLEARING", |c| super::causes::canonical(&c));
            let _ = entry.tx.send(LegCmd::Hangup(cause));
        }
        _ => {}
    }
    s.reply("+OK").await
}

async fn cmd_sendevent(s: &mut Session, args: &str, req: &Request) -> io::Result<()> {
    let token = args.split_whitespace().next().unwrap_or("CUSTOM");
    let name = super::event::canonical_name(token).unwrap_or("CUSTOM");
    let subclass = header(req, "Event-Subclass");
    let mut b = match (&subclass, name) {
        (Some(sc), "CUSTOM") => s
            .core
            .id_custom(sc, ("mod_event_socket.c", "parse_command", 2034)),
        _ => s
            .core
            .event(name, ("mod_event_socket.c", "parse_command", 2034)),
    };
    let id = uuid::Uuid::new_v4().to_string();
    for (k, v) in req.headers.iter() {
        if !k.eq_ignore_ascii_case("Event-Subclass") && !k.eq_ignore_ascii_case("Content-Length") {
            b.add_owned(k.to_string(), v.to_string());
        }
    }
    b.add("Event-UUID", id.clone());
    if let Some(body) = &req.body {
        b.body(String::from_utf8_lossy(body).into_owned());
    }
    s.core.fire(b.build());
    s.reply(&format!("+OK {id}")).await
}

async fn cmd_myevents(s: &mut Session, args: &str) -> io::Result<()> {
    let mut words = args.split_whitespace();
    let mut uuid = None;
    let mut fmt = None;
    for w in words.by_ref() {
        match super::encode::Format::parse(w) {
            Some(f) => fmt = Some(f),
            None => uuid = Some(w.to_string()),
        }
    }
    let uuid = uuid.or_else(|| s.outbound.as_ref().map(|o| o.uuid.clone()));
    let Some(uuid) = uuid else {
        return s.reply("-ERR invalid uuid").await;
    };
    if s.core.channel(&uuid).is_none() {
        return s.reply("-ERR invalid uuid").await;
    }
    if !s.set_myevents() {
        return s.reply("-ERR aready enabled.").await;
    }
    {
        let mut subs = s.subs.write().unwrap_or_else(|e| e.into_inner());
        subs.my_uuid = Some(uuid);
        if let Some(f) = fmt {
            subs.format = f;
        }
    }
    s.reply("+OK Events Enabled").await
}

async fn cmd_linger(s: &mut Session, args: &str) -> io::Result<()> {
    let Some(o) = s.outbound.as_mut() else {
        return s.reply("-ERR not controlling a session").await;
    };
    let secs: Option<i64> = args.trim().parse().ok().filter(|n| *n > 0);
    o.linger = Some(secs.unwrap_or(-1));
    match secs {
        Some(n) => s.reply(&format!("+OK will linger {n} seconds")).await,
        None => s.reply("+OK will linger").await,
    }
}

async fn cmd_nolinger(s: &mut Session) -> io::Result<()> {
    let Some(o) = s.outbound.as_mut() else {
        return s.reply("-ERR not controlling a session").await;
    };
    o.linger = None;
    s.reply("+OK will not linger").await
}

async fn cmd_log(s: &mut Session, args: &str) -> io::Result<()> {
    let level = args.trim();
    let levels = [
        ("console", 0),
        ("alert", 1),
        ("crit", 2),
        ("err", 3),
        ("warning", 4),
        ("notice", 5),
        ("info", 6),
        ("debug", 7),
    ];
    let found = if level.is_empty() {
        Some(("debug", 7))
    } else if let Ok(n) = level.parse::<usize>() {
        levels.get(n).copied()
    } else {
        levels
            .iter()
            .copied()
            .find(|(n, _)| n.eq_ignore_ascii_case(level))
    };
    match found {
        Some((name, n)) => s.reply(&format!("+OK log level {name} [{n}]")).await,
        None => s.reply("-ERR invalid log level").await,
    }
}

async fn cmd_divert(s: &mut Session, args: &str) -> io::Result<()> {
    if s.outbound.is_none() {
        return s.reply("-ERR not controlling a session.").await;
    }
    if args.trim().eq_ignore_ascii_case("on") {
        s.reply("+OK events diverted").await
    } else {
        s.reply("+OK events not diverted").await
    }
}
