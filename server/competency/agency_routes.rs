//! The agency report (`/admin/agencies/{id}/report`): JP compliance by unit, competency gaps by
//! position, course completions, and the development history per ASN as CSV for SIASN. An agency
//! admin for their own agency, a platform admin for any; the role is checked before anything is read.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::agency;
use crate::error::AppError;
use crate::web::policy::AgencyAdmin;
use crate::web::state::Ctx;
use crate::web::year::{agency_years, YearQuery, FIRST_YEAR};
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin/report",
        crate::web::pages::choose_agency_route("report", "pages/admin_agency_report_choose"),
    )
    .route("/admin/agencies/{id}/report", web::get().to(report_page))
    .route(
        "/admin/agencies/{id}/report/history.csv",
        web::get().to(history_csv),
    );
}

fn label(views: &Views, lang: Lang, prefix: &str, code: &str) -> String {
    views
        .i18n()
        .get(lang, &format!("{prefix}.{code}"))
        .unwrap_or(code)
        .to_string()
}

fn page(body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::OK)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

// ---------- the report ----------

async fn report_page(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let years = agency_years(&ctx.db, &ctx.req, agency.id, &q.year).await?;
    let (year, current) = (years.shown, years.current);
    let lang = ctx.lang;
    let id = agency.id;
    let offers = ctx.offers.clone();
    let (compliance, (gaps, content_gaps), courses) = ctx
        .db
        .run(move |conn| {
            let people = agency::people(conn, id)?;
            let offers = offers.get(conn)?;
            Ok::<_, AppError>((
                agency::load_compliance(conn, id, &people, year)?,
                agency::load_gaps(conn, id, &people, &offers)?,
                agency::load_completions(conn, &people, year)?,
            ))
        })
        .await?;
    let gaps: Vec<Value> = gaps
        .iter()
        .map(|p| {
            let lines: Vec<Value> = p
                .lines
                .iter()
                .map(|l| {
                    json!({
                        "code": l.code,
                        "name": l.name,
                        "kind": l.kind,
                        "target": l.target,
                        "below": l.below,
                        "average": l.average.map(|a| crate::text::decimal(a, 1, lang)),
                    })
                })
                .collect();
            json!({
                "id": p.position_id,
                "name": p.name,
                "kind_label": label(&ctx.views, lang, "admin.kind", &p.kind),
                "holders": p.holders,
                "short": p.lines.iter().filter(|l| l.below > 0).count(),
                "targeted": p.lines.len(),
                "lines": lines,
            })
        })
        .collect();
    let body = ctx.render(
        "pages/admin_agency_report",
        json!({
            "agency": agency,
            "year": year,
            "previous": (year > FIRST_YEAR).then_some(year - 1),
            "next": (year < current).then_some(year + 1),
            "compliance": compliance,
            "positions": gaps,
            "content_gaps": content_gaps,
            "courses": courses,
            "jp_minimum": super::jp::MINIMUM,
            "csv": format!("/admin/agencies/{id}/report/history.csv?year={year}"),
        }),
    )?;
    Ok(page(body))
}

async fn history_csv(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let year = agency_years(&ctx.db, &ctx.req, agency.id, &q.year)
        .await?
        .shown;
    let id = agency.id;
    let mut people = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(agency::people(conn, id)?))
        .await?;
    agency::history_order(&mut people);
    // streamed: the header, then each chunk of people's lines as it is read, so an agency of
    // 40,000 never has its whole history in memory (nor the client waiting for all of it)
    let head =
        agency::history_csv_head().map_err(|e| AppError::Internal(format!("history CSV: {e}")))?;
    let chunks: Vec<Vec<agency::Person>> = people
        .chunks(agency::HISTORY_CHUNK)
        .map(<[_]>::to_vec)
        .collect();
    drop(people);
    let db = ctx.db.clone();
    // SIASN's own kinds (its reference), whatever the page's language
    let issuer = ctx.config.certificates.issuer.clone();
    let lines = futures_util::stream::iter(chunks).then(move |chunk| {
        let (db, issuer) = (db.clone(), issuer.clone());
        async move {
            let rows = db
                .run(move |conn| agency::history_of(conn, &chunk, year))
                .await
                .map_err(AppError::from)?;
            let bytes = agency::history_csv_lines(&rows, &issuer)
                .map_err(|e| AppError::Internal(format!("history CSV: {e}")))?;
            Ok::<_, AppError>(web::Bytes::from(bytes))
        }
    });
    let body =
        futures_util::stream::once(std::future::ready(Ok(web::Bytes::from(head)))).chain(lines);
    let code = crate::text::file_safe(&agency.code);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"riwayat-pengembangan-{code}-{year}.csv\""),
        ))
        .streaming(body))
}
