//! `[callbacks]` of outcall.toml: the caps of callback jobs, the caller-ID locations file and
//! where the switch writes their recordings.

use std::path::PathBuf;

use serde::Deserialize;

/// Callback job settings (every key optional).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CallbackSettings {
    /// Callback jobs in a call at once (each holds one line, however many managers it rings).
    pub lines: u32,
    /// Callback jobs started per second (0: no rate cap).
    pub cps: f64,
    /// A caller-ID locations file replacing the built-in `campaigns/callerid-locations.toml`.
    pub locations: Option<PathBuf>,
    /// Directory of the recordings on the switch host.
    pub recordings: String,
}

impl Default for CallbackSettings {
    fn default() -> Self {
        CallbackSettings {
            lines: 10,
            cps: 5.0,
            locations: None,
            recordings: "/var/lib/freeswitch/recordings/outcall".into(),
        }
    }
}

impl CallbackSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.lines == 0 || !self.cps.is_finite() || self.cps < 0.0 {
            return Err("callbacks: lines must be above zero and cps zero or more".into());
        }
        let r = &self.recordings;
        if !r.starts_with('/')
            || r.chars()
                .any(|c| c.is_whitespace() || c.is_control() || "${}".contains(c))
        {
            return Err(format!(
                "callbacks.recordings: `{r}` is not an absolute path without spaces or $ {{ }}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn callbacks_section() {
        let c = Config::from_parts("[callbacks]\nlines = 30\ncps = 0\n", "t", &[]).unwrap();
        assert_eq!((c.callbacks.lines, c.callbacks.cps), (30, 0.0));
        assert_eq!(Config::default().callbacks.lines, 10);
        for bad in [
            "[callbacks]\nlines = 0\n",
            "[callbacks]\ncps = -1\n",
            "[callbacks]\nrecordings = \"rel/dir\"\n",
            "[callbacks]\nrecordings = \"/a/${x}\"\n",
            "[callbacks]\nnope = 1\n",
        ] {
            assert!(Config::from_parts(bad, "t", &[]).is_err(), "{bad}");
        }
    }
}
