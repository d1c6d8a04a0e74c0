//! The one HTTP client of outcall (reqwest over rustls with ring; the system's trust store plus
//! optional extra roots; HTTP/1.1 and HTTP/2): webhook deliveries and the script's `webhook`
//! node both POST through it. A reply is read up to a bound; redirects are not followed (a
//! signed delivery goes where it was configured or fails).

use std::sync::OnceLock;
use std::time::Duration;

/// Why a request got no usable reply. Messages never carry the URL's query or a secret.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    #[error("not an http:// or https:// URL")]
    BadUrl,
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Request(String),
    #[error("reply longer than {0} bytes")]
    TooLong(usize),
}

/// A reply: its status and (bounded) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A pooled HTTP client; cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    /// A client trusting the system's roots and `extra_roots_pem` (PEM certificates, e.g. a
    /// receiver's private CA).
    pub fn new(extra_roots_pem: Option<&[u8]>) -> Result<HttpClient, HttpError> {
        // reqwest is built without a default crypto provider: rustls with ring, installed once
        // for the process (a second install is refused harmlessly).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("outcall/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64);
        if let Some(pem) = extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| HttpError::Setup(format!("extra CA certificates: {e}")))?;
            if certs.is_empty() {
                return Err(HttpError::Setup(
                    "extra CA file holds no certificate".into(),
                ));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let inner = builder
            .build()
            .map_err(|e| HttpError::Setup(root_cause(&e)))?;
        Ok(HttpClient { inner })
    }

    /// The process's client with the system's roots (the script's `webhook` node).
    pub fn shared() -> Result<&'static HttpClient, HttpError> {
        static SHARED: OnceLock<HttpClient> = OnceLock::new();
        if let Some(c) = SHARED.get() {
            return Ok(c);
        }
        let client = HttpClient::new(None)?;
        Ok(SHARED.get_or_init(|| client))
    }

    /// POSTs `body` with `headers`; the reply (any status) read up to `max_reply` bytes, all
    /// within `timeout`.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: Duration,
        max_reply: usize,
    ) -> Result<Reply, HttpError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| HttpError::BadUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HttpError::BadUrl);
        }
        let mut request = self.inner.post(parsed).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let exchange = async {
            let mut response = request.send().await.map_err(|e| classify(&e, timeout))?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, timeout))? {
                if body.len() + chunk.len() > max_reply {
                    return Err(HttpError::TooLong(max_reply));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Reply { status, body })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout(timeout))?
    }
}

fn classify(e: &reqwest::Error, timeout: Duration) -> HttpError {
    if e.is_timeout() {
        HttpError::Timeout(timeout)
    } else if e.is_connect() {
        HttpError::Connect(root_cause(e))
    } else {
        HttpError::Request(root_cause(e))
    }
}

/// The innermost cause's text (reqwest's own message repeats the URL).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
