//! Campaign routes: list, create (TOML or JSON), show, update under the edit rules, and the
//! controls (start, pause with a reason, resume, stop, pause all). Rules are `ops::campaigns`'.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Authed;
use super::problem::{ApiResult, Problem};
use super::ApiState;
use crate::campaign::definition::CampaignDef;
use crate::model::Action;
use crate::ops::campaigns::{self, Transition};

/// A campaign as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignSummary {
    pub id: i64,
    pub name: String,
    /// draft, scheduled, running, paused, completed or cancelled.
    pub status: String,
    pub status_reason: Option<String>,
    /// Contacts by status.
    pub contacts: BTreeMap<String, u64>,
}

/// One campaign in full.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Technical errors in a row across the campaign.
    pub technical_streak: u32,
    /// Contacts by status.
    pub contacts: BTreeMap<String, u64>,
    /// Finished attempts by disposition.
    pub attempts: BTreeMap<String, u64>,
    /// The TOML definition as stored.
    pub definition: String,
}

/// A status change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TransitionView {
    pub name: String,
    pub from: String,
    pub to: String,
}

impl From<Transition> for TransitionView {
    fn from(t: Transition) -> Self {
        TransitionView {
            name: t.name,
            from: t.from.to_string(),
            to: t.to.to_string(),
        }
    }
}

/// Why a campaign is paused.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    pub reason: String,
}

/// Names of the campaigns paused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paused {
    pub paused: Vec<String>,
}

fn counts<K: ToString>(v: Vec<(K, u64)>) -> BTreeMap<String, u64> {
    v.into_iter().map(|(k, n)| (k.to_string(), n)).collect()
}

/// A definition from a request body: JSON (`application/json`, the TOML's structure) or TOML
/// (anything else: `application/toml`, `text/plain`).
pub(super) fn definition(headers: &HeaderMap, body: &Bytes) -> ApiResult<CampaignDef> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Problem::bad_request("the definition is not UTF-8 text"))?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let toml_text = if json {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Problem::bad_request(format!("the body is not JSON: {e}")))?;
        if !value.is_object() {
            return Err(Problem::unprocessable(
                "the definition must be a JSON object",
            ));
        }
        toml::to_string(&value).map_err(|e| {
            Problem::unprocessable(format!("the definition cannot be a campaign: {e}"))
        })?
    } else {
        text.to_string()
    };
    Ok(campaigns::check_text(&toml_text, "request")?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// The archived campaigns instead of the others.
    #[serde(default)]
    pub archived: bool,
}

#[utoipa::path(get, path = "/campaigns", tag = "campaigns", params(ListParams),
    responses((status = 200, body = [CampaignSummary]), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<CampaignSummary>>> {
    auth.require(Action::CampaignRead)?;
    let all = if p.archived {
        campaigns::list_archived(&st.store).await?
    } else {
        campaigns::list(&st.store).await?
    };
    let out = all
        .into_iter()
        .map(|s| CampaignSummary {
            id: s.campaign.id,
            name: s.campaign.name,
            status: s.campaign.status.to_string(),
            status_reason: s.campaign.status_reason,
            contacts: counts(s.contacts),
        })
        .collect();
    Ok(Json(out))
}

#[utoipa::path(post, path = "/campaigns", tag = "campaigns",
    request_body(description = "The campaign's TOML (any text type: application/toml, text/plain) or the same structure as JSON", content((String = "text/plain"), ("application/json"))),
    responses((status = 201, body = CampaignView), (status = 400, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CampaignView>)> {
    let actor = auth.require(Action::CampaignWrite)?;
    let def = definition(&headers, &body)?;
    let rec = campaigns::create(&st.store, actor, &def, st.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(view(&st, &rec.name).await?)))
}

#[utoipa::path(get, path = "/campaigns/{name}", tag = "campaigns",
    params(("name" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    auth.require(Action::CampaignRead)?;
    // Served from the views read lately while nothing was written since (see `views`).
    let mark = st.views.mark(&st.store);
    let body = match st.views.get(&name, mark) {
        Some(body) => body,
        None => {
            let view = view(&st, &name).await?;
            let body = serde_json::to_vec(&view).map_err(|e| {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("view: {e}"))
            })?;
            let body = Bytes::from(body);
            st.views.put(&name, mark, body.clone());
            body
        }
    };
    let json = HeaderValue::from_static("application/json");
    Ok(([(header::CONTENT_TYPE, json)], body).into_response())
}

async fn view(st: &ApiState, name: &str) -> ApiResult<CampaignView> {
    let d = campaigns::overview(&st.store, name).await?;
    let c = d.campaign;
    Ok(CampaignView {
        id: c.id,
        name: c.name,
        status: c.status.to_string(),
        status_reason: c.status_reason,
        timezone: c.timezone,
        created_at: c.created_at,
        updated_at: c.updated_at,
        technical_streak: c.technical_streak,
        contacts: counts(d.contacts),
        attempts: counts(d.attempts),
        definition: c.definition,
    })
}

#[utoipa::path(put, path = "/campaigns/{name}", tag = "campaigns",
    params(("name" = String, Path)),
    request_body(description = "The new definition, TOML or JSON (its name must be this campaign's)", content((String = "text/plain"), ("application/json"))),
    responses((status = 200, body = CampaignView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CampaignView>> {
    let actor = auth.require(Action::CampaignWrite)?;
    let def = definition(&headers, &body)?;
    if def.name != name {
        return Err(Problem::unprocessable(format!(
            "the definition names campaign `{}`, not `{name}` (a campaign cannot be renamed)",
            def.name
        )));
    }
    campaigns::update(&st.store, actor, &def, st.clock.now()).await?;
    Ok(Json(view(&st, &name).await?))
}

#[utoipa::path(post, path = "/campaigns/{name}/start", tag = "control",
    params(("name" = String, Path)),
    responses((status = 200, body = TransitionView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn start(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Json<TransitionView>> {
    let actor = auth.require(Action::Control)?;
    let t = campaigns::start(&st.store, actor, &name, st.clock.now()).await?;
    Ok(Json(t.into()))
}

#[utoipa::path(post, path = "/campaigns/{name}/pause", tag = "control",
    params(("name" = String, Path)), request_body = PauseRequest,
    responses((status = 200, body = TransitionView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn pause(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Json<TransitionView>> {
    let actor = auth.require(Action::Control)?;
    let req: PauseRequest = super::contacts::json_body(&body)?;
    let t = campaigns::pause(&st.store, actor, &name, &req.reason, st.clock.now()).await?;
    Ok(Json(t.into()))
}

#[utoipa::path(post, path = "/campaigns/{name}/resume", tag = "control",
    params(("name" = String, Path)),
    responses((status = 200, body = TransitionView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn resume(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Json<TransitionView>> {
    let actor = auth.require(Action::Control)?;
    let t = campaigns::resume(&st.store, actor, &name, st.clock.now()).await?;
    Ok(Json(t.into()))
}

#[utoipa::path(post, path = "/campaigns/{name}/stop", tag = "control",
    params(("name" = String, Path)),
    responses((status = 200, body = TransitionView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn stop(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Json<TransitionView>> {
    let actor = auth.require(Action::Control)?;
    let t = campaigns::stop(&st.store, actor, &name, st.clock.now()).await?;
    Ok(Json(t.into()))
}

#[utoipa::path(post, path = "/campaigns/{name}/archive", tag = "campaigns",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn archive(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = auth.require(Action::CampaignWrite)?;
    campaigns::archive(&st.store, actor, &name, st.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/pause-all", tag = "control", request_body = PauseRequest,
    responses((status = 200, body = Paused), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn pause_all(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    body: Bytes,
) -> ApiResult<Json<Paused>> {
    let actor = auth.require(Action::PauseAll)?;
    let req: PauseRequest = super::contacts::json_body(&body)?;
    let paused = campaigns::pause_all(&st.store, actor, &req.reason, st.clock.now()).await?;
    Ok(Json(Paused { paused }))
}
