//! Where a learner left off: the course they opened most recently among those not completed,
//! and the module to go on with (the last one opened, else the first not done), for the
//! logged-in home page's "continue where you left off".

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::progress;
use crate::db::schema::{course_versions, courses, enrollments, modules};
use crate::db::{DbConnection, DbError};

/// The course to go on with.
#[derive(Debug, Serialize)]
pub struct Resume {
    pub course_slug: String,
    pub course_title: String,
    pub module_slug: String,
    pub module_title: String,
    pub percent: usize,
    /// Courses in progress besides this one.
    pub others: usize,
}

/// An enrollment not completed yet, with its course's address and title.
#[derive(Queryable, Selectable)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct OpenEnrollment {
    #[diesel(select_expression = enrollments::id)]
    id: i64,
    #[diesel(select_expression = enrollments::version_id)]
    version_id: i64,
    #[diesel(select_expression = enrollments::last_module_id)]
    last_module_id: Option<i64>,
    #[diesel(select_expression = enrollments::enrolled_at)]
    enrolled_at: NaiveDateTime,
    #[diesel(select_expression = enrollments::last_seen_at)]
    last_seen_at: Option<NaiveDateTime>,
    #[diesel(select_expression = courses::slug)]
    slug: String,
    #[diesel(select_expression = course_versions::title)]
    title: String,
}

/// The enrollment last opened wins; one never opened counts from when it began.
pub fn resume(conn: &mut DbConnection, user_id: i64) -> Result<Option<Resume>, DbError> {
    let open: Vec<OpenEnrollment> = enrollments::table
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(enrollments::version_id)))
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::completed_at.is_null())
        .select(OpenEnrollment::as_select())
        .load(conn)?;
    let others = open.len().saturating_sub(1);
    let Some(e) = open
        .into_iter()
        .max_by_key(|e| (e.last_seen_at.unwrap_or(e.enrolled_at), e.id))
    else {
        return Ok(None);
    };
    let (id, version_id, last_module) = (e.id, e.version_id, e.last_module_id);
    let (course_slug, course_title) = (e.slug, e.title);
    let p = progress::of(conn, id, version_id)?;
    let mods: Vec<(i64, String, String)> = modules::table
        .filter(modules::version_id.eq(version_id))
        .order(modules::position)
        .select((modules::id, modules::slug, modules::title))
        .load(conn)?;
    let next = last_module
        .and_then(|m| mods.iter().find(|(id, _, _)| *id == m))
        .or_else(|| mods.iter().find(|(id, _, _)| !p.done_modules.contains(id)))
        .or(mods.first());
    Ok(next.map(|(_, slug, title)| Resume {
        course_slug,
        course_title,
        module_slug: slug.clone(),
        module_title: title.clone(),
        percent: p.percent,
        others,
    }))
}
