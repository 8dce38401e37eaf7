//! Page pieces several features' handlers share.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, Route};
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
