//! Reading offline over HTTP: `GET /api/v1/courses/{slug}/offline` answers what a device must store
//! (see [`super::offline`]); `GET /offline` is the notice the service worker shows for pages that
//! need the network.

use actix_web::{web, HttpResponse};

use super::offline::{plan, OfflinePlan, SHARED_ASSETS};
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/offline", web::get().to(notice))
        .route("/api/v1/courses/{slug}/offline", web::get().to(plan_api));
}

#[utoipa::path(
    get,
    path = "/api/v1/courses/{slug}/offline",
    tag = "learning",
    params(("slug" = String, Path, description = "The course's slug")),
    responses(
        (status = 200, description = "What to store to read the course offline", body = OfflinePlan),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled in this course", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn plan_api(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (user, slug) = (me.id, path.into_inner());
    let shared: Vec<String> = SHARED_ASSETS
        .iter()
        .filter_map(|a| ctx.assets.url(a))
        .collect();
    let plan = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(plan(conn, user, &slug, shared)?))
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok(HttpResponse::Ok().json(plan))
}

/// `GET /offline`: the notice for a page that is not saved or needs the network. The service
/// worker fetches it without cookies, so it never holds anyone's data.
async fn notice(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.page("pages/offline", serde_json::json!({"no_account": true}))
}
