//! Completion: every lesson done and every quiz passed → the course is completed on the version
//! the learner was on, crediting its JP and competencies. Recorded in the caller's transaction,
//! together with whatever depends on it (see [`OnCompleted`]).

use std::sync::Arc;

use chrono::Utc;
use diesel::prelude::*;

pub use crate::events::Completion;

use super::enroll::Enrollment;
use super::progress;
use crate::db::schema::{
    completions, course_competencies, course_versions, enrollments, quiz_attempts,
};
use crate::db::{DbConnection, DbError};

/// Complete the enrollment if everything is done and it is not completed yet. Call it inside the
/// transaction that recorded the last step. Returns the new completion.
pub fn complete_if_done(
    conn: &mut DbConnection,
    e: &Enrollment,
    on_completed: &OnCompleted,
) -> Result<Option<Completion>, DbError> {
    if e.completed_at.is_some() {
        return Ok(None);
    }
    let p = progress::of(conn, e.id, e.version_id)?;
    if !p.complete() || p.lessons_total + p.quizzes_total == 0 {
        return Ok(None);
    }
    let existing: Option<i64> = completions::table
        .filter(completions::enrollment_id.eq(e.id))
        .select(completions::id)
        .first(conn)
        .optional()?;
    if existing.is_some() {
        return Ok(None);
    }
    let now = Utc::now().naive_utc();
    let jp: i32 = course_versions::table
        .find(e.version_id)
        .select(course_versions::jp)
        .first(conn)?;
    let comps: Vec<(String, i32)> = course_competencies::table
        .filter(course_competencies::version_id.eq(e.version_id))
        .select((course_competencies::code, course_competencies::level))
        .load(conn)?;
    let score: Option<i32> = quiz_attempts::table
        .filter(quiz_attempts::enrollment_id.eq(e.id))
        .filter(quiz_attempts::passed.eq(Some(true)))
        .select(diesel::dsl::max(quiz_attempts::score))
        .first::<Option<i32>>(conn)?;
    let id: i64 = diesel::insert_into(completions::table)
        .values(NewCompletion {
            enrollment_id: e.id,
            user_id: e.user_id,
            course_id: e.course_id,
            version_id: e.version_id,
            completed_at: now,
            jp,
            competencies: serde_json::to_string(&comps).unwrap_or_else(|_| "[]".into()),
            score,
        })
        .returning(completions::id)
        .get_result(conn)?;
    diesel::update(enrollments::table.find(e.id))
        .set(enrollments::completed_at.eq(Some(now)))
        .execute(conn)?;
    let c = Completion {
        id,
        enrollment_id: e.id,
        user_id: e.user_id,
        course_id: e.course_id,
        version_id: e.version_id,
        completed_at: now,
        jp,
        competencies: comps,
        score,
    };
    tracing::info!(
        user = c.user_id,
        course = c.course_id,
        jp = c.jp,
        "course completed"
    );
    on_completed.run(conn, &c)?;
    Ok(Some(c))
}

/// The row [`complete_if_done`] writes (`None` is written as NULL).
#[derive(Insertable)]
#[diesel(table_name = completions, treat_none_as_null = true)]
struct NewCompletion {
    enrollment_id: i64,
    user_id: i64,
    course_id: i64,
    version_id: i64,
    completed_at: chrono::NaiveDateTime,
    jp: i32,
    competencies: String,
    score: Option<i32>,
}

/// What depends on a completion (the competency evidence, the certificate, milestones): run by
/// [`complete_if_done`] inside the completion's transaction. Built by `crate::hooks::on_completed`,
/// so learning does not import the features that follow it.
#[derive(Clone)]
pub struct OnCompleted(Arc<Hook>);

type Hook = dyn Fn(&mut DbConnection, &Completion) -> Result<(), DbError> + Send + Sync;

impl OnCompleted {
    pub fn new(
        f: impl Fn(&mut DbConnection, &Completion) -> Result<(), DbError> + Send + Sync + 'static,
    ) -> Self {
        OnCompleted(Arc::new(f))
    }

    /// Run it for completion `c`, in the caller's transaction.
    pub fn run(&self, conn: &mut DbConnection, c: &Completion) -> Result<(), DbError> {
        (self.0)(conn, c)
    }
}

impl std::fmt::Debug for OnCompleted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnCompleted")
    }
}
