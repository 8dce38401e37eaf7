//! Quiz statistics for authors and admins: `/evaluations/{slug}/quizzes`, the quizzes of a
//! course's current version with their attempts, pass rate, score spread and per-question figures
//! (`learning::statistics`). Same access as the evaluation results: authors and platform admins
//! see every attempt, an agency admin those of their agency's people.

use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde_json::{json, Value};

use super::draw::Paper;
use super::grading::QuestionResult;
use super::statistics::{self, GradedAttempt, QuizStats};
use crate::competency::evaluation::Scope;
use crate::db::schema::{
    course_versions, courses, enrollments, modules, questions, quiz_attempts, users,
};
use crate::db::{Db, DbConnection, DbError};
use crate::error::AppError;
use crate::web::policy::ResultsViewer;
use crate::web::{Lang, Views};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/evaluations/{slug}/quizzes", web::get().to(page));
}

/// One quiz of the course with its questions and figures.
pub struct QuizReport {
    pub slug: String,
    pub title: String,
    /// (question id, position, prompt HTML)
    pub questions: Vec<(i64, i32, String)>,
    pub stats: QuizStats,
}

/// paper, results, score, passed
type AttemptRow = (String, Option<String>, Option<i32>, Option<bool>);

/// The graded attempts at quiz module `module_id` in `scope`.
fn attempts(
    conn: &mut DbConnection,
    module_id: i64,
    scope: Scope,
) -> Result<Vec<GradedAttempt>, DbError> {
    let mut q = quiz_attempts::table
        .filter(quiz_attempts::module_id.eq(module_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .into_boxed();
    if let Scope::Agency(a) = scope {
        q = q.filter(
            quiz_attempts::enrollment_id.eq_any(
                enrollments::table
                    .filter(
                        enrollments::user_id.eq_any(
                            users::table
                                .filter(users::agency_id.eq(a))
                                .select(users::id),
                        ),
                    )
                    .select(enrollments::id),
            ),
        );
    }
    let rows: Vec<AttemptRow> = q
        .select((
            quiz_attempts::paper,
            quiz_attempts::results,
            quiz_attempts::score,
            quiz_attempts::passed,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(paper, results, score, passed)| {
            let paper: Paper = serde_json::from_str(&paper).ok()?;
            let results: Vec<QuestionResult> = serde_json::from_str(&results?).ok()?;
            Some(GradedAttempt {
                score: score?,
                passed: passed?,
                answers: paper
                    .items
                    .iter()
                    .zip(results.iter())
                    .map(|(item, r)| (item.question_id, r.correct))
                    .collect(),
            })
        })
        .collect())
}

/// The course's title and the reports of the quizzes of its current version; None when there is
/// no such published course.
pub fn load(
    conn: &mut DbConnection,
    slug: &str,
    scope: Scope,
) -> Result<Option<(String, Vec<QuizReport>)>, DbError> {
    let Some((version_id, title)) = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .filter(courses::slug.eq(slug))
        .select((course_versions::id, course_versions::title))
        .first::<(i64, String)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let quizzes: Vec<(i64, String, String)> = modules::table
        .filter(modules::version_id.eq(version_id))
        .filter(modules::kind.eq("quiz"))
        .order(modules::position)
        .select((modules::id, modules::slug, modules::title))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, slug, title) in quizzes {
        let qs: Vec<(i64, i32, String)> = questions::table
            .filter(questions::module_id.eq(id))
            .order(questions::position)
            .select((questions::id, questions::position, questions::prompt_html))
            .load(conn)?;
        let ids: Vec<i64> = qs.iter().map(|q| q.0).collect();
        let stats = statistics::compute(&attempts(conn, id, scope)?, &ids);
        out.push(QuizReport {
            slug,
            title,
            questions: qs,
            stats,
        });
    }
    Ok(Some((title, out)))
}

fn percent(x: Option<f64>) -> Option<i64> {
    x.map(|v| (v * 100.0).round() as i64)
}

async fn page(
    req: HttpRequest,
    db: web::Data<Db>,
    views: web::Data<Views>,
    me: ResultsViewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let slug = path.into_inner();
    let s2 = slug.clone();
    let (title, reports, scope) = db
        .run(move |conn| {
            let scope = me.scope_for_slug(conn, &s2)?;
            Ok::<_, AppError>(load(conn, &s2, scope)?.map(|(t, r)| (t, r, scope)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let quizzes: Vec<Value> = reports
        .iter()
        .map(|r| {
            let s = &r.stats;
            let bands: Vec<Value> = s
                .bands
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let pct = (n * 100).checked_div(s.attempts).unwrap_or(0);
                    let label = if i == 9 {
                        "90–100".to_string()
                    } else {
                        format!("{}–{}", i * 10, i * 10 + 9)
                    };
                    json!({"label": label, "count": n, "pct": pct})
                })
                .collect();
            let questions: Vec<Value> = r
                .questions
                .iter()
                .zip(&s.questions)
                .map(|((_, position, prompt), q)| {
                    json!({
                        "position": position + 1,
                        "prompt_html": prompt,
                        "answered": q.answered,
                        "facility": percent(q.facility),
                        "discrimination": q.discrimination.map(|d| crate::text::decimal(d, 2, lang)),
                        "verdict_key": q.verdict.key(),
                        "verdict": q.verdict,
                        "flagged": q.verdict.flagged(),
                    })
                })
                .collect();
            json!({
                "slug": r.slug,
                "title": r.title,
                "attempts": s.attempts,
                "passed": s.passed,
                "pass_rate": percent(s.pass_rate),
                "mean": s.mean_score.map(|m| crate::text::decimal(m, 1, lang)),
                "median": s.median_score.map(|m| crate::text::decimal(m, 1, lang)),
                "bands": bands,
                "questions": questions,
                "flagged": s.questions.iter().filter(|q| q.verdict.flagged()).count(),
            })
        })
        .collect();
    views.page(
        &req,
        "pages/quiz_stats",
        json!({
            "course": {"slug": slug, "title": title},
            "quizzes": quizzes,
            "agency_only": matches!(scope, Scope::Agency(_)),
            "min_answers": statistics::MIN_ANSWERS,
        }),
    )
}
