//! Watching the service: `/healthz` (the process answers), `/readyz` (the store answers and at
//! least one switch is up), `/nodes` (each switch's health) and `/metrics` (Prometheus, in the
//! OpenMetrics text format, built with the `prometheus-client` crate at each scrape from the
//! engine's counters and the store's).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;

use super::auth::Authed;
use super::problem::{ApiResult, Problem};
use super::ApiState;
use crate::call::metrics::Labels;
use crate::model::Action;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ready {
    pub status: String,
    /// Switches connected now.
    pub switches_up: usize,
}

#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Ready), (status = 503, body = Problem)))]
pub async fn readyz(State(st): State<Arc<ApiState>>) -> ApiResult<Json<Ready>> {
    if let Err(e) = st.store.campaign_heads().await {
        tracing::warn!(error = %e, "readiness: the store does not answer");
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer",
        ));
    }
    let up = st.nodes.iter().filter(|n| n.is_up()).count();
    if up == 0 {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no FreeSWITCH node is connected",
        ));
    }
    Ok(Json(Ready {
        status: "ready".into(),
        switches_up: up,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NodeView {
    pub name: String,
    pub up: bool,
}

#[utoipa::path(get, path = "/nodes", tag = "health",
    responses((status = 200, body = [NodeView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn nodes(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
) -> ApiResult<Json<Vec<NodeView>>> {
    auth.require(Action::NodesRead)?;
    Ok(Json(node_views(&st)))
}

/// Each switch's health now.
pub(super) fn node_views(st: &ApiState) -> Vec<NodeView> {
    st.nodes
        .iter()
        .map(|n| NodeView {
            name: n.name().to_string(),
            up: n.is_up(),
        })
        .collect()
}

#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(st): State<Arc<ApiState>>) -> Response {
    let mut reg = Registry::with_prefix("outcall");
    if let Some(m) = &st.metrics {
        m.register(&mut reg);
    }
    let up = Family::<Labels, Gauge>::default();
    let events = Family::<Labels, Counter>::default();
    let reconnects = Family::<Labels, Counter>::default();
    for n in &st.nodes {
        let node = vec![("node".into(), n.name().to_string())];
        up.get_or_create(&node).set(i64::from(n.is_up()));
        let stats = n.stats();
        events.get_or_create(&node).inc_by(stats.events);
        reconnects.get_or_create(&node).inc_by(stats.reconnects);
    }
    reg.register("switch_up", "1 when the FreeSWITCH node is connected", up);
    reg.register(
        "esl_events",
        "Events received from the FreeSWITCH node (rate() gives events/s)",
        events,
    );
    reg.register(
        "esl_reconnects",
        "Times the FreeSWITCH node's event socket was lost and connected again",
        reconnects,
    );
    let contacts = Family::<Labels, Gauge>::default();
    if let Ok(all) = crate::ops::campaigns::list(&st.store).await {
        for s in all {
            for (status, n) in s.contacts {
                contacts
                    .get_or_create(&vec![
                        ("campaign".into(), s.campaign.name.clone()),
                        ("status".into(), status.to_string()),
                    ])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }
    reg.register("contacts", "Contacts by campaign and status", contacts);
    let queue = Gauge::<i64>::default();
    if let Ok(n) = st.store.outbox_depth().await {
        queue.set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    reg.register(
        "webhook_queue",
        "Webhook deliveries waiting in the outbox (pending)",
        queue,
    );
    let mut body = String::new();
    if encode(&mut body, &reg).is_err() {
        return Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics could not be written",
        )
        .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
