//! Admin pages for competency standards (`/admin/agencies/{id}/standards…`) and assessed levels
//! (`/admin/agencies/{id}/assessments…`): an agency admin for their own agency, a platform admin
//! for any. Every handler checks the role server-side before it reads anything.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::admin::{self, AssessmentInput, LineProblem, Refusal, StandardsError};
use super::profile::{self, Basis, Competency};
use super::store;
use crate::accounts::orgs::{self, Agency, AgencyId, Position, PositionId};
use crate::error::AppError;
use crate::web::pages::Shown;
use crate::web::policy::{Administered, AgencyItem, Posted};
use crate::web::redirect;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin/standards",
        crate::web::pages::choose_agency_route("standards", "pages/admin_standards_choose"),
    )
    .route(
        "/admin/agencies/{id}/standards",
        web::get().to(standards_page),
    )
    .route(
        "/admin/agencies/{id}/standards/settings",
        web::post().to(save_settings),
    )
    .route(
        "/admin/agencies/{id}/standards/import",
        web::post().to(import_targets),
    )
    .route(
        "/admin/agencies/{id}/standards/positions/{position_id}",
        web::get().to(position_view),
    )
    .route(
        "/admin/agencies/{id}/standards/positions/{position_id}",
        web::post().to(save_position),
    )
    .route(
        "/admin/agencies/{id}/assessments",
        web::get().to(assessments_page),
    )
    .route(
        "/admin/agencies/{id}/assessments",
        web::post().to(add_assessment),
    )
    .route(
        "/admin/agencies/{id}/assessments/import",
        web::post().to(import_assessments),
    );
}

/// How many entries the assessments page lists.
const RECENT: i64 = 50;
/// Form fields of a position's levels: `level:<code>`.
const LEVEL_FIELD: &str = "level:";

// ---------- helpers ----------

fn refusal_text(views: &Views, lang: Lang, r: &Refusal) -> String {
    let (key, args) = r.message();
    views.format(lang, key, &args)
}

fn problem_lines(views: &Views, lang: Lang, problems: &[LineProblem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let (key, args) = p.message();
            let message = views.format(lang, key, &args);
            if p.line == 0 {
                message
            } else {
                views.format(
                    lang,
                    "standards.import.problem",
                    &[("line", p.line.to_string()), ("message", message)],
                )
            }
        })
        .collect()
}

fn label(views: &Views, lang: Lang, prefix: &str, code: &str) -> String {
    views
        .i18n()
        .get(lang, &format!("{prefix}.{code}"))
        .unwrap_or(code)
        .to_string()
}

/// Today in the agency's time zone (an assessment dated after it is "in the future").
fn today(
    conn: &mut crate::db::DbConnection,
    agency_id: i64,
) -> Result<NaiveDate, crate::db::DbError> {
    Ok(crate::clock::zone_of_agency(conn, Some(agency_id))?.today(Utc::now().naive_utc()))
}

fn done_key(done: &str) -> Option<&'static str> {
    Some(match done {
        "settings" => "standards.done.settings",
        "position" => "standards.done.position",
        "assessment" => "standards.done.assessment",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

// ---------- the standards page ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct SettingsForm {
    gap_basis: String,
    jp_target: String,
    /// Asia/Jakarta | Asia/Makassar | Asia/Jayapura; absent: unchanged.
    time_zone: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CsvForm {
    csv: String,
}

#[derive(Default)]
struct StandardsState {
    settings: Option<SettingsForm>,
    settings_error: Option<String>,
    csv: String,
    problems: Vec<String>,
    imported: Option<usize>,
    notice: Option<&'static str>,
}

async fn standards_page(
    ctx: Ctx,
    Administered { agency, .. }: Administered,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let state = StandardsState {
        notice: done_key(&q.done),
        ..Default::default()
    };
    standards_view(&ctx, agency, state).await
}

/// One position in the standards list: its targets (the usual level of its kind, or set for it),
/// including set targets whose code left the dictionary.
fn position_row(
    ctx: &Ctx,
    p: &Position,
    explicit: Vec<(String, i32)>,
    dict: &[Competency],
) -> PositionRow {
    let all = profile::targets(Some(&p.kind), &explicit, dict);
    let mut list: Vec<TargetRow> = dict
        .iter()
        .filter_map(|c| {
            let level = all.iter().find(|(code, _)| *code == c.code)?.1;
            let default = !explicit.iter().any(|(code, _)| *code == c.code);
            Some(TargetRow {
                code: c.code.clone(),
                name: c.name.clone(),
                kind: c.kind.clone(),
                level,
                default,
            })
        })
        .collect();
    // explicit targets for codes no longer in the dictionary still show
    for (code, level) in &explicit {
        if !dict.iter().any(|c| c.code == *code) {
            list.push(TargetRow {
                code: code.clone(),
                name: code.clone(),
                kind: "teknis".to_string(),
                level: *level,
                default: false,
            });
        }
    }
    PositionRow {
        id: p.id,
        name: p.name.clone(),
        kind_label: label(&ctx.views, ctx.lang, "admin.kind", &p.kind),
        targets: list,
        explicit: explicit.len(),
    }
}

/// The time zones and gap bases the settings form offers, the form's own checked.
fn setting_choices(form: &SettingsForm) -> (Vec<ZoneChoice>, Vec<BasisChoice>) {
    let zones = crate::clock::Zone::ALL
        .iter()
        .map(|z| ZoneChoice {
            name: z.name(),
            label: z.label(),
            selected: z.name() == form.time_zone,
        })
        .collect();
    let bases = [Basis::Assessed, Basis::Evidence]
        .iter()
        .map(|b| BasisChoice {
            code: b.code(),
            label_key: format!("standards.basis.{}", b.code()),
            help_key: format!("standards.basis.{}_help", b.code()),
            checked: b.code() == form.gap_basis,
        })
        .collect();
    (zones, bases)
}

async fn standards_view(
    ctx: &Ctx,
    agency: Agency,
    state: StandardsState,
) -> Result<HttpResponse, AppError> {
    let id = agency.id;
    let (settings, positions, targets, dict, stored_zone) = ctx
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                admin::settings(conn, id)?,
                orgs::positions(conn, id)?,
                admin::agency_targets(conn, id)?,
                store::dictionary(conn)?,
                admin::time_zone(conn, id)?,
            ))
        })
        .await?;
    // JPM thresholds and JP conversion: a form of their own (jp_settings_routes)
    let jp = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(super::jp_settings::load(conn, id)?))
        .await?;
    let rows: Vec<PositionRow> = positions
        .iter()
        .map(|p| {
            position_row(
                ctx,
                p,
                targets.get(&p.id).cloned().unwrap_or_default(),
                &dict,
            )
        })
        .collect();
    let form = state.settings.clone().unwrap_or_else(|| SettingsForm {
        gap_basis: settings.basis.code().to_string(),
        jp_target: settings
            .jp_target
            .map(|n| n.to_string())
            .unwrap_or_default(),
        time_zone: crate::clock::zone_of_stored(stored_zone.as_deref())
            .name()
            .to_string(),
    });
    let (zones, bases) = setting_choices(&form);
    let failed = state.settings_error.is_some() || !state.problems.is_empty();
    ctx.html(
        if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "pages/admin_standards",
        page_data(&StandardsPage {
            agency,
            positions: rows,
            has_dictionary: !dict.is_empty(),
            bases,
            settings: JpTargetField {
                jp_target: form.jp_target,
            },
            zones,
            platform_zone: crate::clock::platform_default().name(),
            jp_min: admin::JP_TARGET_MIN,
            jp_max: admin::JP_TARGET_MAX,
            jp_minimum: super::jp::MINIMUM,
            settings_error: state.settings_error,
            csv: state.csv,
            problems: state.problems,
            imported: state.imported,
            header: admin::TARGETS_HEADER,
            codes: dict,
            notice_key: state.notice,
            jp_settings: super::view::form_view(&jp, None, Vec::new(), false),
        })?,
    )
}

/// `pages/admin_standards`: an agency's standards, its settings and the targets import.
#[derive(Serialize)]
struct StandardsPage {
    agency: Agency,
    positions: Vec<PositionRow>,
    has_dictionary: bool,
    bases: Vec<BasisChoice>,
    settings: JpTargetField,
    zones: Vec<ZoneChoice>,
    platform_zone: &'static str,
    jp_min: i32,
    jp_max: i32,
    jp_minimum: i64,
    settings_error: Option<String>,
    csv: String,
    problems: Vec<String>,
    imported: Option<usize>,
    header: &'static str,
    codes: Vec<Competency>,
    notice_key: Option<&'static str>,
    /// The JP settings form (`view::form_view`).
    jp_settings: Value,
}

/// The settings form's JP target as typed.
#[derive(Serialize)]
struct JpTargetField {
    jp_target: String,
}

/// A position on the standards page.
#[derive(Serialize)]
struct PositionRow {
    id: i64,
    name: String,
    kind_label: String,
    targets: Vec<TargetRow>,
    /// How many targets are set for the position itself.
    explicit: usize,
}

/// One target of a position; `default`: the usual level of its kind, not set.
#[derive(Serialize)]
struct TargetRow {
    code: String,
    name: String,
    kind: String,
    level: i32,
    default: bool,
}

/// A time zone the settings form offers.
#[derive(Serialize)]
struct ZoneChoice {
    name: &'static str,
    label: &'static str,
    selected: bool,
}

/// A gap basis the settings form offers.
#[derive(Serialize)]
struct BasisChoice {
    code: &'static str,
    label_key: String,
    help_key: String,
    checked: bool,
}

async fn save_settings(
    ctx: Ctx,
    Posted { at, form }: Posted<Administered, SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let Administered { admin: me, agency } = at;
    let id = agency.id;
    let by = me.id;
    let f = form.0;
    let g = f.clone();
    let result = ctx
        .db
        .run(move |conn| {
            // the zone is checked first, so a refused one changes nothing
            if !g.time_zone.trim().is_empty() && crate::clock::Zone::parse(&g.time_zone).is_none() {
                return Err(StandardsError::Refused(Refusal::TimeZone));
            }
            admin::save_settings(conn, id, &g.gap_basis, &g.jp_target)?;
            if !g.time_zone.trim().is_empty() {
                admin::save_time_zone(conn, id, &g.time_zone, by)?;
            }
            Ok(())
        })
        .await;
    // a refusal to show; a database failure ends here
    let result = match result {
        Ok(v) => Ok(v),
        Err(e) => Err(e.refusal()?),
    };
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/agencies/{id}/standards?done=settings#settings"
        ))),
        Err(r) => {
            let state = StandardsState {
                settings_error: Some(refusal_text(&ctx.views, ctx.lang, &r)),
                settings: Some(f),
                ..Default::default()
            };
            standards_view(&ctx, agency, state).await
        }
    }
}

async fn import_targets(
    ctx: Ctx,
    Posted { at, form }: Posted<Administered, CsvForm>,
) -> Result<HttpResponse, AppError> {
    let Administered { agency, .. } = at;
    let id = agency.id;
    let csv = form.0.csv;
    let text_in = csv.clone();
    let result = ctx
        .db
        .run(move |conn| admin::import_targets(conn, id, &text_in))
        .await;
    // a refusal to show; a database failure ends here
    let result = match result {
        Ok(v) => Ok(v),
        Err(e) => Err(e.refusal()?),
    };
    let state = match result {
        Ok(summary) => StandardsState {
            imported: Some(summary.written),
            ..Default::default()
        },
        Err(problems) => StandardsState {
            problems: problem_lines(&ctx.views, ctx.lang, &problems),
            csv,
            ..Default::default()
        },
    };
    standards_view(&ctx, agency, state).await
}

// ---------- one position's standard ----------

/// One position's standard (`GET`), and its form again after a refused change.
async fn position_view(
    ctx: Ctx,
    at: AgencyItem,
    shown: Shown<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let (agency_id, position_id) = (at.agency.id, at.id);
    let (position, explicit, dict) = ctx
        .db
        .run(move |conn| {
            let p = orgs::position(conn, AgencyId(agency_id), PositionId(position_id))?;
            Ok::<_, AppError>((
                p,
                store::position_targets(conn, position_id)?,
                store::dictionary(conn)?,
            ))
        })
        .await?;
    let position = position.ok_or(AppError::NotFound)?;
    let usual = profile::usual_level(&position.kind);
    let groups: Vec<Value> = ["manajerial", "sosial-kultural", "teknis"]
        .iter()
        .map(|kind| {
            let items: Vec<Value> = dict
                .iter()
                .filter(|c| c.kind == *kind)
                .map(|c| {
                    let chosen: Option<i32> = match &shown.form {
                        Some(f) => f
                            .get(&format!("{LEVEL_FIELD}{}", c.code))
                            .and_then(|v| v.trim().parse().ok()),
                        None => explicit
                            .iter()
                            .find(|(code, _)| *code == c.code)
                            .map(|(_, l)| *l),
                    };
                    let default = if *kind == "teknis" { None } else { usual };
                    let levels: Vec<Value> = (admin::LEVEL_MIN..=admin::LEVEL_MAX)
                        .map(|l| json!({"level": l, "selected": chosen == Some(l)}))
                        .collect();
                    json!({
                        "code": c.code,
                        "name": c.name,
                        "field": format!("{LEVEL_FIELD}{}", c.code),
                        "default": default,
                        "levels": levels,
                    })
                })
                .collect();
            json!({"kind": kind, "title_key": format!("competency.kind.{kind}"), "items": items})
        })
        .filter(|g| g["items"].as_array().is_some_and(|a| !a.is_empty()))
        .collect();
    ctx.html(
        shown.status(),
        "pages/admin_standards_position",
        json!({
            "agency": at.agency,
            "position": position,
            "kind_label": label(&ctx.views, lang, "admin.kind", &position.kind),
            "usual": usual,
            "groups": groups,
            "error": shown.error,
        }),
    )
}

async fn save_position(
    ctx: Ctx,
    Posted { at, form }: Posted<AgencyItem, HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (agency_id, position_id) = (at.agency.id, at.id);
    let f = form.0;
    let levels: HashMap<String, String> = f
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(LEVEL_FIELD)
                .map(|code| (code.to_string(), v.clone()))
        })
        .collect();
    let result = ctx
        .db
        .run(move |conn| admin::set_position_targets(conn, agency_id, position_id, &levels))
        .await;
    // a refusal to show; a database failure ends here
    let result = match result {
        Ok(v) => Ok(v),
        Err(e) => Err(e.refusal()?),
    };
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/agencies/{agency_id}/standards?done=position#position-{position_id}"
        ))),
        Err(Refusal::PositionUnknown) => Err(AppError::NotFound),
        Err(r) => {
            let msg = refusal_text(&ctx.views, ctx.lang, &r);
            position_view(ctx, at, Shown::refused(Some(f), msg)).await
        }
    }
}

// ---------- assessed levels ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AssessmentForm {
    who: String,
    code: String,
    level: String,
    date: String,
    source: String,
}

#[derive(Default)]
struct AssessmentsState {
    form: Option<AssessmentForm>,
    error: Option<String>,
    csv: String,
    problems: Vec<String>,
    imported: Option<usize>,
    /// Of a re-import: (updated, skipped).
    import_detail: Option<(usize, usize)>,
    notice: Option<&'static str>,
}

async fn assessments_page(
    ctx: Ctx,
    Administered { agency, .. }: Administered,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let state = AssessmentsState {
        notice: done_key(&q.done),
        ..Default::default()
    };
    assessments_view(&ctx, agency, state).await
}

async fn assessments_view(
    ctx: &Ctx,
    agency: Agency,
    state: AssessmentsState,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let id = agency.id;
    let (recent, dict, basis, today, zone) = ctx
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                admin::recent_assessments(conn, id, RECENT)?,
                store::dictionary(conn)?,
                admin::settings(conn, id)?.basis,
                today(conn, id)?,
                crate::clock::zone_of_agency(conn, Some(id))?,
            ))
        })
        .await?;
    let date = |d: chrono::NaiveDate| crate::text::date(d, lang);
    let recent: Vec<AssessmentRow> = recent
        .iter()
        .map(|r| {
            let name = dict
                .iter()
                .find(|c| c.code == r.code)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| r.code.clone());
            AssessmentRow {
                person: r.name.clone(),
                nip: r.nip.clone(),
                email: r.email.clone(),
                code: r.code.clone(),
                competency: name,
                level: r.level,
                date: date(r.assessed_at.date()),
                source: r.source.clone(),
                entered: date(zone.date_of(r.created_at)),
            }
        })
        .collect();
    let form = state.form.unwrap_or_else(|| AssessmentForm {
        date: today.format("%Y-%m-%d").to_string(),
        ..Default::default()
    });
    let failed = state.error.is_some() || !state.problems.is_empty();
    let codes = dict
        .iter()
        .map(|c| CodeChoice {
            code: c.code.clone(),
            name: c.name.clone(),
            selected: c.code == form.code,
        })
        .collect();
    let levels = (admin::LEVEL_MIN..=admin::LEVEL_MAX)
        .map(|l| LevelChoice {
            level: l,
            selected: form.level.trim() == l.to_string(),
        })
        .collect();
    ctx.html(
        if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "pages/admin_assessments",
        page_data(&AssessmentsPage {
            agency,
            recent,
            codes,
            levels,
            form: AssessmentFields {
                who: form.who,
                date: form.date,
                source: form.source,
            },
            error: state.error,
            csv: state.csv,
            problems: state.problems,
            imported: state.imported,
            import_updated: state.import_detail.map(|d| d.0),
            import_skipped: state.import_detail.map(|d| d.1),
            header: admin::ASSESSMENTS_HEADER,
            evidence_basis: basis == Basis::Evidence,
            notice_key: state.notice,
        })?,
    )
}

/// `pages/admin_assessments`: an agency's newest assessed levels, the form and the import.
#[derive(Serialize)]
struct AssessmentsPage {
    agency: Agency,
    recent: Vec<AssessmentRow>,
    codes: Vec<CodeChoice>,
    levels: Vec<LevelChoice>,
    form: AssessmentFields,
    error: Option<String>,
    csv: String,
    problems: Vec<String>,
    imported: Option<usize>,
    import_updated: Option<usize>,
    import_skipped: Option<usize>,
    header: &'static str,
    evidence_basis: bool,
    notice_key: Option<&'static str>,
}

/// One entry of the assessed levels list, its dates in the agency's zone.
#[derive(Serialize)]
struct AssessmentRow {
    person: String,
    nip: Option<String>,
    email: String,
    code: String,
    competency: String,
    level: i32,
    date: String,
    source: String,
    entered: String,
}

/// The assessment form as typed (its code and level are the choices' `selected`).
#[derive(Serialize)]
struct AssessmentFields {
    who: String,
    date: String,
    source: String,
}

/// A competency the assessment form offers.
#[derive(Serialize)]
struct CodeChoice {
    code: String,
    name: String,
    selected: bool,
}

/// A level a form offers.
#[derive(Serialize)]
struct LevelChoice {
    level: i32,
    selected: bool,
}

async fn add_assessment(
    ctx: Ctx,
    Posted { at, form }: Posted<Administered, AssessmentForm>,
) -> Result<HttpResponse, AppError> {
    let Administered { admin: me, agency } = at;
    let id = agency.id;
    let by = me.id;
    let f = form.0;
    let g = f.clone();
    let result = ctx
        .db
        .run(move |conn| {
            let input = AssessmentInput {
                who: &g.who,
                code: &g.code,
                level: &g.level,
                date: &g.date,
                source: &g.source,
            };
            let today = today(conn, id)?;
            admin::add_assessment(conn, id, by, &input, today)
        })
        .await;
    // a refusal to show; a database failure ends here
    let result = match result {
        Ok(v) => Ok(v),
        Err(e) => Err(e.refusal()?),
    };
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/agencies/{id}/assessments?done=assessment#recent"
        ))),
        Err(r) => {
            let state = AssessmentsState {
                error: Some(refusal_text(&ctx.views, ctx.lang, &r)),
                form: Some(f),
                ..Default::default()
            };
            assessments_view(&ctx, agency, state).await
        }
    }
}

async fn import_assessments(
    ctx: Ctx,
    Posted { at, form }: Posted<Administered, CsvForm>,
) -> Result<HttpResponse, AppError> {
    let Administered { admin: me, agency } = at;
    let id = agency.id;
    let by = me.id;
    let csv = form.0.csv;
    let text_in = csv.clone();
    let result = ctx
        .db
        .run(move |conn| {
            let today = today(conn, id)?;
            admin::import_assessments(conn, id, by, &text_in, today)
        })
        .await;
    // a refusal to show; a database failure ends here
    let result = match result {
        Ok(v) => Ok(v),
        Err(e) => Err(e.refusal()?),
    };
    let state = match result {
        Ok(summary) => AssessmentsState {
            imported: Some(summary.written),
            import_detail: Some((summary.updated, summary.skipped)),
            ..Default::default()
        },
        Err(problems) => AssessmentsState {
            problems: problem_lines(&ctx.views, ctx.lang, &problems),
            csv,
            ..Default::default()
        },
    };
    assessments_view(&ctx, agency, state).await
}
