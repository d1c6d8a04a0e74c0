//! Call webhooks as plain data: the events a call reports (`call_start`, `call_end`), a
//! delivery waiting in the outbox and what became of it, and the rule for a receiver's URL.
//! The call builds deliveries, the store keeps them, the delivery worker sends them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which moment of a call a webhook reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// The attempt was recorded and the call is being placed.
    CallStart,
    /// The attempt's result was recorded.
    CallEnd,
    /// A callback job's status after one of its calls (to the job's `status_url`).
    CallbackStatus,
    /// A callback call's leg-by-leg log (to the job's `log_url`).
    CallbackLog,
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not acknowledged yet: due at `next_try_at`.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Given up at the horizon; `last_error` says why.
    Dead,
}

str_enum!(WebhookKind { CallStart => "call_start", CallEnd => "call_end",
    CallbackStatus => "callback_status", CallbackLog => "callback_log" });
str_enum!(DeliveryStatus { Pending => "pending", Delivered => "delivered", Dead => "dead" });

/// Receivers of call webhooks: `call_start` and `call_end` URLs (outcall.toml's `[webhooks]`
/// for every campaign, a campaign's own `[webhooks]` for its calls).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookUrls {
    pub call_start: Vec<String>,
    pub call_end: Vec<String>,
}

impl WebhookUrls {
    /// The URLs of one kind of event.
    pub fn of(&self, kind: WebhookKind) -> &[String] {
        match kind {
            WebhookKind::CallStart => &self.call_start,
            WebhookKind::CallEnd => &self.call_end,
            // A callback job names its own receivers.
            WebhookKind::CallbackStatus | WebhookKind::CallbackLog => &[],
        }
    }

    /// Checks every URL ([`check_webhook_url`]); the message names the place
    /// (`webhooks.call_end[1]: ...`).
    pub fn check(&self, place: &str) -> Result<(), String> {
        for kind in [WebhookKind::CallStart, WebhookKind::CallEnd] {
            for (i, url) in self.of(kind).iter().enumerate() {
                check_webhook_url(url).map_err(|e| format!("{place}.{kind}[{i}]: {e}"))?;
            }
        }
        Ok(())
    }
}

/// One delivery to enqueue: an event for one receiver. The store writes it in the transaction
/// that records the event, so a call that is recorded has its webhooks and one that is not has
/// none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The idempotency key: the same for every receiver of one event, and for every retry.
    pub event_id: String,
    pub kind: WebhookKind,
    /// `http://` or `https://` (checked by [`check_webhook_url`] where it was configured).
    pub url: String,
    /// The JSON sent, byte for byte (the signature covers exactly this).
    pub body: String,
}

/// A delivery as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    pub kind: WebhookKind,
    pub url: String,
    pub body: String,
    /// The attempt (CDR row) it reports.
    pub attempt_id: Option<i64>,
    /// Sends tried so far.
    pub attempts: u32,
    pub status: DeliveryStatus,
    pub next_try_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What one send of a delivery came to, as the worker records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The receiver answered 2xx.
    Delivered { at: DateTime<Utc> },
    /// It failed; try again at `at`.
    Retry { at: DateTime<Utc>, error: String },
    /// It failed and the horizon has passed: give up.
    Dead { at: DateTime<Utc>, error: String },
}

/// How many deliveries are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u64,
    pub delivered: u64,
    pub dead: u64,
}

/// A receiver's URL: `http://` or `https://` with a host, no user or password (they would be
/// printed wherever the URL is; receivers check the signature instead), no spaces or control
/// characters. The message says what is wrong.
pub fn check_webhook_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{text}`: only http:// and https:// URLs are allowed"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}` names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "`{}`: no user or password in a webhook URL (it would be logged); receivers check the X-Outcall-Signature header",
            redact(&url)
        ));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{}` has spaces or control characters",
            text.escape_debug()
        ));
    }
    Ok(())
}

fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} to {}", self.kind, self.event_id, self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_receivers_may_have() {
        for ok in [
            "http://crm.local:8080/hooks/outcall",
            "https://crm.example.com/h?token=x",
            "http://127.0.0.1:9000/",
            "https://[::1]:8443/end",
        ] {
            assert_eq!(check_webhook_url(ok), Ok(()), "{ok}");
        }
        let bad = |u: &str| check_webhook_url(u).unwrap_err();
        assert!(bad("ftp://x/").contains("only http"));
        assert!(bad("crm.local/hook").contains("not a URL"));
        assert!(bad("file:///etc/passwd").contains("only http"));
        let creds = bad("https://bob:hunter2@crm.example/h");
        assert!(creds.contains("no user or password"), "{creds}");
        assert!(!creds.contains("hunter2"), "{creds}");
        assert!(bad("http://x/a b").contains("spaces"));
        assert!(bad("http://x/\r\nHost: y").contains("control"));
    }

    #[test]
    fn url_lists_name_the_bad_place() {
        let urls = WebhookUrls {
            call_start: vec!["http://a/".into()],
            call_end: vec!["https://b/".into(), "ftp://c/".into()],
        };
        let e = urls.check("webhooks").unwrap_err();
        assert!(e.starts_with("webhooks.call_end[1]: "), "{e}");
        assert_eq!(urls.of(WebhookKind::CallStart), ["http://a/".to_string()]);
    }

    #[test]
    fn names_round_trip() {
        for k in [WebhookKind::CallStart, WebhookKind::CallEnd] {
            assert_eq!(k.as_str().parse::<WebhookKind>().unwrap(), k);
        }
        assert_eq!("dead".parse::<DeliveryStatus>(), Ok(DeliveryStatus::Dead));
        assert!("delivering".parse::<DeliveryStatus>().is_err());
    }
}
