//! The HTTP API of `outcall serve`: axum routes over the service layer (`ops`, which holds
//! every rule), bearer tokens checked against one permission table (`model::Role::may`),
//! errors as RFC 9457 problems, the OpenAPI document at `/openapi.json`. One file per family
//! of routes; `ApiState` is what every handler shares with the engine. The web console
//! (`console`) is served beside it at `/` and calls these routes like any client.

mod auth;
mod callbacks;
mod campaigns;
mod console;
mod contacts;
mod lists;
mod live;
mod observe;
mod openapi;
mod plan;
mod problem;
mod report_body;
mod results;
mod status;
mod views;
mod why;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::call::metrics::Metrics;
use crate::call::switch::Switch;
use crate::clock::Clock;
use crate::config::HttpSettings;
use crate::store::Store;

pub use auth::Limiter;
pub use problem::Problem;

/// What every handler shares.
pub struct ApiState {
    pub store: Store,
    pub clock: Clock,
    /// The engine's switches (for `/nodes` and `/readyz`).
    pub nodes: Vec<Arc<dyn Switch>>,
    /// The engine's counters, when an engine runs in this process.
    pub metrics: Option<Metrics>,
    pub settings: HttpSettings,
    /// Country of numbers written without `+` in uploads and added contacts.
    pub default_country: String,
    pub limiter: Limiter,
    /// Store lookups of tokens not seen lately, per client address.
    pub lookups: Limiter<std::net::IpAddr>,
    /// Tokens checked lately (see `auth::TokenCache`).
    pub tokens: auth::TokenCache,
    /// Campaign views shown lately (see `views::Views`).
    pub views: views::Views,
    /// Wakes the engine in this process (a callback job was queued: call it now).
    pub wake: Option<Arc<tokio::sync::Notify>>,
    /// Prefix -> zone tables of uploads (the built-in one plus outcall.toml's `zone_table`).
    pub zones: crate::numbering::ZoneTable,
    /// outcall.toml's caps for the `why` endpoints (the switches come from `nodes`).
    pub why: crate::ops::why::WhyEnv,
}

impl ApiState {
    pub fn new(
        store: Store,
        clock: Clock,
        settings: HttpSettings,
        default_country: &str,
    ) -> ApiState {
        crate::import::phone::warm(default_country);
        ApiState {
            store,
            clock,
            nodes: Vec::new(),
            metrics: None,
            limiter: Limiter::per_second(settings.rate_per_token),
            lookups: Limiter::per_second(settings.token_checks_per_address),
            settings,
            default_country: default_country.to_string(),
            tokens: auth::TokenCache::default(),
            views: views::Views::default(),
            wake: None,
            zones: crate::numbering::ZoneTable::builtin(),
            why: crate::ops::why::WhyEnv {
                default_country: default_country.to_string(),
                ..Default::default()
            },
        }
    }
}

/// Every route of the API.
pub fn router(state: Arc<ApiState>) -> Router {
    let upload_limit = usize::try_from(state.settings.max_upload).unwrap_or(usize::MAX);
    let cors = cors(&state.settings.cors_origins);
    let uploads = Router::new()
        .route(
            "/campaigns/{name}/contacts",
            post(contacts::add).get(contacts::list),
        )
        .layer(DefaultBodyLimit::max(upload_limit));
    let app = Router::new()
        .route("/healthz", get(observe::healthz))
        .route("/readyz", get(observe::readyz))
        .route("/metrics", get(observe::metrics))
        .route("/openapi.json", get(openapi::document))
        .route("/campaigns", get(campaigns::list).post(campaigns::create))
        .route(
            "/campaigns/{name}",
            get(campaigns::show).put(campaigns::update),
        )
        .route("/campaigns/{name}/start", post(campaigns::start))
        .route("/campaigns/{name}/why", get(why::campaign))
        .route("/contacts/{phone}/why", get(why::contact))
        .route("/campaigns/{name}/pause", post(campaigns::pause))
        .route("/campaigns/{name}/resume", post(campaigns::resume))
        .route("/campaigns/{name}/stop", post(campaigns::stop))
        .route("/campaigns/{name}/archive", post(campaigns::archive))
        .route("/pause-all", post(campaigns::pause_all))
        .route("/campaigns/{name}/attempts", get(results::attempts))
        .route("/campaigns/{name}/attempts.csv", get(results::attempts_csv))
        .route("/campaigns/{name}/results", get(results::results))
        .route("/campaigns/{name}/results.csv", get(results::results_csv))
        .route("/dnc", get(lists::dnc_list).post(lists::dnc_add))
        .route("/dnc/{phone}", delete(lists::dnc_remove))
        .route("/tokens", get(lists::tokens).post(lists::token_create))
        .route("/tokens/{name}", delete(lists::token_revoke))
        .route("/audit", get(lists::audit))
        .route("/callbacks", get(callbacks::list).post(callbacks::add))
        .route("/callbacks/{id}", get(callbacks::show))
        .route("/callbacks/{id}/cancel", post(callbacks::cancel))
        .route("/nodes", get(observe::nodes))
        .route("/live", get(live::live))
        .route("/live/status", get(status::status))
        .route("/me", get(plan::me))
        .route("/campaigns/{name}/plan", get(plan::show))
        .route("/definitions/check", post(plan::check))
        .merge(console::router())
        .layer(DefaultBodyLimit::max(state.settings.max_body))
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_changes,
        ))
        .fallback(|| async { Problem::not_found("no such endpoint (see /openapi.json)") })
        .with_state(state);
    match cors {
        Some(layer) => app.layer(layer),
        None => app,
    }
}

/// Counts every answered request that may have changed something (any method but GET, HEAD
/// and OPTIONS), so that no campaign view read before it is shown again (see `views`).
async fn count_changes(
    axum::extract::State(st): axum::extract::State<Arc<ApiState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let change = !request.method().is_safe();
    let response = next.run(request).await;
    if change {
        st.views.changed();
    }
    response
}

/// CORS for the listed origins only; none listed (the default): no CORS headers at all.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{header, HeaderValue, Method};
    let list: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    if list.is_empty() {
        return None;
    }
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(list)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
    )
}

/// The `next` cursor of a keyset page: the last id when the page came back full (there may be
/// more), none when it is the last page.
pub(crate) fn next_after<T>(rows: &[T], limit: u32, id: impl Fn(&T) -> i64) -> Option<i64> {
    if rows.len() as u64 == u64::from(limit) {
        rows.last().map(id)
    } else {
        None
    }
}

/// Binds `[http] listen`; the address actually bound (port 0 picks one).
pub async fn bind(settings: &HttpSettings) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(&settings.listen).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves until `shutdown` fires.
pub async fn serve(
    listener: TcpListener,
    state: Arc<ApiState>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
