//! The moment a course is completed, as the learner sees it right after (the quiz result that
//! completed it, the course page a last lesson leads to): the certificate, its PDF and its
//! verification link as the main actions, the JP credited against the year's target, and the
//! competency levels the course evidences ("Integritas: level 2 tercapai").

use diesel::prelude::*;
use serde::Serialize;

use super::model::{self, Certificate};
use crate::db::schema::{completions, course_versions};
use crate::db::{DbConnection, DbError};

/// What a completion brought, for the page that celebrates it.
#[derive(Debug, Serialize)]
pub struct Moment {
    pub course_title: String,
    /// JP the completion credited (as recorded; a later settings change does not move it).
    pub jp: i32,
    /// The JP year the completion counts in (the person's agency zone) and the total so far.
    pub year: i32,
    pub jp_year: i64,
    pub jp_target: i64,
    pub jp_reached: bool,
    /// The competency levels the course evidences, by name.
    pub levels: Vec<Reached>,
    /// The certificate issued for it: absent for a course without one.
    pub certificate: Option<Links>,
}

#[derive(Debug, Serialize)]
pub struct Reached {
    pub name: String,
    pub level: i32,
}

/// Where the certificate is: its page, its PDF, its public verification link.
#[derive(Debug, Serialize)]
pub struct Links {
    pub code: String,
    pub number: String,
    pub verify_url: String,
    pub revoked: bool,
}

/// The moment of an enrollment's completion; `None` while it is not completed.
pub fn of_enrollment(
    conn: &mut DbConnection,
    enrollment_id: i64,
    base_url: &str,
) -> Result<Option<Moment>, DbError> {
    let Some((completion_id, user_id, version_id, jp, competencies, completed_at)) =
        completions::table
            .filter(completions::enrollment_id.eq(enrollment_id))
            .select((
                completions::id,
                completions::user_id,
                completions::version_id,
                completions::jp,
                completions::competencies,
                completions::completed_at,
            ))
            .first::<(i64, i64, i64, i32, String, chrono::NaiveDateTime)>(conn)
            .optional()?
    else {
        return Ok(None);
    };
    let certificate: Option<Certificate> = super::store::for_completion(conn, completion_id)?;
    let course_title = match &certificate {
        Some(c) => c.course_title.clone(),
        None => course_versions::table
            .find(version_id)
            .select(course_versions::title)
            .first(conn)?,
    };
    let levels = match &certificate {
        // as signed on the certificate
        Some(c) => c
            .competencies
            .iter()
            .map(|l| Reached {
                name: l.name.clone(),
                level: l.level,
            })
            .collect(),
        None => named_levels(conn, &competencies)?,
    };
    let zone = crate::clock::zone_of_user(conn, user_id)?;
    let standing = crate::competency::jp::standing(conn, user_id, zone.year_of(completed_at))?;
    Ok(Some(Moment {
        course_title,
        jp,
        year: standing.year,
        jp_year: standing.earned,
        jp_target: standing.target,
        jp_reached: standing.reached(),
        levels,
        certificate: certificate.map(|c| Links {
            verify_url: model::verify_url(base_url, &c.code),
            revoked: c.revoked_at.is_some(),
            code: c.code,
            number: c.number,
        }),
    }))
}

/// A completion's recorded `[code, level]` pairs with the dictionary's names (the code when the
/// dictionary no longer holds it).
fn named_levels(conn: &mut DbConnection, recorded: &str) -> Result<Vec<Reached>, DbError> {
    let pairs: Vec<(String, i32)> = serde_json::from_str(recorded)
        .map_err(|e| DbError::Internal(format!("completion competencies: {e}")))?;
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let names = crate::competency::store::competency_names(conn)?;
    Ok(pairs
        .into_iter()
        .map(|(code, level)| Reached {
            name: names.get(&code).cloned().unwrap_or(code),
            level,
        })
        .collect())
}
