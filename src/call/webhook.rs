//! The `webhook` script step's exchange: POSTs the call's state as JSON to an `http://` or
//! `https://` URL through outcall's one HTTP client (`webhooks::http`) and reads the exit it
//! answers: a JSON object `{"exit": "name"}` (or `"next"`), a JSON string, or plain text. The
//! reply is bounded and the whole exchange has a time limit.

use std::time::Duration;

use crate::webhooks::{HttpClient, HttpError};

/// Replies longer than this are refused.
const MAX_REPLY: usize = 64 * 1024;

/// Why a webhook gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook URL {0} is not http(s)://host[:port]/path")]
    BadUrl(String),
    #[error("webhook {url}: {message}")]
    Failed { url: String, message: String },
    #[error("webhook {0}: no answer in time")]
    Timeout(String),
}

/// Posts `payload` and returns the exit named in the reply (None for an empty 2xx reply).
pub async fn ask(
    url: &str,
    payload: &serde_json::Value,
    timeout: Duration,
) -> Result<Option<String>, WebhookError> {
    if url.contains(['\r', '\n', ' ']) {
        return Err(WebhookError::BadUrl(url.to_string()));
    }
    let fail = |message: String| WebhookError::Failed {
        url: url.to_string(),
        message,
    };
    let client = HttpClient::shared().map_err(|e| fail(e.to_string()))?;
    let headers = [("Content-Type", "application/json".to_string())];
    let reply = client
        .post(url, &headers, payload.to_string(), timeout, MAX_REPLY)
        .await
        .map_err(|e| match e {
            HttpError::BadUrl => WebhookError::BadUrl(url.to_string()),
            HttpError::Timeout(_) => WebhookError::Timeout(url.to_string()),
            other => fail(other.to_string()),
        })?;
    parse_reply(reply.status, &reply.body).map_err(fail)
}

/// The exit named by an HTTP reply.
fn parse_reply(status: u16, body: &[u8]) -> Result<Option<String>, String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP status {status}"));
    }
    let text = String::from_utf8_lossy(body);
    let body = text.trim();
    if body.is_empty() {
        return Ok(None);
    }
    Ok(match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(o)) => o
            .get("exit")
            .or_else(|| o.get("next"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => Some(body.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[test]
    fn replies() {
        let ok = |b: &str| parse_reply(200, b.as_bytes());
        assert_eq!(ok("{\"exit\":\"vip\"}").unwrap().as_deref(), Some("vip"));
        assert_eq!(ok("{\"next\":\"vip\"}").unwrap().as_deref(), Some("vip"));
        assert_eq!(ok("\"vip\"").unwrap().as_deref(), Some("vip"));
        assert_eq!(ok("vip\n").unwrap().as_deref(), Some("vip"));
        assert_eq!(ok("").unwrap(), None);
        assert!(parse_reply(500, b"").unwrap_err().contains("500"));
    }

    #[tokio::test]
    async fn bad_urls_are_refused_before_any_request() {
        let t = Duration::from_secs(1);
        let v = serde_json::json!({});
        for url in ["ftp://x/", "x/y", "http://x/\r\nHost: y"] {
            let e = ask(url, &v, t).await.unwrap_err();
            assert!(matches!(e, WebhookError::BadUrl(_)), "{url}: {e}");
        }
    }

    /// A one-request HTTP server: returns the request it read; answers `reply`.
    async fn serve_once(reply: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = Vec::new();
            let mut buf = vec![0u8; 4096];
            // Headers, then the body its Content-Length announces.
            loop {
                let n = s.read(&mut buf).await.unwrap();
                req.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&req).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
            s.write_all(&reply).await.unwrap();
            let _ = s.shutdown().await;
            String::from_utf8_lossy(&req).to_string()
        });
        (format!("http://{addr}"), server)
    }

    #[tokio::test]
    async fn posts_and_reads_the_exit() {
        let (base, server) =
            serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"exit\":\"vip\"}".to_vec())
                .await;
        let url = format!("{base}/hook?x=1");
        let exit = ask(&url, &serde_json::json!({"a": 1}), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(exit.as_deref(), Some("vip"));
        let req = server.await.unwrap();
        assert!(req.starts_with("POST /hook?x=1 HTTP/1.1\r\n"), "{req}");
        assert!(
            req.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{req}"
        );
        assert!(req.ends_with("{\"a\":1}"), "{req}");
    }

    #[tokio::test]
    async fn a_long_reply_and_a_silent_service_fail() {
        let mut long = b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 70_000));
        let (base, _server) = serve_once(long).await;
        let e = ask(&base, &serde_json::json!({}), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("longer than 65536"), "{e}");

        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", silent.local_addr().unwrap());
        let e = ask(&url, &serde_json::json!({}), Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(matches!(e, WebhookError::Timeout(_)), "{e}");
    }
}
