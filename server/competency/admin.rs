//! What agency admins set for competencies: the standard of each position (target level per
//! competency), people's assessed levels (by hand or by CSV), and the agency's settings (which
//! level the gap uses, its own yearly JP target).
//!
//! Parsing and planning are plain functions; the writes at the bottom run in one transaction, so
//! an import writes all of its lines or (when any line is wrong) none.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::profile::{Basis, Competency};
use crate::accounts::orgs::{self, AgencyId, Position, PositionId};
use crate::db::schema::{agencies, assessed_levels, position_targets, positions, users};
use crate::db::{DbConnection, DbError};

pub const LEVEL_MIN: i32 = 1;
pub const LEVEL_MAX: i32 = 5;
/// An agency's own yearly JP target, when it sets one.
pub const JP_TARGET_MIN: i32 = 20;
pub const JP_TARGET_MAX: i32 = 200;
/// The longest source text of an assessment.
pub const SOURCE_MAX: usize = 200;
/// The largest pasted CSV an import takes.
pub const CSV_MAX: usize = 2 * 1024 * 1024;

/// The header of a targets import.
pub const TARGETS_HEADER: &str = "jabatan,kode_kompetensi,level";
/// The header of an assessments import.
pub const ASSESSMENTS_HEADER: &str = "nip,kode_kompetensi,level,tanggal,sumber";

// ---------- single values ----------

/// A level 1..5 as typed.
pub fn parse_level(s: &str) -> Option<i32> {
    let n: i32 = s.trim().parse().ok()?;
    (LEVEL_MIN..=LEVEL_MAX).contains(&n).then_some(n)
}

/// A date as people write it: `2026-03-15`, `15/03/2026` or `15-03-2026`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// The agency's own JP target: empty → none; else a whole number 20..200.
pub fn parse_jp_target(s: &str) -> Result<Option<i32>, Refusal> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i32>() {
        Ok(n) if (JP_TARGET_MIN..=JP_TARGET_MAX).contains(&n) => Ok(Some(n)),
        _ => Err(Refusal::JpTarget),
    }
}

/// A competency code as typed: trimmed, in capitals (`m.int` → `M.INT`).
pub fn code_key(s: &str) -> String {
    s.trim().to_uppercase()
}

/// A position name for matching: one line, any case.
fn name_key(s: &str) -> String {
    orgs::normalize_name(s).to_lowercase()
}

/// A NIP as found in a spreadsheet cell: digits only (spaces, dots, dashes and the leading
/// apostrophe spreadsheets add are dropped).
pub fn nip_key(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Why a single form was refused; each has a message `standards.refused.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Basis,
    JpTarget,
    PersonRequired,
    PersonUnknown(String),
    CompetencyUnknown(String),
    Level,
    Date,
    DateFuture,
    SourceRequired,
    SourceTooLong,
    PositionUnknown,
    TimeZone,
}

crate::domain_error!(
    /// A form refused ([`Refusal`]) or the database failing.
    pub StandardsError,
    Refusal
);

crate::domain_error!(
    /// An import refused with the problems of its lines, or the database failing.
    pub ImportError,
    Vec<LineProblem>
);

impl Refusal {
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Refusal::Basis => ("standards.refused.basis", vec![]),
            Refusal::JpTarget => (
                "standards.refused.jp_target",
                vec![
                    ("min", JP_TARGET_MIN.to_string()),
                    ("max", JP_TARGET_MAX.to_string()),
                ],
            ),
            Refusal::PersonRequired => ("standards.refused.person_required", vec![]),
            Refusal::PersonUnknown(p) => {
                ("standards.refused.person_unknown", vec![("who", p.clone())])
            }
            Refusal::CompetencyUnknown(c) => (
                "standards.refused.competency_unknown",
                vec![("code", c.clone())],
            ),
            Refusal::Level => ("standards.refused.level", vec![]),
            Refusal::Date => ("standards.refused.date", vec![]),
            Refusal::DateFuture => ("standards.refused.date_future", vec![]),
            Refusal::SourceRequired => ("standards.refused.source_required", vec![]),
            Refusal::SourceTooLong => (
                "standards.refused.source_too_long",
                vec![("max", SOURCE_MAX.to_string())],
            ),
            Refusal::PositionUnknown => ("standards.refused.position_unknown", vec![]),
            Refusal::TimeZone => (
                "standards.refused.time_zone",
                vec![("accepted", crate::clock::ACCEPTED.to_string())],
            ),
        }
    }
}

fn check_source(s: &str) -> Result<String, Refusal> {
    let s = crate::text::one_line(s);
    if s.is_empty() {
        Err(Refusal::SourceRequired)
    } else if s.chars().count() > SOURCE_MAX {
        Err(Refusal::SourceTooLong)
    } else {
        Ok(s)
    }
}

fn check_date(s: &str, today: NaiveDate) -> Result<NaiveDate, Refusal> {
    let d = parse_date(s).ok_or(Refusal::Date)?;
    if d > today {
        Err(Refusal::DateFuture)
    } else {
        Ok(d)
    }
}

fn check_code(s: &str, dict: &[Competency]) -> Result<String, Refusal> {
    let code = code_key(s);
    if dict.iter().any(|c| c.code == code) {
        Ok(code)
    } else {
        Err(Refusal::CompetencyUnknown(s.trim().to_string()))
    }
}

/// A person of the agency, as an assessment names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub nip: Option<String>,
    pub email: String,
    pub name: String,
}

/// Find a person by NIP or e-mail among the agency's people.
pub fn find_person<'a>(people: &'a [Person], who: &str) -> Option<&'a Person> {
    let who = who.trim();
    if who.contains('@') {
        let email = who.to_lowercase();
        people.iter().find(|p| p.email.to_lowercase() == email)
    } else {
        let nip = nip_key(who);
        if nip.is_empty() {
            return None;
        }
        people
            .iter()
            .find(|p| p.nip.as_deref().map(nip_key).as_deref() == Some(nip.as_str()))
    }
}

/// An assessment ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAssessment {
    pub user_id: i64,
    pub code: String,
    pub level: i32,
    pub assessed_at: NaiveDate,
    pub source: String,
}

/// Check one assessment typed into the form.
pub fn check_assessment(
    people: &[Person],
    dict: &[Competency],
    input: &AssessmentInput<'_>,
    today: NaiveDate,
) -> Result<NewAssessment, Refusal> {
    let who = input.who;
    if who.trim().is_empty() {
        return Err(Refusal::PersonRequired);
    }
    let person =
        find_person(people, who).ok_or_else(|| Refusal::PersonUnknown(who.trim().to_string()))?;
    Ok(NewAssessment {
        user_id: person.id,
        code: check_code(input.code, dict)?,
        level: parse_level(input.level).ok_or(Refusal::Level)?,
        assessed_at: check_date(input.date, today)?,
        source: check_source(input.source)?,
    })
}

// ---------- CSV ----------

/// What is wrong with one line of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    Empty,
    TooLarge,
    Header(&'static str),
    Unreadable(String),
    Fields { found: usize, expected: usize },
    PositionUnknown(String),
    PositionRequired,
    Refused(Refusal),
    Duplicate { first_line: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: u64,
    pub error: LineError,
}

impl LineProblem {
    /// The message key (`standards.err.*` or `standards.refused.*`) and its arguments.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match &self.error {
            LineError::Empty => ("standards.err.empty", vec![]),
            LineError::TooLarge => ("standards.err.too_large", vec![]),
            LineError::Header(h) => ("standards.err.header", vec![("header", h.to_string())]),
            LineError::Unreadable(e) => ("standards.err.unreadable", vec![("error", e.clone())]),
            LineError::Fields { found, expected } => (
                "standards.err.fields",
                vec![
                    ("found", found.to_string()),
                    ("expected", expected.to_string()),
                ],
            ),
            LineError::PositionUnknown(p) => (
                "standards.err.position_unknown",
                vec![("position", p.clone())],
            ),
            LineError::PositionRequired => ("standards.err.position_required", vec![]),
            LineError::Refused(r) => r.message(),
            LineError::Duplicate { first_line } => (
                "standards.err.duplicate",
                vec![("first", first_line.to_string())],
            ),
        }
    }
}

/// The separator of a pasted table, judged from its first line: tab, `;` or `,`.
fn separator(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first.matches(c).count();
    if count('\t') > 0 && count('\t') >= count(';') && count('\t') >= count(',') {
        b'\t'
    } else if count(';') > count(',') {
        b';'
    } else {
        b','
    }
}

/// Rows of a pasted table after its header, each with its line number. The header must name
/// `expected` columns in that order (any case, spaces for `_` allowed).
fn read_rows(text: &str, expected: &'static str) -> Result<Vec<(u64, Vec<String>)>, LineProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > CSV_MAX {
        return Err(LineProblem {
            line: 0,
            error: LineError::TooLarge,
        });
    }
    if text.trim().is_empty() {
        return Err(LineProblem {
            line: 0,
            error: LineError::Empty,
        });
    }
    let want: Vec<&str> = expected.split(',').collect();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut header_seen = false;
    // line numbers counted from the text: the reader's own count skips empty lines
    let line_at = |byte: u64| -> u64 {
        let byte = (byte as usize).min(text.len());
        let mut line = text.as_bytes()[..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        for b in text.as_bytes()[byte..].iter() {
            match b {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
        }
        line
    };
    for record in reader.records() {
        let record = record.map_err(|e| LineProblem {
            line: e.position().map(|p| line_at(p.byte())).unwrap_or(0),
            error: LineError::Unreadable(crate::text::one_line(&e.to_string())),
        })?;
        let line = record.position().map(|p| line_at(p.byte())).unwrap_or(0);
        let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if !header_seen {
            let got: Vec<String> = fields
                .iter()
                .map(|f| f.to_lowercase().replace(' ', "_"))
                .filter(|f| !f.is_empty())
                .collect();
            if got != want {
                return Err(LineProblem {
                    line,
                    error: LineError::Header(expected),
                });
            }
            header_seen = true;
            continue;
        }
        let mut fields = fields;
        while fields.len() > want.len() && fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        rows.push((line, fields));
    }
    if rows.is_empty() {
        return Err(LineProblem {
            line: 0,
            error: LineError::Empty,
        });
    }
    Ok(rows)
}

fn field_count(line: u64, fields: &[String], expected: usize) -> Result<(), LineProblem> {
    if fields.len() == expected {
        Ok(())
    } else {
        Err(LineProblem {
            line,
            error: LineError::Fields {
                found: fields.len(),
                expected,
            },
        })
    }
}

/// One target a targets import sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTarget {
    pub line: u64,
    pub position_id: i64,
    pub code: String,
    pub level: i32,
}

/// Validate a targets table (`jabatan,kode_kompetensi,level`) against the agency's positions and
/// the dictionary. Every problem is reported, by line.
pub fn plan_targets(
    text: &str,
    positions: &[Position],
    dict: &[Competency],
) -> Result<Vec<PlannedTarget>, Vec<LineProblem>> {
    let rows = read_rows(text, TARGETS_HEADER).map_err(|p| vec![p])?;
    let by_name: HashMap<String, i64> = positions
        .iter()
        .map(|p| (name_key(&p.name), p.id))
        .collect();
    let mut problems = Vec::new();
    let mut plan: Vec<PlannedTarget> = Vec::new();
    for (line, fields) in rows {
        if let Err(p) = field_count(line, &fields, 3) {
            problems.push(p);
            continue;
        }
        let fail = |error| LineProblem { line, error };
        let position = if fields[0].is_empty() {
            Err(fail(LineError::PositionRequired))
        } else {
            by_name
                .get(&name_key(&fields[0]))
                .copied()
                .ok_or_else(|| fail(LineError::PositionUnknown(fields[0].clone())))
        };
        let code = check_code(&fields[1], dict).map_err(|r| fail(LineError::Refused(r)));
        let level = parse_level(&fields[2]).ok_or_else(|| fail(LineError::Refused(Refusal::Level)));
        match (position, code, level) {
            (Ok(position_id), Ok(code), Ok(level)) => {
                if let Some(first) = plan
                    .iter()
                    .find(|t| t.position_id == position_id && t.code == code)
                {
                    problems.push(fail(LineError::Duplicate {
                        first_line: first.line,
                    }));
                } else {
                    plan.push(PlannedTarget {
                        line,
                        position_id,
                        code,
                        level,
                    });
                }
            }
            (a, b, c) => {
                problems.extend(a.err());
                problems.extend(b.err());
                problems.extend(c.err());
            }
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

/// Validate an assessments table (`nip,kode_kompetensi,level,tanggal,sumber`) against the
/// agency's people and the dictionary.
pub fn plan_assessments(
    text: &str,
    people: &[Person],
    dict: &[Competency],
    today: NaiveDate,
) -> Result<Vec<NewAssessment>, Vec<LineProblem>> {
    let rows = read_rows(text, ASSESSMENTS_HEADER).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut plan = Vec::new();
    for (line, fields) in rows {
        if let Err(p) = field_count(line, &fields, 5) {
            problems.push(p);
            continue;
        }
        let fail = |r| LineProblem {
            line,
            error: LineError::Refused(r),
        };
        let person = if fields[0].is_empty() {
            Err(fail(Refusal::PersonRequired))
        } else {
            find_person(people, &fields[0])
                .map(|p| p.id)
                .ok_or_else(|| fail(Refusal::PersonUnknown(fields[0].clone())))
        };
        let checks = (
            person,
            check_code(&fields[1], dict).map_err(fail),
            parse_level(&fields[2]).ok_or_else(|| fail(Refusal::Level)),
            check_date(&fields[3], today).map_err(fail),
            check_source(&fields[4]).map_err(fail),
        );
        match checks {
            (Ok(user_id), Ok(code), Ok(level), Ok(assessed_at), Ok(source)) => {
                plan.push(NewAssessment {
                    user_id,
                    code,
                    level,
                    assessed_at,
                    source,
                })
            }
            (a, b, c, d, e) => {
                problems.extend(a.err());
                problems.extend(b.err());
                problems.extend(c.err());
                problems.extend(d.err());
                problems.extend(e.err());
            }
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

// ---------- database ----------

/// The agency's competency settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub basis: Basis,
    pub jp_target: Option<i32>,
}

pub fn settings(conn: &mut DbConnection, agency_id: i64) -> Result<Settings, DbError> {
    let (basis, jp_target): (String, Option<i32>) = agencies::table
        .find(agency_id)
        .select((agencies::gap_basis, agencies::jp_target))
        .first(conn)?;
    Ok(Settings {
        basis: Basis::parse(&basis).unwrap_or(Basis::Assessed),
        jp_target,
    })
}

pub fn save_settings(
    conn: &mut DbConnection,
    agency_id: i64,
    basis: &str,
    jp_target: &str,
) -> Result<(), StandardsError> {
    let Some(basis) = Basis::parse(basis) else {
        return Err(Refusal::Basis.into());
    };
    let jp = parse_jp_target(jp_target)?;
    diesel::update(agencies::table.find(agency_id))
        .set((
            agencies::gap_basis.eq(basis.code()),
            agencies::jp_target.eq(jp),
        ))
        .execute(conn)?;
    Ok(())
}

/// The agency's time zone as stored (`None`: the platform default).
pub fn time_zone(conn: &mut DbConnection, agency_id: i64) -> Result<Option<String>, DbError> {
    Ok(agencies::table
        .find(agency_id)
        .select(agencies::time_zone)
        .first::<Option<String>>(conn)?)
}

/// Set the agency's time zone: one of WIB, WITA, WIT (see [`crate::clock`]); anything else is
/// refused and nothing changes. Written (and audit-logged) only when it changes the zone the
/// agency is in, so saving other settings never pins an agency that follows the platform default.
pub fn save_time_zone(
    conn: &mut DbConnection,
    agency_id: i64,
    zone: &str,
    by: i64,
) -> Result<crate::clock::Zone, StandardsError> {
    let Some(zone) = crate::clock::Zone::parse(zone) else {
        return Err(Refusal::TimeZone.into());
    };
    let stored: Option<String> = agencies::table
        .find(agency_id)
        .select(agencies::time_zone)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    if crate::clock::zone_of_stored(stored.as_deref()) == zone {
        return Ok(zone);
    }
    diesel::update(agencies::table.find(agency_id))
        .set(agencies::time_zone.eq(Some(zone.name())))
        .execute(conn)?;
    crate::db::audit::record(
        conn,
        Some(by),
        "agency.time_zone",
        &format!("agency:{agency_id}"),
        zone.name(),
    )?;
    Ok(zone)
}

/// Explicit targets of every position of an agency: position id → (code, level).
pub fn agency_targets(
    conn: &mut DbConnection,
    agency_id: i64,
) -> Result<HashMap<i64, Vec<(String, i32)>>, DbError> {
    let rows: Vec<(i64, String, i32)> = position_targets::table
        .inner_join(positions::table.on(positions::id.eq(position_targets::position_id)))
        .filter(positions::agency_id.eq(agency_id))
        .order((position_targets::position_id, position_targets::code))
        .select((
            position_targets::position_id,
            position_targets::code,
            position_targets::level,
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<(String, i32)>> = HashMap::new();
    for (p, code, level) in rows {
        out.entry(p).or_default().push((code, level));
    }
    Ok(out)
}

fn upsert_target(
    conn: &mut DbConnection,
    position_id: i64,
    code: &str,
    level: i32,
) -> Result<(), DbError> {
    diesel::delete(
        position_targets::table
            .filter(position_targets::position_id.eq(position_id))
            .filter(position_targets::code.eq(code)),
    )
    .execute(conn)?;
    diesel::insert_into(position_targets::table)
        .values((
            position_targets::position_id.eq(position_id),
            position_targets::code.eq(code),
            position_targets::level.eq(level),
        ))
        .execute(conn)?;
    Ok(())
}

/// Set a position's explicit targets: for each competency of the dictionary, the level in
/// `levels` (by code), or none when absent or empty. Values other than 1..5 are refused.
pub fn set_position_targets(
    conn: &mut DbConnection,
    agency_id: i64,
    position_id: i64,
    levels: &HashMap<String, String>,
) -> Result<(), StandardsError> {
    crate::db::transaction(conn, |conn| {
        if !orgs::position_in_agency(conn, AgencyId(agency_id), PositionId(position_id))? {
            return Err(Refusal::PositionUnknown.into());
        }
        let dict = super::store::dictionary(conn)?;
        let mut chosen: Vec<(String, i32)> = Vec::new();
        for c in &dict {
            match levels.get(&c.code).map(|s| s.trim()).unwrap_or("") {
                "" => {}
                v => match parse_level(v) {
                    Some(l) => chosen.push((c.code.clone(), l)),
                    None => return Err(Refusal::Level.into()),
                },
            }
        }
        diesel::delete(
            position_targets::table.filter(position_targets::position_id.eq(position_id)),
        )
        .execute(conn)?;
        for (code, level) in &chosen {
            upsert_target(conn, position_id, code, *level)?;
        }
        Ok(())
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Lines written: new rows (and, for targets, targets set).
    pub written: usize,
    /// Assessments already recorded for the same person, competency, date and source with
    /// another level: that row's level updated (not a second row).
    pub updated: usize,
    /// Assessments already recorded exactly so (same person, competency, date, source, level):
    /// skipped, so that importing the same file again changes nothing.
    pub skipped: usize,
}

/// Import targets for an agency's positions: all lines or, with problems, nothing.
pub fn import_targets(
    conn: &mut DbConnection,
    agency_id: i64,
    text: &str,
) -> Result<ImportSummary, ImportError> {
    crate::db::transaction(conn, |conn| {
        let dict = super::store::dictionary(conn)?;
        let positions = orgs::positions(conn, agency_id)?;
        let plan = plan_targets(text, &positions, &dict)?;
        for t in &plan {
            upsert_target(conn, t.position_id, &t.code, t.level)?;
        }
        Ok(ImportSummary {
            written: plan.len(),
            ..Default::default()
        })
    })
}

/// The people of an agency, to name in assessments.
pub fn people(conn: &mut DbConnection, agency_id: i64) -> Result<Vec<Person>, DbError> {
    let rows: Vec<(i64, Option<String>, String, String)> = users::table
        .filter(users::agency_id.eq(agency_id))
        .select((users::id, users::nip, users::email, users::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, nip, email, name)| Person {
            id,
            nip,
            email,
            name,
        })
        .collect())
}

fn insert_assessment(
    conn: &mut DbConnection,
    a: &NewAssessment,
    entered_by: i64,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(assessed_levels::table)
        .values((
            assessed_levels::user_id.eq(a.user_id),
            assessed_levels::code.eq(&a.code),
            assessed_levels::level.eq(a.level),
            assessed_levels::assessed_at.eq(a.assessed_at.and_hms_opt(0, 0, 0).unwrap_or(now)),
            assessed_levels::source.eq(&a.source),
            assessed_levels::entered_by.eq(Some(entered_by)),
            assessed_levels::created_at.eq(now),
        ))
        .execute(conn)?;
    super::milestones::award(conn, a.user_id)?;
    Ok(())
}

/// The fields of the assessment form.
#[derive(Debug, Clone, Default)]
pub struct AssessmentInput<'a> {
    pub who: &'a str,
    pub code: &'a str,
    pub level: &'a str,
    pub date: &'a str,
    pub source: &'a str,
}

/// Record one assessment for a person of the agency.
pub fn add_assessment(
    conn: &mut DbConnection,
    agency_id: i64,
    entered_by: i64,
    input: &AssessmentInput<'_>,
    today: NaiveDate,
) -> Result<(), StandardsError> {
    let people = people(conn, agency_id)?;
    let dict = super::store::dictionary(conn)?;
    let a = check_assessment(&people, &dict, input, today)?;
    crate::db::transaction(conn, |conn| {
        insert_assessment(conn, &a, entered_by, Utc::now().naive_utc())
    })?;
    Ok(())
}

/// Import assessments for people of an agency: all lines or, with problems, nothing.
pub fn import_assessments(
    conn: &mut DbConnection,
    agency_id: i64,
    entered_by: i64,
    text: &str,
    today: NaiveDate,
) -> Result<ImportSummary, ImportError> {
    crate::db::transaction(conn, |conn| {
        let people = people(conn, agency_id)?;
        let dict = super::store::dictionary(conn)?;
        let plan = plan_assessments(text, &people, &dict, today)?;
        let now = Utc::now().naive_utc();
        let mut summary = ImportSummary::default();
        for a in &plan {
            // the same person, competency, date and source: that assessment again
            let at = a.assessed_at.and_hms_opt(0, 0, 0).unwrap_or(now);
            let same: Option<(i64, i32)> = assessed_levels::table
                .filter(assessed_levels::user_id.eq(a.user_id))
                .filter(assessed_levels::code.eq(&a.code))
                .filter(assessed_levels::assessed_at.eq(at))
                .filter(assessed_levels::source.eq(&a.source))
                .order(assessed_levels::id.desc())
                .select((assessed_levels::id, assessed_levels::level))
                .first(conn)
                .optional()?;
            match same {
                Some((_, level)) if level == a.level => summary.skipped += 1,
                Some((id, _)) => {
                    diesel::update(assessed_levels::table.find(id))
                        .set((
                            assessed_levels::level.eq(a.level),
                            assessed_levels::entered_by.eq(Some(entered_by)),
                        ))
                        .execute(conn)?;
                    super::milestones::award(conn, a.user_id)?;
                    summary.updated += 1;
                }
                None => {
                    insert_assessment(conn, a, entered_by, now)?;
                    summary.written += 1;
                }
            }
        }
        Ok(summary)
    })
}

/// An assessment as the list shows it.
///
/// Selected with [`RecentAssessment::as_select`] from `assessed_levels` joined with the people.
#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = assessed_levels, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RecentAssessment {
    #[diesel(select_expression = users::name)]
    pub name: String,
    #[diesel(select_expression = users::nip)]
    pub nip: Option<String>,
    #[diesel(select_expression = users::email)]
    pub email: String,
    pub code: String,
    pub level: i32,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub assessed_at: NaiveDateTime,
    pub source: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub created_at: NaiveDateTime,
}

/// The newest entries for people of an agency, newest entered first.
pub fn recent_assessments(
    conn: &mut DbConnection,
    agency_id: i64,
    limit: i64,
) -> Result<Vec<RecentAssessment>, DbError> {
    Ok(assessed_levels::table
        .inner_join(users::table.on(users::id.eq(assessed_levels::user_id)))
        .filter(users::agency_id.eq(agency_id))
        .order((
            assessed_levels::created_at.desc(),
            assessed_levels::id.desc(),
        ))
        .limit(limit)
        .select(RecentAssessment::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> Vec<Competency> {
        [
            ("M.INT", "manajerial"),
            ("SK.PB", "sosial-kultural"),
            ("T.EGOV", "teknis"),
        ]
        .iter()
        .map(|(c, k)| Competency {
            code: c.to_string(),
            name: c.to_string(),
            kind: k.to_string(),
        })
        .collect()
    }

    fn positions() -> Vec<Position> {
        vec![
            Position {
                id: 7,
                agency_id: 1,
                name: "Kepala Seksi Pelayanan".into(),
                kind: "pengawas".into(),
            },
            Position {
                id: 8,
                agency_id: 1,
                name: "Analis Kebijakan Ahli Muda".into(),
                kind: "fungsional_muda".into(),
            },
        ]
    }

    fn people() -> Vec<Person> {
        vec![Person {
            id: 3,
            nip: Some("198503302010012001".into()),
            email: "Siti@Solo.go.id".into(),
            name: "Siti".into(),
        }]
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    #[test]
    fn single_values() {
        assert_eq!(parse_level(" 3 "), Some(3));
        assert_eq!(parse_level("0"), None);
        assert_eq!(parse_level("6"), None);
        assert_eq!(parse_level("dua"), None);
        let d = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        assert_eq!(parse_date("2026-03-15"), Some(d));
        assert_eq!(parse_date("15/03/2026"), Some(d));
        assert_eq!(parse_date("15-03-2026"), Some(d));
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(parse_jp_target(""), Ok(None));
        assert_eq!(parse_jp_target("40"), Ok(Some(40)));
        assert_eq!(parse_jp_target("19"), Err(Refusal::JpTarget));
        assert_eq!(parse_jp_target("201"), Err(Refusal::JpTarget));
        assert_eq!(nip_key("'19850330 201001 2 001"), "198503302010012001");
    }

    #[test]
    fn targets_match_positions_by_name_any_case_and_spacing() {
        let plan = plan_targets(
            "jabatan,kode_kompetensi,level\n  kepala  seksi PELAYANAN ,m.int,3\n\nAnalis Kebijakan Ahli Muda,T.EGOV,4\n",
            &positions(),
            &dict(),
        )
        .unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(
            (plan[0].position_id, plan[0].code.as_str(), plan[0].level),
            (7, "M.INT", 3)
        );
        assert_eq!((plan[1].line, plan[1].position_id), (4, 8));
        // semicolons from an Indonesian spreadsheet
        assert!(plan_targets(
            "Jabatan;Kode Kompetensi;Level\nKepala Seksi Pelayanan;SK.PB;2",
            &positions(),
            &dict()
        )
        .is_ok());
    }

    #[test]
    fn every_bad_target_line_is_reported_with_its_number() {
        let err = plan_targets(
            "jabatan,kode_kompetensi,level\nKepala Seksi Pelayanan,M.INT,3\nLurah,M.INT,3\nKepala Seksi Pelayanan,X.Y,9\nKepala Seksi Pelayanan,m.int,2\nsatu,dua\n",
            &positions(),
            &dict(),
        )
        .unwrap_err();
        let got: Vec<(u64, LineError)> = err.into_iter().map(|p| (p.line, p.error)).collect();
        assert_eq!(
            got,
            vec![
                (3, LineError::PositionUnknown("Lurah".into())),
                (
                    4,
                    LineError::Refused(Refusal::CompetencyUnknown("X.Y".into()))
                ),
                (4, LineError::Refused(Refusal::Level)),
                (5, LineError::Duplicate { first_line: 2 }),
                (
                    6,
                    LineError::Fields {
                        found: 2,
                        expected: 3
                    }
                ),
            ]
        );
        let header = plan_targets("nama,jenis\nA,B", &positions(), &dict()).unwrap_err();
        assert_eq!(header[0].error, LineError::Header(TARGETS_HEADER));
        assert_eq!(
            plan_targets(" \n", &positions(), &dict()).unwrap_err()[0].error,
            LineError::Empty
        );
    }

    #[test]
    fn assessments_name_people_of_the_agency_by_nip_or_email() {
        let plan = plan_assessments(
            "nip,kode_kompetensi,level,tanggal,sumber\n'19850330 201001 2 001,M.INT,3,15/03/2026,Assessment center BKD 2026\nsiti@solo.go.id,t.egov,2,2026-01-02,Uji kompetensi\n",
            &people(),
            &dict(),
            today(),
        )
        .unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].user_id, 3);
        assert_eq!(
            plan[0].assessed_at,
            NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
        );
        assert_eq!(plan[1].code, "T.EGOV");

        let err = plan_assessments(
            "nip,kode_kompetensi,level,tanggal,sumber\n199001012015031001,M.INT,3,2026-01-01,X\n198503302010012001,M.INT,3,2027-01-01,X\n198503302010012001,M.INT,3,1 Maret,\n",
            &people(),
            &dict(),
            today(),
        )
        .unwrap_err();
        let got: Vec<(u64, LineError)> = err.into_iter().map(|p| (p.line, p.error)).collect();
        assert_eq!(
            got,
            vec![
                (
                    2,
                    LineError::Refused(Refusal::PersonUnknown("199001012015031001".into()))
                ),
                (3, LineError::Refused(Refusal::DateFuture)),
                (4, LineError::Refused(Refusal::Date)),
                (4, LineError::Refused(Refusal::SourceRequired)),
            ]
        );
    }

    #[test]
    fn the_form_checks_the_same_way() {
        let input = AssessmentInput {
            who: "SITI@solo.go.id",
            code: "sk.pb",
            level: "4",
            date: "2026-05-31",
            source: "  Assessment   center ",
        };
        let ok = check_assessment(&people(), &dict(), &input, today()).unwrap();
        assert_eq!(
            (ok.code.as_str(), ok.level, ok.source.as_str()),
            ("SK.PB", 4, "Assessment center")
        );
        let no = |who: &str, level: &str| {
            let input = AssessmentInput {
                who,
                code: "M.INT",
                level,
                date: "2026-01-01",
                source: "X",
            };
            check_assessment(&people(), &dict(), &input, today()).unwrap_err()
        };
        assert_eq!(no("", "3"), Refusal::PersonRequired);
        assert_eq!(
            no("lain@x.go.id", "3"),
            Refusal::PersonUnknown("lain@x.go.id".into())
        );
        assert_eq!(no("siti@solo.go.id", "6"), Refusal::Level);
    }
}
