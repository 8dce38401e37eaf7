//! The learner's competency profile: `/me/profile` and `GET /api/v1/me/profile`.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::chart::{self, Bar, Labels};
use super::store::{self, ProfileView};
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/profile", web::get().to(profile_page))
        .route("/api/v1/me/profile", web::get().to(profile_api));
}

/// The chart of a profile's targeted (or evidenced) competencies.
pub fn chart_of(view: &ProfileView, views: &Views, lang: Lang) -> String {
    let bars: Vec<Bar> = view
        .profile
        .rows
        .iter()
        .map(|r| Bar {
            code: r.code.clone(),
            name: r.name.clone(),
            current: r.current,
            target: r.target,
        })
        .collect();
    chart::svg(
        &bars,
        &Labels {
            title: views.text(lang, "competency.chart.title"),
            current: views.text(lang, "competency.chart.current"),
            below: views.text(lang, "competency.chart.below"),
            target: views.text(lang, "competency.chart.target"),
            none: views.text(lang, "competency.chart.none"),
        },
    )
}

/// Evidence items listed per competency on the profile page (newest first).
pub const EVIDENCE_SHOWN: usize = 8;

/// What the page template sees.
fn profile_context<'a>(
    view: &'a ProfileView,
    views: &Views,
    lang: Lang,
    plan: Option<Value>,
    milestones: Vec<MilestoneRow>,
) -> ProfilePage<'a> {
    // instants as the person's agency reads them
    let date = |d: chrono::NaiveDateTime| crate::text::date(view.zone.date_of(d), lang);
    let rows = view
        .profile
        .rows
        .iter()
        .map(|r| ProfileRow {
            code: &r.code,
            name: &r.name,
            kind_key: format!("competency.kind.{}", r.kind),
            target: r.target,
            current: r.current,
            from_key: format!("competency.from.{}", r.from),
            gap: r.gap,
            met: r.target.is_some() && r.gap == 0,
            assessed: r.assessed.as_ref().map(|a| AssessedRow {
                level: a.level,
                date: date(a.assessed_at),
                source: &a.source,
            }),
            evidenced: r.evidenced,
            evidence_count: r.evidence.len(),
            // the newest few; with hundreds of completions the whole list made the page
            // heavy on a phone (and slow to build)
            evidence_more: r.evidence.len().saturating_sub(EVIDENCE_SHOWN),
            evidence: r
                .evidence
                .iter()
                .take(EVIDENCE_SHOWN)
                .map(|e| EvidenceRow {
                    level: e.level,
                    title: &e.title,
                    date: date(e.earned_at),
                    kind_key: format!("competency.source.{}", e.source_kind),
                })
                .collect(),
        })
        .collect();
    let pct = (view.jp_earned * 100 / view.jp_target.max(1)).min(100);
    ProfilePage {
        name: &view.name,
        position: view.position.as_deref(),
        year: view.year,
        jp: view.jp_earned,
        jp_target: view.jp_target,
        jp_minimum: view.jp_minimum,
        jp_own_target: view.jp_target > view.jp_minimum,
        jp_pct: pct,
        jp_reached: view.jp_earned >= view.jp_target,
        jp_left: (view.jp_target - view.jp_earned).max(0),
        rows,
        has_targets: view.profile.rows.iter().any(|r| r.target.is_some()),
        gaps: view.profile.gaps().len(),
        jpm: view.profile.jpm.map(|j| (j * 100.0).round() as i64),
        band_key: view.profile.band.map(|b| {
            format!(
                "competency.band.{}",
                serde_json::to_value(b)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            )
        }),
        band_optimal: view.jpm_optimal,
        band_meets: view.jpm_meets,
        basis_key: format!("competency.basis.{}", view.profile.basis.code()),
        recommendations: &view.recommendations,
        chart: chart_of(view, views, lang),
        plan,
        milestones,
    }
}

async fn profile_page(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let id = me.id;
    let offers = ctx.offers.clone().into_inner();
    let now = ctx.now();
    // one read of the database for the whole page (inline on SQLite)
    let (view, plan, milestones) = ctx
        .db
        .read(move |conn| {
            let Some(view) = store::load(conn, &offers, id, now)? else {
                return Err(AppError::NotFound);
            };
            let names = super::store::competency_names(conn)?;
            let plan = super::plan::get(conn, id, view.year)?;
            let milestones = super::milestones::of_user(conn, id)?;
            Ok((view, plan, (milestones, names)))
        })
        .await?;
    let plan = plan.as_ref().map(|p| super::plan::view(p, view.jp_target));
    let (milestones, names) = milestones;
    let milestones = milestones
        .iter()
        .take(6)
        .map(|m| MilestoneRow {
            kind: m.kind.clone(),
            label: super::view::milestone_label(ctx.views.i18n(), lang, &names, m),
            date: crate::text::date(view.zone.date_of(m.earned_at), lang),
        })
        .collect();
    let page = profile_context(&view, &ctx.views, lang, plan, milestones);
    ctx.page("pages/profile", page_data(&page)?)
}

/// The caller's competency profile: JP this year against the target, each competency's level,
/// target and gap with its evidence, the job-person match, and recommended courses.
#[utoipa::path(
    get,
    path = "/api/v1/me/profile",
    tag = "competency",
    responses(
        (status = 200, description = "The caller's profile", body = ProfileView),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn profile_api(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let id = me.id;
    let offers = ctx.offers.clone().into_inner();
    let now = ctx.now();
    let view = ctx
        .db
        .run(move |conn| store::load(conn, &offers, id, now))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(view))
}

// ---------- page contexts ----------

/// `pages/profile`: the competency profile.
#[derive(Serialize)]
struct ProfilePage<'a> {
    name: &'a str,
    position: Option<&'a str>,
    year: i32,
    jp: i64,
    jp_target: i64,
    jp_minimum: i64,
    jp_own_target: bool,
    jp_pct: i64,
    jp_reached: bool,
    jp_left: i64,
    rows: Vec<ProfileRow<'a>>,
    has_targets: bool,
    gaps: usize,
    /// Job-person match in percent.
    jpm: Option<i64>,
    band_key: Option<String>,
    band_optimal: i32,
    band_meets: i32,
    basis_key: String,
    recommendations: &'a [super::recommend::Recommendation],
    chart: String,
    /// The year's learning plan (`plan::view`), if there is one.
    plan: Option<Value>,
    milestones: Vec<MilestoneRow>,
}

/// A competency on the profile: its target, current level and evidence.
#[derive(Serialize)]
struct ProfileRow<'a> {
    code: &'a str,
    name: &'a str,
    kind_key: String,
    target: Option<i32>,
    current: Option<i32>,
    from_key: String,
    gap: i32,
    met: bool,
    assessed: Option<AssessedRow<'a>>,
    evidenced: Option<i32>,
    evidence_count: usize,
    evidence_more: usize,
    evidence: Vec<EvidenceRow<'a>>,
}

/// The newest assessment of a competency.
#[derive(Serialize)]
struct AssessedRow<'a> {
    level: i32,
    date: String,
    source: &'a str,
}

/// A piece of learning that evidences a competency level.
#[derive(Serialize)]
struct EvidenceRow<'a> {
    level: i32,
    title: &'a str,
    date: String,
    kind_key: String,
}

/// A milestone reached, in words.
#[derive(Serialize)]
struct MilestoneRow {
    kind: String,
    label: String,
    date: String,
}
