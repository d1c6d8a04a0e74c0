//! A campaign as stored: its definition with its status and counters.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::definition::{CampaignDef, DefinitionError};
use crate::model::CampaignStatus;

/// A campaign as stored.
#[derive(Debug, Clone)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    pub status: CampaignStatus,
    /// Why it was paused (by hand or automatically), or other status note.
    pub status_reason: Option<String>,
    /// Shared: a record is cloned on every read of a campaign, its definition seldom changes.
    pub definition: Arc<CampaignDef>,
    /// Technical errors in a row across the campaign.
    pub technical_streak: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A campaign as stored, its definition still text: what the engine reads every pass, parsing
/// a definition only when its text changed.
#[derive(Debug, Clone)]
pub struct CampaignHead {
    pub id: i64,
    pub name: String,
    pub status: CampaignStatus,
    pub status_reason: Option<String>,
    /// The definition's TOML as stored.
    pub definition: String,
    /// The campaign's zone as stored beside the definition.
    pub timezone: String,
    pub technical_streak: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignHead {
    /// Parses and validates the stored definition.
    pub fn parse(&self) -> Result<CampaignDef, DefinitionError> {
        CampaignDef::from_toml_str(
            &self.definition,
            &format!("stored campaign `{}`", self.name),
        )
    }

    /// The record, with the definition parsed from this head's text.
    pub fn record(&self, definition: Arc<CampaignDef>) -> CampaignRecord {
        CampaignRecord {
            id: self.id,
            name: self.name.clone(),
            status: self.status,
            status_reason: self.status_reason.clone(),
            definition,
            technical_streak: self.technical_streak,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
