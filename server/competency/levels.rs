//! The competency level that counts, followed through time, by the agency's gap basis — the
//! one rule milestones and the standing use, so neither can call a level reached or gained
//! that the profile does not show.
//!
//! - Basis `assessed`: the newest assessment where there is one, else the highest level
//!   evidenced by learning. A course's level never lifts a person above their assessed level.
//! - Basis `evidence`: the highest level evidenced, whatever an assessment said.
//!
//! A level is *reached* when the level that counts first stands at it (a milestone, once per
//! level). A level is *gained* only by a rise over a level known before: a first reading (the
//! first assessment, a first course) is where a person starts, not a gain.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::profile::Basis;

/// Where a reading comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Assessed,
    Evidence,
}

/// One reading of a person's level in a competency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub code: String,
    pub level: i32,
    pub at: NaiveDateTime,
    pub source: Source,
}

/// The level that counts in one competency as readings arrive.
#[derive(Debug, Clone, Copy, Default)]
struct Track {
    assessed: Option<i32>,
    evidenced: Option<i32>,
}

impl Track {
    fn read(&mut self, r: &Reading) {
        // A level outside 1–5 is not a reading of the PermenPANRB scale: ignored.
        if !(1..=5).contains(&r.level) {
            return;
        }
        let level = r.level;
        match r.source {
            // The newest assessment replaces the one before (readings come in time order).
            Source::Assessed => self.assessed = Some(level),
            Source::Evidence => self.evidenced = Some(self.evidenced.unwrap_or(0).max(level)),
        }
    }

    fn counts(&self, basis: Basis) -> Option<i32> {
        match basis {
            Basis::Assessed => self.assessed.or(self.evidenced),
            Basis::Evidence => self.evidenced,
        }
    }
}

/// Readings in time order; at the same moment an assessment comes after evidence (it is the
/// more deliberate reading), otherwise the given order is kept.
fn ordered(readings: &[Reading]) -> Vec<&Reading> {
    let mut out: Vec<&Reading> = readings.iter().collect();
    out.sort_by_key(|r| (r.at, r.source == Source::Assessed));
    out
}

/// A level reached: the level that counts stood at `level` for the first time at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub code: String,
    pub level: i32,
    pub at: NaiveDateTime,
}

/// Each new highest level that counts, per competency, when it was first reached. Levels outside
/// 1–5 are never reached.
pub fn reached(readings: &[Reading], basis: Basis) -> Vec<Reached> {
    let mut tracks: BTreeMap<&str, Track> = BTreeMap::new();
    let mut best: BTreeMap<&str, i32> = BTreeMap::new();
    let mut out = Vec::new();
    for r in ordered(readings) {
        let track = tracks.entry(r.code.as_str()).or_default();
        track.read(r);
        let Some(now) = track.counts(basis) else {
            continue;
        };
        let before = best.get(r.code.as_str()).copied().unwrap_or(0);
        if now > before && (1..=5).contains(&now) {
            best.insert(r.code.as_str(), now);
            out.push(Reached {
                code: r.code.clone(),
                level: now,
                at: r.at,
            });
        }
    }
    out
}

/// Levels gained in `[from, to)`, summed over competencies: for each, the level that counts at
/// the end less the level known before — the level at `from`, or, for a competency first read
/// during the period, that first reading. Never negative.
pub fn gained(readings: &[Reading], basis: Basis, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
    let mut tracks: BTreeMap<&str, Track> = BTreeMap::new();
    let mut baseline: BTreeMap<&str, i32> = BTreeMap::new();
    for r in ordered(readings) {
        if r.at >= to {
            break;
        }
        let code = r.code.as_str();
        let track = tracks.entry(code).or_default();
        // The level known before this period: what counted when it began.
        if r.at >= from && !baseline.contains_key(code) {
            if let Some(known) = track.counts(basis) {
                baseline.insert(code, known);
            }
        }
        track.read(r);
        if r.at >= from && !baseline.contains_key(code) {
            // A first reading inside the period is where the person starts.
            if let Some(first) = track.counts(basis) {
                baseline.insert(code, first);
            }
        }
    }
    tracks
        .iter()
        .filter_map(|(code, track)| {
            let start = baseline.get(code)?;
            let end = track.counts(basis)?;
            Some(i64::from((end - start).max(0)))
        })
        .sum()
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

    fn assessed(code: &str, level: i32, t: NaiveDateTime) -> Reading {
        Reading {
            code: code.into(),
            level,
            at: t,
            source: Source::Assessed,
        }
    }

    fn evidence(code: &str, level: i32, t: NaiveDateTime) -> Reading {
        Reading {
            code: code.into(),
            level,
            at: t,
            source: Source::Evidence,
        }
    }

    fn levels(r: &[Reached]) -> Vec<(&str, i32)> {
        r.iter().map(|r| (r.code.as_str(), r.level)).collect()
    }

    #[test]
    fn a_course_does_not_lift_an_assessed_level_on_the_assessed_basis() {
        // The review's case: assessed Komunikasi 1, then a course evidencing level 2.
        let readings = vec![
            assessed("M.KOM", 1, at(2026, 2, 1)),
            evidence("M.KOM", 2, at(2026, 6, 1)),
        ];
        assert_eq!(levels(&reached(&readings, Basis::Assessed)), [("M.KOM", 1)]);
        assert_eq!(levels(&reached(&readings, Basis::Evidence)), [("M.KOM", 2)]);
    }

    #[test]
    fn without_an_assessment_evidence_counts_on_the_assessed_basis() {
        let readings = vec![
            evidence("M.PP", 2, at(2026, 1, 1)),
            evidence("M.PP", 2, at(2026, 2, 1)),
            evidence("M.PP", 1, at(2026, 3, 1)),
            evidence("M.PP", 3, at(2026, 4, 1)),
            evidence("M.KOM", 9, at(2026, 4, 3)),
        ];
        let r = reached(&readings, Basis::Assessed);
        assert_eq!(levels(&r), [("M.PP", 2), ("M.PP", 3)]);
        assert_eq!(r[1].at, at(2026, 4, 1));
    }

    #[test]
    fn a_new_assessment_replaces_the_old_and_only_new_highs_are_reached() {
        let readings = vec![
            assessed("M.PP", 3, at(2025, 1, 1)),
            assessed("M.PP", 2, at(2026, 1, 1)),
            evidence("M.PP", 4, at(2026, 2, 1)),
            assessed("M.PP", 3, at(2026, 3, 1)),
            assessed("M.PP", 4, at(2026, 9, 1)),
        ];
        let r = reached(&readings, Basis::Assessed);
        assert_eq!(levels(&r), [("M.PP", 3), ("M.PP", 4)]);
        assert_eq!(r[1].at, at(2026, 9, 1));
    }

    #[test]
    fn a_first_reading_is_not_a_gain() {
        let y = (at(2026, 1, 1), at(2027, 1, 1));
        // first-ever assessment during the year
        assert_eq!(
            gained(
                &[assessed("M.KOM", 3, at(2026, 3, 1))],
                Basis::Assessed,
                y.0,
                y.1
            ),
            0
        );
        // first-ever course level during the year
        assert_eq!(
            gained(
                &[evidence("M.KOM", 2, at(2026, 3, 1))],
                Basis::Evidence,
                y.0,
                y.1
            ),
            0
        );
        // first reading in the year, then a rise in the same year
        let r = vec![
            evidence("M.KOM", 2, at(2026, 3, 1)),
            evidence("M.KOM", 3, at(2026, 8, 1)),
        ];
        assert_eq!(gained(&r, Basis::Evidence, y.0, y.1), 1);
    }

    #[test]
    fn course_levels_are_not_gains_over_an_assessment_on_the_assessed_basis() {
        let y = (at(2026, 1, 1), at(2027, 1, 1));
        let r = vec![
            assessed("M.PP", 2, at(2025, 6, 1)),
            evidence("M.PP", 4, at(2026, 3, 1)),
        ];
        assert_eq!(gained(&r, Basis::Assessed, y.0, y.1), 0);
        assert_eq!(gained(&r, Basis::Evidence, y.0, y.1), 0, "first evidence");
        let mut r2 = r.clone();
        r2.push(assessed("M.PP", 3, at(2026, 10, 1)));
        assert_eq!(gained(&r2, Basis::Assessed, y.0, y.1), 1);
    }

    #[test]
    fn gains_count_only_the_period_and_never_go_negative() {
        let r = vec![
            assessed("M.PP", 2, at(2025, 6, 1)),
            assessed("M.PP", 3, at(2026, 3, 1)),
            assessed("M.PP", 4, at(2027, 2, 1)),
            assessed("M.OH", 3, at(2025, 1, 1)),
            assessed("M.OH", 1, at(2026, 1, 5)),
        ];
        // M.PP 2 → 3 (+1), M.OH 3 → 1 (0)
        assert_eq!(
            gained(&r, Basis::Assessed, at(2026, 1, 1), at(2027, 1, 1)),
            1
        );
        assert_eq!(
            gained(&[], Basis::Assessed, at(2026, 1, 1), at(2027, 1, 1)),
            0
        );
    }

    #[test]
    fn reading_order_does_not_matter() {
        let a = vec![
            evidence("M.PP", 3, at(2026, 4, 1)),
            evidence("M.PP", 2, at(2026, 1, 1)),
        ];
        let r = reached(&a, Basis::Evidence);
        assert_eq!(levels(&r), [("M.PP", 2), ("M.PP", 3)]);
        assert_eq!(
            gained(&a, Basis::Evidence, at(2026, 1, 1), at(2027, 1, 1)),
            1
        );
    }
}
