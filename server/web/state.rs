//! The one application state and the request context handlers take.
//!
//! [`AppState`] is built once at start-up and registered once: configuration, the database,
//! templates, keys, mail and the caches. A handler takes [`Ctx`] (the request, the state and the
//! request's language) plus its proofs of rights, path and form — instead of one extractor per
//! piece of state.

use std::future::{ready, Ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde_json::Value;

use super::{Assets, Lang, Views};
use crate::certificates::lookups::Lookups;
use crate::certificates::Issuer;
use crate::competency::store::OffersCache;
use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use crate::mail::{MailTemplates, Mailer};
use crate::secrets::Secrets;

/// Everything a request may need that lives as long as the server.
#[derive(Clone)]
pub struct AppState {
    pub db: web::Data<Db>,
    pub config: web::Data<Config>,
    pub secrets: web::Data<Secrets>,
    /// Whether the public address is `https://` (cookies are `Secure` then).
    pub https: bool,
    pub views: web::Data<Views>,
    pub assets: web::Data<Assets>,
    pub mail_templates: web::Data<MailTemplates>,
    pub mailer: web::Data<Mailer>,
    /// Signs the certificates this server issues.
    pub issuer: web::Data<Issuer>,
    /// Certificate lookups per client address (the verification page's limiter).
    pub lookups: web::Data<Lookups>,
    /// The catalogue of courses on offer, held briefly (profile recommendations).
    pub offers: web::Data<OffersCache>,
    /// What pages share with everyone (a module's body), compressed once and kept.
    pub pieces: web::Data<super::compress::Pieces>,
    /// The published versions' outlines read so far.
    pub outlines: web::Data<crate::catalog::outline::Outlines>,
    /// What follows a course completion (evidence, certificate, milestones), built once with
    /// the issuer (`crate::hooks::on_completed`).
    pub on_completed: crate::learning::completion::OnCompleted,
}

impl AppState {
    /// The state of the app serving `req` (registered once in `startup.rs`).
    pub fn of(req: &HttpRequest) -> Result<&AppState, AppError> {
        req.app_data::<web::Data<AppState>>()
            .map(|s| s.get_ref())
            .ok_or_else(|| AppError::Internal("the application state is not registered".into()))
    }

    /// The state, where a request may come without one (error pages rendered by the middleware).
    pub fn get(req: &HttpRequest) -> Option<&AppState> {
        req.app_data::<web::Data<AppState>>().map(|s| s.get_ref())
    }

    /// "Now" (UTC): the app's clock — the system clock, or the fixed one a test built the app with.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.config.clock.now()
    }
}

/// What a handler works with: the request, the application state, the request's language.
pub struct Ctx {
    pub req: HttpRequest,
    pub state: web::Data<AppState>,
    pub lang: Lang,
}

impl Deref for Ctx {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.state
    }
}

impl Ctx {
    /// A template rendered for this request (its language, session, CSRF token).
    pub fn render(&self, name: &str, data: Value) -> Result<String, AppError> {
        self.views.render(&self.req, name, data)
    }

    /// A `200 OK` page that caches may keep per cookie and language.
    pub fn page(&self, name: &str, data: Value) -> Result<HttpResponse, AppError> {
        self.views.page(&self.req, name, data)
    }

    /// [`Ctx::page`] whose data holds the markers of `shared` pieces.
    pub fn page_of(
        &self,
        name: &str,
        data: Value,
        shared: &super::compress::Shared,
    ) -> Result<HttpResponse, AppError> {
        self.views.page_of(&self.req, name, data, shared)
    }

    /// A page with this status that no cache keeps (admin and account pages).
    pub fn html(
        &self,
        status: StatusCode,
        name: &str,
        data: Value,
    ) -> Result<HttpResponse, AppError> {
        super::html(&self.views, &self.req, status, name, data)
    }

    /// "Now" (UTC) by the app's clock.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.state.now()
    }
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = Ready<Result<Ctx, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| AppError::Internal("the application state is not registered".into()));
        ready(match state {
            Ok(state) => Ok(Ctx {
                req: req.clone(),
                state,
                lang: Lang::of(req),
            }),
            Err(e) => Err(e.into()),
        })
    }
}
