//! Lesson progress: a lesson is done when the learner marks it. Marking twice counts once.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{lesson_progress, modules, quiz_attempts};
use crate::db::{DbConnection, DbError};

/// How far back a client may date a "done" it recorded offline.
pub const MAX_BACKDATE_DAYS: i64 = 30;

/// Mark a lesson done. Returns false when it already was (nothing changes). `done_at` is when the
/// learner did it (a client that was offline says so), kept within sane limits.
pub fn mark_done(
    conn: &mut DbConnection,
    enrollment_id: i64,
    module_id: i64,
    done_at: Option<NaiveDateTime>,
) -> Result<bool, DbError> {
    let now = Utc::now().naive_utc();
    let earliest = now - chrono::Duration::days(MAX_BACKDATE_DAYS);
    let done_at = done_at.map(|d| d.clamp(earliest, now)).unwrap_or(now);
    let exists: Option<i64> = lesson_progress::table
        .find((enrollment_id, module_id))
        .select(lesson_progress::module_id)
        .first(conn)
        .optional()?;
    if exists.is_some() {
        return Ok(false);
    }
    let inserted = diesel::insert_into(lesson_progress::table)
        .values((
            lesson_progress::enrollment_id.eq(enrollment_id),
            lesson_progress::module_id.eq(module_id),
            lesson_progress::done_at.eq(done_at),
            lesson_progress::recorded_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        // a concurrent double click: the other request recorded it
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Where a learner stands in a course version.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Progress {
    pub lessons_total: usize,
    pub lessons_done: usize,
    pub quizzes_total: usize,
    pub quizzes_passed: usize,
    /// 0–100 over lessons and quizzes.
    pub percent: usize,
    /// Module ids done (lessons) or passed (quizzes).
    pub done_modules: Vec<i64>,
}

impl Progress {
    pub fn complete(&self) -> bool {
        self.lessons_done == self.lessons_total && self.quizzes_passed == self.quizzes_total
    }
}

pub fn of(
    conn: &mut DbConnection,
    enrollment_id: i64,
    version_id: i64,
) -> Result<Progress, DbError> {
    let mods: Vec<(i64, String)> = modules::table
        .filter(modules::version_id.eq(version_id))
        .select((modules::id, modules::kind))
        .load(conn)?;
    let done: Vec<i64> = lesson_progress::table
        .filter(lesson_progress::enrollment_id.eq(enrollment_id))
        .select(lesson_progress::module_id)
        .load(conn)?;
    let passed: Vec<i64> = quiz_attempts::table
        .filter(quiz_attempts::enrollment_id.eq(enrollment_id))
        .filter(quiz_attempts::passed.eq(Some(true)))
        .select(quiz_attempts::module_id)
        .distinct()
        .load(conn)?;
    let mut p = Progress::default();
    for (id, kind) in &mods {
        if kind == "quiz" {
            p.quizzes_total += 1;
            if passed.contains(id) {
                p.quizzes_passed += 1;
                p.done_modules.push(*id);
            }
        } else {
            p.lessons_total += 1;
            if done.contains(id) {
                p.lessons_done += 1;
                p.done_modules.push(*id);
            }
        }
    }
    let total = p.lessons_total + p.quizzes_total;
    p.percent = ((p.lessons_done + p.quizzes_passed) * 100)
        .checked_div(total)
        .unwrap_or(0);
    Ok(p)
}
