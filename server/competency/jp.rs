//! The yearly JP tally: every ASN has the right to at least 20 JP of competency development per
//! calendar year (an agency may set a higher target). Completions count now; approved activities
//! from outside the platform will count the same way.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::clock::{platform_default, Zone};
use crate::db::schema::{activities, agencies, completions};
use crate::db::{DbConnection, DbError};

/// The legal minimum of JP per year.
pub const MINIMUM: i64 = 20;

/// [start, end) of a calendar year, for columns that hold a local *date* at midnight (an
/// activity's `started_at`/`ended_at`). Stored instants (a completion's `completed_at`) take
/// [`instant_bounds`] in the person's zone instead.
pub fn year_bounds(year: i32) -> (NaiveDateTime, NaiveDateTime) {
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    };
    (start(year), start(year + 1))
}

/// [start, end) in UTC of the calendar year `year` in `zone`, for stored instants: a course
/// completed at 00:30 WIB on 1 January counts toward the new year.
pub fn instant_bounds(zone: Zone, year: i32) -> (NaiveDateTime, NaiveDateTime) {
    zone.year_bounds(year)
}

/// UTC bounds that hold the calendar year `year` of every zone (a day either side): a query over
/// many people selects with these, then keeps the rows whose year in the person's zone
/// ([`Zone::year_of`]) is `year`.
pub fn any_zone_bounds(year: i32) -> (NaiveDateTime, NaiveDateTime) {
    let (from, to) = year_bounds(year);
    (
        from - chrono::Duration::days(1),
        to + chrono::Duration::days(1),
    )
}

/// JP earned by a person in `year` (of their agency's zone): completed courses and approved
/// activities that ended in it.
pub fn earned(conn: &mut DbConnection, user_id: i64, year: i32) -> Result<i64, DbError> {
    let zone = crate::clock::zone_of_user(conn, user_id)?;
    let (from, to) = year_bounds(year);
    let (at_from, at_to) = instant_bounds(zone, year);
    let jp: Option<i64> = completions::table
        .filter(completions::user_id.eq(user_id))
        .filter(completions::completed_at.ge(at_from))
        .filter(completions::completed_at.lt(at_to))
        .select(diesel::dsl::sum(completions::jp))
        .first(conn)?;
    let outside: Option<i64> = activities::table
        .filter(activities::user_id.eq(user_id))
        .filter(activities::status.eq("approved"))
        .filter(activities::ended_at.ge(from))
        .filter(activities::ended_at.lt(to))
        .select(diesel::dsl::sum(activities::jp))
        .first(conn)?;
    Ok(jp.unwrap_or(0) + outside.unwrap_or(0))
}

/// A person's JP in a year against their agency's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    pub year: i32,
    pub earned: i64,
    pub target: i64,
}

impl Standing {
    /// How far along, 0–100.
    pub fn percent(&self) -> i64 {
        (self.earned * 100 / self.target.max(1)).min(100)
    }

    pub fn reached(&self) -> bool {
        self.earned >= self.target
    }
}

/// `user_id`'s JP in `year` (of their agency's zone) against their agency's target.
pub fn standing(conn: &mut DbConnection, user_id: i64, year: i32) -> Result<Standing, DbError> {
    let agency: Option<i64> = crate::db::schema::users::table
        .find(user_id)
        .select(crate::db::schema::users::agency_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    Ok(Standing {
        year,
        earned: earned(conn, user_id, year)?,
        target: target(conn, agency)?,
    })
}

/// The yearly target for someone in this agency: its own when set above the minimum.
pub fn target(conn: &mut DbConnection, agency_id: Option<i64>) -> Result<i64, DbError> {
    let own: Option<i32> = match agency_id {
        Some(a) => agencies::table
            .find(a)
            .select(agencies::jp_target)
            .first::<Option<i32>>(conn)
            .optional()?
            .flatten(),
        None => None,
    };
    Ok(own.map(i64::from).unwrap_or(MINIMUM).max(MINIMUM))
}

/// The JP year of a stored instant in `zone`.
pub fn year_of(zone: Zone, t: NaiveDateTime) -> i32 {
    zone.year_of(t)
}

/// JP earned in `year` by each of many people (absent: 0), in two queries.
pub fn earned_many(
    conn: &mut DbConnection,
    user_ids: &[i64],
    year: i32,
) -> Result<std::collections::HashMap<i64, i64>, DbError> {
    let (from, to) = year_bounds(year);
    let zones = crate::clock::zones_of_users(conn, user_ids)?;
    let mut out: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for chunk in user_ids.chunks(500) {
        // completions are instants: each person's year is their agency's, so one query per zone
        let mut courses: Vec<(i64, Option<i64>)> = Vec::new();
        for zone in Zone::ALL {
            let ids: Vec<i64> = chunk
                .iter()
                .copied()
                .filter(|u| zones.get(u).copied().unwrap_or_else(platform_default) == zone)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let (at_from, at_to) = instant_bounds(zone, year);
            courses.extend(
                completions::table
                    .filter(completions::user_id.eq_any(&ids))
                    .filter(completions::completed_at.ge(at_from))
                    .filter(completions::completed_at.lt(at_to))
                    .group_by(completions::user_id)
                    .select((completions::user_id, diesel::dsl::sum(completions::jp)))
                    .load::<(i64, Option<i64>)>(conn)?,
            );
        }
        let outside: Vec<(i64, Option<i64>)> = activities::table
            .filter(activities::user_id.eq_any(chunk))
            .filter(activities::status.eq("approved"))
            .filter(activities::ended_at.ge(from))
            .filter(activities::ended_at.lt(to))
            .group_by(activities::user_id)
            .select((activities::user_id, diesel::dsl::sum(activities::jp)))
            .load(conn)?;
        for (u, jp) in courses.into_iter().chain(outside) {
            *out.entry(u).or_default() += jp.unwrap_or(0);
        }
    }
    Ok(out)
}
