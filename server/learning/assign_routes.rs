//! `/assign`: supervisors assign courses to their staff; agency admins to a person, unit or
//! position of their agency. Every target is checked against who is asking.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::assign::{self, BadDue, Outcome};
use crate::accounts::rights::{self, AdminScope};
use crate::accounts::{orgs, users};
use crate::catalog::store;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/assign", web::get().to(form_page))
        .route("/assign", web::post().to(submit));
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AssignForm {
    course: String,
    /// team | person | unit | position
    target: String,
    email: String,
    unit_id: String,
    position_id: String,
    /// YYYY-MM-DD
    due: String,
}

/// What the assign page shows below its form.
enum Shown {
    /// The empty form (`200`).
    Form,
    /// Why the form was refused (`422`).
    Refused(String),
    /// What assigning came to (`200`).
    Assigned(Outcome),
}

async fn page(
    ctx: &Ctx,
    me: &CurrentUser,
    form: AssignForm,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let (error, outcome, status) = match shown {
        Shown::Form => (None, None, StatusCode::OK),
        Shown::Refused(e) => (Some(e), None, StatusCode::UNPROCESSABLE_ENTITY),
        Shown::Assigned(o) => (None, Some(o), StatusCode::OK),
    };
    let uid = me.id;
    let scope = rights::admin_scope(me);
    let admin = scope.is_some();
    let (courses, supervisor, org) = ctx
        .db
        .run(move |conn| {
            let courses = store::catalog(conn)?;
            let sup = users::is_supervisor(conn, uid)?;
            let org = match scope {
                Some(AdminScope::Agency(a)) => orgs::choices(conn, Some(a))?,
                _ => orgs::Choices::default(),
            };
            Ok::<_, AppError>((courses, sup, org))
        })
        .await?;
    if !supervisor && !admin {
        return Err(AppError::Forbidden);
    }
    let body = ctx.render(
        "pages/assign",
        json!({
            "courses": courses.iter().map(|c| json!({"slug": c.slug, "title": c.title, "selected": c.slug == form.course})).collect::<Vec<_>>(),
            "supervisor": supervisor,
            "admin": admin,
            "units": org.units,
            "positions": org.positions,
            "form": {"target": if form.target.is_empty() { if supervisor { "team".to_string() } else { "person".to_string() } } else { form.target.clone() },
                     "email": form.email, "unit_id": form.unit_id, "position_id": form.position_id, "due": form.due},
            "error": error,
            "budget_short": outcome.as_ref().and_then(|o| o.budget_shortfall).map(crate::competency::budget::rupiah),
            "outcome": outcome,
        }),
    )?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CourseQuery {
    course: String,
}

async fn form_page(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<CourseQuery>,
) -> Result<HttpResponse, AppError> {
    let form = AssignForm {
        course: q.course.clone(),
        ..Default::default()
    };
    page(&ctx, &me, form, Shown::Form).await
}

async fn submit(
    ctx: Ctx,
    me: CurrentUser,
    form: CsrfForm<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    // the due date is a day in the asker's agency zone
    let agency = me.agency_id;
    let zone = ctx
        .db
        .run(move |conn| crate::clock::zone_of_agency(conn, agency))
        .await?;
    let due_at = match assign::due_at(&f.due, zone, ctx.now()) {
        Ok(due_at) => due_at,
        Err(bad) => {
            let e = bad_due(&ctx, bad, zone);
            return page(&ctx, &me, f, Shown::Refused(e)).await;
        }
    };
    let user = me.0.clone();
    let form2 = f.clone();
    let assigned = ctx
        .db
        .run(move |conn| {
            let request = assign::FormRequest {
                course: &form2.course,
                target: &form2.target,
                email: &form2.email,
                unit_id: &form2.unit_id,
                position_id: &form2.position_id,
                due_at,
            };
            assign::assign_from_form(conn, &user, &request)
        })
        .await;
    match assigned {
        Ok(outcome) => page(&ctx, &me, f, Shown::Assigned(outcome)).await,
        Err(e) => {
            let e = ctx.views.text(ctx.lang, e.refusal()?);
            page(&ctx, &me, f, Shown::Refused(e)).await
        }
    }
}

/// What the form says of a refused due date, in the asker's language.
fn bad_due(ctx: &Ctx, bad: BadDue, zone: crate::clock::Zone) -> String {
    let lang = ctx.lang;
    match bad {
        BadDue::Past { today } => ctx
            .views
            .i18n()
            .format(
                lang,
                "learning.assign.past_date",
                &[
                    ("today", crate::text::date(today, lang)),
                    ("zone", zone.label().to_string()),
                ],
            )
            .unwrap_or_else(|| "learning.assign.past_date".into()),
        BadDue::Unreadable => ctx.views.text(lang, "learning.assign.bad_date"),
    }
}
