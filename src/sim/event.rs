//! One event as the sim fires it: ordered headers (common block first, as current FreeSWITCH
//! builds add them at creation), an optional body, and the frames each format serializes to,
//! built once per format and shared by every listener.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::encode::{event_frame, json_body, plain_end, xml_body, Format};
use super::headers::{Block, Headers};
use super::simtime::{date_strings, Clock};

/// A fired event.
#[derive(Debug)]
pub struct Event {
    /// `Event-Name` (CUSTOM for custom events).
    pub name: &'static str,
    /// `Event-Subclass` of a CUSTOM event.
    pub subclass: Option<String>,
    pub headers: Headers,
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
        self.headers.get(name)
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
                    Format::Plain => self.plain(),
                    Format::Json => json_body(self.headers.iter(), body),
                    Format::Xml => xml_body(self.headers.iter(), body),
                };
                Bytes::from(event_frame(format, &inner))
            })
            .clone()
    }

    /// The inner text of the plain serialization.
    pub fn plain(&self) -> String {
        let mut s = String::new();
        self.headers.write_plain(&mut s);
        plain_end(&mut s, self.body.as_deref());
        s
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
    /// `Core-UUID` to `FreeSWITCH-IPv6`: the same in every event.
    constant: Arc<Block>,
}

impl Identity {
    pub fn new(clock: Clock) -> Identity {
        let core_uuid = uuid::Uuid::new_v4().to_string();
        let (hostname, ipv4, ipv6) = ("outcall-sim", "127.0.0.1", "::1");
        let mut constant = Block::with_capacity(5);
        constant.add(&["Core-UUID"], &core_uuid);
        constant.add(&["FreeSWITCH-Hostname"], hostname);
        constant.add(&["FreeSWITCH-Switchname"], hostname);
        constant.add(&["FreeSWITCH-IPv4"], ipv4);
        constant.add(&["FreeSWITCH-IPv6"], ipv6);
        let constant = Arc::new(constant);
        Identity {
            core_uuid,
            hostname: hostname.into(),
            ipv4: ipv4.into(),
            ipv6: ipv6.into(),
            clock,
            seq: AtomicU64::new(1),
            constant,
        }
    }

    /// The next `Event-Sequence` number (every event the switch creates takes one).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
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
        let mut headers = Headers::with_capacity(48);
        if let Some(sc) = subclass {
            headers.push("Event-Subclass", sc.to_string());
        }
        let now = id.clock.now_us();
        let (local, gmt) = date_strings(now);
        headers.push("Event-Name", name);
        headers.push_block(id.constant.clone());
        headers.push("Event-Date-Local", local);
        headers.push("Event-Date-GMT", gmt);
        headers.push("Event-Date-Timestamp", now.to_string());
        headers.push("Event-Calling-File", origin.0);
        headers.push("Event-Calling-Function", origin.1);
        headers.push("Event-Calling-Line-Number", origin.2.to_string());
        headers.push("Event-Sequence", id.next_seq().to_string());
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

    pub fn add(&mut self, name: &'static str, value: impl Into<Cow<'static, str>>) -> &mut Self {
        self.ev.headers.push(name, value);
        self
    }

    pub fn add_owned(&mut self, name: String, value: impl Into<Cow<'static, str>>) -> &mut Self {
        self.ev.headers.push(name, value);
        self
    }

    pub fn headers_mut(&mut self) -> &mut Headers {
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
