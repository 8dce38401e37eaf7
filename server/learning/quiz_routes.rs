//! Quiz pages and API: the quiz page, starting an attempt, the attempt (paper or results),
//! submitting. Thin handlers over [`super::attempts`].

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::attempts::{
    self, Answers, Attempt, ShownOption, ShownQuestion, StartError, StartRefused, SubmitError,
    SubmitRefused,
};
use super::enroll;
use super::grading::Response;
use crate::catalog::outline::Outlines;
use crate::catalog::quiz::QuestionKind;
use crate::catalog::store::{self, Which};
use crate::certificates::moment;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{self, CsrfForm};
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::Lang;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{slug}/{module}/quiz", web::get().to(quiz_page))
        .route(
            "/courses/{slug}/{module}/quiz/start",
            web::post().to(start_page),
        )
        .route("/quiz/attempts/{id}", web::get().to(attempt_page))
        .route("/quiz/attempts/{id}/submit", web::post().to(submit_page))
        .route(
            "/api/v1/courses/{slug}/modules/{module}/attempts",
            web::post().to(start_api),
        )
        .route("/api/v1/attempts/{id}", web::get().to(attempt_api))
        .route("/api/v1/attempts/{id}/submit", web::post().to(submit_api));
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A stored UTC instant as the learner's agency reads it: "25 November 2026, 16:20 WIB".
fn when(t: NaiveDateTime, lang: Lang, zone: crate::clock::Zone) -> String {
    format!(
        "{}, {}",
        crate::text::date(zone.date_of(t), lang),
        zone.time_label(t)
    )
}

/// Whole minutes left before the deadline, rounded up (0 when past).
fn minutes_left(deadline: NaiveDateTime, now: NaiveDateTime) -> i64 {
    let secs = (deadline - now).num_seconds().max(0);
    (secs + 59) / 60
}

// ---- the quiz page --------------------------------------------------------------------------

async fn quiz_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    let user_id = me.id;
    let lang = ctx.lang;
    let outlines = ctx.outlines.clone();
    let data = ctx
        .db
        .run(move |conn| {
            let Some(e) = enroll::of_user(conn, user_id, &slug)? else {
                // not enrolled: say so, if the quiz exists at all
                let view = store::module(conn, &outlines, &slug, &module, &Which::Current)?
                    .filter(|m| m.kind == "quiz")
                    .ok_or(AppError::NotFound)?;
                return Ok::<_, AppError>(QuizPage {
                    enrolled: false,
                    course_slug: slug,
                    course_title: view.course_title,
                    title: view.title,
                    quiz: None,
                    attempts: Vec::new(),
                    open_id: None,
                    can_start: false,
                    no_attempts_left: false,
                    attempts_left: None,
                    best: None,
                });
            };
            let quiz = attempts::quiz_module_by_slug(conn, e.version_id, &module)?
                .ok_or(AppError::NotFound)?;
            let course_title = super::store::version_title(conn, e.version_id)?;
            let list = attempts::list(conn, e.id, quiz.id)?;
            let zone = crate::clock::zone_of_user(conn, user_id)?;
            let now = now();
            let mut rows = Vec::new();
            let mut open_id = None;
            let best = attempts::counting(&list);
            let mut used = 0i64;
            for a in &list {
                let a = attempts::expire_if_due(conn, a.clone(), now)?;
                if a.is_open() {
                    open_id = Some(a.id);
                } else {
                    used += 1;
                }
                rows.push(AttemptRow {
                    id: a.id,
                    number: a.number,
                    open: a.is_open(),
                    score: a.score,
                    passed: a.passed.unwrap_or(false),
                    late: a.late,
                    counts: best == Some(a.id),
                    when: when(a.submitted_at.unwrap_or(a.started_at), lang, zone),
                });
            }
            let left = (quiz.attempts > 0).then(|| (i64::from(quiz.attempts) - used).max(0));
            let no_left = left == Some(0);
            Ok(QuizPage {
                enrolled: true,
                course_slug: slug,
                course_title,
                title: quiz.title.clone(),
                quiz: Some(quiz),
                attempts: rows,
                open_id,
                can_start: open_id.is_none() && !no_left,
                no_attempts_left: no_left && open_id.is_none(),
                attempts_left: left,
                best,
            })
        })
        .await?;
    ctx.page("pages/quiz", page_data(&data)?)
}

#[derive(Deserialize)]
struct NoFields {}

async fn start_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    let user_id = me.id;
    let back = format!("/courses/{slug}/{module}/quiz");
    let outlines = ctx.outlines.clone();
    let started = ctx
        .db
        .run(move |conn| start_by_slug(conn, &outlines, user_id, &slug, &module))
        .await;
    match started {
        Ok(a) => Ok(see_other(format!("/quiz/attempts/{}", a.id))),
        Err(e) => match e.refusal()? {
            NotStarted::NoQuiz => Err(AppError::NotFound),
            // the quiz page says why (not enrolled, no attempts left)
            _ => Ok(see_other(back)),
        },
    }
}

/// Why a start by slug did not give an attempt.
#[derive(Debug)]
enum NotStarted {
    /// No such quiz (in the course, or in the enrolled version).
    NoQuiz,
    NotEnrolled,
    Refused(StartRefused),
}

crate::domain_error!(
    /// Starting an attempt by slugs: not started (and why), or the database failed.
    StartBySlugError,
    NotStarted
);

impl From<StartError> for StartBySlugError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Refused(r) => StartBySlugError::Refused(NotStarted::Refused(r)),
            StartError::Db(e) => StartBySlugError::Db(e),
        }
    }
}

fn start_by_slug(
    conn: &mut DbConnection,
    outlines: &Outlines,
    user_id: i64,
    slug: &str,
    module: &str,
) -> Result<Attempt, StartBySlugError> {
    let Some(e) = enroll::of_user(conn, user_id, slug)? else {
        if store::module(conn, outlines, slug, module, &Which::Current)?.is_none() {
            return Err(NotStarted::NoQuiz.into());
        }
        return Err(NotStarted::NotEnrolled.into());
    };
    let quiz =
        attempts::quiz_module_by_slug(conn, e.version_id, module)?.ok_or(NotStarted::NoQuiz)?;
    let mut rng = rand::rng();
    Ok(attempts::start(conn, &e, quiz.id, now(), &mut rng)?)
}

// ---- the attempt page -------------------------------------------------------------------

/// An attempt of `user_id` as it now stands (closed as late when its time is up), or 404.
fn owned_attempt(conn: &mut DbConnection, id: i64, user_id: i64) -> Result<Attempt, AppError> {
    let a = attempts::find_owned(conn, id, user_id)?.ok_or(AppError::NotFound)?;
    Ok(attempts::expire_if_due(conn, a, now())?)
}

async fn attempt_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user_id = me.id;
    let lang = ctx.lang;
    let base_url = ctx.issuer.base_url.clone();
    let (template, data) = ctx
        .db
        .run(move |conn| {
            let a = owned_attempt(conn, id, user_id)?;
            let zone = crate::clock::zone_of_user(conn, user_id)?;
            if a.is_open() {
                let data = open_attempt(conn, &a, lang, zone, &Answers::new(), false)?;
                Ok::<_, AppError>(("pages/quiz_attempt", data))
            } else {
                let ctx = attempts::context(conn, &a)?;
                let results = attempts::results_view(conn, &a)?
                    .ok_or_else(|| AppError::Internal("graded attempt without results".into()))?;
                let submitted = a.submitted_at.map(|t| when(t, lang, zone));
                // passing: the course's completion (certificate first) or the next step
                let (moment, next) = match results.passed {
                    true => match moment::of_enrollment(conn, a.enrollment_id, &base_url)? {
                        Some(m) => (Some(m), None),
                        None => (None, next_after(conn, a.module_id)?),
                    },
                    false => (None, None),
                };
                Ok((
                    "pages/quiz_result",
                    json!({"ctx": ctx, "results": results, "submitted": submitted,
                           "moment": moment, "next": next}),
                ))
            }
        })
        .await?;
    let mut resp = ctx.page(template, data)?;
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// The module after `module_id` in its version (where a passed quiz leads when the course goes
/// on).
fn next_after(conn: &mut DbConnection, module_id: i64) -> Result<Option<String>, AppError> {
    use crate::db::schema::modules;
    use diesel::prelude::*;
    let (version_id, position): (i64, i32) = modules::table
        .find(module_id)
        .select((modules::version_id, modules::position))
        .first(conn)
        .map_err(crate::db::DbError::from)?;
    Ok(super::store::next_module_slug(conn, version_id, position)?)
}

/// `pages/quiz_attempt`: an open attempt's paper with `answers` filled in (none on a first
/// visit) and, when `review`, the review step: what is not answered yet, and "submit everything
/// and finish?".
fn open_attempt(
    conn: &mut DbConnection,
    a: &Attempt,
    lang: Lang,
    zone: crate::clock::Zone,
    answers: &Answers,
    review: bool,
) -> Result<Value, AppError> {
    let ctx = attempts::context(conn, a)?;
    let paper = attempts::paper_view(conn, a)?;
    let total = paper.questions.len();
    let mut questions = Vec::with_capacity(total);
    let mut unanswered = Vec::new();
    for q in &paper.questions {
        let given = answers.get(&q.position).filter(|r| is_answered(r));
        if given.is_none() {
            unanswered.push(q.position);
        }
        let chosen: &[usize] = match given {
            Some(Response::Choices(c)) => c,
            _ => &[],
        };
        let text = match given {
            Some(Response::Text(t)) => t.as_str(),
            _ => "",
        };
        questions.push(OpenQuestion {
            shown: q,
            options: q
                .options
                .iter()
                .map(|o| OpenOption {
                    shown: o,
                    checked: chosen.contains(&o.index),
                })
                .collect(),
            answered: given.is_some(),
            text,
        });
    }
    let deadline = a.deadline_at.map(|d| {
        json!({"at": when(d, lang, zone), "time": zone.local(d).format("%H:%M").to_string(),
               "iso": crate::clock::rfc3339::text(&d),
               "offset_minutes": (zone.local(d) - d).num_minutes(),
               "minutes_left": minutes_left(d, now())})
    });
    let list = unanswered
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(json!({
        "ctx": ctx,
        "paper": {"attempt_id": paper.attempt_id, "number": paper.number, "questions": questions},
        "answered": total - unanswered.len(),
        "total": total,
        "review": review.then(|| json!({"unanswered": list, "first": unanswered.first()})),
        "deadline": deadline,
        "max_text": attempts::MAX_TEXT_CHARS,
    }))
}

/// A question on the open paper with what the learner has answered so far (kept through the
/// review step).
#[derive(Serialize)]
struct OpenQuestion<'a> {
    #[serde(flatten)]
    shown: &'a ShownQuestion,
    /// Replaces the shown options: the same, each marked when chosen.
    options: Vec<OpenOption<'a>>,
    answered: bool,
    text: &'a str,
}

#[derive(Serialize)]
struct OpenOption<'a> {
    #[serde(flatten)]
    shown: &'a ShownOption,
    checked: bool,
}

/// Whether a response answers its question: a choice made, or text that is not blank.
fn is_answered(r: &Response) -> bool {
    match r {
        Response::Choices(c) => !c.is_empty(),
        Response::Text(t) => !t.trim().is_empty(),
    }
}

/// Form fields → answers: `q{position}` (repeated for checkboxes) with the shown option index,
/// or the typed text.
fn answers_from_form(
    pairs: &[(String, String)],
    kinds: &[QuestionKind],
) -> Result<Answers, AppError> {
    let mut raw: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        let Some(pos) = k.strip_prefix('q').and_then(|p| p.parse::<usize>().ok()) else {
            continue;
        };
        if pos == 0 || pos > kinds.len() {
            continue;
        }
        let values = raw.entry(pos).or_default();
        if values.len() >= attempts::MAX_CHOICES {
            return Err(AppError::BadRequest(format!(
                "too many answers to question {pos}"
            )));
        }
        values.push(v.clone());
    }
    let mut answers = Answers::new();
    for (pos, values) in raw {
        let response = match kinds[pos - 1] {
            QuestionKind::Single | QuestionKind::TrueFalse | QuestionKind::Multiple => {
                Response::Choices(
                    values
                        .iter()
                        .filter_map(|v| v.trim().parse().ok())
                        .collect(),
                )
            }
            QuestionKind::ShortAnswer | QuestionKind::Numeric => {
                let text = values.last().cloned().unwrap_or_default();
                Response::Text(text)
            }
        };
        answers.insert(pos, response);
    }
    check_answers(&answers)?;
    Ok(answers)
}

fn check_answers(answers: &Answers) -> Result<(), AppError> {
    for (pos, r) in answers {
        match r {
            Response::Text(t) if t.chars().count() > attempts::MAX_TEXT_CHARS => {
                return Err(AppError::BadRequest(format!(
                    "the answer to question {pos} is longer than {} characters",
                    attempts::MAX_TEXT_CHARS
                )));
            }
            Response::Choices(c) if c.len() > attempts::MAX_CHOICES => {
                return Err(AppError::BadRequest(format!(
                    "too many choices for question {pos}"
                )));
            }
            Response::Choices(c) if c.iter().any(|&i| i > MAX_OPTION) => {
                return Err(AppError::BadRequest(format!(
                    "an option index of question {pos} is over {MAX_OPTION}; use the indices the paper shows"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

async fn submit_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = crate::web::nul::drop_from_form(&body);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    match csrf::expected(&ctx.req) {
        Some(t) if csrf::same(&t, &sent) => {}
        _ => return Err(AppError::Csrf),
    }
    let user_id = me.id;
    let lang = ctx.lang;
    // "Kirim semua dan selesai": the learner saw what is not answered and submits anyway
    let confirmed = pairs.iter().any(|(k, v)| k == "confirm" && v == "1");
    let on_completed = ctx.on_completed.clone();
    let review = ctx
        .db
        .run(move |conn| {
            let a = attempts::find_owned(conn, id, user_id)?.ok_or(AppError::NotFound)?;
            let kinds = attempts::paper_kinds(conn, &a)?;
            let answers = if a.is_open() {
                answers_from_form(&pairs, &kinds)?
            } else {
                Answers::new()
            };
            let blank = (1..=kinds.len()).any(|p| !answers.get(&p).is_some_and(is_answered));
            // past the deadline there is nothing to review: the attempt is recorded late at once
            let on_time =
                super::grading::on_time(now(), a.deadline_at, super::grading::GRACE_SECONDS);
            if a.is_open() && on_time && blank && !confirmed {
                // nothing graded yet: the review step, with the answers given so far
                let zone = crate::clock::zone_of_user(conn, user_id)?;
                return Ok(Some(open_attempt(conn, &a, lang, zone, &answers, true)?));
            }
            match attempts::submit(conn, id, user_id, &answers, now(), &on_completed) {
                Ok(_) => Ok(None),
                Err(SubmitError::Refused(SubmitRefused::NotFound)) => Err(AppError::NotFound),
                Err(SubmitError::Db(e)) => Err(e.into()),
            }
        })
        .await?;
    match review {
        Some(data) => {
            let mut resp = ctx.page("pages/quiz_attempt", data)?;
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            Ok(resp)
        }
        None => Ok(see_other(format!("/quiz/attempts/{id}"))),
    }
}

// ---- API ----------------------------------------------------------------------------------

/// `known`: the results when the caller has just built them (a submission it graded), so they
/// are not read back.
fn api_attempt(
    conn: &mut DbConnection,
    a: &Attempt,
    known: Option<attempts::ResultsView>,
) -> Result<Value, AppError> {
    if a.is_open() {
        let paper = attempts::paper_view(conn, a)?;
        Ok(json!({"status": "open", "attempt": a, "paper": paper}))
    } else {
        let results = match known {
            Some(r) => Some(r),
            None => attempts::results_view(conn, a)?,
        };
        Ok(json!({"status": "graded", "attempt": a, "results": results}))
    }
}

/// Start an attempt at a quiz of the caller's enrolled version (or return the open one). The
/// response carries the paper: the questions drawn, without answers.
#[utoipa::path(
    post,
    path = "/api/v1/courses/{slug}/modules/{module}/attempts",
    tag = "quiz",
    params(
        ("slug" = String, Path, description = "The course's slug"),
        ("module" = String, Path, description = "The quiz module's slug"),
    ),
    responses(
        (status = 201, description = "The attempt, open, with its paper", body = AttemptDoc),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quiz", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not now: not enrolled (enroll first), no questions, or no attempts left (the detail says which)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn start_api(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    let user_id = me.id;
    let outlines = ctx.outlines.clone();
    let body = ctx
        .db
        .run(
            move |conn| match start_by_slug(conn, &outlines, user_id, &slug, &module) {
                Ok(a) => api_attempt(conn, &a, None),
                Err(e) => Err(match e.refusal()? {
                    NotStarted::NoQuiz | NotStarted::Refused(StartRefused::NotAQuiz) => {
                        AppError::NotFound
                    }
                    NotStarted::NotEnrolled => {
                        AppError::Conflict("not enrolled in this course; enroll first".into())
                    }
                    NotStarted::Refused(StartRefused::NoQuestions) => {
                        AppError::Conflict("this quiz has no questions".into())
                    }
                    NotStarted::Refused(StartRefused::NoAttemptsLeft { limit }) => {
                        AppError::Conflict(format!(
                            "no attempts left: all {limit} attempts are used"
                        ))
                    }
                }),
            },
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

/// One of the caller's attempts: the paper while open, the results once graded (an attempt past
/// its deadline is closed as late).
#[utoipa::path(
    get,
    path = "/api/v1/attempts/{id}",
    tag = "quiz",
    params(("id" = i64, Path, description = "The attempt's id", minimum = 1)),
    responses(
        (status = 200, description = "The attempt", body = AttemptDoc),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such attempt of the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn attempt_api(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user_id = me.id;
    let body = ctx
        .db
        .run(move |conn| {
            let a = owned_attempt(conn, id, user_id)?;
            api_attempt(conn, &a, None)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct SubmitBody {
    /// By question position (`"1"`, `"2"`, …): `{"choices": [0, 2]}` (option indices as shown
    /// in the paper) or `{"text": "…"}`. Unanswered questions are left out; `{}` answers nothing.
    #[schema(schema_with = answers_schema)]
    answers: BTreeMap<String, Response>,
}

/// The largest option index an answer may name (a question has far fewer options; an index
/// past its last option makes the answer wrong).
const MAX_OPTION: usize = 255;

/// The schema of `answers`, stated as the server checks it (see [`check_answers`]).
fn answers_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type,
    };
    use utoipa::openapi::RefOr;
    let choices = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "choices",
            ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0))
                        .maximum(Some(MAX_OPTION as f64)),
                )
                .max_items(Some(attempts::MAX_CHOICES)),
        )
        .required("choices")
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
        .description(Some("The options chosen, by index"));
    let text = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "text",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(attempts::MAX_TEXT_CHARS)),
        )
        .required("text")
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
        .description(Some("The text typed"));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(POSITION_PATTERN)),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::OneOf(
            OneOfBuilder::new().item(choices).item(text).build(),
        )))))
        .build()
}

/// A question position as an answer's key: 1 to 9999, no leading zero.
const POSITION_PATTERN: &str = "^[1-9][0-9]{0,3}$";

/// `k` as a question position, when it is one ([`POSITION_PATTERN`]).
fn position(k: &str) -> Option<usize> {
    let digits = k.len() <= 4 && k.bytes().all(|b| b.is_ascii_digit()) && !k.starts_with('0');
    k.parse().ok().filter(|_| digits)
}

/// What the attempt endpoints answer (documentation of the JSON they build).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct AttemptDoc {
    /// `open` or `graded`.
    status: String,
    attempt: Attempt,
    /// While open: the questions to answer, without their keys.
    #[schema(value_type = Option<Object>)]
    paper: Option<Value>,
    /// Once graded: the score and, per question, whether it was right.
    #[schema(value_type = Option<Object>)]
    results: Option<Value>,
}

/// Submit the answers of an open attempt and get it graded. Submitting again returns the graded
/// attempt unchanged.
#[utoipa::path(
    post,
    path = "/api/v1/attempts/{id}/submit",
    tag = "quiz",
    params(("id" = i64, Path, description = "The attempt's id", minimum = 1)),
    request_body = SubmitBody,
    responses(
        (status = 200, description = "The graded attempt", body = AttemptDoc),
        (status = 400, description = "Malformed answers", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such attempt of the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn submit_api(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    body: crate::web::json_body::JsonBody<SubmitBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user_id = me.id;
    let mut answers = Answers::new();
    for (k, r) in body.into_inner().answers {
        let pos = position(&k).ok_or_else(|| {
            AppError::BadRequest(format!(
                "`{k}` is not a question position (1, 2, … up to 9999, no leading zero)"
            ))
        })?;
        answers.insert(pos, r);
    }
    check_answers(&answers)?;
    let on_completed = ctx.on_completed.clone();
    let body = ctx
        .db
        .run(move |conn| {
            match attempts::submit(conn, id, user_id, &answers, now(), &on_completed) {
                // a retry answers exactly what the first submission did
                Ok(g) => api_attempt(conn, &g.attempt, g.results),
                Err(SubmitError::Refused(SubmitRefused::NotFound)) => Err(AppError::NotFound),
                Err(SubmitError::Db(e)) => Err(e.into()),
            }
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

// ---- page contexts ------------------------------------------------------------------------

/// `pages/quiz`: a quiz, the learner's attempts at it and whether another may start.
#[derive(Serialize)]
struct QuizPage {
    enrolled: bool,
    course_slug: String,
    course_title: String,
    title: String,
    /// `null` when not enrolled.
    quiz: Option<attempts::QuizModule>,
    attempts: Vec<AttemptRow>,
    open_id: Option<i64>,
    can_start: bool,
    no_attempts_left: bool,
    attempts_left: Option<i64>,
    /// The attempt that counts.
    best: Option<i64>,
}

/// One attempt in the quiz page's list.
#[derive(Serialize)]
struct AttemptRow {
    id: i64,
    number: i32,
    open: bool,
    score: Option<i32>,
    passed: bool,
    late: bool,
    counts: bool,
    when: String,
}
