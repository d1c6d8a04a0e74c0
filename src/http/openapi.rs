//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa) and served at
//! `/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    callbacks, campaigns, contacts, lists, live, observe, plan, problem, results, status, why,
};

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

/// The refusals any operation can answer with, each an `application/problem+json` document.
const PROBLEMS: &[(&str, &str)] = &[
    ("400", "The request is malformed (not JSON, not UTF-8)"),
    ("401", "No token, or an unknown or revoked one"),
    ("403", "The token's role may not do this"),
    ("404", "No such object"),
    ("405", "Method not allowed"),
    ("409", "The object's state does not allow it"),
    ("413", "The body is over the size limit"),
    ("415", "The content type is not one this endpoint reads"),
    ("422", "The input is understood but invalid"),
    ("429", "Too many requests for this token"),
    ("503", "The database or every switch is unavailable"),
];

/// Every error response is a problem document, and every operation lists the refusals above.
struct Problems;

impl Modify for Problems {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for (code, why) in PROBLEMS {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| ResponseBuilder::new().description(*why).build().into());
                }
                for (code, resp) in op.responses.responses.iter_mut() {
                    let error = code.starts_with('4') || code.starts_with('5');
                    if let (true, utoipa::openapi::RefOr::T(r)) = (error, resp) {
                        r.content.clear();
                        r.content
                            .insert("application/problem+json".into(), problem());
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "outcall", description = "The HTTP API of the outcall dialer: campaigns, contacts, results, callback jobs, do-not-call list, tokens and audit."),
    modifiers(&Bearer, &Problems),
    paths(
        observe::healthz, observe::readyz, observe::nodes, observe::metrics,
        campaigns::list, campaigns::create, campaigns::show, campaigns::update,
        campaigns::start, campaigns::pause, campaigns::resume, campaigns::stop, campaigns::archive,
        campaigns::pause_all,
        why::campaign, why::contact,
        contacts::add, contacts::list,
        results::attempts, results::attempts_csv, results::results, results::results_csv,
        lists::dnc_list, lists::dnc_add, lists::dnc_remove,
        lists::tokens, lists::token_create, lists::token_revoke, lists::audit,
        live::live, status::status,
        plan::me, plan::show, plan::check,
        callbacks::add, callbacks::show, callbacks::list, callbacks::cancel,
    ),
    components(schemas(problem::Problem))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
