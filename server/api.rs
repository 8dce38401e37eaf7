//! The OpenAPI 3 document of the JSON API under `/api/v1`, generated from the handlers'
//! `#[utoipa::path]` annotations and served at `GET /api/v1/openapi.json`.
//!
//! `tests/app/api_doc.rs` checks it against the live routes, both ways.

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::AppError;
pub use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cakap API",
        description = "The JSON API of Cakap for mobile and other clients. Errors are `application/problem+json`. Endpoints that need a login take `Authorization: Bearer <token>` from `POST /api/v1/auth/token`."
    ),
    paths(
        crate::catalog::routes::api_catalog,
        crate::learning::course_routes::api_course,
        crate::learning::course_routes::api_module,
        crate::accounts::routes::api_token,
        crate::accounts::routes::api_me,
        crate::accounts::placement_routes::api_place,
        crate::accounts::placement_routes::api_request,
        crate::learning::routes::enroll_api,
        crate::learning::routes::done_api,
        crate::learning::routes::dashboard_api,
        crate::learning::offline_routes::plan_api,
        crate::learning::quiz_routes::start_api,
        crate::learning::quiz_routes::attempt_api,
        crate::learning::quiz_routes::submit_api,
        crate::certificates::routes::lookup_api,
        crate::certificates::routes::verify_api,
        crate::certificates::routes::revoke_api,
        crate::certificates::routes::my_certificates_api,
        crate::competency::routes::profile_api,
        crate::competency::evaluation_routes::react_api,
        crate::competency::evaluation_routes::results_api,
        crate::competency::budget_routes::budget_api,
        crate::catalog::author_routes::api_list,
        crate::catalog::author_routes::api_upload,
        crate::catalog::author_routes::api_publish,
        openapi_json,
    ),
    components(schemas(Problem)),
    modifiers(&Security),
    tags(
        (name = "catalog", description = "Courses and their content"),
        (name = "accounts", description = "Logging in and the caller's account"),
        (name = "learning", description = "Enrollment, progress and the dashboard"),
        (name = "quiz", description = "Quiz attempts"),
        (name = "certificates", description = "Verifying and revoking certificates"),
        (name = "competency", description = "Competency profiles"),
        (name = "authoring", description = "Course authors: upload a course archive as a draft, publish it"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme, the version from `Cargo.toml`, and the schemas derive
/// cannot state.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.version = crate::VERSION.to_string();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert(
            "VerifyBody".into(),
            crate::certificates::routes::verify_body_schema().into(),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A token from `POST /api/v1/auth/token`"))
                    .build(),
            ),
        );
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// The document's paths, each with the methods it declares (`HEAD` beside `GET`: the server
/// answers it like `GET`), built once.
fn declared() -> &'static [(ResourceDef, String)] {
    static PATHS: OnceLock<Vec<(ResourceDef, String)>> = OnceLock::new();
    PATHS.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some() || item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, declared)| declared.then_some(m))
                .collect();
                (ResourceDef::new(path.as_str()), methods.join(", "))
            })
            .collect()
    })
}

/// The methods the document declares for `path` (`GET, HEAD`), when it is one of its paths.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    declared()
        .iter()
        .find(|(def, _)| def.is_match(path))
        .map(|(_, methods)| methods.as_str())
}

/// `default_service`: a request no route took. On a path of this document it came with a method
/// the path does not have: `405 Method Not Allowed` with `Allow`. Anything else is no route: a 404
/// whose problem `detail` differs from a missing entity's, so a client (and `tests/app/api_doc.rs`)
/// can tell "no such route" from "no such course".
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, AppError> {
    match allowed_methods(req.match_info().as_str()) {
        Some(methods) => Ok(HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, methods))
            .finish()),
        None => Err(AppError::NoRoute),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_path_names_its_methods() {
        assert_eq!(allowed_methods("/api/v1/me"), Some("GET, HEAD"));
        assert_eq!(allowed_methods("/api/v1/attempts/12/submit"), Some("POST"));
        assert_eq!(allowed_methods("/api/v1/nothing-here"), None);
        assert_eq!(allowed_methods("/courses"), None);
    }
}
