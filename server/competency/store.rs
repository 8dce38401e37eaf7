//! Loading a person's profile from the database: their position's standard, assessments,
//! evidence, the agency's settings, and the catalog for recommendations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::evidence;
use super::jp;
use super::profile::{self, Assessed, Basis, Competency, Profile};
use super::recommend::{self, Offer, Recommendation};
use crate::db::json_text::JsonText;
use crate::db::schema::{
    agencies, assessed_levels, competencies, completions, course_competencies, course_versions,
    courses, enrollments, position_targets, positions, users,
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
    /// The agency's JPM thresholds (percent) the band was read with.
    pub jpm_optimal: i32,
    pub jpm_meets: i32,
    /// The person's agency zone: the dates the profile shows are read in it.
    #[serde(skip)]
    pub zone: crate::clock::Zone,
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

/// The assessed levels of each of `ids` (in [`assessed_of`]'s order), one query per 500 people.
pub fn assessed_of_many(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Assessed>>, DbError> {
    let mut out: HashMap<i64, Vec<Assessed>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, i32, NaiveDateTime, String)> = assessed_levels::table
            .filter(assessed_levels::user_id.eq_any(chunk))
            .order((
                assessed_levels::user_id,
                assessed_levels::assessed_at.desc(),
                assessed_levels::id.desc(),
            ))
            .select((
                assessed_levels::user_id,
                assessed_levels::code,
                assessed_levels::level,
                assessed_levels::assessed_at,
                assessed_levels::source,
            ))
            .load(conn)?;
        for (user, code, level, assessed_at, source) in rows {
            out.entry(user).or_default().push(Assessed {
                code,
                level,
                assessed_at,
                source,
            });
        }
    }
    Ok(out)
}

/// The profiles (levels, targets, gaps, JPM — no recommendations) of many people, built exactly
/// as [`load`] builds each one, in a fixed number of queries: what the team view needs.
pub fn profiles_many(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, profile::Profile>, DbError> {
    let mut people: Vec<(i64, Option<i64>, Option<i64>)> = Vec::new();
    for chunk in ids.chunks(500) {
        people.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select((users::id, users::agency_id, users::position_id))
                .load::<(i64, Option<i64>, Option<i64>)>(conn)?,
        );
    }
    let mut position_ids: Vec<i64> = people.iter().filter_map(|p| p.2).collect();
    position_ids.sort_unstable();
    position_ids.dedup();
    let mut agency_ids: Vec<i64> = people.iter().filter_map(|p| p.1).collect();
    agency_ids.sort_unstable();
    agency_ids.dedup();
    let kinds: HashMap<i64, String> = positions::table
        .filter(positions::id.eq_any(&position_ids))
        .select((positions::id, positions::kind))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut explicit: HashMap<i64, Vec<(String, i32)>> = HashMap::new();
    for (p, code, level) in position_targets::table
        .filter(position_targets::position_id.eq_any(&position_ids))
        .order((position_targets::position_id, position_targets::code))
        .select((
            position_targets::position_id,
            position_targets::code,
            position_targets::level,
        ))
        .load::<(i64, String, i32)>(conn)?
    {
        explicit.entry(p).or_default().push((code, level));
    }
    let bases: HashMap<i64, Basis> = agencies::table
        .filter(agencies::id.eq_any(&agency_ids))
        .select((agencies::id, agencies::gap_basis))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .filter_map(|(id, b)| Some((id, Basis::parse(&b)?)))
        .collect();
    let dict = dictionary(conn)?;
    let thresholds = super::jp_settings::load_many(conn, &agency_ids)?;
    let mut assessed = assessed_of_many(conn, ids)?;
    let mut evidence = evidence::of_users(conn, ids)?;
    let mut targets_of: HashMap<Option<i64>, Vec<(String, i32)>> = HashMap::new();
    let mut out = HashMap::new();
    for (id, agency, position) in people {
        let targets = targets_of.entry(position).or_insert_with(|| {
            let kind = position.and_then(|p| kinds.get(&p)).map(String::as_str);
            let explicit = position
                .and_then(|p| explicit.get(&p))
                .cloned()
                .unwrap_or_default();
            profile::targets(kind, &explicit, &dict)
        });
        let basis = agency
            .and_then(|a| bases.get(&a).copied())
            .unwrap_or(Basis::Assessed);
        let built = profile::build(
            &dict,
            targets,
            &assessed.remove(&id).unwrap_or_default(),
            &evidence.remove(&id).unwrap_or_default(),
            basis,
        );
        // the agency's JPM thresholds (defaults without agency or settings)
        let t = agency
            .and_then(|a| thresholds.get(&a).cloned())
            .unwrap_or_default();
        let built = built.rebanded(t.jpm_optimal, t.jpm_meets);
        out.insert(id, built);
    }
    Ok(out)
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
    rows.into_iter()
        .map(|(vid, slug, title, jp, pre)| {
            Ok(Offer {
                slug,
                title,
                jp,
                competencies: comps
                    .iter()
                    .filter(|c| c.0 == vid)
                    .map(|c| (c.1.clone(), c.2))
                    .collect(),
                prerequisites: JsonText::decode(&pre)?,
            })
        })
        .collect()
}

/// [`offers`] kept between requests (every profile page recommends from the whole catalog). The
/// offers depend on which version of which course is current and on whether it is archived;
/// a version's title, JP, prerequisites and competencies never change once written. So the cache
/// holds those three columns of every course and is rebuilt when they differ, whichever server
/// changed the catalog: one small query instead of two larger ones and their assembly.
#[derive(Default)]
pub struct OffersCache(Mutex<Option<Held>>);

/// What of a course the offers depend on: its current version and whether it is archived.
#[derive(Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = courses, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct CatalogRow {
    id: i64,
    current_version_id: Option<i64>,
    archived: bool,
}

/// The catalog as last seen, and the offers built from it.
type Held = (Vec<CatalogRow>, Arc<Vec<Offer>>);

impl OffersCache {
    pub fn get(&self, conn: &mut DbConnection) -> Result<Arc<Vec<Offer>>, DbError> {
        let catalog: Vec<CatalogRow> = courses::table
            .order(courses::id)
            .select(CatalogRow::as_select())
            .load(conn)?;
        let held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, offers)) = held.as_ref() {
            if *seen == catalog {
                return Ok(offers.clone());
            }
        }
        drop(held);
        // read after the catalog rows, so at least as new as them: at worst the next request
        // reloads once more
        let offers = Arc::new(offers(conn)?);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((catalog, offers.clone()));
        Ok(offers)
    }
}

/// Slugs of courses the person has in progress (enrolled, current cycle not completed).
/// The slugs of the courses `user_id` has completed (recommendations leave them out).
fn completed(conn: &mut DbConnection, user_id: i64) -> Result<Vec<String>, DbError> {
    Ok(completions::table
        .inner_join(courses::table.on(courses::id.eq(completions::course_id)))
        .filter(completions::user_id.eq(user_id))
        .select(courses::slug)
        .load(conn)?)
}

fn in_progress(conn: &mut DbConnection, user_id: i64) -> Result<Vec<String>, DbError> {
    Ok(enrollments::table
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::completed_at.is_null())
        .select(courses::slug)
        .load(conn)?)
}

/// The gap basis of an agency (`assessed` for people without an agency or an unreadable value).
pub fn basis_of(conn: &mut DbConnection, agency_id: Option<i64>) -> Result<Basis, DbError> {
    Ok(match agency_id {
        Some(a) => agencies::table
            .find(a)
            .select(agencies::gap_basis)
            .first::<String>(conn)
            .optional()?
            .and_then(|b| Basis::parse(&b)),
        None => None,
    }
    .unwrap_or(Basis::Assessed))
}

/// A person's profile as of `now`.
pub fn load(
    conn: &mut DbConnection,
    offers: &OffersCache,
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
    let basis = basis_of(conn, agency_id)?;
    let dict = dictionary(conn)?;
    let explicit = match position_id {
        Some(p) => position_targets(conn, p)?,
        None => Vec::new(),
    };
    let targets = profile::targets(position.as_ref().map(|(_, k)| k.as_str()), &explicit, &dict);
    let assessed = assessed_of(conn, user_id)?;
    let evidence = evidence::of_user(conn, user_id)?;
    let t = match agency_id {
        Some(a) => super::jp_settings::load(conn, a)?,
        None => super::jp_settings::JpSettings::default(),
    };
    let profile = profile::build(&dict, &targets, &assessed, &evidence, basis)
        .rebanded(t.jpm_optimal, t.jpm_meets);
    let offers = offers.get(conn)?;
    let completed = completed(conn, user_id)?;
    let going = in_progress(conn, user_id)?;
    let recommendations = recommend::recommend(&profile, &offers, &completed, &going);
    // the JP year is the current year in the person's agency zone
    let zone = crate::clock::zone_of_agency(conn, agency_id)?;
    let year = zone.year_of(now);
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
        zone,
        jpm_optimal: t.jpm_optimal,
        jpm_meets: t.jpm_meets,
    }))
}

/// Competency names by code, from the dictionary (milestones and letters name competencies).
pub fn competency_names(conn: &mut DbConnection) -> Result<HashMap<String, String>, DbError> {
    Ok(crate::catalog::store::dictionary(conn)?
        .into_iter()
        .map(|(code, name, _)| (code, name))
        .collect())
}
