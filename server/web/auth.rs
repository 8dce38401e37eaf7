//! Who is asking: the session middleware resolves a session token (cookie or bearer) into the
//! user once per request; handlers take [`CurrentUser`] (must be logged in) or [`MaybeUser`].

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use chrono::Utc;

use super::state::AppState;
use crate::accounts::session;
use crate::accounts::sessions;
use crate::accounts::users::User;
use crate::error::AppError;

/// The resolved session of a request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session record (`sessions.id`) the token names.
    pub id: String,
    pub user: Arc<User>,
    /// Authenticated by an `Authorization: Bearer` header (an API client), not a cookie.
    pub bearer: bool,
    /// Someone names this user as their supervisor.
    pub is_supervisor: bool,
}

fn token_of(req: &ServiceRequest) -> Option<(String, bool)> {
    if let Some(auth) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
        {
            return Some((t.trim().to_string(), true));
        }
    }
    req.cookie(session::COOKIE)
        .map(|c| (c.value().to_string(), false))
}

/// The session record of the request, if it is logged in.
pub fn session_of(req: &HttpRequest) -> Option<Session> {
    req.extensions().get::<Session>().cloned()
}

/// Middleware: resolve the session, if any. A stale cookie (logged out, ended from another
/// device, logged out everywhere, password or roles changed, account disabled) is removed.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // decisions by path use the path the router matches (percent-decoded), never the raw text:
    // `/%61pi/v1/…` is routed to `/api/v1/…` and must be treated as it
    let path = super::routed_path(&req);
    if path.starts_with("/static/") || path.starts_with("/assets/") || path == "/healthz" {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let is_api = path.starts_with("/api/");
    let mut stale_cookie = false;
    if let Some((token, bearer)) = token_of(&req) {
        let state = AppState::get(req.request());
        let key = state.map(|s| s.secrets.session_key.clone());
        let db = state.map(|s| s.db.clone());
        let claims = key.and_then(|k| session::verify(&k, &token));
        let user = match (claims, db) {
            (Some(c), Some(db)) => {
                let sid = c.session_id.clone();
                // one indexed lookup: the session row by id, joined to its user by id
                let found = db
                    .read(move |conn| sessions::resolve(conn, &c.session_id, c.user_id))
                    .await
                    .map_err(AppError::from)?;
                if let Some(r) = &found {
                    // "last used" is written at most every few minutes, not per request
                    if Utc::now().naive_utc() - r.last_used_at > sessions::TOUCH_EVERY {
                        let sid = sid.clone();
                        db.run(move |conn| sessions::touch(conn, &sid))
                            .await
                            .map_err(AppError::from)?;
                    }
                }
                found.map(|r| (r.user, r.is_supervisor, sid))
            }
            _ => None,
        };
        match user {
            Some((user, is_supervisor, id)) => {
                let unsafe_method = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
                if !bearer && unsafe_method && is_api && !super::csrf::check_header(&req) {
                    // a response, not an `Err`: the error handlers then answer it as the
                    // rest of the API does (problem+json)
                    return Ok(req.error_response(AppError::Csrf).map_into_right_body());
                }
                req.extensions_mut().insert(Session {
                    id,
                    user: Arc::new(user),
                    bearer,
                    is_supervisor,
                });
            }
            None if bearer => {
                return Ok(req
                    .error_response(AppError::Unauthorized)
                    .map_into_right_body())
            }
            None => stale_cookie = true,
        }
    }
    let mut res = next.call(req).await?;
    if stale_cookie {
        let _ = res.response_mut().add_cookie(&removal_cookie());
    }
    Ok(res.map_into_left_body())
}

/// The session cookie for a token.
pub fn session_cookie(token: String, https: bool) -> Cookie<'static> {
    Cookie::build(session::COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(session::LIFETIME.num_seconds()))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn removal_cookie() -> Cookie<'static> {
    let mut c = Cookie::build(session::COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    c.make_removal();
    c
}

/// The logged-in user; otherwise the request fails with `Unauthorized` (login page or 401).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Arc<User>);

impl std::ops::Deref for CurrentUser {
    type Target = User;
    fn deref(&self) -> &User {
        &self.0
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Session>()
                .map(|s| CurrentUser(s.user.clone()))
                .ok_or_else(|| AppError::Unauthorized.into()),
        )
    }
}

/// The logged-in user, if any.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Arc<User>>);

impl FromRequest for MaybeUser {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeUser(
            req.extensions().get::<Session>().map(|s| s.user.clone()),
        )))
    }
}
