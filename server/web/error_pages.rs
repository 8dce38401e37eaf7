//! Error responses as people and clients get them: every error response (from a handler, an
//! extractor, a middleware, or a path no route matches) becomes an Indonesian (or English) page
//! that says what to do next, or `application/problem+json` for API paths and JSON clients. The
//! status and message keys come from [`AppError`].

use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::state::AppState;
use crate::error::{AppError, Problem};
use crate::i18n::Lang;

/// The middleware that turns every error response into a page or a problem document.
pub fn handlers<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

/// Middleware, inside [`handlers`]: a refusal a middleware returns as an error (CSRF, a bad bearer
/// token) skips [`render`] and would reach the client as the bare `text/plain` of
/// `AppError::error_response`. For API paths and JSON clients it becomes a problem document here.
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
