//! The zones each campaign is known to have recorded in `campaign_zones`, kept by the store so
//! a transaction adding contacts writes only the zones not known yet.

use std::collections::{BTreeSet, HashMap};

/// The zones each campaign is known to have in `campaign_zones`, committed (rows there are
/// never deleted): a transaction adding contacts writes only the zones not known yet.
#[derive(Debug, Default)]
pub(crate) struct KnownZones {
    by_campaign: std::sync::Mutex<HashMap<i64, BTreeSet<String>>>,
}

impl KnownZones {
    pub(super) fn of(&self, campaign_id: i64) -> BTreeSet<String> {
        let known = self.by_campaign.lock().unwrap_or_else(|p| p.into_inner());
        known.get(&campaign_id).cloned().unwrap_or_default()
    }

    pub(super) fn add(&self, campaign_id: i64, zones: &BTreeSet<String>) {
        if zones.is_empty() {
            return;
        }
        let mut known = self.by_campaign.lock().unwrap_or_else(|p| p.into_inner());
        known
            .entry(campaign_id)
            .or_default()
            .extend(zones.iter().cloned());
    }
}
