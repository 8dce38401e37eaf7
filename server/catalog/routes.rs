//! The catalog page and its API, and course assets. The course and module pages (and their API)
//! show the learner's place in the course, so they are `crate::learning::course_routes`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::search::{self, Query, JP_BANDS};
use super::store;
use crate::error::AppError;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses", web::get().to(catalog_page))
        .route("/assets/{hash}/{name}", web::get().to(asset))
        .route("/api/v1/courses", web::get().to(api_catalog));
}

async fn catalog_page(ctx: Ctx, query: web::Query<Query>) -> Result<HttpResponse, AppError> {
    let (entries, dictionary, partners) = ctx
        .db
        .run(|conn| {
            Ok::<_, AppError>((
                store::catalog(conn)?,
                store::dictionary(conn)?,
                crate::accounts::partners::list(conn)?,
            ))
        })
        .await?;
    let query = query.into_inner();
    let found = search::filter(&entries, &query);
    let lang = ctx.lang;
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
    // Only partners that provide a course in the catalog are worth offering.
    let providers: Vec<_> = partners
        .iter()
        .filter(|p| {
            entries
                .iter()
                .any(|e| e.provider.as_ref().is_some_and(|x| x.code == p.code))
        })
        .map(|p| {
            json!({"code": p.code, "name": p.name,
                   "selected": query.provider.as_deref().map(str::trim) == Some(p.code.as_str())})
        })
        .collect();
    // the cards of the whole catalog are the same for everyone reading in one language: kept
    // compressed (a search's are compressed inline)
    let cards = ctx.render("catalog_cards", json!({ "courses": found }))?;
    let mut shared = crate::web::compress::Shared::default();
    let cards = match query.is_empty() {
        true => shared.mark(ctx.pieces.get("catalog", lang as i64, &cards)),
        false => cards,
    };
    ctx.page_of(
        "pages/catalog",
        json!({
            "cards": cards,
            "count": found.len(),
            "total": entries.len(),
            "filtered": !query.is_empty(),
            "q": query.q.clone().unwrap_or_default(),
            "competencies": competencies,
            "kinds": kinds,
            "bands": bands,
            "providers": providers,
            "lang_code": lang.code(),
        }),
        &shared,
    )
}

/// `GET /assets/{hash}/{name}`: content-addressed, cached forever, and answered `304 Not
/// Modified` (without touching the database) when the browser names the hash it has. SVG may
/// carry script, so it is served under a sandboxing Content-Security-Policy.
async fn asset(ctx: Ctx, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (hash, _name) = path.into_inner();
    let etag = format!("\"{hash}\"");
    let known = ctx
        .req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| crate::web::etag::matches(v, &etag));
    if known && hash.len() >= 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .finish());
    }
    let (content_type, bytes) = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(store::asset(conn, &hash)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CONTENT_TYPE, content_type.clone()))
        .insert_header((header::ETAG, etag))
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

/// The catalog as the API lists it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CatalogPage {
    pub courses: Vec<store::CatalogEntry>,
    /// How many courses matched.
    pub count: usize,
}

/// List the published courses (their current versions), optionally filtered.
#[utoipa::path(
    get,
    path = "/api/v1/courses",
    tag = "catalog",
    params(
        ("q" = Option<String>, Query, description = "Words to find in the title, summary and tags"),
        ("competency" = Option<String>, Query, description = "A competency code"),
        ("kind" = Option<String>, Query, description = "A competency kind: manajerial, sosial-kultural, teknis"),
        ("jp" = Option<String>, Query, description = "A JP band: 1-4, 5-8, 9-"),
        ("provider" = Option<String>, Query, description = "A partner institution's code: only the courses it provides"),
    ),
    responses(
        (status = 200, description = "The matching courses", body = CatalogPage),
        (status = 400, description = "A malformed query", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn api_catalog(
    ctx: Ctx,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let entries = ctx
        .db
        .run(|conn| Ok::<_, AppError>(store::catalog(conn)?))
        .await?;
    let found = search::filter(&entries, &query);
    let count = found.len();
    Ok(HttpResponse::Ok().json(CatalogPage {
        courses: found.into_iter().cloned().collect(),
        count,
    }))
}
