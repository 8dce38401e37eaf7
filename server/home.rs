//! `GET /`: the home page. For a visitor: what Cakap is, the yearly 20 JP, and the catalog's
//! highlights.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::catalog::store;
use crate::error::AppError;
use crate::web::state::Ctx;

/// How many courses the home page shows.
const HIGHLIGHTS: usize = 4;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

async fn home(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let mut courses = ctx
        .db
        .run(|conn| Ok::<_, AppError>(store::catalog(conn)?))
        .await?;
    let total = courses.len();
    courses.truncate(HIGHLIGHTS);
    ctx.page(
        "pages/home",
        json!({ "min_jp": 20, "courses": courses, "more": total > HIGHLIGHTS, "total": total }),
    )
}
