//! The rules file: which outcome a destination gets. Rules match by exact number, prefix or
//! regex, first match wins; a rule gives either a sequence of outcomes for successive calls to
//! the same number (the last repeats) or a weighted random mix drawn from the seeded generator.
//! See docs/sim.md for the format.

use std::collections::HashMap;
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

mod outcome;
pub use self::outcome::{DtmfOn, Kind, Outcome, BEEP_LEN};

/// Errors reading a rules file.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid rules: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("invalid rules: rule {index} ({name}): {reason}")]
    Rule {
        index: usize,
        name: String,
        reason: String,
    },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    name: Option<String>,
    exact: Option<String>,
    prefix: Option<String>,
    regex: Option<String>,
    /// Only calls through this SIP gateway (`sofia/gateway/<name>/...`): a trunk that fails
    /// while another works.
    gateway: Option<String>,
    #[serde(default)]
    outcome: Vec<Outcome>,
    #[serde(default)]
    mix: Vec<Outcome>,
}

/// Media settings: prompts and durations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Media {
    /// Languages whose `say` prompts are installed; `say` in any other fires filestring::fail.
    pub say_languages: Vec<String>,
    /// Where relative sound file paths are looked up for their WAV header.
    pub sounds_dir: Option<String>,
    /// Seconds a playback lasts when the file is not on disk.
    pub default_playback: f64,
    /// A missing file gives `FILE NOT FOUND` instead of the default duration.
    pub strict_files: bool,
    /// speak/say speed in characters per second.
    pub chars_per_sec: f64,
}

impl Default for Media {
    fn default() -> Self {
        Media {
            say_languages: vec!["en".into()],
            sounds_dir: None,
            default_playback: 3.0,
            strict_files: false,
            chars_per_sec: 14.0,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default)]
    default: Option<Outcome>,
    #[serde(default)]
    media: Media,
    #[serde(default)]
    rule: Vec<RuleDef>,
}

#[derive(Clone, Debug)]
enum Matcher {
    Exact(String),
    Prefix(String),
    Regex(regex::Regex),
}

#[derive(Clone, Debug)]
struct Rule {
    matcher: Matcher,
    gateway: Option<String>,
    sequence: Vec<Outcome>,
    mix: Vec<Outcome>,
}

/// Parsed rules (immutable); the per-number counters and the generator live in [`RuleState`].
#[derive(Clone, Debug, Default)]
pub struct Rules {
    default: Outcome,
    pub media: Media,
    rules: Vec<Rule>,
}

/// Mutable matching state: calls per number and the seeded generator.
#[derive(Debug)]
pub struct RuleState {
    calls: HashMap<String, usize>,
    rng: StdRng,
}

impl RuleState {
    pub fn new(seed: u64) -> Self {
        RuleState {
            calls: HashMap::new(),
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl Rules {
    /// Reads rules from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Rules, RulesError> {
        let def: FileDef = toml::from_str(text)?;
        let mut rules = Vec::new();
        for (i, r) in def.rule.into_iter().enumerate() {
            rules.push(build_rule(i + 1, r)?);
        }
        Ok(Rules {
            default: def.default.unwrap_or_default(),
            media: def.media,
            rules,
        })
    }

    /// Reads rules from a TOML file.
    pub fn from_file(path: &Path) -> Result<Rules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Rules::from_toml_str(&text)
    }

    /// The outcome of the next call to `dest`.
    pub fn pick(&self, dest: &str, state: &mut RuleState) -> Outcome {
        self.pick_on(dest, None, state)
    }

    /// The outcome of the next call to `dest` through `gateway` (the SIP gateway its dial
    /// string names, if any): rules naming another gateway are skipped.
    pub fn pick_on(&self, dest: &str, gateway: Option<&str>, state: &mut RuleState) -> Outcome {
        let fits = |r: &&Rule| {
            r.matcher.matches(dest) && r.gateway.as_deref().is_none_or(|g| Some(g) == gateway)
        };
        let Some(rule) = self.rules.iter().find(fits) else {
            return self.default.clone();
        };
        let n = state.calls.entry(dest.to_string()).or_insert(0);
        let idx = *n;
        *n += 1;
        if !rule.mix.is_empty() {
            let total: u64 = rule.mix.iter().map(|o| u64::from(o.weight)).sum();
            let mut x = state.rng.gen_range(0..total.max(1));
            for o in &rule.mix {
                if x < u64::from(o.weight) {
                    return o.clone();
                }
                x -= u64::from(o.weight);
            }
        }
        let i = idx.min(rule.sequence.len().saturating_sub(1));
        rule.sequence.get(i).cloned().unwrap_or_default()
    }
}

impl Matcher {
    fn matches(&self, dest: &str) -> bool {
        match self {
            Matcher::Exact(e) => e == dest,
            Matcher::Prefix(p) => dest.starts_with(p.as_str()),
            Matcher::Regex(r) => r.is_match(dest),
        }
    }
}

fn build_rule(index: usize, r: RuleDef) -> Result<Rule, RulesError> {
    let name = r.name.clone().unwrap_or_else(|| format!("#{index}"));
    let err = |reason: String| RulesError::Rule {
        index,
        name: name.clone(),
        reason,
    };
    let matcher = match (r.exact, r.prefix, r.regex) {
        (Some(e), None, None) => Matcher::Exact(e),
        (None, Some(p), None) => Matcher::Prefix(p),
        (None, None, Some(x)) => {
            Matcher::Regex(regex::Regex::new(&x).map_err(|e| err(format!("bad regex {x:?}: {e}")))?)
        }
        _ => return Err(err("give exactly one of exact, prefix, regex".into())),
    };
    if r.outcome.is_empty() == r.mix.is_empty() {
        return Err(err("give either outcome (a sequence) or mix".into()));
    }
    if !r.mix.is_empty() && r.mix.iter().all(|o| o.weight == 0) {
        return Err(err("every mix weight is 0".into()));
    }
    for o in r.outcome.iter().chain(&r.mix) {
        if o.result == Kind::Fail && o.cause.is_none() {
            return Err(err("result = \"fail\" needs a cause".into()));
        }
        for d in o.dtmf.iter().chain(o.keys.iter().map(|k| &k.press)) {
            if let Some(c) = d.chars().find(|c| !"0123456789*#ABCDabcd".contains(*c)) {
                return Err(err(format!("dtmf digit {c:?} is not a DTMF key")));
            }
        }
        if o.keys.iter().any(|k| k.at.is_nan() || k.at < 0.0) {
            return Err(err("keys: `at` must be non-negative seconds".into()));
        }
        let bad = |x: f64| x.is_nan() || x < 0.0;
        let voice = [o.initial_silence, o.greeting];
        if bad(o.ring)
            || o.hangup_after.is_some_and(bad)
            || bad(o.park_delay)
            || voice.into_iter().flatten().any(bad)
        {
            return Err(err(
                "ring, hangup_after, park_delay, initial_silence and greeting must be non-negative seconds".into(),
            ));
        }
    }
    Ok(Rule {
        matcher,
        gateway: r.gateway,
        sequence: r.outcome,
        mix: r.mix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[media]
say_languages = ["en"]

[[rule]]
exact = "operator"
outcome = [{ result = "answer", ring = 2.0, hangup_after = 10.0 }]

[[rule]]
exact = "5559"
gateway = "down"
outcome = [{ result = "gateway_down" }]

[[rule]]
prefix = "7900300"
outcome = [{ result = "busy" }, { result = "answer", hangup_after = 25.0 }]

[[rule]]
regex = "^555"
mix = [{ weight = 1, result = "busy" }, { weight = 3, result = "answer" }]
"#;

    #[test]
    fn sequence_per_number_then_last_repeats() {
        let r = Rules::from_toml_str(TEXT).unwrap();
        let mut st = RuleState::new(1);
        assert_eq!(r.pick("79003000001", &mut st).result, Kind::Busy);
        assert_eq!(r.pick("79003000002", &mut st).result, Kind::Busy);
        assert_eq!(
            r.pick_on("5559", Some("down"), &mut st).result,
            Kind::GatewayDown
        );
        assert_eq!(r.pick_on("5559", Some("up"), &mut st).result, Kind::Answer);
        assert_eq!(r.pick("5559", &mut st).result, Kind::Answer);
        assert_eq!(r.pick("79003000001", &mut st).result, Kind::Answer);
        assert_eq!(r.pick("79003000001", &mut st).result, Kind::Answer);
        assert_eq!(r.pick("operator", &mut st).hangup_after, Some(10.0));
        assert_eq!(r.pick("123", &mut st).result, Kind::Answer);
    }

    #[test]
    fn mix_is_reproducible_with_a_seed() {
        let r = Rules::from_toml_str(TEXT).unwrap();
        let draw = |seed| {
            let mut st = RuleState::new(seed);
            (0..200)
                .map(|_| r.pick("5551", &mut st).result)
                .collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a, draw(7));
        let busy = a.iter().filter(|k| **k == Kind::Busy).count();
        assert!((20..90).contains(&busy), "busy {busy} of 200");
    }

    #[test]
    fn demo_rules_parse() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/campaigns/demo-rules.toml");
        let r = Rules::from_file(Path::new(path)).unwrap();
        let mut st = RuleState::new(0);
        assert_eq!(r.pick("79003000001", &mut st).result, Kind::Busy);
        assert_eq!(r.pick("79003000001", &mut st).result, Kind::Answer);
        assert_eq!(r.pick("79007000001", &mut st).result, Kind::GatewayDown);
        assert_eq!(r.pick("operator", &mut st).hangup_after, Some(10.0));
    }

    #[test]
    fn bad_rules_are_explained() {
        let e = Rules::from_toml_str("[[rule]]\nprefix='1'\nexact='2'\noutcome=[{}]").unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let e =
            Rules::from_toml_str("[[rule]]\nprefix='1'\noutcome=[{result='fail'}]").unwrap_err();
        assert!(e.to_string().contains("cause"), "{e}");
        assert!(Rules::from_toml_str("[[rule]]\nprefix='1'\noutcome=[{result='nope'}]").is_err());
    }
}
