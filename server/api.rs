//! The OpenAPI 3 document of the JSON API under `/api/v1`, generated from the handlers'
//! `#[utoipa::path]` annotations and served at `GET /api/v1/openapi.json`.
//!
//! `tests/app/api_doc.rs` checks it against the live routes, both ways.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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

/// Adds the `bearer` security scheme and the version from `Cargo.toml`.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.version = crate::VERSION.to_string();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
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
