//! The course and module pages (`/courses/{slug}`, `/courses/{slug}/{module}` and their
//! `versions/{hash}` forms): the course as published, with the learner's place in it — progress,
//! where to continue, the certificate and the course evaluation once completed; and the API's
//! course and module, which an enrolled learner gets in the version they are on.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::progress::{learner_view, to_remember, which_for, LearnerView};
use crate::catalog::store::{self, Which};
use crate::error::AppError;
use crate::web::auth::MaybeUser;
use crate::web::state::Ctx;
use crate::web::views::page_data;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{slug}", web::get().to(course_page))
        .route(
            "/courses/{slug}/versions/{hash}",
            web::get().to(course_version_page),
        )
        .route(
            "/courses/{slug}/versions/{hash}/{module}",
            web::get().to(module_version_page),
        )
        .route("/courses/{slug}/{module}", web::get().to(module_page))
        .route("/api/v1/courses/{slug}", web::get().to(api_course))
        .route(
            "/api/v1/courses/{slug}/modules/{module}",
            web::get().to(api_module),
        );
}

async fn course_page(
    ctx: Ctx,
    me: MaybeUser,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let learner = match &me.0 {
        Some(u) => {
            let (uid, s2, outlines) = (u.id, slug.clone(), ctx.outlines.clone());
            ctx.db
                .read(move |conn| Ok::<_, AppError>(learner_view(conn, &outlines, uid, &s2)?))
                .await?
        }
        None => None,
    };
    let which = which_for(&learner, Which::Current);
    let notice = match q.notice.as_str() {
        "enrolled" => Some("learning.enroll.done"),
        "enrolled_over_budget" => Some("learning.enroll.done_over_budget"),
        "completed" => Some("learning.completed"),
        "recertify" => Some("certificates.renew.started"),
        "evaluated" => Some("evaluation.reaction.saved"),
        _ => None,
    };
    // the learner's certificate for the course and, once completed, their rating (asked once
    // per completion), in one trip to the database
    // (and, right after completing, the moment: certificate, JP and levels)
    let (certificate, evaluation, moment) = match (&me.0, &learner) {
        (Some(u), Some(l)) => {
            let (uid, cid, s2) = (u.id, l.enrollment.course_id, slug.clone());
            let completed = l.enrollment.completed_at.is_some();
            let celebrate = (completed && q.notice == "completed").then_some(l.enrollment.id);
            let base_url = ctx.issuer.base_url.clone();
            let (latest, reaction, moment) = ctx
                .db
                .read(move |conn| {
                    use crate::competency::evaluation as eval;
                    let latest = crate::certificates::store::latest_for_course(conn, uid, cid)?;
                    let completion = match completed {
                        true => eval::completion_of(conn, uid, &s2)?,
                        false => None,
                    };
                    let reaction = match completion {
                        Some((id, _)) => Some(eval::reaction_for(conn, id)?),
                        None => None,
                    };
                    let moment = match celebrate {
                        Some(e) => crate::certificates::moment::of_enrollment(conn, e, &base_url)?,
                        None => None,
                    };
                    Ok::<_, AppError>((latest, reaction, moment))
                })
                .await?;
            (
                latest.map(|c| crate::certificates::view::course_box(&c, ctx.lang)),
                reaction.map(|answer| crate::competency::view::course_box(answer.as_ref())),
                moment,
            )
        }
        _ => (None, None, None),
    };
    render_course(
        &ctx,
        slug,
        which,
        Around {
            learner,
            logged_in: me.0.is_some(),
            notice: if moment.is_some() { None } else { notice },
            certificate,
            evaluation,
            moment,
        },
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

async fn course_version_page(
    ctx: Ctx,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, hash) = path.into_inner();
    render_course(&ctx, slug, Which::Hash(hash), Around::default()).await
}

/// What a course page shows around the course itself: the visitor's place in it.
#[derive(Default)]
struct Around<'a> {
    /// The learner's enrollment and progress, when enrolled.
    learner: Option<LearnerView>,
    logged_in: bool,
    /// The message key of a notice to show (after enrolling, completing…).
    notice: Option<&'a str>,
    /// The learner's certificate for the course (its box).
    certificate: Option<serde_json::Value>,
    /// The learner's rating of the course (its box), once completed.
    evaluation: Option<serde_json::Value>,
    /// Right after completing: what the completion brought.
    moment: Option<crate::certificates::moment::Moment>,
}

async fn render_course(
    ctx: &Ctx,
    slug: String,
    which: Which,
    around: Around<'_>,
) -> Result<HttpResponse, AppError> {
    let Around {
        learner,
        logged_in,
        notice,
        certificate,
        evaluation,
        moment,
    } = around;
    let mut course = ctx
        .db
        .read(move |conn| Ok::<_, AppError>(store::course(conn, &slug, &which)?))
        .await?
        .ok_or(AppError::NotFound)?;
    // the description is the same for everyone on this version: compressed once, kept
    let mut shared = crate::web::compress::Shared::default();
    let description = ctx
        .pieces
        .get("course", course.version_id, &course.description_html);
    course.description_html = shared.mark(description);
    let lang = ctx.lang;
    let published = crate::text::date(course.published_at.date(), lang);
    let done: Vec<i64> = learner
        .as_ref()
        .map(|l| l.progress.done_modules.clone())
        .unwrap_or_default();
    let modules = course
        .modules
        .iter()
        .map(|m| ModuleRow {
            slug: &m.slug,
            title: &m.title,
            kind: &m.kind,
            minutes: m.minutes,
            done: done.contains(&m.id),
        })
        .collect();
    // "continue where I left off": the last module opened, else the first not done
    let continue_slug = learner.as_ref().and_then(|l| {
        l.enrollment
            .last_module_id
            .and_then(|id| course.modules.iter().find(|m| m.id == id))
            .or_else(|| course.modules.iter().find(|m| !done.contains(&m.id)))
            .or(course.modules.first())
            .map(|m| m.slug.clone())
    });
    let page = CoursePage {
        course: &course,
        short_hash: &course.hash[..12],
        published,
        hours: format_hours(course.total_minutes),
        first_module: course.modules.first(),
        module_count: course.modules.len(),
        own_version: learner.is_some(),
        learner: learner.as_ref(),
        modules,
        continue_slug,
        logged_in,
        notice_key: notice,
        certificate,
        evaluation,
        moment,
    };
    ctx.page_of("pages/course", page_data(&page)?, &shared)
}

/// `pages/course`: a course as published, with the visitor's place in it.
#[derive(Serialize)]
struct CoursePage<'a> {
    course: &'a store::CourseView,
    short_hash: &'a str,
    published: String,
    hours: Hours,
    first_module: Option<&'a store::ModuleSummary>,
    module_count: usize,
    own_version: bool,
    learner: Option<&'a LearnerView>,
    modules: Vec<ModuleRow<'a>>,
    continue_slug: Option<String>,
    logged_in: bool,
    notice_key: Option<&'a str>,
    certificate: Option<serde_json::Value>,
    evaluation: Option<serde_json::Value>,
    moment: Option<crate::certificates::moment::Moment>,
}

/// A module in the course's table of contents, done or not.
#[derive(Serialize)]
struct ModuleRow<'a> {
    slug: &'a str,
    title: &'a str,
    kind: &'a str,
    minutes: Option<i32>,
    done: bool,
}

/// A duration in hours and minutes.
#[derive(Serialize)]
struct Hours {
    h: i32,
    m: i32,
}

/// The header the page script sends when it saves a course for offline reading.
const PREFETCH: &str = "X-Cakap-Prefetch";

async fn module_page(
    ctx: Ctx,
    me: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    // saving a course for offline reading fetches every module; that is not opening them
    let prefetch = ctx.req.headers().contains_key(PREFETCH);
    let uid = me.0.as_ref().map(|u| u.id);
    let outlines = ctx.outlines.clone();
    // one read for the learner's place and the page (inline on SQLite); a write only when the
    // learner moved to this module
    let (learner, view, moved_to) = ctx
        .db
        .read(move |conn| {
            let learner = match uid {
                Some(uid) => learner_view(conn, &outlines, uid, &slug)?,
                None => None,
            };
            let moved_to = match (&learner, prefetch) {
                (Some(l), false) => to_remember(l, &module),
                _ => None,
            };
            let which = which_for(&learner, Which::Current);
            let view = store::module(conn, &outlines, &slug, &module, &which)?;
            Ok::<_, AppError>((learner, view, moved_to))
        })
        .await?;
    remember(&ctx, &learner, moved_to).await?;
    render_module(&ctx, view.ok_or(AppError::NotFound)?, learner)
}

/// Remember the module a learner opened as where they are in the course.
async fn remember(
    ctx: &Ctx,
    learner: &Option<LearnerView>,
    moved_to: Option<i64>,
) -> Result<(), AppError> {
    if let (Some(l), Some(id)) = (learner, moved_to) {
        let e = l.enrollment.clone();
        ctx.db
            .run(move |conn| Ok::<_, AppError>(super::enroll::touch_if_moved(conn, &e, id)?))
            .await?;
    }
    Ok(())
}

async fn module_version_page(
    ctx: Ctx,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, hash, module) = path.into_inner();
    let outlines = ctx.outlines.clone();
    let view = ctx
        .db
        .run(move |conn| {
            Ok::<_, AppError>(store::module(
                conn,
                &outlines,
                &slug,
                &module,
                &Which::Hash(hash),
            )?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    render_module(&ctx, view, None)
}

fn render_module(
    ctx: &Ctx,
    mut view: store::ModuleView,
    learner: Option<LearnerView>,
) -> Result<HttpResponse, AppError> {
    // the module's body is the same for everyone on this version: compressed once, kept
    let mut shared = crate::web::compress::Shared::default();
    let body = ctx.pieces.get("module", view.module_id, &view.html);
    view.html = shared.mark(body);
    let own_version = learner.is_some();
    let base = if view.is_current || own_version {
        format!("/courses/{}", view.course_slug)
    } else {
        format!(
            "/courses/{}/versions/{}",
            view.course_slug,
            &view.hash[..12]
        )
    };
    let toc: Vec<&serde_json::Value> = view
        .headings
        .as_array()
        .map(|h| h.iter().filter(|h| h["level"] == 2).collect())
        .unwrap_or_default();
    let page = ModulePage {
        module: &view,
        base,
        has_toc: toc.len() >= 2,
        toc,
        short_hash: &view.hash[..12],
        progress_pct: learner.as_ref().map(|l| l.progress.percent),
        outline: view.outline(|id| {
            learner
                .as_ref()
                .is_some_and(|l| l.progress.done_modules.contains(&id))
        }),
        own_version,
        done: learner
            .as_ref()
            .is_some_and(|l| l.progress.done_modules.contains(&view.module_id)),
        learner: learner.as_ref(),
    };
    ctx.page_of("pages/module", page_data(&page)?, &shared)
}

/// `pages/module`: a module, where it sits in its course, and the learner's place.
#[derive(Serialize)]
struct ModulePage<'a> {
    module: &'a store::ModuleView,
    /// The course's address these links hang from (a version's, when not the current one).
    base: String,
    /// The module's second-level headings.
    toc: Vec<&'a serde_json::Value>,
    has_toc: bool,
    short_hash: &'a str,
    /// The learner's progress through the course (none for a visitor).
    progress_pct: Option<usize>,
    /// The course's modules beside the lesson (a column on a wide screen).
    outline: Vec<store::OutlineRow<'a>>,
    own_version: bool,
    done: bool,
    learner: Option<&'a LearnerView>,
}

/// A course (its current version) with its modules.
#[utoipa::path(
    get,
    path = "/api/v1/courses/{slug}",
    tag = "catalog",
    params(("slug" = String, Path, description = "The course's slug")),
    responses(
        (status = 200, description = "The course", body = store::CourseView),
        (status = 404, description = "No such course", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn api_course(
    ctx: Ctx,
    me: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let user = me.0.as_ref().map(|u| u.id);
    let outlines = ctx.outlines.clone();
    let course = ctx
        .db
        .run(move |conn| {
            // an enrolled learner gets the version they are on, as on the course page
            let learner = match user {
                Some(id) => learner_view(conn, &outlines, id, &slug)?,
                None => None,
            };
            let which = which_for(&learner, Which::Current);
            Ok::<_, AppError>(store::course(conn, &slug, &which)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let mut resp = HttpResponse::Ok();
    if user.is_some() {
        resp.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    }
    Ok(resp.json(course))
}

/// One module's content: title, kind, minutes, HTML, headings, where it sits (position of total,
/// previous and next) and, for a quiz, its settings (never its questions). A logged-in learner
/// enrolled in the course gets their enrolled version (until they complete it), and the module is
/// remembered as the one they last opened; everyone else gets the current version.
#[utoipa::path(
    get,
    path = "/api/v1/courses/{slug}/modules/{module}",
    tag = "catalog",
    params(
        ("slug" = String, Path, description = "The course's slug"),
        ("module" = String, Path, description = "The module's slug"),
    ),
    responses(
        (status = 200, description = "The module", body = store::ModuleView),
        (status = 404, description = "No such course or module", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn api_module(
    ctx: Ctx,
    me: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    let user_id = me.0.as_ref().map(|u| u.id);
    let outlines = ctx.outlines.clone();
    let (learner, view, moved_to) = ctx
        .db
        .read(move |conn| {
            let learner = match user_id {
                Some(uid) => learner_view(conn, &outlines, uid, &slug)?,
                None => None,
            };
            let moved_to = learner.as_ref().and_then(|l| to_remember(l, &module));
            let which = which_for(&learner, Which::Current);
            let view = store::module(conn, &outlines, &slug, &module, &which)?;
            Ok::<_, AppError>((learner, view, moved_to))
        })
        .await?;
    remember(&ctx, &learner, moved_to).await?;
    let view = view.ok_or(AppError::NotFound)?;
    let mut resp = HttpResponse::Ok();
    if user_id.is_some() {
        // the version shown depends on who asks
        resp.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    }
    Ok(resp.json(view))
}

/// `135` → `2 jam 15 menit`-style parts for templates: (hours, minutes).
fn format_hours(total_minutes: i32) -> Hours {
    Hours {
        h: total_minutes / 60,
        m: total_minutes % 60,
    }
}
