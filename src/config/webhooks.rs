//! `[webhooks]` of outcall.toml: the receivers of every campaign's call webhooks, the signing
//! secret, and how deliveries are retried (timeout per request, backoff, the horizon after
//! which a delivery is given up), and how many are sent at once.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Secret};
use crate::model::{duration_text, WebhookUrls};

/// Call webhooks: receivers, signing and delivery.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Receivers of every call's `call_start`.
    pub call_start: Vec<String>,
    /// Receivers of every call's `call_end`.
    pub call_end: Vec<String>,
    /// The HMAC-SHA256 key of `X-Outcall-Signature`; without it deliveries go unsigned.
    pub secret: Option<Secret>,
    /// A delivery not acknowledged this long after its event is given up (`dead`).
    #[serde(with = "duration_text")]
    pub horizon: Duration,
    /// One request's time limit (connect, send, reply).
    #[serde(with = "duration_text")]
    pub timeout: Duration,
    /// The wait before the first retry; each later one doubles, up to `backoff_max`.
    #[serde(with = "duration_text")]
    pub backoff: Duration,
    #[serde(with = "duration_text")]
    pub backoff_max: Duration,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// PEM certificates trusted besides the system's (a receiver with a private CA).
    pub ca_file: Option<PathBuf>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            call_start: Vec::new(),
            call_end: Vec::new(),
            secret: None,
            horizon: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            backoff: Duration::from_secs(5),
            backoff_max: Duration::from_secs(600),
            concurrency: 16,
            ca_file: None,
        }
    }
}

impl WebhookSettings {
    /// The global receivers.
    pub fn urls(&self) -> WebhookUrls {
        WebhookUrls {
            call_start: self.call_start.clone(),
            call_end: self.call_end.clone(),
        }
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| ConfigError::Invalid(m);
        self.urls().check("webhooks").map_err(invalid)?;
        if self.timeout.is_zero() || self.backoff.is_zero() || self.concurrency == 0 {
            return Err(invalid(
                "webhooks: timeout, backoff and concurrency must be above zero".into(),
            ));
        }
        if self.backoff_max < self.backoff || self.horizon < self.backoff {
            return Err(invalid(
                "webhooks: backoff must not be above backoff_max nor horizon".into(),
            ));
        }
        if self.secret.as_ref().is_some_and(|s| s.expose().is_empty()) {
            return Err(invalid(
                "webhooks.secret is empty: remove it or set one".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::time::Duration;

    #[test]
    fn defaults_file_and_environment() {
        let c = Config::from_parts("", "x", &[]).unwrap();
        assert!(c.webhooks.call_end.is_empty() && c.webhooks.secret.is_none());
        assert_eq!(c.webhooks.horizon, Duration::from_secs(86_400));
        let text = "[webhooks]\ncall_end = [\"https://crm.example/end\"]\nhorizon = \"2h\"\ntimeout = \"3s\"\n";
        let env = [
            (
                "OUTCALL_WEBHOOKS__CALL_START__0",
                "http://10.0.0.5:8080/start",
            ),
            ("OUTCALL_WEBHOOKS__SECRET", "123456"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let c = Config::from_parts(text, "x", &env).unwrap();
        let w = &c.webhooks;
        assert_eq!(w.call_end, ["https://crm.example/end"]);
        assert_eq!(w.call_start, ["http://10.0.0.5:8080/start"]);
        assert_eq!(w.secret.as_ref().unwrap().expose(), "123456");
        assert_eq!(w.horizon, Duration::from_secs(7200));
        assert_eq!(w.timeout, Duration::from_secs(3));
        assert!(
            !format!("{c:?}").contains("123456"),
            "the secret is redacted"
        );
    }

    #[test]
    fn bad_settings_are_named() {
        for (text, says) in [
            (
                "[webhooks]\ncall_end = [\"ftp://x/\"]",
                "webhooks.call_end[0]",
            ),
            (
                "[webhooks]\ncall_start = [\"crm/hook\"]",
                "webhooks.call_start[0]",
            ),
            ("[webhooks]\nconcurrency = 0", "above zero"),
            (
                "[webhooks]\nbackoff = \"1h\"\nbackoff_max = \"1m\"",
                "backoff_max",
            ),
            ("[webhooks]\nsecret = \"\"", "secret is empty"),
            ("[webhooks]\nurl = \"http://x/\"", "unknown field"),
        ] {
            let e = Config::from_parts(text, "x", &[]).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
