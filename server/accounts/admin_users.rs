//! People admin (`/admin/users…`): list and search people, import them from CSV, change their
//! roles, disable and enable accounts. And the supervisor's view of their staff (`/team`).
//!
//! An agency admin sees and manages the people of their own agency only; a platform admin sees
//! everyone. A person outside what one may manage is "not found", never "forbidden", so ids in
//! URLs reveal nothing.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::onboarding::{self, Column, ImportContext, ImportError};
use super::orgs::{self, Agency};
use super::users::{self, User};
use crate::config::Config;
use crate::db::{Db, DbConnection, DbError};
use crate::error::AppError;
use crate::mail::{MailTemplates, Mailer};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::{html, redirect};
use crate::web::{Lang, Views};

/// People per page in the list.
pub const PAGE_SIZE: i64 = 50;
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
        .route("/admin/users/{id}/disable", web::post().to(disable))
        .route("/admin/users/{id}/enable", web::post().to(enable))
        .route("/team", web::get().to(team))
        .route("/team/{id}", web::get().to(team_member));
}

/// Whether `me` may manage `u`.
fn may_manage(me: &User, u: &User) -> bool {
    me.is_platform_admin
        || (me.is_agency_admin && me.agency_id.is_some() && u.agency_id == me.agency_id)
}

/// The agency whose people an agency admin manages; platform admins are not limited.
fn scope(me: &CurrentUser) -> Result<Option<i64>, AppError> {
    me.require_any_admin()?;
    if me.is_platform_admin {
        return Ok(None);
    }
    match me.agency_id {
        Some(a) => Ok(Some(a)),
        None => Err(AppError::Forbidden),
    }
}

/// How a person is shown: their row plus names of their agency, unit and position.
fn describe(
    u: &User,
    agencies: &HashMap<i64, Agency>,
    units: &HashMap<i64, String>,
    positions: &HashMap<i64, String>,
) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "nip": u.nip,
        "agency": u.agency_id.and_then(|a| agencies.get(&a)).map(|a| a.name.clone()),
        "unit": u.unit_id.and_then(|x| units.get(&x)).cloned(),
        "position": u.position_id.and_then(|x| positions.get(&x)).cloned(),
        "verified": u.email_verified_at.is_some(),
        "invited": u.email_verified_at.is_none() && u.password_hash.is_none(),
        "disabled": u.disabled,
        "is_author": u.is_author,
        "is_agency_admin": u.is_agency_admin,
        "is_platform_admin": u.is_platform_admin,
    })
}

/// Agencies by id, and unit labels (full paths) and position names of the agencies of `people`.
type Names = (
    HashMap<i64, Agency>,
    HashMap<i64, String>,
    HashMap<i64, String>,
);

fn names_for(conn: &mut DbConnection, people: &[&User]) -> Result<Names, DbError> {
    let agencies: HashMap<i64, Agency> = orgs::agencies(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut ids: Vec<i64> = people.iter().filter_map(|u| u.agency_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut units = HashMap::new();
    let mut positions = HashMap::new();
    for a in ids {
        units.extend(
            orgs::unit_tree(&orgs::units(conn, a)?)
                .into_iter()
                .map(|c| (c.id, c.label)),
        );
        positions.extend(
            orgs::positions(conn, a)?
                .into_iter()
                .map(|p| (p.id, p.name)),
        );
    }
    Ok((agencies, units, positions))
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
    req: HttpRequest,
    views: web::Data<Views>,
    db: web::Data<Db>,
    me: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = scope(&me)?;
    let q = query.into_inner();
    let agency_filter = match scope {
        Some(a) => Some(a),
        None => q.agency.trim().parse::<i64>().ok(),
    };
    let page = q.page.trim().parse::<i64>().unwrap_or(1).max(1);
    let search = q.q.trim().to_string();
    let s2 = search.clone();
    let (people, total, agencies, units, positions) = db
        .run(move |conn| {
            let (people, total) =
                users::search(conn, agency_filter, &s2, (page - 1) * PAGE_SIZE, PAGE_SIZE)?;
            let refs: Vec<&User> = people.iter().collect();
            let (agencies, units, positions) = names_for(conn, &refs)?;
            Ok::<_, AppError>((people, total, agencies, units, positions))
        })
        .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
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
    let rows: Vec<Value> = people
        .iter()
        .map(|u| describe(u, &agencies, &units, &positions))
        .collect();
    let mut agency_list: Vec<Value> = agencies
        .values()
        .map(|a| json!({"id": a.id, "name": a.name, "selected": Some(a.id) == agency_filter}))
        .collect();
    agency_list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let notice = match q.notice.as_str() {
        "disabled" | "enabled" | "roles" => Some(format!("people.notice.{}", q.notice)),
        _ => None,
    };
    html(
        &views,
        &req,
        StatusCode::OK,
        "pages/admin_users",
        json!({
            "people": rows,
            "total": total,
            "q": search,
            "platform": scope.is_none(),
            "agency_name": scope.and_then(|a| agencies.get(&a)).map(|a| a.name.clone()),
            "agencies": agency_list,
            "page": page,
            "pages": pages,
            "prev": (page > 1).then(|| link(page - 1)),
            "next": (page < pages).then(|| link(page + 1)),
            "imported": q.imported.trim().parse::<i64>().ok(),
            "notice_key": notice,
        }),
    )
}

// ---------- detail, roles, disable ----------

/// The person `id`, if `me` may manage them; otherwise not found.
async fn managed(db: &Db, me: &CurrentUser, id: i64) -> Result<User, AppError> {
    me.require_any_admin()?;
    let user = db
        .run(move |conn| Ok::<_, AppError>(users::find(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if may_manage(me, &user) {
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
    req: HttpRequest,
    views: web::Data<Views>,
    db: web::Data<Db>,
    me: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let user = managed(&db, &me, path.into_inner()).await?;
    let u2 = user.clone();
    let (person, supervisor, staff) = db
        .run(move |conn| {
            let (agencies, units, positions) = names_for(conn, &[&u2])?;
            let person = describe(&u2, &agencies, &units, &positions);
            let supervisor = match u2.supervisor_id {
                Some(s) => users::find(conn, s)?,
                None => None,
            };
            let staff = users::team(conn, u2.id)?.len();
            Ok::<_, AppError>((person, supervisor, staff))
        })
        .await?;
    let (notice, bad) = match query.notice.as_str() {
        "roles" | "disabled" | "enabled" => {
            (Some(format!("people.notice.{}", query.notice)), false)
        }
        "no_agency" | "last_admin" | "self" => {
            (Some(format!("people.notice.{}", query.notice)), true)
        }
        _ => (None, false),
    };
    let supervisor = supervisor.map(|s| {
        json!({"id": s.id, "name": s.name, "email": s.email, "manageable": may_manage(&me, &s)})
    });
    html(
        &views,
        &req,
        StatusCode::OK,
        "pages/admin_users_detail",
        json!({
            "person": person,
            "supervisor": supervisor,
            "staff": staff,
            "self": user.id == me.id,
            "can_platform": me.is_platform_admin,
            // an agency admin does not touch a platform admin's account
            "can_change": me.is_platform_admin || !user.is_platform_admin,
            "notice_key": notice,
            "notice_bad": bad,
        }),
    )
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

#[allow(clippy::too_many_arguments)]
async fn set_roles(
    req: HttpRequest,
    db: web::Data<Db>,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<RolesForm>,
) -> Result<HttpResponse, AppError> {
    let user = managed(&db, &me, path.into_inner()).await?;
    if !me.is_platform_admin && user.is_platform_admin {
        return Err(AppError::Forbidden);
    }
    let f = form.0;
    let author = checked(&f.author);
    let agency_admin = checked(&f.agency_admin);
    // only a platform admin makes (or unmakes) platform admins
    let platform_admin = if me.is_platform_admin {
        checked(&f.platform_admin)
    } else {
        user.is_platform_admin
    };
    let back = format!("/admin/users/{}", user.id);
    if agency_admin && user.agency_id.is_none() {
        return Ok(redirect(&format!("{back}?notice=no_agency")));
    }
    let id = user.id;
    let removing_admin = user.is_platform_admin && !platform_admin;
    let actor = me.id;
    let this = if id == me.id {
        crate::web::auth::session_of(&req).map(|s| s.id)
    } else {
        None
    };
    let outcome = db
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
struct Empty {}

async fn disable(
    db: web::Data<Db>,
    me: CurrentUser,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    switch(db, me, path.into_inner(), true).await
}

async fn enable(
    db: web::Data<Db>,
    me: CurrentUser,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    switch(db, me, path.into_inner(), false).await
}

async fn switch(
    db: web::Data<Db>,
    me: CurrentUser,
    id: i64,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    let user = managed(&db, &me, id).await?;
    if !me.is_platform_admin && user.is_platform_admin {
        return Err(AppError::Forbidden);
    }
    if user.id == me.id {
        return Ok(redirect(&format!("/admin/users/{id}?notice=self")));
    }
    let actor = me.id;
    db.run(move |conn| {
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
    req: &HttpRequest,
    views: &Views,
    db: &Db,
    me: &CurrentUser,
    agency_id: Option<i64>,
    csv: &str,
    problems: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let platform = me.is_platform_admin;
    let (agencies, units, positions) = db
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
    html(
        views,
        req,
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
fn import_agency(me: &CurrentUser, chosen: &str) -> Result<Option<i64>, AppError> {
    me.require_any_admin()?;
    if me.is_platform_admin {
        Ok(chosen.trim().parse::<i64>().ok().or(me.agency_id))
    } else {
        me.agency_id.map(Some).ok_or(AppError::Forbidden)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AgencyQuery {
    agency: String,
}

async fn import_form(
    req: HttpRequest,
    views: web::Data<Views>,
    db: web::Data<Db>,
    me: CurrentUser,
    query: web::Query<AgencyQuery>,
) -> Result<HttpResponse, AppError> {
    let agency = import_agency(&me, &query.agency)?;
    import_page(&req, &views, &db, &me, agency, "", Vec::new()).await
}

#[allow(clippy::too_many_arguments)]
async fn import(
    req: HttpRequest,
    views: web::Data<Views>,
    db: web::Data<Db>,
    config: web::Data<Config>,
    templates: web::Data<MailTemplates>,
    mailer: web::Data<Mailer>,
    me: CurrentUser,
    form: CsrfForm<ImportForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let lang = Lang::of(&req);
    let agency_id = import_agency(&me, &f.agency_id)?;
    let agency = match agency_id {
        Some(a) => {
            me.require_agency_admin(a)?;
            db.run(move |conn| Ok::<_, AppError>(orgs::agency(conn, a)?))
                .await?
        }
        None => None,
    };
    let Some(agency) = agency else {
        let msg = views
            .i18n()
            .get(lang, "people.import.choose_agency")
            .unwrap_or("people.import.choose_agency")
            .to_string();
        return import_page(&req, &views, &db, &me, None, &f.csv, vec![msg]).await;
    };
    let base = config.base_url.as_str().trim_end_matches('/').to_string();
    let templates = templates.clone();
    let text = f.csv.clone();
    let a2 = agency.clone();
    let outcome = db
        .run(move |conn| {
            let ctx = ImportContext {
                agency_id: a2.id,
                agency_name: &a2.name,
                invite_base: &format!("{base}/invite/"),
                templates: &templates,
                // the people invited are Indonesian civil servants: Indonesian first
                lang: Lang::Id,
            };
            onboarding::import(conn, &ctx, &text).map_err(|e| match e {
                ImportError::Db(e) => AppError::Db(e),
                ImportError::Mail(m) => AppError::Internal(m),
            })
        })
        .await?;
    match outcome {
        Ok(ids) => {
            mailer.wake();
            let mut to = format!("/admin/users?imported={}", ids.len());
            if me.is_platform_admin {
                to.push_str(&format!("&agency={}", agency.id));
            }
            Ok(redirect(&to))
        }
        Err(problems) => {
            let messages: Vec<String> = problems
                .iter()
                .map(|p| onboarding::describe(p, lang, views.i18n()))
                .collect();
            import_page(&req, &views, &db, &me, Some(agency.id), &f.csv, messages).await
        }
    }
}

// ---------- the supervisor's team ----------

async fn team(
    req: HttpRequest,
    views: web::Data<Views>,
    db: web::Data<Db>,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = me.id;
    let lang = crate::web::Lang::of(&req);
    let (members, impact) = db
        .run(move |conn| {
            let impact = crate::competency::evaluation::open_questions(conn, id)?;
            let staff = users::team(conn, id)?;
            let refs: Vec<&User> = staff.iter().collect();
            let (agencies, units, positions) = names_for(conn, &refs)?;
            let ids: Vec<i64> = staff.iter().map(|u| u.id).collect();
            let figures =
                crate::competency::team::figures(conn, &ids, chrono::Utc::now().naive_utc())?;
            let members = staff
                .iter()
                .map(|u| {
                    let mut v = describe(u, &agencies, &units, &positions);
                    let f = figures.get(&u.id).cloned().unwrap_or_default();
                    v["jp"] = json!(f.jp);
                    v["jp_target"] = json!(f.jp_target);
                    v["jp_ok"] = json!(f.jp >= f.jp_target);
                    v["gaps"] = json!(f.gaps);
                    v["overdue"] = json!(f.overdue);
                    v
                })
                .collect::<Vec<Value>>();
            Ok::<_, AppError>((members, impact))
        })
        .await?;
    let impact: Vec<Value> = impact
        .iter()
        .map(|q| {
            json!({
                "id": q.id,
                "learner": q.learner_name,
                "course": q.course_title,
                "completed": crate::text::date(q.completed_at.date(), lang),
            })
        })
        .collect();
    html(
        &views,
        &req,
        StatusCode::OK,
        "pages/team",
        json!({"members": members, "impact": impact}),
    )
}

async fn team_member(
    req: HttpRequest,
    views: web::Data<Views>,
    db: web::Data<Db>,
    me: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let me_id = me.id;
    let person = db
        .run(move |conn| {
            // only one's own staff: anyone else is "not found"
            let Some(u) = users::find(conn, id)?.filter(|u| u.supervisor_id == Some(me_id)) else {
                return Ok::<_, AppError>(None);
            };
            let (agencies, units, positions) = names_for(conn, &[&u])?;
            Ok(Some(describe(&u, &agencies, &units, &positions)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    html(
        &views,
        &req,
        StatusCode::OK,
        "pages/team_member",
        json!({"person": person}),
    )
}
