//! Quiz statistics for authors and admins: `/evaluations/{slug}/quizzes`, the quizzes of a
//! course's current version with their attempts, pass rate, score spread and per-question figures
//! (`learning::statistics`). Same access as the evaluation results: authors and platform admins
//! see every attempt, an agency admin those of their agency's people.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::statistics;
use super::store;
use crate::competency::evaluation::Scope;
use crate::error::AppError;
use crate::web::policy::ResultsViewer;
use crate::web::state::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/evaluations/{slug}/quizzes", web::get().to(page));
}

fn percent(x: Option<f64>) -> Option<i64> {
    x.map(|v| (v * 100.0).round() as i64)
}

async fn page(
    ctx: Ctx,
    me: ResultsViewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang;
    let slug = path.into_inner();
    let s2 = slug.clone();
    let (title, reports, scope) = ctx
        .db
        .run(move |conn| {
            let scope = me.scope_for_slug(conn, &s2)?;
            Ok::<_, AppError>(store::quiz_reports(conn, &s2, scope)?.map(|(t, r)| (t, r, scope)))
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
    ctx.page(
        "pages/quiz_stats",
        json!({
            "course": {"slug": slug, "title": title},
            "quizzes": quizzes,
            "agency_only": matches!(scope, Scope::Agency(_)),
            "min_answers": statistics::MIN_ANSWERS,
        }),
    )
}
