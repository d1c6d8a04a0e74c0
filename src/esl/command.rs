//! Injection-safe builders for everything a client sends.
//!
//! A [`Command`] can only be made here, and every builder refuses a CR, LF or NUL in any
//! argument, so no value can end the command line or a header line early and smuggle in a
//! second command. Names (applications, variables, headers, event names) must be plain tokens.
//! [`originate_vars`] escapes channel-variable values for FreeSWITCH's `{}`/`[]` syntax so
//! commas, spaces, double quotes and balanced brackets in subscriber data stay data, and refuses
//! what FreeSWITCH's parser could not keep as data; [`check_data`] guards free text.

use std::fmt::Write as _;

use bytes::Bytes;

/// A serialized client request: command line, headers, empty line, optional body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    wire: Bytes,
}

impl Command {
    /// The bytes written to the socket.
    pub fn as_bytes(&self) -> &[u8] {
        &self.wire
    }

    /// The command line, for logs. `auth` hides its password.
    pub fn summary(&self) -> String {
        let line = self.wire.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        if line.starts_with("auth ") || line.starts_with("userauth ") {
            return "auth <hidden>".to_owned();
        }
        line.into_owned()
    }
}

/// Why a command was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// A value with CR, LF or NUL, which would end the line early.
    #[error("{what} contains a line break or NUL byte, refused")]
    LineBreak { what: &'static str },
    /// An empty value where one is required.
    #[error("{what} is empty")]
    Empty { what: &'static str },
    /// A name that is not a plain token (letters, digits, `_ - . :`).
    #[error("{what} {value:?} is not a plain name")]
    BadName { what: &'static str, value: String },
    /// An originate variable value FreeSWITCH could not read back as the same data.
    #[error("value of variable {name:?} {reason}, refused")]
    BadValue { name: String, reason: &'static str },
    /// A value with `${`, which FreeSWITCH would expand (expansion can call APIs).
    #[error("{what} contains \"${{\" (FreeSWITCH variable expansion), refused")]
    Expansion { what: &'static str },
}

type Result<T> = std::result::Result<T, CommandError>;

fn line_safe(what: &'static str, v: &str) -> Result<()> {
    if v.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(CommandError::LineBreak { what });
    }
    Ok(())
}

fn nonempty(what: &'static str, v: &str) -> Result<()> {
    line_safe(what, v)?;
    if v.trim().is_empty() {
        return Err(CommandError::Empty { what });
    }
    Ok(())
}

/// A token: non-empty, letters, digits and `_ - . :` only.
fn token(what: &'static str, v: &str) -> Result<()> {
    line_safe(what, v)?;
    let ok = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if !ok {
        return Err(CommandError::BadName {
            what,
            value: v.to_owned(),
        });
    }
    Ok(())
}

struct Builder {
    out: String,
}

impl Builder {
    fn line(line: String) -> Self {
        Builder { out: line + "\n" }
    }
    fn header(mut self, name: &str, value: &str) -> Self {
        let _ = writeln!(self.out, "{name}: {value}");
        self
    }
    fn finish(self, body: Option<&[u8]>) -> Command {
        let mut wire = self.out.into_bytes();
        if let Some(body) = body {
            wire.extend_from_slice(format!("content-length: {}\n\n", body.len()).as_bytes());
            wire.extend_from_slice(body);
        } else {
            wire.push(b'\n');
        }
        Command {
            wire: Bytes::from(wire),
        }
    }
}

fn simple(line: String) -> Command {
    Builder::line(line).finish(None)
}

/// `auth <password>`.
pub fn auth(password: &str) -> Result<Command> {
    nonempty("password", password)?;
    Ok(simple(format!("auth {password}")))
}

/// `api <command> [args]`: runs inline; FreeSWITCH sends nothing else until it replies.
pub fn api(command: &str, args: &str) -> Result<Command> {
    token("api command", command)?;
    line_safe("api arguments", args)?;
    Ok(simple(join(&format!("api {command}"), args)))
}

/// `bgapi <command> [args]` with an optional caller-chosen `Job-UUID` header.
pub fn bgapi(command: &str, args: &str, job_uuid: Option<&str>) -> Result<Command> {
    token("bgapi command", command)?;
    line_safe("bgapi arguments", args)?;
    let b = Builder::line(join(&format!("bgapi {command}"), args));
    let b = match job_uuid {
        Some(u) => {
            token("Job-UUID", u)?;
            b.header("Job-UUID", u)
        }
        None => b,
    };
    Ok(b.finish(None))
}

fn join(head: &str, args: &str) -> String {
    if args.is_empty() {
        head.to_owned()
    } else {
        format!("{head} {args}")
    }
}

/// Event serialization formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventFormat {
    /// `text/event-plain`: URL-encoded header lines.
    Plain,
    /// `text/event-json`.
    Json,
    /// `text/event-xml`.
    Xml,
}

impl EventFormat {
    /// The word used in `event` and `myevents`.
    pub fn word(self) -> &'static str {
        match self {
            EventFormat::Plain => "plain",
            EventFormat::Json => "json",
            EventFormat::Xml => "xml",
        }
    }
}

fn names(what: &'static str, list: &[&str]) -> Result<String> {
    if list.is_empty() {
        return Err(CommandError::Empty { what });
    }
    for n in list {
        token(what, n)?;
    }
    Ok(list.join(" "))
}

/// `event <format> <names…>` (e.g. `ALL`, `CHANNEL_ANSWER`, `CUSTOM sofia::register`).
pub fn event(format: EventFormat, events: &[&str]) -> Result<Command> {
    let list = names("event name", events)?;
    Ok(simple(format!("event {} {list}", format.word())))
}

/// `nixevent <names…>`.
pub fn nixevent(events: &[&str]) -> Result<Command> {
    Ok(simple(format!("nixevent {}", names("event name", events)?)))
}

/// `noevents`.
pub fn noevents() -> Command {
    simple("noevents".into())
}

/// `filter <header> <value>`.
pub fn filter(header: &str, value: &str) -> Result<Command> {
    token("filter header", header)?;
    nonempty("filter value", value)?;
    Ok(simple(format!("filter {header} {value}")))
}

/// `filter delete <header> [value]`; `filter delete all` with header `all` and no value.
pub fn filter_delete(header: &str, value: Option<&str>) -> Result<Command> {
    token("filter header", header)?;
    match value {
        Some(v) => {
            nonempty("filter value", v)?;
            Ok(simple(format!("filter delete {header} {v}")))
        }
        None => Ok(simple(format!("filter delete {header}"))),
    }
}

/// `linger [secs]`.
pub fn linger(secs: Option<u32>) -> Command {
    match secs {
        Some(s) => simple(format!("linger {s}")),
        None => simple("linger".into()),
    }
}

/// `nolinger`.
pub fn nolinger() -> Command {
    simple("nolinger".into())
}

/// `exit`.
pub fn exit() -> Command {
    simple("exit".into())
}

/// Outbound: `connect`.
pub fn connect() -> Command {
    simple("connect".into())
}

/// Outbound: `resume`.
pub fn resume() -> Command {
    simple("resume".into())
}

/// Outbound: `myevents [format]`.
pub fn myevents(format: EventFormat) -> Command {
    simple(format!("myevents {}", format.word()))
}

/// Outbound: `divert_events on|off`.
pub fn divert_events(on: bool) -> Command {
    simple(format!("divert_events {}", if on { "on" } else { "off" }))
}

/// Outbound: `getvar <name>`.
pub fn getvar(name: &str) -> Result<Command> {
    token("variable name", name)?;
    Ok(simple(format!("getvar {name}")))
}

/// `sendmsg [<uuid>]` with `call-command: execute`. `event_uuid` (sent as `Event-UUID`) comes
/// back as `Application-UUID` in CHANNEL_EXECUTE_COMPLETE. `lock` sets `event-lock: true`.
pub fn execute(
    uuid: Option<&str>,
    app: &str,
    arg: &str,
    event_uuid: Option<&str>,
    lock: bool,
) -> Result<Command> {
    token("application", app)?;
    line_safe("application argument", arg)?;
    let mut b = sendmsg_line(uuid)?
        .header("call-command", "execute")
        .header("execute-app-name", app);
    if !arg.is_empty() {
        b = b.header("execute-app-arg", arg);
    }
    if let Some(e) = event_uuid {
        token("Event-UUID", e)?;
        b = b.header("Event-UUID", e);
    }
    if lock {
        b = b.header("event-lock", "true");
    }
    Ok(b.finish(None))
}

/// `sendmsg [<uuid>]` with `call-command: hangup` and `hangup-cause`.
pub fn hangup(uuid: Option<&str>, cause: &str) -> Result<Command> {
    token("hangup cause", cause)?;
    Ok(sendmsg_line(uuid)?
        .header("call-command", "hangup")
        .header("hangup-cause", cause)
        .finish(None))
}

/// A general `sendmsg [<uuid>]` with headers and an optional body.
pub fn sendmsg(
    uuid: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Command> {
    let mut b = sendmsg_line(uuid)?;
    for (n, v) in headers {
        token("header name", n)?;
        if n.eq_ignore_ascii_case("content-length") {
            return Err(CommandError::BadName {
                what: "header name",
                value: (*n).to_owned(),
            });
        }
        line_safe("header value", v)?;
        b = b.header(n, v);
    }
    Ok(b.finish(body))
}

fn sendmsg_line(uuid: Option<&str>) -> Result<Builder> {
    match uuid {
        Some(u) => {
            token("channel uuid", u)?;
            Ok(Builder::line(format!("sendmsg {u}")))
        }
        None => Ok(Builder::line("sendmsg".into())),
    }
}

pub mod app;
mod originate;
pub use self::app::AppCall;
pub use self::originate::{check_data, leg_group, originate_args, originate_vars};

#[cfg(test)]
mod tests;
