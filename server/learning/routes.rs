//! Enrolling, marking lessons done, and the "Belajar saya" dashboard; pages and JSON API.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::completion::{self, OnCompleted};
use super::enroll::{self, EnrollError, Enrollment, Refused};
use super::idempotency;
use super::progress;
use super::store;
use crate::db::{Db, DbConnection, DbError};
use crate::error::AppError;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::state::Ctx;
use crate::web::views::page_data;
use crate::web::{Lang, Views};

/// The yearly minimum of competency development for every ASN, in JP.
pub const MIN_JP_PER_YEAR: i64 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses/{slug}/enroll", web::post().to(enroll_page))
        .route("/courses/{slug}/{module}/done", web::post().to(done_page))
        .route("/me", web::get().to(dashboard_page))
        .route("/api/v1/courses/{slug}/enroll", web::post().to(enroll_api))
        .route(
            "/api/v1/courses/{slug}/modules/{module}/done",
            web::post().to(done_api),
        )
        .route("/api/v1/me/dashboard", web::get().to(dashboard_api));
}

/// The outcome of an enrollment request, for pages and the API.
/// Self-enrolment, and whether it leaves the person's agency over its year's training budget
/// (planned costs counted): asked only when this request started a paid enrolment, so a repeated
/// request does not warn again.
async fn do_enroll(
    db: &Db,
    user_id: i64,
    slug: String,
    now: NaiveDateTime,
) -> Result<(Enrollment, bool), EnrollError> {
    db.run(move |conn| {
        let (e, new) = enroll::enroll_once(conn, user_id, &slug, "self", None, None)?;
        let short = new && e.fee > 0 && {
            // the budget year is the agency's, in its zone
            let year = crate::clock::zone_of_user(conn, user_id)?.year_of(now);
            crate::competency::budget::shortfall_for(conn, user_id, year)?.is_some()
        };
        Ok((e, short))
    })
    .await
}

fn refused_error(r: Refused, views: &Views, lang: Lang) -> AppError {
    match r {
        Refused::NotFound => AppError::NotFound,
        Refused::Archived => AppError::BadRequest(
            views
                .i18n()
                .get(lang, "learning.enroll.archived")
                .unwrap_or("archived")
                .to_string(),
        ),
        Refused::Prerequisites(missing) => {
            let names: Vec<String> = missing
                .iter()
                .map(|(slug, title)| title.clone().unwrap_or_else(|| slug.clone()))
                .collect();
            AppError::BadRequest(
                views
                    .i18n()
                    .format(
                        lang,
                        "learning.enroll.prerequisites",
                        &[("courses", names.join(", "))],
                    )
                    .unwrap_or_default(),
            )
        }
    }
}

async fn enroll_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    match do_enroll(&ctx.db, me.id, slug.clone(), ctx.now()).await {
        Ok((_, short)) => {
            // a paid course: warn when the agency's budget (planned costs counted) is now short
            let notice = if short {
                "enrolled_over_budget"
            } else {
                "enrolled"
            };
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/courses/{slug}?notice={notice}")))
                .finish())
        }
        Err(e) => Err(refused_error(e.refusal()?, &ctx.views, ctx.lang)),
    }
}

/// Enroll the caller in a course's current version (self-enrollment). Enrolling again returns the
/// existing enrollment.
#[utoipa::path(
    post,
    path = "/api/v1/courses/{slug}/enroll",
    tag = "learning",
    params(("slug" = String, Path, description = "The course's slug")),
    responses(
        (status = 200, description = "The enrollment (with a budget warning when it started one over budget)", body = Enrolled),
        (status = 400, description = "Archived, or prerequisites missing (the detail says which)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn enroll_api(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    match do_enroll(&ctx.db, me.id, path.into_inner(), ctx.now()).await {
        Ok((enrollment, short)) => {
            let budget_warning = short.then(|| {
                ctx.views
                    .i18n()
                    .get(ctx.lang, "learning.enroll.done_over_budget")
                    .unwrap_or_default()
                    .to_string()
            });
            Ok(HttpResponse::Ok().json(Enrolled {
                enrollment,
                budget_warning,
            }))
        }
        Err(e) => Err(refused_error(e.refusal()?, &ctx.views, ctx.lang)),
    }
}

/// An enrollment, and the warning a paid course gave when it started.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    #[serde(flatten)]
    pub enrollment: Enrollment,
    /// Set once, on the request that started an enrollment in a paid course which leaves the
    /// agency's training budget for the year (planned costs counted) below zero; absent otherwise,
    /// and on repeated requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_warning: Option<String>,
}

/// What marking a lesson done came to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Done {
    /// False when it was already marked (a retried or double-clicked request).
    pub newly_done: bool,
    pub progress: progress::Progress,
    /// Set when this step completed the course.
    pub completed: Option<completion::Completion>,
    /// The next module's slug, if any.
    pub next: Option<String>,
}

/// Mark a lesson of the enrolled version done, and complete the course when that was the last
/// step, in one transaction.
fn mark_done(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
    module_slug: &str,
    done_at: Option<NaiveDateTime>,
    on_completed: &OnCompleted,
) -> Result<Done, AppError> {
    let e = enroll::of_user(conn, user_id, slug)?.ok_or(AppError::Forbidden)?;
    let module = store::module_step(conn, e.version_id, module_slug)?.ok_or(AppError::NotFound)?;
    if module.kind != "lesson" {
        return Err(AppError::Conflict(
            "a quiz is done by passing it, not by marking it".into(),
        ));
    }
    crate::db::transaction(conn, |conn| {
        let newly_done = progress::mark_done(conn, e.id, module.id, done_at)?;
        let completed = completion::complete_if_done(conn, &e, on_completed)?;
        let p = progress::of(conn, e.id, e.version_id)?;
        let next = store::next_module_slug(conn, e.version_id, module.position)?;
        Ok(Done {
            newly_done,
            progress: p,
            completed,
            next,
        })
    })
}

async fn done_page(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    let user_id = me.id;
    let s2 = slug.clone();
    let on_completed = ctx.on_completed.clone();
    let done = ctx
        .db
        .run(move |conn| mark_done(conn, user_id, &s2, &module, None, &on_completed))
        .await?;
    let to = match (&done.completed, &done.next) {
        (Some(_), _) => format!("/courses/{slug}?notice=completed"),
        (None, Some(next)) => format!("/courses/{slug}/{next}"),
        (None, None) => format!("/courses/{slug}"),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish())
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct DoneBody {
    /// When the learner did it (an offline client reports it later); bounded to the last 30 days.
    done_at: Option<chrono::DateTime<Utc>>,
}

/// Mark a lesson of the caller's enrolled version done (idempotent); completes the course when it
/// was the last step.
#[utoipa::path(
    post,
    path = "/api/v1/courses/{slug}/modules/{module}/done",
    tag = "learning",
    params(
        ("slug" = String, Path, description = "The course's slug"),
        ("module" = String, Path, description = "The lesson's slug"),
    ),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Names this action (1–128 visible ASCII characters, e.g. a UUID): a repeat with the same key gets the first answer back, with `Idempotent-Replayed: true`. Offline clients send one per queued action.", min_length = 1, max_length = 128, pattern = "^[!-~]+$"),
    ),
    request_body(content = Option<DoneBody>, description = "Optional: when it was done (offline clients)", content_type = "application/json"),
    responses(
        (status = 200, description = "Progress after marking", body = Done),
        (status = 400, description = "A malformed body or Idempotency-Key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A quiz (done by passing it), or an Idempotency-Key already used for another action", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled in this course", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such module in the enrolled version", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn done_api(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, String)>,
    body: crate::web::json_body::MaybeJsonBody<DoneBody>,
) -> Result<HttpResponse, AppError> {
    let (slug, module) = path.into_inner();
    let user_id = me.id;
    let done_at = body
        .into_inner()
        .and_then(|b| b.done_at)
        .map(|d| d.naive_utc());
    let on_completed = ctx.on_completed.clone();
    let key = match ctx.req.headers().get(idempotency::HEADER) {
        None => None,
        Some(v) => match v.to_str().ok().filter(|k| idempotency::valid(k)) {
            Some(k) => Some(k.to_string()),
            None => {
                return Err(AppError::BadRequest(format!(
                    "the {} header must be 1 to {} visible ASCII characters (a UUID, for instance)",
                    idempotency::HEADER,
                    idempotency::MAX_LEN
                )))
            }
        },
    };
    let Some(key) = key else {
        let done = ctx
            .db
            .run(move |conn| mark_done(conn, user_id, &slug, &module, done_at, &on_completed))
            .await?;
        return Ok(HttpResponse::Ok().json(done));
    };
    let request = format!("POST {}", ctx.req.path());
    let (body, replayed) = ctx
        .db
        .run(move |conn| {
            let marking = Marking {
                user_id,
                slug: &slug,
                module: &module,
                done_at,
            };
            done_once(conn, &marking, &on_completed, &key, &request)
        })
        .await?;
    let mut res = HttpResponse::Ok();
    if replayed {
        res.insert_header((idempotency::REPLAYED, "true"));
    }
    Ok(res.content_type("application/json").body(body))
}

/// One "lesson done" request: who marks which lesson, and when it was done (offline clients).
struct Marking<'a> {
    user_id: i64,
    slug: &'a str,
    module: &'a str,
    done_at: Option<NaiveDateTime>,
}

/// [`mark_done`] under an idempotency key: (the answer as JSON, whether it is a replay).
fn done_once(
    conn: &mut DbConnection,
    m: &Marking,
    on_completed: &OnCompleted,
    key: &str,
    request: &str,
) -> Result<(String, bool), AppError> {
    use idempotency::Seen;
    let &Marking {
        user_id,
        slug,
        module,
        done_at,
    } = m;
    // Twice at most: when the same key races in from two connections, the loser's insert fails
    // on the primary key, its transaction rolls back, and the second look finds the winner's answer.
    for _ in 0..2 {
        match idempotency::seen(conn, user_id, key, request)? {
            Seen::Replay(body) => return Ok((body, true)),
            Seen::OtherRequest(other) => {
                return Err(AppError::Conflict(format!(
                    "this Idempotency-Key was already used for another action ({other}); send a new key for each action"
                )))
            }
            Seen::New => {}
        }
        let outcome = crate::db::transaction(conn, |conn| {
            let done = mark_done(conn, user_id, slug, module, done_at, on_completed)?;
            let body = serde_json::to_string(&done)
                .map_err(|e| AppError::Internal(format!("encode the answer: {e}")))?;
            idempotency::remember(conn, user_id, key, request, &body, Utc::now().naive_utc())
                .map_err(DbError::from)?;
            Ok::<_, AppError>(body)
        });
        match outcome {
            Ok(body) => return Ok((body, false)),
            Err(AppError::Db(DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )))) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Internal(
        "an idempotency key kept colliding".into(),
    ))
}

// ---------- the dashboard ----------

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DashboardCourse {
    pub slug: String,
    pub title: String,
    pub jp: i32,
    pub source: String,
    /// The due moment: the end of the due day in the person's agency time zone, as an instant.
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub due_at: Option<NaiveDateTime>,
    /// The due day itself, a calendar date in the person's agency time zone (what to show).
    pub due_date: Option<chrono::NaiveDate>,
    pub overdue: bool,
    pub percent: usize,
    /// Where "continue" leads: the last module opened, else the first not done.
    pub continue_slug: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub completed_at: Option<NaiveDateTime>,
    /// The verification code of the certificate for this course (the newest not revoked), once
    /// completed: its page is `/me/certificates/{code}`.
    pub certificate_code: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub in_progress: Vec<DashboardCourse>,
    pub assigned: Vec<DashboardCourse>,
    pub completed: Vec<DashboardCourse>,
    pub jp_this_year: i64,
    pub jp_target: i64,
    /// The JP year: the current year in the person's agency zone.
    pub year: i32,
    /// The zone the dates are read in.
    #[serde(skip)]
    pub zone: crate::clock::Zone,
}

/// The dashboard at `now` (UTC); "this year" is the year in the person's agency zone.
pub fn dashboard(
    conn: &mut DbConnection,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<Dashboard, DbError> {
    let zone = crate::clock::zone_of_user(conn, user_id)?;
    let mut rows = store::dashboard_rows(conn, user_id)?;
    // A course taken again (recertification) shows once: its latest cycle.
    rows.sort_by_key(|r| std::cmp::Reverse((r.enrollment.enrolled_at, r.enrollment.cycle)));
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.enrollment.course_id));
    let mut d = Dashboard {
        in_progress: Vec::new(),
        assigned: Vec::new(),
        completed: Vec::new(),
        jp_this_year: 0,
        jp_target: MIN_JP_PER_YEAR,
        year: zone.year_of(now),
        zone,
    };
    let pairs: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| (r.enrollment.id, r.enrollment.version_id))
        .collect();
    let mut all_progress = progress::of_many(conn, &pairs)?;
    let versions: Vec<i64> = pairs.iter().map(|(_, v)| *v).collect();
    let all_mods = progress::modules_of(conn, &versions)?;
    let mut certificates = crate::certificates::store::codes_by_course(conn, user_id)?;
    for store::DashboardRow {
        enrollment: e,
        slug,
        title,
        jp,
    } in rows
    {
        let p = all_progress.remove(&e.id).unwrap_or_default();
        let mods: Vec<(i64, String)> = all_mods
            .iter()
            .filter(|m| m.version_id == e.version_id)
            .map(|m| (m.id, m.slug.clone()))
            .collect();
        let continue_slug = e
            .last_module_id
            .and_then(|id| mods.iter().find(|(m, _)| *m == id))
            .or_else(|| mods.iter().find(|(m, _)| !p.done_modules.contains(m)))
            .or(mods.first())
            .map(|(_, s)| s.clone());
        let c = DashboardCourse {
            slug,
            title,
            jp,
            source: e.source.clone(),
            due_at: e.due_at,
            due_date: e.due_at.map(|d| zone.date_of(d)),
            overdue: e.completed_at.is_none() && e.due_at.is_some_and(|d| d < now),
            percent: p.percent,
            continue_slug,
            completed_at: e.completed_at,
            certificate_code: match e.completed_at {
                Some(_) => certificates.remove(&e.course_id),
                None => None,
            },
        };
        if e.completed_at.is_some() {
            d.completed.push(c);
        } else if e.source == "assigned" {
            d.assigned.push(c);
        } else {
            d.in_progress.push(c);
        }
    }
    // The same tally as the competency profile: completions and approved outside activities,
    // against the agency's target (at least 20 JP).
    let jp = crate::competency::jp::standing(conn, user_id, d.year)?;
    (d.jp_this_year, d.jp_target) = (jp.earned, jp.target);
    Ok(d)
}

async fn dashboard_page(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let user_id = me.id;
    let now = ctx.now();
    let d = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(dashboard(conn, user_id, now)?))
        .await?;
    let lang = ctx.lang;
    let date = |t: &Option<NaiveDateTime>| t.map(|t| crate::text::date(d.zone.date_of(t), lang));
    let row = |c: &DashboardCourse| DashboardRow {
        slug: c.slug.clone(),
        title: c.title.clone(),
        jp: c.jp,
        percent: c.percent,
        continue_slug: c.continue_slug.clone(),
        due: date(&c.due_at),
        overdue: c.overdue,
        completed: date(&c.completed_at),
        certificate: c.certificate_code.clone(),
    };
    let page = DashboardPage {
        name: me.name.clone(),
        in_progress: d.in_progress.iter().map(row).collect(),
        assigned: d.assigned.iter().map(row).collect(),
        completed: d.completed.iter().map(row).collect(),
        jp: d.jp_this_year,
        jp_target: d.jp_target,
        jp_pct: (d.jp_this_year * 100 / d.jp_target.max(1)).min(100),
        year: d.year,
        jp_reached: d.jp_this_year >= d.jp_target,
    };
    ctx.page("pages/dashboard", page_data(&page)?)
}

/// The caller's "Belajar saya": courses in progress, assigned and completed, and JP this year.
#[utoipa::path(
    get,
    path = "/api/v1/me/dashboard",
    tag = "learning",
    responses(
        (status = 200, description = "The dashboard", body = Dashboard),
        (status = 401, description = "Not logged in", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn dashboard_api(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let user_id = me.id;
    let now = ctx.now();
    let d = ctx
        .db
        .run(move |conn| Ok::<_, AppError>(dashboard(conn, user_id, now)?))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

// ---------- page contexts ----------

/// `pages/dashboard`: "Belajar saya".
#[derive(Serialize)]
struct DashboardPage {
    name: String,
    in_progress: Vec<DashboardRow>,
    assigned: Vec<DashboardRow>,
    completed: Vec<DashboardRow>,
    jp: i64,
    jp_target: i64,
    jp_pct: i64,
    year: i32,
    jp_reached: bool,
}

/// A course on the dashboard, its dates in the person's zone.
#[derive(Serialize)]
struct DashboardRow {
    slug: String,
    title: String,
    jp: i32,
    percent: usize,
    continue_slug: Option<String>,
    due: Option<String>,
    overdue: bool,
    completed: Option<String>,
    certificate: Option<String>,
}
