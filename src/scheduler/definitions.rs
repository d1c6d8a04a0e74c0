//! Campaign definitions as the engine holds them: each stored version is parsed once and kept
//! until its text changes. A version that no longer validates (stored by an older outcall whose
//! rules were looser) is remembered as broken: its campaign is paused once with the reason,
//! and every other campaign goes on.

use std::collections::HashMap;
use std::sync::Arc;

use crate::campaign::definition::CampaignDef;
use crate::campaign::record::CampaignHead;

/// What the cache knows of a campaign's current definition.
#[derive(Debug, Clone)]
pub enum Lookup {
    Valid(Arc<CampaignDef>),
    /// Broken, seen for the first time in this version: the reason.
    NewlyBroken(String),
    /// Broken, already reported.
    Broken,
}

struct Entry {
    text: String,
    parsed: Result<Arc<CampaignDef>, String>,
}

/// Parsed definitions by campaign id.
#[derive(Default)]
pub struct Definitions {
    cache: HashMap<i64, Entry>,
    parses: u64,
}

impl Definitions {
    /// The definition of `head`, parsed only when its text differs from the cached one.
    pub fn get(&mut self, head: &CampaignHead) -> Lookup {
        if let Some(e) = self.cache.get(&head.id) {
            if e.text == head.definition {
                return match &e.parsed {
                    Ok(d) => Lookup::Valid(d.clone()),
                    Err(_) => Lookup::Broken,
                };
            }
        }
        self.parses += 1;
        let parsed = head.parse().map(Arc::new).map_err(|e| e.to_string());
        let out = match &parsed {
            Ok(d) => Lookup::Valid(d.clone()),
            Err(e) => Lookup::NewlyBroken(e.clone()),
        };
        self.cache.insert(
            head.id,
            Entry {
                text: head.definition.clone(),
                parsed,
            },
        );
        out
    }

    /// How many times a definition was parsed (each version once).
    pub fn parses(&self) -> u64 {
        self.parses
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CampaignStatus;
    use chrono::Utc;

    fn head(id: i64, text: &str) -> CampaignHead {
        CampaignHead {
            timezone: "Europe/Moscow".into(),
            id,
            name: format!("c{id}"),
            status: CampaignStatus::Running,
            status_reason: None,
            definition: text.to_string(),
            technical_streak: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn each_version_is_parsed_once_and_a_broken_one_reported_once() {
        let good =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/campaigns/demo.toml"))
                .unwrap();
        let mut defs = Definitions::default();
        for _ in 0..3 {
            assert!(matches!(defs.get(&head(1, &good)), Lookup::Valid(_)));
        }
        assert_eq!(defs.parses(), 1);
        let broken = good.replace("money_ru", "money_rub");
        assert_ne!(broken, good, "the demo uses money_ru");
        match defs.get(&head(1, &broken)) {
            Lookup::NewlyBroken(reason) => assert!(reason.contains("money_rub"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(defs.get(&head(1, &broken)), Lookup::Broken));
        assert!(matches!(defs.get(&head(2, &good)), Lookup::Valid(_)));
        assert!(matches!(defs.get(&head(1, &good)), Lookup::Valid(_)));
        assert_eq!(defs.parses(), 4);
    }
}
