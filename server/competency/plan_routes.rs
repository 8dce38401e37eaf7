//! The yearly development plan: the supervisor drafts it at `/team/{id}/plan`; the member sees it,
//! with its fulfilment, on their profile.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::kinds::KINDS;
use super::plan::{self, ItemError, ItemRefused, NewItem};
use crate::accounts::users;
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::policy::SupervisorOf;
use crate::web::state::Ctx;

/// The plan's year: the current year in the agency's time zone.
async fn plan_year(db: &Db, agency_id: Option<i64>) -> Result<i32, AppError> {
    let zone = db
        .run(move |conn| crate::clock::zone_of_agency(conn, agency_id))
        .await?;
    Ok(zone.year_of(Utc::now().naive_utc()))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/team/{id}/plan", web::get().to(plan_page))
        .route("/team/{id}/plan", web::post().to(save))
        .route("/team/{id}/plan/items", web::post().to(add_item))
        .route(
            "/team/{id}/plan/items/{item}/delete",
            web::post().to(remove_item),
        );
}

/// The member, when `me` is their direct supervisor.
fn member_of(conn: &mut DbConnection, me: &users::User, id: i64) -> Result<users::User, AppError> {
    users::find(conn, id)?
        .and_then(|u| SupervisorOf::check(me, u))
        .map(|p| p.member)
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanQuery {
    notice: String,
    error: String,
}

async fn plan_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    q: web::Query<PlanQuery>,
) -> Result<HttpResponse, AppError> {
    let offers = ctx.offers.clone();
    let id = path.into_inner();
    let offers = offers.into_inner();
    let sup = me.0.clone();
    let year = plan_year(&ctx.db, sup.agency_id).await?;
    let (member, plan, offers, agency_target, outlook) = ctx
        .db
        .run(move |conn| {
            let member = member_of(conn, &sup, id)?;
            let plan = plan::get(conn, id, year)?;
            let offers = offers.get(conn)?;
            let target = super::jp::target(conn, member.agency_id)?;
            // the warning at approval: the agency's budget, planned costs counted, below zero
            let outlook = match member.agency_id {
                Some(a) => Some(super::budget::outlook(conn, a, year)?),
                None => None,
            };
            Ok::<_, AppError>((member, plan, offers, target, outlook))
        })
        .await?;
    // A supervisor is warned that the agency's budget would be exceeded, without its figures:
    // budget amounts are for the agency's admins (the budget page).
    let budget_warning = outlook.and_then(|o| o.shortfall()).is_some();
    let courses: Vec<Value> = offers
        .iter()
        .map(|o| json!({"slug": o.slug, "title": o.title, "jp": o.jp}))
        .collect();
    let kinds: Vec<Value> = KINDS
        .iter()
        .map(|k| json!({"code": k, "key": format!("activities.kind.{k}")}))
        .collect();
    let notice = match q.notice.as_str() {
        "saved" => Some("plan.saved"),
        _ => None,
    };
    let error = match q.error.as_str() {
        "course" => Some("plan.error.course"),
        "kind" => Some("plan.error.kind"),
        "title" => Some("plan.error.title"),
        "jp" => Some("plan.error.jp"),
        "duplicate" => Some("plan.error.duplicate"),
        "no_plan" => Some("plan.error.no_plan"),
        "cost" => Some("plan.error.cost"),
        _ => None,
    };
    ctx.page(
        "pages/plan",
        json!({
            "member": {"id": member.id, "name": member.name},
            "year": year,
            "plan": plan.as_ref().map(|p| plan::view(p, agency_target)),
            "default_target": agency_target,
            "courses": courses,
            "kinds": kinds,
            "notice_key": notice,
            "error_key": error,
            "budget_warning": budget_warning,
        }),
    )
}

#[derive(Deserialize, Default)]
struct SaveForm {
    #[serde(default)]
    target_jp: String,
    #[serde(default)]
    note: String,
}

fn back(id: i64, query: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/team/{id}/plan?{query}")))
        .finish()
}

async fn save(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<SaveForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let id = path.into_inner();
    let target: i32 = form
        .0
        .target_jp
        .trim()
        .parse()
        .ok()
        .filter(|t| (1..=500).contains(t))
        .ok_or_else(|| AppError::BadRequest(ctx.views.text(lang, "plan.error.target")))?;
    let note: String = form.0.note.trim().chars().take(2000).collect();
    let me_id = me.id;
    let sup = me.0.clone();
    let year = plan_year(&ctx.db, sup.agency_id).await?;
    ctx.db
        .run(move |conn| {
            member_of(conn, &sup, id)?;
            plan::save(conn, id, year, target, &note, me_id)?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(back(id, "notice=saved"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ItemForm {
    kind: String,
    course: String,
    activity_kind: String,
    title: String,
    jp: String,
    /// Planned cost (rupiah); empty: the course's fee, or nothing for an activity.
    cost: String,
}

async fn add_item(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<ItemForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.0;
    let item = if f.kind == "course" {
        NewItem::Course(f.course.clone())
    } else {
        NewItem::Activity(
            f.activity_kind.clone(),
            f.title.clone(),
            f.jp.trim().parse().unwrap_or(0),
        )
    };
    let Ok(cost) = super::budget::parse_optional_amount(&f.cost) else {
        return Ok(back(id, "error=cost"));
    };
    let sup = me.0.clone();
    let year = plan_year(&ctx.db, sup.agency_id).await?;
    let outcome = ctx
        .db
        .run(move |conn| {
            member_of(conn, &sup, id)?;
            let Some(p) = plan::get(conn, id, year)? else {
                return Ok::<_, AppError>(Err("no_plan"));
            };
            Ok(match plan::add_item(conn, p.id, &item, cost) {
                Ok(_) => Ok(()),
                Err(ItemError::Db(e)) => return Err(e.into()),
                Err(ItemError::Refused(ItemRefused::UnknownCourse)) => Err("course"),
                Err(ItemError::Refused(ItemRefused::UnknownKind)) => Err("kind"),
                Err(ItemError::Refused(ItemRefused::BadTitle)) => Err("title"),
                Err(ItemError::Refused(ItemRefused::BadJp)) => Err("jp"),
                Err(ItemError::Refused(ItemRefused::AlreadyPlanned)) => Err("duplicate"),
            })
        })
        .await?;
    Ok(match outcome {
        Ok(()) => back(id, "notice=saved"),
        Err(e) => back(id, &format!("error={e}")),
    })
}

async fn remove_item(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, item) = path.into_inner();
    let sup = me.0.clone();
    let year = plan_year(&ctx.db, sup.agency_id).await?;
    ctx.db
        .run(move |conn| {
            member_of(conn, &sup, id)?;
            let p = plan::get(conn, id, year)?.ok_or(AppError::NotFound)?;
            if !plan::remove_item(conn, p.id, item)? {
                return Err(AppError::NotFound);
            }
            Ok(())
        })
        .await?;
    Ok(back(id, "notice=saved"))
}
