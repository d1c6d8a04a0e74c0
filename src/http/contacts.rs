//! Contact routes: upload a CSV (`text/csv` streamed, or `multipart/form-data` with a `file`
//! part) with the import's JSON report and `?dry_run=true`, add contacts as JSON (one object or
//! an array; the same import rules), and list or search a campaign's contacts.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::auth::Authed;
use super::problem::{ApiResult, Problem};
use super::ApiState;
use crate::import::zone::ZoneCounts;
use crate::import::{ImportOptions, ImportReport};
use crate::model::{Action, ContactRecord, ContactStatus};
use crate::ops::contacts::{self, ContactInput};
use crate::store::ContactQuery;

/// A JSON body, or a 400/422 problem saying what is wrong with it.
pub(super) fn json_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Problem::unprocessable(format!("{e}")),
        _ => Problem::bad_request(format!("the body is not JSON: {e}")),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadParams {
    /// Report only; write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Country of numbers written without `+` (default: the server's `default_country`).
    pub default_country: Option<String>,
    /// Rename columns of a CSV: `Сумма долга=BALANCE,Телефон=PHONE` (over the campaign's
    /// `[import] map`).
    pub map: Option<String>,
}

/// The import report: `rows = accepted + duplicates + rejected`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub rows: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: Vec<RejectionView>,
    /// Every duplicate: its line and the line it was merged into (null: a contact the
    /// campaign already had). Rows of different people with one phone are rejected instead.
    pub merged: Vec<MergeView>,
    /// New contacts by where their zone came from (they add up to `accepted`).
    pub zones: ZoneCounts,
    pub dry_run: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MergeView {
    pub line: u64,
    pub into_line: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RejectionView {
    /// 1-based line of the file (for JSON contacts: the contact's index + 2).
    pub line: u64,
    pub reason: String,
}

fn report_view(r: ImportReport, dry_run: bool) -> ReportView {
    ReportView {
        rows: r.rows,
        accepted: r.accepted,
        duplicates: r.duplicates,
        rejected: r
            .rejected
            .into_iter()
            .map(|x| RejectionView {
                line: x.line,
                reason: x.reason,
            })
            .collect(),
        merged: r
            .merged
            .into_iter()
            .map(|m| MergeView {
                line: m.line,
                into_line: m.into_line,
            })
            .collect(),
        zones: r.zones,
        dry_run,
    }
}

/// The multipart form of an upload.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The CSV file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// One contact or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(ContactInput),
    Many(Vec<ContactInput>),
}

#[utoipa::path(post, path = "/campaigns/{name}/contacts", tag = "contacts",
    params(("name" = String, Path), UploadParams),
    request_body(description = "A contacts CSV (text/csv or any text type, streamed), a multipart form with a `file` part, or JSON: one contact or an array of them", content((String = "text/plain"), (Vec<ContactInput> = "application/json"), (UploadForm = "multipart/form-data"))),
    responses((status = 200, body = ReportView), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
    Query(params): Query<UploadParams>,
    req: Request,
) -> ApiResult<axum::response::Response> {
    let actor = auth.require(Action::ContactsWrite)?.clone();
    let options = ImportOptions {
        default_country: params
            .default_country
            .clone()
            .unwrap_or_else(|| st.default_country.clone()),
        dry_run: params.dry_run,
        map: match &params.map {
            Some(m) => crate::import::rows::parse_map(m).map_err(Problem::bad_request)?,
            None => Vec::new(),
        },
        zones: st.zones.clone(),
    };
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let now = st.clock.now();
    let report = if kind.starts_with("application/json") {
        // This route takes uploads up to `max_upload`; JSON stays under `max_body`.
        let max = st.settings.max_body;
        let body =
            axum::body::to_bytes(req.into_body(), max)
                .await
                .map_err(|_| {
                    Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("JSON contacts over {max} bytes ([http] max_body): upload a CSV instead"),
            )
                })?;
        let list = match json_body::<OneOrMany>(&body)? {
            OneOrMany::One(c) => vec![c],
            OneOrMany::Many(v) => v,
        };
        contacts::add(&st.store, &actor, &name, &list, &options, now).await?
    } else {
        let dir = tempfile::tempdir().map_err(|e| {
            Problem::new(StatusCode::INSUFFICIENT_STORAGE, format!("temp file: {e}"))
        })?;
        let path = dir.path().join("upload.csv");
        if kind.starts_with("multipart/form-data") {
            let mut form = Multipart::from_request(req, &st)
                .await
                .map_err(|e| Problem::bad_request(e.body_text()))?;
            let mut saved = false;
            while let Some(field) = form
                .next_field()
                .await
                .map_err(|e| Problem::bad_request(e.body_text()))?
            {
                if field.name() == Some("file") {
                    let stream = field.map(|c| c.map_err(|e| e.body_text()));
                    save(stream, &path, st.settings.max_upload).await?;
                    saved = true;
                    break;
                }
            }
            if !saved {
                return Err(Problem::bad_request("the form has no `file` part"));
            }
        } else if kind.is_empty()
            || kind.starts_with("text/")
            || kind.starts_with("application/octet-stream")
        {
            let stream = req
                .into_body()
                .into_data_stream()
                .map(|c| c.map_err(|e| e.to_string()));
            save(stream, &path, st.settings.max_upload).await?;
        } else {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("send text/csv, multipart/form-data or application/json, not {kind}"),
            ));
        }
        let shown = std::path::Path::new("the upload");
        contacts::import_as(&st.store, &actor, &name, &path, shown, &options, now, None).await?
    };
    Ok(super::report_body::response(report_view(
        report,
        params.dry_run,
    )))
}

/// Streams a body to `path`, refusing more than `max` bytes (413).
async fn save<S>(mut stream: S, path: &std::path::Path, max: u64) -> ApiResult<()>
where
    S: Stream<Item = Result<Bytes, String>> + Unpin,
{
    let io = |e: std::io::Error| {
        Problem::new(StatusCode::INSUFFICIENT_STORAGE, format!("temp file: {e}"))
    };
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut written: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if e.contains("length limit") {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the upload is over {max} bytes"),
                )
            } else {
                Problem::bad_request(format!("the upload broke off: {e}"))
            }
        })?;
        written += chunk.len() as u64;
        if written > max {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the upload is over {max} bytes ([http] max_upload)"),
            ));
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// pending, dialing, done, failed, dnc, ...
    pub status: Option<String>,
    /// Digits the first phone contains.
    pub phone: Option<String>,
    /// Contacts with an id above this (the previous page's `next`).
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_limit")]
    pub limit: u32,
}

fn default_limit() -> u32 {
    100
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub vars: std::collections::BTreeMap<String, String>,
    pub timezone: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_disposition: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactPage {
    pub contacts: Vec<ContactView>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<i64>,
}

pub(super) fn contact_view(c: ContactRecord) -> ContactView {
    ContactView {
        id: c.id,
        name: c.name,
        phones: c.phones,
        vars: c.vars,
        timezone: c.timezone,
        status: c.status.to_string(),
        attempts: c.attempts,
        next_attempt_at: c.next_attempt_at,
        last_disposition: c.last_disposition.map(|d| d.to_string()),
    }
}

#[utoipa::path(get, path = "/campaigns/{name}/contacts", tag = "contacts",
    params(("name" = String, Path), ListParams),
    responses((status = 200, body = ContactPage), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<ContactPage>> {
    auth.require(Action::ContactsRead)?;
    let status = match p.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<ContactStatus>().map_err(Problem::unprocessable)?),
    };
    let c = st.store.campaign_by_name(&name).await?;
    let limit = p.limit.clamp(1, 1000);
    let q = ContactQuery {
        status,
        disposition: None,
        phone: p.phone,
        after_id: p.after,
        limit,
    };
    let rows = st.store.contacts_search(c.id, &q).await?;
    let next = super::next_after(&rows, limit, |c| c.id);
    Ok(Json(ContactPage {
        contacts: rows.into_iter().map(contact_view).collect(),
        next,
    }))
}
