//! Page pieces several features' handlers share.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, Route};
use serde_json::json;

use super::policy::AdminOf;
use super::redirect;
use super::state::Ctx;
use crate::accounts::orgs;
use crate::error::AppError;

/// `/admin/{section}` without an agency: an agency admin goes straight to their agency's page
/// (`/admin/agencies/{id}/{section}`); a platform admin picks an agency from `template`.
async fn choose_agency(
    ctx: &Ctx,
    me: &AdminOf,
    section: &str,
    template: &str,
) -> Result<HttpResponse, AppError> {
    if let Some(id) = me.agency() {
        return Ok(redirect(&format!("/admin/agencies/{id}/{section}")));
    }
    let agencies = ctx
        .db
        .run(|conn| Ok::<_, AppError>(orgs::agencies(conn)?))
        .await?;
    ctx.html(StatusCode::OK, template, json!({ "agencies": agencies }))
}

/// The route of `/admin/{section}` without an agency (see [`choose_agency`]).
pub fn choose_agency_route(section: &'static str, template: &'static str) -> Route {
    web::get().to(move |ctx: Ctx, me: AdminOf| async move {
        choose_agency(&ctx, &me, section, template).await
    })
}

/// A form page as shown: fresh (what is stored, no refusal: `200`), or again after a refused
/// change with what was typed and why (`422`). As an extractor it is the fresh page, so the
/// page's view serves its `GET` route and its form's refusals alike.
pub struct Shown<F> {
    /// What was typed, when shown again after a refusal.
    pub form: Option<F>,
    /// The refusal, in words.
    pub error: Option<String>,
}

impl<F> Shown<F> {
    pub fn fresh() -> Self {
        Shown {
            form: None,
            error: None,
        }
    }

    /// Shown again after a refusal, with what was typed (if it is to be kept).
    pub fn refused(form: Option<F>, error: String) -> Self {
        Shown {
            form,
            error: Some(error),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self.error {
            Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
            None => StatusCode::OK,
        }
    }
}

impl<F> FromRequest for Shown<F> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Shown::fresh()))
    }
}
