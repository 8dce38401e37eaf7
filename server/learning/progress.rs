//! Lesson progress: a lesson is done when the learner marks it. Marking twice counts once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::catalog::outline::{Outline, Outlines};
use crate::catalog::store::Which;
use crate::db::schema::{lesson_progress, modules, quiz_attempts};
use crate::db::{DbConnection, DbError};

/// How far back a client may date a "done" it recorded offline.
pub const MAX_BACKDATE_DAYS: i64 = 30;

/// The row [`mark_done`] writes.
#[derive(Insertable)]
#[diesel(table_name = lesson_progress)]
struct NewLessonDone {
    enrollment_id: i64,
    module_id: i64,
    done_at: NaiveDateTime,
    recorded_at: NaiveDateTime,
}

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
    // In a savepoint of its own: on PostgreSQL a failed statement spoils the transaction around
    // it, so a concurrent double click's unique violation must be rolled back alone (else the
    // next statement of the caller's transaction fails and the request ends in a 500).
    let inserted = crate::db::transaction(conn, |conn| {
        diesel::insert_into(lesson_progress::table)
            .values(NewLessonDone {
                enrollment_id,
                module_id,
                done_at,
                recorded_at: now,
            })
            .execute(conn)
    });
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

/// Progress of one enrollment. Single-key queries, whose prepared statements diesel keeps (a
/// statement with an `IN` list is prepared anew every time); this runs on every course and module
/// page.
pub fn of(
    conn: &mut DbConnection,
    enrollment_id: i64,
    version_id: i64,
) -> Result<Progress, DbError> {
    let mods: Vec<ModuleRow> = modules::table
        .filter(modules::version_id.eq(version_id))
        .order(modules::position)
        .select(ModuleRow::as_select())
        .load(conn)?;
    progress_on(conn, enrollment_id, version_id, &mods)
}

/// Progress of one enrollment on a version of these modules (in course order).
fn progress_on(
    conn: &mut DbConnection,
    enrollment_id: i64,
    version_id: i64,
    mods: &[ModuleRow],
) -> Result<Progress, DbError> {
    let done: HashSet<(i64, i64)> = lesson_progress::table
        .filter(lesson_progress::enrollment_id.eq(enrollment_id))
        .select((lesson_progress::enrollment_id, lesson_progress::module_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let passed: HashSet<(i64, i64)> = quiz_attempts::table
        .filter(quiz_attempts::enrollment_id.eq(enrollment_id))
        .filter(quiz_attempts::passed.eq(Some(true)))
        .select((quiz_attempts::enrollment_id, quiz_attempts::module_id))
        .distinct()
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(tally(&[(enrollment_id, version_id)], mods, &done, &passed)
        .remove(&enrollment_id)
        .unwrap_or_default())
}

/// A module of a version, in course order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = modules)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ModuleRow {
    pub version_id: i64,
    pub id: i64,
    pub slug: String,
    pub kind: String,
}

/// The modules of these versions, in course order.
pub fn modules_of(conn: &mut DbConnection, version_ids: &[i64]) -> Result<Vec<ModuleRow>, DbError> {
    Ok(modules::table
        .filter(modules::version_id.eq_any(version_ids))
        .order((modules::version_id, modules::position))
        .select(ModuleRow::as_select())
        .load(conn)?)
}

/// Progress of several enrollments, (enrollment id, version id) each, in three queries.
pub fn of_many(
    conn: &mut DbConnection,
    enrollments: &[(i64, i64)],
) -> Result<HashMap<i64, Progress>, DbError> {
    let versions: Vec<i64> = enrollments.iter().map(|(_, v)| *v).collect();
    let ids: Vec<i64> = enrollments.iter().map(|(e, _)| *e).collect();
    let mods = modules_of(conn, &versions)?;
    let done: HashSet<(i64, i64)> = lesson_progress::table
        .filter(lesson_progress::enrollment_id.eq_any(&ids))
        .select((lesson_progress::enrollment_id, lesson_progress::module_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let passed: HashSet<(i64, i64)> = quiz_attempts::table
        .filter(quiz_attempts::enrollment_id.eq_any(&ids))
        .filter(quiz_attempts::passed.eq(Some(true)))
        .select((quiz_attempts::enrollment_id, quiz_attempts::module_id))
        .distinct()
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(tally(enrollments, &mods, &done, &passed))
}

/// Progress per enrollment from the versions' modules, the lessons done and the quizzes passed
/// ((enrollment, module) pairs).
fn tally(
    enrollments: &[(i64, i64)],
    mods: &[ModuleRow],
    done: &HashSet<(i64, i64)>,
    passed: &HashSet<(i64, i64)>,
) -> HashMap<i64, Progress> {
    let mut out = HashMap::new();
    for (enrollment, version) in enrollments {
        let mut p = Progress::default();
        for m in mods.iter().filter(|m| m.version_id == *version) {
            if m.kind == "quiz" {
                p.quizzes_total += 1;
                if passed.contains(&(*enrollment, m.id)) {
                    p.quizzes_passed += 1;
                    p.done_modules.push(m.id);
                }
            } else {
                p.lessons_total += 1;
                if done.contains(&(*enrollment, m.id)) {
                    p.lessons_done += 1;
                    p.done_modules.push(m.id);
                }
            }
        }
        let total = p.lessons_total + p.quizzes_total;
        p.percent = ((p.lessons_done + p.quizzes_passed) * 100)
            .checked_div(total)
            .unwrap_or(0);
        out.insert(*enrollment, p);
    }
    out
}

/// What the course and module pages show a logged-in learner: their enrollment on this course
/// (its version is the one they see) and their progress.
#[derive(Debug, Clone, Serialize)]
pub struct LearnerView {
    pub enrollment: super::enroll::Enrollment,
    pub progress: Progress,
    /// The outline of the enrolled version.
    #[serde(skip)]
    pub outline: Arc<Outline>,
}

/// The learner's view of a course (a read: nothing is written). The enrolled version's shape
/// comes from `outlines`: two queries for where the learner stands.
pub fn learner_view(
    conn: &mut DbConnection,
    outlines: &Outlines,
    user_id: i64,
    slug: &str,
) -> Result<Option<LearnerView>, DbError> {
    let Some(e) = super::enroll::of_user(conn, user_id, slug)? else {
        return Ok(None);
    };
    let Some(outline) = outlines.of(conn, e.version_id)? else {
        return Ok(None);
    };
    let mods: Vec<ModuleRow> = outline
        .modules
        .iter()
        .map(|m| ModuleRow {
            version_id: e.version_id,
            id: m.summary.id,
            slug: m.summary.slug.clone(),
            kind: m.summary.kind.clone(),
        })
        .collect();
    let progress = progress_on(conn, e.id, e.version_id, &mods)?;
    Ok(Some(LearnerView {
        enrollment: e,
        progress,
        outline,
    }))
}

/// The module `module` of the learner's own version, when opening it is worth remembering as
/// where they are (see [`super::enroll::touch_if_moved`]): its id. The page that opened it
/// writes only when there is something to remember.
pub fn to_remember(view: &LearnerView, module: &str) -> Option<i64> {
    view.outline
        .module(module)
        .map(|(_, m)| m.summary.id)
        .filter(|id| super::enroll::moved(&view.enrollment, *id))
}

/// The version a learner sees: their enrolled one until they complete it.
pub fn which_for(view: &Option<LearnerView>, asked: Which) -> Which {
    match (view, &asked) {
        (Some(v), Which::Current) if v.enrollment.completed_at.is_none() => {
            Which::Id(v.enrollment.version_id)
        }
        _ => asked,
    }
}
