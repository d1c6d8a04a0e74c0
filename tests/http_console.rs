//! What the web console needs from the API, driven through the router in-process: the page and
//! its assets at `/` (language from Accept-Language), `GET /me`, a campaign's plan (week grid,
//! script graph), `POST /definitions/check` with `campaign check`'s messages, one contact's
//! attempts, and the `/live/status` stream (readable by every campaign reader, a status change
//! shown at once; switch health only for roles that may read it).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use futures::StreamExt;
use outcall::clock::Clock;
use outcall::config::HttpSettings;
use outcall::http::{router, ApiState};
use outcall::model::{Actor, Role};
use outcall::ops::{campaigns, tokens};
use outcall::store::Store;
use tower::ServiceExt;

const CAMPAIGN: &str = include_str!("../campaigns/debtors.toml");

struct Api {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
    tokens: Vec<(Role, String)>,
}

async fn api() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let store = Store::connect(&url).await.unwrap();
    let mut list = Vec::new();
    for role in Role::ALL {
        let t = tokens::create(
            &store,
            &Actor::cli(),
            role.as_str(),
            role,
            Clock::system().now(),
        )
        .await
        .unwrap();
        list.push((role, t));
    }
    let def = campaigns::check_text(CAMPAIGN, "debtors.toml").unwrap();
    campaigns::create(&store, &Actor::cli(), &def, Clock::system().now())
        .await
        .unwrap();
    let state = ApiState::new(
        store.clone(),
        Clock::system(),
        HttpSettings::default(),
        "RU",
    );
    Api {
        _dir: dir,
        store,
        app: router(Arc::new(state)),
        tokens: list,
    }
}

impl Api {
    /// The store's SQLite file opened directly, to set up states the API does not write.
    async fn raw(&self) -> sqlx::SqlitePool {
        let url = format!("sqlite://{}", self._dir.path().join("c.db").display());
        sqlx::SqlitePool::connect(&url).await.unwrap()
    }

    fn request(&self, method: Method, path: &str, role: Option<Role>, body: &str) -> Request<Body> {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(r) = role {
            let t = &self.tokens.iter().find(|(x, _)| *x == r).unwrap().1;
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        req.header(header::CONTENT_TYPE, "application/toml")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        role: Option<Role>,
        body: &str,
    ) -> (StatusCode, String) {
        let res = self
            .app
            .clone()
            .oneshot(self.request(method, path, role, body))
            .await
            .unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).to_string())
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_in_the_asked_language() {
    let a = api().await;
    let page = |lang: &'static str| {
        Request::builder()
            .uri("/")
            .header(header::ACCEPT_LANGUAGE, lang)
            .body(Body::empty())
            .unwrap()
    };
    for (accept, want) in [
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru"),
        ("en-GB", "en"),
        ("", "en"),
    ] {
        let res = a.app.clone().oneshot(page(accept)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains(&format!("<html lang=\"{want}\">")),
            "{accept}"
        );
    }
    let (status, js) = a.call(Method::GET, "/console/core.js", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.contains("/live/status"));
    let (status, _) = a.call(Method::GET, "/console/nope.js", None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn me_lists_what_the_role_may_do() {
    let a = api().await;
    let (status, body) = a.call(Method::GET, "/me", Some(Role::Accountant), "").await;
    assert_eq!(status, StatusCode::OK);
    let me = json(&body);
    assert_eq!(me["role"], "accountant");
    let may: Vec<&str> = me["may"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        may.contains(&"contacts_write") && !may.contains(&"control"),
        "{may:?}"
    );
    let (status, _) = a.call(Method::GET, "/me", None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_plan_has_the_week_the_rules_and_the_script_graph() {
    let a = api().await;
    let (status, body) = a
        .call(
            Method::GET,
            "/campaigns/debtors/plan",
            Some(Role::Accountant),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = json(&body);
    assert_eq!(p["timezone"], "Europe/Moscow");
    assert_eq!(p["week"].as_array().unwrap().len(), 7);
    let mon = &p["week"][0];
    assert_eq!(
        mon["open"],
        serde_json::json!([{"from": "09:00", "to": "20:00"}])
    );
    assert_eq!(
        p["week"][6]["open"],
        serde_json::json!([]),
        "closed on Sunday"
    );
    assert_eq!(p["holidays"][0], "2026-12-31");
    assert!(p["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["name"] == p["script_start"]));
    let (status, _) = a
        .call(
            Method::GET,
            "/campaigns/debtors/plan",
            Some(Role::Backend),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = a
        .call(
            Method::GET,
            "/campaigns/nope/plan",
            Some(Role::Marketer),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_definition_is_checked_with_the_messages_of_campaign_check() {
    let a = api().await;
    let (status, body) = a
        .call(
            Method::POST,
            "/definitions/check",
            Some(Role::Marketer),
            CAMPAIGN,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["name"], "debtors");
    let broken = CAMPAIGN.replace("lines = 3", "lines = 0");
    let (status, body) = a
        .call(
            Method::POST,
            "/definitions/check",
            Some(Role::Marketer),
            &broken,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let cli = campaigns::check_text(&broken, "request")
        .unwrap_err()
        .to_string();
    assert_eq!(json(&body)["detail"], cli.as_str());
    let (status, _) = a
        .call(
            Method::POST,
            "/definitions/check",
            Some(Role::Accountant),
            CAMPAIGN,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        a.store.campaign_heads().await.unwrap().len() == 1,
        "nothing written"
    );
}

#[tokio::test]
async fn one_contacts_attempts_and_only_in_its_campaign() {
    let a = api().await;
    let csv = "NAME,PHONE,BALANCE\nAnna,+79161234567,10.00\n";
    let res = a
        .app
        .clone()
        .oneshot({
            let mut r = a.request(
                Method::POST,
                "/campaigns/debtors/contacts",
                Some(Role::Accountant),
                csv,
            );
            r.headers_mut()
                .insert(header::CONTENT_TYPE, "text/csv".parse().unwrap());
            r
        })
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, body) = a
        .call(
            Method::GET,
            "/campaigns/debtors/contacts?phone=9161234567",
            Some(Role::Supervisor),
            "",
        )
        .await;
    let id = json(&body)["contacts"][0]["id"].as_i64().unwrap();
    let attempts_of = |contact: i64| {
        let a = &a;
        async move {
            let path = format!("/campaigns/debtors/attempts?contact={contact}");
            a.call(Method::GET, &path, Some(Role::Supervisor), "").await
        }
    };
    let (status, body) = attempts_of(id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["attempts"], serde_json::json!([]));
    // A finished call: its attempt carries what the call heard.
    let pool = a.raw().await;
    sqlx::query(
        "INSERT INTO attempts (campaign_id, contact_id, uuid, phone, node, gateway, owner, \
         started_at, ended_at, disposition, trace) SELECT campaign_id, id, 'u-1', phone, 'fs1', \
         'gw', 'test', 1, 2, 'answered', '[\"[greeting]\",\"speak: Здравствуйте\"]' \
         FROM contacts WHERE id = ?",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let (_, body) = attempts_of(id).await;
    assert_eq!(
        json(&body)["attempts"][0]["trace"],
        serde_json::json!(["[greeting]", "speak: Здравствуйте"]),
        "{body}"
    );
    let (status, _) = attempts_of(id + 1000).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_status_stream_shows_a_change() {
    let a = api().await;
    let res = a
        .app
        .clone()
        .oneshot(a.request(Method::GET, "/live/status", Some(Role::Accountant), ""))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body().into_data_stream();
    let first = String::from_utf8_lossy(&body.next().await.unwrap().unwrap()).to_string();
    assert!(first.starts_with("event: status"), "{first}");
    assert!(
        first.contains("\"name\":\"debtors\"") && first.contains("\"status\":\"draft\""),
        "{first}"
    );
    assert!(
        first.contains("\"nodes\":null"),
        "an accountant does not see switches: {first}"
    );
    campaigns::start(&a.store, &Actor::cli(), "debtors", Clock::system().now())
        .await
        .unwrap();
    // The next event (the stream polls every 250 ms) shows it; the timeout only guards a hang.
    let next = tokio::time::timeout(Duration::from_secs(30), body.next())
        .await
        .expect("an event");
    let next = String::from_utf8_lossy(&next.unwrap().unwrap()).to_string();
    assert!(next.contains("\"status\":\"running\""), "{next}");
    let (status, _) = a
        .call(Method::GET, "/live/status", Some(Role::Backend), "")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sup = a
        .app
        .clone()
        .oneshot(a.request(Method::GET, "/live/status", Some(Role::Supervisor), ""))
        .await
        .unwrap();
    let mut body = sup.into_body().into_data_stream();
    let first = String::from_utf8_lossy(&body.next().await.unwrap().unwrap()).to_string();
    assert!(first.contains("\"nodes\":[]"), "{first}");
}

/// The results page's filters run in the database: a filter finds its contacts however many
/// rows come before them, and a value that is no status or disposition is refused.
#[tokio::test]
async fn results_are_filtered_by_status_and_disposition_in_the_database() {
    let a = api().await;
    let mut csv = String::from("NAME,PHONE,BALANCE\n");
    for i in 0..30 {
        csv.push_str(&format!("N{i},+7916123{i:04},10.00\n"));
    }
    let res = a
        .app
        .clone()
        .oneshot({
            let mut r = a.request(
                Method::POST,
                "/campaigns/debtors/contacts",
                Some(Role::Accountant),
                &csv,
            );
            r.headers_mut()
                .insert(header::CONTENT_TYPE, "text/csv".parse().unwrap());
            r
        })
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Two contacts far down the list ended busy; one ended answered.
    let pool = a.raw().await;
    for (phone, status, disp) in [
        ("+79161230025", "exhausted", "busy"),
        ("+79161230028", "exhausted", "busy"),
        ("+79161230027", "done", "answered"),
    ] {
        sqlx::query("UPDATE contacts SET status = ?, last_disposition = ? WHERE phone = ?")
            .bind(status)
            .bind(disp)
            .bind(phone)
            .execute(&pool)
            .await
            .unwrap();
    }
    let get = |q: &'static str| {
        let a = &a;
        async move {
            let (s, body) = a
                .call(
                    Method::GET,
                    &format!("/campaigns/debtors/results?{q}"),
                    Some(Role::Accountant),
                    "",
                )
                .await;
            (s, body)
        }
    };
    let phones = |body: &str| -> Vec<String> {
        json(body)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["phone"].as_str().unwrap().to_string())
            .collect()
    };
    // A first page of 5 would not reach them; the filter does.
    let (s, body) = get("limit=5&disposition=busy").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(phones(&body), ["+79161230025", "+79161230028"]);
    let (_, body) = get("limit=5&status=done").await;
    assert_eq!(phones(&body), ["+79161230027"]);
    let (_, body) = get("limit=5&status=exhausted&disposition=answered").await;
    assert!(phones(&body).is_empty(), "{body}");
    let (_, body) = get("limit=100&status=pending").await;
    assert_eq!(phones(&body).len(), 27);
    let (_, body) = get("limit=100&phone=1230027").await;
    assert_eq!(phones(&body), ["+79161230027"]);
    for bad in ["status=maybe", "disposition=nope"] {
        let (s, body) = get(bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}

/// The audit page shows the latest entries: `newest_first` pages back from the newest, however
/// long the log has grown.
#[tokio::test]
async fn the_audit_log_pages_back_from_the_newest() {
    let a = api().await;
    let ids = |body: &str| -> Vec<i64> {
        json(body)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let (s, body) = a
        .call(Method::GET, "/audit?limit=10000", Some(Role::Admin), "")
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let all = ids(&body);
    assert!(all.len() >= 4, "{body}");
    let (_, body) = a
        .call(
            Method::GET,
            "/audit?limit=2&newest_first=true",
            Some(Role::Admin),
            "",
        )
        .await;
    let newest = ids(&body);
    let n = all.len();
    assert_eq!(newest, [all[n - 1], all[n - 2]]);
    let (_, body) = a
        .call(
            Method::GET,
            &format!("/audit?limit=2&newest_first=true&before={}", newest[1]),
            Some(Role::Admin),
            "",
        )
        .await;
    assert_eq!(ids(&body), [all[n - 3], all[n - 4]]);
}
