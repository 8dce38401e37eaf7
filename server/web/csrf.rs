//! CSRF protection: a random token in a cookie, echoed by every form (hidden field `csrf`) and by
//! cookie-authenticated API calls (header `X-CSRF-Token`); a request from another site cannot
//! read the cookie, so it cannot echo it. Unsafe requests whose `Origin` is another site are
//! refused outright.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::AppError;

pub const COOKIE: &str = "cakap_csrf";
pub const HEADER: &str = "X-CSRF-Token";

/// The request's CSRF token (from its cookie, or new).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn valid_shape(t: &str) -> bool {
    t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit())
}

fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Constant-time comparison.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether the request's `Origin` (when sent) is this site.
fn same_origin(req: &ServiceRequest) -> bool {
    let Some(origin) = req.headers().get("origin").and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == "null" {
        return false;
    }
    let host = req.connection_info().host().to_string();
    url::Url::parse(origin)
        .ok()
        .map(|u| {
            let o = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_string(),
            };
            o.eq_ignore_ascii_case(&host)
        })
        .unwrap_or(false)
}

/// Middleware: make sure every page has a token to put in its forms; refuse cross-site unsafe
/// requests.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let unsafe_method = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    if unsafe_method && !same_origin(&req) {
        return Err(AppError::Csrf.into());
    }
    let path = super::routed_path(&req);
    if path.starts_with("/static/") || path.starts_with("/assets/") || path == "/healthz" {
        return next.call(req).await;
    }
    let existing = req
        .cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| valid_shape(t));
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (new_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let https = super::state::AppState::get(req.request())
        .map(|s| s.https)
        .unwrap_or(false);
    let mut res = next.call(req).await?;
    if fresh {
        let cookie = Cookie::build(COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(https)
            .same_site(SameSite::Lax)
            .finish();
        let _ = res.response_mut().add_cookie(&cookie);
    }
    Ok(res)
}

/// The token a request must echo: its cookie.
pub fn expected(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| valid_shape(t))
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// A urlencoded form whose `csrf` field matched the cookie. Use it for every state-changing form.
pub struct CsrfForm<T>(pub T);

/// The fields of a form that carries nothing but its CSRF token (a button that acts):
/// `CsrfForm<NoFields>`.
#[derive(Deserialize, Default)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let urlencoded = req.content_type() == "application/x-www-form-urlencoded";
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            if !urlencoded {
                return Err(AppError::BadRequest(
                    "send the form as application/x-www-form-urlencoded".into(),
                )
                .into());
            }
            let body = body.await?;
            // NUL characters out (PostgreSQL cannot store them: `crate::web::nul`)
            let form: WithCsrf<T> =
                serde_urlencoded::from_bytes(&crate::web::nul::drop_from_form(&body))
                    .map_err(|e| AppError::BadRequest(crate::text::one_line(&e.to_string())))?;
            match expected(&req) {
                Some(t) if same(&t, form.csrf.trim()) => Ok(CsrfForm(form.form)),
                _ => Err(AppError::Csrf.into()),
            }
        })
    }
}

/// For cookie-authenticated API requests that change state: the header must match the cookie.
pub fn check_header(req: &ServiceRequest) -> bool {
    let sent = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let cookie = req
        .cookie(COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    valid_shape(&cookie) && same(&cookie, sent)
}
