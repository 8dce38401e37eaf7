//! The training budget over HTTP: `/admin/agencies/{id}/budget` (set the year's budget, spending by
//! unit and kind, cost per JP and per person, ASN below target, cost corrections), its CSV export,
//! `GET /api/v1/agencies/{id}/budget`, and course fees for platform admins (`/admin/courses/fees`).
//! An agency admin for their own agency, a platform admin for any (checked before anything is read,
//! as in the agency report).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::budget::{self, Report};
use crate::accounts::orgs::Agency;
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::policy::{AgencyAdmin, PlatformAdmin};
use crate::web::redirect;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::year::{agency_years, YearQuery, Years, FIRST_YEAR, LAST_YEAR};
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin/budget",
        crate::web::pages::choose_agency_route("budget", "pages/admin_budget_choose"),
    )
    .route("/admin/agencies/{id}/budget", web::get().to(budget_page))
    .route("/admin/agencies/{id}/budget", web::post().to(set_budget))
    .route("/admin/agencies/{id}/budget.csv", web::get().to(budget_csv))
    .route(
        "/admin/agencies/{id}/budget/activities/{activity_id}/cost",
        web::post().to(set_cost),
    )
    .route("/api/v1/agencies/{id}/budget", web::get().to(budget_api))
    .route("/admin/courses/fees", web::get().to(fees_page))
    .route("/admin/courses/{slug}/fee", web::post().to(set_fee));
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The name of a kind of activity, or of course fees.
fn kind_label(views: &Views, lang: Lang, kind: &str) -> String {
    let key = if kind == budget::COURSE_FEE_KIND {
        "budget.kind.kursus_berbayar".to_string()
    } else {
        format!("activities.kind.{kind}")
    };
    views.i18n().get(lang, &key).unwrap_or(kind).to_string()
}

fn money(v: Option<i64>) -> Option<String> {
    v.map(budget::rupiah)
}

/// The report as the page shows it: every amount formatted the Indonesian way.
fn report_view(r: &Report, views: &Views, lang: Lang) -> ReportView {
    let units = r
        .units
        .iter()
        .map(|u| {
            // the tree shows nesting; a narrow screen shows the parents as a small prefix
            let (parent, name) = match u.path.rsplit_once(" › ") {
                Some((p, n)) => (Some(p), n),
                None => (None, u.path.as_str()),
            };
            UnitRow {
                unit_id: u.unit_id,
                path: u.path.clone(),
                name: name.to_string(),
                parent: parent.map(str::to_string),
                depth: u.depth,
                items: u.items,
                cost: budget::rupiah(u.cost),
                cost_with_subunits: budget::rupiah(u.cost_with_subunits),
                has_subunits: u.cost_with_subunits != u.cost,
                jp_costed: u.jp_costed,
                cost_per_jp: money(u.cost_per_jp),
                costed_people: u.costed_people,
                people: u.people,
                below_target: u.below_target,
            }
        })
        .collect();
    // kinds with nothing this year are named in one line, not given a row each
    let idle: Vec<String> = r
        .kinds
        .iter()
        .filter(|k| k.items == 0 && k.cost == 0 && k.jp == 0)
        .map(|k| kind_label(views, lang, &k.kind))
        .collect();
    let kinds = r
        .kinds
        .iter()
        .filter(|k| !(k.items == 0 && k.cost == 0 && k.jp == 0))
        .map(|k| KindRow {
            kind: k.kind.clone(),
            label: kind_label(views, lang, &k.kind),
            is_fee: k.kind == budget::COURSE_FEE_KIND,
            items: k.items,
            costed_items: k.costed_items,
            jp: k.jp,
            cost: budget::rupiah(k.cost),
            spent: k.cost > 0,
            cost_per_jp: money(k.cost_per_jp),
            share: budget::permille(k.cost, r.spent).map(|p| budget::percent_text(p, lang)),
        })
        .collect();
    ReportView {
        planned: budget::rupiah(r.planned),
        planned_open: budget::rupiah(r.planned_open),
        projected: money(r.projected),
        projected_short: r.projected.is_some_and(|x| x < 0),
        budget: money(r.budget),
        has_budget: r.budget.is_some(),
        spent: budget::rupiah(r.spent),
        remaining: money(r.remaining),
        over: r.remaining.is_some_and(|x| x < 0),
        used: r.used_permille.map(|p| budget::percent_text(p, lang)),
        used_bar: r.used_permille.map(|p| p.clamp(0, 1000)),
        jp_total: r.jp_total,
        jp_costed: r.jp_costed,
        cost_per_jp: money(r.cost_per_jp),
        costed_people: r.costed_people,
        cost_per_person: money(r.cost_per_person),
        target: r.target,
        people: r.people,
        below_target: r.below_target,
        units,
        kinds,
        idle_kinds: idle.join(", "),
    }
}

/// What a form sent back with an error, to show it again.
#[derive(Default)]
struct FormState {
    amount: Option<String>,
    amount_error: Option<String>,
    cost_error: Option<(i64, String, String)>,
    done: Option<&'static str>,
}

/// The year's report, its cost lines, and the outlook of the years around it.
async fn load(
    ctx: &Ctx,
    id: i64,
    year: i32,
) -> Result<(Report, Vec<budget::CostLine>, Vec<budget::Outlook>), AppError> {
    ctx.db
        .run(move |conn| {
            // planned vs realised per year: the year shown and the two before it, and next year
            let mut years = Vec::new();
            for y in (year - 2).max(FIRST_YEAR)..=(year + 1).min(LAST_YEAR) {
                years.push(budget::outlook(conn, id, y)?);
            }
            Ok::<_, AppError>((
                budget::load(conn, id, year)?,
                budget::cost_lines(conn, id, year)?,
                years,
            ))
        })
        .await
}

/// Planned against realised, a row per year; the year shown is marked.
fn year_rows(years: &[budget::Outlook], year: i32) -> Vec<YearRow> {
    years
        .iter()
        .map(|o| YearRow {
            year: o.year,
            current: o.year == year,
            budget: money(o.budget),
            planned: budget::rupiah(o.planned),
            realised: budget::rupiah(o.realised),
            projected: money(o.projected),
            short: o.shortfall().is_some(),
        })
        .collect()
}

/// The activities whose cost may be corrected; the one a form sent back keeps what was typed.
fn cost_rows(ctx: &Ctx, lines: &[budget::CostLine], state: &FormState) -> Vec<CostRow> {
    let lang = ctx.lang;
    lines
        .iter()
        .map(|l| {
            let error = state
                .cost_error
                .as_ref()
                .filter(|(a, _, _)| *a == l.id)
                .map(|(_, typed, message)| (typed.clone(), message.clone()));
            CostRow {
                id: l.id,
                person: l.person.clone(),
                title: l.title.clone(),
                kind: kind_label(&ctx.views, lang, &l.kind),
                ended: crate::text::date(l.ended_at.date(), lang),
                jp: l.jp,
                cost: money(l.cost),
                value: error.as_ref().map(|e| e.0.clone()).unwrap_or_else(|| {
                    l.cost
                        .map(|c| budget::thousands(c.max(0) as u64))
                        .unwrap_or_default()
                }),
                error: error.map(|e| e.1),
            }
        })
        .collect()
}

async fn render(
    ctx: &Ctx,
    agency: Agency,
    shown: Years,
    state: FormState,
) -> Result<HttpResponse, AppError> {
    let (year, current) = (shown.shown, shown.current);
    let id = agency.id;
    let (report, lines, years) = load(ctx, id, year).await?;
    let lines = cost_rows(ctx, &lines, &state);
    let amount = state.amount.clone().unwrap_or_else(|| {
        report
            .budget
            .map(|b| budget::thousands(b.max(0) as u64))
            .unwrap_or_default()
    });
    let status = if state.amount_error.is_some() || state.cost_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = BudgetPage {
        agency,
        year,
        previous: (year > FIRST_YEAR).then_some(year - 1),
        next: (year < current + 1 && year < LAST_YEAR).then_some(year + 1),
        r: report_view(&report, &ctx.views, ctx.lang),
        years: year_rows(&years, year),
        line_count: lines.len(),
        costs_open: state.cost_error.is_some(),
        lines,
        amount,
        amount_error: state.amount_error,
        notice_key: state.done,
        jp_minimum: super::jp::MINIMUM,
        csv: format!("/admin/agencies/{id}/budget.csv?year={year}"),
        api: format!("/api/v1/agencies/{id}/budget?year={year}"),
    };
    let body = ctx.render("pages/admin_budget", page_data(&page)?)?;
    Ok(html(status, body))
}

// ---------- the page ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    year: String,
    done: String,
}

async fn budget_page(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let years = agency_years(&ctx.db, &ctx.req, agency.id, &q.year).await?;
    let done = match q.done.as_str() {
        "budget" => Some("budget.done.budget"),
        "cost" => Some("budget.done.cost"),
        _ => None,
    };
    let state = FormState {
        done,
        ..Default::default()
    };
    render(&ctx, agency, years, state).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BudgetForm {
    year: String,
    amount: String,
}

/// A year typed into a form: a number in the years the report accepts.
/// The API's `year`: an integer in range, written as digits alone.
fn api_year(s: &str) -> Option<i32> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| form_year(s))
        .flatten()
}

#[derive(Deserialize)]
pub(crate) struct ApiYearQuery {
    year: Option<String>,
}

fn form_year(s: &str) -> Option<i32> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
}

async fn set_budget(
    ctx: Ctx,
    me: AgencyAdmin,
    form: CsrfForm<BudgetForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let agency = me.agency(&ctx.db).await?;
    let Some(year) = form_year(&form.0.year) else {
        return Err(AppError::BadRequest(
            ctx.views.text(lang, "budget.error.year"),
        ));
    };
    let amount = match budget::parse_amount(&form.0.amount) {
        Ok(a) => a,
        Err(e) => {
            let state = FormState {
                amount: Some(form.0.amount.clone()),
                amount_error: Some(ctx.views.text(lang, e.key())),
                ..Default::default()
            };
            let years = agency_years(&ctx.db, &ctx.req, agency.id, &form.0.year).await?;
            return render(&ctx, agency, years, state).await;
        }
    };
    let (id, by) = (agency.id, me.id);
    ctx.db
        .run(move |conn| budget::set_budget(conn, id, year, amount, by))
        .await?;
    Ok(redirect(&format!(
        "/admin/agencies/{id}/budget?year={year}&done=budget#summary"
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CostForm {
    year: String,
    cost: String,
}

async fn set_cost(
    ctx: Ctx,
    me: AgencyAdmin,
    path: web::Path<(i64, i64)>,
    form: CsrfForm<CostForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let (agency_id, activity_id) = path.into_inner();
    let agency = me.agency(&ctx.db).await?;
    let holder_agency = ctx
        .db
        .run(move |conn| budget::activity_agency(conn, activity_id))
        .await?;
    if holder_agency != Some(agency.id) {
        return Err(AppError::NotFound);
    }
    // the year typed, else the agency's current one
    let years = agency_years(&ctx.db, &ctx.req, agency.id, &form.0.year).await?;
    let year = years.shown;
    let cost = match budget::parse_optional_amount(&form.0.cost) {
        Ok(c) => c,
        Err(e) => {
            let state = FormState {
                cost_error: Some((
                    activity_id,
                    form.0.cost.clone(),
                    ctx.views.text(lang, e.key()),
                )),
                ..Default::default()
            };
            return render(&ctx, agency, years, state).await;
        }
    };
    let by = me.id;
    ctx.db
        .run(move |conn| budget::set_activity_cost(conn, activity_id, cost, by))
        .await?;
    Ok(redirect(&format!(
        "/admin/agencies/{agency_id}/budget?year={year}&done=cost#costs"
    )))
}

// ---------- CSV and JSON ----------

async fn budget_csv(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    let year = agency_years(&ctx.db, &ctx.req, agency.id, &q.year)
        .await?
        .shown;
    let id = agency.id;
    let report = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(budget::load(conn, id, year)?))
        .await?;
    // for a planner's spreadsheet in Indonesian, whatever the page's language
    let bytes = budget::csv(&report, |k| {
        let key = format!("budget.csv.{k}");
        match ctx.views.i18n().get(Lang::Id, &key) {
            Some(t) => t.replace("{year}", &year.to_string()),
            None => kind_label(&ctx.views, Lang::Id, k),
        }
    })
    .map_err(|e| AppError::Internal(format!("budget CSV: {e}")))?;
    let code = crate::text::file_safe(&agency.code);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"anggaran-pengembangan-{code}-{year}.csv\""),
        ))
        .body(bytes))
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{id}/budget",
    tag = "competency",
    params(
        ("id" = i64, Path, description = "The agency's id", minimum = 1),
        ("year" = Option<i32>, Query, description = "Calendar year (2000–2100); this year in the agency's time zone when absent", minimum = 2000, maximum = 2100),
    ),
    responses(
        (status = 200, description = "The agency's training budget against spending in the year: by unit and by kind of activity (course fees as `kursus_berbayar`), cost per JP and per person, ASN below the JP target. Amounts are whole rupiah; `used_permille` is tenths of a percent", body = budget::Report),
        (status = 400, description = "`year` is not a year from 2000 to 2100", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the agency's admins and platform admins see its budget", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agency", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn budget_api(
    ctx: Ctx,
    me: AgencyAdmin,
    q: web::Query<ApiYearQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = me.agency(&ctx.db).await?;
    // this year in the agency's zone
    let current = agency_years(&ctx.db, &ctx.req, agency.id, "")
        .await?
        .current;
    // absent: this year; present: a year as the document states it (`?year=` is not one)
    let year = match &q.year {
        None => current,
        Some(y) => api_year(y).ok_or_else(|| {
            AppError::BadRequest(format!(
                "`year` must be a year from {FIRST_YEAR} to {LAST_YEAR}, e.g. year={current}"
            ))
        })?,
    };
    let id = agency.id;
    let report = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(budget::load(conn, id, year)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(report))
}

// ---------- course fees (platform admins) ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct FeesQuery {
    done: String,
}

async fn fees_view(
    ctx: &Ctx,
    error: Option<(String, String, String)>,
    done: bool,
) -> Result<HttpResponse, AppError> {
    let courses = ctx.db.run(budget::course_fees).await?;
    let list = courses
        .iter()
        .map(|c| {
            let err = error.as_ref().filter(|(s, _, _)| *s == c.slug);
            FeeRow {
                slug: c.slug.clone(),
                title: c.title.clone(),
                archived: c.archived,
                fee: budget::rupiah(c.fee),
                paid: c.fee > 0,
                value: err
                    .map(|e| e.1.clone())
                    .unwrap_or_else(|| budget::thousands(c.fee.max(0) as u64)),
                error: err.map(|e| e.2.clone()),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = FeesPage {
        courses: list,
        done,
    };
    let body = ctx.render("pages/admin_course_fees", page_data(&page)?)?;
    Ok(html(status, body))
}

async fn fees_page(
    ctx: Ctx,
    _admin: PlatformAdmin,
    q: web::Query<FeesQuery>,
) -> Result<HttpResponse, AppError> {
    fees_view(&ctx, None, q.done == "fee").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FeeForm {
    fee: String,
}

async fn set_fee(
    ctx: Ctx,
    me: PlatformAdmin,
    path: web::Path<String>,
    form: CsrfForm<FeeForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let slug = path.into_inner();
    // an empty field means no fee
    let fee = match budget::parse_optional_amount(&form.0.fee) {
        Ok(f) => f.unwrap_or(0),
        Err(e) => {
            let error = (slug, form.0.fee.clone(), ctx.views.text(lang, e.key()));
            return fees_view(&ctx, Some(error), false).await;
        }
    };
    let by = me.id;
    let s = slug.clone();
    let found = ctx
        .db
        .run(move |conn| budget::set_fee(conn, &s, fee, by))
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(redirect(&format!(
        "/admin/courses/fees?done=fee#fee-{slug}"
    )))
}

// ---------- page contexts ----------

/// `pages/admin_budget`: an agency's budget for a year.
#[derive(Serialize)]
struct BudgetPage {
    agency: Agency,
    year: i32,
    previous: Option<i32>,
    next: Option<i32>,
    r: ReportView,
    years: Vec<YearRow>,
    line_count: usize,
    costs_open: bool,
    lines: Vec<CostRow>,
    amount: String,
    amount_error: Option<String>,
    notice_key: Option<&'static str>,
    jp_minimum: i64,
    csv: String,
    api: String,
}

/// [`Report`] with its amounts written out (`Rp 1.250.000`).
#[derive(Serialize)]
struct ReportView {
    planned: String,
    planned_open: String,
    projected: Option<String>,
    projected_short: bool,
    budget: Option<String>,
    has_budget: bool,
    spent: String,
    remaining: Option<String>,
    over: bool,
    used: Option<String>,
    used_bar: Option<i64>,
    jp_total: i64,
    jp_costed: i64,
    cost_per_jp: Option<String>,
    costed_people: usize,
    cost_per_person: Option<String>,
    target: i64,
    people: usize,
    below_target: usize,
    units: Vec<UnitRow>,
    kinds: Vec<KindRow>,
    idle_kinds: String,
}

/// Spending of a unit (the tree of units).
#[derive(Serialize)]
struct UnitRow {
    unit_id: Option<i64>,
    path: String,
    name: String,
    parent: Option<String>,
    depth: usize,
    items: usize,
    cost: String,
    cost_with_subunits: String,
    has_subunits: bool,
    jp_costed: i64,
    cost_per_jp: Option<String>,
    costed_people: usize,
    people: usize,
    below_target: usize,
}

/// Spending on a kind of activity (or course fees).
#[derive(Serialize)]
struct KindRow {
    kind: String,
    label: String,
    is_fee: bool,
    items: usize,
    costed_items: usize,
    jp: i64,
    cost: String,
    spent: bool,
    cost_per_jp: Option<String>,
    share: Option<String>,
}

/// A year of the outlook: planned against realised.
#[derive(Serialize)]
struct YearRow {
    year: i32,
    current: bool,
    budget: Option<String>,
    planned: String,
    realised: String,
    projected: Option<String>,
    short: bool,
}

/// An activity whose cost may be corrected.
#[derive(Serialize)]
struct CostRow {
    id: i64,
    person: String,
    title: String,
    kind: String,
    ended: String,
    jp: i32,
    cost: Option<String>,
    value: String,
    error: Option<String>,
}

/// `pages/admin_course_fees`: every course and its fee.
#[derive(Serialize)]
struct FeesPage {
    courses: Vec<FeeRow>,
    done: bool,
}

/// A course's fee, or what a form sent back for it.
#[derive(Serialize)]
struct FeeRow {
    slug: String,
    title: String,
    archived: bool,
    fee: String,
    paid: bool,
    value: String,
    error: Option<String>,
}
