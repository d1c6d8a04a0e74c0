//! The `[http]` section: where the HTTP API listens and the limits it keeps.

use serde::Deserialize;

/// `[http]` of outcall.toml.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Serve the API inside `outcall serve` (default true).
    pub enabled: bool,
    /// Address to listen on; loopback by default (put TLS and outside access in a reverse
    /// proxy). Port 0 picks a free port (printed at start).
    pub listen: String,
    /// Largest JSON or TOML request body, bytes.
    pub max_body: usize,
    /// Largest CSV upload, bytes (streamed to a temporary file, never held in memory).
    pub max_upload: u64,
    /// Requests per second allowed to each token (bursts up to twice that).
    pub rate_per_token: u32,
    /// Checks of tokens not seen lately (unknown ones included) per second allowed to each
    /// client address (bursts up to twice that): guessing tokens is slow and cannot load the
    /// store.
    pub token_checks_per_address: u32,
    /// Origins allowed by CORS; empty (the default) sends no CORS headers at all.
    pub cors_origins: Vec<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            enabled: true,
            listen: "127.0.0.1:8080".into(),
            max_body: 1024 * 1024,
            max_upload: 1024 * 1024 * 1024,
            rate_per_token: 200,
            token_checks_per_address: 10,
            cors_origins: Vec::new(),
        }
    }
}

impl HttpSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.enabled && self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "[http] listen = {:?} is not an address like 127.0.0.1:8080",
                self.listen
            ));
        }
        for o in &self.cors_origins {
            let ok = (o.starts_with("http://") || o.starts_with("https://"))
                && o.parse::<axum::http::HeaderValue>().is_ok();
            if !ok {
                return Err(format!(
                    "[http] cors_origins: {o:?} is not an origin like https://console.example.ru"
                ));
            }
        }
        if self.max_body == 0
            || self.max_upload == 0
            || self.rate_per_token == 0
            || self.token_checks_per_address == 0
        {
            return Err("[http] max_body, max_upload, rate_per_token and token_checks_per_address must be above zero".into());
        }
        Ok(())
    }
}
