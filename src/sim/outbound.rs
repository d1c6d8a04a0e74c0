//! Outbound mode: a channel running the `socket host:port [async] [full]` application makes
//! the sim connect to that listener; the client sends `connect` and gets the channel data
//! (CHANNEL_DATA, plain, no Content-Length, reply headers last) as FreeSWITCH sends it.

use std::io;
use std::sync::Arc;

use tokio::net::TcpStream;

use super::channel::write_channel_data_profile;
use super::conn::{OutboundCtx, Session};
use super::core::Core;
use super::encode::command_reply;
use super::leg::{Actor, LegCmd};

/// Starts the `socket` application: connect and run the outbound session in its own task.
pub fn start_socket_app(a: &mut Actor, arg: &str) {
    let mut words = arg.split_whitespace();
    let addr = words.next().unwrap_or("").to_string();
    let rest: Vec<String> = words.map(str::to_ascii_lowercase).collect();
    let full = rest.iter().any(|w| w == "full");
    let core = a.core.clone();
    let uuid = a.uuid.clone();
    let tx = a.entry.tx.clone();
    let name = a.ch().name.clone();
    a.ch()
        .set_var("socket_host", Some(addr.split(':').next().unwrap_or("")));
    tokio::spawn(async move {
        match TcpStream::connect(&addr).await {
            Ok(stream) => run_session(core, stream, uuid, name, full).await,
            Err(e) => {
                tracing::warn!(%addr, %e, "socket application cannot connect");
                let _ = tx.send(LegCmd::SocketClosed);
            }
        }
    });
}

async fn run_session(core: Arc<Core>, stream: TcpStream, uuid: String, name: String, full: bool) {
    let (mut s, rx) = Session::new_watching(core, stream, String::new(), Some(uuid.clone()));
    s.outbound = Some(OutboundCtx {
        uuid,
        channel_name: name,
        full,
        connected: false,
        linger: None,
        hung_up: false,
    });
    s.run(rx).await;
}

/// Outbound-only commands: connect, getvar, resume.
pub async fn command(s: &mut Session, verb: &str, args: &str) -> io::Result<()> {
    let Some(uuid) = s.outbound.as_ref().map(|o| o.uuid.clone()) else {
        return s.reply("-ERR command not found").await;
    };
    match verb {
        "connect" => {
            if let Some(o) = s.outbound.as_mut() {
                o.connected = true;
            }
            let full = s.outbound.as_ref().is_some_and(|o| o.full);
            let data = channel_data(&s.core, &uuid, full);
            s.write(data).await
        }
        "getvar" => {
            let v = s.core.channel(&uuid).and_then(|e| {
                e.data
                    .lock()
                    .ok()
                    .and_then(|c| c.var(args.trim()).map(str::to_string))
            });
            match v {
                Some(v) => s.write(command_reply(&v, &[])).await,
                None => s.reply("-ERR command not found").await,
            }
        }
        _ => s.reply("+OK").await,
    }
}

/// The `connect` reply: CHANNEL_DATA headers, then Content-Type, Reply-Text, Socket-Mode, Control.
pub fn channel_data(core: &Core, uuid: &str, full: bool) -> Vec<u8> {
    let mut b = core.event(
        "CHANNEL_DATA",
        ("mod_event_socket.c", "parse_command", 1875),
    );
    if let Some(e) = core.channel(uuid) {
        let mut c = e.data.lock().unwrap_or_else(|p| p.into_inner());
        write_channel_data_profile(b.headers_mut(), &c.profile);
        c.write_block(&mut b, true);
    }
    b.add("Content-Type", "command/reply");
    b.add("Reply-Text", "+OK\n");
    b.add("Socket-Mode", "async");
    b.add("Control", if full { "full" } else { "single-channel" });
    let ev = b.build();
    ev.plain().into_bytes()
}
