//! Loading a person's profile from the database: their position's standard, assessments,
//! evidence, the agency's settings, and the catalog for recommendations.

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::evidence;
use super::jp;
use super::profile::{self, Assessed, Basis, Competency, Profile};
use super::recommend::{self, Offer, Recommendation};
use crate::db::schema::{
    agencies, assessed_levels, competencies, course_competencies, course_versions, courses,
    enrollments, position_targets, positions, users,
};
use crate::db::{DbConnection, DbError};

/// Everything the profile page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    pub user_id: i64,
    pub name: String,
    pub position: Option<String>,
    pub year: i32,
    pub jp_earned: i64,
    pub jp_target: i64,
    pub jp_minimum: i64,
    pub profile: Profile,
    pub recommendations: Vec<Recommendation>,
}

pub fn dictionary(conn: &mut DbConnection) -> Result<Vec<Competency>, DbError> {
    let rows: Vec<(String, String, String)> = competencies::table
        .order(competencies::code)
        .select((competencies::code, competencies::name, competencies::kind))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, name, kind)| Competency { code, name, kind })
        .collect())
}

/// The explicit targets of a position.
pub fn position_targets(
    conn: &mut DbConnection,
    position_id: i64,
) -> Result<Vec<(String, i32)>, DbError> {
    Ok(position_targets::table
        .filter(position_targets::position_id.eq(position_id))
        .order(position_targets::code)
        .select((position_targets::code, position_targets::level))
        .load(conn)?)
}

pub fn assessed_of(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Assessed>, DbError> {
    let rows: Vec<(String, i32, NaiveDateTime, String)> = assessed_levels::table
        .filter(assessed_levels::user_id.eq(user_id))
        .order((
            assessed_levels::assessed_at.desc(),
            assessed_levels::id.desc(),
        ))
        .select((
            assessed_levels::code,
            assessed_levels::level,
            assessed_levels::assessed_at,
            assessed_levels::source,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, level, assessed_at, source)| Assessed {
            code,
            level,
            assessed_at,
            source,
        })
        .collect())
}

/// Published, not archived courses with their current version's competencies and prerequisites.
pub fn offers(conn: &mut DbConnection) -> Result<Vec<Offer>, DbError> {
    let rows: Vec<(i64, String, String, i32, String)> = courses::table
        .inner_join(
            course_versions::table
                .on(courses::current_version_id.eq(course_versions::id.nullable())),
        )
        .filter(courses::archived.eq(false))
        .order(courses::slug)
        .select((
            course_versions::id,
            courses::slug,
            course_versions::title,
            course_versions::jp,
            course_versions::prerequisites,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let comps: Vec<(i64, String, i32)> = course_competencies::table
        .filter(course_competencies::version_id.eq_any(&ids))
        .select((
            course_competencies::version_id,
            course_competencies::code,
            course_competencies::level,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(vid, slug, title, jp, pre)| Offer {
            slug,
            title,
            jp,
            competencies: comps
                .iter()
                .filter(|c| c.0 == vid)
                .map(|c| (c.1.clone(), c.2))
                .collect(),
            prerequisites: serde_json::from_str(&pre).unwrap_or_default(),
        })
        .collect())
}

/// Slugs of courses the person has in progress (enrolled, current cycle not completed).
fn in_progress(conn: &mut DbConnection, user_id: i64) -> Result<Vec<String>, DbError> {
    Ok(enrollments::table
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::completed_at.is_null())
        .select(courses::slug)
        .load(conn)?)
}

/// A person's profile as of `now`.
pub fn load(
    conn: &mut DbConnection,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<Option<ProfileView>, DbError> {
    let user: Option<(String, Option<i64>, Option<i64>)> = users::table
        .find(user_id)
        .select((users::name, users::agency_id, users::position_id))
        .first(conn)
        .optional()?;
    let Some((name, agency_id, position_id)) = user else {
        return Ok(None);
    };
    let position: Option<(String, String)> = match position_id {
        Some(p) => positions::table
            .find(p)
            .select((positions::name, positions::kind))
            .first(conn)
            .optional()?,
        None => None,
    };
    let basis = match agency_id {
        Some(a) => agencies::table
            .find(a)
            .select(agencies::gap_basis)
            .first::<String>(conn)
            .optional()?
            .and_then(|b| Basis::parse(&b)),
        None => None,
    }
    .unwrap_or(Basis::Assessed);
    let dict = dictionary(conn)?;
    let explicit = match position_id {
        Some(p) => position_targets(conn, p)?,
        None => Vec::new(),
    };
    let targets = profile::targets(position.as_ref().map(|(_, k)| k.as_str()), &explicit, &dict);
    let assessed = assessed_of(conn, user_id)?;
    let evidence = evidence::of_user(conn, user_id)?;
    let profile = profile::build(&dict, &targets, &assessed, &evidence, basis);
    let offers = offers(conn)?;
    let completed = crate::learning::enroll::completed_slugs(conn, user_id)?;
    let going = in_progress(conn, user_id)?;
    let recommendations = recommend::recommend(&profile, &offers, &completed, &going);
    let year = now.year();
    Ok(Some(ProfileView {
        user_id,
        name,
        position: position.map(|(n, _)| n),
        year,
        jp_earned: jp::earned(conn, user_id, year)?,
        jp_target: jp::target(conn, agency_id)?,
        jp_minimum: jp::MINIMUM,
        profile,
        recommendations,
    }))
}
