//! `GET /live/status`: Server-Sent Events of every campaign's state for anyone who may read
//! campaigns (the console's pages, the accountant's included): `event: status` with each
//! campaign's status and reason, technical-error streak, contacts by status (`dialing` is its
//! live calls) and finished attempts by disposition, plus the switches' health for roles that
//! may read it. Sent at once, every second, and within a quarter second of a status change
//! (campaign heads are cheap to read; the counts are read once a second or on a change).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures::stream::{self, Stream};
use serde::Serialize;

use super::auth::Authed;
use super::observe::NodeView;
use super::problem::ApiResult;
use super::ApiState;
use crate::model::Action;

/// How often campaign heads are read for a status change.
const POLL: Duration = Duration::from_millis(250);
/// Counts are read at least this many polls apart unless a status changed.
const COUNT_EVERY: u32 = 4;

/// One campaign in a `status` event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignState {
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub timezone: String,
    pub technical_streak: u32,
    pub contacts: BTreeMap<String, u64>,
    pub attempts: BTreeMap<String, u64>,
}

/// The data of a `status` event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusEvent {
    /// When it was read (server time).
    pub at: DateTime<Utc>,
    pub campaigns: Vec<CampaignState>,
    /// Each switch's health; null for roles that may not read it.
    pub nodes: Option<Vec<NodeView>>,
}

/// What changes a page at once: each campaign's name, status and reason.
async fn heads_key(st: &ApiState) -> Option<String> {
    let heads = st.store.campaign_heads().await.ok()?;
    Some(
        heads
            .iter()
            .map(|h| format!("{}\u{1}{}\u{1}{:?}", h.name, h.status, h.status_reason))
            .collect::<Vec<_>>()
            .join("\u{2}"),
    )
}

async fn read(st: &ApiState, nodes: bool) -> Option<StatusEvent> {
    let heads = st.store.campaign_heads().await.ok()?;
    let mut campaigns = Vec::with_capacity(heads.len());
    for h in heads {
        let counts = st.store.campaign_counts(h.id).await.ok()?;
        campaigns.push(CampaignState {
            name: h.name,
            status: h.status.to_string(),
            status_reason: h.status_reason,
            timezone: h.timezone,
            technical_streak: h.technical_streak,
            contacts: counts
                .contacts
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            attempts: counts
                .attempts
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
        });
    }
    let nodes = nodes.then(|| super::observe::node_views(st));
    Some(StatusEvent {
        at: st.clock.now(),
        campaigns,
        nodes,
    })
}

struct Poll {
    st: Arc<ApiState>,
    nodes: bool,
    ticker: tokio::time::Interval,
    last_key: Option<String>,
    /// Polls since the last event.
    quiet: u32,
}

#[utoipa::path(get, path = "/live/status", tag = "live",
    responses((status = 200, content_type = "text/event-stream", body = StatusEvent,
        description = "`status` events: at once, every second and on a status change")),
    security(("bearer" = [])))]
pub async fn status(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    auth.require(Action::CampaignRead)?;
    let poll = Poll {
        nodes: auth.0.role.may(Action::NodesRead),
        st,
        ticker: tokio::time::interval(POLL),
        last_key: None,
        quiet: COUNT_EVERY,
    };
    let events = stream::unfold(poll, |mut p| async move {
        loop {
            p.ticker.tick().await;
            let key = heads_key(&p.st).await;
            p.quiet += 1;
            if key == p.last_key && p.quiet < COUNT_EVERY {
                continue;
            }
            p.last_key = key;
            p.quiet = 0;
            if let Some(ev) = read(&p.st, p.nodes).await {
                let ev = Event::default().event("status").json_data(&ev).ok()?;
                return Some((Ok(ev), p));
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
