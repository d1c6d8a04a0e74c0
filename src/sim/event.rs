//! One event as the sim fires it: ordered headers (common block first, as current FreeSWITCH
//! builds add them at creation), an optional body, and the frames each format serializes to,
//! built once per format and shared by every listener.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use bytes::Bytes;

use super::encode::{event_frame, json_body, plain_body, xml_body, Format};
use super::simtime::{date_strings, Clock};

/// Header name (mostly static) and value.
pub type Header = (Cow<'static, str>, String);

/// A fired event.
#[derive(Debug)]
pub struct Event {
    /// `Event-Name` (CUSTOM for custom events).
    pub name: &'static str,
    /// `Event-Subclass` of a CUSTOM event.
    pub subclass: Option<String>,
    pub headers: Vec<Header>,
    pub body: Option<String>,
    /// The channel it concerns (`Unique-ID`), used by `myevents`.
    pub unique_id: Option<String>,
    /// `Job-Owner-UUID` of a BACKGROUND_JOB, used by `myevents`.
    pub job_owner: Option<String>,
    frames: [OnceLock<Bytes>; 3],
}

impl Event {
    /// The first header with this name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The whole frame in the given format, serialized on first use.
    pub fn frame(&self, format: Format) -> Bytes {
        let slot = match format {
            Format::Plain => 0,
            Format::Json => 1,
            Format::Xml => 2,
        };
        self.frames[slot]
            .get_or_init(|| {
                let body = self.body.as_deref();
                let inner = match format {
                    Format::Plain => plain_body(&self.headers, body),
                    Format::Json => json_body(&self.headers, body),
                    Format::Xml => xml_body(&self.headers, body),
                };
                Bytes::from(event_frame(format, &inner))
            })
            .clone()
    }
}

/// Identity of the simulated switch: what every event's common block says.
#[derive(Debug)]
pub struct Identity {
    pub core_uuid: String,
    pub hostname: String,
    pub ipv4: String,
    pub ipv6: String,
    pub clock: Clock,
    seq: AtomicU64,
}

impl Identity {
    pub fn new(clock: Clock) -> Identity {
        Identity {
            core_uuid: uuid::Uuid::new_v4().to_string(),
            hostname: "outcall-sim".into(),
            ipv4: "127.0.0.1".into(),
            ipv6: "::1".into(),
            clock,
            seq: AtomicU64::new(1),
        }
    }
}

/// Where FreeSWITCH fires an event from: `Event-Calling-File`, `-Function`, `-Line-Number`.
pub type Origin = (&'static str, &'static str, u32);

/// Builds an event: the common block is written by [`EventBuilder::new`].
pub struct EventBuilder {
    ev: Event,
}

impl EventBuilder {
    /// A builder with the common headers; for CUSTOM events `Event-Subclass` goes first.
    pub fn new(id: &Identity, name: &'static str, subclass: Option<&str>, origin: Origin) -> Self {
        let mut headers: Vec<Header> = Vec::with_capacity(160);
        if let Some(sc) = subclass {
            headers.push(("Event-Subclass".into(), sc.to_string()));
        }
        let now = id.clock.now_us();
        let (local, gmt) = date_strings(now);
        let seq = id.seq.fetch_add(1, Ordering::Relaxed);
        let common: [(&'static str, String); 13] = [
            ("Event-Name", name.to_string()),
            ("Core-UUID", id.core_uuid.clone()),
            ("FreeSWITCH-Hostname", id.hostname.clone()),
            ("FreeSWITCH-Switchname", id.hostname.clone()),
            ("FreeSWITCH-IPv4", id.ipv4.clone()),
            ("FreeSWITCH-IPv6", id.ipv6.clone()),
            ("Event-Date-Local", local),
            ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", now.to_string()),
            ("Event-Calling-File", origin.0.to_string()),
            ("Event-Calling-Function", origin.1.to_string()),
            ("Event-Calling-Line-Number", origin.2.to_string()),
            ("Event-Sequence", seq.to_string()),
        ];
        headers.extend(common.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)));
        EventBuilder {
            ev: Event {
                name,
                subclass: subclass.map(str::to_string),
                headers,
                body: None,
                unique_id: None,
                job_owner: None,
                frames: Default::default(),
            },
        }
    }

    pub fn add(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.ev.headers.push((Cow::Borrowed(name), value.into()));
        self
    }

    pub fn add_owned(&mut self, name: String, value: impl Into<String>) -> &mut Self {
        self.ev.headers.push((Cow::Owned(name), value.into()));
        self
    }

    pub fn headers_mut(&mut self) -> &mut Vec<Header> {
        &mut self.ev.headers
    }

    pub fn body(&mut self, body: impl Into<String>) -> &mut Self {
        self.ev.body = Some(body.into());
        self
    }

    pub fn unique_id(&mut self, uuid: &str) -> &mut Self {
        self.ev.unique_id = Some(uuid.to_string());
        self
    }

    pub fn job_owner(&mut self, uuid: Option<&str>) -> &mut Self {
        self.ev.job_owner = uuid.map(str::to_string);
        self
    }

    pub fn build(self) -> Event {
        self.ev
    }
}

/// Every event name the sim knows, for `event` subscriptions (`ALL` covers them and CUSTOM).
pub const EVENT_NAMES: &[&str] = &[
    "CUSTOM",
    "CLONE",
    "CHANNEL_CREATE",
    "CHANNEL_DESTROY",
    "CHANNEL_STATE",
    "CHANNEL_CALLSTATE",
    "CHANNEL_ANSWER",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HOLD",
    "CHANNEL_UNHOLD",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_OUTGOING",
    "CHANNEL_PARK",
    "CHANNEL_UNPARK",
    "CHANNEL_APPLICATION",
    "CHANNEL_ORIGINATE",
    "CHANNEL_UUID",
    "API",
    "LOG",
    "INBOUND_CHAN",
    "OUTBOUND_CHAN",
    "STARTUP",
    "SHUTDOWN",
    "PUBLISH",
    "UNPUBLISH",
    "TALK",
    "NOTALK",
    "SESSION_CRASH",
    "MODULE_LOAD",
    "MODULE_UNLOAD",
    "DTMF",
    "MESSAGE",
    "PRESENCE_IN",
    "NOTIFY_IN",
    "PRESENCE_OUT",
    "PRESENCE_PROBE",
    "MESSAGE_WAITING",
    "MESSAGE_QUERY",
    "ROSTER",
    "CODEC",
    "BACKGROUND_JOB",
    "DETECTED_SPEECH",
    "DETECTED_TONE",
    "PRIVATE_COMMAND",
    "HEARTBEAT",
    "TRAP",
    "ADD_SCHEDULE",
    "DEL_SCHEDULE",
    "EXE_SCHEDULE",
    "RE_SCHEDULE",
    "RELOADXML",
    "NOTIFY",
    "PHONE_FEATURE",
    "PHONE_FEATURE_SUBSCRIBE",
    "SEND_MESSAGE",
    "RECV_MESSAGE",
    "REQUEST_PARAMS",
    "CHANNEL_DATA",
    "GENERAL",
    "COMMAND",
    "SESSION_HEARTBEAT",
    "CLIENT_DISCONNECTED",
    "SERVER_DISCONNECTED",
    "SEND_INFO",
    "RECV_INFO",
    "RECV_RTCP_MESSAGE",
    "SEND_RTCP_MESSAGE",
    "CALL_SECURE",
    "NAT",
    "RECORD_START",
    "RECORD_STOP",
    "PLAYBACK_START",
    "PLAYBACK_STOP",
    "CALL_UPDATE",
    "FAILURE",
    "SOCKET_DATA",
    "MEDIA_BUG_START",
    "MEDIA_BUG_STOP",
    "CONFERENCE_DATA_QUERY",
    "CONFERENCE_DATA",
    "CALL_SETUP_REQ",
    "CALL_SETUP_RESULT",
    "CALL_DETAIL",
    "DEVICE_STATE",
    "TEXT",
    "SHUTDOWN_REQUESTED",
];

/// The canonical event name for a subscription token (`SWITCH_EVENT_` prefix allowed).
pub fn canonical_name(token: &str) -> Option<&'static str> {
    let t = token.strip_prefix("SWITCH_EVENT_").unwrap_or(token);
    let t = if t.len() >= 13 && t[..13].eq_ignore_ascii_case("SWITCH_EVENT_") {
        &t[13..]
    } else {
        t
    };
    EVENT_NAMES
        .iter()
        .copied()
        .find(|n| n.eq_ignore_ascii_case(t))
}
