//! Lists and maps of durations in TOML and JSON (`["10m", "2h"]`, `{ busy = "10m" }`), each
//! value read and written as `duration_text` does (seconds as a number, or `90s`, `30m`, `2h`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One duration in a list or a map.
#[derive(Deserialize, Serialize)]
struct Item(#[serde(with = "super::duration_text")] Duration);

/// A list of durations.
pub mod list {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[Duration], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|d| Item(*d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
        Ok(Vec::<Item>::deserialize(d)?
            .into_iter()
            .map(|i| i.0)
            .collect())
    }
}

/// A map of names to durations.
pub mod map {
    use super::*;

    pub fn serialize<S: Serializer>(
        v: &BTreeMap<String, Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(k, d)| (k, Item(*d))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Duration>, D::Error> {
        let raw = BTreeMap::<String, Item>::deserialize(d)?;
        Ok(raw.into_iter().map(|(k, i)| (k, i.0)).collect())
    }
}
