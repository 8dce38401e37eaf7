//! `GET /`: the home page. For now the visitor's view: what Cakap is and the yearly 20 JP.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::error::AppError;
use crate::web::Views;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

async fn home(req: HttpRequest, views: web::Data<Views>) -> Result<HttpResponse, AppError> {
    views.page(&req, "pages/home", json!({ "min_jp": 20 }))
}
