//! `outcall.toml`: the one configuration file, every key optional, each overridden by an
//! `OUTCALL_<KEY>` environment variable (`__` between levels, array items by index:
//! `OUTCALL_DATABASE_URL`, `OUTCALL_FREESWITCH__0__PASSWORD`). Secrets never print.

mod callbacks;
mod env;
mod http;
mod webhooks;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

pub use callbacks::CallbackSettings;
pub use http::HttpSettings;
pub use webhooks::WebhookSettings;

use env::apply_env;

/// Errors reading or applying the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("configuration is invalid: {0}")]
    Invalid(String),
}

/// A value that must never reach a log: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself, for the one place that must send it (auth, connect).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One FreeSWITCH node the dialer drives.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FreeswitchNode {
    /// A name for logs and the attempts table; default: the address.
    pub name: Option<String>,
    /// `host:port` of mod_event_socket.
    pub address: String,
    pub password: Secret,
    /// Concurrent calls this node may carry (its `max-sessions`).
    pub max_sessions: u32,
    /// Originates per second this node accepts (its `sessions-per-second`).
    pub cps: f64,
    /// Share of new calls relative to the other nodes.
    pub weight: u32,
    /// How often the liveness probe (`api status`) is sent (default 2s).
    #[serde(with = "crate::model::duration_text")]
    pub probe_interval: Duration,
    /// A probe unanswered this long marks the node unhealthy: new calls go to other nodes and
    /// its live calls are recorded as lost with the node (default 5s).
    #[serde(with = "crate::model::duration_text")]
    pub probe_timeout: Duration,
}

impl Default for FreeswitchNode {
    fn default() -> Self {
        FreeswitchNode {
            name: None,
            address: "127.0.0.1:8021".into(),
            password: Secret::new("ClueCon"),
            max_sessions: 1000,
            cps: 30.0,
            weight: 1,
            probe_interval: Duration::from_secs(2),
            probe_timeout: Duration::from_secs(5),
        }
    }
}

impl FreeswitchNode {
    /// The node's display name: its `name`, else its address.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.address)
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://outcall.db` (default) or `postgres://...`.
    pub database_url: Secret,
    /// Country assumed for phone numbers written without `+` (ISO 3166 alpha-2).
    pub default_country: String,
    /// The switches to drive; default one at 127.0.0.1:8021 with password ClueCon.
    pub freeswitch: Vec<FreeswitchNode>,
    /// Concurrent calls across every campaign and node of this dialer process.
    pub max_concurrent_calls: u32,
    /// Caps per SIP gateway (`[[gateway]]` name, lines, optional cps); others are unlimited.
    pub gateway: Vec<GatewayLimits>,
    /// Campaign and gateway caps counted in the database, so they hold across every dialer
    /// sharing it (default true); false: each dialer process paces on its own.
    pub shared_caps: bool,
    /// The HTTP API of `outcall serve`.
    pub http: HttpSettings,
    /// Call webhooks: global receivers, signing secret, delivery (docs/webhooks.md).
    pub webhooks: WebhookSettings,
    /// Callback jobs: caps, caller-ID locations, recordings (docs/callbacks.md).
    pub callbacks: CallbackSettings,
    /// The operator's `prefix,zone` CSV, whose rows beat the built-in numbering-plan table
    /// for contacts imported without a TIMEZONE value (docs/zones.md); `import --zones` wins.
    pub zone_table: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: Secret::new("sqlite://outcall.db"),
            default_country: "RU".into(),
            freeswitch: vec![FreeswitchNode::default()],
            max_concurrent_calls: 5000,
            gateway: Vec::new(),
            shared_caps: true,
            http: HttpSettings::default(),
            webhooks: WebhookSettings::default(),
            callbacks: CallbackSettings::default(),
            zone_table: None,
        }
    }
}

impl Config {
    /// Reads `path` (or `./outcall.toml` when it exists), then applies `OUTCALL_*` variables.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let (text, shown) = match path {
            Some(p) => (read(p)?, p.display().to_string()),
            None if Path::new("outcall.toml").exists() => {
                (read(Path::new("outcall.toml"))?, "outcall.toml".to_string())
            }
            None => (String::new(), "(none)".to_string()),
        };
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("OUTCALL_"))
            .collect();
        Config::from_parts(&text, &shown, &env)
    }

    /// Pure core of [`Config::load`]: TOML text plus environment pairs.
    pub fn from_parts(
        text: &str,
        shown: &str,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let mut doc: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: shown.to_string(),
                    message: e.message().to_string(),
                })?;
        for (var, value) in env {
            apply_env(&mut doc, var, value)?;
        }
        let config: Config = toml::Value::Table(doc)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: shown.to_string(),
                message: e.message().to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.freeswitch.is_empty() {
            return Err(ConfigError::Invalid(
                "at least one [[freeswitch]] node is needed".into(),
            ));
        }
        for node in &self.freeswitch {
            if node.max_sessions == 0 || node.cps <= 0.0 || node.weight == 0 {
                return Err(ConfigError::Invalid(format!(
                    "freeswitch node {}: max_sessions, cps and weight must be above zero",
                    node.label()
                )));
            }
            if node.probe_interval.is_zero() || node.probe_timeout.is_zero() {
                return Err(ConfigError::Invalid(format!(
                    "freeswitch node {}: probe_interval and probe_timeout must be above zero (e.g. \"2s\", \"5s\")",
                    node.label()
                )));
            }
        }
        self.http.validate().map_err(ConfigError::Invalid)?;
        self.callbacks.validate().map_err(ConfigError::Invalid)?;
        let mut seen = std::collections::HashSet::new();
        for g in &self.gateway {
            if g.name.trim().is_empty()
                || g.lines == 0
                || g.cps.is_some_and(|c| !c.is_finite() || c <= 0.0)
            {
                return Err(ConfigError::Invalid(format!(
                    "gateway {:?}: a name is needed, and lines and cps must be above zero",
                    g.name
                )));
            }
            if !seen.insert(g.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "gateway {:?} is listed twice",
                    g.name
                )));
            }
        }
        self.webhooks.validate()
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Caps of one SIP gateway (`sofia/gateway/<name>/...` in a campaign's dial string), shared by
/// every campaign that dials through it: concurrent calls and originates per second.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayLimits {
    pub name: String,
    pub lines: u32,
    pub cps: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_config_gives_defaults() {
        let c = Config::from_parts("", "x", &[]).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.freeswitch[0].address, "127.0.0.1:8021");
        assert_eq!(c.freeswitch[0].password.expose(), "ClueCon");
    }

    #[test]
    fn env_overrides_file_and_nested_items() {
        let text =
            "database_url = \"sqlite://a.db\"\n[[freeswitch]]\naddress = \"10.0.0.1:8021\"\n";
        let c = Config::from_parts(
            text,
            "x",
            &env(&[
                ("OUTCALL_DATABASE_URL", "postgres://u@h/db"),
                ("OUTCALL_FREESWITCH__0__PASSWORD", "1234"),
                ("OUTCALL_FREESWITCH__1__ADDRESS", "10.0.0.2:8021"),
                ("OUTCALL_FREESWITCH__1__MAX_SESSIONS", "50"),
                ("OUTCALL_DEFAULT_COUNTRY", "KZ"),
                ("OUTCALL_CONFIG", "ignored.toml"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database_url.expose(), "postgres://u@h/db");
        assert_eq!(c.freeswitch.len(), 2);
        assert_eq!(c.freeswitch[0].password.expose(), "1234");
        assert_eq!(c.freeswitch[0].address, "10.0.0.1:8021");
        assert_eq!(c.freeswitch[1].max_sessions, 50);
        assert_eq!(c.default_country, "KZ");
    }

    #[test]
    fn secrets_never_print() {
        let c = Config::from_parts("database_url = \"postgres://user:hunter2@db/x\"", "x", &[])
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("ClueCon"), "{shown}");
    }

    #[test]
    fn bad_input_is_named() {
        let e = Config::from_parts("lines = [", "conf.toml", &[]).unwrap_err();
        assert!(e.to_string().contains("conf.toml"), "{e}");
        let e = Config::from_parts("unknown_key = 1", "conf.toml", &[]).unwrap_err();
        assert!(e.to_string().contains("unknown_key"), "{e}");
        let e = Config::from_parts("", "x", &env(&[("OUTCALL_FREESWITCH__5__ADDRESS", "a")]))
            .unwrap_err();
        assert!(
            e.to_string().contains("OUTCALL_FREESWITCH__5__ADDRESS"),
            "{e}"
        );
        let e = Config::from_parts("[[freeswitch]]\nmax_sessions = 0", "x", &[]).unwrap_err();
        assert!(e.to_string().contains("above zero"), "{e}");
        let e = Config::from_parts("[[freeswitch]]\nprobe_timeout = \"0s\"", "x", &[]).unwrap_err();
        assert!(e.to_string().contains("probe_timeout"), "{e}");
    }

    #[test]
    fn liveness_probe_settings() {
        let c = Config::from_parts("", "x", &[]).unwrap();
        let n = &c.freeswitch[0];
        assert_eq!(
            (n.probe_interval, n.probe_timeout),
            (Duration::from_secs(2), Duration::from_secs(5))
        );
        let c = Config::from_parts(
            "[[freeswitch]]\nprobe_interval = \"1s\"\nprobe_timeout = \"3s\"",
            "x",
            &env(&[("OUTCALL_FREESWITCH__0__PROBE_TIMEOUT", "2s")]),
        )
        .unwrap();
        let n = &c.freeswitch[0];
        assert_eq!(
            (n.probe_interval, n.probe_timeout),
            (Duration::from_secs(1), Duration::from_secs(2))
        );
    }

    #[test]
    fn shared_caps_default_on() {
        assert!(Config::from_parts("", "x", &[]).unwrap().shared_caps);
        let off = Config::from_parts("shared_caps = false\n", "x", &[]).unwrap();
        assert!(!off.shared_caps);
    }

    #[test]
    fn gateway_caps() {
        let c = Config::from_parts(
            "[[gateway]]\nname = \"trunk1\"\nlines = 30\ncps = 5\n[[gateway]]\nname = \"t2\"\nlines = 2\n",
            "x",
            &[],
        )
        .unwrap();
        assert_eq!(c.gateway.len(), 2);
        assert_eq!((c.gateway[0].lines, c.gateway[0].cps), (30, Some(5.0)));
        assert_eq!((c.gateway[1].name.as_str(), c.gateway[1].cps), ("t2", None));
        for bad in [
            "[[gateway]]\nname = \"a\"\nlines = 0",
            "[[gateway]]\nname = \"\"\nlines = 1",
            "[[gateway]]\nname = \"a\"\nlines = 1\ncps = 0",
            "[[gateway]]\nname = \"a\"\nlines = 1\n[[gateway]]\nname = \"a\"\nlines = 2",
        ] {
            let e = Config::from_parts(bad, "x", &[]).unwrap_err();
            assert!(e.to_string().contains("gateway"), "{bad}: {e}");
        }
    }
}
