//! Admin pages for agencies (instansi), their units (unit kerja) and positions (jabatan):
//! platform admins create and edit agencies; agency admins manage the units and positions of
//! their own agency (platform admins of any), by hand or by pasting CSV.
//!
//! Every handler checks the role server-side; an id in the path or a form is only trusted after
//! it was found in the agency the user may administer.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::orgs::{self, Agency, AgencyId, OrgError, Position, PositionId, Refusal, Unit, UnitId};
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::pages::Shown;
use crate::web::policy::{AdminOf, Administered, AgencyAdmin, AgencyItem, PlatformAdmin, Posted};
use crate::web::redirect;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(dashboard))
        .route("/admin/agencies", web::get().to(agencies_page))
        .route("/admin/agencies", web::post().to(create_agency))
        .route("/admin/agencies/{id}", web::get().to(agency_page))
        .route("/admin/agencies/{id}", web::post().to(update_agency))
        .route("/admin/agencies/{id}/units", web::post().to(create_unit))
        .route(
            "/admin/agencies/{id}/units/{unit_id}",
            web::get().to(unit_view),
        )
        .route(
            "/admin/agencies/{id}/units/{unit_id}",
            web::post().to(update_unit),
        )
        .route(
            "/admin/agencies/{id}/units/{unit_id}/delete",
            web::post().to(delete_unit),
        )
        .route(
            "/admin/agencies/{id}/positions",
            web::post().to(create_position),
        )
        .route(
            "/admin/agencies/{id}/positions/{position_id}",
            web::get().to(position_view),
        )
        .route(
            "/admin/agencies/{id}/positions/{position_id}",
            web::post().to(update_position),
        )
        .route(
            "/admin/agencies/{id}/positions/{position_id}/delete",
            web::post().to(delete_position),
        )
        .route("/admin/agencies/{id}/import", web::get().to(import_page))
        .route("/admin/agencies/{id}/import", web::post().to(import));
}

// ---------- helpers ----------

fn refusal_text(views: &Views, lang: Lang, r: &Refusal) -> String {
    views.format(lang, r.key(), &r.args())
}

/// A label for a stored code (`admin.kind.pengawas`), or the code itself when it has none.
fn label(views: &Views, lang: Lang, prefix: &str, code: &str) -> String {
    if code.is_empty() {
        return "—".into();
    }
    views
        .i18n()
        .get(lang, &format!("{prefix}.{code}"))
        .unwrap_or(code)
        .to_string()
}

fn kind_options(views: &Views, lang: Lang, prefix: &str, codes: &[&str]) -> Vec<Value> {
    codes
        .iter()
        .map(|c| json!({"code": c, "label": label(views, lang, prefix, c)}))
        .collect()
}

/// `""` → none; a number → that id; anything else → an id no unit has.
fn parse_parent(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        Some(s.parse().unwrap_or(-1))
    }
}

/// Notices shown after a change (`?done=…`); only these keys are looked up.
fn done_key(done: &str) -> Option<&'static str> {
    Some(match done {
        "agency_created" => "admin.done.agency_created",
        "agency_saved" => "admin.done.agency_saved",
        "unit_added" => "admin.done.unit_added",
        "unit_saved" => "admin.done.unit_saved",
        "unit_deleted" => "admin.done.unit_deleted",
        "position_added" => "admin.done.position_added",
        "position_saved" => "admin.done.position_saved",
        "position_deleted" => "admin.done.position_deleted",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

/// What a change to the organisation came to.
enum Changed<T> {
    Done(T),
    /// Refused, with the text to show next to the form.
    Refused(String),
}

/// Run a change to the organisation; a refusal because the thing is gone is a 404.
async fn change<T, F>(ctx: &Ctx, change: F) -> Result<Changed<T>, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, OrgError> + Send + 'static,
    T: Send + 'static,
{
    match ctx.db.run(change).await {
        Ok(v) => Ok(Changed::Done(v)),
        Err(e) => match e.refusal()? {
            Refusal::NotFound => Err(AppError::NotFound),
            r => Ok(Changed::Refused(refusal_text(&ctx.views, ctx.lang, &r))),
        },
    }
}

/// A form page is `422` when it shows a refusal, else `200`.
fn form_status(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

// ---------- dashboard ----------

async fn dashboard(ctx: Ctx, me: AdminOf) -> Result<HttpResponse, AppError> {
    let own = me.agency();
    let platform = me.is_platform();
    let (agency, agencies) = ctx
        .db
        .run(move |conn| {
            let agency = match own {
                Some(id) => orgs::agency(conn, id)?,
                None => None,
            };
            let agencies = if platform {
                orgs::agencies(conn)?
            } else {
                Vec::new()
            };
            Ok::<_, AppError>((agency, agencies))
        })
        .await?;
    ctx.html(
        StatusCode::OK,
        "pages/admin_index",
        json!({
            "is_platform_admin": platform,
            "agency": agency,
            "agencies": agencies,
        }),
    )
}

// ---------- agencies ----------

/// An agency's form as sent (and shown again, as typed, after a refusal).
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct AgencyForm {
    code: String,
    name: String,
    kind: String,
}

async fn agencies_page(
    ctx: Ctx,
    _admin: PlatformAdmin,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    agencies_view(
        &ctx,
        AgencyForm {
            kind: "kabupaten".into(),
            ..Default::default()
        },
        None,
        done_key(&q.done),
        StatusCode::OK,
    )
    .await
}

async fn agencies_view(
    ctx: &Ctx,
    form: AgencyForm,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let list = ctx
        .db
        .run(|conn| Ok::<_, AppError>(orgs::agencies(conn)?))
        .await?;
    let list: Vec<Value> = list
        .iter()
        .map(|a| {
            json!({"id": a.id, "code": a.code, "name": a.name,
                   "kind_label": label(&ctx.views, lang, "admin.agency_kind", &a.kind)})
        })
        .collect();
    ctx.html(
        status,
        "pages/admin_agencies",
        json!({
            "agencies": list,
            "agency_kinds": kind_options(&ctx.views, lang, "admin.agency_kind", &orgs::AGENCY_KINDS),
            "form": {"code": form.code, "name": form.name, "kind": form.kind},
            "error": error,
            "notice_key": notice,
        }),
    )
}

async fn create_agency(
    ctx: Ctx,
    _admin: PlatformAdmin,
    form: CsrfForm<AgencyForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let g = f.clone();
    match change(&ctx, move |conn| {
        orgs::create_agency(conn, &g.code, &g.name, &g.kind)
    })
    .await?
    {
        Changed::Done(id) => Ok(redirect(&format!(
            "/admin/agencies/{id}?done=agency_created"
        ))),
        Changed::Refused(msg) => {
            agencies_view(&ctx, f, Some(msg), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn update_agency(
    ctx: Ctx,
    admin: PlatformAdmin,
    path: web::Path<i64>,
    form: CsrfForm<AgencyForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let me = AgencyAdmin::prove(&admin.0, id)?;
    let f = form.0;
    let g = f.clone();
    match change(&ctx, move |conn| {
        orgs::update_agency(conn, id, &g.code, &g.name, &g.kind)
    })
    .await?
    {
        Changed::Done(()) => Ok(redirect(&format!("/admin/agencies/{id}?done=agency_saved"))),
        Changed::Refused(msg) => {
            let agency = me.agency(&ctx.db).await?;
            let forms = Forms {
                agency: Some(f),
                ..Default::default()
            };
            agency_view(&ctx, &me, agency, forms, Some(msg), None).await
        }
    }
}

// ---------- one agency: its units and positions ----------

#[derive(Default)]
struct Forms {
    agency: Option<AgencyForm>,
    unit: Option<UnitForm>,
    position: Option<PositionForm>,
}

async fn agency_page(
    ctx: Ctx,
    Administered { admin: me, agency }: Administered,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    agency_view(&ctx, &me, agency, Forms::default(), None, done_key(&q.done)).await
}

struct AgencyContents {
    units: Vec<Unit>,
    positions: Vec<Position>,
    unit_users: HashMap<i64, usize>,
    position_users: HashMap<i64, usize>,
}

async fn contents(db: &Db, agency_id: i64) -> Result<AgencyContents, AppError> {
    db.run(move |conn| {
        Ok::<_, AppError>(AgencyContents {
            units: orgs::units(conn, agency_id)?,
            positions: orgs::positions(conn, agency_id)?,
            unit_users: orgs::users_per_unit(conn, agency_id)?,
            position_users: orgs::users_per_position(conn, agency_id)?,
        })
    })
    .await
}

async fn agency_view(
    ctx: &Ctx,
    me: &AgencyAdmin,
    agency: Agency,
    forms: Forms,
    error: Option<String>,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let c = contents(&ctx.db, agency.id).await?;
    let tree = orgs::unit_tree(&c.units);
    let by_id: HashMap<i64, &Unit> = c.units.iter().map(|u| (u.id, u)).collect();
    let units: Vec<UnitRow> = tree
        .iter()
        .map(|t| UnitRow {
            id: t.id,
            name: by_id.get(&t.id).map(|u| u.name.clone()).unwrap_or_default(),
            depth: t.depth.min(6),
            users: c.unit_users.get(&t.id).copied().unwrap_or(0),
            children: c.units.iter().filter(|u| u.parent_id == Some(t.id)).count(),
        })
        .collect();
    let positions: Vec<PositionRow> = c
        .positions
        .iter()
        .map(|p| PositionRow {
            id: p.id,
            name: p.name.clone(),
            kind_label: label(&ctx.views, lang, "admin.kind", &p.kind),
            users: c.position_users.get(&p.id).copied().unwrap_or(0),
        })
        .collect();
    let agency_form = forms.agency.clone().unwrap_or_else(|| AgencyForm {
        code: agency.code.clone(),
        name: agency.name.clone(),
        kind: agency.kind.clone(),
    });
    let error_in = if forms.unit.is_some() {
        "unit"
    } else if forms.position.is_some() {
        "position"
    } else if forms.agency.is_some() {
        "agency"
    } else {
        ""
    };
    let unit_form = forms.unit.unwrap_or_default();
    let position_form = forms.position.unwrap_or_default();
    let status = form_status(&error);
    ctx.html(
        status,
        "pages/admin_agency",
        page_data(&AgencyPage {
            agency_kind_label: label(&ctx.views, lang, "admin.agency_kind", &agency.kind),
            agency,
            is_platform_admin: me.is_platform(),
            units,
            parent_choices: tree,
            positions,
            kinds: kind_options(&ctx.views, lang, "admin.kind", &orgs::POSITION_KINDS),
            agency_kinds: kind_options(&ctx.views, lang, "admin.agency_kind", &orgs::AGENCY_KINDS),
            agency_form,
            unit_form: UnitFields {
                parent_id: parse_parent(&unit_form.parent_id),
                name: unit_form.name,
            },
            position_form,
            error,
            error_in,
            notice_key: notice,
        })?,
    )
}

/// `pages/admin_agency`: an agency, its units and positions, and their forms.
#[derive(Serialize)]
struct AgencyPage<'a> {
    agency: Agency,
    agency_kind_label: String,
    is_platform_admin: bool,
    units: Vec<UnitRow>,
    parent_choices: Vec<orgs::UnitChoice>,
    positions: Vec<PositionRow>,
    /// `kind_options` of positions and of agencies.
    kinds: Vec<Value>,
    agency_kinds: Vec<Value>,
    agency_form: AgencyForm,
    unit_form: UnitFields,
    position_form: PositionForm,
    error: Option<String>,
    error_in: &'static str,
    notice_key: Option<&'a str>,
}

/// A unit in the agency's tree; `depth` at most 6.
#[derive(Serialize)]
struct UnitRow {
    id: i64,
    name: String,
    depth: usize,
    users: usize,
    children: usize,
}

/// A position of the agency, with how many people hold it.
#[derive(Serialize)]
struct PositionRow {
    id: i64,
    name: String,
    kind_label: String,
    users: usize,
}

/// The new unit form as typed, its parent read.
#[derive(Serialize)]
struct UnitFields {
    name: String,
    parent_id: Option<i64>,
}

// ---------- units ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct UnitForm {
    name: String,
    parent_id: String,
}

async fn create_unit(
    ctx: Ctx,
    posted: Posted<Administered, UnitForm>,
) -> Result<HttpResponse, AppError> {
    let Posted {
        at: Administered { admin: me, agency },
        form,
    } = posted;
    let f = form.0;
    let id = agency.id;
    let (name, parent) = (f.name.clone(), parse_parent(&f.parent_id));
    match change(&ctx, move |conn| orgs::create_unit(conn, id, &name, parent)).await? {
        Changed::Done(_) => Ok(redirect(&format!(
            "/admin/agencies/{id}?done=unit_added#units"
        ))),
        Changed::Refused(msg) => {
            let forms = Forms {
                unit: Some(f),
                ..Default::default()
            };
            agency_view(&ctx, &me, agency, forms, Some(msg), None).await
        }
    }
}

/// A unit's page (`GET`), and its form again after a refused change.
async fn unit_view(
    ctx: Ctx,
    at: AgencyItem,
    shown: Shown<UnitForm>,
) -> Result<HttpResponse, AppError> {
    let c = contents(&ctx.db, at.agency.id).await?;
    let unit_id = at.id;
    let unit = c
        .units
        .iter()
        .find(|u| u.id == unit_id)
        .ok_or(AppError::NotFound)?;
    let tree = orgs::unit_tree(&c.units);
    let inside = orgs::subtree(&c.units, unit_id);
    let choices: Vec<_> = tree.iter().filter(|t| !inside.contains(&t.id)).collect();
    let path = tree
        .iter()
        .find(|t| t.id == unit_id)
        .map(|t| t.label.clone())
        .unwrap_or_else(|| unit.name.clone());
    let children = c
        .units
        .iter()
        .filter(|u| u.parent_id == Some(unit_id))
        .count();
    let users = c.unit_users.get(&unit_id).copied().unwrap_or(0);
    let (name, parent_id) = match shown.form {
        Some(ref f) => (f.name.clone(), parse_parent(&f.parent_id)),
        None => (unit.name.clone(), unit.parent_id),
    };
    ctx.html(
        shown.status(),
        "pages/admin_unit",
        json!({
            "agency": at.agency,
            "unit": {"id": unit.id, "name": unit.name, "path": path},
            "parent_choices": choices,
            "children": children,
            "users": users,
            "in_use": children > 0 || users > 0,
            "form": {"name": name, "parent_id": parent_id},
            "error": shown.error,
        }),
    )
}

async fn update_unit(
    ctx: Ctx,
    Posted { at, form }: Posted<AgencyItem, UnitForm>,
) -> Result<HttpResponse, AppError> {
    let (agency_id, unit_id) = (at.agency.id, at.id);
    let f = form.0;
    let (name, parent) = (f.name.clone(), parse_parent(&f.parent_id));
    match change(&ctx, move |conn| {
        orgs::update_unit(conn, AgencyId(agency_id), UnitId(unit_id), &name, parent)
    })
    .await?
    {
        Changed::Done(()) => Ok(redirect(&format!(
            "/admin/agencies/{agency_id}?done=unit_saved#units"
        ))),
        Changed::Refused(msg) => unit_view(ctx, at, Shown::refused(Some(f), msg)).await,
    }
}

async fn delete_unit(
    ctx: Ctx,
    Posted { at, .. }: Posted<AgencyItem, NoFields>,
) -> Result<HttpResponse, AppError> {
    let (agency_id, unit_id) = (at.agency.id, at.id);
    match change(&ctx, move |conn| {
        orgs::delete_unit(conn, AgencyId(agency_id), UnitId(unit_id))
    })
    .await?
    {
        Changed::Done(()) => Ok(redirect(&format!(
            "/admin/agencies/{agency_id}?done=unit_deleted#units"
        ))),
        Changed::Refused(msg) => unit_view(ctx, at, Shown::refused(None, msg)).await,
    }
}

// ---------- positions ----------

/// A position's form as sent (and shown again, as typed, after a refusal).
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct PositionForm {
    name: String,
    kind: String,
}

async fn create_position(
    ctx: Ctx,
    posted: Posted<Administered, PositionForm>,
) -> Result<HttpResponse, AppError> {
    let Posted {
        at: Administered { admin: me, agency },
        form,
    } = posted;
    let f = form.0;
    let id = agency.id;
    let g = f.clone();
    match change(&ctx, move |conn| {
        orgs::create_position(conn, id, &g.name, &g.kind)
    })
    .await?
    {
        Changed::Done(_) => Ok(redirect(&format!(
            "/admin/agencies/{id}?done=position_added#positions"
        ))),
        Changed::Refused(msg) => {
            let forms = Forms {
                position: Some(f),
                ..Default::default()
            };
            agency_view(&ctx, &me, agency, forms, Some(msg), None).await
        }
    }
}

/// A position's page (`GET`), and its form again after a refused change.
async fn position_view(
    ctx: Ctx,
    at: AgencyItem,
    shown: Shown<PositionForm>,
) -> Result<HttpResponse, AppError> {
    let (agency_id, position_id) = (at.agency.id, at.id);
    let (position, users) = ctx
        .db
        .run(move |conn| {
            let p = orgs::position(conn, AgencyId(agency_id), PositionId(position_id))?;
            let users = orgs::users_per_position(conn, agency_id)?
                .get(&position_id)
                .copied()
                .unwrap_or(0);
            Ok::<_, AppError>((p, users))
        })
        .await?;
    let position = position.ok_or(AppError::NotFound)?;
    let status = shown.status();
    let form = shown.form.unwrap_or_else(|| PositionForm {
        name: position.name.clone(),
        kind: position.kind.clone(),
    });
    ctx.html(
        status,
        "pages/admin_position",
        json!({
            "agency": at.agency,
            "position": position,
            "kinds": kind_options(&ctx.views, ctx.lang, "admin.kind", &orgs::POSITION_KINDS),
            "users": users,
            "in_use": users > 0,
            "form": {"name": form.name, "kind": form.kind},
            "error": shown.error,
        }),
    )
}

async fn update_position(
    ctx: Ctx,
    Posted { at, form }: Posted<AgencyItem, PositionForm>,
) -> Result<HttpResponse, AppError> {
    let (agency_id, position_id) = (at.agency.id, at.id);
    let f = form.0;
    let g = f.clone();
    match change(&ctx, move |conn| {
        orgs::update_position(
            conn,
            AgencyId(agency_id),
            PositionId(position_id),
            &g.name,
            &g.kind,
        )
    })
    .await?
    {
        Changed::Done(()) => Ok(redirect(&format!(
            "/admin/agencies/{agency_id}?done=position_saved#positions"
        ))),
        Changed::Refused(msg) => position_view(ctx, at, Shown::refused(Some(f), msg)).await,
    }
}

async fn delete_position(
    ctx: Ctx,
    Posted { at, .. }: Posted<AgencyItem, NoFields>,
) -> Result<HttpResponse, AppError> {
    let (agency_id, position_id) = (at.agency.id, at.id);
    match change(&ctx, move |conn| {
        orgs::delete_position(conn, AgencyId(agency_id), PositionId(position_id))
    })
    .await?
    {
        Changed::Done(()) => Ok(redirect(&format!(
            "/admin/agencies/{agency_id}?done=position_deleted#positions"
        ))),
        Changed::Refused(msg) => position_view(ctx, at, Shown::refused(None, msg)).await,
    }
}

// ---------- CSV import ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportForm {
    units: String,
    positions: String,
}

async fn import_page(ctx: Ctx, at: Administered) -> Result<HttpResponse, AppError> {
    import_view(&ctx, at.agency, ImportForm::default(), Vec::new(), None)
}

fn import_view(
    ctx: &Ctx,
    agency: Agency,
    form: ImportForm,
    problems: Vec<String>,
    summary: Option<orgs::ImportSummary>,
) -> Result<HttpResponse, AppError> {
    let kinds: Vec<Value> = orgs::POSITION_KINDS
        .iter()
        .map(|k| json!({"code": k, "label": label(&ctx.views, ctx.lang, "admin.kind", k)}))
        .collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ctx.html(
        status,
        "pages/admin_import",
        json!({
            "agency": agency,
            "form": {"units": form.units, "positions": form.positions},
            "problems": problems,
            "summary": summary,
            "kinds": kinds,
        }),
    )
}

async fn import(
    ctx: Ctx,
    posted: Posted<Administered, ImportForm>,
) -> Result<HttpResponse, AppError> {
    let Posted {
        at: Administered { agency, .. },
        form,
    } = posted;
    let lang = ctx.lang;
    let f = form.0;
    if f.units.trim().is_empty() && f.positions.trim().is_empty() {
        let msg = ctx.views.format(lang, "admin.import.empty", &[]);
        return import_view(&ctx, agency, f, vec![msg], None);
    }
    let id = agency.id;
    let (units_csv, positions_csv) = (f.units.clone(), f.positions.clone());
    let result = ctx
        .db
        .run(move |conn| orgs::import(conn, id, &units_csv, &positions_csv))
        .await;
    match result {
        Ok(summary) => import_view(
            &ctx,
            agency,
            ImportForm::default(),
            Vec::new(),
            Some(summary),
        ),
        Err(e) => {
            let lines: Vec<String> = e
                .refusal()?
                .iter()
                .map(|p| {
                    let (key, args) = p.message();
                    let message = ctx.views.format(lang, key, &args);
                    let section = match p.section {
                        orgs::ImportSection::Units => "admin.import.units_title",
                        orgs::ImportSection::Positions => "admin.import.positions_title",
                    };
                    ctx.views.format(
                        lang,
                        "admin.import.problem",
                        &[
                            ("section", ctx.views.format(lang, section, &[])),
                            ("line", p.line.to_string()),
                            ("message", message),
                        ],
                    )
                })
                .collect();
            import_view(&ctx, agency, f, lines, None)
        }
    }
}
