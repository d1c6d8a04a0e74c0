//! The webhooks of a callback call, as outbox deliveries: `callback_status` (the job's status
//! and code after the call, to `status_url`) and `callback_log` (the call's legs one by one, to
//! `log_url`). Their event ids (`callback-<id>-<call>.status` / `.log`) are the idempotency keys.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::callback::record::{CallResult, CallbackRecord, LegRecord};
use crate::callback::CallbackSpec;
use crate::model::{NewDelivery, WebhookKind};

/// Whether the webhooks need the job's legs (a `log_url` is set): only then are they read.
pub(super) fn needs_legs(spec: &CallbackSpec) -> bool {
    spec.log_url.is_some()
}

/// The deliveries for the call `result` of the job as it is `after` it.
pub(super) fn deliveries(
    after: &CallbackRecord,
    next: Option<DateTime<Utc>>,
    legs: &[LegRecord],
    result: &CallResult,
) -> Vec<NewDelivery> {
    let spec = &after.spec;
    let call_no = after.calls;
    let base = format!("callback-{}-{}", after.id, call_no);
    let mut out = Vec::new();
    if let Some(url) = &spec.status_url {
        let body = json!({
            "event": "callback_status",
            "event_id": format!("{base}.status"),
            "callback_id": after.id,
            "idempotency_key": after.idempotency_key,
            "attempt": spec.attempt + call_no.saturating_sub(1),
            "call": call_no,
            "status": after.status,
            "status_code": after.status_code,
            "state": after.state,
            "next_attempt_at": next,
            "recalls_cancelled": after.recalls_cancelled,
            "client": spec.client,
            "manager": result.manager,
            "duration_ms": result.duration_ms,
            "talk_ms": result.talk_ms,
            "recording": result.recording,
            "digits": result.digits,
            "ended_at": result.ended_at,
        });
        out.push(NewDelivery {
            event_id: format!("{base}.status"),
            kind: WebhookKind::CallbackStatus,
            url: url.clone(),
            body: body.to_string(),
        });
    }
    if let Some(url) = &spec.log_url {
        let these: Vec<&LegRecord> = legs.iter().filter(|l| l.call_no == call_no).collect();
        let body = json!({
            "event": "callback_log",
            "event_id": format!("{base}.log"),
            "callback_id": after.id,
            "call": call_no,
            "status": after.status,
            "status_code": after.status_code,
            "legs": these,
        });
        out.push(NewDelivery {
            event_id: format!("{base}.log"),
            kind: WebhookKind::CallbackLog,
            url: url.clone(),
            body: body.to_string(),
        });
    }
    out
}
