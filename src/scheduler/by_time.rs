//! Campaigns that run by time, in the engine's pass: a scheduled campaign starts once its
//! `schedule.start` has come (until then the engine wakes at that instant), and a completed one
//! with a cron recurrence runs again when it fires.

use chrono::{DateTime, Utc};

use super::engine::{Engine, EngineError};
use crate::campaign::definition::CampaignDef;
use crate::campaign::record::CampaignHead;
use crate::campaign::window;
use crate::model::CampaignStatus;
use crate::ops::campaigns::start_when_due;

impl Engine {
    /// A scheduled campaign runs once its `schedule.start` has come; until then the engine
    /// wakes at that instant. `true` when it runs now.
    pub(super) async fn start_if_due(
        &mut self,
        head: &CampaignHead,
        def: &CampaignDef,
        now: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        if head.status != CampaignStatus::Scheduled {
            return Ok(false);
        }
        if let Some(at) = def.schedule.start.filter(|at| *at > now) {
            self.next_due = Some(self.next_due.map_or(at, |n| n.min(at)));
            return Ok(false);
        }
        match start_when_due(&self.env.store, head.id, now).await {
            Ok(ran) => Ok(ran),
            Err(crate::ops::OpsError::Store(e)) => Err(e.into()),
            Err(e) => {
                tracing::warn!(campaign_id = head.id, error = %e, "cannot start the scheduled campaign");
                Ok(false)
            }
        }
    }

    /// A completed (or scheduled) campaign with a cron recurrence runs again when it fires.
    pub(super) async fn maybe_rerun(
        &mut self,
        rec: &CampaignHead,
        def: &CampaignDef,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let Some(at) = window::next_recurrence(&def.schedule, def.timezone, rec.updated_at) else {
            return Ok(());
        };
        if at <= now {
            let n = self.env.store.rerun_campaign(rec.id, now).await?;
            tracing::info!(campaign = %rec.name, contacts = n, "cron recurrence: campaign runs again");
        } else {
            self.next_due = Some(self.next_due.map_or(at, |n| n.min(at)));
        }
        Ok(())
    }
}
