//! The supervisor's view of their staff (`/team`, `/team/{id}`): each person's JP this year
//! against their target, competency gaps and overdue assignments, and the evaluation questions
//! still open for the supervisor.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::accounts::users::{self, User};
use crate::accounts::view::names_for;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::pages::{page_count, page_number, PAGE_SIZE};
use crate::web::policy::SupervisorOf;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/team", web::get().to(team))
        .route("/team/{id}", web::get().to(team_member));
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    page: String,
}

async fn team(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let id = me.id;
    let lang = ctx.lang;
    let wanted = page_number(&q.page);
    // a page of the team at a time: a unit head of a province's agency may have thousands
    let (members, impact, total, page) = ctx
        .db
        .run(move |conn| {
            let impact = super::evaluation::open_questions(conn, id)?;
            let (mut staff, total) =
                users::team_page(conn, id, (wanted - 1) * PAGE_SIZE, PAGE_SIZE)?;
            // past the end: the last page
            let page = wanted.min(page_count(total));
            if page != wanted {
                staff = users::team_page(conn, id, (page - 1) * PAGE_SIZE, PAGE_SIZE)?.0;
            }
            let refs: Vec<&User> = staff.iter().collect();
            let names = names_for(conn, &refs)?;
            let ids: Vec<i64> = staff.iter().map(|u| u.id).collect();
            let figures = super::team::figures(conn, &ids, chrono::Utc::now().naive_utc())?;
            let members = staff
                .iter()
                .map(|u| {
                    let mut v = names.describe(u);
                    let f = figures.get(&u.id).cloned().unwrap_or_default();
                    v["jp"] = json!(f.jp);
                    v["jp_target"] = json!(f.jp_target);
                    v["jp_ok"] = json!(f.jp >= f.jp_target);
                    v["gaps"] = json!(f.gaps);
                    v["overdue"] = json!(f.overdue);
                    v
                })
                .collect::<Vec<Value>>();
            Ok::<_, AppError>((members, impact, total, page))
        })
        .await?;
    let pages = page_count(total);
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
    ctx.html(
        StatusCode::OK,
        "pages/team",
        json!({
            "members": members,
            "impact": impact,
            "total": total,
            "paged": pages > 1,
            "page": page,
            "pages": pages,
            "prev": (page > 1).then(|| format!("/team?page={}", page - 1)),
            "next": (page < pages).then(|| format!("/team?page={}", page + 1)),
        }),
    )
}

async fn team_member(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let sup = me.0.clone();
    let person = ctx
        .db
        .run(move |conn| {
            // only one's own staff: anyone else is "not found"
            let Some(u) = users::find(conn, id)?
                .and_then(|u| SupervisorOf::check(&sup, u))
                .map(|p| p.member)
            else {
                return Ok::<_, AppError>(None);
            };
            Ok(Some(names_for(conn, &[&u])?.describe(&u)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    ctx.html(
        StatusCode::OK,
        "pages/team_member",
        json!({"person": person}),
    )
}
