//! The yearly "ASN Pembelajar" standing: who in an agency (and in each unit) developed most in a
//! calendar year — JP earned, competency levels gained, courses completed. The agency admin sees
//! everyone; colleagues see only those who allow it, ranked among themselves.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::competency::levels::{self, Reading, Source};
use crate::db::schema::{
    assessed_levels, competency_evidence, completions, positions, units, users,
};
use crate::db::{DbConnection, DbError};

/// One person's year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub user_id: i64,
    pub name: String,
    pub nip: Option<String>,
    pub unit_id: Option<i64>,
    pub unit: Option<String>,
    pub position: Option<String>,
    /// JP earned in the year (courses and approved activities).
    pub jp: i64,
    /// Courses completed in the year.
    pub completions: i64,
    /// Competency levels gained in the year, summed over competencies: rises of the level that
    /// counts (by the agency's gap basis) over a level known before (`levels::gained`).
    pub levels_gained: i64,
    /// Allows colleagues to see them in the standing.
    pub visible: bool,
}

/// A row with its place. Equal figures share a place (1, 2, 2, 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranked {
    pub rank: usize,
    #[serde(flatten)]
    pub row: Row,
}

fn score(r: &Row) -> (i64, i64, i64) {
    (r.jp, r.levels_gained, r.completions)
}

/// Order by JP, then levels gained, then courses completed (all descending), then name; equal
/// figures share a rank.
pub fn rank(mut rows: Vec<Row>) -> Vec<Ranked> {
    rows.sort_by(|a, b| {
        score(b)
            .cmp(&score(a))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then(a.user_id.cmp(&b.user_id))
    });
    let mut out: Vec<Ranked> = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if score(&prev.row) == score(&row) => prev.rank,
            _ => i + 1,
        };
        out.push(Ranked { rank, row });
    }
    out
}

/// Everyone (not disabled) in an agency with their figures for `year`, unranked.
pub fn rows(conn: &mut DbConnection, agency_id: i64, year: i32) -> Result<Vec<Row>, DbError> {
    type Person = (i64, String, Option<String>, Option<i64>, Option<i64>, bool);
    let people: Vec<Person> = users::table
        .filter(users::agency_id.eq(agency_id))
        .filter(users::disabled.eq(false))
        .select((
            users::id,
            users::name,
            users::nip,
            users::unit_id,
            users::position_id,
            users::show_in_standing,
        ))
        .load(conn)?;
    let ids: Vec<i64> = people.iter().map(|p| p.0).collect();
    let (unit_names, position_names) = unit_and_position_names(conn, agency_id)?;
    let jp = crate::competency::jp::earned_many(conn, &ids, year)?;
    // the agency's year: completions, evidence and assessments bounded in its zone
    let zone = crate::clock::zone_of_agency(conn, Some(agency_id))?;
    let (from, to) = crate::competency::jp::instant_bounds(zone, year);
    let mut done: HashMap<i64, i64> = HashMap::new();
    let basis = crate::competency::store::basis_of(conn, Some(agency_id))?;
    let mut levels: HashMap<i64, Vec<Reading>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let counts: Vec<(i64, i64)> = completions::table
            .filter(completions::user_id.eq_any(chunk))
            .filter(completions::completed_at.ge(from))
            .filter(completions::completed_at.lt(to))
            .group_by(completions::user_id)
            .select((completions::user_id, diesel::dsl::count_star()))
            .load(conn)?;
        done.extend(counts);
        for (u, r) in readings_of(conn, chunk, to, zone)? {
            levels.entry(u).or_default().push(r);
        }
    }
    Ok(people
        .into_iter()
        .map(|(id, name, nip, unit_id, position_id, visible)| Row {
            user_id: id,
            name,
            nip,
            unit_id,
            unit: unit_id.and_then(|u| unit_names.get(&u).cloned()),
            position: position_id.and_then(|p| position_names.get(&p).cloned()),
            jp: jp.get(&id).copied().unwrap_or(0),
            completions: done.get(&id).copied().unwrap_or(0),
            levels_gained: levels
                .get(&id)
                .map(|l| levels::gained(l, basis, from, to))
                .unwrap_or(0),
            visible,
        })
        .collect())
}

/// Names by id.
type Names = HashMap<i64, String>;

/// The names of the agency's units and of its positions.
fn unit_and_position_names(
    conn: &mut DbConnection,
    agency_id: i64,
) -> Result<(Names, Names), DbError> {
    let unit_names: HashMap<i64, String> = units::table
        .filter(units::agency_id.eq(agency_id))
        .select((units::id, units::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let position_names: HashMap<i64, String> = positions::table
        .filter(positions::agency_id.eq(agency_id))
        .select((positions::id, positions::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok((unit_names, position_names))
}

/// The competency levels the people in `chunk` had read before `to`: evidence, then
/// assessments, as (user, reading).
fn readings_of(
    conn: &mut DbConnection,
    chunk: &[i64],
    to: NaiveDateTime,
    zone: crate::clock::Zone,
) -> Result<Vec<(i64, Reading)>, DbError> {
    let evidence: Vec<(i64, String, i32, NaiveDateTime)> = competency_evidence::table
        .filter(competency_evidence::user_id.eq_any(chunk))
        .filter(competency_evidence::earned_at.lt(to))
        .select((
            competency_evidence::user_id,
            competency_evidence::code,
            competency_evidence::level,
            competency_evidence::earned_at,
        ))
        .load(conn)?;
    let assessed: Vec<(i64, String, i32, NaiveDateTime)> = assessed_levels::table
        .filter(assessed_levels::user_id.eq_any(chunk))
        .filter(assessed_levels::assessed_at.lt(to))
        .select((
            assessed_levels::user_id,
            assessed_levels::code,
            assessed_levels::level,
            assessed_levels::assessed_at,
        ))
        .load(conn)?;
    let read = |source| {
        move |(u, code, level, at): (i64, String, i32, NaiveDateTime)| {
            (
                u,
                Reading {
                    code,
                    level,
                    at,
                    source,
                },
            )
        }
    };
    Ok(evidence
        .into_iter()
        .map(read(Source::Evidence))
        .chain(
            assessed
                .into_iter()
                .map(|(u, code, level, on)| {
                    (
                        u,
                        code,
                        level,
                        crate::competency::milestones::assessed_from(on, zone),
                    )
                })
                .map(read(Source::Assessed)),
        )
        .collect())
}

/// Units of an agency summed up for a year: people, JP, who reached the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitSummary {
    pub unit_id: Option<i64>,
    pub unit: Option<String>,
    pub people: usize,
    pub jp: i64,
    pub completions: i64,
    pub levels_gained: i64,
    /// People at or above the JP target.
    pub reached: usize,
    /// Mean JP per person, one decimal.
    pub jp_per_person: f64,
}

/// One summary per unit (people without a unit together), by mean JP per person, descending.
pub fn units(rows: &[Row], target: i64) -> Vec<UnitSummary> {
    let mut by: BTreeMap<Option<i64>, UnitSummary> = BTreeMap::new();
    for r in rows {
        let s = by.entry(r.unit_id).or_insert_with(|| UnitSummary {
            unit_id: r.unit_id,
            unit: r.unit.clone(),
            people: 0,
            jp: 0,
            completions: 0,
            levels_gained: 0,
            reached: 0,
            jp_per_person: 0.0,
        });
        s.people += 1;
        s.jp += r.jp;
        s.completions += r.completions;
        s.levels_gained += r.levels_gained;
        if r.jp >= target {
            s.reached += 1;
        }
    }
    let mut out: Vec<UnitSummary> = by
        .into_values()
        .map(|mut s| {
            s.jp_per_person = (s.jp as f64 / s.people.max(1) as f64 * 10.0).round() / 10.0;
            s
        })
        .collect();
    out.sort_by(|a, b| {
        b.jp_per_person
            .total_cmp(&a.jp_per_person)
            .then_with(|| a.unit.cmp(&b.unit))
    });
    out
}

/// A page of a standing: 50 people at a time, so a large agency's page stays light.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: usize,
    pub pages: usize,
    pub len: usize,
}

impl Page {
    pub const SIZE: usize = 50;

    /// The page asked for (`raw`, 1-based), clamped to the pages there are: unreadable or below
    /// 1 is the first, beyond the end the last.
    pub fn of(len: usize, raw: &str) -> Page {
        let pages = len.div_ceil(Self::SIZE).max(1);
        let raw = raw.trim();
        let page = match raw.parse::<usize>() {
            Ok(n) => n.clamp(1, pages),
            Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => pages,
            Err(_) => 1,
        };
        Page { page, pages, len }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        let start = ((self.page - 1) * Self::SIZE).min(self.len);
        start..(start + Self::SIZE).min(self.len)
    }

    /// What a page shows about paging: the first and last place shown, of how many, and links to
    /// the neighbouring pages (`base` is the query so far, `anchor` where to land).
    pub fn links(&self, base: &str, anchor: &str) -> serde_json::Value {
        let r = self.range();
        let link = |p: usize| format!("{base}&page={p}{anchor}");
        serde_json::json!({
            "page": self.page,
            "pages": self.pages,
            "from": if self.len == 0 { 0 } else { r.start + 1 },
            "to": r.end,
            "total": self.len,
            "prev": (self.page > 1).then(|| link(self.page - 1)),
            "next": (self.page < self.pages).then(|| link(self.page + 1)),
        })
    }
}

/// What a colleague may see: only those who allow it, ranked among themselves.
pub fn for_colleagues(rows: &[Row]) -> Vec<Ranked> {
    rank(rows.iter().filter(|r| r.visible).cloned().collect())
}

/// Whether `user_id` shows in the standing their colleagues see.
pub fn shown(conn: &mut DbConnection, user_id: i64) -> Result<bool, DbError> {
    Ok(users::table
        .find(user_id)
        .select(users::show_in_standing)
        .first(conn)?)
}

/// Show `user_id` in the standing, or hide them (their own choice; audited).
pub fn set_shown(conn: &mut DbConnection, user_id: i64, show: bool) -> Result<(), DbError> {
    diesel::update(users::table.find(user_id))
        .set(users::show_in_standing.eq(show))
        .execute(conn)?;
    crate::db::audit::record(
        conn,
        Some(user_id),
        "user.standing_visibility",
        &format!("user:{user_id}"),
        if show { "shown" } else { "hidden" },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, jp: i64, levels: i64, done: i64, visible: bool) -> Row {
        Row {
            user_id: id,
            name: name.into(),
            nip: None,
            unit_id: Some(id % 2),
            unit: Some(format!("Unit {}", id % 2)),
            position: None,
            jp,
            completions: done,
            levels_gained: levels,
            visible,
        }
    }

    #[test]
    fn ranks_by_jp_then_levels_then_courses_and_ties_share_a_place() {
        let ranked = rank(vec![
            row(1, "Budi", 20, 1, 2, true),
            row(2, "Ani", 30, 0, 1, true),
            row(3, "Citra", 20, 1, 2, true),
            row(4, "Dewi", 20, 2, 1, true),
            row(5, "Eko", 0, 0, 0, true),
        ]);
        let got: Vec<(usize, &str)> = ranked
            .iter()
            .map(|r| (r.rank, r.row.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "Ani"),
                (2, "Dewi"),
                (3, "Budi"),
                (3, "Citra"),
                (5, "Eko")
            ]
        );
    }

    #[test]
    fn colleagues_see_only_who_allows_it_ranked_among_themselves() {
        let rows = vec![
            row(1, "Budi", 50, 0, 0, false),
            row(2, "Ani", 30, 0, 0, true),
            row(3, "Citra", 10, 0, 0, true),
        ];
        let seen = for_colleagues(&rows);
        assert_eq!(seen.len(), 2);
        assert_eq!((seen[0].rank, seen[0].row.name.as_str()), (1, "Ani"));
        assert!(seen.iter().all(|r| r.row.name != "Budi"));
    }

    #[test]
    fn pages_hold_fifty_and_clamp() {
        let p = Page::of(2000, "");
        assert_eq!((p.page, p.pages, p.range()), (1, 40, 0..50));
        assert_eq!(Page::of(2000, "40").range(), 1950..2000);
        assert_eq!(Page::of(2000, "99").page, 40);
        assert_eq!(Page::of(2000, "-3").page, 1);
        assert_eq!(Page::of(2000, "99999999999999999999999").page, 40);
        assert_eq!(Page::of(0, "2").range(), 0..0);
        assert_eq!(Page::of(51, "2").range(), 50..51);
        let l = Page::of(120, "2").links("?year=2026", "#standing");
        assert_eq!(l["prev"], "?year=2026&page=1#standing");
        assert_eq!(l["next"], "?year=2026&page=3#standing");
        assert_eq!(
            (l["from"].as_u64(), l["to"].as_u64()),
            (Some(51), Some(100))
        );
    }

    #[test]
    fn units_sum_and_order_by_mean_jp() {
        let rows = vec![
            row(1, "A", 10, 1, 1, true),
            row(3, "B", 30, 0, 2, false),
            row(2, "C", 25, 0, 1, true),
        ];
        let u = units(&rows, 20);
        assert_eq!(u[0].unit_id, Some(0));
        assert_eq!((u[0].people, u[0].jp, u[0].reached), (1, 25, 1));
        assert_eq!((u[1].people, u[1].jp, u[1].reached), (2, 40, 1));
        assert_eq!(u[1].jp_per_person, 20.0);
        assert_eq!(u[1].levels_gained, 1);
    }
}
