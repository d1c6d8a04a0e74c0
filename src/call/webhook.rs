//! The `webhook` script step's HTTP client: POSTs the call's state as JSON to an `http://` URL
//! and reads the exit it answers: a JSON object `{"exit": "name"}` (or `"next"`), a JSON string,
//! or plain text. Small on purpose (HTTP/1.1, one request per connection, bounded reply).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Replies longer than this are refused.
const MAX_REPLY: usize = 64 * 1024;

/// Why a webhook gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook URL {0} is not http://host[:port]/path")]
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
    let (host, port, path) = parse_url(url)?;
    let fail = |message: String| WebhookError::Failed {
        url: url.to_string(),
        message,
    };
    let body = payload.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| fail(e.to_string()))?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut reply = Vec::new();
        (&mut stream)
            .take(MAX_REPLY as u64 + 1)
            .read_to_end(&mut reply)
            .await
            .map_err(|e| fail(e.to_string()))?;
        if reply.len() > MAX_REPLY {
            return Err(fail("reply too long".into()));
        }
        parse_reply(&reply).map_err(fail)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| WebhookError::Timeout(url.to_string()))?
}

fn parse_url(url: &str) -> Result<(String, u16, String), WebhookError> {
    let bad = || WebhookError::BadUrl(url.to_string());
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || url.contains(['\r', '\n', ' ']) {
        return Err(bad());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
        None => (authority, 80),
    };
    Ok((host.to_string(), port, path.to_string()))
}

/// The exit named by an HTTP reply.
fn parse_reply(reply: &[u8]) -> Result<Option<String>, String> {
    let text = String::from_utf8_lossy(reply);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| "malformed HTTP reply".to_string())?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "malformed HTTP status line".to_string())?;
    if !(200..300).contains(&status) {
        return Err(format!("HTTP status {status}"));
    }
    let body = body.trim();
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
    use tokio::net::TcpListener;

    #[test]
    fn urls_and_replies() {
        assert_eq!(
            parse_url("http://crm.local:8080/next?x=1").unwrap(),
            ("crm.local".into(), 8080, "/next?x=1".into())
        );
        assert!(parse_url("https://x/").is_err());
        assert!(parse_url("http://x/\r\nHost: y").is_err());
        let ok = |b: &str| parse_reply(format!("HTTP/1.1 200 OK\r\n\r\n{b}").as_bytes());
        assert_eq!(ok("{\"exit\":\"vip\"}").unwrap().as_deref(), Some("vip"));
        assert_eq!(ok("\"vip\"").unwrap().as_deref(), Some("vip"));
        assert_eq!(ok("vip\n").unwrap().as_deref(), Some("vip"));
        assert_eq!(ok("").unwrap(), None);
        assert!(parse_reply(b"HTTP/1.1 500 Oops\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn posts_and_reads_the_exit() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"exit\":\"vip\"}")
                .await
                .unwrap();
            req
        });
        let url = format!("http://{addr}/hook");
        let exit = ask(&url, &serde_json::json!({"a": 1}), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(exit.as_deref(), Some("vip"));
        let req = server.await.unwrap();
        assert!(req.starts_with("POST /hook HTTP/1.1\r\n"), "{req}");
        assert!(req.ends_with("{\"a\":1}"), "{req}");
    }
}
