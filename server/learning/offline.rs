//! Reading offline: what a device must store to read an enrolled course without a connection
//! (`GET /api/v1/courses/{slug}/offline`), and the notice the service worker shows for pages that
//! need the network (`GET /offline`, both in [`super::offline_routes`]). The storing itself happens
//! in the browser (web/static/app.js, web/static/sw.js).

use serde::Serialize;

use super::{enroll, store};
use crate::catalog::folder::asset_url;
use crate::db::{DbConnection, DbError};

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

/// The plan for `user_id`'s enrollment in `slug`; None when not enrolled. `shared_assets` are the
/// current URLs of [`SHARED_ASSETS`].
pub fn plan(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
    shared_assets: Vec<String>,
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
    shared.extend(shared_assets);
    Ok(Some(OfflinePlan {
        slug: slug.to_string(),
        version,
        modules: module_slugs.len(),
        urls,
        shared,
    }))
}
