//! Caller ID by location (seeds/000 "Принцип работы АОНа") as a pure function over a data file
//! (`campaigns/callerid-locations.toml`, built in; another file may replace it): which number the
//! manager and the client each see.

use std::collections::HashMap;

use serde::Deserialize;

/// The built-in locations file.
pub const BUILTIN: &str = include_str!("../../campaigns/callerid-locations.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationSpec {
    id: String,
    #[serde(default)]
    name: String,
    parent: Option<String>,
    #[serde(default)]
    prefixes: Vec<String>,
    number: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NearestSpec {
    #[serde(default)]
    name: String,
    prefixes: Vec<String>,
    location: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    location: Vec<LocationSpec>,
    #[serde(default)]
    nearest: Vec<NearestSpec>,
}

/// The locations, ready for lookups.
#[derive(Debug, Clone)]
pub struct Locations {
    /// id -> (parent index, technical number).
    nodes: Vec<(String, Option<usize>, Option<String>)>,
    /// prefix (without `+`) -> location index, for numbers inside a location.
    inside: HashMap<String, usize>,
    /// prefix -> location index, for countries outside every location.
    nearest: HashMap<String, usize>,
}

/// Which number each side sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIds {
    /// Shown to the manager (on the manager leg).
    pub to_manager: String,
    /// Shown to the client (on the client leg).
    pub to_client: String,
}

/// Caller IDs from the request, used where no location has a number.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults<'a> {
    pub to_manager: Option<&'a str>,
    pub to_client: Option<&'a str>,
    /// The custom caller ID toward the client (wins within one location).
    pub custom_to_client: Option<&'a str>,
}

fn digits(p: &str) -> String {
    p.trim().trim_start_matches('+').to_string()
}

impl Locations {
    /// Parses a locations file; errors name the entry.
    pub fn parse(text: &str) -> Result<Locations, String> {
        let spec: FileSpec = toml::from_str(text).map_err(|e| format!("locations file: {e}"))?;
        let index: HashMap<&str, usize> = spec
            .location
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.as_str(), i))
            .collect();
        if index.len() != spec.location.len() {
            return Err("locations file: two locations share an id".into());
        }
        let mut nodes = Vec::new();
        let mut inside = HashMap::new();
        for (i, l) in spec.location.iter().enumerate() {
            let parent =
                match &l.parent {
                    None => None,
                    Some(p) => Some(*index.get(p.as_str()).ok_or_else(|| {
                        format!("location `{}` ({}): no parent `{p}`", l.id, l.name)
                    })?),
                };
            for p in &l.prefixes {
                if inside.insert(digits(p), i).is_some() {
                    return Err(format!("location `{}`: prefix {p} is listed twice", l.id));
                }
            }
            nodes.push((l.id.clone(), parent, l.number.clone()));
        }
        let mut nearest = HashMap::new();
        for n in &spec.nearest {
            let i = *index
                .get(n.location.as_str())
                .ok_or_else(|| format!("nearest `{}`: no location `{}`", n.name, n.location))?;
            for p in &n.prefixes {
                nearest.insert(digits(p), i);
            }
        }
        let locs = Locations {
            nodes,
            inside,
            nearest,
        };
        for i in 0..locs.nodes.len() {
            if locs.chain(i).len() > locs.nodes.len() {
                return Err(format!(
                    "location `{}`: its parents form a loop",
                    locs.nodes[i].0
                ));
            }
        }
        Ok(locs)
    }

    /// The built-in file.
    pub fn builtin() -> Locations {
        Locations::parse(BUILTIN).expect("the built-in locations file parses (tested)")
    }

    fn longest(map: &HashMap<String, usize>, number: &str) -> Option<usize> {
        let d = digits(number);
        (1..=d.len()).rev().find_map(|n| map.get(&d[..n]).copied())
    }

    /// The most specific location of an E.164 number: inside one, else the nearest rule.
    fn locate(&self, number: &str) -> Option<usize> {
        Self::longest(&self.inside, number).or_else(|| Self::longest(&self.nearest, number))
    }

    /// The location's id (for logs and tests).
    pub fn id_of(&self, number: &str) -> Option<&str> {
        self.locate(number).map(|i| self.nodes[i].0.as_str())
    }

    /// The chain from a location to the top (bounded, so a loop cannot hang).
    fn chain(&self, mut i: usize) -> Vec<usize> {
        let mut out = vec![i];
        while let Some(p) = self.nodes[i].1 {
            out.push(p);
            i = p;
            if out.len() > self.nodes.len() {
                break;
            }
        }
        out
    }

    /// The technical number of a location: the lowest level of its chain that has one.
    fn technical(&self, i: usize) -> Option<&str> {
        self.chain(i)
            .into_iter()
            .find_map(|j| self.nodes[j].2.as_deref())
    }

    /// What the manager and the client see when `manager` and `client` are connected. Within one
    /// location: the real numbers (the custom caller ID toward the client wins). Across
    /// locations: each side its own location's technical number; a side with none gets the
    /// request's default, else the other side's real number.
    pub fn caller_ids(&self, manager: &str, client: &str, d: Defaults<'_>) -> CallerIds {
        let (lm, lc) = (self.locate(manager), self.locate(client));
        if lm.is_some() && lm == lc {
            return CallerIds {
                to_manager: client.to_string(),
                to_client: d.custom_to_client.unwrap_or(manager).to_string(),
            };
        }
        let tech = |l: Option<usize>| l.and_then(|i| self.technical(i));
        CallerIds {
            to_manager: tech(lm).or(d.to_manager).unwrap_or(client).to_string(),
            to_client: tech(lc)
                .or(d.to_client)
                .or(d.custom_to_client)
                .unwrap_or(manager)
                .to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU_MSK: &str = "+74951112233";
    const RU_SPB: &str = "+78121112233";
    const RU_MOBILE: &str = "+79161112233";
    const RU_NSK: &str = "+73831112233";
    const KZ_1: &str = "+77011112233";
    const KZ_2: &str = "+77272223344";
    const DE: &str = "+4915112345678";
    const RO: &str = "+40721123456";
    const CY: &str = "+35799123456";
    const FR: &str = "+33612345678";
    const AE: &str = "+971501234567";

    #[test]
    fn the_seeds_examples_and_the_rules() {
        let l = Locations::builtin();
        let none = Defaults::default();
        let custom = Defaults {
            custom_to_client: Some("+77010000000"),
            ..Defaults::default()
        };
        // (manager, client, defaults, seen by the manager, seen by the client, why)
        let cases: &[(&str, &str, Defaults, &str, &str, &str)] = &[
            (
                KZ_1,
                KZ_2,
                none,
                KZ_2,
                KZ_1,
                "Kazakhstan -> Kazakhstan: real numbers",
            ),
            (
                RU_MOBILE,
                KZ_1,
                none,
                "+74950000001",
                "+77170000004",
                "Russia manager, Kazakhstan client",
            ),
            (
                DE,
                RO,
                none,
                "+49300000006",
                "+49300000005",
                "Germany -> Romania: German and European",
            ),
            (
                KZ_1,
                KZ_2,
                custom,
                KZ_2,
                "+77010000000",
                "custom caller ID wins within a location",
            ),
            (
                RU_MOBILE,
                KZ_1,
                custom,
                "+74950000001",
                "+77170000004",
                "technical numbers win across locations",
            ),
            (
                RU_MSK,
                RU_SPB,
                none,
                "+74950000002",
                "+78120000003",
                "two regions: each its region's number",
            ),
            (
                RU_NSK,
                RU_MSK,
                none,
                "+74950000001",
                "+74950000002",
                "a region without a number: Russia's",
            ),
            (
                RU_MSK,
                "+74991112233",
                none,
                "+74991112233",
                RU_MSK,
                "one region: real numbers",
            ),
            (
                FR,
                RO,
                none,
                "+49300000005",
                "+49300000005",
                "two European countries: the European number",
            ),
            (
                CY,
                DE,
                none,
                "+35722000007",
                "+49300000006",
                "Cyprus -> Germany",
            ),
            (
                AE,
                RU_MOBILE,
                none,
                "+49300000006",
                "+74950000001",
                "UAE maps to Germany",
            ),
        ];
        for (m, c, d, to_m, to_c, why) in cases {
            let got = l.caller_ids(m, c, *d);
            assert_eq!(
                (got.to_manager.as_str(), got.to_client.as_str()),
                (*to_m, *to_c),
                "{why}"
            );
        }
    }

    #[test]
    fn locations_and_unknown_countries() {
        let l = Locations::builtin();
        assert_eq!(l.id_of(KZ_1), Some("kz"));
        assert_eq!(l.id_of(RU_MOBILE), Some("ru"));
        assert_eq!(l.id_of(RU_MSK), Some("ru-moscow"));
        assert_eq!(l.id_of(AE), Some("de"));
        assert_eq!(l.id_of("+12025550123"), None);
        let d = Defaults {
            to_manager: Some("+10000000001"),
            to_client: Some("+10000000002"),
            custom_to_client: None,
        };
        let us = l.caller_ids("+12025550123", RU_MOBILE, d);
        assert_eq!(
            us.to_manager, "+10000000001",
            "no location: the request's default"
        );
        assert_eq!(us.to_client, "+74950000001");
        let bare = l.caller_ids("+12025550123", "+12025550124", Defaults::default());
        assert_eq!(
            bare.to_manager, "+12025550124",
            "no location, no default: real numbers"
        );
    }

    #[test]
    fn bad_files_are_named() {
        let e = Locations::parse("[[location]]\nid = \"a\"\nparent = \"zz\"\n").unwrap_err();
        assert!(e.contains("no parent `zz`"), "{e}");
        let e =
            Locations::parse("[[location]]\nid = \"a\"\n[[location]]\nid = \"a\"\n").unwrap_err();
        assert!(e.contains("share an id"), "{e}");
        let e = Locations::parse(
            "[[location]]\nid = \"a\"\nparent = \"b\"\n[[location]]\nid = \"b\"\nparent = \"a\"\n",
        )
        .unwrap_err();
        assert!(e.contains("loop"), "{e}");
    }
}
