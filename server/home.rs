//! `GET /`: the home page. For a visitor: what Cakap is, the yearly 20 JP, and the catalog's
//! highlights.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::catalog::store;
use crate::db::Db;
use crate::error::AppError;
use crate::web::Views;

/// How many courses the home page shows.
const HIGHLIGHTS: usize = 4;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

async fn home(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
) -> Result<HttpResponse, AppError> {
    let mut courses = db
        .run(|conn| Ok::<_, AppError>(store::catalog(conn)?))
        .await?;
    let total = courses.len();
    courses.truncate(HIGHLIGHTS);
    views.page(
        &req,
        "pages/home",
        json!({ "min_jp": 20, "courses": courses, "more": total > HIGHLIGHTS, "total": total }),
    )
}
