//! What the console draws a campaign from, and who is asking: `GET /me` (the token's name, role
//! and the actions it may do), `GET /campaigns/{name}/plan` (the stored definition resolved:
//! the week grid with its breaks, holidays, limits, retry rules, the script as a graph, the next
//! window opening) and `POST /definitions/check` (the same for a definition being edited,
//! validated by `campaign check`'s code, its messages unchanged; nothing is written).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::auth::Authed;
use super::problem::{ApiResult, Problem};
use super::ApiState;
use crate::campaign::definition::CampaignDef;
use crate::campaign::schedule::DAY_SECONDS;
use crate::campaign::window;
use crate::model::duration_text;
use crate::model::Action;
use crate::ops::campaigns;

/// The token behind the request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub name: String,
    pub role: String,
    /// The actions this role may do (`Role::may`), e.g. `control`, `contacts_write`.
    pub may: Vec<String>,
}

#[utoipa::path(get, path = "/me", tag = "access",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn me(auth: Authed) -> Json<Me> {
    let a = auth.0;
    Json(Me {
        may: Action::ALL
            .into_iter()
            .filter(|x| a.role.may(*x))
            .map(|x| x.as_str().to_string())
            .collect(),
        name: a.name,
        role: a.role.to_string(),
    })
}

/// `HH:MM` to `HH:MM` (the end may be `24:00`).
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Span {
    pub from: String,
    pub to: String,
}

/// One day of the week grid, in the campaign's zone (or each contact's own).
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DayPlan {
    /// mon .. sun
    pub day: String,
    pub open: Vec<Span>,
    /// The gaps between the day's open spans (breaks, or windows apart).
    pub breaks: Vec<Span>,
}

/// A node of the call script and where its exits lead.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NodePlan {
    pub name: String,
    /// speak, play, say, menu, bridge, record, set, webhook, hangup
    pub kind: String,
    /// The node's first text or file, as written.
    pub text: Option<String>,
    pub exits: Vec<ExitPlan>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExitPlan {
    /// e.g. `next`, `digit 1`, `on_timeout`.
    pub name: String,
    /// The node it leads to; null ends the call.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetryPlan {
    pub max_attempts: u32,
    /// e.g. `30m`.
    pub recall_interval: String,
    pub retry_on: Vec<String>,
    pub min_success_seconds: u32,
    pub technical_backoff: String,
    pub technical_backoff_max: String,
    pub pause_after_technical_errors: u32,
}

/// A definition resolved for display.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub name: String,
    pub description: String,
    /// The campaign's zone (IANA name): times of the schedule are read in it.
    pub timezone: String,
    /// Windows are read in each contact's own zone.
    pub subscriber_local_time: bool,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub holidays: Vec<String>,
    pub cron: Option<String>,
    pub week: Vec<DayPlan>,
    /// The window's next opening in the campaign's zone (now, when open); null: never again.
    pub next_open: Option<DateTime<Utc>>,
    pub open_now: bool,
    pub lines: u32,
    pub cps: f64,
    pub retry: RetryPlan,
    pub script_start: String,
    pub nodes: Vec<NodePlan>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn clock(secs: u32) -> String {
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// A day's sorted, disjoint open spans (seconds of the day) as the grid shows them: the spans
/// and the gaps between them.
fn day_plan(day: &str, spans: &[(u32, u32)]) -> DayPlan {
    let span = |a: u32, b: u32| Span {
        from: clock(a),
        to: clock(b.min(DAY_SECONDS)),
    };
    DayPlan {
        day: day.to_string(),
        open: spans.iter().map(|&(a, b)| span(a, b)).collect(),
        breaks: spans.windows(2).map(|w| span(w[0].1, w[1].0)).collect(),
    }
}

/// The display plan of a validated definition at `now`.
pub fn plan(def: &CampaignDef, now: DateTime<Utc>) -> Plan {
    let s = &def.schedule;
    let r = &def.retry;
    let nodes = def
        .script
        .nodes
        .iter()
        .map(|(name, node)| {
            let spec = node.spec();
            NodePlan {
                name: name.clone(),
                kind: node.kind().to_string(),
                text: spec.templates().first().map(|(_, t)| t.to_string()),
                exits: spec
                    .exits()
                    .into_iter()
                    .map(|(exit, to)| ExitPlan {
                        name: exit,
                        to: to.map(str::to_string),
                    })
                    .collect(),
            }
        })
        .collect();
    Plan {
        name: def.name.clone(),
        description: def.description.clone(),
        timezone: def.timezone.name().to_string(),
        subscriber_local_time: def.subscriber_local_time,
        start: s.start,
        end: s.end,
        holidays: s.holidays.iter().map(|d| d.to_string()).collect(),
        cron: s.cron.clone(),
        week: DAYS
            .iter()
            .zip(s.week.iter())
            .map(|(d, spans)| day_plan(d, spans))
            .collect(),
        next_open: window::next_open(s, def.timezone, now),
        open_now: window::is_open(s, def.timezone, now),
        lines: def.limits.lines,
        cps: def.limits.cps,
        retry: RetryPlan {
            max_attempts: r.max_attempts,
            recall_interval: duration_text::format(r.recall_interval),
            retry_on: r.retry_on.iter().map(|d| d.to_string()).collect(),
            min_success_seconds: r.min_success_seconds,
            technical_backoff: duration_text::format(r.technical_backoff),
            technical_backoff_max: duration_text::format(r.technical_backoff_max),
            pause_after_technical_errors: r.pause_after_technical_errors,
        },
        script_start: def.script.start.clone(),
        nodes,
    }
}

#[utoipa::path(get, path = "/campaigns/{name}/plan", tag = "campaigns",
    params(("name" = String, Path)),
    responses((status = 200, body = Plan), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    Path(name): Path<String>,
) -> ApiResult<Json<Plan>> {
    auth.require(Action::CampaignRead)?;
    let head = st.store.campaign_head_by_name(&name).await?;
    let def = campaigns::check_text(&head.definition, &format!("campaign `{name}`"))?;
    Ok(Json(plan(&def, st.clock.now())))
}

#[utoipa::path(post, path = "/definitions/check", tag = "campaigns",
    request_body(description = "A campaign's TOML (any text type) or the same structure as JSON; validated as `outcall campaign check` does, nothing is written", content((String = "text/plain"), ("application/json"))),
    responses((status = 200, body = Plan), (status = 400, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn check(
    State(st): State<Arc<ApiState>>,
    auth: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Plan>> {
    auth.require(Action::CampaignWrite)?;
    let def = super::campaigns::definition(&headers, &body)?;
    Ok(Json(plan(&def, st.clock.now())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_shows_its_spans_and_the_gaps_between_them() {
        let d = day_plan("mon", &[(9 * 3600, 13 * 3600), (14 * 3600, 20 * 3600)]);
        assert_eq!(d.open.len(), 2);
        assert_eq!(
            d.breaks,
            vec![Span {
                from: "13:00".into(),
                to: "14:00".into()
            }]
        );
        let whole = day_plan("sun", &[(0, DAY_SECONDS)]);
        assert_eq!(whole.open[0].to, "24:00");
        assert!(whole.breaks.is_empty());
        assert!(day_plan("sat", &[]).open.is_empty());
    }

    #[test]
    fn a_plan_has_the_script_graph_and_the_week() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("campaigns/debtors.toml"),
        )
        .unwrap();
        let def = CampaignDef::from_toml_str(&text, "debtors.toml").unwrap();
        let now = "2026-12-02T08:00:00Z".parse().unwrap();
        let p = plan(&def, now);
        assert_eq!(p.week.len(), 7);
        assert_eq!(p.timezone, def.timezone.name());
        assert!(p.nodes.iter().any(|n| n.name == p.script_start));
        let targets: Vec<&str> = p
            .nodes
            .iter()
            .flat_map(|n| n.exits.iter().filter_map(|e| e.to.as_deref()))
            .collect();
        assert!(targets.iter().all(|t| p.nodes.iter().any(|n| n.name == *t)));
        assert_eq!(p.open_now, p.next_open == Some(now));
    }
}
