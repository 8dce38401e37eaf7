//! Milestones an ASN earns automatically as they keep developing: the first course completed,
//! 20 and 40 JP reached in a year, five courses completed, and each competency level reached.
//! Each is earned once (a unique key per person) at the moment its condition became true.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{
    activities, assessed_levels, competency_evidence, completions, milestones, users,
};
use crate::db::{DbConnection, DbError};

use super::levels::{self, Reading, Source};
use super::profile::Basis;
use crate::clock::Zone;

/// JP thresholds recognised within a calendar year.
pub const JP_STEPS: [i64; 2] = [20, 40];
/// Completed courses for the "five courses" milestone.
pub const COURSES_STEP: usize = 5;

/// Something that happened in a person's development, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: NaiveDateTime,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A course completed (JP earned).
    Course { course_id: i64, jp: i64 },
    /// An approved outside activity (JP earned).
    Activity { jp: i64 },
    /// A competency level evidenced (by learning) or assessed.
    Level {
        code: String,
        level: i32,
        source: Source,
    },
}

/// A milestone, as earned (a row of `milestones` without its owner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = milestones, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Milestone {
    /// Unique per person: `first-course`, `five-courses`, `jp20-2026`, `level-M.PP-3`.
    pub key: String,
    /// `first_course`, `five_courses`, `jp20`, `jp40`, `level`.
    pub kind: String,
    pub year: Option<i32>,
    pub code: Option<String>,
    pub level: Option<i32>,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub earned_at: NaiveDateTime,
}

/// Every milestone a history earns, each at the event that earned it. A level milestone marks the
/// level that counts by the agency's gap `basis` (see `levels`) reaching a new high.
pub fn earned(events: &[Event], basis: Basis, zone: Zone) -> Vec<Milestone> {
    let mut events: Vec<&Event> = events.iter().collect();
    // Stable: events at the same moment keep their given order.
    events.sort_by_key(|e| e.at);
    let mut out = Vec::new();
    let mut courses: HashSet<i64> = HashSet::new();
    let mut jp_by_year: BTreeMap<i32, i64> = BTreeMap::new();
    let mut readings = Vec::new();
    for e in events {
        match &e.what {
            What::Course { course_id, jp } => {
                if courses.insert(*course_id) {
                    if courses.len() == 1 {
                        out.push(simple("first-course", "first_course", e.at, zone));
                    }
                    if courses.len() == COURSES_STEP {
                        out.push(simple("five-courses", "five_courses", e.at, zone));
                    }
                }
                add_jp(&mut out, &mut jp_by_year, e.at, *jp, zone);
            }
            What::Activity { jp } => add_jp(&mut out, &mut jp_by_year, e.at, *jp, zone),
            What::Level {
                code,
                level,
                source,
            } => readings.push(Reading {
                code: code.clone(),
                level: *level,
                at: match source {
                    Source::Assessed => assessed_from(e.at, zone),
                    Source::Evidence => e.at,
                },
                source: *source,
            }),
        }
    }
    for r in levels::reached(&readings, basis) {
        out.push(Milestone {
            key: format!("level-{}-{}", r.code, r.level),
            kind: "level".into(),
            year: Some(zone.year_of(r.at)),
            code: Some(r.code),
            level: Some(r.level),
            earned_at: r.at,
        });
    }
    out.sort_by_key(|m| m.earned_at);
    out
}

fn simple(key: &str, kind: &str, at: NaiveDateTime, zone: Zone) -> Milestone {
    Milestone {
        key: key.into(),
        kind: kind.into(),
        year: Some(zone.year_of(at)),
        code: None,
        level: None,
        earned_at: at,
    }
}

/// JP add up per calendar year of the person's agency zone (00:30 WIB on 1 January is the new
/// year).
fn add_jp(
    out: &mut Vec<Milestone>,
    by_year: &mut BTreeMap<i32, i64>,
    at: NaiveDateTime,
    jp: i64,
    zone: Zone,
) {
    let year = zone.year_of(at);
    let total = by_year.entry(year).or_default();
    let before = *total;
    *total += jp.max(0);
    for step in JP_STEPS {
        if before < step && *total >= step {
            out.push(Milestone {
                key: format!("jp{step}-{year}"),
                kind: format!("jp{step}"),
                year: Some(year),
                code: None,
                level: None,
                earned_at: at,
            });
        }
    }
}

/// A person's development history, read from completions, approved activities, competency
/// evidence and assessed levels.
pub fn history(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Event>, DbError> {
    let mut events = Vec::new();
    let done: Vec<(NaiveDateTime, i64, i32)> = completions::table
        .filter(completions::user_id.eq(user_id))
        .select((
            completions::completed_at,
            completions::course_id,
            completions::jp,
        ))
        .order((completions::completed_at, completions::id))
        .load(conn)?;
    events.extend(done.into_iter().map(|(at, course_id, jp)| Event {
        at,
        what: What::Course {
            course_id,
            jp: jp.into(),
        },
    }));
    let outside: Vec<(NaiveDateTime, i32)> = activities::table
        .filter(activities::user_id.eq(user_id))
        .filter(activities::status.eq("approved"))
        .select((activities::ended_at, activities::jp))
        .order((activities::ended_at, activities::id))
        .load(conn)?;
    events.extend(outside.into_iter().map(|(at, jp)| Event {
        at,
        what: What::Activity { jp: jp.into() },
    }));
    let evidence: Vec<(NaiveDateTime, String, i32)> = competency_evidence::table
        .filter(competency_evidence::user_id.eq(user_id))
        .select((
            competency_evidence::earned_at,
            competency_evidence::code,
            competency_evidence::level,
        ))
        .order((competency_evidence::earned_at, competency_evidence::id))
        .load(conn)?;
    let assessed: Vec<(NaiveDateTime, String, i32)> = assessed_levels::table
        .filter(assessed_levels::user_id.eq(user_id))
        .select((
            assessed_levels::assessed_at,
            assessed_levels::code,
            assessed_levels::level,
        ))
        .order((assessed_levels::assessed_at, assessed_levels::id))
        .load(conn)?;
    let level = |source| {
        move |(at, code, level): (NaiveDateTime, String, i32)| Event {
            at,
            what: What::Level {
                code,
                level,
                source,
            },
        }
    };
    events.extend(evidence.into_iter().map(level(Source::Evidence)));
    events.extend(assessed.into_iter().map(level(Source::Assessed)));
    Ok(events)
}

/// When an assessment counts from: it is dated, not timed (`assessed_at` holds its day at
/// midnight), so from the start of that day in the agency's zone (UTC). A course completed at
/// 01:00 WIB on the day of an assessment comes after it, not seven hours before it.
pub fn assessed_from(assessed_at: NaiveDateTime, zone: Zone) -> NaiveDateTime {
    zone.day_start(assessed_at.date())
}

/// Record the milestones a person has earned and not yet got. Runs inside the transaction that
/// changed their history (a completion, an approval, an assessment), so a milestone exists exactly
/// when its cause does. Returns the new ones.
pub fn award(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Milestone>, DbError> {
    let agency: Option<i64> = users::table
        .find(user_id)
        .select(users::agency_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    let basis = crate::competency::store::basis_of(conn, agency)?;
    let zone = crate::clock::zone_of_agency(conn, agency)?;
    let due = earned(&history(conn, user_id)?, basis, zone);
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let have: HashSet<String> = milestones::table
        .filter(milestones::user_id.eq(user_id))
        .select(milestones::key)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let now = Utc::now().naive_utc();
    let mut new = Vec::new();
    for m in due.into_iter().filter(|m| !have.contains(&m.key)) {
        // A savepoint: another server recording the same milestone at the same moment wins, and
        // this transaction carries on.
        let inserted = crate::db::transaction(conn, |conn| {
            diesel::insert_into(milestones::table)
                .values((
                    milestones::user_id.eq(user_id),
                    milestones::key.eq(&m.key),
                    milestones::kind.eq(&m.kind),
                    milestones::year.eq(m.year),
                    milestones::code.eq(&m.code),
                    milestones::level.eq(m.level),
                    milestones::earned_at.eq(m.earned_at),
                    milestones::recorded_at.eq(now),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => new.push(m),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(new)
}

/// A person's milestones, newest first.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Milestone>, DbError> {
    Ok(milestones::table
        .filter(milestones::user_id.eq(user_id))
        .order((milestones::earned_at.desc(), milestones::id.desc()))
        .select(Milestone::as_select())
        .load(conn)?)
}

/// Milestones of many people earned in a year, by person (for the standing and the export).
pub fn in_year(
    conn: &mut DbConnection,
    user_ids: &[i64],
    year: i32,
) -> Result<std::collections::HashMap<i64, Vec<Milestone>>, DbError> {
    // earned in the year of each person's agency zone: selected wide, kept by that year
    let (from, to) = crate::competency::jp::any_zone_bounds(year);
    let zones = crate::clock::zones_of_users(conn, user_ids)?;
    let mut out: std::collections::HashMap<i64, Vec<Milestone>> = Default::default();
    for chunk in user_ids.chunks(500) {
        let rows: Vec<(i64, Milestone)> = milestones::table
            .filter(milestones::user_id.eq_any(chunk))
            .filter(milestones::earned_at.ge(from))
            .filter(milestones::earned_at.lt(to))
            .order((milestones::earned_at, milestones::id))
            .select((milestones::user_id, Milestone::as_select()))
            .load(conn)?;
        for (u, m) in rows {
            let zone = zones
                .get(&u)
                .copied()
                .unwrap_or_else(crate::clock::platform_default);
            if zone.year_of(m.earned_at) != year {
                continue;
            }
            out.entry(u).or_default().push(m);
        }
    }
    Ok(out)
}

/// Award what everyone with any history is due: run once at start-up after this feature arrives
/// (a settings flag records it), so people who developed before it get their milestones.
pub fn backfill(conn: &mut DbConnection) -> Result<usize, DbError> {
    const FLAG: &str = "recognition.milestones_backfilled";
    if crate::db::settings::get(conn, FLAG)?.is_some() {
        return Ok(0);
    }
    let mut people: Vec<i64> = completions::table
        .select(completions::user_id)
        .distinct()
        .load(conn)?;
    people.extend(
        activities::table
            .filter(activities::status.eq("approved"))
            .select(activities::user_id)
            .distinct()
            .load::<i64>(conn)?,
    );
    people.extend(
        assessed_levels::table
            .select(assessed_levels::user_id)
            .distinct()
            .load::<i64>(conn)?,
    );
    people.sort_unstable();
    people.dedup();
    let mut n = 0;
    for id in people {
        n += crate::db::transaction(conn, |conn| award(conn, id))?.len();
    }
    crate::db::settings::put(conn, FLAG, "1")?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn course(t: NaiveDateTime, id: i64, jp: i64) -> Event {
        Event {
            at: t,
            what: What::Course { course_id: id, jp },
        }
    }

    fn keys(ms: &[Milestone]) -> Vec<&str> {
        ms.iter().map(|m| m.key.as_str()).collect()
    }

    #[test]
    fn an_assessment_counts_from_the_start_of_its_day_in_the_agency_zone() {
        let level = |t: NaiveDateTime, level: i32, source: Source| Event {
            at: t,
            what: What::Level {
                code: "M.KOM".into(),
                level,
                source,
            },
        };
        // assessed at level 1 on 8 December (stored as that day at midnight); a course gives
        // level 3 evidence at 01:00 WIB that day, 18:00 UTC the day before: after the assessment
        let assessed = NaiveDate::from_ymd_opt(2026, 12, 8)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let course_done = NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(18, 0, 0)
            .unwrap();
        let events = vec![
            level(assessed, 1, Source::Assessed),
            level(course_done, 3, Source::Evidence),
        ];
        assert_eq!(
            keys(&earned(&events, Basis::Assessed, Zone::Wib)),
            ["level-M.KOM-1"]
        );
        // in WIT (UTC+9) the day starts at 15:00 UTC the day before
        assert_eq!(
            assessed_from(assessed, Zone::Wit),
            NaiveDate::from_ymd_opt(2026, 12, 7)
                .unwrap()
                .and_hms_opt(15, 0, 0)
                .unwrap()
        );
    }

    #[test]
    fn nothing_done_earns_nothing() {
        assert!(earned(&[], Basis::Assessed, Zone::Wib).is_empty());
    }

    #[test]
    fn jp_steps_are_per_calendar_year_and_earned_when_crossed() {
        let events = vec![
            course(at(2026, 3, 1), 1, 12),
            Event {
                at: at(2026, 5, 1),
                what: What::Activity { jp: 8 },
            },
            course(at(2026, 9, 1), 2, 25),
            // a new year starts from zero
            course(at(2027, 1, 5), 3, 19),
        ];
        let ms = earned(&events, Basis::Assessed, Zone::Wib);
        assert_eq!(keys(&ms), ["first-course", "jp20-2026", "jp40-2026"]);
        assert_eq!(ms[1].earned_at, at(2026, 5, 1));
        assert_eq!(ms[2].earned_at, at(2026, 9, 1));
        assert_eq!(ms[2].year, Some(2026));
    }

    #[test]
    fn jp_years_are_the_agency_zone_years() {
        // 17:30 UTC on 31 December 2026 is 00:30 WIB (01:30 WITA, 02:30 WIT) on 1 January 2027
        let t = NaiveDate::from_ymd_opt(2026, 12, 31)
            .unwrap()
            .and_hms_opt(17, 30, 0)
            .unwrap();
        for zone in Zone::ALL {
            let ms = earned(&[course(t, 1, 20)], Basis::Assessed, zone);
            assert_eq!(keys(&ms), ["first-course", "jp20-2027"], "{zone}");
            assert_eq!(ms[0].year, Some(2027));
        }
    }

    #[test]
    fn one_big_course_crosses_both_steps_at_once() {
        let ms = earned(&[course(at(2026, 2, 2), 1, 45)], Basis::Assessed, Zone::Wib);
        assert_eq!(keys(&ms), ["first-course", "jp20-2026", "jp40-2026"]);
    }

    #[test]
    fn five_different_courses_count_and_repeats_do_not() {
        let mut events: Vec<Event> = (1..=4)
            .map(|i| course(at(2026, 1, i), i as i64, 1))
            .collect();
        // the same course again (recertification) is not a fifth course
        events.push(course(at(2026, 1, 10), 4, 1));
        assert!(!keys(&earned(&events, Basis::Assessed, Zone::Wib)).contains(&"five-courses"));
        events.push(course(at(2026, 1, 20), 9, 1));
        let ms = earned(&events, Basis::Assessed, Zone::Wib);
        let five = ms.iter().find(|m| m.key == "five-courses").unwrap();
        assert_eq!(five.earned_at, at(2026, 1, 20));
    }

    #[test]
    fn each_new_highest_level_is_a_milestone() {
        let level = |t, code: &str, level| Event {
            at: t,
            what: What::Level {
                code: code.into(),
                level,
                source: Source::Evidence,
            },
        };
        let events = vec![
            level(at(2026, 1, 1), "M.PP", 2),
            level(at(2026, 2, 1), "M.PP", 2),
            level(at(2026, 3, 1), "M.PP", 1),
            level(at(2026, 4, 1), "M.PP", 3),
            level(at(2026, 4, 2), "M.KOM", 1),
            level(at(2026, 4, 3), "M.KOM", 9),
        ];
        assert_eq!(
            keys(&earned(&events, Basis::Assessed, Zone::Wib)),
            ["level-M.PP-2", "level-M.PP-3", "level-M.KOM-1"]
        );
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let a = vec![course(at(2026, 9, 1), 2, 15), course(at(2026, 3, 1), 1, 10)];
        let ms = earned(&a, Basis::Assessed, Zone::Wib);
        assert_eq!(ms[1].key, "jp20-2026");
        assert_eq!(ms[1].earned_at, at(2026, 9, 1));
    }
}
