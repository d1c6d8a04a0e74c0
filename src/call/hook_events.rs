//! The webhooks a call reports: `call_start` when its attempt is recorded (before the
//! originate) and `call_end` when its result is. Each event gets its payload (JSON text: the
//! bytes that are signed and sent), its idempotency key, and one outbox row per receiver (the
//! global URLs of outcall.toml, then the campaign's, each once). Pure: the store writes the
//! rows in the transaction that records the event; the delivery worker sends them.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::model::{
    AttemptResult, ContactStatus, ContactUpdate, NewAttempt, NewDelivery, WebhookKind, WebhookUrls,
};

/// Whom a call is for, as its webhooks name it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub campaign_id: i64,
    pub campaign: &'a str,
    pub contact_id: i64,
    pub contact_name: &'a str,
    /// The contact's variables as imported (CSV columns, USER_VARS).
    pub vars: &'a BTreeMap<String, String>,
}

/// Where a call's webhooks go: the global URLs, then the campaign's, each URL once.
#[derive(Debug, Clone, Copy)]
pub struct Receivers<'a> {
    pub global: &'a WebhookUrls,
    pub campaign: &'a WebhookUrls,
}

impl Receivers<'_> {
    /// The URLs of one kind of event, global first, without repeats.
    pub fn urls(&self, kind: WebhookKind) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for u in self.global.of(kind).iter().chain(self.campaign.of(kind)) {
            if !out.contains(&u.as_str()) {
                out.push(u);
            }
        }
        out
    }
}

/// The idempotency key of one event of one call: the same on every retry and for every
/// receiver, never the same for two events.
pub fn event_id(call_uuid: &str, kind: WebhookKind) -> String {
    format!("{call_uuid}.{kind}")
}

/// Seconds of a call kept apart: ringing (placed to answered, or to the end when never
/// answered), the IVR (answered, minus talk), talk (bridged to an operator until unbridged or
/// the end). Rounded to whole seconds like the switch's billsec.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    pub ring_seconds: u64,
    pub ivr_seconds: u64,
    pub talk_seconds: u64,
}

/// The instants a call's events gave, on the engine's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub bridged_at: Option<DateTime<Utc>>,
    pub unbridged_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
}

impl Timeline {
    /// Ring, IVR and talk seconds (see [`Durations`]). Out-of-order instants count as zero.
    pub fn durations(&self) -> Durations {
        let ms = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_milliseconds().max(0);
        let secs = |ms: i64| ((ms + 500) / 1000) as u64;
        let ring = ms(self.started_at, self.answered_at.unwrap_or(self.ended_at));
        let Some(answered) = self.answered_at else {
            return Durations {
                ring_seconds: secs(ring),
                ..Durations::default()
            };
        };
        let answered_for = ms(answered, self.ended_at);
        let talk = self.bridged_at.map_or(0, |b| {
            let until = self
                .unbridged_at
                .filter(|u| *u >= b)
                .unwrap_or(self.ended_at);
            ms(b.max(answered), until.min(self.ended_at))
        });
        Durations {
            ring_seconds: secs(ring),
            ivr_seconds: secs((answered_for - talk).max(0)),
            talk_seconds: secs(talk),
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Serialize)]
struct Campaign<'a> {
    id: i64,
    name: &'a str,
}

#[derive(Serialize)]
struct Contact<'a> {
    id: i64,
    name: &'a str,
    vars: &'a BTreeMap<String, String>,
    /// After the call: pending (a retry is due at next_attempt_at), done or exhausted.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<u32>,
    /// When the next attempt is due (status pending only).
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<String>,
}

impl<'a> Contact<'a> {
    fn of(s: &Subject<'a>) -> Contact<'a> {
        Contact {
            id: s.contact_id,
            name: s.contact_name,
            vars: s.vars,
            status: None,
            attempts: None,
            next_attempt_at: None,
        }
    }
}

#[derive(Serialize)]
struct Start<'a> {
    event: WebhookKind,
    event_id: &'a str,
    call_uuid: &'a str,
    number: &'a str,
    campaign: Campaign<'a>,
    contact: Contact<'a>,
    node: &'a str,
    gateway: &'a str,
    started_at: String,
}

#[derive(Serialize)]
struct End<'a> {
    event: WebhookKind,
    event_id: &'a str,
    call_uuid: &'a str,
    attempt_id: i64,
    number: &'a str,
    campaign: Campaign<'a>,
    contact: Contact<'a>,
    disposition: &'a str,
    hangup_cause: Option<&'a str>,
    sip_code: Option<u16>,
    started_at: String,
    answered_at: Option<String>,
    ended_at: String,
    #[serde(flatten)]
    durations: Durations,
    billsec: u32,
    digits: &'a str,
    tags: &'a [String],
    recording: Option<&'a str>,
}

fn deliveries(
    urls: &[&str],
    kind: WebhookKind,
    event_id: String,
    body: String,
) -> Vec<NewDelivery> {
    urls.iter()
        .map(|url| NewDelivery {
            event_id: event_id.clone(),
            kind,
            url: url.to_string(),
            body: body.clone(),
        })
        .collect()
}

/// The `call_start` deliveries of an attempt about to be recorded.
pub fn call_start(to: Receivers<'_>, s: &Subject<'_>, a: &NewAttempt) -> Vec<NewDelivery> {
    let kind = WebhookKind::CallStart;
    let urls = to.urls(kind);
    if urls.is_empty() {
        return Vec::new();
    }
    let id = event_id(&a.uuid, kind);
    let body = Start {
        event: kind,
        event_id: &id,
        call_uuid: &a.uuid,
        number: &a.phone,
        campaign: Campaign {
            id: s.campaign_id,
            name: s.campaign,
        },
        contact: Contact::of(s),
        node: &a.node,
        gateway: &a.gateway,
        started_at: rfc3339(a.started_at),
    };
    let body = serde_json::to_string(&body).expect("a payload of strings and numbers");
    deliveries(&urls, kind, id, body)
}

/// What a finished call's `call_end` reports besides the attempt row.
#[derive(Debug, Clone, Copy)]
pub struct Ended<'a> {
    pub attempt_id: i64,
    pub call_uuid: &'a str,
    pub number: &'a str,
    pub timeline: Timeline,
    pub result: &'a AttemptResult,
    pub contact: &'a ContactUpdate,
}

/// The `call_end` deliveries of a result about to be recorded.
pub fn call_end(to: Receivers<'_>, s: &Subject<'_>, e: &Ended<'_>) -> Vec<NewDelivery> {
    let kind = WebhookKind::CallEnd;
    let urls = to.urls(kind);
    if urls.is_empty() {
        return Vec::new();
    }
    let id = event_id(e.call_uuid, kind);
    let r = e.result;
    let contact = Contact {
        status: Some(e.contact.status.as_str()),
        attempts: Some(e.contact.attempts),
        next_attempt_at: (e.contact.status == ContactStatus::Pending)
            .then(|| e.contact.next_attempt_at.map(rfc3339))
            .flatten(),
        ..Contact::of(s)
    };
    let body = End {
        event: kind,
        event_id: &id,
        call_uuid: e.call_uuid,
        attempt_id: e.attempt_id,
        number: e.number,
        campaign: Campaign {
            id: s.campaign_id,
            name: s.campaign,
        },
        contact,
        disposition: r.disposition.as_str(),
        hangup_cause: r.hangup_cause.as_deref(),
        sip_code: r.sip_code,
        started_at: rfc3339(e.timeline.started_at),
        answered_at: r.answered_at.map(rfc3339),
        ended_at: rfc3339(r.ended_at),
        durations: e.timeline.durations(),
        billsec: r.billsec,
        digits: &r.digits,
        tags: &r.tags,
        recording: r.recording.as_deref(),
    };
    let body = serde_json::to_string(&body).expect("a payload of strings and numbers");
    deliveries(&urls, kind, id, body)
}

#[cfg(test)]
#[path = "hook_events_tests.rs"]
mod tests;
