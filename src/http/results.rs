//! Result routes, for accounting: the CDR (one record per attempt) as paginated JSON and CSV,
//! and one row per contact with its variables, final disposition, attempts, last call, talk
//! time and tags, as paginated JSON and CSV.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Authed;
use super::problem::{ApiResult, Problem};
use super::ApiState;
use crate::model::{Action, AttemptRecord, ContactRecord, ContactStatus, Disposition};
use crate::ops::report::Report;
use crate::store::ContactQuery;

fn default_limit() -> u32 {
    500
}

/// A page of results, optionally narrowed (filters are applied by the database, so a filter
/// finds its contacts in a campaign of any size).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ResultParams {
    /// Records with an id above this (the previous page's `next`).
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Only contacts in this status: pending, dialing, done, exhausted.
    pub status: Option<String>,
    /// Only contacts whose last attempt ended so: answered, busy, no_answer, ...
    pub disposition: Option<String>,
    /// Only contacts whose first phone contains these digits.
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AttemptParams {
    /// Records with an id above this (the previous page's `next`).
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Only this contact's attempts (all of them, on one page).
    pub contact: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub contact_id: i64,
    pub contact_name: String,
    pub uuid: String,
    pub phone: String,
    pub node: String,
    pub gateway: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub hangup_cause: Option<String>,
    pub sip_code: Option<u16>,
    pub disposition: Option<String>,
    /// Talk seconds.
    pub billsec: Option<u32>,
    pub digits: Option<String>,
    pub recording: Option<String>,
    pub tags: Vec<String>,
    /// What the call heard, line by line: nodes, spoken text, files, digits, bridges, webhook
    /// exits (`outcall report NAME --trace`).
    pub trace: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptPage {
    pub attempts: Vec<AttemptView>,
    pub next: Option<i64>,
}

fn attempt_view(a: AttemptRecord) -> AttemptView {
    AttemptView {
        id: a.id,
        contact_id: a.contact_id,
        contact_name: a.contact_name,
        uuid: a.uuid,
        phone: a.phone,
        node: a.node,
        gateway: a.gateway,
        started_at: a.started_at,
        answered_at: a.answered_at,
        ended_at: a.ended_at,
        hangup_cause: a.hangup_cause,
        sip_code: a.sip_code,
        disposition: a.disposition.map(|d| d.to_string()),
        billsec: a.billsec,
        digits: a.digits,
        recording: a.recording,
        tags: a.tags,
        trace: a.trace,
    }
}

#[utoipa::path(get, path = "/campaigns/{name}/attempts", tag = "results",
    params(("name" = String, Path), AttemptParams),
    responses((status = 200, body = AttemptPage), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn attempts(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
    Query(p): Query<AttemptParams>,
) -> ApiResult<Json<AttemptPage>> {
    auth.require(Action::ResultsRead)?;
    let c = st.store.campaign_by_name(&name).await?;
    if let Some(id) = p.contact {
        let theirs = st.store.contact(id).await?;
        if theirs.is_none_or(|x| x.campaign_id != c.id) {
            return Err(Problem::not_found(format!(
                "campaign `{name}` has no contact {id}"
            )));
        }
        let rows = st.store.contact_attempts(&[id]).await?;
        return Ok(Json(AttemptPage {
            attempts: rows.into_iter().map(attempt_view).collect(),
            next: None,
        }));
    }
    let limit = p.limit.clamp(1, 5000);
    let rows = st.store.attempts_page(c.id, p.after, limit).await?;
    let next = super::next_after(&rows, limit, |a| a.id);
    Ok(Json(AttemptPage {
        attempts: rows.into_iter().map(attempt_view).collect(),
        next,
    }))
}

/// `attachment` with an ASCII file name and the real one as RFC 6266 / 5987 `filename*`
/// (campaign names may be Cyrillic).
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}.csv\"; filename*=UTF-8''{encoded}.csv")
}

fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition(name)),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(get, path = "/campaigns/{name}/attempts.csv", tag = "results",
    params(("name" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn attempts_csv(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    auth.require(Action::ResultsRead)?;
    let report = Report::load(&st.store, &name).await?;
    let text = report
        .attempts_csv()
        .map_err(|e| Problem::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(csv_response(&format!("{name}-attempts"), text))
}

/// One contact's result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultRow {
    pub contact_id: i64,
    pub name: String,
    pub phone: String,
    /// The contact's CSV variables.
    pub vars: BTreeMap<String, String>,
    pub status: String,
    /// The last attempt's disposition.
    pub disposition: Option<String>,
    pub attempts: u32,
    pub last_call: Option<DateTime<Utc>>,
    /// Seconds talked over every attempt.
    pub talk_seconds: u64,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultPage {
    pub results: Vec<ResultRow>,
    pub next: Option<i64>,
}

fn result_rows(contacts: Vec<ContactRecord>, attempts: &[AttemptRecord]) -> Vec<ResultRow> {
    let mut by_contact: BTreeMap<i64, Vec<&AttemptRecord>> = BTreeMap::new();
    for a in attempts {
        by_contact.entry(a.contact_id).or_default().push(a);
    }
    contacts
        .into_iter()
        .map(|c| {
            let mine = by_contact.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            let tags: BTreeSet<String> = mine.iter().flat_map(|a| a.tags.iter().cloned()).collect();
            ResultRow {
                contact_id: c.id,
                phone: c.phones.first().cloned().unwrap_or_default(),
                name: c.name,
                vars: c.vars,
                status: c.status.to_string(),
                disposition: c.last_disposition.map(|d| d.to_string()),
                attempts: c.attempts,
                last_call: mine.iter().map(|a| a.started_at).max(),
                talk_seconds: mine.iter().filter_map(|a| a.billsec).map(u64::from).sum(),
                tags: tags.into_iter().collect(),
            }
        })
        .collect()
}

#[utoipa::path(get, path = "/campaigns/{name}/results", tag = "results",
    params(("name" = String, Path), ResultParams),
    responses((status = 200, body = ResultPage), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn results(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
    Query(p): Query<ResultParams>,
) -> ApiResult<Json<ResultPage>> {
    auth.require(Action::ResultsRead)?;
    let status = match p.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<ContactStatus>().map_err(Problem::unprocessable)?),
    };
    let disposition = match p.disposition.as_deref() {
        None | Some("") => None,
        Some(d) => Some(d.parse::<Disposition>().map_err(Problem::unprocessable)?),
    };
    let c = st.store.campaign_by_name(&name).await?;
    let limit = p.limit.clamp(1, 5000);
    let q = ContactQuery {
        status,
        disposition,
        phone: p.phone.filter(|d| !d.is_empty()),
        after_id: p.after,
        limit,
    };
    let contacts = st.store.contacts_search(c.id, &q).await?;
    let next = super::next_after(&contacts, limit, |c| c.id);
    let ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
    let attempts = st.store.contact_attempts(&ids).await?;
    Ok(Json(ResultPage {
        results: result_rows(contacts, &attempts),
        next,
    }))
}

#[utoipa::path(get, path = "/campaigns/{name}/results.csv", tag = "results",
    params(("name" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn results_csv(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    auth.require(Action::ResultsRead)?;
    let report = Report::load(&st.store, &name).await?;
    let rows = result_rows(report.contacts, &report.attempts);
    let vars: BTreeSet<&String> = rows.iter().flat_map(|r| r.vars.keys()).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "name",
        "phone",
        "status",
        "disposition",
        "attempts",
        "last_call",
        "talk_seconds",
        "tags",
    ]
    .map(String::from)
    .to_vec();
    header.extend(vars.iter().map(|v| v.to_string()));
    let fail =
        |e: csv::Error| Problem::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    w.write_record(&header).map_err(fail)?;
    for r in &rows {
        let mut rec = vec![
            crate::campaign::text::printable(&r.name).into_owned(),
            r.phone.clone(),
            r.status.clone(),
            r.disposition.clone().unwrap_or_default(),
            r.attempts.to_string(),
            r.last_call.map(|t| t.to_rfc3339()).unwrap_or_default(),
            r.talk_seconds.to_string(),
            r.tags.join(";"),
        ];
        rec.extend(
            vars.iter()
                .map(|v| r.vars.get(*v).cloned().unwrap_or_default()),
        );
        w.write_record(&rec).map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Problem::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(csv_response(
        &format!("{name}-results"),
        String::from_utf8_lossy(&bytes).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_stay_ascii_with_the_real_name_encoded() {
        assert_eq!(
            super::disposition("должники-results"),
            "attachment; filename=\"________-results.csv\"; \
             filename*=UTF-8''%D0%B4%D0%BE%D0%BB%D0%B6%D0%BD%D0%B8%D0%BA%D0%B8-results.csv"
        );
        assert_eq!(
            super::disposition("a.b_c-1"),
            "attachment; filename=\"a.b_c-1.csv\"; filename*=UTF-8''a.b_c-1.csv"
        );
    }
}
