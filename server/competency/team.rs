//! What a supervisor sees of each member of their team: JP this year, competency gaps and
//! overdue assignments.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{jp, store};
use crate::db::schema::enrollments;
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

/// Figures for each of `ids` as of `now`.
pub fn figures(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<HashMap<i64, MemberFigures>, DbError> {
    let year = now.year();
    let jp = jp::earned_many(conn, ids, year)?;
    let overdue: Vec<(i64, i64)> = enrollments::table
        .filter(enrollments::user_id.eq_any(ids))
        .filter(enrollments::completed_at.is_null())
        .filter(enrollments::due_at.lt(now))
        .group_by(enrollments::user_id)
        .select((enrollments::user_id, diesel::dsl::count_star()))
        .load(conn)?;
    let mut out = HashMap::new();
    for id in ids {
        let profile = store::load(conn, *id, now)?;
        out.insert(
            *id,
            MemberFigures {
                jp: jp.get(id).copied().unwrap_or(0),
                jp_target: profile.as_ref().map(|p| p.jp_target).unwrap_or(jp::MINIMUM),
                gaps: profile.map(|p| p.profile.gaps().len()).unwrap_or(0),
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
