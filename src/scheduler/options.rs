//! The engine's settings ([`EngineOptions`]) and this dialer's default lease owner name.

use std::time::Duration;

use crate::config::GatewayLimits;
use crate::model::WebhookUrls;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// This dialer's lease owner name (stable across restarts of the same instance).
    pub owner: String,
    /// Lease length in real time (kept alive every third of it while a call lives).
    pub lease: Duration,
    /// Longest real time between two looks at the store.
    pub poll: Duration,
    /// Concurrent calls across every campaign and node.
    pub max_concurrent_calls: u32,
    /// Caps of named SIP gateways, across every campaign dialling through them.
    pub gateways: Vec<GatewayLimits>,
    /// Webhook receivers of every campaign's calls (each campaign may add its own).
    pub webhooks: WebhookUrls,
    /// How often (real time) open attempts no live call follows are looked for and settled.
    pub reconcile_every: Duration,
    /// Campaign and gateway caps counted in the store, across every dialer sharing it.
    pub shared_caps: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            owner: default_owner(),
            lease: Duration::from_secs(120),
            poll: Duration::from_millis(400),
            max_concurrent_calls: 5000,
            gateways: Vec::new(),
            webhooks: WebhookUrls::default(),
            reconcile_every: Duration::from_secs(5),
            shared_caps: true,
        }
    }
}

/// `outcall@<hostname>`: the same after a restart, so a restarted dialer takes its calls back.
pub fn default_owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("outcall@{host}")
}
