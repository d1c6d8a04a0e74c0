//! The do-not-call list, API tokens (admin) and the audit log.

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
use crate::model::{Action, Role};
use crate::ops::{audit, dnc, tokens};
use crate::store::AuditQuery;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DncView {
    pub phone: String,
    pub reason: String,
    pub added_at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/dnc", tag = "dnc",
    responses((status = 200, body = [DncView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn dnc_list(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
) -> ApiResult<Json<Vec<DncView>>> {
    auth.require(Action::DncRead)?;
    let list = dnc::list(&st.store).await?;
    Ok(Json(
        list.into_iter()
            .map(|e| DncView {
                phone: e.phone,
                reason: e.reason,
                added_at: e.added_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DncAdd {
    pub phones: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DncAdded {
    pub added: u64,
    pub already: u64,
}

#[utoipa::path(post, path = "/dnc", tag = "dnc", request_body = DncAdd,
    responses((status = 200, body = DncAdded), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn dnc_add(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    body: Bytes,
) -> ApiResult<Json<DncAdded>> {
    let actor = auth.require(Action::DncWrite)?;
    let req: DncAdd = json_body(&body)?;
    if req.phones.is_empty() {
        return Err(Problem::unprocessable("phones: give at least one number"));
    }
    let reason = if req.reason.trim().is_empty() {
        "added over the API"
    } else {
        req.reason.trim()
    };
    let (added, already) = dnc::add(
        &st.store,
        actor,
        &st.default_country,
        &req.phones,
        reason,
        st.clock.now(),
    )
    .await?;
    Ok(Json(DncAdded { added, already }))
}

#[utoipa::path(delete, path = "/dnc/{phone}", tag = "dnc", params(("phone" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn dnc_remove(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(phone): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = auth.require(Action::DncWrite)?;
    let out = dnc::remove(
        &st.store,
        actor,
        &st.default_country,
        &[phone],
        st.clock.now(),
    )
    .await?;
    match out.first() {
        Some((_, true)) => Ok(StatusCode::NO_CONTENT),
        Some((p, false)) => Err(Problem::not_found(format!(
            "{p} is not on the do-not-call list"
        ))),
        None => Err(Problem::unprocessable("no number given")),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
}

#[utoipa::path(get, path = "/tokens", tag = "tokens",
    responses((status = 200, body = [TokenView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn tokens(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
) -> ApiResult<Json<Vec<TokenView>>> {
    auth.require(Action::Tokens)?;
    let list = tokens::list(&st.store).await?;
    Ok(Json(
        list.into_iter()
            .map(|t| TokenView {
                name: t.name,
                role: t.role.to_string(),
                created_at: t.created_at,
                revoked_at: t.revoked_at,
                last_used: t.last_used,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub name: String,
    /// admin, marketer, accountant, supervisor or backend.
    pub role: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenMade {
    pub name: String,
    pub role: String,
    /// The token; shown this once.
    pub token: String,
}

#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = TokenRequest,
    responses((status = 201, body = TokenMade), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn token_create(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<TokenMade>)> {
    let actor = auth.require(Action::Tokens)?;
    let req: TokenRequest = json_body(&body)?;
    let role: Role = req.role.parse().map_err(Problem::unprocessable)?;
    let token = tokens::create(&st.store, actor, &req.name, role, st.clock.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenMade {
            name: req.name.trim().to_string(),
            role: role.to_string(),
            token,
        }),
    ))
}

#[utoipa::path(delete, path = "/tokens/{name}", tag = "tokens", params(("name" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn token_revoke(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = auth.require(Action::Tokens)?;
    tokens::revoke(&st.store, actor, &name, st.clock.now()).await?;
    st.tokens.forget(&name);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// Entries after this id.
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_limit")]
    pub limit: i64,
    /// e.g. `campaign:debtors`.
    pub object: Option<String>,
    /// A token name or `cli:<user>`.
    pub actor: Option<String>,
    /// Entries below this id (the previous newest-first page's last id).
    pub before: Option<i64>,
    /// Newest first: the latest entries (default: oldest first, in id order).
    #[serde(default)]
    pub newest_first: bool,
}

fn default_limit() -> i64 {
    500
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub object: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = [AuditView]), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn audit(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Query(p): Query<AuditParams>,
) -> ApiResult<Json<Vec<AuditView>>> {
    auth.require(Action::AuditRead)?;
    let q = AuditQuery {
        after_id: p.after,
        limit: p.limit.clamp(1, 10_000),
        object: p.object,
        actor: p.actor,
        before_id: p.before,
        newest_first: p.newest_first,
    };
    let entries = audit::page(&st.store, &q).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                at: e.at,
                actor: e.actor,
                role: e.role.to_string(),
                action: e.action,
                object: e.object,
                before: e.before,
                after: e.after,
            })
            .collect(),
    ))
}
