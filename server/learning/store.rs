//! Learning's queries that its pages and API need beyond the domain modules: the modules of an
//! enrolled version, the dashboard's enrollments, what an offline copy stores, and the quiz
//! statistics' attempts. Route files call these; they run no diesel themselves.

use diesel::prelude::*;

use super::draw::Paper;
use super::enroll::Enrollment;
use super::grading::QuestionResult;
use super::statistics::{self, GradedAttempt, QuizStats};
use crate::competency::evaluation::Scope;
use crate::db::schema::{
    course_versions, courses, enrollments, modules, questions, quiz_attempts, users, version_assets,
};
use crate::db::{DbConnection, DbError};

// ---------- modules of a version ----------

/// A module of a version, as marking it done needs it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = modules)]
pub struct ModuleStep {
    pub id: i64,
    pub kind: String,
    pub position: i32,
}

/// The module `slug` of version `version_id`.
pub fn module_step(
    conn: &mut DbConnection,
    version_id: i64,
    slug: &str,
) -> Result<Option<ModuleStep>, DbError> {
    Ok(modules::table
        .filter(modules::version_id.eq(version_id))
        .filter(modules::slug.eq(slug))
        .select(ModuleStep::as_select())
        .first(conn)
        .optional()?)
}

/// The slug of the module after `position` in version `version_id`, if any.
pub fn next_module_slug(
    conn: &mut DbConnection,
    version_id: i64,
    position: i32,
) -> Result<Option<String>, DbError> {
    Ok(modules::table
        .filter(modules::version_id.eq(version_id))
        .filter(modules::position.gt(position))
        .order(modules::position)
        .select(modules::slug)
        .first(conn)
        .optional()?)
}

/// The slugs of version `version_id`'s modules, in course order.
pub fn module_slugs(conn: &mut DbConnection, version_id: i64) -> Result<Vec<String>, DbError> {
    Ok(modules::table
        .filter(modules::version_id.eq(version_id))
        .order(modules::position)
        .select(modules::slug)
        .load(conn)?)
}

// ---------- versions ----------

/// A version's title.
pub fn version_title(conn: &mut DbConnection, version_id: i64) -> Result<String, DbError> {
    Ok(course_versions::table
        .find(version_id)
        .select(course_versions::title)
        .first(conn)?)
}

/// A version's content hash.
pub fn version_hash(conn: &mut DbConnection, version_id: i64) -> Result<String, DbError> {
    Ok(course_versions::table
        .find(version_id)
        .select(course_versions::hash)
        .first(conn)?)
}

/// A version's asset files, (path, hash), by path.
pub fn version_assets(
    conn: &mut DbConnection,
    version_id: i64,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(version_assets::table
        .filter(version_assets::version_id.eq(version_id))
        .order(version_assets::path)
        .select((version_assets::path, version_assets::hash))
        .load(conn)?)
}

// ---------- the dashboard ----------

/// An enrollment of the dashboard with its course's slug and its version's title and JP.
#[derive(Queryable, Selectable)]
#[diesel(table_name = enrollments)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DashboardRow {
    #[diesel(embed)]
    pub enrollment: Enrollment,
    #[diesel(select_expression = courses::slug)]
    pub slug: String,
    #[diesel(select_expression = course_versions::title)]
    pub title: String,
    #[diesel(select_expression = course_versions::jp)]
    pub jp: i32,
}

/// Every enrollment of `user_id`, newest first, with course slug, version title and JP.
pub fn dashboard_rows(conn: &mut DbConnection, user_id: i64) -> Result<Vec<DashboardRow>, DbError> {
    Ok(enrollments::table
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(enrollments::version_id)))
        .filter(enrollments::user_id.eq(user_id))
        .order(enrollments::enrolled_at.desc())
        .select(DashboardRow::as_select())
        .load(conn)?)
}

// ---------- quiz statistics ----------

/// One quiz of the course with its questions and figures.
pub struct QuizReport {
    pub slug: String,
    pub title: String,
    /// (question id, position, prompt HTML)
    pub questions: Vec<(i64, i32, String)>,
    pub stats: QuizStats,
}

/// What the statistics read of a submitted attempt. The JSON columns stay text here: an attempt
/// whose paper or results do not parse is left out of the figures.
#[derive(Queryable, Selectable)]
#[diesel(table_name = quiz_attempts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct AttemptRow {
    paper: String,
    results: Option<String>,
    score: Option<i32>,
    passed: Option<bool>,
}

/// The graded attempts at quiz module `module_id` in `scope`.
fn graded_attempts(
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
    let rows: Vec<AttemptRow> = q.select(AttemptRow::as_select()).load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let paper: Paper = serde_json::from_str(&row.paper).ok()?;
            let results: Vec<QuestionResult> = serde_json::from_str(&row.results?).ok()?;
            Some(GradedAttempt {
                score: row.score?,
                passed: row.passed?,
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
pub fn quiz_reports(
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
        let stats = statistics::compute(&graded_attempts(conn, id, scope)?, &ids);
        out.push(QuizReport {
            slug,
            title,
            questions: qs,
            stats,
        });
    }
    Ok(Some((title, out)))
}
