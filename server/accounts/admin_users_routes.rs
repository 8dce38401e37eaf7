//! People admin (`/admin/users…`): list and search people, import them from CSV, change their
//! roles, disable and enable accounts. (The supervisor's view of their staff, `/team`, is
//! `crate::competency::team_routes`.)
//!
//! An agency admin sees and manages the people of their own agency only; a platform admin sees
//! everyone. A person outside what one may manage is "not found", never "forbidden", so ids in
//! URLs reveal nothing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::onboarding::{self, Column, ImportContext, ImportError};
use super::orgs;
use super::placement::{self, PlacementError};
use super::rights::{self, Placement, RoleRefusal, Roles};
use super::users::{self, User};
use super::view::names_for;
use crate::db::Db;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::pages::{page_count, page_number, PAGE_SIZE};
use crate::web::policy::AdminOf;
use crate::web::redirect;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::Lang;

/// Largest CSV an import form may carry.
const IMPORT_LIMIT: usize = 8 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users", web::get().to(list))
        .service(
            web::resource("/admin/users/import")
                .app_data(web::FormConfig::default().limit(IMPORT_LIMIT))
                .route(web::get().to(import_form))
                .route(web::post().to(import)),
        )
        .route("/admin/users/{id}", web::get().to(detail))
        .route("/admin/users/{id}/roles", web::post().to(set_roles))
        .route("/admin/users/{id}/placement", web::post().to(set_placement))
        .route("/admin/users/{id}/disable", web::post().to(disable))
        .route("/admin/users/{id}/enable", web::post().to(enable));
}

// ---------- list ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
    agency: String,
    page: String,
    imported: String,
    notice: String,
}

async fn list(
    ctx: Ctx,
    me: AdminOf,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = me.agency();
    let q = query.into_inner();
    let agency_filter = match scope {
        Some(a) => Some(a),
        None => q.agency.trim().parse::<i64>().ok(),
    };
    let wanted = page_number(&q.page);
    let search = q.q.trim().to_string();
    let s2 = search.clone();
    let (people, total, page, names) = ctx
        .db
        .run(move |conn| {
            let (mut people, total) = users::search(
                conn,
                agency_filter,
                &s2,
                (wanted - 1) * PAGE_SIZE,
                PAGE_SIZE,
            )?;
            // past the end: the last page
            let last = page_count(total);
            let page = wanted.min(last);
            if page != wanted {
                people =
                    users::search(conn, agency_filter, &s2, (page - 1) * PAGE_SIZE, PAGE_SIZE)?.0;
            }
            let refs: Vec<&User> = people.iter().collect();
            let names = names_for(conn, &refs)?;
            Ok::<_, AppError>((people, total, page, names))
        })
        .await?;
    let pages = page_count(total);
    let link = |p: i64| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if !search.is_empty() {
            pairs.append_pair("q", &search);
        }
        if let (None, Some(a)) = (scope, agency_filter) {
            pairs.append_pair("agency", &a.to_string());
        }
        pairs.append_pair("page", &p.to_string());
        format!("/admin/users?{}", pairs.finish())
    };
    let rows: Vec<Value> = people.iter().map(|u| names.describe(u)).collect();
    let agencies = names.agencies;
    let mut agency_list: Vec<AgencyChoice> = agencies
        .values()
        .map(|a| AgencyChoice {
            id: a.id,
            name: a.name.clone(),
            selected: Some(a.id) == agency_filter,
        })
        .collect();
    agency_list.sort_by(|a, b| a.name.cmp(&b.name));
    let notice = match q.notice.as_str() {
        "disabled" | "enabled" | "roles" => Some(format!("people.notice.{}", q.notice)),
        _ => None,
    };
    ctx.html(
        StatusCode::OK,
        "pages/admin_users",
        page_data(&PeoplePage {
            people: rows,
            total,
            q: search.clone(),
            platform: scope.is_none(),
            agency_name: scope.and_then(|a| agencies.get(&a)).map(|a| a.name.clone()),
            agencies: agency_list,
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            imported: q.imported.trim().parse::<i64>().ok(),
            notice_key: notice,
        })?,
    )
}

/// `pages/admin_users`: one page of the people list.
#[derive(Serialize)]
struct PeoplePage {
    /// `view::OrgNames::describe` of each person.
    people: Vec<Value>,
    total: i64,
    q: String,
    platform: bool,
    agency_name: Option<String>,
    agencies: Vec<AgencyChoice>,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    imported: Option<i64>,
    notice_key: Option<String>,
}

/// An agency the list's filter offers.
#[derive(Serialize)]
struct AgencyChoice {
    id: i64,
    name: String,
    selected: bool,
}

// ---------- detail, roles, disable ----------

/// The person `id`, if `me` may manage them; otherwise not found.
async fn managed(db: &Db, me: &AdminOf, id: i64) -> Result<User, AppError> {
    let user = db
        .run(move |conn| Ok::<_, AppError>(users::find(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if me.sees(&user) {
        Ok(user)
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

async fn detail(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let user = managed(&ctx.db, &me, path.into_inner()).await?;
    let u2 = user.clone();
    let placing_in = me.agency().or(user.agency_id);
    let (person, supervisor, staff, choices) = ctx
        .db
        .run(move |conn| {
            let person = names_for(conn, &[&u2])?.describe(&u2);
            let supervisor = match u2.supervisor_id {
                Some(s) => users::find(conn, s)?,
                None => None,
            };
            let staff = users::team_size(conn, u2.id)?;
            let choices = orgs::choices(conn, placing_in)?;
            Ok::<_, AppError>((person, supervisor, staff, choices))
        })
        .await?;
    let (notice, bad) = match query.notice.as_str() {
        "roles" | "disabled" | "enabled" => {
            (Some(format!("people.notice.{}", query.notice)), false)
        }
        "placed" => (Some("people.placement.saved".to_string()), false),
        "no_agency" | "last_admin" | "self" | "own_roles" => {
            (Some(format!("people.notice.{}", query.notice)), true)
        }
        _ => (None, false),
    };
    let supervisor_email = supervisor.as_ref().map(|s| s.email.clone());
    let supervisor = supervisor.map(|s| SupervisorLink {
        manageable: me.sees(&s),
        id: s.id,
        name: s.name,
        email: s.email,
    });
    ctx.html(
        StatusCode::OK,
        "pages/admin_users_detail",
        page_data(&PersonPage {
            person,
            supervisor,
            staff,
            is_self: user.id == me.id,
            can_platform: me.is_platform(),
            // an agency admin does not touch a platform admin's account
            can_change: me.manages(&user),
            // nor their own roles or placement
            can_change_roles: me.manages(&user) && (me.is_platform() || user.id != me.id),
            placement: PlacementView {
                agencies: if me.is_platform() {
                    choices.agencies
                } else {
                    Vec::new()
                },
                agency_id: placing_in,
                unit_id: user.unit_id,
                position_id: user.position_id,
                units: choices.units,
                positions: choices.positions,
                supervisor_email,
            },
            notice_key: notice,
            notice_bad: bad,
        })?,
    )
}

/// `pages/admin_users_detail`: one person, their roles and placement.
#[derive(Serialize)]
struct PersonPage {
    /// `view::OrgNames::describe` of the person.
    person: Value,
    supervisor: Option<SupervisorLink>,
    staff: i64,
    #[serde(rename = "self")]
    is_self: bool,
    can_platform: bool,
    can_change: bool,
    can_change_roles: bool,
    placement: PlacementView,
    notice_key: Option<String>,
    notice_bad: bool,
}

/// A person's supervisor; `manageable`: the admin may open them.
#[derive(Serialize)]
struct SupervisorLink {
    id: i64,
    name: String,
    email: String,
    manageable: bool,
}

/// The placement form: its choices and what is set.
#[derive(Serialize)]
struct PlacementView {
    agencies: Vec<orgs::Agency>,
    agency_id: Option<i64>,
    unit_id: Option<i64>,
    position_id: Option<i64>,
    units: Vec<orgs::UnitChoice>,
    positions: Vec<orgs::Position>,
    supervisor_email: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RolesForm {
    author: String,
    agency_admin: String,
    platform_admin: String,
}

fn checked(v: &str) -> bool {
    !v.trim().is_empty()
}

async fn set_roles(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<i64>,
    form: CsrfForm<RolesForm>,
) -> Result<HttpResponse, AppError> {
    let user = managed(&ctx.db, &me, path.into_inner()).await?;
    let f = form.0;
    let wanted = Roles {
        author: checked(&f.author),
        agency_admin: checked(&f.agency_admin),
        // only a platform admin makes (or unmakes) platform admins: an agency admin's form
        // leaves the flag as it is
        platform_admin: if me.is_platform() {
            checked(&f.platform_admin)
        } else {
            user.is_platform_admin
        },
    };
    let back = format!("/admin/users/{}", user.id);
    match rights::may_set_roles(&me, &user, wanted) {
        Ok(()) => {}
        Err(RoleRefusal::NoAgency) => return Ok(redirect(&format!("{back}?notice=no_agency"))),
        Err(RoleRefusal::OwnRoles) => return Ok(redirect(&format!("{back}?notice=own_roles"))),
        Err(RoleRefusal::NotManaged | RoleRefusal::PlatformOnly) => {
            return Err(AppError::Forbidden)
        }
    }
    let Roles {
        author,
        agency_admin,
        platform_admin,
    } = wanted;
    let id = user.id;
    let removing_admin = user.is_platform_admin && !platform_admin;
    let actor = me.id;
    let this = if id == me.id {
        crate::web::auth::session_of(&ctx.req).map(|s| s.id)
    } else {
        None
    };
    let outcome = ctx.db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                if removing_admin && users::active_platform_admins(conn)? <= 1 {
                    return Ok::<_, AppError>(None);
                }
                users::set_roles(conn, id, author, agency_admin, platform_admin)?;
                crate::db::audit::record(
                    conn,
                    Some(actor),
                    "user.roles",
                    &format!("user:{id}"),
                    &format!("author={author} agency_admin={agency_admin} platform_admin={platform_admin}"),
                )?;
                let version = users::find(conn, id)?.map(|u| u.session_version);
                // changing one's own roles ends one's sessions; this one continues with the
                // new roles
                if let (Some(sid), Some(v)) = (&this, version) {
                    super::sessions::keep(conn, sid, v)?;
                }
                Ok(version)
            })
        })
        .await?;
    if outcome.is_none() {
        return Ok(redirect(&format!("{back}?notice=last_admin")));
    }
    let to = if id == me.id && !(platform_admin || agency_admin) {
        // no longer an admin: the page they were on is no longer theirs
        "/me".to_string()
    } else {
        format!("{back}?notice=roles")
    };
    Ok(redirect(&to))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlacementForm {
    agency_id: String,
    unit_id: String,
    position_id: String,
    supervisor_email: String,
}

fn parse_id(s: &str) -> Option<i64> {
    s.trim().parse().ok().filter(|n: &i64| *n > 0)
}

/// An administrator places a person: agency (a platform admin chooses; an agency admin's own),
/// unit, position and direct supervisor (an account of the same agency, named by e-mail).
async fn set_placement(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<i64>,
    form: CsrfForm<PlacementForm>,
) -> Result<HttpResponse, AppError> {
    let user = managed(&ctx.db, &me, path.into_inner()).await?;
    let f = form.0;
    let agency_id = match me.agency() {
        Some(own) => Some(own),
        None => parse_id(&f.agency_id),
    };
    let actor = me.user.0.clone();
    let sup_email = f.supervisor_email.trim().to_string();
    let (unit_id, position_id) = (parse_id(&f.unit_id), parse_id(&f.position_id));
    let person_id = user.id;
    let outcome = ctx
        .db
        .run(move |conn| {
            let supervisor_id = match (sup_email.is_empty(), agency_id) {
                (true, _) => None,
                (false, Some(a)) => match placement::supervisor_in(conn, &sup_email, a, person_id)?
                {
                    Some(s) => Some(s.id),
                    None => {
                        return Err(PlacementError::Refused(
                            placement::Refusal::SupervisorUnknown,
                        ));
                    }
                },
                (false, None) => {
                    return Err(PlacementError::Refused(placement::Refusal::AgencyUnknown))
                }
            };
            let to = Placement {
                agency_id,
                unit_id,
                position_id,
                supervisor_id,
            };
            placement::place(conn, &actor, person_id, &to).map(|_| ())
        })
        .await;
    match outcome {
        Ok(()) => Ok(redirect(&format!("/admin/users/{person_id}?notice=placed"))),
        Err(e) => Err(AppError::BadRequest(
            ctx.views.text(ctx.lang, e.refusal()?.key()),
        )),
    }
}

async fn disable(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    switch(&ctx, me, path.into_inner(), true).await
}

async fn enable(
    ctx: Ctx,
    me: AdminOf,
    path: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    switch(&ctx, me, path.into_inner(), false).await
}

async fn switch(ctx: &Ctx, me: AdminOf, id: i64, disabled: bool) -> Result<HttpResponse, AppError> {
    let user = managed(&ctx.db, &me, id).await?;
    if !me.manages(&user) {
        return Err(AppError::Forbidden);
    }
    if user.id == me.id {
        return Ok(redirect(&format!("/admin/users/{id}?notice=self")));
    }
    let actor = me.id;
    ctx.db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                users::set_disabled(conn, id, disabled)?;
                let action = if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                };
                crate::db::audit::record(conn, Some(actor), action, &format!("user:{id}"), "")?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    let notice = if disabled { "disabled" } else { "enabled" };
    Ok(redirect(&format!("/admin/users/{id}?notice={notice}")))
}

// ---------- import ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportForm {
    csv: String,
    agency_id: String,
}

/// What the import page shows besides the form: the agencies a platform admin may pick, and the
/// chosen agency's units and positions (what the file may name).
async fn import_page(
    ctx: &Ctx,
    me: &AdminOf,
    agency_id: Option<i64>,
    csv: &str,
    problems: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let platform = me.is_platform();
    let (agencies, units, positions) = ctx
        .db
        .run(move |conn| {
            let agencies = if platform {
                orgs::agencies(conn)?
            } else {
                Vec::new()
            };
            let (units, positions) = match agency_id {
                Some(a) => (
                    orgs::unit_tree(&orgs::units(conn, a)?),
                    orgs::positions(conn, a)?,
                ),
                None => (Vec::new(), Vec::new()),
            };
            Ok::<_, AppError>((agencies, units, positions))
        })
        .await?;
    let agency_list: Vec<Value> = agencies
        .iter()
        .map(|a| json!({"id": a.id, "name": a.name, "selected": Some(a.id) == agency_id}))
        .collect();
    let unit_paths: Vec<String> = units.iter().map(|u| u.label.replace(" › ", "/")).collect();
    let position_names: Vec<String> = positions.into_iter().map(|p| p.name).collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ctx.html(
        status,
        "pages/admin_users_import",
        json!({
            "csv": csv,
            "platform": platform,
            "agencies": agency_list,
            "units": unit_paths,
            "positions": position_names,
            "header": Column::template_header(),
            "problems": problems,
            "max_rows": onboarding::MAX_ROWS,
        }),
    )
}

/// The agency an import goes to: an agency admin's own; for a platform admin the one chosen
/// (or their own).
fn import_agency(me: &AdminOf, chosen: &str) -> Option<i64> {
    match me.agency() {
        Some(own) => Some(own),
        None => chosen.trim().parse::<i64>().ok().or(me.agency_id),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AgencyQuery {
    agency: String,
}

async fn import_form(
    ctx: Ctx,
    me: AdminOf,
    query: web::Query<AgencyQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = import_agency(&me, &query.agency);
    import_page(&ctx, &me, agency, "", Vec::new()).await
}

async fn import(
    ctx: Ctx,
    me: AdminOf,
    form: CsrfForm<ImportForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let lang = ctx.lang;
    let agency_id = import_agency(&me, &f.agency_id);
    let agency = match agency_id {
        Some(a) => {
            me.of_agency(a)?;
            ctx.db
                .run(move |conn| Ok::<_, AppError>(orgs::agency(conn, a)?))
                .await?
        }
        None => None,
    };
    let Some(agency) = agency else {
        let msg = ctx
            .views
            .i18n()
            .get(lang, "people.import.choose_agency")
            .unwrap_or("people.import.choose_agency")
            .to_string();
        return import_page(&ctx, &me, None, &f.csv, vec![msg]).await;
    };
    let base = ctx
        .config
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let templates = ctx.mail_templates.clone();
    let text = f.csv.clone();
    let a2 = agency.clone();
    let actor = me.id;
    let outcome = ctx
        .db
        .run(move |conn| {
            let import = ImportContext {
                actor: Some(actor),
                agency_id: a2.id,
                agency_name: &a2.name,
                invite_base: &format!("{base}/invite/"),
                templates: &templates,
                // the people invited are Indonesian civil servants: Indonesian first
                lang: Lang::Id,
            };
            onboarding::import(conn, &import, &text)
        })
        .await;
    match outcome {
        Ok(ids) => {
            ctx.mailer.wake();
            let mut to = format!("/admin/users?imported={}", ids.len());
            if me.is_platform() {
                to.push_str(&format!("&agency={}", agency.id));
            }
            Ok(redirect(&to))
        }
        Err(ImportError::Db(e)) => Err(AppError::Db(e)),
        Err(ImportError::Mail(m)) => Err(AppError::Internal(m)),
        Err(ImportError::Refused(problems)) => {
            let messages: Vec<String> = problems
                .iter()
                .map(|p| onboarding::describe(p, lang, ctx.views.i18n()))
                .collect();
            import_page(&ctx, &me, Some(agency.id), &f.csv, messages).await
        }
    }
}
