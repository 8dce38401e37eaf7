//! Publishing: store a validated course as a new version, in one transaction.
//!
//! A version is the hash of the course's files: publishing the same files again changes nothing,
//! and publishing files that match an older version makes that version current again.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::dictionary::Dictionary;
use super::folder::{AnswerKey, AssetOut, CourseOut, ModuleOut, QuestionOut};
use crate::db::schema::{
    assets, competencies, course_competencies, course_versions, courses, modules, question_keys,
    questions, version_assets, version_sources,
};
use crate::db::{DbConnection, DbError};

/// A fixed key for the PostgreSQL advisory lock that serialises publishing across servers.
pub const PUBLISH_LOCK: i64 = 0x00ca_4a71;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new version was stored and made current.
    Published { version_id: i64, first: bool },
    /// The files match the current version: nothing changed.
    Unchanged,
    /// The files match an older version, which is current again.
    Restored { version_id: i64 },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Published { first: true, .. } => f.write_str("published (first version)"),
            Outcome::Published { .. } => f.write_str("published a new version"),
            Outcome::Unchanged => f.write_str("unchanged, nothing to publish"),
            Outcome::Restored { .. } => {
                f.write_str("restored an earlier version with the same files")
            }
        }
    }
}

#[derive(Debug)]
pub enum PublishError {
    /// The course cannot be published as it is; the text says why and what to do.
    Refused(String),
    Db(DbError),
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Refused(m) => f.write_str(m),
            PublishError::Db(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PublishError {}

impl From<DbError> for PublishError {
    fn from(e: DbError) -> Self {
        PublishError::Db(e)
    }
}

impl From<diesel::result::Error> for PublishError {
    fn from(e: diesel::result::Error) -> Self {
        PublishError::Db(DbError::Query(e))
    }
}

/// A dictionary entry as stored; the levels stay text (compared, not read).
#[derive(Queryable, Selectable)]
#[diesel(table_name = competencies)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct StoredCompetency {
    code: String,
    name: String,
    kind: String,
    description: String,
    levels: String,
}

/// The row [`sync_dictionary`] writes for a new entry.
#[derive(Insertable)]
#[diesel(table_name = competencies)]
struct NewCompetency<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    description: &'a str,
    levels: &'a str,
    updated_at: chrono::NaiveDateTime,
}

/// Store the competency dictionary: add new entries, update changed ones (none are removed, as
/// published versions may still name them).
pub fn sync_dictionary(conn: &mut DbConnection, dict: &Dictionary) -> Result<usize, DbError> {
    let now = Utc::now().naive_utc();
    let mut changed = 0;
    crate::db::transaction(conn, |conn| {
        let existing: BTreeMap<String, StoredCompetency> = competencies::table
            .select(StoredCompetency::as_select())
            .load::<StoredCompetency>(conn)?
            .into_iter()
            .map(|r| (r.code.clone(), r))
            .collect();
        for c in dict.by_code.values() {
            let levels = serde_json::to_string(&c.levels).unwrap_or_else(|_| "[]".into());
            match existing.get(&c.code) {
                Some(old)
                    if old.name == c.name
                        && old.kind == c.kind.code()
                        && old.description == c.description
                        && old.levels == levels => {}
                Some(_) => {
                    diesel::update(competencies::table.find(&c.code))
                        .set((
                            competencies::name.eq(&c.name),
                            competencies::kind.eq(c.kind.code()),
                            competencies::description.eq(&c.description),
                            competencies::levels.eq(&levels),
                            competencies::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    changed += 1;
                }
                None => {
                    diesel::insert_into(competencies::table)
                        .values(NewCompetency {
                            code: &c.code,
                            name: &c.name,
                            kind: c.kind.code(),
                            description: &c.description,
                            levels: &levels,
                            updated_at: now,
                        })
                        .execute(conn)?;
                    changed += 1;
                }
            }
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(changed)
}

/// Order courses so that each comes after the prerequisites published with it.
pub fn in_dependency_order(courses: Vec<CourseOut>) -> Vec<CourseOut> {
    let slugs: HashSet<String> = courses.iter().map(|c| c.slug.clone()).collect();
    let mut pending: Vec<CourseOut> = courses;
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for c in pending {
            let ready = c
                .meta
                .prerequisites
                .iter()
                .all(|p| !slugs.contains(p) || done.contains(p));
            if ready {
                done.insert(c.slug.clone());
                out.push(c);
            } else {
                rest.push(c);
            }
        }
        pending = rest;
        if pending.len() == before {
            // a cycle: publish the rest as they come; each reports what it misses
            out.append(&mut pending);
        }
    }
    out
}

/// Who asks for publishing: an author naming the folder (files matching an older version make it
/// current again), or the server publishing its courses folder at start-up (files it already has
/// change nothing, so a restart never undoes a version published in the browser since).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Explicit,
    StartUp,
}

/// Publish one course (its dictionary must be synced first).
pub fn publish(conn: &mut DbConnection, course: &CourseOut) -> Result<Outcome, PublishError> {
    publish_as(conn, course, Mode::Explicit)
}

pub fn publish_as(
    conn: &mut DbConnection,
    course: &CourseOut,
    mode: Mode,
) -> Result<Outcome, PublishError> {
    crate::db::transaction(conn, |conn| {
        if let DbConnection::Postgres(_) = conn {
            conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({PUBLISH_LOCK})"))?;
        }
        publish_in_transaction(conn, course, mode)
    })
}

fn publish_in_transaction(
    conn: &mut DbConnection,
    c: &CourseOut,
    mode: Mode,
) -> Result<Outcome, PublishError> {
    let now = Utc::now().naive_utc();
    check_prerequisites(conn, c)?;
    check_competencies(conn, c)?;

    let (course_id, current, first) = course_row(conn, &c.slug, now)?;
    if let Some((version_id, _)) = version_with_hash(conn, course_id, &c.hash)? {
        keep_sources(conn, version_id, c)?;
        if current == Some(version_id) || (mode == Mode::StartUp && current.is_some()) {
            return Ok(Outcome::Unchanged);
        }
        mark_published(conn, version_id, now)?;
        set_current(conn, course_id, version_id, now)?;
        return Ok(Outcome::Restored { version_id });
    }
    let version_id = insert_version(conn, course_id, c, Status::Published, None, "cli", now)?;
    set_current(conn, course_id, version_id, now)?;
    Ok(Outcome::Published { version_id, first })
}

/// Whether a version is what learners may see or only a draft its authors work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Published,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
        }
    }
}

/// Prerequisites must be published courses.
pub fn check_prerequisites(conn: &mut DbConnection, c: &CourseOut) -> Result<(), PublishError> {
    for p in &c.meta.prerequisites {
        let found: Option<i64> = courses::table
            .filter(courses::slug.eq(p))
            .filter(courses::current_version_id.is_not_null())
            .select(courses::id)
            .first(conn)
            .optional()?;
        if found.is_none() {
            return Err(PublishError::Refused(format!(
                "prerequisite `{p}` is not a published course; publish it first (or together: cakap courses publish courses/*), or remove it from `prerequisites`"
            )));
        }
    }
    Ok(())
}

/// Competencies must be in the stored dictionary.
pub fn check_competencies(conn: &mut DbConnection, c: &CourseOut) -> Result<(), PublishError> {
    let codes: Vec<&str> = c
        .meta
        .competencies
        .iter()
        .map(|(code, _)| code.as_str())
        .collect();
    let known: Vec<String> = competencies::table
        .filter(competencies::code.eq_any(&codes))
        .select(competencies::code)
        .load(conn)?;
    if let Some(missing) = codes.iter().find(|code| !known.iter().any(|k| k == *code)) {
        return Err(PublishError::Refused(format!(
            "competency `{missing}` is not in the dictionary; add it to competencies.toml and publish again"
        )));
    }
    Ok(())
}

/// The row [`course_row`] writes for a new course.
#[derive(Insertable)]
#[diesel(table_name = courses)]
struct NewCourse<'a> {
    slug: &'a str,
    archived: bool,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// The course's row (created, with no current version, when new): (id, current version, new).
pub fn course_row(
    conn: &mut DbConnection,
    slug: &str,
    now: chrono::NaiveDateTime,
) -> Result<(i64, Option<i64>, bool), diesel::result::Error> {
    let existing: Option<(i64, Option<i64>)> = courses::table
        .filter(courses::slug.eq(slug))
        .select((courses::id, courses::current_version_id))
        .first(conn)
        .optional()?;
    Ok(match existing {
        Some((id, current)) => (id, current, false),
        None => {
            let id: i64 = diesel::insert_into(courses::table)
                .values(NewCourse {
                    slug,
                    archived: false,
                    created_at: now,
                    updated_at: now,
                })
                .returning(courses::id)
                .get_result(conn)?;
            (id, None, true)
        }
    })
}

/// The version of a course with these files, if stored: (id, status).
pub fn version_with_hash(
    conn: &mut DbConnection,
    course_id: i64,
    hash: &str,
) -> Result<Option<(i64, String)>, diesel::result::Error> {
    course_versions::table
        .filter(course_versions::course_id.eq(course_id))
        .filter(course_versions::hash.eq(hash))
        .select((course_versions::id, course_versions::status))
        .first(conn)
        .optional()
}

/// Versions stored before sources were kept get them when the same files come again.
fn keep_sources(
    conn: &mut DbConnection,
    version_id: i64,
    c: &CourseOut,
) -> Result<(), diesel::result::Error> {
    let stored: i64 = version_sources::table
        .filter(version_sources::version_id.eq(version_id))
        .count()
        .get_result(conn)?;
    if stored == 0 {
        insert_sources(conn, version_id, c)?;
    }
    Ok(())
}

/// A source file of a version, as [`insert_sources`] writes it.
#[derive(Insertable)]
#[diesel(table_name = version_sources)]
struct NewSource<'a> {
    version_id: i64,
    path: &'a str,
    content: &'a str,
}

fn insert_sources(
    conn: &mut DbConnection,
    version_id: i64,
    c: &CourseOut,
) -> Result<(), diesel::result::Error> {
    for (path, content) in &c.sources {
        diesel::insert_into(version_sources::table)
            .values(NewSource {
                version_id,
                path,
                content,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// A draft (or an older version) becomes a published one.
pub fn mark_published(
    conn: &mut DbConnection,
    version_id: i64,
    now: chrono::NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let status: String = course_versions::table
        .find(version_id)
        .select(course_versions::status)
        .first(conn)?;
    if status != Status::Published.code() {
        diesel::update(course_versions::table.find(version_id))
            .set((
                course_versions::status.eq(Status::Published.code()),
                course_versions::published_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

// ---------- the rows a version writes (`None` is written as NULL) ----------

#[derive(Insertable)]
#[diesel(table_name = course_versions, treat_none_as_null = true)]
struct NewVersion<'a> {
    course_id: i64,
    hash: &'a str,
    title: &'a str,
    summary: &'a str,
    description_html: &'a str,
    jp: i32,
    language: &'a str,
    tags: &'a str,
    prerequisites: &'a str,
    pass_mark: i32,
    certificate: bool,
    certificate_valid_months: Option<i32>,
    authors: &'a str,
    total_minutes: i32,
    published_at: chrono::NaiveDateTime,
    status: &'a str,
    created_by: Option<i64>,
    origin: &'a str,
    saved_at: Option<chrono::NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = course_competencies)]
struct NewVersionCompetency<'a> {
    version_id: i64,
    code: &'a str,
    level: i32,
}

#[derive(Insertable)]
#[diesel(table_name = modules, treat_none_as_null = true)]
struct NewModule<'a> {
    version_id: i64,
    position: i32,
    number: i32,
    slug: &'a str,
    kind: &'a str,
    title: &'a str,
    minutes: Option<i32>,
    html: &'a str,
    headings: &'a str,
    pass_mark: Option<i32>,
    attempts: Option<i32>,
    time_limit_minutes: Option<i32>,
    shuffle: Option<bool>,
    draw: Option<i32>,
    review: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = questions)]
struct NewQuestion<'a> {
    module_id: i64,
    position: i32,
    kind: &'a str,
    prompt_html: &'a str,
    options: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = question_keys, treat_none_as_null = true)]
struct NewQuestionKey<'a> {
    question_id: i64,
    answer: &'a str,
    feedback_html: Option<&'a str>,
    option_feedback: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = assets)]
struct NewAsset<'a> {
    hash: &'a str,
    content_type: &'a str,
    size: i64,
    bytes: &'a [u8],
    created_at: chrono::NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = version_assets)]
struct NewVersionAsset<'a> {
    version_id: i64,
    path: &'a str,
    hash: &'a str,
}

/// Store a course's files as a new version (not made current here).
pub fn insert_version(
    conn: &mut DbConnection,
    course_id: i64,
    c: &CourseOut,
    status: Status,
    by: Option<i64>,
    origin: &str,
    now: chrono::NaiveDateTime,
) -> Result<i64, PublishError> {
    let tags = json_list(&c.meta.tags);
    let prerequisites = json_list(&c.meta.prerequisites);
    let authors = json_list(&c.meta.authors);
    let version_id: i64 = diesel::insert_into(course_versions::table)
        .values(NewVersion {
            course_id,
            hash: &c.hash,
            title: &c.meta.title,
            summary: &c.meta.summary,
            description_html: &c.description_html,
            jp: c.meta.jp,
            language: &c.meta.language,
            tags: &tags,
            prerequisites: &prerequisites,
            pass_mark: c.meta.pass_mark,
            certificate: c.meta.certificate,
            certificate_valid_months: c.meta.certificate_valid_months,
            authors: &authors,
            total_minutes: c.total_minutes(),
            published_at: now,
            status: status.code(),
            created_by: by,
            origin,
            saved_at: Some(now),
        })
        .returning(course_versions::id)
        .get_result(conn)?;
    for (code, level) in &c.meta.competencies {
        diesel::insert_into(course_competencies::table)
            .values(NewVersionCompetency {
                version_id,
                code,
                level: *level,
            })
            .execute(conn)?;
    }
    for (position, m) in c.modules.iter().enumerate() {
        insert_module(conn, version_id, position as i32, m)?;
    }
    for a in &c.assets {
        insert_asset(conn, version_id, a, now)?;
    }
    insert_sources(conn, version_id, c)?;
    Ok(version_id)
}

/// A list of strings as the JSON TEXT the version columns hold.
fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Store one module of a version at `position`, with its quiz's questions and keys.
fn insert_module(
    conn: &mut DbConnection,
    version_id: i64,
    position: i32,
    m: &ModuleOut,
) -> Result<(), PublishError> {
    let quiz = m.quiz.as_ref();
    let headings = serde_json::to_string(
        &m.headings
            .iter()
            .map(|h| serde_json::json!({"level": h.level, "id": h.id, "text": h.text}))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into());
    let module_id: i64 = diesel::insert_into(modules::table)
        .values(NewModule {
            version_id,
            position,
            number: m.number,
            slug: &m.slug,
            kind: m.kind.code(),
            title: &m.title,
            minutes: m.minutes,
            html: &m.html,
            headings: &headings,
            pass_mark: quiz.map(|q| q.pass_mark),
            attempts: quiz.map(|q| q.attempts),
            time_limit_minutes: quiz.and_then(|q| q.time_limit_minutes),
            shuffle: quiz.map(|q| q.shuffle),
            draw: quiz.and_then(|q| q.draw),
            review: quiz.map(|q| q.review.code()),
        })
        .returning(modules::id)
        .get_result(conn)?;
    let Some(quiz) = quiz else { return Ok(()) };
    for (qpos, q) in quiz.questions.iter().enumerate() {
        insert_question(conn, module_id, qpos as i32, q)?;
    }
    Ok(())
}

/// Store one question of a quiz module at `position`, and its key.
fn insert_question(
    conn: &mut DbConnection,
    module_id: i64,
    position: i32,
    q: &QuestionOut,
) -> Result<(), PublishError> {
    let question_id: i64 = diesel::insert_into(questions::table)
        .values(NewQuestion {
            module_id,
            position,
            kind: q.kind.code(),
            prompt_html: &q.prompt_html,
            options: &json_list(&q.options),
        })
        .returning(questions::id)
        .get_result(conn)?;
    let answer = serde_json::to_string::<AnswerKey>(&q.key)
        .map_err(|e| DbError::Internal(format!("answer key: {e}")))?;
    let option_feedback = serde_json::to_string(&q.option_feedback).unwrap_or_else(|_| "[]".into());
    diesel::insert_into(question_keys::table)
        .values(NewQuestionKey {
            question_id,
            answer: &answer,
            feedback_html: q.feedback_html.as_deref(),
            option_feedback: &option_feedback,
        })
        .execute(conn)?;
    Ok(())
}

/// Store an asset's bytes unless stored already, and link it to the version under its path.
fn insert_asset(
    conn: &mut DbConnection,
    version_id: i64,
    a: &AssetOut,
    now: chrono::NaiveDateTime,
) -> Result<(), PublishError> {
    let stored: Option<String> = assets::table
        .find(&a.hash)
        .select(assets::hash)
        .first(conn)
        .optional()?;
    if stored.is_none() {
        diesel::insert_into(assets::table)
            .values(NewAsset {
                hash: &a.hash,
                content_type: &a.content_type,
                size: a.bytes.len() as i64,
                bytes: &a.bytes,
                created_at: now,
            })
            .execute(conn)?;
    }
    diesel::insert_into(version_assets::table)
        .values(NewVersionAsset {
            version_id,
            path: &a.path,
            hash: &a.hash,
        })
        .execute(conn)?;
    Ok(())
}

pub fn set_current(
    conn: &mut DbConnection,
    course_id: i64,
    version_id: i64,
    now: chrono::NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    diesel::update(courses::table.find(course_id))
        .set((
            courses::current_version_id.eq(Some(version_id)),
            courses::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
