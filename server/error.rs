//! The application's error type and its one mapping to HTTP.
//!
//! Handlers return `Result<_, AppError>`. Every error response — from a handler, from an
//! extractor refusing a malformed request, or from a route that does not exist — goes through
//! [`render`], which gives people an Indonesian (or English) page that says what to do next and
//! gives API clients `application/problem+json`.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::web::state::AppState;
use crate::web::Lang;

/// An error, as `application/problem+json` (RFC 9457).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, translated title.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong or what to do next.
    pub detail: String,
    /// The request path.
    pub instance: String,
}

/// Declares a domain's error: either a refusal the person can act on (`Refused`, shown on the
/// page with what to change) or a database failure (`Db`). The one refusal convention: domain
/// functions return `Result<T, XError>` (never `Result<Result<T, Refusal>, DbError>`), `?` works
/// on `DbError`, diesel errors and the refusal, and a handler turns it into the refusal to show
/// with [`refusal`](#method.refusal), a database failure going on as an [`AppError`].
///
/// ```ignore
/// crate::domain_error!(pub OrgError, Refusal);
/// ```
#[macro_export]
macro_rules! domain_error {
    ($(#[$meta:meta])* $vis:vis $name:ident, $refusal:ty) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis enum $name {
            /// Refused: the person can act on it.
            Refused($refusal),
            /// The database failed.
            Db($crate::db::DbError),
        }

        impl From<$crate::db::DbError> for $name {
            fn from(e: $crate::db::DbError) -> Self {
                $name::Db(e)
            }
        }

        impl From<diesel::result::Error> for $name {
            fn from(e: diesel::result::Error) -> Self {
                $name::Db($crate::db::DbError::Query(e))
            }
        }

        impl From<$refusal> for $name {
            fn from(r: $refusal) -> Self {
                $name::Refused(r)
            }
        }

        impl $name {
            /// The refusal to show; a database failure as an [`AppError`](crate::error::AppError).
            #[allow(dead_code)]
            pub fn refusal(self) -> Result<$refusal, $crate::error::AppError> {
                match self {
                    $name::Refused(r) => Ok(r),
                    $name::Db(e) => Err($crate::error::AppError::Db(e)),
                }
            }
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A missing thing (a course, a module, an attempt) at an address that exists.
    #[error("not found")]
    NotFound,
    /// No route matches the address at all (the `default_service`).
    #[error("no such route")]
    NoRoute,
    /// The request is malformed; the text says what is wrong (in English, for logs and API clients).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Not logged in (or the session ended): HTML goes to the login page, API gets 401.
    #[error("not logged in")]
    Unauthorized,
    /// Logged in, but this is not theirs to see or do.
    #[error("forbidden")]
    Forbidden,
    /// A form without a valid CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// A request body over its limit (in bytes), refused before it was read.
    #[error("the request body is over its limit of {0} bytes")]
    TooLarge(u64),
    /// Rate-limited; the number of minutes to wait.
    #[error("too many attempts; retry in {0} minutes")]
    TooManyRequests(i64),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The message keys (title, what to do) shown to people.
    fn keys(&self) -> (&'static str, &'static str) {
        match self {
            AppError::NotFound => ("error.not_found.title", "error.not_found.body"),
            AppError::NoRoute => ("error.no_route.title", "error.no_route.body"),
            AppError::BadRequest(_) => ("error.bad_request.title", "error.bad_request.body"),
            AppError::Unauthorized => ("error.unauthorized.title", "error.unauthorized.body"),
            AppError::Forbidden => ("error.forbidden.title", "error.forbidden.body"),
            AppError::Csrf => ("error.csrf.title", "error.csrf.body"),
            AppError::TooManyRequests(_) => ("error.too_many.title", "error.too_many.body"),
            AppError::TooLarge(_) => ("error.too_large.title", "error.too_large.body"),
            AppError::Db(DbError::Unavailable { .. } | DbError::Connect { .. }) => {
                ("error.unavailable.title", "error.unavailable.body")
            }
            AppError::Db(_) | AppError::Internal(_) => {
                ("error.internal.title", "error.internal.body")
            }
        }
    }

    /// Detail that may be shown to the client (never internals).
    fn public_detail(&self) -> Option<String> {
        match self {
            AppError::BadRequest(m) => Some(m.clone()),
            AppError::TooLarge(limit) => Some(format!(
                "the request is larger than the limit of {}; send a smaller file or less text",
                crate::web::limits::human_size(*limit)
            )),
            _ => None,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::NoRoute => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Db(DbError::Unavailable { .. } | DbError::Connect { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        // Replaced by `render`; this is what a client sees only if that middleware is missing.
        let mut resp = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests(minutes) = self {
            resp.insert_header((header::RETRY_AFTER, (minutes * 60).to_string()));
        }
        resp.content_type("text/plain; charset=utf-8")
            .body(self.status_code().canonical_reason().unwrap_or("error"))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Db(DbError::Query(e))
    }
}

/// `default_service`: a path no route matches. Its problem `detail` differs from a missing
/// entity's, so a client (and `tests/app/api_doc.rs`) can tell "no such route" from "no such course".
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NoRoute)
}

/// The middleware that turns every error response into a page or a problem document.
pub fn handlers<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

/// Middleware, inside [`handlers`]: a refusal a middleware returns as an error (CSRF, a bad bearer
/// token) skips [`render`] and would reach the client as the bare `text/plain` of
/// [`AppError::error_response`]. For API paths and JSON clients it becomes a problem document here.
pub async fn catch(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    // what the answer needs, taken before the request goes on (it cannot be kept: routing needs
    // it unshared)
    let json = wants_json(req.request());
    let lang = Lang::of(req.request());
    let path = req.path().to_string();
    let views = AppState::get(req.request()).map(|s| s.views.clone());
    let error = match next.call(req).await {
        Ok(res) => return Ok(res),
        Err(e) => e,
    };
    if !json {
        return Err(error);
    }
    let status = error.as_response_error().status_code();
    let app_error = error.as_error::<AppError>();
    let (title_key, body_key) = match app_error {
        Some(e) => e.keys(),
        None => keys_for_status(status),
    };
    let detail = match app_error {
        Some(e) => e.public_detail(),
        None if status.is_client_error() => Some(crate::text::one_line(&error.to_string())),
        None => None,
    };
    let minutes = match app_error {
        Some(AppError::TooManyRequests(m)) => *m,
        _ => 0,
    };
    let text = |key: &str| {
        views
            .as_ref()
            .and_then(|v| {
                v.i18n()
                    .format(lang, key, &[("minutes", minutes.to_string())])
            })
            .unwrap_or_else(|| key.to_string())
    };
    let mut response = problem_document(
        status,
        text(title_key),
        detail.unwrap_or_else(|| text(body_key)),
        &path,
    );
    if minutes > 0 {
        if let Ok(v) = header::HeaderValue::from_str(&(minutes * 60).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    let reason = error.to_string();
    Err(actix_web::error::InternalError::from_response(reason, response).into())
}

fn render<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let Some(error) = res.response().error() else {
        // A refusal without a body (405 from a resource, say) on the API: a problem document.
        let bare = !res.response().headers().contains_key(header::CONTENT_TYPE);
        if bare && wants_json(res.request()) {
            let req = res.request().clone();
            let status = res.status();
            let (title_key, body_key) = keys_for_status(status);
            let mut response = problem_json(&req, status, title_key, body_key, None, 0);
            for (name, value) in res.response().headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    response.headers_mut().insert(name.clone(), value.clone());
                }
            }
            return Ok(ErrorHandlerResponse::Response(
                res.into_response(response).map_into_right_body(),
            ));
        }
        // A handler chose this status and wrote its own body (a form shown again with errors).
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let status = res.status();
    let app_error = error.as_error::<AppError>();
    let (title_key, body_key) = match app_error {
        Some(e) => e.keys(),
        None => keys_for_status(status),
    };
    let detail = match app_error {
        Some(e) => e.public_detail(),
        // An extractor's complaint (bad JSON, a missing form field): say it as it is.
        None if status.is_client_error() => Some(crate::text::one_line(&error.to_string())),
        None => None,
    };
    if status.is_server_error() {
        tracing::error!(%status, error = %error, path = %res.request().path(), "request failed");
    }
    let req = res.request().clone();
    let minutes = match app_error {
        Some(AppError::TooManyRequests(m)) => *m,
        _ => 0,
    };
    if matches!(app_error, Some(AppError::Unauthorized)) && !wants_json(&req) {
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
        let response = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/login?next={next}")))
            .finish();
        return Ok(ErrorHandlerResponse::Response(
            res.into_response(response).map_into_right_body(),
        ));
    }
    let mut response = if wants_json(&req) {
        problem_json(&req, status, title_key, body_key, detail, minutes)
    } else {
        html_page(&req, status, title_key, body_key, detail, minutes)
    };
    // keep headers such as `Allow` or `Retry-After` that the original response carried
    for (name, value) in res.response().headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        res.into_response(response).map_into_right_body(),
    ))
}

fn keys_for_status(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("error.not_found.title", "error.not_found.body"),
        StatusCode::METHOD_NOT_ALLOWED => ("error.method.title", "error.method.body"),
        StatusCode::PAYLOAD_TOO_LARGE => ("error.too_large.title", "error.too_large.body"),
        StatusCode::SERVICE_UNAVAILABLE => ("error.unavailable.title", "error.unavailable.body"),
        s if s.is_client_error() => ("error.bad_request.title", "error.bad_request.body"),
        _ => ("error.internal.title", "error.internal.body"),
    }
}

/// API paths, and clients that ask for JSON rather than HTML, get problem+json.
fn wants_json(req: &HttpRequest) -> bool {
    // the path as routed (percent-decoded): `/%61pi/…` is an API request too
    if req.match_info().as_str().starts_with("/api/") {
        return true;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("json") && !accept.contains("text/html")
}

fn message(req: &HttpRequest, key: &str, minutes: i64) -> String {
    AppState::get(req)
        .and_then(|s| {
            let v = &s.views;
            v.i18n()
                .format(Lang::of(req), key, &[("minutes", minutes.to_string())])
        })
        .unwrap_or_else(|| key.to_string())
}

fn problem_json(
    req: &HttpRequest,
    status: StatusCode,
    title_key: &str,
    body_key: &str,
    detail: Option<String>,
    minutes: i64,
) -> HttpResponse {
    let detail = detail.unwrap_or_else(|| message(req, body_key, minutes));
    problem_document(status, message(req, title_key, minutes), detail, req.path())
}

fn problem_document(status: StatusCode, title: String, detail: String, path: &str) -> HttpResponse {
    let problem = Problem {
        kind: "about:blank".into(),
        title,
        status: status.as_u16(),
        detail,
        instance: path.to_string(),
    };
    // through a `Value`, whose keys are sorted: the bytes stay what clients have always seen
    let body = serde_json::to_value(&problem).map_or_else(|_| String::new(), |v| v.to_string());
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body)
}

fn html_page(
    req: &HttpRequest,
    status: StatusCode,
    title_key: &str,
    body_key: &str,
    detail: Option<String>,
    minutes: i64,
) -> HttpResponse {
    let rendered = AppState::get(req).map(|s| &s.views).map(|views| {
        views.render(
            req,
            "pages/error",
            json!({
                "status": status.as_u16(),
                "title_key": title_key,
                "body_key": body_key,
                "detail": detail,
                "minutes": minutes,
            }),
        )
    });
    match rendered {
        Some(Ok(body)) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Some(Err(e)) => {
            tracing::error!(error = %e, "the error page itself failed to render");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ))
        }
        None => HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(status.canonical_reason().unwrap_or("error")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Refusal {
        TooLong,
    }

    crate::domain_error!(TestError, Refusal);

    fn refuse(long: bool) -> Result<u8, TestError> {
        if long {
            Err(Refusal::TooLong)?;
        }
        Err(diesel::result::Error::NotFound)?
    }

    #[test]
    fn a_domain_error_is_a_refusal_to_show_or_a_database_failure() {
        assert_eq!(
            refuse(true).unwrap_err().refusal().unwrap(),
            Refusal::TooLong
        );
        let db = refuse(false).unwrap_err().refusal().unwrap_err();
        assert!(matches!(db, AppError::Db(DbError::Query(_))), "{db:?}");
    }

    #[test]
    fn a_problem_document_keeps_its_field_names_and_order() {
        let res = problem_document(StatusCode::NOT_FOUND, "T".into(), "D".into(), "/x");
        let bytes = actix_web::rt::System::new()
            .block_on(actix_web::body::to_bytes(res.into_body()))
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"detail":"D","instance":"/x","status":404,"title":"T","type":"about:blank"}"#
        );
    }
}
