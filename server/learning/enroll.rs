//! Enrollment: a person on one version of a course. Self-enrollment checks prerequisites; a
//! learner stays on the version they enrolled in until they complete it. The course's fee at that
//! moment is recorded with the enrollment (`enrollments.fee`): that is what the agency spent, and
//! a later change of the course's fee touches only new enrollments.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{completions, course_versions, courses, enrollments};
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = enrollments)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Enrollment {
    pub id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub version_id: i64,
    pub source: String,
    pub assigned_by: Option<i64>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub due_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub enrolled_at: NaiveDateTime,
    pub last_module_id: Option<i64>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub last_seen_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub completed_at: Option<NaiveDateTime>,
    /// 1 for the first time through the course; each recertification adds one.
    pub cycle: i32,
    /// The course's fee (rupiah) when this enrollment started: what it cost the agency.
    pub fee: i64,
}

/// The row [`enroll`] and [`new_cycle`] write (`None` is written as NULL).
#[derive(Insertable)]
#[diesel(table_name = enrollments, treat_none_as_null = true)]
struct NewEnrollment<'a> {
    user_id: i64,
    course_id: i64,
    version_id: i64,
    source: &'a str,
    assigned_by: Option<i64>,
    due_at: Option<NaiveDateTime>,
    enrolled_at: NaiveDateTime,
    /// 1 (the column's default) for a first enrollment.
    cycle: i32,
    fee: i64,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<Enrollment>, DbError> {
    Ok(enrollments::table
        .find(id)
        .select(Enrollment::as_select())
        .first(conn)
        .optional()?)
}

/// A person's current enrollment in the course with this slug (the latest cycle), if any.
pub fn of_user(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
) -> Result<Option<Enrollment>, DbError> {
    Ok(enrollments::table
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .filter(enrollments::user_id.eq(user_id))
        .filter(courses::slug.eq(slug))
        .order(enrollments::cycle.desc())
        .select(Enrollment::as_select())
        .first(conn)
        .optional()?)
}

/// Why an enrollment is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such course, or it is not published.
    NotFound,
    /// Archived courses take no new learners.
    Archived,
    /// Prerequisites not completed: (slug, title if published).
    Prerequisites(Vec<(String, Option<String>)>),
}

crate::domain_error!(
    /// Enrolling: refused, or the database failed.
    pub EnrollError,
    Refused
);

/// The slugs of the courses a person has completed.
pub fn completed_slugs(conn: &mut DbConnection, user_id: i64) -> Result<Vec<String>, DbError> {
    Ok(completions::table
        .inner_join(courses::table.on(courses::id.eq(completions::course_id)))
        .filter(completions::user_id.eq(user_id))
        .select(courses::slug)
        .load(conn)?)
}

/// Enroll a person in the current version of a course (or return their existing enrollment).
pub fn enroll(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
    source: &str,
    assigned_by: Option<i64>,
    due_at: Option<NaiveDateTime>,
) -> Result<Enrollment, EnrollError> {
    Ok(enroll_once(conn, user_id, slug, source, assigned_by, due_at)?.0)
}

/// [`enroll`], also saying whether this call started the enrollment (`true`) or found it
/// (`false`: a repeated request) — what happens once per enrollment (a budget warning) keys on it.
pub fn enroll_once(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
    source: &str,
    assigned_by: Option<i64>,
    due_at: Option<NaiveDateTime>,
) -> Result<(Enrollment, bool), EnrollError> {
    let enrolled = crate::db::transaction::<_, DbError, _>(conn, |conn| {
        if let Some(e) = of_user(conn, user_id, slug)? {
            return Ok(Ok((e, false)));
        }
        let course: Option<(i64, Option<i64>, bool, i64)> = courses::table
            .filter(courses::slug.eq(slug))
            .select((
                courses::id,
                courses::current_version_id,
                courses::archived,
                courses::fee,
            ))
            .first(conn)
            .optional()?;
        let Some((course_id, Some(version_id), archived, fee)) = course else {
            return Ok(Err(Refused::NotFound));
        };
        if archived {
            return Ok(Err(Refused::Archived));
        }
        let prereq_json: String = course_versions::table
            .find(version_id)
            .select(course_versions::prerequisites)
            .first(conn)?;
        let prereqs: Vec<String> = crate::db::json_text::JsonText::decode(&prereq_json)?;
        if !prereqs.is_empty() {
            let done = completed_slugs(conn, user_id)?;
            let missing: Vec<String> = prereqs.into_iter().filter(|p| !done.contains(p)).collect();
            if !missing.is_empty() {
                let titles: Vec<(String, String)> = courses::table
                    .inner_join(
                        course_versions::table
                            .on(courses::current_version_id.eq(course_versions::id.nullable())),
                    )
                    .filter(courses::slug.eq_any(&missing))
                    .select((courses::slug, course_versions::title))
                    .load(conn)?;
                let named = missing
                    .into_iter()
                    .map(|m| {
                        let t = titles.iter().find(|(s, _)| *s == m).map(|(_, t)| t.clone());
                        (m, t)
                    })
                    .collect();
                return Ok(Err(Refused::Prerequisites(named)));
            }
        }
        let now = Utc::now().naive_utc();
        let id: i64 = diesel::insert_into(enrollments::table)
            .values(NewEnrollment {
                user_id,
                course_id,
                version_id,
                source,
                assigned_by,
                due_at,
                enrolled_at: now,
                cycle: 1,
                fee: fee.max(0),
            })
            .returning(enrollments::id)
            .get_result(conn)?;
        Ok(Ok((
            find(conn, id)?.ok_or_else(|| DbError::Internal("enrollment vanished".into()))?,
            true,
        )))
    })?;
    Ok(enrolled?)
}

/// Remember the module a learner opened last ("continue where I left off").
pub fn touch(conn: &mut DbConnection, enrollment_id: i64, module_id: i64) -> Result<(), DbError> {
    diesel::update(enrollments::table.find(enrollment_id))
        .set((
            enrollments::last_module_id.eq(Some(module_id)),
            enrollments::last_seen_at.eq(Some(Utc::now().naive_utc())),
        ))
        .execute(conn)?;
    Ok(())
}

/// How long a "last seen" stays fresh enough not to be written again for the same module.
pub const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// [`touch`], unless the learner is on the same module and was seen there within
/// [`TOUCH_EVERY`]: re-reading a page writes nothing (a write per page view made every reader
/// queue for the database's write lock).
pub fn touch_if_moved(
    conn: &mut DbConnection,
    e: &Enrollment,
    module_id: i64,
) -> Result<(), DbError> {
    if !moved(e, module_id) {
        return Ok(());
    }
    touch(conn, e.id, module_id)
}

/// Whether opening `module_id` is news: another module than the last, or the same one not seen
/// for [`TOUCH_EVERY`].
pub fn moved(e: &Enrollment, module_id: i64) -> bool {
    let fresh = e
        .last_seen_at
        .is_some_and(|t| Utc::now().naive_utc() - t < TOUCH_EVERY);
    e.last_module_id != Some(module_id) || !fresh
}

/// Start the course again on its current version, as a new cycle after a completed one
/// (recertification). The caller decides whether the person may; this refuses only when there
/// is nothing completed to follow, or the course takes no learners.
pub fn new_cycle(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
) -> Result<Enrollment, EnrollError> {
    let enrolled = crate::db::transaction::<_, DbError, _>(conn, |conn| {
        let Some(last) = of_user(conn, user_id, slug)? else {
            return Ok(Err(Refused::NotFound));
        };
        if last.completed_at.is_none() {
            // Already on a cycle that is not finished: that is the one to continue.
            return Ok(Ok(last));
        }
        let course: Option<(Option<i64>, bool, i64)> = courses::table
            .find(last.course_id)
            .select((courses::current_version_id, courses::archived, courses::fee))
            .first(conn)
            .optional()?;
        let Some((Some(version_id), archived, fee)) = course else {
            return Ok(Err(Refused::NotFound));
        };
        if archived {
            return Ok(Err(Refused::Archived));
        }
        let id: i64 = diesel::insert_into(enrollments::table)
            .values(NewEnrollment {
                user_id,
                course_id: last.course_id,
                version_id,
                source: "recertify",
                assigned_by: None,
                due_at: None,
                enrolled_at: Utc::now().naive_utc(),
                cycle: last.cycle + 1,
                fee: fee.max(0),
            })
            .returning(enrollments::id)
            .get_result(conn)?;
        Ok(Ok(find(conn, id)?.ok_or_else(|| {
            DbError::Internal("enrollment vanished".into())
        })?))
    })?;
    Ok(enrolled?)
}
