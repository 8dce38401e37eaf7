//! What a supervisor sees of each member of their team: JP this year, competency gaps and
//! overdue assignments.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{jp, store};
use crate::db::schema::{enrollments, users};
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MemberFigures {
    pub jp: i64,
    pub jp_target: i64,
    /// Competencies below the position's target.
    pub gaps: usize,
    /// Assigned courses past their due date and not completed.
    pub overdue: i64,
}

/// Figures for each of `ids` as of `now`, in a fixed number of queries whatever the team's size.
pub fn figures(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<HashMap<i64, MemberFigures>, DbError> {
    // each member's JP year is their agency's, in its zone
    let zones = crate::clock::zones_of_users(conn, ids)?;
    let mut jp: HashMap<i64, i64> = HashMap::new();
    for zone in crate::clock::Zone::ALL {
        let group: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|u| {
                zones
                    .get(u)
                    .copied()
                    .unwrap_or_else(crate::clock::platform_default)
                    == zone
            })
            .collect();
        if !group.is_empty() {
            jp.extend(jp::earned_many(conn, &group, zone.year_of(now))?);
        }
    }
    let overdue: Vec<(i64, i64)> = enrollments::table
        .filter(enrollments::user_id.eq_any(ids))
        .filter(enrollments::completed_at.is_null())
        .filter(enrollments::due_at.lt(now))
        .group_by(enrollments::user_id)
        .select((enrollments::user_id, diesel::dsl::count_star()))
        .load(conn)?;
    let profiles = store::profiles_many(conn, ids)?;
    let mut agency_of: HashMap<i64, Option<i64>> = HashMap::new();
    for chunk in ids.chunks(500) {
        agency_of.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select((users::id, users::agency_id))
                .load::<(i64, Option<i64>)>(conn)?,
        );
    }
    let mut targets: HashMap<Option<i64>, i64> = HashMap::new();
    let mut out = HashMap::new();
    for id in ids {
        let Some(agency) = agency_of.get(id).copied() else {
            continue;
        };
        let jp_target = match targets.get(&agency) {
            Some(t) => *t,
            None => {
                let t = jp::target(conn, agency)?;
                targets.insert(agency, t);
                t
            }
        };
        out.insert(
            *id,
            MemberFigures {
                jp: jp.get(id).copied().unwrap_or(0),
                jp_target,
                gaps: profiles.get(id).map(|p| p.gaps().len()).unwrap_or(0),
                overdue: overdue
                    .iter()
                    .find(|(u, _)| u == id)
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            },
        );
    }
    Ok(out)
}
