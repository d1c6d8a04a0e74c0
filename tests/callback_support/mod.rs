//! Shared by the callback tests: the number plan of the simulator's rules, a job posted as the
//! site backend would (through `ops::callbacks`, as `POST /callbacks` does), and reading a job
//! back with its legs and its webhooks.

#![allow(dead_code)]

use std::time::Duration;

use outcall::callback::record::{CallbackRecord, LegRecord, Side};
use outcall::callback::{CallbackRequest, JobState};
use outcall::model::{Actor, Delivery, Role};
use outcall::ops::callbacks;
use serde_json::{json, Value};

use super::support::World;

pub const CLIENT: &str = "+77011112233";

pub const MINUTE: Duration = Duration::from_secs(60);

/// Managers 7916111000N, the client 77011112233.
pub const RULES: &str = r#"
[[rule]]
name = "busy manager"
exact = "79161110001"
outcome = [{ result = "busy", ring = 1.0 }]

[[rule]]
name = "manager answering after 2 s"
exact = "79161110002"
outcome = [{ result = "answer", ring = 2.0 }]

[[rule]]
name = "slow manager"
exact = "79161110003"
outcome = [{ result = "answer", ring = 6.0 }]

[[rule]]
name = "client"
exact = "77011112233"
outcome = [{ result = "answer", ring = 3.0, hangup_after = 20.0 }]
"#;

/// Rules where manager 79162220001 presses `keys` (seconds after answer, keys) on each call in
/// turn, and the client answers after 3 s and talks 5 s (or as `client` says).
pub fn pressing(calls: &[&[(f64, &str)]], client: &str) -> String {
    let outcomes: Vec<String> = calls
        .iter()
        .map(|keys| {
            let k: Vec<String> = keys
                .iter()
                .map(|(at, press)| format!("{{ at = {at}, press = \"{press}\" }}"))
                .collect();
            format!(
                "{{ result = \"answer\", ring = 1.0, keys = [{}] }}",
                k.join(", ")
            )
        })
        .collect();
    format!(
        "[[rule]]\nexact = \"79162220001\"\noutcome = [{}]\n\n[[rule]]\nexact = \"77011112233\"\noutcome = [{client}]\n",
        outcomes.join(", ")
    )
}

/// A request: the given fields over a minimal job (one trunk `t1`, the client above).
pub fn request(fields: Value) -> CallbackRequest {
    let mut base = json!({
        "client": CLIENT,
        "manager_trunks": ["sofia/gateway/t1/{number}"],
        "ring_timeout": 10,
    });
    if let (Some(b), Some(f)) = (base.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            b.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(base).expect("a valid request")
}

/// Posts a job as the backend; its id.
pub async fn post(w: &World, fields: Value) -> i64 {
    let actor = Actor {
        name: "site".into(),
        role: Role::Backend,
    };
    let (rec, created) = callbacks::add(&w.store, &actor, "RU", &request(fields), w.clock.now())
        .await
        .expect("accepted");
    assert!(created);
    rec.id
}

pub async fn job(w: &World, id: i64) -> (CallbackRecord, Vec<LegRecord>) {
    callbacks::show(&w.store, id).await.expect("the job")
}

/// Waits until the job has made `calls` calls and is in `state` (not running).
pub async fn settled(
    w: &World,
    id: i64,
    calls: u32,
    state: JobState,
    limit: Duration,
) -> (CallbackRecord, Vec<LegRecord>) {
    w.until(
        &format!("callback #{id}: {calls} call(s), {state:?}"),
        limit,
        || async {
            let (r, _) = job(w, id).await;
            r.calls == calls && r.state == state
        },
    )
    .await;
    job(w, id).await
}

/// (side, number without +, trunk gateway, cause) of each leg, in order.
pub fn legs(legs: &[LegRecord]) -> Vec<(Side, String, String, String)> {
    legs.iter()
        .map(|l| {
            let gw = l.trunk.split('/').nth(2).unwrap_or_default().to_string();
            (
                l.side,
                l.number.trim_start_matches('+').to_string(),
                gw,
                l.cause.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// The outbox rows of a job, as (kind, url, body).
pub async fn hooks(w: &World, id: i64) -> Vec<(String, String, Value)> {
    let all: Vec<Delivery> = w.store.deliveries_page(0, 10_000).await.unwrap();
    all.into_iter()
        .filter_map(|d| {
            let body: Value = serde_json::from_str(&d.body).ok()?;
            (body["callback_id"] == json!(id)).then(|| (d.kind.to_string(), d.url, body))
        })
        .collect()
}
