//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa) and served at
//! `/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{campaigns, contacts, lists, observe, problem, results};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "outcall", description = "The HTTP API of the outcall dialer: campaigns, contacts, results, do-not-call list, tokens and audit."),
    modifiers(&Bearer),
    paths(
        observe::healthz, observe::readyz, observe::nodes, observe::metrics,
        campaigns::list, campaigns::create, campaigns::show, campaigns::update,
        campaigns::start, campaigns::pause, campaigns::resume, campaigns::stop, campaigns::pause_all,
        contacts::add, contacts::list,
        results::attempts, results::attempts_csv, results::results, results::results_csv,
        lists::dnc_list, lists::dnc_add, lists::dnc_remove,
        lists::tokens, lists::token_create, lists::token_revoke, lists::audit,
    ),
    components(schemas(problem::Problem))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
