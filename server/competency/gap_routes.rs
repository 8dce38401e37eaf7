//! `/author/content-gaps`: competency gaps of ASN in every agency that no published course
//! addresses ("kesenjangan tanpa kursus") — where authors should write next. Counts only, no
//! names, so any author may see it. An agency's own list is a section of its report.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::agency;
use super::store::OffersCache;
use crate::db::Db;
use crate::error::AppError;
use crate::web::policy::Author;
use crate::web::Views;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/author/content-gaps", web::get().to(content_gaps_page));
}

async fn content_gaps_page(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
    offers: web::Data<OffersCache>,
    _author: Author,
) -> Result<HttpResponse, AppError> {
    let gaps = db
        .run(move |conn| {
            let offers = offers.get(conn)?;
            Ok::<_, AppError>(agency::all_content_gaps(conn, &offers)?)
        })
        .await?;
    views.page(
        &req,
        "pages/author_content_gaps",
        json!({ "content_gaps": gaps }),
    )
}
