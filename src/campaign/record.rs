//! A campaign as stored: its definition with its status and counters.

use chrono::{DateTime, Utc};

use super::definition::CampaignDef;
use crate::model::CampaignStatus;

/// A campaign as stored.
#[derive(Debug, Clone)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    pub status: CampaignStatus,
    /// Why it was paused (by hand or automatically), or other status note.
    pub status_reason: Option<String>,
    pub definition: CampaignDef,
    /// Technical errors in a row across the campaign.
    pub technical_streak: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
