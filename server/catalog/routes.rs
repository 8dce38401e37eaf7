//! Catalog, course and module pages, course assets, and the courses API.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::search::{self, Query, JP_BANDS};
use super::store::{self, Which};
use crate::db::Db;
use crate::error::AppError;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses", web::get().to(catalog_page))
        .route("/courses/{slug}", web::get().to(course_page))
        .route(
            "/courses/{slug}/versions/{hash}",
            web::get().to(course_version_page),
        )
        .route(
            "/courses/{slug}/versions/{hash}/{module}",
            web::get().to(module_version_page),
        )
        .route("/courses/{slug}/{module}", web::get().to(module_page))
        .route("/assets/{hash}/{name}", web::get().to(asset))
        .route("/api/v1/courses", web::get().to(api_catalog))
        .route("/api/v1/courses/{slug}", web::get().to(api_course));
}

async fn catalog_page(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let (entries, dictionary) = db
        .run(|conn| Ok::<_, AppError>((store::catalog(conn)?, store::dictionary(conn)?)))
        .await?;
    let query = query.into_inner();
    let found = search::filter(&entries, &query);
    let lang = Lang::of(&req);
    let competencies: Vec<_> = dictionary
        .iter()
        .map(|(code, name, kind)| {
            json!({"code": code, "name": name, "kind": kind,
                   "selected": query.competency.as_deref() == Some(code.as_str())})
        })
        .collect();
    let kinds: Vec<_> = ["manajerial", "sosial-kultural", "teknis"]
        .iter()
        .map(|k| json!({"code": k, "label_key": format!("competency.kind.{k}"), "selected": query.kind.as_deref() == Some(*k)}))
        .collect();
    let bands: Vec<_> = JP_BANDS
        .iter()
        .map(|(k, _, _)| json!({"code": k, "label_key": format!("catalog.jp_band.{k}"), "selected": query.jp.as_deref() == Some(*k)}))
        .collect();
    views.page(
        &req,
        "pages/catalog",
        json!({
            "courses": found,
            "count": found.len(),
            "total": entries.len(),
            "filtered": !query.is_empty(),
            "q": query.q.clone().unwrap_or_default(),
            "competencies": competencies,
            "kinds": kinds,
            "bands": bands,
            "lang_code": lang.code(),
        }),
    )
}

async fn course_page(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    render_course(&req, &db, &views, path.into_inner(), Which::Current).await
}

async fn course_version_page(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, hash) = path.into_inner();
    render_course(&req, &db, &views, slug, Which::Hash(hash)).await
}

async fn render_course(
    req: &HttpRequest,
    db: &Db,
    views: &Views,
    slug: String,
    which: Which,
) -> Result<HttpResponse, AppError> {
    let course = db
        .run(move |conn| Ok::<_, AppError>(store::course(conn, &slug, &which)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = Lang::of(req);
    let published = crate::text::date(course.published_at.date(), lang);
    views.page(
        req,
        "pages/course",
        json!({
            "course": course,
            "short_hash": &course.hash[..12],
            "published": published,
            "hours": format_hours(course.total_minutes),
            "first_module": course.modules.first(),
            "module_count": course.modules.len(),
        }),
    )
}

async fn module_page(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    render_module(&req, &db, &views, slug, module, Which::Current).await
}

async fn module_version_page(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, hash, module) = path.into_inner();
    render_module(&req, &db, &views, slug, module, Which::Hash(hash)).await
}

async fn render_module(
    req: &HttpRequest,
    db: &Db,
    views: &Views,
    slug: String,
    module: String,
    which: Which,
) -> Result<HttpResponse, AppError> {
    let view = db
        .run(move |conn| Ok::<_, AppError>(store::module(conn, &slug, &module, &which)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let base = if view.is_current {
        format!("/courses/{}", view.course_slug)
    } else {
        format!(
            "/courses/{}/versions/{}",
            view.course_slug,
            &view.hash[..12]
        )
    };
    let toc: Vec<&serde_json::Value> = view
        .headings
        .as_array()
        .map(|h| h.iter().filter(|h| h["level"] == 2).collect())
        .unwrap_or_default();
    views.page(
        req,
        "pages/module",
        json!({
            "module": view,
            "base": base,
            "toc": toc,
            "has_toc": toc.len() >= 2,
            "short_hash": &view.hash[..12],
            "progress_pct": view.position * 100 / view.total.max(1),
        }),
    )
}

/// `GET /assets/{hash}/{name}`: content-addressed, cached forever. SVG may carry script, so it
/// is served under a sandboxing Content-Security-Policy.
async fn asset(
    db: web::Data<Db>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (hash, _name) = path.into_inner();
    let (content_type, bytes) = db
        .run(move |conn| Ok::<_, AppError>(store::asset(conn, &hash)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CONTENT_TYPE, content_type.clone()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if content_type.starts_with("image/svg") {
        resp.insert_header((
            "Content-Security-Policy",
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        ));
    } else if !content_type.starts_with("image/")
        && !content_type.starts_with("audio/")
        && !content_type.starts_with("video/")
    {
        resp.insert_header((header::CONTENT_DISPOSITION, "attachment"));
    }
    Ok(resp.body(bytes))
}

async fn api_catalog(
    db: web::Data<Db>,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let entries = db
        .run(|conn| Ok::<_, AppError>(store::catalog(conn)?))
        .await?;
    let found = search::filter(&entries, &query);
    Ok(HttpResponse::Ok().json(json!({ "courses": found, "count": found.len() })))
}

async fn api_course(db: web::Data<Db>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let course = db
        .run(move |conn| Ok::<_, AppError>(store::course(conn, &slug, &Which::Current)?))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(course))
}

/// `135` → `2 jam 15 menit`-style parts for templates: (hours, minutes).
fn format_hours(total_minutes: i32) -> serde_json::Value {
    json!({"h": total_minutes / 60, "m": total_minutes % 60})
}
