//! Callback jobs (role `backend`): `POST /callbacks` accepts a job (202 with its id; the same
//! `idempotency_key` gives the same job), `GET /callbacks/{id}` shows it with the leg-by-leg log,
//! `GET /callbacks` lists, `POST /callbacks/{id}/cancel` cancels it and its recalls.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Authed;
use super::contacts::json_body;
use super::problem::{ApiResult, Problem};
use super::ApiState;
use crate::callback::record::{CallbackRecord, LegRecord};
use crate::callback::{CallbackRequest, CallbackStatus, JobState};
use crate::model::Action;
use crate::ops::callbacks;

/// A job as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    pub id: i64,
    pub idempotency_key: Option<String>,
    pub state: JobState,
    pub status: CallbackStatus,
    /// The status code (docs/callbacks.md; 708: cancelled by the manager).
    pub status_code: u16,
    pub client: String,
    pub managers: Vec<String>,
    /// Calls placed so far.
    pub calls: u32,
    pub recalls_cancelled: bool,
    /// When it is due next (pending).
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub duration_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    pub recording: Option<String>,
    /// The manager number that answered the last call.
    pub manager: Option<String>,
    pub digits: String,
    /// Every leg of every call, in order (only in `GET /callbacks/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legs: Option<Vec<LegRecord>>,
}

fn view(r: CallbackRecord, legs: Option<Vec<LegRecord>>) -> CallbackView {
    CallbackView {
        id: r.id,
        idempotency_key: r.idempotency_key,
        state: r.state,
        status: r.status,
        status_code: r.status_code,
        client: r.spec.client,
        managers: r.spec.managers,
        calls: r.calls,
        recalls_cancelled: r.recalls_cancelled,
        next_attempt_at: r.next_attempt_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        duration_ms: r.duration_ms,
        talk_ms: r.talk_ms,
        recording: r.recording,
        manager: r.manager,
        digits: r.digits,
        legs,
    }
}

/// The answer to `POST /callbacks`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub id: i64,
    pub status: CallbackStatus,
    pub status_code: u16,
    /// When it will be called.
    pub due: DateTime<Utc>,
    /// True when the idempotency key named a job accepted before (nothing new was stored).
    pub duplicate: bool,
}

#[utoipa::path(post, path = "/callbacks", tag = "callbacks", request_body = CallbackRequest,
    responses((status = 202, body = Accepted), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let actor = auth.require(Action::CallbacksWrite)?;
    let req: CallbackRequest = json_body(&body)?;
    let (rec, created) =
        callbacks::add(&st.store, actor, &st.default_country, &req, st.clock.now()).await?;
    if let (true, Some(w)) = (created, &st.wake) {
        w.notify_one();
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            id: rec.id,
            status: rec.status,
            status_code: rec.status_code,
            due: rec.next_attempt_at,
            duplicate: !created,
        }),
    ))
}

/// A job id from the path; anything but a positive number is no such job.
fn job_id(text: &str) -> ApiResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem::not_found(format!("no callback `{text}`")))
}

#[utoipa::path(get, path = "/callbacks/{id}", tag = "callbacks", params(("id" = String, Path)),
    responses((status = 200, body = CallbackView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<CallbackView>> {
    auth.require(Action::CallbacksRead)?;
    let (rec, legs) = callbacks::show(&st.store, job_id(&id)?).await?;
    Ok(Json(view(rec, Some(legs))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Jobs with an id above this (the previous page's `next`).
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Only jobs in this state: pending, running or done.
    pub state: Option<String>,
}

fn default_limit() -> u32 {
    100
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackPage {
    pub callbacks: Vec<CallbackView>,
    pub next: Option<i64>,
}

#[utoipa::path(get, path = "/callbacks", tag = "callbacks", params(ListParams),
    responses((status = 200, body = CallbackPage), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<CallbackPage>> {
    auth.require(Action::CallbacksRead)?;
    let state = match p.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<JobState>().map_err(Problem::unprocessable)?),
    };
    let limit = p.limit.clamp(1, 1000);
    let rows = callbacks::list(&st.store, p.after, limit, state).await?;
    let next = super::next_after(&rows, limit, |r| r.id);
    Ok(Json(CallbackPage {
        callbacks: rows.into_iter().map(|r| view(r, None)).collect(),
        next,
    }))
}

#[utoipa::path(post, path = "/callbacks/{id}/cancel", tag = "callbacks", params(("id" = String, Path)),
    responses((status = 200, body = CallbackView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<CallbackView>> {
    let actor = auth.require(Action::CallbacksWrite)?;
    let rec = callbacks::cancel(&st.store, actor, job_id(&id)?, st.clock.now()).await?;
    Ok(Json(view(rec, None)))
}
