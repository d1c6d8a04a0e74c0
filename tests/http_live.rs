//! `GET /live` against a running engine and the simulator (paused clock): a supervisor sees
//! each call started, answered and ended with its disposition, and per-campaign counters; a
//! role without the live view is refused; `/metrics` shows live calls by gateway and node.

#[path = "engine_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures::StreamExt;
use outcall::call::switch::Switch;
use outcall::config::HttpSettings;
use outcall::http::{router, ApiState};
use outcall::model::{Actor, CampaignStatus, Role};
use outcall::ops::tokens;
use support::*;
use tower::ServiceExt;

#[tokio::test(start_paused = true)]
async fn a_supervisor_watches_calls_live() {
    let w = World::new(ANSWERED_RULES, None).await;
    let list = phones("7900100", 3);
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let now = w.clock.now();
    let sup = tokens::create(&w.store, &Actor::cli(), "sup", Role::Supervisor, now)
        .await
        .unwrap();
    let acc = tokens::create(&w.store, &Actor::cli(), "acc", Role::Accountant, now)
        .await
        .unwrap();
    let engine = w.engine("e1", 100).await;
    let mut state = ApiState::new(
        w.store.clone(),
        w.clock.clone(),
        HttpSettings::default(),
        "RU",
    );
    state.metrics = Some(engine.handle.metrics.clone());
    state.nodes = vec![engine.switch.clone()];
    let app = router(Arc::new(state));
    let ready = Request::builder()
        .uri("/readyz")
        .body(Body::empty())
        .unwrap();
    let ready = app.clone().oneshot(ready).await.unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "the store answers and the sim is up"
    );
    let get = |token: &str| {
        Request::builder()
            .uri("/live")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let refused = app.clone().oneshot(get(&acc)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let res = app.clone().oneshot(get(&sup)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    // Subscribed: now the campaign starts.
    let id = w.campaign(&campaign_toml("live", 3, 1, ""), &refs).await;
    let mut body = res.into_body().into_data_stream();
    let mut text = String::new();
    let ended = |t: &str| t.matches("\"stage\":\"ended\"").count();
    let read = async {
        while ended(&text) < 3 || !text.contains("\"done\":3") {
            let chunk = body.next().await.expect("the stream stays open").unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap_or_else(|_| panic!("no three ended calls in: {text}"));
    assert_eq!(text.matches("\"stage\":\"started\"").count(), 3, "{text}");
    assert_eq!(text.matches("\"stage\":\"answered\"").count(), 3, "{text}");
    assert_eq!(
        text.matches("\"disposition\":\"answered\"").count(),
        3,
        "{text}"
    );
    assert!(text.contains("event: call") && text.contains("event: counters"));
    assert!(text.contains("\"campaign\":\"live\""), "{text}");
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(10))
        .await;
    engine.stop().await;
}

/// `/metrics` of a running engine: live calls by campaign, gateway and node while the calls
/// last, then originate latency, the event socket's events and the scheduler's passes.
#[tokio::test(start_paused = true)]
async fn metrics_show_live_calls_by_gateway_and_node_and_the_event_socket() {
    let w = World::new(ANSWERED_RULES, None).await;
    let list = phones("7900100", 3);
    let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let engine = w.engine("e1", 100).await;
    let mut state = ApiState::new(
        w.store.clone(),
        w.clock.clone(),
        HttpSettings::default(),
        "RU",
    );
    state.metrics = Some(engine.handle.metrics.clone());
    state.nodes = vec![engine.switch.clone()];
    let node = engine.switch.name().to_string();
    let app = router(Arc::new(state));
    let scrape = || {
        let app = app.clone();
        async move {
            let req = Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap();
            let res = app.oneshot(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            String::from_utf8(body.to_vec()).unwrap()
        }
    };
    let live =
        format!("outcall_live_calls_by{{campaign=\"metered\",gateway=\"demo\",node=\"{node}\"}} 3");
    let id = w.campaign(&campaign_toml("metered", 3, 1, ""), &refs).await;
    w.until(
        "three calls live in /metrics",
        Duration::from_secs(30),
        || {
            let scrape = scrape();
            let live = live.clone();
            async move { scrape.await.contains(&live) }
        },
    )
    .await;
    w.wait_status(id, CampaignStatus::Completed, Duration::from_secs(60))
        .await;
    let text = scrape().await;
    let ended =
        format!("outcall_live_calls_by{{campaign=\"metered\",gateway=\"demo\",node=\"{node}\"}} 0");
    assert!(text.contains(&ended), "{text}");
    assert!(
        text.contains("outcall_originate_latency_seconds_count 3"),
        "{text}"
    );
    let events: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("outcall_esl_events_total{{node=\"{node}\"}} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no event count in {text}"));
    assert!(
        events >= 3 * 4,
        "events of three calls were counted: {events}"
    );
    assert!(
        text.contains(&format!(
            "outcall_esl_reconnects_total{{node=\"{node}\"}} 0"
        )),
        "{text}"
    );
    assert!(
        !text.contains("outcall_scheduler_lag_seconds_count 0"),
        "scheduler passes were timed: {text}"
    );
    engine.stop().await;
}
