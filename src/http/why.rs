//! `GET /campaigns/{name}/why` and `GET /contacts/{phone}/why`: the facts of `ops::why`, with
//! the switches as this process's engine sees them. Readable by every role that reads
//! campaigns (contacts: that reads contacts).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

use super::auth::Authed;
use super::problem::{ApiResult, Problem};
use super::ApiState;
use crate::model::Action;
use crate::ops::explain::{CampaignWhy, ContactWhy, SwitchState};
use crate::ops::why::{self, WhyEnv};

/// The caps of outcall.toml and the engine's switches, up or down now.
fn env(st: &ApiState) -> WhyEnv {
    let switches = st
        .nodes
        .iter()
        .map(|n| SwitchState {
            name: n.name().to_string(),
            up: Some(n.is_up()),
        })
        .collect();
    WhyEnv {
        switches,
        ..st.why.clone()
    }
}

#[utoipa::path(get, path = "/campaigns/{name}/why", tag = "campaigns",
    params(("name" = String, Path)),
    responses((status = 200, body = CampaignWhy), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn campaign(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Json<CampaignWhy>> {
    auth.require(Action::CampaignRead)?;
    Ok(Json(
        why::campaign(&st.store, &env(&st), &name, st.clock.now()).await?,
    ))
}

/// Which campaign's contact.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactWhyParams {
    /// Only the contact of this campaign (default: every campaign that has the number).
    pub campaign: Option<String>,
}

#[utoipa::path(get, path = "/contacts/{phone}/why", tag = "contacts",
    params(("phone" = String, Path, description = "The contact's first phone, E.164 or national"), ContactWhyParams),
    responses((status = 200, body = [ContactWhy]), (status = 422, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn contact(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(phone): Path<String>,
    Query(p): Query<ContactWhyParams>,
) -> ApiResult<Json<Vec<ContactWhy>>> {
    auth.require(Action::ContactsRead)?;
    let now = st.clock.now();
    let out = why::contact(&st.store, &env(&st), &phone, p.campaign.as_deref(), now).await?;
    Ok(Json(out))
}
