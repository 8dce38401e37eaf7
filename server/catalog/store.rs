//! Reading published courses for pages and the API. Never reads answer keys.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::json_text::JsonText;
use crate::db::schema::{
    assets, competencies, course_competencies, course_versions, courses, modules, questions,
};
use crate::db::{DbConnection, DbError};

/// A competency a course develops, with the dictionary's name and kind.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CompetencyRef {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub level: i32,
}

pub use crate::accounts::partners::Provider;

/// One course in the catalog (its current version).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CatalogEntry {
    pub slug: String,
    pub version_id: i64,
    pub hash: String,
    pub title: String,
    pub summary: String,
    pub jp: i32,
    pub tags: Vec<String>,
    pub total_minutes: i32,
    pub module_count: i64,
    pub competencies: Vec<CompetencyRef>,
    /// The partner institution that provides it, if any.
    pub provider: Option<Provider>,
}

/// A JSON list column; a corrupt value is an error, not an empty list.
fn parse_list(json: &str) -> Result<Vec<String>, DbError> {
    JsonText::decode(json)
}

fn competencies_of(
    conn: &mut DbConnection,
    version_ids: &[i64],
) -> Result<HashMap<i64, Vec<CompetencyRef>>, DbError> {
    let rows: Vec<(i64, String, i32, String, String)> = course_competencies::table
        .inner_join(competencies::table.on(competencies::code.eq(course_competencies::code)))
        .filter(course_competencies::version_id.eq_any(version_ids))
        .select((
            course_competencies::version_id,
            course_competencies::code,
            course_competencies::level,
            competencies::name,
            competencies::kind,
        ))
        .order((course_competencies::version_id, course_competencies::code))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<CompetencyRef>> = HashMap::new();
    for (v, code, level, name, kind) in rows {
        out.entry(v).or_default().push(CompetencyRef {
            code,
            name,
            kind,
            level,
        });
    }
    Ok(out)
}

/// slug, version id, hash, title, summary, jp, tags, total minutes
type CatalogRow = (String, i64, String, String, String, i32, String, i32);

/// Every course in the catalog: current versions of courses not archived, by title.
pub fn catalog(conn: &mut DbConnection) -> Result<Vec<CatalogEntry>, DbError> {
    let rows: Vec<CatalogRow> = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .filter(courses::archived.eq(false))
        .select((
            courses::slug,
            course_versions::id,
            course_versions::hash,
            course_versions::title,
            course_versions::summary,
            course_versions::jp,
            course_versions::tags,
            course_versions::total_minutes,
        ))
        .order(course_versions::title)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let counts: HashMap<i64, i64> = modules::table
        .filter(modules::version_id.eq_any(&ids))
        .group_by(modules::version_id)
        .select((modules::version_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let mut comps = competencies_of(conn, &ids)?;
    let mut providers = crate::accounts::partners::providers_by_slug(conn)?;
    rows.into_iter()
        .map(
            |(slug, version_id, hash, title, summary, jp, tags, total_minutes)| {
                Ok(CatalogEntry {
                    version_id,
                    hash,
                    title,
                    summary,
                    jp,
                    tags: parse_list(&tags)?,
                    total_minutes,
                    module_count: counts.get(&version_id).copied().unwrap_or(0),
                    competencies: comps.remove(&version_id).unwrap_or_default(),
                    provider: providers
                        .remove(&slug)
                        .map(|(code, name)| Provider { code, name }),
                    slug,
                })
            },
        )
        .collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModuleSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub kind: String,
    pub minutes: Option<i32>,
    pub position: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Prerequisite {
    pub slug: String,
    /// The title of its current version, when published.
    pub title: Option<String>,
}

/// A course version as its course page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseView {
    pub slug: String,
    pub version_id: i64,
    pub hash: String,
    pub is_current: bool,
    pub archived: bool,
    pub title: String,
    pub summary: String,
    pub description_html: String,
    pub jp: i32,
    pub language: String,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub pass_mark: i32,
    pub certificate: bool,
    pub certificate_valid_months: Option<i32>,
    pub total_minutes: i32,
    pub published_at: chrono::NaiveDateTime,
    pub prerequisites: Vec<Prerequisite>,
    pub competencies: Vec<CompetencyRef>,
    pub modules: Vec<ModuleSummary>,
    /// The partner institution that provides it, if any.
    pub provider: Option<Provider>,
}

/// Which version to show: the current one, or one named by (a prefix of) its hash.
#[derive(Debug, Clone)]
pub enum Which {
    Current,
    Hash(String),
    /// A version by id (the one a learner is enrolled in); must belong to the course.
    Id(i64),
    /// A version by id, drafts included: only for its authors' preview, after the authorization
    /// check.
    Preview(i64),
}

/// The version id of a course, or `None` when the course or version does not exist.
pub fn resolve(
    conn: &mut DbConnection,
    slug: &str,
    which: &Which,
) -> Result<Option<(i64, bool, bool)>, DbError> {
    let course: Option<(i64, Option<i64>, bool)> = courses::table
        .filter(courses::slug.eq(slug))
        .select((courses::id, courses::current_version_id, courses::archived))
        .first(conn)
        .optional()?;
    let Some((course_id, current, archived)) = course else {
        return Ok(None);
    };
    let version = match which {
        Which::Current => current,
        Which::Hash(prefix) => {
            if prefix.len() < 8 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(None);
            }
            let pattern = format!("{}%", prefix.to_ascii_lowercase());
            course_versions::table
                .filter(course_versions::course_id.eq(course_id))
                .filter(course_versions::hash.like(pattern))
                .filter(course_versions::status.eq("published"))
                .select(course_versions::id)
                .first(conn)
                .optional()?
        }
        Which::Id(id) => course_versions::table
            .find(*id)
            .filter(course_versions::course_id.eq(course_id))
            .filter(course_versions::status.eq("published"))
            .select(course_versions::id)
            .first(conn)
            .optional()?,
        Which::Preview(id) => course_versions::table
            .find(*id)
            .filter(course_versions::course_id.eq(course_id))
            .select(course_versions::id)
            .first(conn)
            .optional()?,
    };
    Ok(version.map(|v| (v, Some(v) == current, archived)))
}

pub fn course(
    conn: &mut DbConnection,
    slug: &str,
    which: &Which,
) -> Result<Option<CourseView>, DbError> {
    let Some((version_id, is_current, archived)) = resolve(conn, slug, which)? else {
        return Ok(None);
    };
    #[allow(clippy::type_complexity)]
    let v: (
        String,
        String,
        String,
        String,
        i32,
        String,
        String,
        String,
        i32,
        bool,
        Option<i32>,
        String,
        i32,
        chrono::NaiveDateTime,
    ) = course_versions::table
        .find(version_id)
        .select((
            course_versions::hash,
            course_versions::title,
            course_versions::summary,
            course_versions::description_html,
            course_versions::jp,
            course_versions::language,
            course_versions::tags,
            course_versions::prerequisites,
            course_versions::pass_mark,
            course_versions::certificate,
            course_versions::certificate_valid_months,
            course_versions::authors,
            course_versions::total_minutes,
            course_versions::published_at,
        ))
        .first(conn)?;
    let modules = module_list(conn, version_id)?;
    let prereq_slugs = parse_list(&v.7)?;
    let titles: HashMap<String, String> = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .filter(courses::slug.eq_any(&prereq_slugs))
        .select((courses::slug, course_versions::title))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let prerequisites = prereq_slugs
        .into_iter()
        .map(|slug| Prerequisite {
            title: titles.get(&slug).cloned(),
            slug,
        })
        .collect();
    let competencies = competencies_of(conn, &[version_id])?
        .remove(&version_id)
        .unwrap_or_default();
    let provider = crate::accounts::partners::provider_by_slug(conn, slug)?;
    Ok(Some(CourseView {
        slug: slug.to_string(),
        version_id,
        hash: v.0,
        is_current,
        archived,
        title: v.1,
        summary: v.2,
        description_html: v.3,
        jp: v.4,
        language: v.5,
        tags: parse_list(&v.6)?,
        pass_mark: v.8,
        certificate: v.9,
        certificate_valid_months: v.10,
        authors: parse_list(&v.11)?,
        total_minutes: v.12,
        published_at: v.13,
        prerequisites,
        competencies,
        modules,
        provider,
    }))
}

fn module_list(conn: &mut DbConnection, version_id: i64) -> Result<Vec<ModuleSummary>, DbError> {
    Ok(modules::table
        .filter(modules::version_id.eq(version_id))
        .order(modules::position)
        .select((
            modules::id,
            modules::slug,
            modules::title,
            modules::kind,
            modules::minutes,
            modules::position,
        ))
        .load::<(i64, String, String, String, Option<i32>, i32)>(conn)?
        .into_iter()
        .map(|(id, slug, title, kind, minutes, position)| ModuleSummary {
            id,
            slug,
            title,
            kind,
            minutes,
            position,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuizInfo {
    pub pass_mark: i32,
    pub attempts: i32,
    pub time_limit_minutes: Option<i32>,
    pub shuffle: bool,
    pub draw: Option<i32>,
    /// When learners see the right answers (`after_pass`, `after_last_attempt`, `always`, `never`).
    pub review: super::quiz::Review,
    pub question_count: i64,
    /// How many questions one attempt asks.
    pub asked: i64,
}

/// A module page: the module, its course, and where it sits.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModuleView {
    pub module_id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub version_id: i64,
    pub hash: String,
    pub is_current: bool,
    pub slug: String,
    pub title: String,
    pub kind: String,
    pub minutes: Option<i32>,
    pub html: String,
    /// The module's headings (each with its `level`), for a table of contents.
    #[schema(value_type = Vec<Object>)]
    pub headings: serde_json::Value,
    /// 1-based position and the number of modules.
    pub position: usize,
    pub total: usize,
    pub prev: Option<ModuleSummary>,
    pub next: Option<ModuleSummary>,
    pub quiz: Option<QuizInfo>,
}

pub fn module(
    conn: &mut DbConnection,
    course_slug: &str,
    module_slug: &str,
    which: &Which,
) -> Result<Option<ModuleView>, DbError> {
    let Some((version_id, is_current, _)) = resolve(conn, course_slug, which)? else {
        return Ok(None);
    };
    #[allow(clippy::type_complexity)]
    let row: Option<(
        i64,
        String,
        String,
        Option<i32>,
        String,
        String,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Option<bool>,
        Option<i32>,
        Option<String>,
    )> = modules::table
        .filter(modules::version_id.eq(version_id))
        .filter(modules::slug.eq(module_slug))
        .select((
            modules::id,
            modules::title,
            modules::kind,
            modules::minutes,
            modules::html,
            modules::headings,
            modules::pass_mark,
            modules::attempts,
            modules::time_limit_minutes,
            modules::shuffle,
            modules::draw,
            modules::review,
        ))
        .first(conn)
        .optional()?;
    let Some((
        id,
        title,
        kind,
        minutes,
        html,
        headings,
        pass_mark,
        attempts,
        time_limit,
        shuffle,
        draw,
        review,
    )) = row
    else {
        return Ok(None);
    };
    let (hash, course_title): (String, String) = course_versions::table
        .find(version_id)
        .select((course_versions::hash, course_versions::title))
        .first(conn)?;
    let list = module_list(conn, version_id)?;
    let index = list.iter().position(|m| m.slug == module_slug).unwrap_or(0);
    let quiz = if kind == "quiz" {
        let count: i64 = questions::table
            .filter(questions::module_id.eq(id))
            .count()
            .get_result(conn)?;
        Some(QuizInfo {
            pass_mark: pass_mark.unwrap_or(70),
            attempts: attempts.unwrap_or(0),
            time_limit_minutes: time_limit,
            shuffle: shuffle.unwrap_or(true),
            draw,
            review: super::quiz::Review::from_stored(review.as_deref()),
            question_count: count,
            asked: draw.map(|d| (d as i64).min(count)).unwrap_or(count),
        })
    } else {
        None
    };
    Ok(Some(ModuleView {
        module_id: id,
        course_slug: course_slug.to_string(),
        course_title,
        version_id,
        hash,
        is_current,
        slug: module_slug.to_string(),
        title,
        kind,
        minutes,
        html,
        headings: serde_json::from_str(&headings).unwrap_or(serde_json::Value::Array(vec![])),
        position: index + 1,
        total: list.len(),
        prev: index.checked_sub(1).and_then(|i| list.get(i)).cloned(),
        next: list.get(index + 1).cloned(),
        quiz,
    }))
}

/// An asset by (a 32-character prefix of) its hash: content type and bytes.
pub fn asset(
    conn: &mut DbConnection,
    hash_prefix: &str,
) -> Result<Option<(String, Vec<u8>)>, DbError> {
    if hash_prefix.len() != 32 || !hash_prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(assets::table
        .filter(assets::hash.like(format!("{}%", hash_prefix.to_ascii_lowercase())))
        .select((assets::content_type, assets::bytes))
        .first(conn)
        .optional()?)
}

/// Every competency in the dictionary (for the catalog's filter), by kind then code.
pub fn dictionary(conn: &mut DbConnection) -> Result<Vec<(String, String, String)>, DbError> {
    Ok(competencies::table
        .select((competencies::code, competencies::name, competencies::kind))
        .order((competencies::kind, competencies::code))
        .load(conn)?)
}

/// Every version of a course, oldest first: (id, hash).
pub fn versions_of(conn: &mut DbConnection, slug: &str) -> Result<Vec<(i64, String)>, DbError> {
    Ok(course_versions::table
        .inner_join(courses::table.on(courses::id.eq(course_versions::course_id)))
        .filter(courses::slug.eq(slug))
        .order(course_versions::id)
        .select((course_versions::id, course_versions::hash))
        .load(conn)?)
}
