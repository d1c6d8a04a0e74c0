//! The web console: one HTML page and its plain JavaScript and CSS, embedded in the binary and
//! served at `/` on the API's port. The page signs in with an API token (kept in the tab's
//! sessionStorage) and calls the JSON API with it, so every permission is the API's own; it
//! only hides the controls the role may not use. The language is picked here from
//! `Accept-Language` (Russian or English; the page can switch), its strings are one table in
//! `assets/i18n.js`.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::problem::Problem;

const JS: &str = "text/javascript; charset=utf-8";

/// The page's assets, by file name: (name, content type, text).
const ASSETS: &[(&str, &str, &str)] = &[
    ("i18n.js", JS, include_str!("assets/i18n.js")),
    ("core.js", JS, include_str!("assets/core.js")),
    ("campaigns.js", JS, include_str!("assets/campaigns.js")),
    ("results.js", JS, include_str!("assets/results.js")),
    ("work.js", JS, include_str!("assets/work.js")),
    ("ops.js", JS, include_str!("assets/ops.js")),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("assets/app.css"),
    ),
];

const PAGE: &str = include_str!("assets/index.html");

/// The console's routes (they need no state: the page calls the API for everything).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/console/{file}", get(asset))
}

/// The console's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

/// The language an `Accept-Language` header prefers among ours: the one with the higher
/// weight (the earlier on a tie); English when it names neither.
pub fn pick_lang(accept: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for part in accept.split(',') {
        let mut bits = part.trim().split(';');
        let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits
            .find_map(|b| b.trim().strip_prefix("q=").map(str::to_string))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = match tag.split('-').next() {
            Some("ru") => Lang::Ru,
            Some("en") => Lang::En,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::En, |(_, l)| l)
}

fn secured(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn page(headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let lang = match pick_lang(accept) {
        Lang::Ru => "ru",
        Lang::En => "en",
    };
    let html = PAGE.replace("{{LANG}}", lang);
    secured(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => secured(([(header::CONTENT_TYPE, *kind)], *body).into_response()),
        None => {
            Problem::new(StatusCode::NOT_FOUND, format!("no console file `{file}`")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_accept_language() {
        assert_eq!(pick_lang("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Ru);
        assert_eq!(pick_lang("en-US,en;q=0.9,ru;q=0.8"), Lang::En);
        assert_eq!(pick_lang("de-DE,ru;q=0.5,en;q=0.4"), Lang::Ru);
        assert_eq!(pick_lang("en;q=0.2, ru;q=0.8"), Lang::Ru);
        assert_eq!(pick_lang("ru;q=0, en;q=0.1"), Lang::En);
        assert_eq!(pick_lang("fr"), Lang::En);
        assert_eq!(pick_lang(""), Lang::En);
    }

    #[test]
    fn every_asset_the_page_names_is_served() {
        for (name, _, body) in ASSETS {
            assert!(!body.is_empty(), "{name}");
        }
        for src in PAGE.split("/console/").skip(1) {
            let file = src.split('"').next().unwrap();
            assert!(ASSETS.iter().any(|(n, _, _)| *n == file), "{file}");
        }
    }
}
