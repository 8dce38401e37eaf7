//! `/author/content-gaps`: competency gaps of ASN in every agency that no published course
//! addresses ("kesenjangan tanpa kursus") — where authors should write next. Counts only, no
//! names, so any author may see it. An agency's own list is a section of its report.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::agency;
use crate::error::AppError;
use crate::web::policy::Author;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/author/content-gaps", web::get().to(content_gaps_page));
}

async fn content_gaps_page(ctx: Ctx, _author: Author) -> Result<HttpResponse, AppError> {
    let offers = ctx.offers.clone();
    let gaps = ctx
        .db
        .run(move |conn| {
            let offers = offers.get(conn)?;
            Ok::<_, AppError>(agency::all_content_gaps(conn, &offers)?)
        })
        .await?;
    ctx.page("pages/author_content_gaps", json!({ "content_gaps": gaps }))
}
