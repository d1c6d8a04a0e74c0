//! The headers of one delivery: what it is (`Idempotency-Key`, `X-Outcall-Event`), when it was
//! sent (`X-Outcall-Timestamp`, unix seconds) and who sent it (`X-Outcall-Signature:
//! sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`). Pure: the worker calls it for
//! every send, so each retry carries a fresh timestamp and signature.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;
use crate::model::WebhookKind;

pub const CONTENT_TYPE: &str = "Content-Type";
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const EVENT: &str = "X-Outcall-Event";
pub const TIMESTAMP: &str = "X-Outcall-Timestamp";
pub const SIGNATURE: &str = "X-Outcall-Signature";

/// `sha256=<lower-case hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The headers of a delivery of `body` sent at `timestamp` (unix seconds). Without a secret
/// there is no `X-Outcall-Signature`.
pub fn headers(
    secret: Option<&Secret>,
    event_id: &str,
    kind: WebhookKind,
    body: &str,
    timestamp: i64,
) -> Vec<(&'static str, String)> {
    let mut out = vec![
        (CONTENT_TYPE, "application/json".to_string()),
        (IDEMPOTENCY_KEY, event_id.to_string()),
        (EVENT, kind.as_str().to_string()),
        (TIMESTAMP, timestamp.to_string()),
    ];
    if let Some(secret) = secret {
        out.push((
            SIGNATURE,
            signature(secret.expose().as_bytes(), timestamp, body),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"event":"call_end","event_id":"abc.call_end"}"#;

    /// Computed independently: python3 -c 'import hmac,hashlib; print(hmac.new(
    /// b"whsec_test_secret", b"1700000000." + BODY, hashlib.sha256).hexdigest())'
    const KNOWN: &str = "sha256=bc6992ea5506ec6aff4de74bc536daee1bf9aaa53a23285f36f953dff368392b";

    #[test]
    fn signature_matches_a_known_vector() {
        assert_eq!(signature(b"whsec_test_secret", 1_700_000_000, BODY), KNOWN);
        // Any change of key, time or body changes it.
        assert_ne!(signature(b"whsec_test_secreT", 1_700_000_000, BODY), KNOWN);
        assert_ne!(signature(b"whsec_test_secret", 1_700_000_001, BODY), KNOWN);
        assert_ne!(
            signature(
                b"whsec_test_secret",
                1_700_000_000,
                &BODY.replace("end", "End")
            ),
            KNOWN
        );
    }

    #[test]
    fn headers_of_a_signed_and_an_unsigned_delivery() {
        let secret = Secret::new("whsec_test_secret");
        let h = headers(
            Some(&secret),
            "abc.call_end",
            WebhookKind::CallEnd,
            BODY,
            1_700_000_000,
        );
        let get = |h: &[(&str, String)], name: &str| {
            h.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
        };
        assert_eq!(get(&h, CONTENT_TYPE).as_deref(), Some("application/json"));
        assert_eq!(get(&h, IDEMPOTENCY_KEY).as_deref(), Some("abc.call_end"));
        assert_eq!(get(&h, EVENT).as_deref(), Some("call_end"));
        assert_eq!(get(&h, TIMESTAMP).as_deref(), Some("1700000000"));
        assert_eq!(get(&h, SIGNATURE).as_deref(), Some(KNOWN));
        assert!(!format!("{h:?}").contains("whsec_test_secret"));
        let bare = headers(
            None,
            "abc.call_end",
            WebhookKind::CallEnd,
            BODY,
            1_700_000_000,
        );
        assert_eq!(get(&bare, SIGNATURE), None);
        assert_eq!(bare.len(), 4);
    }
}
