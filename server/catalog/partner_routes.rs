//! Admin pages for partner institutions (`/admin/partners`): platform admins record partners with
//! their signatory, name the authors who belong to each, and the courses each provides. The
//! partners themselves are `crate::accounts::partners`; these pages sit in catalog because they
//! choose among its courses.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::partners::{self, Partner, PartnerError, PartnerInput, Refusal};
use crate::db::audit;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::policy::PlatformAdmin;
use crate::web::redirect;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/partners", web::get().to(list_page))
        .route("/admin/partners", web::post().to(create))
        .route("/admin/partners/{id}", web::get().to(detail_page))
        .route("/admin/partners/{id}", web::post().to(update))
        .route("/admin/partners/{id}/members", web::post().to(add_member))
        .route(
            "/admin/partners/{id}/members/{user_id}/remove",
            web::post().to(remove_member),
        )
        .route("/admin/partners/{id}/courses", web::post().to(add_course))
        .route(
            "/admin/partners/{id}/courses/{slug}/remove",
            web::post().to(remove_course),
        );
}

fn kinds(views: &Views, lang: Lang) -> Vec<KindChoice> {
    partners::KINDS
        .iter()
        .map(|k| KindChoice {
            code: k.to_string(),
            label: views.text(lang, &format!("partners.kind.{k}")),
        })
        .collect()
}

fn refused(e: PartnerError) -> Result<Refusal, AppError> {
    match e.refusal()? {
        Refusal::NotFound => Err(AppError::NotFound),
        r => Ok(r),
    }
}

/// Notices after a change (`?done=…`); only these keys are looked up.
fn done_key(done: &str) -> Option<&'static str> {
    Some(match done {
        "created" => "partners.done.created",
        "saved" => "partners.done.saved",
        "member_added" => "partners.done.member_added",
        "member_removed" => "partners.done.member_removed",
        "course_added" => "partners.done.course_added",
        "course_removed" => "partners.done.course_removed",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

fn form_of(p: &Partner) -> PartnerInput {
    PartnerInput {
        code: p.code.clone(),
        name: p.name.clone(),
        kind: p.kind.clone(),
        signatory_name: p.signatory_name.clone().unwrap_or_default(),
        signatory_title: p.signatory_title.clone().unwrap_or_default(),
        website: p.website.clone(),
    }
}

fn form_json(f: &PartnerInput) -> PartnerForm {
    PartnerForm {
        code: f.code.clone(),
        name: f.name.clone(),
        kind: f.kind.clone(),
        signatory_name: f.signatory_name.clone(),
        signatory_title: f.signatory_title.clone(),
        website: f.website.clone(),
    }
}

// ---------- list and create ----------

async fn list_page(ctx: Ctx, _: PlatformAdmin) -> Result<HttpResponse, AppError> {
    let form = PartnerInput {
        kind: "universitas".into(),
        ..Default::default()
    };
    list_view(&ctx, form, None, StatusCode::OK).await
}

async fn list_view(
    ctx: &Ctx,
    form: PartnerInput,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let list = ctx
        .db
        .run(|conn| Ok::<_, AppError>(partners::list(conn)?))
        .await?;
    let page = PartnersPage {
        partners: list
            .iter()
            .map(|p| PartnerRow {
                id: p.id,
                code: p.code.clone(),
                name: p.name.clone(),
                kind_label: ctx.views.text(lang, &format!("partners.kind.{}", p.kind)),
            })
            .collect(),
        kinds: kinds(&ctx.views, lang),
        form: form_json(&form),
        error,
    };
    ctx.html(status, "pages/admin_partners", page_data(&page)?)
}

async fn create(
    ctx: Ctx,
    me: PlatformAdmin,
    form: CsrfForm<PartnerInput>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let g = f.clone();
    let by = me.id;
    let result = ctx
        .db
        .run(move |conn| {
            let made = partners::create(conn, &g);
            if let Ok(id) = made {
                audit::record(
                    conn,
                    Some(by),
                    "partner.create",
                    &format!("partner:{id}"),
                    &g.name,
                )?;
            }
            Ok::<_, AppError>(made)
        })
        .await?;
    match result {
        Ok(id) => Ok(redirect(&format!("/admin/partners/{id}?done=created"))),
        Err(e) => {
            let r = refused(e)?;
            let msg = ctx.views.text(ctx.lang, r.key());
            list_view(&ctx, f, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ---------- one partner ----------

async fn detail_page(
    ctx: Ctx,
    _: PlatformAdmin,
    path: web::Path<i64>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    detail_view(
        &ctx,
        path.into_inner(),
        None,
        Errors::default(),
        done_key(&q.done),
        StatusCode::OK,
    )
    .await
}

/// An error shown next to the form it belongs to.
#[derive(Default)]
struct Errors {
    partner: Option<String>,
    member: Option<String>,
    course: Option<String>,
}

async fn detail_view(
    ctx: &Ctx,
    id: i64,
    form: Option<PartnerInput>,
    errors: Errors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let found = ctx
        .db
        .run(move |conn| {
            let Some(p) = partners::by_id(conn, id)? else {
                return Ok::<_, AppError>(None);
            };
            let members = partners::members(conn, id)?;
            let slugs = partners::courses_of(conn, id)?;
            let catalog = super::store::catalog(conn)?;
            let title = |slug: &str| {
                catalog
                    .iter()
                    .find(|e| e.slug == slug)
                    .map(|e| e.title.clone())
                    .unwrap_or_else(|| slug.to_string())
            };
            let courses: Vec<CourseLink> = slugs
                .iter()
                .map(|s| CourseLink {
                    slug: s.clone(),
                    title: title(s),
                })
                .collect();
            let others: Vec<CourseLink> = catalog
                .iter()
                .filter(|e| !slugs.contains(&e.slug))
                .map(|e| CourseLink {
                    slug: e.slug.clone(),
                    title: e.title.clone(),
                })
                .collect();
            Ok(Some((p, members, courses, others)))
        })
        .await?;
    let Some((p, members, courses, others)) = found else {
        return Err(AppError::NotFound);
    };
    let form = form.unwrap_or_else(|| form_of(&p));
    let page = PartnerPage {
        kind_label: ctx.views.text(lang, &format!("partners.kind.{}", p.kind)),
        partner: p,
        kinds: kinds(&ctx.views, lang),
        form: form_json(&form),
        members,
        courses,
        other_courses: others,
        error: errors.partner,
        member_error: errors.member,
        course_error: errors.course,
        notice_key: notice,
    };
    ctx.html(status, "pages/admin_partner", page_data(&page)?)
}

async fn update(
    ctx: Ctx,
    me: PlatformAdmin,
    path: web::Path<i64>,
    form: CsrfForm<PartnerInput>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.0;
    let g = f.clone();
    let by = me.id;
    let result = ctx
        .db
        .run(move |conn| {
            let done = partners::update(conn, id, &g);
            if done.is_ok() {
                audit::record(
                    conn,
                    Some(by),
                    "partner.update",
                    &format!("partner:{id}"),
                    &g.name,
                )?;
            }
            Ok::<_, AppError>(done)
        })
        .await?;
    match result {
        Ok(()) => Ok(redirect(&format!("/admin/partners/{id}?done=saved"))),
        Err(e) => {
            let r = refused(e)?;
            let errors = Errors {
                partner: Some(ctx.views.text(ctx.lang, r.key())),
                ..Default::default()
            };
            detail_view(
                &ctx,
                id,
                Some(f),
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// After a change to a partner: on to its page with a notice, or the page again with the refusal
/// next to the form it belongs to.
async fn answer<T>(
    ctx: &Ctx,
    id: i64,
    result: Result<T, PartnerError>,
    done: &str,
    slot: impl FnOnce(String) -> Errors,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(_) => Ok(redirect(&format!("/admin/partners/{id}?done={done}"))),
        Err(e) => {
            let r = refused(e)?;
            let errors = slot(ctx.views.text(ctx.lang, r.key()));
            detail_view(
                ctx,
                id,
                None,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

async fn add_member(
    ctx: Ctx,
    me: PlatformAdmin,
    path: web::Path<i64>,
    form: CsrfForm<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let email = form.0.email;
    let by = me.id;
    let result = ctx
        .db
        .run(move |conn| {
            let done = partners::add_member(conn, id, &email);
            if let Ok(uid) = done {
                audit::record(
                    conn,
                    Some(by),
                    "partner.member_add",
                    &format!("user:{uid}"),
                    &format!("partner:{id}"),
                )?;
            }
            Ok::<_, AppError>(done)
        })
        .await?;
    answer(&ctx, id, result, "member_added#members", |m| Errors {
        member: Some(m),
        ..Default::default()
    })
    .await
}

async fn remove_member(
    ctx: Ctx,
    me: PlatformAdmin,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, user_id) = path.into_inner();
    let by = me.id;
    let removed = ctx
        .db
        .run(move |conn| {
            let removed = partners::remove_member(conn, id, user_id)?;
            if removed {
                audit::record(
                    conn,
                    Some(by),
                    "partner.member_remove",
                    &format!("user:{user_id}"),
                    &format!("partner:{id}"),
                )?;
            }
            Ok::<_, AppError>(removed)
        })
        .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    Ok(redirect(&format!(
        "/admin/partners/{id}?done=member_removed#members"
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CourseForm {
    slug: String,
}

async fn add_course(
    ctx: Ctx,
    me: PlatformAdmin,
    path: web::Path<i64>,
    form: CsrfForm<CourseForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let slug = form.0.slug;
    let by = me.id;
    let result = ctx
        .db
        .run(move |conn| {
            let done = partners::set_provider(conn, &slug, Some(id));
            if let Ok(course_id) = done {
                audit::record(
                    conn,
                    Some(by),
                    "course.provider",
                    &format!("course:{course_id}"),
                    &format!("partner:{id}"),
                )?;
            }
            Ok::<_, AppError>(done)
        })
        .await?;
    answer(&ctx, id, result, "course_added#courses", |m| Errors {
        course: Some(m),
        ..Default::default()
    })
    .await
}

async fn remove_course(
    ctx: Ctx,
    me: PlatformAdmin,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    let by = me.id;
    let removed = ctx
        .db
        .run(move |conn| {
            if !partners::courses_of(conn, id)?.contains(&slug) {
                return Ok::<_, AppError>(false);
            }
            let course_id = match partners::set_provider(conn, &slug, None) {
                Ok(c) => c,
                Err(PartnerError::Db(e)) => return Err(e.into()),
                Err(PartnerError::Refused(_)) => return Ok(false),
            };
            audit::record(
                conn,
                Some(by),
                "course.provider",
                &format!("course:{course_id}"),
                "none",
            )?;
            Ok(true)
        })
        .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    Ok(redirect(&format!(
        "/admin/partners/{id}?done=course_removed#courses"
    )))
}

// ---------- page contexts ----------

/// `pages/admin_partners`: the partners, and the form to record one.
#[derive(Serialize)]
struct PartnersPage {
    partners: Vec<PartnerRow>,
    kinds: Vec<KindChoice>,
    form: PartnerForm,
    error: Option<String>,
}

#[derive(Serialize)]
struct PartnerRow {
    id: i64,
    code: String,
    name: String,
    kind_label: String,
}

/// A kind of partner to choose.
#[derive(Serialize)]
struct KindChoice {
    code: String,
    label: String,
}

/// The partner form's fields.
#[derive(Serialize)]
struct PartnerForm {
    code: String,
    name: String,
    kind: String,
    signatory_name: String,
    signatory_title: String,
    website: String,
}

/// `pages/admin_partner`: a partner, its members and courses, and the forms to change them.
#[derive(Serialize)]
struct PartnerPage<'a> {
    partner: Partner,
    kind_label: String,
    kinds: Vec<KindChoice>,
    form: PartnerForm,
    members: Vec<partners::Member>,
    courses: Vec<CourseLink>,
    other_courses: Vec<CourseLink>,
    error: Option<String>,
    member_error: Option<String>,
    course_error: Option<String>,
    notice_key: Option<&'a str>,
}

/// A course by slug and title.
#[derive(Serialize)]
struct CourseLink {
    slug: String,
    title: String,
}
