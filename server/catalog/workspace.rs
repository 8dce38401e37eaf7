//! The author workspace: who owns which course, drafts, publishing a draft, archiving, the
//! Markdown sources of every version, downloads and comparisons. Plain functions over a
//! connection; `author_routes` turns them into pages.

use crate::i18n::Lang;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;

use super::archive::{self, Limits, DICTIONARY};
use super::diag::{Diagnostic, Severity};
use super::dictionary::{Competency, Dictionary, Kind};
use super::diff::{self, ModuleSnap, QuestionSnap, Snapshot, VersionDiff};
use super::folder::{self, CourseOut, Loaded};
use super::publish::{self, Outcome, PublishError, Status};
use crate::db::json_text::JsonText;
use crate::db::schema::{
    assets, competencies, completions, course_competencies, course_owners, course_versions,
    courses, enrollments, modules, question_keys, questions, users, version_assets,
    version_sources,
};
use crate::db::{DbConnection, DbError};

/// Who is working: an author changes the courses they own; a platform admin changes every course.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    pub user_id: i64,
    pub all: bool,
}

#[derive(Debug)]
pub enum AuthorError {
    NotFound,
    /// The course exists and belongs to other authors.
    NotOwner,
    /// The request cannot be done as asked; the text says why and what to do.
    Refused(String),
    Db(DbError),
}

impl fmt::Display for AuthorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorError::NotFound => f.write_str("not found"),
            AuthorError::NotOwner => f.write_str(
                "this course belongs to other authors; ask one of them to add you as a co-owner",
            ),
            AuthorError::Refused(m) => f.write_str(m),
            AuthorError::Db(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AuthorError {}

impl From<DbError> for AuthorError {
    fn from(e: DbError) -> Self {
        AuthorError::Db(e)
    }
}

impl From<diesel::result::Error> for AuthorError {
    fn from(e: diesel::result::Error) -> Self {
        AuthorError::Db(DbError::Query(e))
    }
}

impl From<PublishError> for AuthorError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Refused(m) => AuthorError::Refused(m),
            PublishError::Db(e) => AuthorError::Db(e),
        }
    }
}

/// A course in "Kursus saya".
#[derive(Debug, Clone, Serialize)]
pub struct CourseRow {
    pub slug: String,
    /// The current version's title, else the newest draft's.
    pub title: String,
    /// `published`, `draft` (never published) or `archived`.
    pub status: &'static str,
    pub current_hash: Option<String>,
    pub versions: i64,
    /// Drafts saved after the current version (waiting to be published).
    pub pending_drafts: i64,
    pub enrollments: i64,
    pub completions: i64,
}

/// The id of the course `slug` if `who` may change it.
pub fn owned(conn: &mut DbConnection, who: Author, slug: &str) -> Result<i64, AuthorError> {
    let id: Option<i64> = courses::table
        .filter(courses::slug.eq(slug))
        .select(courses::id)
        .first(conn)
        .optional()?;
    let id = id.ok_or(AuthorError::NotFound)?;
    if who.all || is_owner(conn, id, who.user_id)? {
        Ok(id)
    } else {
        Err(AuthorError::NotOwner)
    }
}

fn is_owner(conn: &mut DbConnection, course_id: i64, user_id: i64) -> Result<bool, DbError> {
    let n: i64 = course_owners::table
        .filter(course_owners::course_id.eq(course_id))
        .filter(course_owners::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether `who` owns any course (or may see every course).
pub fn owns_course(conn: &mut DbConnection, who: Author, course_id: i64) -> Result<bool, DbError> {
    Ok(who.all || is_owner(conn, course_id, who.user_id)?)
}

/// The courses `who` owns (every course for a platform admin), by title.
pub fn courses_of(conn: &mut DbConnection, who: Author) -> Result<Vec<CourseRow>, DbError> {
    let rows = courses_seen_by(conn, who)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut versions: HashMap<i64, Vec<(i64, String, String, String)>> = HashMap::new();
    let mut enrolled: HashMap<i64, i64> = HashMap::new();
    let mut completed: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(500) {
        let vs: Vec<(i64, i64, String, String, String)> = course_versions::table
            .filter(course_versions::course_id.eq_any(chunk))
            .order(course_versions::id)
            .select((
                course_versions::course_id,
                course_versions::id,
                course_versions::title,
                course_versions::status,
                course_versions::hash,
            ))
            .load(conn)?;
        for (course, id, title, status, hash) in vs {
            versions
                .entry(course)
                .or_default()
                .push((id, title, status, hash));
        }
        let e: Vec<(i64, i64)> = enrollments::table
            .filter(enrollments::course_id.eq_any(chunk))
            .group_by(enrollments::course_id)
            .select((enrollments::course_id, diesel::dsl::count_star()))
            .load(conn)?;
        enrolled.extend(e);
        let c: Vec<(i64, i64)> = completions::table
            .filter(completions::course_id.eq_any(chunk))
            .group_by(completions::course_id)
            .select((completions::course_id, diesel::dsl::count_star()))
            .load(conn)?;
        completed.extend(c);
    }
    let mut out: Vec<CourseRow> = rows
        .into_iter()
        .map(|(id, slug, current, archived)| {
            let vs = versions.remove(&id).unwrap_or_default();
            let cur = vs.iter().find(|v| Some(v.0) == current);
            let title = cur
                .or(vs.last())
                .map(|v| v.1.clone())
                .unwrap_or_else(|| slug.clone());
            let after = current.unwrap_or(0);
            CourseRow {
                title,
                status: if archived {
                    "archived"
                } else if current.is_some() {
                    "published"
                } else {
                    "draft"
                },
                current_hash: cur.map(|v| v.3[..12].to_string()),
                versions: vs.len() as i64,
                pending_drafts: vs
                    .iter()
                    .filter(|v| v.2 == Status::Draft.code() && v.0 > after)
                    .count() as i64,
                enrollments: enrolled.get(&id).copied().unwrap_or(0),
                completions: completed.get(&id).copied().unwrap_or(0),
                slug,
            }
        })
        .collect();
    out.sort_by_key(|c| c.title.to_lowercase());
    Ok(out)
}

/// A course as the list shows it: id, slug, current version, archived.
type CourseFields = (i64, String, Option<i64>, bool);

/// The courses `who` may see: all, or those they own.
fn courses_seen_by(conn: &mut DbConnection, who: Author) -> Result<Vec<CourseFields>, DbError> {
    Ok(if who.all {
        courses::table
            .select((
                courses::id,
                courses::slug,
                courses::current_version_id,
                courses::archived,
            ))
            .load(conn)?
    } else {
        courses::table
            .inner_join(course_owners::table.on(course_owners::course_id.eq(courses::id)))
            .filter(course_owners::user_id.eq(who.user_id))
            .select((
                courses::id,
                courses::slug,
                courses::current_version_id,
                courses::archived,
            ))
            .load(conn)?
    })
}

/// One version in a course's history.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    pub id: i64,
    pub hash: String,
    pub short: String,
    pub status: String,
    pub title: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub saved_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub published_at: Option<NaiveDateTime>,
    pub origin: String,
    pub by: Option<String>,
    pub is_current: bool,
    /// Learners enrolled in this version.
    pub enrollments: i64,
    /// What changed from the version before it (none for the first).
    pub changes: Option<VersionDiff>,
    pub has_sources: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CourseDetail {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub archived: bool,
    pub current: Option<i64>,
    /// Newest first.
    pub versions: Vec<VersionRow>,
    pub owners: Vec<Owner>,
}

/// How many versions back the history compares (older ones are listed without their changes).
const COMPARED: usize = 30;

/// A course's versions (newest first, each compared with the one before it) and owners.
pub fn detail(conn: &mut DbConnection, course_id: i64) -> Result<CourseDetail, DbError> {
    let (slug, current, archived): (String, Option<i64>, bool) = courses::table
        .find(course_id)
        .select((
            courses::slug,
            courses::current_version_id,
            courses::archived,
        ))
        .first(conn)?;
    let rows: Vec<VersionFields> = course_versions::table
        .filter(course_versions::course_id.eq(course_id))
        .order(course_versions::id)
        .select((
            course_versions::id,
            course_versions::hash,
            course_versions::status,
            course_versions::title,
            course_versions::published_at,
            course_versions::saved_at,
            course_versions::origin,
            course_versions::created_by,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let by_ids: Vec<i64> = rows.iter().filter_map(|r| r.7).collect();
    let names = names_of(conn, &by_ids)?;
    let enrolled = enrollments_by_version(conn, &ids)?;
    let with_sources = versions_with_sources(conn, &ids)?;
    let skip = rows.len().saturating_sub(COMPARED + 1);
    let mut previous: Option<Snapshot> = None;
    let mut versions = Vec::with_capacity(rows.len());
    for (i, (id, hash, status, title, published_at, saved_at, origin, by)) in
        rows.into_iter().enumerate()
    {
        let changes = if i >= skip {
            let now = snapshot(conn, id)?;
            let changes = previous.as_ref().map(|p| diff::compare(p, &now));
            previous = Some(now);
            changes
        } else {
            None
        };
        let published = status == Status::Published.code();
        versions.push(VersionRow {
            id,
            short: hash[..12].to_string(),
            hash,
            saved_at: saved_at.unwrap_or(published_at),
            published_at: published.then_some(published_at),
            status,
            title,
            origin,
            by: by.and_then(|b| names.get(&b).cloned()),
            is_current: current == Some(id),
            enrollments: enrolled.get(&id).copied().unwrap_or(0),
            changes,
            has_sources: with_sources.contains(&id),
        });
    }
    versions.reverse();
    let owners = owners_of(conn, course_id)?;
    let title = versions
        .iter()
        .find(|v| v.is_current)
        .or(versions.first())
        .map(|v| v.title.clone())
        .unwrap_or_else(|| slug.clone());
    Ok(CourseDetail {
        id: course_id,
        slug,
        title,
        archived,
        current,
        versions,
        owners,
    })
}

/// A version as the history lists it: id, hash, status, title, published_at, saved_at, origin,
/// created_by.
type VersionFields = (
    i64,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    String,
    Option<i64>,
);

/// The names of these users, by id.
fn names_of(conn: &mut DbConnection, user_ids: &[i64]) -> Result<HashMap<i64, String>, DbError> {
    Ok(users::table
        .filter(users::id.eq_any(user_ids))
        .select((users::id, users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// How many enrolments each of these versions has.
fn enrollments_by_version(
    conn: &mut DbConnection,
    version_ids: &[i64],
) -> Result<HashMap<i64, i64>, DbError> {
    Ok(enrollments::table
        .filter(enrollments::version_id.eq_any(version_ids))
        .group_by(enrollments::version_id)
        .select((enrollments::version_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Which of these versions keep their Markdown sources.
fn versions_with_sources(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<i64>, DbError> {
    Ok(version_sources::table
        .filter(version_sources::version_id.eq_any(ids))
        .select(version_sources::version_id)
        .distinct()
        .load(conn)?)
}

/// The course's owners, by name.
fn owners_of(conn: &mut DbConnection, course_id: i64) -> Result<Vec<Owner>, DbError> {
    Ok(course_owners::table
        .inner_join(users::table.on(users::id.eq(course_owners::user_id)))
        .filter(course_owners::course_id.eq(course_id))
        .order(users::name)
        .select((users::id, users::name, users::email))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, email)| Owner { id, name, email })
        .collect())
}

/// A stored version, as compared by [`diff::compare`].
pub fn snapshot(conn: &mut DbConnection, version_id: i64) -> Result<Snapshot, DbError> {
    let (title, jp, description_html): (String, i32, String) = course_versions::table
        .find(version_id)
        .select((
            course_versions::title,
            course_versions::jp,
            course_versions::description_html,
        ))
        .first(conn)?;
    #[allow(clippy::type_complexity)]
    let mods: Vec<(
        i64,
        String,
        String,
        String,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Option<bool>,
        Option<i32>,
        Option<String>,
    )> = modules::table
        .filter(modules::version_id.eq(version_id))
        .order(modules::position)
        .select((
            modules::id,
            modules::slug,
            modules::title,
            modules::html,
            modules::minutes,
            modules::pass_mark,
            modules::attempts,
            modules::time_limit_minutes,
            modules::shuffle,
            modules::draw,
            modules::review,
        ))
        .load(conn)?;
    let module_ids: Vec<i64> = mods.iter().map(|m| m.0).collect();
    let mut by_module = question_snaps(conn, &module_ids)?;
    let assets: Vec<(String, String)> = version_assets::table
        .filter(version_assets::version_id.eq(version_id))
        .order(version_assets::path)
        .select((version_assets::path, version_assets::hash))
        .load(conn)?;
    Ok(Snapshot {
        title,
        jp,
        description_html,
        modules: mods
            .into_iter()
            .map(
                |(id, slug, title, html, minutes, pass, attempts, limit, shuffle, draw, review)| {
                    ModuleSnap {
                        slug,
                        title,
                        body: format!(
                            "{html}\u{1f}{minutes:?}{pass:?}{attempts:?}{limit:?}{shuffle:?}{draw:?}{}",
                            // a quiz published before `review` existed had the default
                            super::quiz::Review::from_stored(review.as_deref()).code()
                        ),
                        questions: by_module.remove(&id).unwrap_or_default(),
                    }
                },
            )
            .collect(),
        assets,
    })
}

/// The questions of these modules as compared between versions, by module.
fn question_snaps(
    conn: &mut DbConnection,
    module_ids: &[i64],
) -> Result<HashMap<i64, Vec<QuestionSnap>>, DbError> {
    #[allow(clippy::type_complexity)]
    let qs: Vec<(i64, String, String, String, String, Option<String>, String)> = questions::table
        .inner_join(question_keys::table)
        .filter(questions::module_id.eq_any(module_ids))
        .order((questions::module_id, questions::position))
        .select((
            questions::module_id,
            questions::kind,
            questions::prompt_html,
            questions::options,
            question_keys::answer,
            question_keys::feedback_html,
            question_keys::option_feedback,
        ))
        .load(conn)?;
    let mut by_module: HashMap<i64, Vec<QuestionSnap>> = HashMap::new();
    for (module, kind, prompt_html, options, answer, feedback, option_feedback) in qs {
        by_module.entry(module).or_default().push(QuestionSnap {
            prompt_html,
            rest: format!(
                "{kind}\u{1f}{options}\u{1f}{answer}\u{1f}{}\u{1f}{option_feedback}",
                feedback.unwrap_or_default()
            ),
        });
    }
    Ok(by_module)
}

/// What saving a draft did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// A new draft.
    Draft { version_id: i64 },
    /// The files are those of the current version: nothing to save.
    SameAsCurrent { version_id: i64 },
    /// The files are those of a draft already saved.
    ExistingDraft { version_id: i64 },
    /// The files are those of an earlier published version (publishing it restores it).
    OlderVersion { version_id: i64 },
}

impl Saved {
    pub fn version_id(self) -> i64 {
        match self {
            Saved::Draft { version_id }
            | Saved::SameAsCurrent { version_id }
            | Saved::ExistingDraft { version_id }
            | Saved::OlderVersion { version_id } => version_id,
        }
    }
}

fn lock_publishing(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    if let DbConnection::Postgres(_) = conn {
        conn.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({})",
            publish::PUBLISH_LOCK
        ))?;
    }
    Ok(())
}

/// Save a valid course as a draft of its course (a new course is created with `who` as its owner).
/// Competencies the upload's own dictionary adds are stored; existing ones are never changed here.
pub fn save_draft(
    conn: &mut DbConnection,
    who: Author,
    course: &CourseOut,
    added: &Dictionary,
    origin: &str,
) -> Result<Saved, AuthorError> {
    crate::db::transaction(conn, |conn| {
        lock_publishing(conn)?;
        let now = Utc::now().naive_utc();
        let (course_id, current, first) = publish::course_row(conn, &course.slug, now)?;
        if first {
            add_owner_row(conn, course_id, who.user_id, now)?;
            // An author who writes for a partner institution makes it that partner's course.
            crate::accounts::partners::adopt_new_course(conn, course_id, who.user_id)?;
        } else if !owns_course(conn, who, course_id)? {
            return Err(AuthorError::NotOwner);
        }
        add_competencies(conn, added, course, now)?;
        publish::check_competencies(conn, course)?;
        if let Some((version_id, status)) =
            publish::version_with_hash(conn, course_id, &course.hash)?
        {
            return Ok(if current == Some(version_id) {
                Saved::SameAsCurrent { version_id }
            } else if status == Status::Draft.code() {
                Saved::ExistingDraft { version_id }
            } else {
                Saved::OlderVersion { version_id }
            });
        }
        let version_id = publish::insert_version(
            conn,
            course_id,
            course,
            Status::Draft,
            Some(who.user_id),
            origin,
            now,
        )?;
        Ok(Saved::Draft { version_id })
    })
}

fn add_owner_row(
    conn: &mut DbConnection,
    course_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(course_owners::table)
        .values((
            course_owners::course_id.eq(course_id),
            course_owners::user_id.eq(user_id),
            course_owners::added_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Store the competencies a course names that only its upload's dictionary has.
fn add_competencies(
    conn: &mut DbConnection,
    added: &Dictionary,
    course: &CourseOut,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    for (code, _) in &course.meta.competencies {
        let Some(c) = added.get(code) else { continue };
        let known: i64 = competencies::table
            .filter(competencies::code.eq(code))
            .count()
            .get_result(conn)?;
        if known == 0 {
            diesel::insert_into(competencies::table)
                .values((
                    competencies::code.eq(&c.code),
                    competencies::name.eq(&c.name),
                    competencies::kind.eq(c.kind.code()),
                    competencies::description.eq(&c.description),
                    competencies::levels
                        .eq(serde_json::to_string(&c.levels).unwrap_or_else(|_| "[]".into())),
                    competencies::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Publish a stored version of the course (a draft, or an earlier version to restore it).
pub fn publish_version(
    conn: &mut DbConnection,
    who: Author,
    slug: &str,
    version_id: i64,
) -> Result<Outcome, AuthorError> {
    crate::db::transaction(conn, |conn| {
        lock_publishing(conn)?;
        let course_id = owned(conn, who, slug)?;
        let row: Option<(String, String)> = course_versions::table
            .find(version_id)
            .filter(course_versions::course_id.eq(course_id))
            .select((course_versions::status, course_versions::prerequisites))
            .first(conn)
            .optional()?;
        let (status, prerequisites) = row.ok_or(AuthorError::NotFound)?;
        let current: Option<i64> = courses::table
            .find(course_id)
            .select(courses::current_version_id)
            .first(conn)?;
        if current == Some(version_id) {
            return Ok(Outcome::Unchanged);
        }
        let prerequisites: Vec<String> = JsonText::decode(&prerequisites)?;
        for p in &prerequisites {
            let published: Option<i64> = courses::table
                .filter(courses::slug.eq(p))
                .filter(courses::current_version_id.is_not_null())
                .select(courses::id)
                .first(conn)
                .optional()?;
            if published.is_none() {
                return Err(AuthorError::Refused(format!(
                    "prerequisite `{p}` is not a published course; publish it first, or remove it from `prerequisites` in course.md"
                )));
            }
        }
        let now = Utc::now().naive_utc();
        publish::mark_published(conn, version_id, now)?;
        publish::set_current(conn, course_id, version_id, now)?;
        crate::db::audit::record(
            conn,
            Some(who.user_id),
            "course.publish",
            &format!("course:{slug}"),
            &format!("version {version_id}"),
        )?;
        Ok(if status == Status::Draft.code() {
            Outcome::Published {
                version_id,
                first: current.is_none(),
            }
        } else {
            Outcome::Restored { version_id }
        })
    })
}

/// Hide a course from the catalog (enrolled learners keep it), or show it again.
pub fn set_archived(
    conn: &mut DbConnection,
    who: Author,
    slug: &str,
    archived: bool,
) -> Result<(), AuthorError> {
    crate::db::transaction(conn, |conn| {
        let course_id = owned(conn, who, slug)?;
        diesel::update(courses::table.find(course_id))
            .set((
                courses::archived.eq(archived),
                courses::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        crate::db::audit::record(
            conn,
            Some(who.user_id),
            if archived {
                "course.archive"
            } else {
                "course.unarchive"
            },
            &format!("course:{slug}"),
            "",
        )?;
        Ok(())
    })
}

/// Add a co-owner by e-mail; they must have the author role.
pub fn add_owner(
    conn: &mut DbConnection,
    who: Author,
    slug: &str,
    email: &str,
) -> Result<(), AuthorError> {
    crate::db::transaction(conn, |conn| {
        let course_id = owned(conn, who, slug)?;
        let email = email.trim().to_lowercase();
        let user: Option<(i64, bool, bool)> = users::table
            .filter(users::email.eq(&email))
            .select((users::id, users::is_author, users::is_platform_admin))
            .first(conn)
            .optional()?;
        let Some((user_id, is_author, is_admin)) = user else {
            return Err(AuthorError::Refused(format!(
                "no account has the e-mail {email}; check the address, or ask an admin to create the account first"
            )));
        };
        if !is_author && !is_admin {
            return Err(AuthorError::Refused(format!(
                "{email} is not an author; ask an admin to give the account the author role first"
            )));
        }
        if !is_owner(conn, course_id, user_id)? {
            add_owner_row(conn, course_id, user_id, Utc::now().naive_utc())?;
            crate::db::audit::record(
                conn,
                Some(who.user_id),
                "course.owner.add",
                &format!("course:{slug}"),
                &email,
            )?;
        }
        Ok(())
    })
}

/// The version `version_id` of course `course_id`: (hash, status), or not found.
pub fn version_of(
    conn: &mut DbConnection,
    course_id: i64,
    version_id: i64,
) -> Result<(String, String), AuthorError> {
    course_versions::table
        .find(version_id)
        .filter(course_versions::course_id.eq(course_id))
        .select((course_versions::hash, course_versions::status))
        .first(conn)
        .optional()?
        .ok_or(AuthorError::NotFound)
}

/// The newest version of a course (a draft or the current one): the base of an edit.
pub fn newest_version(conn: &mut DbConnection, course_id: i64) -> Result<Option<i64>, DbError> {
    Ok(course_versions::table
        .filter(course_versions::course_id.eq(course_id))
        .order(course_versions::id.desc())
        .select(course_versions::id)
        .first(conn)
        .optional()?)
}

/// The Markdown files of a version.
pub fn sources(
    conn: &mut DbConnection,
    version_id: i64,
) -> Result<BTreeMap<String, String>, DbError> {
    Ok(version_sources::table
        .filter(version_sources::version_id.eq(version_id))
        .select((version_sources::path, version_sources::content))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Every competency in the stored dictionary.
pub fn stored_dictionary(conn: &mut DbConnection) -> Result<Dictionary, DbError> {
    let rows: Vec<(String, String, String, String, String)> = competencies::table
        .select((
            competencies::code,
            competencies::name,
            competencies::kind,
            competencies::description,
            competencies::levels,
        ))
        .load(conn)?;
    let mut d = Dictionary::default();
    for (code, name, kind, description, levels) in rows {
        d.by_code.insert(
            code.clone(),
            Competency {
                code,
                name,
                kind: Kind::parse(&kind).unwrap_or(Kind::Teknis),
                description,
                levels: JsonText::decode(&levels)?,
            },
        );
    }
    Ok(d)
}

/// The files of a version: `competencies.toml` (the competencies it names) and the course folder
/// `slug/` with its Markdown and assets, as `cakap courses check` reads them.
pub fn files_of(
    conn: &mut DbConnection,
    version_id: i64,
) -> Result<Vec<(String, Vec<u8>)>, AuthorError> {
    let slug: String = course_versions::table
        .inner_join(courses::table.on(courses::id.eq(course_versions::course_id)))
        .filter(course_versions::id.eq(version_id))
        .select(courses::slug)
        .first(conn)?;
    let sources = sources(conn, version_id)?;
    if sources.is_empty() {
        return Err(AuthorError::Refused(
            "this version was published before Cakap kept course files; publish its folder once more with `cakap courses publish` to store them".into(),
        ));
    }
    let codes: Vec<String> = course_competencies::table
        .filter(course_competencies::version_id.eq(version_id))
        .select(course_competencies::code)
        .load(conn)?;
    let all = stored_dictionary(conn)?;
    let used = Dictionary {
        by_code: all
            .by_code
            .into_iter()
            .filter(|(c, _)| codes.contains(c))
            .collect(),
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if !used.by_code.is_empty() {
        files.push((DICTIONARY.to_string(), used.to_toml().into_bytes()));
    }
    for (path, content) in sources {
        files.push((format!("{slug}/{path}"), content.into_bytes()));
    }
    let stored: Vec<(String, Vec<u8>)> = version_assets::table
        .inner_join(assets::table)
        .filter(version_assets::version_id.eq(version_id))
        .order(version_assets::path)
        .select((version_assets::path, assets::bytes))
        .load(conn)?;
    for (path, bytes) in stored {
        files.push((format!("{slug}/{path}"), bytes));
    }
    Ok(files)
}

/// The files of a version as a `.zip`.
pub fn zip_of(files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, bytes) in files {
        w.start_file(path.as_str(), options)
            .map_err(std::io::Error::other)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish().map_err(std::io::Error::other)?.into_inner())
}

/// Write files (as [`files_of`] gives them) under `dir`.
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    for (path, bytes) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            crate::secrets::create_private_dir(parent)?;
        }
        crate::secrets::write_private(&target, bytes)?;
    }
    Ok(())
}

/// A course folder checked the way `cakap courses check` checks it, against the stored
/// dictionary plus the `competencies.toml` that came with it (next to the folder or inside it).
pub struct Checked {
    pub loaded: Loaded,
    /// Competencies from the upload's own dictionary that the stored one lacks.
    pub added: Dictionary,
}

pub fn check_folder(
    conn: &mut DbConnection,
    course_dir: &Path,
    shown: &str,
) -> Result<Checked, DbError> {
    let mut dict = stored_dictionary(conn)?;
    let mut added = Dictionary::default();
    let mut diags: Vec<Diagnostic> = Vec::new();
    let beside = course_dir.parent().map(|p| p.join(DICTIONARY));
    let inside = course_dir.join(DICTIONARY);
    let (path, shown_dict) = if inside.is_file() {
        (Some(inside), format!("{shown}/{DICTIONARY}"))
    } else {
        (beside.filter(|p| p.is_file()), DICTIONARY.to_string())
    };
    if let Some(path) = path {
        let (own, own_diags) = Dictionary::load(&path, &shown_dict);
        diags.extend(own_diags);
        for (code, c) in own.by_code {
            if let std::collections::btree_map::Entry::Vacant(e) = dict.by_code.entry(code) {
                added.by_code.insert(e.key().clone(), c.clone());
                e.insert(c);
            }
        }
    }
    let mut loaded = folder::load(course_dir, shown, &dict);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        loaded.course = None;
    }
    diags.append(&mut loaded.diagnostics);
    loaded.diagnostics = diags;
    Ok(Checked { loaded, added })
}

/// A quiz question with its answer key, for the author's preview.
#[derive(Debug, Clone)]
pub struct KeyedQuestion {
    pub position: i32,
    pub kind: String,
    pub prompt_html: String,
    pub options: Vec<String>,
    pub key: folder::AnswerKey,
    pub feedback_html: Option<String>,
    pub option_feedback: Vec<Option<String>>,
}

/// The questions of a quiz module with their answer keys, in order.
pub fn answer_key(conn: &mut DbConnection, module_id: i64) -> Result<Vec<KeyedQuestion>, DbError> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i32, String, String, String, String, Option<String>, String)> = questions::table
        .inner_join(question_keys::table)
        .filter(questions::module_id.eq(module_id))
        .order(questions::position)
        .select((
            questions::position,
            questions::kind,
            questions::prompt_html,
            questions::options,
            question_keys::answer,
            question_keys::feedback_html,
            question_keys::option_feedback,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (position, kind, prompt_html, options, answer, feedback_html, option_feedback) in rows {
        let key = serde_json::from_str(&answer)
            .map_err(|e| DbError::Internal(format!("answer key of a question: {e}")))?;
        out.push(KeyedQuestion {
            position,
            kind,
            prompt_html,
            options: JsonText::decode(&options)?,
            key,
            feedback_html,
            option_feedback: JsonText::decode(&option_feedback)?,
        });
    }
    Ok(out)
}

/// What an uploaded course archive became.
#[derive(Debug)]
pub enum Uploaded {
    /// Valid: saved (or matched a stored version). Warnings, if any, in `diagnostics`.
    Saved {
        slug: String,
        saved: Saved,
        diagnostics: Vec<Diagnostic>,
    },
    /// Not saved: the archive was refused (`reason`), or the course has errors (`diagnostics`,
    /// their paths relative to the course folder's name `shown`).
    Refused {
        reason: Option<String>,
        shown: Option<String>,
        diagnostics: Vec<Diagnostic>,
    },
}

/// An uploaded archive unpacked under the temporary folder (removed when this is dropped), or why
/// it could not be.
#[derive(Debug)]
pub struct Unpacked {
    _tmp: tempfile::TempDir,
    dir: Result<PathBuf, String>,
}

/// Unpack an uploaded archive under `tmp_root`. No database connection is needed or held: an
/// archive of up to the upload limit takes a while to unpack, and a pooled connection (SQLite has
/// only a few) would sit idle meanwhile. Run it on the blocking pool.
pub fn unpack(
    bytes: &[u8],
    file_name: &str,
    slug: Option<&str>,
    tmp_root: &Path,
    lang: Lang,
) -> Result<Unpacked, AuthorError> {
    crate::secrets::create_private_dir(tmp_root)
        .map_err(|e| AuthorError::Refused(format!("cannot unpack uploads: {e}")))?;
    let tmp = tempfile::tempdir_in(tmp_root)
        .map_err(|e| AuthorError::Refused(format!("cannot unpack uploads: {e}")))?;
    let dir = unpack_upload(bytes, file_name, slug, tmp.path(), lang);
    Ok(Unpacked { _tmp: tmp, dir })
}

/// Check an [`unpack`]ed upload as `cakap courses check` does, and save a valid course as a draft.
/// `slug` names the course it is a new version of.
pub fn upload(
    conn: &mut DbConnection,
    who: Author,
    unpacked: &Unpacked,
    slug: Option<&str>,
) -> Result<Uploaded, AuthorError> {
    if let Some(s) = slug {
        owned(conn, who, s)?;
    }
    let dir = match &unpacked.dir {
        Ok(d) => d.clone(),
        Err(why) => {
            return Ok(Uploaded::Refused {
                reason: Some(why.clone()),
                shown: None,
                diagnostics: vec![],
            })
        }
    };
    let shown = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let checked = check_folder(conn, &dir, &shown)?;
    let Some(course) = checked.loaded.course else {
        return Ok(Uploaded::Refused {
            reason: None,
            shown: Some(shown),
            diagnostics: checked.loaded.diagnostics,
        });
    };
    let saved = save_draft(conn, who, &course, &checked.added, "upload")?;
    Ok(Uploaded::Saved {
        slug: course.slug.clone(),
        saved,
        diagnostics: checked.loaded.diagnostics,
    })
}

/// Unpack an uploaded `.zip` under `tmp` and name the course folder `slug` (the course it is a new
/// version of), else the archive's top folder, else the zip's file name. Returns the folder, or
/// what is wrong in `lang`.
pub fn unpack_upload(
    bytes: &[u8],
    file_name: &str,
    slug: Option<&str>,
    tmp: &Path,
    lang: Lang,
) -> Result<PathBuf, String> {
    let unpacked = tmp.join("unpacked");
    crate::secrets::create_private_dir(&unpacked).map_err(|e| e.to_string())?;
    let root =
        archive::unpack(bytes, &unpacked, &Limits::default()).map_err(|e| e.message(lang))?;
    let from_name = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .trim_end_matches(".zip")
        .trim_end_matches(".ZIP")
        .to_string();
    let top = (root != unpacked)
        .then(|| root.file_name().map(|n| n.to_string_lossy().into_owned()))
        .flatten();
    let name = match (slug, top) {
        (Some(s), _) => s.to_string(),
        (None, Some(t)) => t,
        (None, None) => from_name,
    };
    if !folder::valid_slug(&name) {
        return Err(match lang {
            Lang::En => format!(
                "the course folder is named `{name}`, which is not a valid course slug; name the folder (or the .zip) with 3 to 64 lowercase letters, digits and `-`, such as pelayanan-publik"
            ),
            Lang::Id => format!(
                "Folder kursus bernama `{name}`, yang tidak dapat menjadi alamat kursus; beri nama folder (atau berkas .zip) 3 sampai 64 huruf kecil, angka, dan `-`, misalnya pelayanan-publik."
            ),
        });
    }
    let target = tmp.join("course").join(&name);
    crate::secrets::create_private_dir(&tmp.join("course")).map_err(|e| e.to_string())?;
    std::fs::rename(&root, &target).map_err(|e| e.to_string())?;
    // a dictionary beside the course folder moves along with it
    let beside = unpacked.join(DICTIONARY);
    if root != unpacked && beside.is_file() {
        std::fs::rename(&beside, tmp.join("course").join(DICTIONARY)).map_err(|e| e.to_string())?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        let owned: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect();
        zip_of(&owned).unwrap()
    }

    #[test]
    fn an_upload_is_named_after_its_course_its_folder_or_its_file() {
        let course: &[u8] = b"+++\ntitle = \"T\"\n+++\n";
        let tmp = tempfile::tempdir().unwrap();
        let z = zip(&[("course.md", course)]);
        let dir = unpack_upload(&z, "C:\\x\\kursus-baru.zip", None, tmp.path(), Lang::En).unwrap();
        assert!(dir.ends_with("course/kursus-baru"));
        assert!(dir.join("course.md").is_file());

        let tmp = tempfile::tempdir().unwrap();
        let z = zip(&[
            ("competencies.toml", b"x"),
            ("kursus-lain/course.md", course),
        ]);
        let dir = unpack_upload(&z, "apa saja.zip", None, tmp.path(), Lang::En).unwrap();
        assert!(dir.ends_with("course/kursus-lain"));
        assert!(dir.parent().unwrap().join("competencies.toml").is_file());

        let tmp = tempfile::tempdir().unwrap();
        let dir = unpack_upload(&z, "x.zip", Some("kursus-tetap"), tmp.path(), Lang::En).unwrap();
        assert!(dir.ends_with("course/kursus-tetap"));

        let tmp = tempfile::tempdir().unwrap();
        let z = zip(&[("course.md", course)]);
        let err = unpack_upload(&z, "Kursus Saya.zip", None, tmp.path(), Lang::En).unwrap_err();
        assert!(err.contains("not a valid course slug"), "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let err = unpack_upload(&z, "Kursus Saya.zip", None, tmp.path(), Lang::Id).unwrap_err();
        assert!(err.contains("tidak dapat menjadi alamat kursus"), "{err}");
        // (issue 25) a file that is no zip says so in Indonesian, without the zip reader's words
        let tmp = tempfile::tempdir().unwrap();
        let err =
            unpack_upload(b"bukan zip", "kursus.zip", None, tmp.path(), Lang::Id).unwrap_err();
        assert!(err.starts_with("Berkas ini bukan arsip .zip"), "{err}");
        assert!(!err.contains("EOCD") && !err.contains("invalid"), "{err}");
    }
}
