//! The HTTP API, driven through its router in-process (no socket): every endpoint with every
//! role (allowed and refused), no token / a revoked token, the edit rules over HTTP, bad CSV
//! uploads (4xx with the import's messages, nothing written), size limits, the rate limit, the
//! audit log, and problems as `application/problem+json`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use outcall::clock::Clock;
use outcall::config::HttpSettings;
use outcall::http::{router, ApiState};
use outcall::model::{Actor, Role};
use outcall::ops::tokens;
use outcall::store::Store;
use tower::ServiceExt;

const CAMPAIGN: &str = include_str!("../campaigns/debtors.toml");
const CSV: &[u8] = include_bytes!("../campaigns/demo-debtors.csv");

struct Api {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
    tokens: Vec<(Role, String)>,
}

struct Reply {
    status: StatusCode,
    kind: String,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn api_with(settings: HttpSettings) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("api.db").display());
    let store = Store::connect(&url).await.unwrap();
    let admin = Actor::cli();
    let mut list = Vec::new();
    for role in Role::ALL {
        let t = tokens::create(&store, &admin, role.as_str(), role, chrono::Utc::now())
            .await
            .unwrap();
        list.push((role, t));
    }
    let state = ApiState::new(store.clone(), Clock::system(), settings, "RU");
    Api {
        _dir: dir,
        store,
        app: router(Arc::new(state)),
        tokens: list,
    }
}

async fn api() -> Api {
    api_with(HttpSettings::default()).await
}

impl Api {
    /// Posts the `debtors` campaign ([`CAMPAIGN`]) as admin: the reply.
    async fn post_debtors(&self) -> Reply {
        self.admin(
            Method::POST,
            "/campaigns",
            "application/toml",
            CAMPAIGN.as_bytes(),
        )
        .await
    }

    /// Creates the `debtors` campaign ([`CAMPAIGN`]) as admin.
    async fn create_debtors(&self) {
        let r = self.post_debtors().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        kind: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if !kind.is_empty() {
            req = req.header(header::CONTENT_TYPE, kind);
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let kind = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            kind,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn as_role(
        &self,
        role: Role,
        method: Method,
        path: &str,
        kind: &str,
        body: &[u8],
    ) -> Reply {
        self.call(method, path, Some(self.token(role)), kind, body.to_vec())
            .await
    }

    async fn admin(&self, method: Method, path: &str, kind: &str, body: &[u8]) -> Reply {
        self.as_role(Role::Admin, method, path, kind, body).await
    }

    async fn contact_count(&self) -> usize {
        let c = self.store.campaign_by_name("debtors").await.unwrap();
        self.store
            .contacts_page(c.id, 0, 100_000)
            .await
            .unwrap()
            .len()
    }
}

/// (method, path, content type, body, roles allowed besides admin).
type Case = (Method, &'static str, &'static str, Vec<u8>, &'static [Role]);

fn cases() -> Vec<Case> {
    use Role::*;
    let pause = br#"{"reason":"lunch"}"#.to_vec();
    vec![
        (
            Method::GET,
            "/campaigns",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::POST,
            "/campaigns",
            "application/toml",
            CAMPAIGN
                .replace("name = \"debtors\"", "name = \"other\"")
                .into_bytes(),
            &[Marketer],
        ),
        (
            Method::GET,
            "/campaigns/debtors",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::PUT,
            "/campaigns/debtors",
            "application/toml",
            CAMPAIGN.as_bytes().to_vec(),
            &[Marketer],
        ),
        (
            Method::POST,
            "/campaigns/debtors/start",
            "",
            vec![],
            &[Marketer, Supervisor],
        ),
        (
            Method::POST,
            "/campaigns/debtors/pause",
            "application/json",
            pause.clone(),
            &[Marketer, Supervisor],
        ),
        (
            Method::POST,
            "/campaigns/debtors/resume",
            "",
            vec![],
            &[Marketer, Supervisor],
        ),
        (
            Method::POST,
            "/campaigns/debtors/contacts?dry_run=true",
            "text/csv",
            CSV.to_vec(),
            &[Marketer, Accountant],
        ),
        (
            Method::GET,
            "/campaigns/debtors/contacts",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::GET,
            "/campaigns/debtors/why",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::GET,
            "/contacts/+79161112233/why",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::GET,
            "/campaigns/debtors/attempts",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::GET,
            "/campaigns/debtors/attempts.csv",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::GET,
            "/campaigns/debtors/results",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (
            Method::GET,
            "/campaigns/debtors/results.csv",
            "",
            vec![],
            &[Marketer, Accountant, Supervisor],
        ),
        (Method::GET, "/dnc", "", vec![], &[Marketer, Supervisor]),
        (
            Method::POST,
            "/dnc",
            "application/json",
            br#"{"phones":["+79161112233"]}"#.to_vec(),
            &[Marketer],
        ),
        (Method::DELETE, "/dnc/+79161112233", "", vec![], &[Marketer]),
        (Method::GET, "/nodes", "", vec![], &[Supervisor]),
        (Method::GET, "/audit", "", vec![], &[Supervisor]),
        (Method::GET, "/tokens", "", vec![], &[]),
        (
            Method::POST,
            "/pause-all",
            "application/json",
            pause,
            &[Supervisor],
        ),
        (
            Method::POST,
            "/campaigns/debtors/stop",
            "",
            vec![],
            &[Marketer, Supervisor],
        ),
        (
            Method::POST,
            "/campaigns/debtors/archive",
            "",
            vec![],
            &[Marketer],
        ),
        (
            Method::POST,
            "/callbacks",
            "application/json",
            CALLBACK.to_vec(),
            &[Backend],
        ),
        (
            Method::GET,
            "/callbacks",
            "",
            vec![],
            &[Backend, Supervisor],
        ),
        (
            Method::GET,
            "/callbacks/1",
            "",
            vec![],
            &[Backend, Supervisor],
        ),
        (Method::POST, "/callbacks/1/cancel", "", vec![], &[Backend]),
    ]
}

/// A callback job as a site backend posts it.
const CALLBACK: &[u8] = br#"{"managers":"+79161110001_+79161110002","client":"+77011112233","manager_trunks":["sofia/gateway/t1/{number}"]}"#;

#[tokio::test]
async fn every_endpoint_with_every_role() {
    let a = api().await;
    a.create_debtors().await;
    for (method, path, kind, body, allowed) in cases() {
        let none = a.call(method.clone(), path, None, kind, body.clone()).await;
        assert_eq!(
            none.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        assert_eq!(none.kind, "application/problem+json");
        for role in Role::ALL {
            let r = a.as_role(role, method.clone(), path, kind, &body).await;
            let may = role == Role::Admin || allowed.contains(&role);
            if may {
                assert!(
                    r.status != StatusCode::FORBIDDEN
                        && r.status != StatusCode::UNAUTHORIZED
                        && !r.status.is_server_error(),
                    "{role} {method} {path}: {} {}",
                    r.status,
                    r.body
                );
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{role} {method} {path}: {}",
                    r.body
                );
                assert_eq!(r.kind, "application/problem+json");
                assert!(r.json()["detail"].as_str().unwrap().contains(role.as_str()));
            }
        }
    }
    // Only admin made tokens; creating one over the API shows it once and it works.
    let made = a
        .admin(
            Method::POST,
            "/tokens",
            "application/json",
            br#"{"name":"site","role":"backend"}"#,
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let token = made.json()["token"].as_str().unwrap().to_string();
    let listed = a.admin(Method::GET, "/tokens", "", b"").await;
    assert!(
        !listed.body.contains(&token),
        "a token is never shown again"
    );
    let as_site = a
        .call(Method::GET, "/campaigns", Some(&token), "", vec![])
        .await;
    assert_eq!(as_site.status, StatusCode::FORBIDDEN);
    let revoked = a.admin(Method::DELETE, "/tokens/site", "", b"").await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = a
        .call(Method::GET, "/campaigns", Some(&token), "", vec![])
        .await;
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused"
    );
    let unknown = a
        .call(Method::GET, "/campaigns", Some("oc_nonsense"), "", vec![])
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn edit_rules_and_status_conflicts_over_http() {
    let a = api().await;
    a.create_debtors().await;
    let again = a.post_debtors().await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let start = a
        .admin(Method::POST, "/campaigns/debtors/start", "", b"")
        .await;
    assert_eq!(start.json()["to"], "running");
    // Limits of a running campaign cannot change; its script can.
    let limits = CAMPAIGN.replace("lines = 3 ", "lines = 2 ");
    assert_ne!(limits, CAMPAIGN);
    let r = a
        .admin(
            Method::PUT,
            "/campaigns/debtors",
            "application/toml",
            limits.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("only while draft, scheduled or paused"));
    let script = CAMPAIGN.replace("ТСЖ ХХХ", "ТСЖ «Ромашка»");
    assert_ne!(script, CAMPAIGN);
    let r = a
        .admin(
            Method::PUT,
            "/campaigns/debtors",
            "application/toml",
            script.as_bytes(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a script change is allowed while running: {}",
        r.body
    );
    let resume = a
        .admin(Method::POST, "/campaigns/debtors/resume", "", b"")
        .await;
    assert_eq!(resume.status, StatusCode::CONFLICT);
    assert!(resume.json()["detail"]
        .as_str()
        .unwrap()
        .contains("only a paused campaign"));
    let no_reason = a
        .admin(
            Method::POST,
            "/campaigns/debtors/pause",
            "application/json",
            br#"{"reason":" "}"#,
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let not_json = a
        .admin(
            Method::POST,
            "/campaigns/debtors/pause",
            "application/json",
            b"{",
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let renamed = a
        .admin(
            Method::PUT,
            "/campaigns/debtors",
            "application/toml",
            CAMPAIGN
                .replace("name = \"debtors\"", "name = \"x\"")
                .as_bytes(),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_toml = a
        .admin(Method::POST, "/campaigns", "application/toml", b"name = ")
        .await;
    assert_eq!(
        bad_toml.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_toml.body
    );
    let missing = a.admin(Method::GET, "/campaigns/nope", "", b"").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.kind, "application/problem+json");
    let nowhere = a.admin(Method::GET, "/no/such/thing", "", b"").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    // JSON definitions are the TOML's structure.
    let toml_value: toml::Value =
        toml::from_str(&CAMPAIGN.replace("name = \"debtors\"", "name = \"json\"")).unwrap();
    let json = serde_json::to_vec(&toml_value).unwrap();
    let r = a
        .admin(Method::POST, "/campaigns", "application/json", &json)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Archiving: only a completed or cancelled campaign; then it leaves the list and stays
    // readable.
    let early = a
        .admin(Method::POST, "/campaigns/debtors/archive", "", b"")
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    a.admin(Method::POST, "/campaigns/debtors/stop", "", b"")
        .await;
    let done = a
        .admin(Method::POST, "/campaigns/debtors/archive", "", b"")
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let names = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let listed = a.admin(Method::GET, "/campaigns", "", b"").await.json();
    assert!(!names(listed).contains(&"debtors".to_string()));
    let archived = a
        .admin(Method::GET, "/campaigns?archived=true", "", b"")
        .await
        .json();
    assert_eq!(names(archived), ["debtors"]);
    let shown = a.admin(Method::GET, "/campaigns/debtors", "", b"").await;
    assert_eq!(shown.status, StatusCode::OK);
    let twice = a
        .admin(Method::POST, "/campaigns/debtors/archive", "", b"")
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_uploads_are_refused_and_write_nothing() {
    let a = api().await;
    a.create_debtors().await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "binary",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01".to_vec(),
            "not a CSV",
        ),
        (
            "quote",
            b"phone,balance\n9161230001,1\n9161230002,\"2\n9161230003,3\n".to_vec(),
            "never closed",
        ),
        (
            "nophone",
            b"name,balance\nA,1\n".to_vec(),
            "no phone column",
        ),
        ("empty", Vec::new(), "empty"),
    ];
    for (name, bytes, expect) in cases {
        let r = a
            .admin(
                Method::POST,
                "/campaigns/debtors/contacts",
                "text/csv",
                &bytes,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        let detail = r.json()["detail"].as_str().unwrap().to_string();
        assert!(
            detail.contains(expect) && detail.contains("nothing was imported"),
            "{name}: {detail}"
        );
        assert!(
            !detail.contains("/tmp"),
            "no temporary path in messages: {detail}"
        );
    }
    assert_eq!(a.contact_count().await, 0);
    let wrong = a
        .admin(
            Method::POST,
            "/campaigns/debtors/contacts",
            "image/png",
            b"x",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A dry run reports and writes nothing; the real upload writes; JSON contacts share the rules.
    let dry = a
        .admin(
            Method::POST,
            "/campaigns/debtors/contacts?dry_run=true",
            "text/csv",
            CSV,
        )
        .await;
    assert_eq!(dry.json()["accepted"], 20, "{}", dry.body);
    assert_eq!(a.contact_count().await, 0);
    let real = a
        .admin(Method::POST, "/campaigns/debtors/contacts", "text/csv", CSV)
        .await;
    assert_eq!(real.json()["accepted"], 20);
    let json =
        br#"[{"phones":["89161001001"],"name":"A","vars":{"balance":"1"}},{"phones":["abc"]}]"#;
    let r = a
        .admin(
            Method::POST,
            "/campaigns/debtors/contacts",
            "application/json",
            json,
        )
        .await;
    let v = r.json();
    assert_eq!(
        (v["rows"].as_u64(), v["accepted"].as_u64()),
        (Some(2), Some(1)),
        "{v}"
    );
    // An export with its own column names, mapped by the `map` query parameter.
    let export = "Телефон;Сумма долга\n89161001002;10\n".as_bytes();
    let path = "/campaigns/debtors/contacts?dry_run=true&map=%D0%A1%D1%83%D0%BC%D0%BC%D0%B0%20%D0%B4%D0%BE%D0%BB%D0%B3%D0%B0%3DBALANCE";
    let mapped = a.admin(Method::POST, path, "text/csv", export).await;
    assert_eq!(mapped.json()["accepted"], 1, "{}", mapped.body);
    let unmapped = a
        .admin(
            Method::POST,
            "/campaigns/debtors/contacts?dry_run=true",
            "text/csv",
            export,
        )
        .await;
    assert_eq!(unmapped.json()["accepted"], 0, "{}", unmapped.body);
    assert_eq!(v["rejected"][0]["line"], 3);
    assert_eq!(a.contact_count().await, 21);
    let found = a
        .admin(
            Method::GET,
            "/campaigns/debtors/contacts?phone=9161001001",
            "",
            b"",
        )
        .await;
    assert_eq!(
        found.json()["contacts"].as_array().unwrap().len(),
        1,
        "{}",
        found.body
    );
    let bad_status = a
        .admin(
            Method::GET,
            "/campaigns/debtors/contacts?status=nope",
            "",
            b"",
        )
        .await;
    assert_eq!(bad_status.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn size_and_rate_limits() {
    let settings = HttpSettings {
        max_body: 64,
        max_upload: 1024,
        rate_per_token: 2,
        ..HttpSettings::default()
    };
    let a = api_with(settings).await;
    let big = vec![b' '; 100];
    let r = a
        .admin(Method::POST, "/dnc", "application/json", &big)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let json = format!("[{}]", [r#"{"phones":["89161001001"]}"#; 10].join(","));
    let r = a
        .as_role(
            Role::Accountant,
            Method::POST,
            "/campaigns/x/contacts",
            "application/json",
            json.as_bytes(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "JSON keeps max_body on the upload route: {}",
        r.body
    );
    let upload = vec![b'1'; 2048];
    let r = a
        .as_role(
            Role::Accountant,
            Method::POST,
            "/campaigns/x/contacts",
            "text/csv",
            &upload,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    // Marketer: a burst of 4 (twice the rate) passes, then 429 with Retry-After.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            a.as_role(Role::Marketer, Method::GET, "/campaigns", "", b"")
                .await
                .status,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(statuses[0], StatusCode::OK);
}

/// Guessing tokens: lookups of tokens not seen lately are limited per client address (a burst
/// of twice the rate, then 429), another address is not affected, and a token checked before
/// the flood keeps working from the flooding address.
#[tokio::test]
async fn unknown_tokens_are_limited_per_client_address() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let settings = HttpSettings {
        token_checks_per_address: 5,
        ..HttpSettings::default()
    };
    let a = api_with(settings).await;
    let from = |ip: &str, token: &str| {
        let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
        let mut req = Request::builder()
            .uri("/campaigns")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        let app = a.app.clone();
        async move { app.oneshot(req).await.unwrap() }
    };
    let good = a.token(Role::Supervisor).to_string();
    assert_eq!(from("10.0.0.1", &good).await.status(), StatusCode::OK);
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(from("10.0.0.1", &format!("guess{i}")).await.status());
    }
    let unauthorized = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(
        unauthorized, 9,
        "a burst of 10 lookups, one was the good token: {statuses:?}"
    );
    let last = from("10.0.0.1", "guess-more").await;
    assert_eq!(last.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(last.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        from("10.0.0.2", "guess-elsewhere").await.status(),
        StatusCode::UNAUTHORIZED,
        "another address has its own budget"
    );
    assert_eq!(
        from("10.0.0.1", &good).await.status(),
        StatusCode::OK,
        "a token checked lately needs no lookup"
    );
    assert_eq!(
        from("10.0.0.1", "guess0").await.status(),
        StatusCode::UNAUTHORIZED,
        "a token found unknown lately is refused without a lookup (so not 429)"
    );
}

/// A change and its audit entry are one transaction: while the audit log refuses writes (a
/// trigger), every kind of change answers 503 and leaves nothing behind.
#[tokio::test]
async fn no_change_stands_without_its_audit_entry() {
    let a = api().await;
    a.create_debtors().await;
    let url = format!("sqlite://{}", a._dir.path().join("api.db").display());
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log \
         BEGIN SELECT RAISE(ABORT, 'the audit log is down'); END",
    )
    .execute(&raw)
    .await
    .unwrap();
    let other = CAMPAIGN.replace("name = \"debtors\"", "name = \"other\"");
    let changes: Vec<(Method, &str, &str, Vec<u8>)> = vec![
        (
            Method::POST,
            "/campaigns",
            "application/toml",
            other.into_bytes(),
        ),
        (
            Method::PUT,
            "/campaigns/debtors",
            "application/toml",
            CAMPAIGN.replace("lines = 3", "lines = 2").into_bytes(),
        ),
        (Method::POST, "/campaigns/debtors/start", "", vec![]),
        (
            Method::POST,
            "/pause-all",
            "application/json",
            br#"{"reason":"x"}"#.to_vec(),
        ),
        (
            Method::POST,
            "/dnc",
            "application/json",
            br#"{"phones":["89161001001"]}"#.to_vec(),
        ),
        (
            Method::POST,
            "/tokens",
            "application/json",
            br#"{"name":"late","role":"admin"}"#.to_vec(),
        ),
        (Method::DELETE, "/tokens/marketer", "", vec![]),
        (
            Method::POST,
            "/campaigns/debtors/contacts",
            "application/json",
            br#"{"phones":["89161001002"],"vars":{"BALANCE":"1"}}"#.to_vec(),
        ),
        (
            Method::POST,
            "/campaigns/debtors/contacts",
            "text/csv",
            CSV.to_vec(),
        ),
    ];
    for (method, path, kind, body) in changes {
        let r = a.admin(method.clone(), path, kind, &body).await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}: {}",
            r.body
        );
    }
    let c = a.store.campaign_by_name("debtors").await.unwrap();
    assert_eq!(c.status, outcall::model::CampaignStatus::Draft);
    assert_eq!(c.definition.source, CAMPAIGN);
    assert!(a.store.campaign_by_name("other").await.is_err());
    assert!(a.store.dnc_list().await.unwrap().is_empty());
    let names: Vec<_> = a
        .store
        .tokens()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.revoked_at.is_some()))
        .collect();
    assert!(!names.iter().any(|(n, _)| n == "late"), "{names:?}");
    assert!(
        names.contains(&("marketer".to_string(), false)),
        "{names:?}"
    );
    assert_eq!(a.contact_count().await, 0);
}

#[tokio::test]
async fn changes_are_audited_with_before_and_after() {
    let a = api().await;
    a.as_role(
        Role::Marketer,
        Method::POST,
        "/campaigns",
        "application/toml",
        CAMPAIGN.as_bytes(),
    )
    .await;
    a.as_role(
        Role::Supervisor,
        Method::POST,
        "/campaigns/debtors/start",
        "",
        b"",
    )
    .await;
    a.as_role(
        Role::Supervisor,
        Method::POST,
        "/campaigns/debtors/pause",
        "application/json",
        br#"{"reason":"lunch"}"#,
    )
    .await;
    a.as_role(
        Role::Accountant,
        Method::POST,
        "/campaigns/debtors/contacts",
        "text/csv",
        CSV,
    )
    .await;
    let log = a
        .as_role(
            Role::Supervisor,
            Method::GET,
            "/audit?object=campaign:debtors",
            "",
            b"",
        )
        .await;
    let entries = log.json();
    let actions: Vec<(&str, &str)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("marketer", "campaign.create"),
            ("supervisor", "campaign.start"),
            ("supervisor", "campaign.pause"),
            ("accountant", "contacts.import"),
        ]
    );
    let pause = &entries[2];
    assert_eq!(pause["before"]["status"], "running");
    assert_eq!(pause["after"]["status"], "paused");
    assert_eq!(pause["after"]["reason"], "lunch");
    assert_eq!(entries[3]["after"]["accepted"], 20);
}

#[tokio::test]
async fn health_readiness_metrics_and_the_openapi_document() {
    let a = api().await;
    let h = a.call(Method::GET, "/healthz", None, "", vec![]).await;
    assert_eq!(h.status, StatusCode::OK);
    let r = a.call(Method::GET, "/readyz", None, "", vec![]).await;
    assert_eq!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "no switch: not ready"
    );
    let m = a.call(Method::GET, "/metrics", None, "", vec![]).await;
    assert!(m.body.contains("# EOF"), "{}", m.body);
    assert!(m.body.contains("outcall_webhook_queue 0"), "{}", m.body);
    let doc = a
        .call(Method::GET, "/openapi.json", None, "", vec![])
        .await
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (_, path, ..) in cases() {
        let bare = path
            .split('?')
            .next()
            .unwrap()
            .replace("debtors", "{name}")
            .replace("+79161112233", "{phone}")
            .replace("/callbacks/1", "/callbacks/{id}");
        assert!(
            doc["paths"].get(&bare).is_some(),
            "{bare} is in the document"
        );
    }
}

#[tokio::test]
async fn cors_is_off_unless_origins_are_listed() {
    let ask = |app: axum::Router| async move {
        let req = Request::builder()
            .uri("/healthz")
            .header(header::ORIGIN, "https://console.example.ru")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        res.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let off = api().await;
    assert_eq!(ask(off.app.clone()).await, None);
    let on = api_with(HttpSettings {
        cors_origins: vec!["https://console.example.ru".into()],
        ..HttpSettings::default()
    })
    .await;
    assert_eq!(
        ask(on.app.clone()).await.as_deref(),
        Some("https://console.example.ru")
    );
}

#[tokio::test]
async fn callbacks_over_http() {
    let a = api().await;
    let post = |body: &'static [u8]| {
        let a = &a;
        async move {
            a.as_role(
                Role::Backend,
                Method::POST,
                "/callbacks",
                "application/json",
                body,
            )
            .await
        }
    };
    let r = post(CALLBACK).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["duplicate"].as_bool()),
        (Some("queued"), Some(false))
    );
    // The client's key makes a repeat harmless; the same key with another request conflicts.
    let keyed = br#"{"idempotency_key":"order-17","managers":["+79161110001"],"client":"+77011112233","manager_trunks":["sofia/gateway/t1/{number}"]}"#;
    let first = post(keyed).await;
    let again = post(keyed).await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(again.json()["duplicate"], true);
    let other = post(br#"{"idempotency_key":"order-17","managers":["+79161110002"],"client":"+77011112233","manager_trunks":["sofia/gateway/t1/{number}"]}"#).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
    // Errors name the field.
    for (body, field) in [
        (&br#"{"managers":"+79161110001","manager_trunks":["sofia/gateway/t1/{number}"]}"#[..], "client:"),
        (br#"{"managers":"+79161110001_x","client":"+77011112233","manager_trunks":["sofia/gateway/t1/{number}"]}"#, "managers[1]:"),
        (br#"{"managers":"+79161110001","client":"+77011112233","manager_trunks":["sofia/gateway/t1/{number}"],"repeats":30}"#, "repeats:"),
        (br#"{"managers":"+79161110001","client":"+77011112233","manager_trunks":["sofia/gateway/t1/{number}"],"text":"a${system(id)}\nb"}"#, "text:"),
        (br#"{"managers":"+79161110001","client":"+77011112233","manager_trunks":["sofia/${x}/{number}"]}"#, "manager_trunks[0]:"),
    ] {
        let r = post(body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.kind, "application/problem+json");
        let detail = r.json()["detail"].as_str().unwrap().to_string();
        assert!(detail.starts_with(field), "{field}: {detail}");
    }
    let unknown = post(br#"{"managerz":"+79161110001"}"#).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(post(b"{not json").await.status, StatusCode::BAD_REQUEST);
    // Read back, with the (still empty) leg log.
    let path = format!("/callbacks/{id}");
    let shown = a.as_role(Role::Backend, Method::GET, &path, "", b"").await;
    assert_eq!(shown.status, StatusCode::OK);
    let v = shown.json();
    assert_eq!(
        (v["status_code"].as_u64(), v["state"].as_str()),
        (Some(100), Some("pending"))
    );
    assert_eq!(
        v["managers"],
        serde_json::json!(["+79161110001", "+79161110002"])
    );
    assert_eq!(v["legs"], serde_json::json!([]));
    for missing in ["/callbacks/999", "/callbacks/abc", "/callbacks/-1"] {
        let r = a
            .as_role(Role::Backend, Method::GET, missing, "", b"")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
    }
    let list = a
        .as_role(
            Role::Backend,
            Method::GET,
            "/callbacks?state=pending",
            "",
            b"",
        )
        .await;
    assert_eq!(list.json()["callbacks"].as_array().unwrap().len(), 2);
    let bad = a
        .as_role(Role::Backend, Method::GET, "/callbacks?state=nope", "", b"")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Cancel: the job ends with 709; cancelling again conflicts.
    let cancel = format!("/callbacks/{id}/cancel");
    let c = a
        .as_role(Role::Backend, Method::POST, &cancel, "", b"")
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(
        (c.json()["status_code"].as_u64(), c.json()["state"].as_str()),
        (Some(709), Some("done"))
    );
    let again = a
        .as_role(Role::Backend, Method::POST, &cancel, "", b"")
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let m = a
        .as_role(
            Role::Marketer,
            Method::POST,
            "/callbacks",
            "application/json",
            CALLBACK,
        )
        .await;
    assert_eq!(m.status, StatusCode::FORBIDDEN);
    let audit = a.admin(Method::GET, "/audit", "", b"").await.body;
    assert!(
        audit.contains("callback.add") && audit.contains("callback.cancel"),
        "{audit}"
    );
}

#[tokio::test]
async fn why_a_campaign_and_a_contact_are_not_dialling() {
    let a = api().await;
    a.create_debtors().await;
    let up = a
        .admin(Method::POST, "/campaigns/debtors/contacts", "text/csv", CSV)
        .await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    let why = a
        .admin(Method::GET, "/campaigns/debtors/why", "", b"")
        .await;
    assert_eq!(why.status, StatusCode::OK, "{}", why.body);
    let w = why.json();
    assert_eq!(w["status"], "draft");
    assert_eq!(w["dialling"], false);
    assert!(
        w["blockers"][0]
            .as_str()
            .unwrap()
            .starts_with("draft: not started"),
        "{w}"
    );
    assert_eq!(w["caps"][0]["level"], "campaign lines");
    assert!(w["zones"]
        .as_array()
        .unwrap()
        .iter()
        .all(|z| z["pending"].as_u64() > Some(0)));
    // The first demo contact, written as in the CSV (without +).
    let c = a
        .admin(Method::GET, "/contacts/79001000001/why", "", b"")
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let c = &c.json()[0];
    assert_eq!(c["phone"], "+79001000001");
    assert_eq!(c["status"], "pending");
    assert_eq!(c["attempts_used"], 0);
    assert!(
        c["rule"].as_str().unwrap().starts_with("first attempt"),
        "{c}"
    );
    assert!(
        c["blockers"][0]
            .as_str()
            .unwrap()
            .contains("campaign is draft"),
        "{c}"
    );
    let none = a
        .admin(Method::GET, "/contacts/79990000000/why", "", b"")
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
    let bad = a.admin(Method::GET, "/contacts/12/why", "", b"").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let missing = a.admin(Method::GET, "/campaigns/nope/why", "", b"").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn uploads_use_the_servers_zone_table() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("api.db").display());
    let store = Store::connect(&url).await.unwrap();
    let t = tokens::create(
        &store,
        &Actor::cli(),
        "admin",
        Role::Admin,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let mut state = ApiState::new(
        store.clone(),
        Clock::system(),
        HttpSettings::default(),
        "RU",
    );
    // As `zone_table = "..."` in outcall.toml gives it: the demo numbers (+7900...) are Omsk's.
    state.zones =
        outcall::numbering::ZoneTable::with_user_csv("prefix,zone\n7900,Asia/Omsk\n").unwrap();
    let app = router(Arc::new(state));
    let send = |method: Method, path: &str, kind: &str, body: Vec<u8>| {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .header(header::CONTENT_TYPE, kind)
            .body(Body::from(body))
            .unwrap();
        app.clone().oneshot(req)
    };
    let created = send(
        Method::POST,
        "/campaigns",
        "application/toml",
        CAMPAIGN.into(),
    )
    .await;
    assert_eq!(created.unwrap().status(), StatusCode::CREATED);
    let up = send(
        Method::POST,
        "/campaigns/debtors/contacts",
        "text/csv",
        CSV.to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(up.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(up.into_body(), usize::MAX)
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(report["zones"]["user_table"], 20, "{report}");
    let c = store.campaign_by_name("debtors").await.unwrap();
    assert_eq!(store.campaign_zones(c.id).await.unwrap(), ["Asia/Omsk"]);
}

/// A campaign's view is served again between writes (the same bytes), and the next GET after
/// any write shows it: one made through the API, and ones the engine makes on the store (a
/// change, and a single statement on the pool).
#[tokio::test]
async fn a_campaign_view_shows_every_write_at_once() {
    let a = api().await;
    a.create_debtors().await;
    let path = "/campaigns/debtors";
    let first = a.admin(Method::GET, path, "", b"").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.kind, "application/json");
    assert_eq!(first.json()["status"], "draft");
    assert_eq!(a.admin(Method::GET, path, "", b"").await.body, first.body);
    let status = || async { a.admin(Method::GET, path, "", b"").await.json() };
    a.admin(Method::POST, "/campaigns/debtors/start", "", b"")
        .await;
    assert_eq!(status().await["status"], "running");
    let id = a.store.campaign_by_name("debtors").await.unwrap().id;
    let now = chrono::Utc::now();
    let paused = outcall::model::CampaignStatus::Paused;
    a.store
        .set_campaign_status(id, paused, Some("engine"), now)
        .await
        .unwrap();
    let v = status().await;
    assert_eq!(
        (&v["status"], &v["status_reason"]),
        (&"paused".into(), &"engine".into())
    );
    a.admin(Method::POST, "/campaigns/debtors/resume", "", b"")
        .await;
    assert_eq!(status().await["status"], "running");
    // Nothing to call: the engine completes it with one statement on the pool.
    assert!(a.store.complete_if_done(id, now).await.unwrap());
    assert_eq!(status().await["status"], "completed");
    let up = a
        .admin(Method::POST, "/campaigns/debtors/contacts", "text/csv", CSV)
        .await;
    assert_eq!(up.json()["accepted"], 20, "{}", up.body);
    assert_eq!(status().await["contacts"]["pending"], 20);
    // Another process on the same file (the CLI): its commit is not counted here, but the next
    // change this API answers drops every view read before it.
    let url = format!("sqlite://{}", a._dir.path().join("api.db").display());
    let cli = Store::connect(&url).await.unwrap();
    cli.set_campaign_status(id, paused, Some("cli"), now)
        .await
        .unwrap();
    let check = a
        .admin(
            Method::POST,
            "/definitions/check",
            "application/toml",
            CAMPAIGN.as_bytes(),
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert_eq!(status().await["status_reason"], "cli");
}
