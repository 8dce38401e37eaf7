//! Reading offline: what a device must store to read an enrolled course without a connection
//! (`GET /api/v1/courses/{slug}/offline`), and the notice the service worker shows for pages that
//! need the network (`GET /offline`). The storing itself happens in the browser (web/static/app.js,
//! web/static/sw.js).

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::{enroll, store};
use crate::catalog::folder::asset_url;
use crate::db::{DbConnection, DbError};
use crate::error::AppError;
use crate::web::assets::Assets;
use crate::web::auth::CurrentUser;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/offline", web::get().to(notice))
        .route("/api/v1/courses/{slug}/offline", web::get().to(plan_api));
}

/// The static files every saved page needs.
pub const SHARED_ASSETS: &[&str] = &[
    "app.css",
    "app.js",
    "favicon.svg",
    "manifest.webmanifest",
    "icon-192.png",
];

/// What to store for one course, for the version the learner is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OfflinePlan {
    pub slug: String,
    /// The content hash of the learner's version (a saved copy of another version is outdated).
    pub version: String,
    /// Modules that can be read offline (lessons, and quiz descriptions; quizzes themselves stay
    /// online-only).
    pub modules: usize,
    /// The course page, every module page and every asset of the version.
    pub urls: Vec<String>,
    /// Pages and files shared by every saved course: the dashboard, CSS, JS, icons.
    pub shared: Vec<String>,
}

/// The plan for `user_id`'s enrollment in `slug`; None when not enrolled.
pub fn plan(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
    assets: &Assets,
) -> Result<Option<OfflinePlan>, DbError> {
    let Some(e) = enroll::of_user(conn, user_id, slug)? else {
        return Ok(None);
    };
    let version = store::version_hash(conn, e.version_id)?;
    let module_slugs = store::module_slugs(conn, e.version_id)?;
    let files = store::version_assets(conn, e.version_id)?;
    let mut urls = vec![format!("/courses/{slug}")];
    urls.extend(module_slugs.iter().map(|m| format!("/courses/{slug}/{m}")));
    urls.extend(files.iter().map(|(path, hash)| asset_url(hash, path)));
    let mut shared = vec!["/me".to_string()];
    shared.extend(SHARED_ASSETS.iter().filter_map(|a| assets.url(a)));
    Ok(Some(OfflinePlan {
        slug: slug.to_string(),
        version,
        modules: module_slugs.len(),
        urls,
        shared,
    }))
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
    let assets = ctx.assets.clone().into_inner();
    let plan = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(plan(conn, user, &slug, &assets)?))
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok(HttpResponse::Ok().json(plan))
}

/// `GET /offline`: the notice for a page that is not saved or needs the network. The service
/// worker fetches it without cookies, so it never holds anyone's data.
async fn notice(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.page("pages/offline", serde_json::json!({}))
}
