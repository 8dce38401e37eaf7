//! What every page shares: templates, messages, static assets, security headers, the language switch.

pub mod assets;
pub mod auth;
pub mod client;
pub mod compress;
pub mod csrf;
pub mod error_pages;
pub mod etag;
pub mod i18n;
pub mod json_body;
pub mod limits;
pub mod nul;
pub mod pages;
pub mod policy;
pub mod security;
pub mod state;
pub mod views;
pub mod year;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{http::header, web, HttpResponse};
use serde::Deserialize;

pub use assets::Assets;
pub use i18n::{I18n, Lang};
pub use views::Views;

use crate::error::AppError;
use state::Ctx;

/// "Now" (UTC) for a request: the app's [`crate::clock::Clock`] — the system clock, or the
/// fixed one a test built the app with.
pub fn now(req: &actix_web::HttpRequest) -> chrono::NaiveDateTime {
    state::AppState::get(req)
        .map(|s| s.now())
        .unwrap_or_else(|| chrono::Utc::now().naive_utc())
}

/// `303 See Other` to `to`: where a form goes after it changed something.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// A rendered page with this status that no cache keeps (admin and account pages).
pub fn html(
    views: &Views,
    req: &actix_web::HttpRequest,
    status: actix_web::http::StatusCode,
    name: &str,
    data: serde_json::Value,
) -> Result<HttpResponse, AppError> {
    let parts = compress::Parts::whole(views.render(req, name, data)?);
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    Ok(compress::page(req, builder, &parts, false))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{name:.*}", web::get().to(assets::serve))
        .route("/sw.js", web::get().to(assets::service_worker))
        .route("/lang/{code}", web::get().to(switch_language));
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// `GET /lang/{code}?next=/path`: remember the language in a cookie and go back.
async fn switch_language(
    ctx: Ctx,
    code: web::Path<String>,
    query: web::Query<Next>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    let next = query
        .next
        .as_deref()
        .filter(|n| is_local_path(n))
        .unwrap_or("/");
    let cookie = Cookie::build(i18n::LANG_COOKIE, lang.code())
        .path("/")
        .max_age(CookieDuration::days(365))
        .same_site(SameSite::Lax)
        .secure(ctx.https)
        .http_only(true)
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next.to_string()))
        .cookie(cookie)
        .finish())
}

/// Middleware: answer `HEAD` like `GET` (link checkers and caches use it); the server sends the
/// headers only.
pub async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// The path of a request as the router matches it: percent-decoded (`/%61pi/v1` is `/api/v1`),
/// with only `%2F`, `%25` and `%2B` left encoded. Middleware that decides by path (CSRF rules for
/// the API, skips for static files) must use this, never the raw `req.path()`, or a request
/// could be routed to one place and judged as another.
pub fn routed_path(req: &actix_web::dev::ServiceRequest) -> &str {
    req.match_info().as_str()
}

/// A path on this site (`/x`), never another host (`//evil`, `/\evil`, `/\t/evil`, `https://…`).
///
/// Browsers drop tabs and line breaks from a `Location`, trim spaces and read `\` as `/`, so a
/// path passes only if it is printable ASCII without spaces or backslashes, starts with one `/`
/// and no second one follows. Anything else (control characters included, which a header cannot
/// carry) sends the caller to its default page.
pub fn is_local_path(p: &str) -> bool {
    let b = p.as_bytes();
    b.first() == Some(&b'/')
        && b.get(1) != Some(&b'/')
        && b.iter().all(|c| c.is_ascii_graphic() && *c != b'\\')
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        assert!(super::is_local_path("/courses?x=1"));
        for bad in [
            "//evil.example",
            "/\\evil",
            "https://evil.example",
            "",
            "x",
            "/a\r\nSet-Cookie: x",
            "/\t/evil.example",
            "/ /evil.example",
            " //evil.example",
            "/\u{1}",
            "/\0",
            "/\u{7f}",
            "/a\\b",
            "/\u{3000}/evil",
            "/\u{a0}",
        ] {
            assert!(!super::is_local_path(bad), "{bad}");
        }
    }
}
