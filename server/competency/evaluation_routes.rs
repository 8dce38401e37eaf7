//! Training evaluation over HTTP: the learner's reaction (course page form and
//! `POST /api/v1/courses/{slug}/reaction`), the supervisor's impact question (`/team/impact/{id}`),
//! and the results per course for authors and admins (`/evaluations`, `/evaluations/{slug}`,
//! `GET /api/v1/evaluations/{slug}`).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::evaluation::{self, EvalError, Refused, Scope, Summary};
use super::view::scale;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::policy::ResultsViewer;
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{slug}/reaction", web::post().to(react))
        .route("/api/v1/courses/{slug}/reaction", web::post().to(react_api))
        .route("/team/impact/{id}", web::get().to(impact_page))
        .route("/team/impact/{id}", web::post().to(impact_answer))
        .route("/evaluations", web::get().to(overview_page))
        .route("/evaluations/{slug}", web::get().to(results_page))
        .route("/api/v1/evaluations/{slug}", web::get().to(results_api));
}

fn refused(r: Refused, views: &Views, lang: Lang, api: bool) -> AppError {
    if api {
        match r {
            // well-formed, but not now: the state decides
            Refused::NotOpen | Refused::AlreadyAnswered => AppError::Conflict(r.english()),
            Refused::Rating | Refused::CommentTooLong => AppError::BadRequest(r.english()),
        }
    } else {
        AppError::BadRequest(views.text(lang, r.key()))
    }
}

fn eval_error(e: EvalError, views: &Views, lang: Lang, api: bool) -> AppError {
    match e {
        EvalError::Refused(r) => refused(r, views, lang, api),
        EvalError::Db(d) => d.into(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AnswerForm {
    rating: String,
    comment: String,
}

async fn react(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let slug = path.into_inner();
    let answer = evaluation::parse_answer(&form.0.rating, &form.0.comment)
        .map_err(|r| refused(r, &ctx.views, lang, false))?;
    let (user, s) = (me.id, slug.clone());
    ctx.db
        .run(move |conn| {
            evaluation::record_reaction(conn, user, &s, &answer, Utc::now().naive_utc())
        })
        .await
        .map_err(|e| eval_error(e, &ctx.views, lang, false))?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/courses/{slug}?notice=evaluated#evaluation"),
        ))
        .finish())
}

/// A reaction to a completed course.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReactionBody {
    /// 1 (not useful) to 5 (very useful)
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::numbers::whole")]
    pub rating: i32,
    /// Optional, at most 1000 characters
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/courses/{slug}/reaction",
    tag = "competency",
    params(("slug" = String, Path, description = "The course's slug")),
    request_body(content = ReactionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded"),
        (status = 400, description = "A body that does not match the schema: no rating, one outside 1–5, a comment over 1,000 characters", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not now: the course is not completed by the caller, or it was already rated (the detail says which)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn react_api(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    body: crate::web::json_body::JsonBody<ReactionBody>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let body = body.into_inner();
    let rating = body.rating.to_string();
    let answer = evaluation::parse_answer(&rating, body.comment.as_deref().unwrap_or(""))
        .map_err(|r| refused(r, &ctx.views, lang, true))?;
    let (user, slug) = (me.id, path.into_inner());
    ctx.db
        .run(move |conn| {
            evaluation::record_reaction(conn, user, &slug, &answer, Utc::now().naive_utc())
        })
        .await
        .map_err(|e| eval_error(e, &ctx.views, lang, true))?;
    Ok(HttpResponse::Ok().json(json!({"recorded": true, "rating": rating.parse::<i32>().ok()})))
}

// ---------- the supervisor's impact question ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImpactQuery {
    notice: String,
}

async fn impact_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    q: web::Query<ImpactQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let (me_id, id) = (me.id, path.into_inner());
    let (question, zone) = ctx
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                evaluation::question(conn, me_id, id)?,
                crate::clock::zone_of_user(conn, me_id)?,
            ))
        })
        .await?;
    let question = question.ok_or(AppError::NotFound)?;
    ctx.page(
        "pages/impact",
        json!({
            "question": question,
            "completed": crate::text::date(zone.date_of(question.completed_at), lang),
            "scale": scale("evaluation.impact.scale", question.answer.as_ref().map(|a| a.rating)),
            "max": evaluation::COMMENT_MAX,
            "notice_key": (q.notice == "saved").then_some("evaluation.impact.saved"),
        }),
    )
}

async fn impact_answer(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let (me_id, id) = (me.id, path.into_inner());
    let answer = evaluation::parse_answer(&form.0.rating, &form.0.comment)
        .map_err(|r| refused(r, &ctx.views, lang, false))?;
    let outcome = ctx
        .db
        .run(move |conn| {
            evaluation::answer_impact(conn, me_id, id, &answer, Utc::now().naive_utc())
        })
        .await;
    match outcome {
        Ok(()) => {}
        // not theirs (or no such question): the same "not found" as the page
        Err(EvalError::Refused(Refused::NotOpen)) => return Err(AppError::NotFound),
        Err(e) => return Err(eval_error(e, &ctx.views, lang, false)),
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/team/impact/{id}?notice=saved")))
        .finish())
}

// ---------- results ----------

/// A mean rating the way the language writes decimals ("4,3" / "4.3").
pub fn average(s: &Summary, lang: Lang) -> Option<String> {
    s.average.map(|a| crate::text::decimal(a, 1, lang))
}

fn summary_view(s: &Summary, lang: Lang, prefix: &str) -> SummaryView {
    let bars = s
        .distribution
        .iter()
        .zip(s.percents())
        .enumerate()
        .rev()
        .map(|(i, (n, pct))| Bar {
            value: i + 1,
            key: format!("{prefix}.{}", i + 1),
            count: *n,
            pct,
        })
        .collect();
    SummaryView {
        count: s.count,
        average: average(s, lang),
        bars,
    }
}

/// Share of `part` in `whole`, whole percent.
fn rate(part: i64, whole: i64) -> i64 {
    if whole > 0 {
        (part * 100 + whole / 2) / whole
    } else {
        0
    }
}

async fn overview_page(ctx: Ctx, me: ResultsViewer) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let scope = me.overview_scope();
    let lines = ctx
        .db
        .run(move |conn| {
            // the courses they own, everyone's answers; the rest, their agency's (if admin)
            let whole: Vec<_> = if scope == Some(Scope::All) {
                Vec::new()
            } else {
                let mine = me.owned_slugs(conn)?;
                evaluation::overview(conn, Scope::All)?
                    .into_iter()
                    .filter(|l| mine.contains(&l.slug))
                    .collect()
            };
            let mut lines = match scope {
                Some(s) => evaluation::overview(conn, s)?,
                None => Vec::new(),
            };
            lines.retain(|l| !whole.iter().any(|w| w.slug == l.slug));
            lines.extend(whole);
            lines.sort_by(|a, b| a.title.cmp(&b.title));
            Ok::<_, AppError>(lines)
        })
        .await?;
    let rows = lines
        .iter()
        .map(|l| OverviewRow {
            slug: l.slug.clone(),
            title: l.title.clone(),
            completions: l.completions,
            reactions: l.reaction.count,
            reaction_rate: rate(l.reaction.count, l.completions),
            reaction_average: average(&l.reaction, lang),
            impact_asked: l.impact_asked,
            impact_answered: l.impact.count,
            impact_average: average(&l.impact, lang),
        })
        .collect();
    let page = OverviewPage {
        rows,
        agency_only: matches!(scope, Some(Scope::Agency(_))),
    };
    ctx.page("pages/evaluations", page_data(&page)?)
}

async fn results_page(
    ctx: Ctx,
    me: ResultsViewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let slug = path.into_inner();
    let (r, scope) = ctx
        .db
        .run(move |conn| {
            let scope = me.scope_for_slug(conn, &slug)?;
            Ok::<_, AppError>(evaluation::course_results(conn, &slug, scope)?.map(|r| (r, scope)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let comments = |list: &[evaluation::Comment]| -> Vec<CommentRow> {
        list.iter()
            .map(|c| CommentRow {
                rating: c.rating,
                text: c.text.clone(),
                date: crate::text::date(c.date.date(), lang),
            })
            .collect()
    };
    let page = ResultsPage {
        course: CourseRef {
            slug: r.slug.clone(),
            title: r.title.clone(),
        },
        completions: r.completions,
        reaction: summary_view(&r.reaction, lang, "evaluation.reaction.scale"),
        reaction_rate: rate(r.reaction.count, r.completions),
        reaction_comments: comments(&r.reaction_comments),
        impact_asked: r.impact_asked,
        impact: summary_view(&r.impact, lang, "evaluation.impact.scale"),
        impact_rate: rate(r.impact.count, r.impact_asked),
        impact_comments: comments(&r.impact_comments),
        agency_only: matches!(scope, Scope::Agency(_)),
    };
    ctx.page("pages/evaluation", page_data(&page)?)
}

#[utoipa::path(
    get,
    path = "/api/v1/evaluations/{slug}",
    tag = "competency",
    params(("slug" = String, Path, description = "The course's slug")),
    responses(
        (status = 200, description = "Reaction and impact results of the course (no names); an agency admin gets those of their agency's people"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only authors and admins see evaluation results", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn results_api(
    ctx: Ctx,
    me: ResultsViewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let r = ctx
        .db
        .run(move |conn| {
            let scope = me.scope_for_slug(conn, &slug)?;
            Ok::<_, AppError>(evaluation::course_results(conn, &slug, scope)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(r))
}

// ---------- page contexts ----------

/// `pages/evaluations`: a line per course the viewer may see.
#[derive(Serialize)]
struct OverviewPage {
    rows: Vec<OverviewRow>,
    agency_only: bool,
}

#[derive(Serialize)]
struct OverviewRow {
    slug: String,
    title: String,
    completions: i64,
    reactions: i64,
    reaction_rate: i64,
    reaction_average: Option<String>,
    impact_asked: i64,
    impact_answered: i64,
    impact_average: Option<String>,
}

/// `pages/evaluation`: a course's reaction and impact results.
#[derive(Serialize)]
struct ResultsPage {
    course: CourseRef,
    completions: i64,
    reaction: SummaryView,
    reaction_rate: i64,
    reaction_comments: Vec<CommentRow>,
    impact_asked: i64,
    impact: SummaryView,
    impact_rate: i64,
    impact_comments: Vec<CommentRow>,
    agency_only: bool,
}

#[derive(Serialize)]
struct CourseRef {
    slug: String,
    title: String,
}

/// A [`Summary`] as shown: the mean in the language's decimals, a bar per rating (highest first).
#[derive(Serialize)]
struct SummaryView {
    count: i64,
    average: Option<String>,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    value: usize,
    key: String,
    count: i64,
    pct: i64,
}

#[derive(Serialize)]
struct CommentRow {
    rating: i32,
    text: String,
    date: String,
}
