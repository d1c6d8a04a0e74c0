//! `GET /live`: Server-Sent Events for watchers (supervisors, the console). `event: call` for
//! each call started, answered and ended (campaign, contact, phone, node, disposition);
//! `event: counters` every second with each campaign's status and contacts by status (the
//! `dialing` count is its live calls); `event: lagged` when a slow reader missed call events.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::auth::Authed;
use super::problem::ApiResult;
use super::ApiState;
use crate::model::Action;
use crate::ops::campaigns;

/// One campaign in a `counters` event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignCounters {
    pub name: String,
    pub status: String,
    pub contacts: BTreeMap<String, u64>,
}

async fn counters(st: &ApiState) -> Option<Event> {
    let out: Vec<CampaignCounters> = campaigns::list(&st.store)
        .await
        .ok()?
        .into_iter()
        .map(|s| CampaignCounters {
            name: s.campaign.name,
            status: s.campaign.status.to_string(),
            contacts: s
                .contacts
                .into_iter()
                .map(|(status, n)| (status.to_string(), n))
                .collect(),
        })
        .collect();
    Event::default().event("counters").json_data(&out).ok()
}

#[utoipa::path(get, path = "/live", tag = "live",
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`call` events (started, answered, ended) and `counters` every second")),
    security(("bearer" = [])))]
pub async fn live(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    auth.require(Action::LiveRead)?;
    let calls = match &st.metrics {
        Some(m) => {
            let rx = m.subscribe();
            stream::unfold(rx, |mut rx| async move {
                let ev = match rx.recv().await {
                    Ok(ev) => Event::default().event("call").json_data(&ev).ok()?,
                    Err(RecvError::Lagged(n)) => {
                        Event::default().event("lagged").data(n.to_string())
                    }
                    Err(RecvError::Closed) => return None,
                };
                Some((ev, rx))
            })
            .boxed()
        }
        None => stream::empty().boxed(),
    };
    let ticker = tokio::time::interval(Duration::from_secs(1));
    let state = st.clone();
    let totals = stream::unfold((ticker, state), |(mut ticker, state)| async move {
        ticker.tick().await;
        let ev = counters(&state)
            .await
            .unwrap_or_else(|| Event::default().event("counters").data("[]"));
        Some((ev, (ticker, state)))
    });
    let merged = stream::select(calls, totals).map(Ok::<_, Infallible>);
    Ok(Sse::new(merged).keep_alive(KeepAlive::default()))
}
