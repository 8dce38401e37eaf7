//! Reading published courses for pages and the API. Never reads answer keys.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::outline::Outlines;
use crate::db::json_text::JsonText;
use crate::db::schema::{
    assets, competencies, course_competencies, course_versions, courses, modules,
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

/// A competency of a version with the dictionary's name and kind.
#[derive(Queryable, Selectable)]
#[diesel(table_name = course_competencies)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct VersionCompetencyRow {
    version_id: i64,
    code: String,
    level: i32,
    #[diesel(select_expression = competencies::name)]
    name: String,
    #[diesel(select_expression = competencies::kind)]
    kind: String,
}

fn competencies_of(
    conn: &mut DbConnection,
    version_ids: &[i64],
) -> Result<HashMap<i64, Vec<CompetencyRef>>, DbError> {
    let rows: Vec<VersionCompetencyRow> = course_competencies::table
        .inner_join(competencies::table.on(competencies::code.eq(course_competencies::code)))
        .filter(course_competencies::version_id.eq_any(version_ids))
        .select(VersionCompetencyRow::as_select())
        .order((course_competencies::version_id, course_competencies::code))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<CompetencyRef>> = HashMap::new();
    for r in rows {
        out.entry(r.version_id).or_default().push(CompetencyRef {
            code: r.code,
            name: r.name,
            kind: r.kind,
            level: r.level,
        });
    }
    Ok(out)
}

/// A course of the catalog: its slug and its current version; the tags decode strictly.
#[derive(Queryable, Selectable)]
#[diesel(table_name = course_versions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct CatalogRow {
    #[diesel(select_expression = courses::slug)]
    slug: String,
    #[diesel(select_expression = course_versions::id)]
    version_id: i64,
    hash: String,
    title: String,
    summary: String,
    jp: i32,
    tags: JsonText<Vec<String>>,
    total_minutes: i32,
}

/// Every course in the catalog: current versions of courses not archived, by title.
pub fn catalog(conn: &mut DbConnection) -> Result<Vec<CatalogEntry>, DbError> {
    let rows: Vec<CatalogRow> = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .filter(courses::archived.eq(false))
        .select(CatalogRow::as_select())
        .order(course_versions::title)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.version_id).collect();
    let counts: HashMap<i64, i64> = modules::table
        .filter(modules::version_id.eq_any(&ids))
        .group_by(modules::version_id)
        .select((modules::version_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let mut comps = competencies_of(conn, &ids)?;
    let mut providers = crate::accounts::partners::providers_by_slug(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| CatalogEntry {
            version_id: r.version_id,
            hash: r.hash,
            title: r.title,
            summary: r.summary,
            jp: r.jp,
            tags: r.tags.into_inner(),
            total_minutes: r.total_minutes,
            module_count: counts.get(&r.version_id).copied().unwrap_or(0),
            competencies: comps.remove(&r.version_id).unwrap_or_default(),
            provider: providers
                .remove(&r.slug)
                .map(|(code, name)| Provider { code, name }),
            slug: r.slug,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = modules)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
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
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
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

/// A version as its course page shows it; the JSON lists decode strictly.
#[derive(Queryable, Selectable)]
#[diesel(table_name = course_versions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct VersionRow {
    hash: String,
    title: String,
    summary: String,
    description_html: String,
    jp: i32,
    language: String,
    tags: JsonText<Vec<String>>,
    prerequisites: JsonText<Vec<String>>,
    pass_mark: i32,
    certificate: bool,
    certificate_valid_months: Option<i32>,
    authors: JsonText<Vec<String>>,
    total_minutes: i32,
    published_at: chrono::NaiveDateTime,
}

pub fn course(
    conn: &mut DbConnection,
    slug: &str,
    which: &Which,
) -> Result<Option<CourseView>, DbError> {
    let Some((version_id, is_current, archived)) = resolve(conn, slug, which)? else {
        return Ok(None);
    };
    let v: VersionRow = course_versions::table
        .find(version_id)
        .select(VersionRow::as_select())
        .first(conn)?;
    let modules = module_list(conn, version_id)?;
    let prerequisites = prerequisites(conn, v.prerequisites.into_inner())?;
    let competencies = competencies_of(conn, &[version_id])?
        .remove(&version_id)
        .unwrap_or_default();
    let provider = crate::accounts::partners::provider_by_slug(conn, slug)?;
    Ok(Some(CourseView {
        slug: slug.to_string(),
        version_id,
        hash: v.hash,
        is_current,
        archived,
        title: v.title,
        summary: v.summary,
        description_html: v.description_html,
        jp: v.jp,
        language: v.language,
        tags: v.tags.into_inner(),
        pass_mark: v.pass_mark,
        certificate: v.certificate,
        certificate_valid_months: v.certificate_valid_months,
        authors: v.authors.into_inner(),
        total_minutes: v.total_minutes,
        published_at: v.published_at,
        prerequisites,
        competencies,
        modules,
        provider,
    }))
}

/// The prerequisite courses by slug, each with its current version's title when published.
fn prerequisites(
    conn: &mut DbConnection,
    slugs: Vec<String>,
) -> Result<Vec<Prerequisite>, DbError> {
    let titles: HashMap<String, String> = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .filter(courses::slug.eq_any(&slugs))
        .select((courses::slug, course_versions::title))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(slugs
        .into_iter()
        .map(|slug| Prerequisite {
            title: titles.get(&slug).cloned(),
            slug,
        })
        .collect())
}

fn module_list(conn: &mut DbConnection, version_id: i64) -> Result<Vec<ModuleSummary>, DbError> {
    Ok(modules::table
        .filter(modules::version_id.eq(version_id))
        .order(modules::position)
        .select(ModuleSummary::as_select())
        .load(conn)?)
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
    /// The version's outline this server keeps (the page's module list; not in the API's
    /// answer).
    #[serde(skip)]
    pub outline: std::sync::Arc<super::outline::Outline>,
}

/// A module in the outline beside a lesson.
#[derive(Serialize)]
pub struct OutlineRow<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub quiz: bool,
    /// The module the page shows.
    pub here: bool,
    pub done: bool,
}

impl ModuleView {
    /// The course's modules for the outline beside this one, `done` telling which are done.
    pub fn outline(&self, done: impl Fn(i64) -> bool) -> Vec<OutlineRow<'_>> {
        self.outline
            .modules
            .iter()
            .map(|m| &m.summary)
            .map(|m| OutlineRow {
                slug: &m.slug,
                title: &m.title,
                quiz: m.kind == "quiz",
                here: m.id == self.module_id,
                done: done(m.id),
            })
            .collect()
    }
}

pub fn module(
    conn: &mut DbConnection,
    outlines: &Outlines,
    course_slug: &str,
    module_slug: &str,
    which: &Which,
) -> Result<Option<ModuleView>, DbError> {
    let Some((version_id, is_current, _)) = resolve(conn, course_slug, which)? else {
        return Ok(None);
    };
    let Some(outline) = outlines.of(conn, version_id)? else {
        return Ok(None);
    };
    let Some((index, m)) = outline.module(module_slug) else {
        return Ok(None);
    };
    let html: String = modules::table
        .find(m.summary.id)
        .select(modules::html)
        .first(conn)?;
    let list = &outline.modules;
    Ok(Some(ModuleView {
        module_id: m.summary.id,
        course_slug: course_slug.to_string(),
        course_title: outline.title.clone(),
        version_id,
        hash: outline.hash.clone(),
        is_current,
        slug: module_slug.to_string(),
        title: m.summary.title.clone(),
        kind: m.summary.kind.clone(),
        minutes: m.summary.minutes,
        html,
        headings: m.headings.clone(),
        position: index + 1,
        total: list.len(),
        prev: index
            .checked_sub(1)
            .and_then(|i| list.get(i))
            .map(|m| m.summary.clone()),
        next: list.get(index + 1).map(|m| m.summary.clone()),
        quiz: m.quiz.clone(),
        outline: outline.clone(),
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
