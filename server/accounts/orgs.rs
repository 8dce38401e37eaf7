//! Agencies (instansi), units (unit kerja, nested) and positions (jabatan): queries.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{agencies, positions, units, users};
use crate::db::{DbConnection, DbError};

/// The id of an agency, a unit or a position where a function takes more than one of them: the
/// org functions name the agency first, and the types keep a unit's id from standing where the
/// agency's is meant (or the other way round).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgencyId(pub i64);

/// See [`AgencyId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnitId(pub i64);

/// See [`AgencyId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PositionId(pub i64);

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = agencies)]
pub struct Agency {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: i64,
    pub agency_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = positions)]
pub struct Position {
    pub id: i64,
    pub agency_id: i64,
    pub name: String,
    pub kind: String,
}

/// A unit with its place in the tree, for a select list: `depth` and the full path label.
#[derive(Debug, Clone, Serialize)]
pub struct UnitChoice {
    pub id: i64,
    /// The full path, from the top: `Sekretariat › Subbagian Umum`.
    pub label: String,
    pub depth: usize,
    /// What a dropdown shows: the unit's own name first, then where it sits
    /// (`Subbagian Umum — Sekretariat`), so that options cut to the screen's width still differ
    /// and typing the name's first letters finds it.
    pub choice: String,
}

/// What a profile form offers: every agency, and the units and positions of one agency.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Choices {
    pub agencies: Vec<Agency>,
    pub units: Vec<UnitChoice>,
    pub positions: Vec<Position>,
}

pub fn agencies(conn: &mut DbConnection) -> Result<Vec<Agency>, DbError> {
    Ok(agencies::table
        .select(Agency::as_select())
        .order(agencies::name)
        .load(conn)?)
}

pub fn agency(conn: &mut DbConnection, id: i64) -> Result<Option<Agency>, DbError> {
    Ok(agencies::table
        .find(id)
        .select(Agency::as_select())
        .first(conn)
        .optional()?)
}

pub fn agency_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Agency>, DbError> {
    Ok(agencies::table
        .filter(agencies::code.eq(code))
        .select(Agency::as_select())
        .first(conn)
        .optional()?)
}

pub fn agency_exists(conn: &mut DbConnection, id: i64) -> Result<bool, DbError> {
    Ok(agency(conn, id)?.is_some())
}

pub fn units(conn: &mut DbConnection, agency_id: i64) -> Result<Vec<Unit>, DbError> {
    Ok(units::table
        .filter(units::agency_id.eq(agency_id))
        .select(Unit::as_select())
        .order(units::name)
        .load(conn)?)
}

pub fn positions(conn: &mut DbConnection, agency_id: i64) -> Result<Vec<Position>, DbError> {
    Ok(positions::table
        .filter(positions::agency_id.eq(agency_id))
        .select(Position::as_select())
        .order(positions::name)
        .load(conn)?)
}

pub fn unit_in_agency(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    UnitId(unit_id): UnitId,
) -> Result<bool, DbError> {
    Ok(units::table
        .find(unit_id)
        .filter(units::agency_id.eq(agency_id))
        .select(units::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

pub fn position_in_agency(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    PositionId(position_id): PositionId,
) -> Result<bool, DbError> {
    Ok(positions::table
        .find(position_id)
        .filter(positions::agency_id.eq(agency_id))
        .select(positions::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Units in tree order (parents before children), each labelled with its path.
pub fn unit_tree(units: &[Unit]) -> Vec<UnitChoice> {
    fn walk(
        units: &[Unit],
        parent: Option<i64>,
        prefix: &str,
        depth: usize,
        out: &mut Vec<UnitChoice>,
        seen: &mut Vec<i64>,
    ) {
        for u in units.iter().filter(|u| u.parent_id == parent) {
            if seen.contains(&u.id) {
                continue;
            }
            seen.push(u.id);
            let label = if prefix.is_empty() {
                u.name.clone()
            } else {
                format!("{prefix} › {}", u.name)
            };
            out.push(UnitChoice {
                id: u.id,
                label: label.clone(),
                depth,
                choice: if prefix.is_empty() {
                    u.name.clone()
                } else {
                    format!("{} — {prefix}", u.name)
                },
            });
            walk(units, Some(u.id), &label, depth + 1, out, seen);
        }
    }
    let mut sorted: Vec<Unit> = units.to_vec();
    sorted.sort_by_key(|a| a.name.to_lowercase());
    let units = &sorted[..];
    let mut out = Vec::new();
    let mut seen = Vec::new();
    walk(units, None, "", 0, &mut out, &mut seen);
    // units whose parent is missing (another agency, deleted) still appear
    for u in units {
        if !seen.contains(&u.id) {
            out.push(UnitChoice {
                id: u.id,
                label: u.name.clone(),
                depth: 0,
                choice: u.name.clone(),
            });
        }
    }
    out
}

pub fn choices(conn: &mut DbConnection, agency_id: Option<i64>) -> Result<Choices, DbError> {
    let agencies = agencies(conn)?;
    let (units, positions) = match agency_id {
        Some(a) => (unit_tree(&units(conn, a)?), positions(conn, a)?),
        None => (Vec::new(), Vec::new()),
    };
    Ok(Choices {
        agencies,
        units,
        positions,
    })
}

// ---------- kinds ----------

/// Kinds of agency (instansi): central, provincial, regency, city, other.
pub const AGENCY_KINDS: [&str; 5] = ["pusat", "provinsi", "kabupaten", "kota", "lainnya"];

/// Kinds of position (jabatan), as in the competency standard (PermenPANRB 38/2017): each has a
/// usual target level (JPT Utama and Madya 5 … Pelaksana 1; functional Ahli Utama 5 … Pemula 1).
/// The codes already stored (`fungsional_utama` … `fungsional_terampil`) keep their meaning: the
/// `fungsional_*` codes without "ahli" in the label are the Ahli (expert) grades, the skill grades
/// are `fungsional_penyelia`, `fungsional_mahir`, `fungsional_terampil` and `fungsional_pemula`.
pub const POSITION_KINDS: [&str; 14] = [
    "jpt_utama",
    "jpt_madya",
    "jpt_pratama",
    "administrator",
    "pengawas",
    "pelaksana",
    "fungsional_utama",
    "fungsional_madya",
    "fungsional_muda",
    "fungsional_pertama",
    "fungsional_penyelia",
    "fungsional_mahir",
    "fungsional_terampil",
    "fungsional_pemula",
];

pub fn parse_agency_kind(s: &str) -> Option<&'static str> {
    let s = s.trim().to_lowercase();
    AGENCY_KINDS.iter().find(|k| **k == s).copied()
}

/// A position kind from its code (`jpt_pratama`) or a label people write ("JPT Pratama",
/// "Jabatan Pimpinan Tinggi Pratama", "Fungsional Ahli Muda", "JF Ahli Pertama"), any case.
pub fn parse_position_kind(s: &str) -> Option<&'static str> {
    let lower = s.trim().to_lowercase();
    if let Some(k) = POSITION_KINDS.iter().find(|k| **k == lower) {
        return Some(k);
    }
    let text = lower
        .replace(['_', '-', '.', '(', ')', '/'], " ")
        .replace("pimpinan tinggi", "jpt");
    let mut words = Vec::new();
    for w in text.split_whitespace() {
        match w {
            "jabatan" | "ahli" => {}
            "jf" => words.push("fungsional"),
            w => words.push(w),
        }
    }
    let joined = words.join(" ");
    POSITION_KINDS
        .iter()
        .find(|k| k.replace('_', " ") == joined)
        .copied()
}

// ---------- names and codes ----------

pub const NAME_MAX: usize = 200;

/// A name as stored: trimmed, every run of whitespace one space.
pub fn normalize_name(s: &str) -> String {
    crate::text::one_line(s)
}

fn name_key(s: &str) -> String {
    normalize_name(s).to_lowercase()
}

fn check_name(s: &str) -> Result<String, Refusal> {
    let name = normalize_name(s);
    if name.is_empty() {
        Err(Refusal::NameRequired)
    } else if name.chars().count() > NAME_MAX {
        Err(Refusal::NameTooLong)
    } else {
        Ok(name)
    }
}

/// An agency code: letters, digits, `-`, `_`, `.`; 2 to 40 characters; kept in capitals.
pub fn parse_agency_code(s: &str) -> Option<String> {
    let code = s.trim().to_uppercase();
    let ok = (2..=40).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then_some(code)
}

// ---------- refusals ----------

/// Why a change was refused; each has a message (`admin.refused.*`) that says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NameRequired,
    NameTooLong,
    CodeInvalid,
    CodeTaken,
    AgencyKindUnknown,
    PositionKindUnknown,
    UnitNameTaken,
    ParentNotFound,
    ParentCycle,
    UnitInUse { children: usize, users: usize },
    PositionNameTaken,
    PositionInUse { users: usize },
    NotFound,
}

impl Refusal {
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::NameRequired => "admin.refused.name_required",
            Refusal::NameTooLong => "admin.refused.name_too_long",
            Refusal::CodeInvalid => "admin.refused.code_invalid",
            Refusal::CodeTaken => "admin.refused.code_taken",
            Refusal::AgencyKindUnknown => "admin.refused.agency_kind_unknown",
            Refusal::PositionKindUnknown => "admin.refused.position_kind_unknown",
            Refusal::UnitNameTaken => "admin.refused.unit_name_taken",
            Refusal::ParentNotFound => "admin.refused.parent_not_found",
            Refusal::ParentCycle => "admin.refused.parent_cycle",
            Refusal::UnitInUse { .. } => "admin.refused.unit_in_use",
            Refusal::PositionNameTaken => "admin.refused.position_name_taken",
            Refusal::PositionInUse { .. } => "admin.refused.position_in_use",
            Refusal::NotFound => "admin.refused.not_found",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Refusal::NameTooLong => vec![("max", NAME_MAX.to_string())],
            Refusal::UnitInUse { children, users } => vec![
                ("children", children.to_string()),
                ("users", users.to_string()),
            ],
            Refusal::PositionInUse { users } => vec![("users", users.to_string())],
            _ => Vec::new(),
        }
    }
}

crate::domain_error!(
    /// Why a change to an agency, its units or positions did not happen.
    pub OrgError,
    Refusal
);

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

// ---------- agencies ----------

fn check_agency(
    code: &str,
    name: &str,
    kind: &str,
) -> Result<(String, String, &'static str), Refusal> {
    let code = parse_agency_code(code).ok_or(Refusal::CodeInvalid)?;
    let name = check_name(name)?;
    let kind = parse_agency_kind(kind).ok_or(Refusal::AgencyKindUnknown)?;
    Ok((code, name, kind))
}

pub fn create_agency(
    conn: &mut DbConnection,
    code: &str,
    name: &str,
    kind: &str,
) -> Result<i64, OrgError> {
    let (code, name, kind) = check_agency(code, name, kind)?;
    crate::db::transaction(conn, |conn| {
        if agency_by_code(conn, &code)?.is_some() {
            return Err(Refusal::CodeTaken.into());
        }
        Ok(diesel::insert_into(agencies::table)
            .values((
                agencies::code.eq(&code),
                agencies::name.eq(&name),
                agencies::kind.eq(kind),
                agencies::created_at.eq(now()),
            ))
            .returning(agencies::id)
            .get_result::<i64>(conn)?)
    })
}

pub fn update_agency(
    conn: &mut DbConnection,
    id: i64,
    code: &str,
    name: &str,
    kind: &str,
) -> Result<(), OrgError> {
    let (code, name, kind) = check_agency(code, name, kind)?;
    crate::db::transaction(conn, |conn| {
        if agency(conn, id)?.is_none() {
            return Err(Refusal::NotFound.into());
        }
        if agency_by_code(conn, &code)?.is_some_and(|a| a.id != id) {
            return Err(Refusal::CodeTaken.into());
        }
        diesel::update(agencies::table.find(id))
            .set((
                agencies::code.eq(&code),
                agencies::name.eq(&name),
                agencies::kind.eq(kind),
            ))
            .execute(conn)?;
        Ok(())
    })
}

// ---------- units ----------

pub fn unit(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    UnitId(unit_id): UnitId,
) -> Result<Option<Unit>, DbError> {
    Ok(units::table
        .find(unit_id)
        .filter(units::agency_id.eq(agency_id))
        .select(Unit::as_select())
        .first(conn)
        .optional()?)
}

/// Whether making `new_parent` the parent of `unit_id` would put the unit inside itself.
pub fn creates_cycle(units: &[Unit], unit_id: i64, new_parent: i64) -> bool {
    let parent_of: HashMap<i64, Option<i64>> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    let mut at = Some(new_parent);
    let mut steps = 0;
    while let Some(id) = at {
        if id == unit_id {
            return true;
        }
        steps += 1;
        if steps > units.len() + 1 {
            return true; // the tree is already broken; refuse rather than loop
        }
        at = parent_of.get(&id).copied().flatten();
    }
    false
}

/// `unit_id` and every unit below it.
pub fn subtree(units: &[Unit], unit_id: i64) -> HashSet<i64> {
    let mut out = HashSet::from([unit_id]);
    loop {
        let before = out.len();
        for u in units {
            if u.parent_id.is_some_and(|p| out.contains(&p)) {
                out.insert(u.id);
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Check a unit's name and parent against the agency's other units.
fn check_unit(
    all: &[Unit],
    unit_id: Option<i64>,
    name: &str,
    parent_id: Option<i64>,
) -> Result<String, Refusal> {
    let name = check_name(name)?;
    if let Some(p) = parent_id {
        if !all.iter().any(|u| u.id == p) {
            return Err(Refusal::ParentNotFound);
        }
        if unit_id.is_some_and(|id| creates_cycle(all, id, p)) {
            return Err(Refusal::ParentCycle);
        }
    }
    let key = name_key(&name);
    if all
        .iter()
        .any(|u| Some(u.id) != unit_id && u.parent_id == parent_id && name_key(&u.name) == key)
    {
        return Err(Refusal::UnitNameTaken);
    }
    Ok(name)
}

pub fn create_unit(
    conn: &mut DbConnection,
    agency_id: i64,
    name: &str,
    parent_id: Option<i64>,
) -> Result<i64, OrgError> {
    crate::db::transaction(conn, |conn| {
        let all = units(conn, agency_id)?;
        let name = check_unit(&all, None, name, parent_id)?;
        Ok(insert_unit(conn, agency_id, &name, parent_id)?)
    })
}

fn insert_unit(
    conn: &mut DbConnection,
    agency_id: i64,
    name: &str,
    parent_id: Option<i64>,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(units::table)
        .values((
            units::agency_id.eq(agency_id),
            units::parent_id.eq(parent_id),
            units::name.eq(name),
            units::created_at.eq(now()),
        ))
        .returning(units::id)
        .get_result::<i64>(conn)?)
}

/// Rename a unit and/or move it under another unit of the same agency (or to the top).
pub fn update_unit(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    UnitId(unit_id): UnitId,
    name: &str,
    parent_id: Option<i64>,
) -> Result<(), OrgError> {
    crate::db::transaction(conn, |conn| {
        let all = units(conn, agency_id)?;
        if !all.iter().any(|u| u.id == unit_id) {
            return Err(Refusal::NotFound.into());
        }
        let name = check_unit(&all, Some(unit_id), name, parent_id)?;
        diesel::update(units::table.find(unit_id))
            .set((units::name.eq(&name), units::parent_id.eq(parent_id)))
            .execute(conn)?;
        Ok(())
    })
}

/// Delete a unit that has no sub-unit and nobody in it.
pub fn delete_unit(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    UnitId(unit_id): UnitId,
) -> Result<(), OrgError> {
    crate::db::transaction(conn, |conn| {
        if unit(conn, AgencyId(agency_id), UnitId(unit_id))?.is_none() {
            return Err(Refusal::NotFound.into());
        }
        let children = units::table
            .filter(units::parent_id.eq(unit_id))
            .select(units::id)
            .load::<i64>(conn)?
            .len();
        let users = users::table
            .filter(users::unit_id.eq(unit_id))
            .select(users::id)
            .load::<i64>(conn)?
            .len();
        if children > 0 || users > 0 {
            return Err(Refusal::UnitInUse { children, users }.into());
        }
        diesel::delete(units::table.find(unit_id)).execute(conn)?;
        Ok(())
    })
}

/// How many times each id occurs.
fn tally(ids: Vec<Option<i64>>) -> HashMap<i64, usize> {
    let mut out = HashMap::new();
    for id in ids.into_iter().flatten() {
        *out.entry(id).or_insert(0) += 1;
    }
    out
}

/// How many people each unit of the agency holds.
pub fn users_per_unit(
    conn: &mut DbConnection,
    agency_id: i64,
) -> Result<HashMap<i64, usize>, DbError> {
    let ids: Vec<Option<i64>> = users::table
        .filter(
            users::unit_id.eq_any(
                units::table
                    .filter(units::agency_id.eq(agency_id))
                    .select(units::id.nullable()),
            ),
        )
        .select(users::unit_id)
        .load(conn)?;
    Ok(tally(ids))
}

/// How many people hold each position of the agency.
pub fn users_per_position(
    conn: &mut DbConnection,
    agency_id: i64,
) -> Result<HashMap<i64, usize>, DbError> {
    let ids: Vec<Option<i64>> = users::table
        .filter(
            users::position_id.eq_any(
                positions::table
                    .filter(positions::agency_id.eq(agency_id))
                    .select(positions::id.nullable()),
            ),
        )
        .select(users::position_id)
        .load(conn)?;
    Ok(tally(ids))
}

// ---------- positions ----------

pub fn position(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    PositionId(position_id): PositionId,
) -> Result<Option<Position>, DbError> {
    Ok(positions::table
        .find(position_id)
        .filter(positions::agency_id.eq(agency_id))
        .select(Position::as_select())
        .first(conn)
        .optional()?)
}

fn check_position(
    all: &[Position],
    position_id: Option<i64>,
    name: &str,
    kind: &str,
) -> Result<(String, &'static str), Refusal> {
    let name = check_name(name)?;
    let kind = parse_position_kind(kind).ok_or(Refusal::PositionKindUnknown)?;
    let key = name_key(&name);
    if all
        .iter()
        .any(|p| Some(p.id) != position_id && name_key(&p.name) == key)
    {
        return Err(Refusal::PositionNameTaken);
    }
    Ok((name, kind))
}

fn insert_position(
    conn: &mut DbConnection,
    agency_id: i64,
    name: &str,
    kind: &str,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(positions::table)
        .values((
            positions::agency_id.eq(agency_id),
            positions::name.eq(name),
            positions::kind.eq(kind),
            positions::created_at.eq(now()),
        ))
        .returning(positions::id)
        .get_result::<i64>(conn)?)
}

pub fn create_position(
    conn: &mut DbConnection,
    agency_id: i64,
    name: &str,
    kind: &str,
) -> Result<i64, OrgError> {
    crate::db::transaction(conn, |conn| {
        let all = positions(conn, agency_id)?;
        let (name, kind) = check_position(&all, None, name, kind)?;
        Ok(insert_position(conn, agency_id, &name, kind)?)
    })
}

/// Rename a position or correct its kind (everyone holding it follows).
pub fn update_position(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    PositionId(position_id): PositionId,
    name: &str,
    kind: &str,
) -> Result<(), OrgError> {
    crate::db::transaction(conn, |conn| {
        let all = positions(conn, agency_id)?;
        if !all.iter().any(|p| p.id == position_id) {
            return Err(Refusal::NotFound.into());
        }
        let (name, kind) = check_position(&all, Some(position_id), name, kind)?;
        diesel::update(positions::table.find(position_id))
            .set((positions::name.eq(&name), positions::kind.eq(kind)))
            .execute(conn)?;
        Ok(())
    })
}

/// Delete a position nobody holds.
pub fn delete_position(
    conn: &mut DbConnection,
    AgencyId(agency_id): AgencyId,
    PositionId(position_id): PositionId,
) -> Result<(), OrgError> {
    crate::db::transaction(conn, |conn| {
        if position(conn, AgencyId(agency_id), PositionId(position_id))?.is_none() {
            return Err(Refusal::NotFound.into());
        }
        let users = users::table
            .filter(users::position_id.eq(position_id))
            .select(users::id)
            .load::<i64>(conn)?
            .len();
        if users > 0 {
            return Err(Refusal::PositionInUse { users }.into());
        }
        diesel::delete(positions::table.find(position_id)).execute(conn)?;
        Ok(())
    })
}

// ---------- CSV import ----------

/// Which pasted table a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportSection {
    Units,
    Positions,
}

impl ImportSection {
    /// The header a table of this section should start with.
    pub fn expected_header(self) -> &'static str {
        match self {
            ImportSection::Units => "nama,induk",
            ImportSection::Positions => "nama,jenis",
        }
    }
}

/// What is wrong with one line of a pasted table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The first line is not a header with a `nama` column.
    NoHeader,
    UnknownColumn(String),
    /// A column that the section needs (`jenis`) is missing from the header.
    MissingColumn(&'static str),
    TooManyFields {
        found: usize,
        expected: usize,
    },
    NameRequired,
    NameTooLong,
    ParentMissing(String),
    ParentAmbiguous(String),
    KindRequired,
    KindUnknown(String),
    DuplicateOtherKind {
        first_line: u64,
    },
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub section: ImportSection,
    pub line: u64,
    pub error: ImportError,
}

impl ImportProblem {
    /// The message key (`admin.import.err.*`) and its arguments.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        let header = ("header", self.section.expected_header().to_string());
        match &self.error {
            ImportError::NoHeader => ("admin.import.err.no_header", vec![header]),
            ImportError::UnknownColumn(c) => (
                "admin.import.err.unknown_column",
                vec![("column", c.clone()), header],
            ),
            ImportError::MissingColumn(c) => (
                "admin.import.err.missing_column",
                vec![("column", c.to_string()), header],
            ),
            ImportError::TooManyFields { found, expected } => (
                "admin.import.err.too_many_fields",
                vec![
                    ("found", found.to_string()),
                    ("expected", expected.to_string()),
                ],
            ),
            ImportError::NameRequired => ("admin.import.err.name_required", vec![]),
            ImportError::NameTooLong => (
                "admin.import.err.name_too_long",
                vec![("max", NAME_MAX.to_string())],
            ),
            ImportError::ParentMissing(p) => (
                "admin.import.err.parent_missing",
                vec![("parent", p.clone())],
            ),
            ImportError::ParentAmbiguous(p) => (
                "admin.import.err.parent_ambiguous",
                vec![("parent", p.clone())],
            ),
            ImportError::KindRequired => ("admin.import.err.kind_required", vec![]),
            ImportError::KindUnknown(k) => {
                ("admin.import.err.kind_unknown", vec![("kind", k.clone())])
            }
            ImportError::DuplicateOtherKind { first_line } => (
                "admin.import.err.duplicate_other_kind",
                vec![("first", first_line.to_string())],
            ),
            ImportError::Unreadable(e) => {
                ("admin.import.err.unreadable", vec![("error", e.clone())])
            }
        }
    }
}

/// Where a planned unit hangs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentRef {
    Existing(i64),
    /// A unit planned earlier in the same import (index into [`ImportPlan::units`]).
    New(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUnit {
    pub line: u64,
    pub name: String,
    pub parent: Option<ParentRef>,
}

/// What an import will write: only what is not there yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub units: Vec<PlannedUnit>,
    pub positions: Vec<(String, &'static str)>,
    pub units_existing: usize,
    pub positions_existing: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub units_added: usize,
    pub units_existing: usize,
    pub positions_added: usize,
    pub positions_existing: usize,
}

/// A pasted table: header (lower-cased) and rows, each with its line number.
struct Table {
    header_line: u64,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

/// The separator a table uses, judged from its first line: tab (pasted from a spreadsheet), `;`
/// (spreadsheets set to Indonesian) or `,`.
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

/// The line a record starts on. The reader's own line count stops before the empty lines it
/// skips, so count from its byte offset and step over them.
fn line_at(text: &str, byte: u64) -> u64 {
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
}

fn read_table(text: &str, section: ImportSection) -> Result<Option<Table>, ImportProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table: Option<Table> = None;
    for record in reader.records() {
        let record = record.map_err(|e| ImportProblem {
            section,
            line: e.position().map(|p| line_at(text, p.byte())).unwrap_or(0),
            error: ImportError::Unreadable(crate::text::one_line(&e.to_string())),
        })?;
        let line = record
            .position()
            .map(|p| line_at(text, p.byte()))
            .unwrap_or(0);
        let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        match table.as_mut() {
            None => {
                table = Some(Table {
                    header_line: line,
                    header: fields.iter().map(|f| name_key(f)).collect(),
                    rows: Vec::new(),
                })
            }
            Some(t) => t.rows.push((line, fields)),
        }
    }
    Ok(table)
}

/// Column positions for a section's header: (name, second column).
fn columns(
    table: &Table,
    section: ImportSection,
    problems: &mut Vec<ImportProblem>,
) -> Option<(usize, Option<usize>)> {
    let (names, second): (&[&str], &[&str]) = match section {
        ImportSection::Units => (
            &[
                "nama",
                "name",
                "nama unit",
                "nama unit kerja",
                "unit kerja",
                "unit",
            ],
            &["induk", "parent", "unit induk", "induk unit"],
        ),
        ImportSection::Positions => (
            &["nama", "name", "nama jabatan", "jabatan"],
            &["jenis", "kind", "jenis jabatan"],
        ),
    };
    let mut name = None;
    let mut other = None;
    let mut fail = |error| {
        problems.push(ImportProblem {
            section,
            line: table.header_line,
            error,
        })
    };
    for (i, h) in table.header.iter().enumerate() {
        if names.contains(&h.as_str()) && name.is_none() {
            name = Some(i);
        } else if second.contains(&h.as_str()) && other.is_none() {
            other = Some(i);
        } else if !h.is_empty() {
            fail(ImportError::UnknownColumn(h.clone()));
            return None;
        }
    }
    let Some(name) = name else {
        fail(ImportError::NoHeader);
        return None;
    };
    if section == ImportSection::Positions && other.is_none() {
        fail(ImportError::MissingColumn("jenis"));
        return None;
    }
    Some((name, other))
}

/// A node of the unit tree while planning: an existing unit or one planned in this import.
struct Node {
    key: String,
    parent: Option<usize>,
    target: ParentRef,
}

fn path_keys(nodes: &[Node], mut at: usize) -> Vec<&str> {
    let mut path = vec![nodes[at].key.as_str()];
    while let Some(p) = nodes[at].parent {
        if path.len() > nodes.len() {
            break;
        }
        path.push(nodes[p].key.as_str());
        at = p;
    }
    path.reverse();
    path
}

/// The node a `parent` cell names: a unit's name, or (when several units share it) its path
/// `Bidang/Subbag`, as much of it as makes it unique.
fn resolve_parent(nodes: &[Node], reference: &str) -> Result<usize, ImportError> {
    let key = name_key(reference);
    let by_name: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].key == key).collect();
    match by_name.len() {
        1 => return Ok(by_name[0]),
        0 => {}
        _ => return Err(ImportError::ParentAmbiguous(reference.to_string())),
    }
    let segments: Vec<String> = reference
        .split(['/', '›'])
        .map(name_key)
        .filter(|s| !s.is_empty())
        .collect();
    if segments.len() < 2 {
        return Err(ImportError::ParentMissing(reference.to_string()));
    }
    let by_path: Vec<usize> = (0..nodes.len())
        .filter(|&i| {
            let path = path_keys(nodes, i);
            path.len() >= segments.len() && path[path.len() - segments.len()..] == segments[..]
        })
        .collect();
    match by_path.len() {
        1 => Ok(by_path[0]),
        0 => Err(ImportError::ParentMissing(reference.to_string())),
        _ => Err(ImportError::ParentAmbiguous(reference.to_string())),
    }
}

fn check_cell_name(s: &str) -> Result<String, ImportError> {
    check_name(s).map_err(|r| match r {
        Refusal::NameTooLong => ImportError::NameTooLong,
        _ => ImportError::NameRequired,
    })
}

/// Validate pasted tables of units (`nama,induk`) and positions (`nama,jenis`) against what the
/// agency has. Every problem is reported, by line; the plan holds only what is new.
pub fn plan_import(
    units_csv: &str,
    positions_csv: &str,
    existing_units: &[Unit],
    existing_positions: &[Position],
) -> Result<ImportPlan, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let mut plan = ImportPlan::default();
    plan_units(units_csv, existing_units, &mut plan, &mut problems);
    plan_positions(positions_csv, existing_positions, &mut plan, &mut problems);
    if problems.is_empty() {
        Ok(plan)
    } else {
        problems.sort_by_key(|p| (p.section == ImportSection::Positions, p.line));
        Err(problems)
    }
}

/// The row's name, once it has no fields beyond the header's `width` and a valid name; else
/// the problem is reported.
fn row_name(
    fields: &[String],
    width: usize,
    name_col: usize,
    fail: &mut impl FnMut(ImportError),
) -> Option<String> {
    if fields.len() > width && fields[width..].iter().any(|f| !f.is_empty()) {
        fail(ImportError::TooManyFields {
            found: fields.len(),
            expected: width,
        });
        return None;
    }
    match check_cell_name(fields.get(name_col).map_or("", |s| s)) {
        Ok(n) => Some(n),
        Err(e) => {
            fail(e);
            None
        }
    }
}

/// Plans the units of the units file: a unit already there (same name under the same parent)
/// is counted, a new one planned under an existing or a planned parent.
fn plan_units(
    units_csv: &str,
    existing_units: &[Unit],
    plan: &mut ImportPlan,
    problems: &mut Vec<ImportProblem>,
) {
    let mut nodes: Vec<Node> = Vec::new();
    let index: HashMap<i64, usize> = existing_units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id, i))
        .collect();
    for u in existing_units {
        nodes.push(Node {
            key: name_key(&u.name),
            parent: u.parent_id.and_then(|p| index.get(&p).copied()),
            target: ParentRef::Existing(u.id),
        });
    }
    let table = match read_table(units_csv, ImportSection::Units) {
        Err(p) => return problems.push(p),
        Ok(None) => return,
        Ok(Some(table)) => table,
    };
    let Some((name_col, parent_col)) = columns(&table, ImportSection::Units, problems) else {
        return;
    };
    let width = table.header.len();
    for (line, fields) in &table.rows {
        let mut fail = |error| {
            problems.push(ImportProblem {
                section: ImportSection::Units,
                line: *line,
                error,
            })
        };
        let Some(name) = row_name(fields, width, name_col, &mut fail) else {
            continue;
        };
        let reference = parent_col
            .and_then(|c| fields.get(c))
            .map(|s| s.trim())
            .unwrap_or("");
        let parent = if reference.is_empty() {
            None
        } else {
            match resolve_parent(&nodes, reference) {
                Ok(i) => Some(i),
                Err(e) => {
                    fail(e);
                    continue;
                }
            }
        };
        let key = name_key(&name);
        if nodes.iter().any(|n| n.parent == parent && n.key == key) {
            plan.units_existing += 1;
            continue;
        }
        nodes.push(Node {
            key,
            parent,
            target: ParentRef::New(plan.units.len()),
        });
        plan.units.push(PlannedUnit {
            line: *line,
            name,
            parent: parent.map(|p| nodes[p].target),
        });
    }
}

/// Plans the positions of the positions file: one already there, or given twice with the
/// same kind, is counted; the same name with another kind is a problem.
fn plan_positions(
    positions_csv: &str,
    existing_positions: &[Position],
    plan: &mut ImportPlan,
    problems: &mut Vec<ImportProblem>,
) {
    let existing: HashSet<String> = existing_positions
        .iter()
        .map(|p| name_key(&p.name))
        .collect();
    let mut seen: HashMap<String, (u64, &'static str)> = HashMap::new();
    let table = match read_table(positions_csv, ImportSection::Positions) {
        Err(p) => return problems.push(p),
        Ok(None) => return,
        Ok(Some(table)) => table,
    };
    let Some((name_col, Some(kind_col))) = columns(&table, ImportSection::Positions, problems)
    else {
        return;
    };
    let width = table.header.len();
    for (line, fields) in &table.rows {
        let mut fail = |error| {
            problems.push(ImportProblem {
                section: ImportSection::Positions,
                line: *line,
                error,
            })
        };
        let Some(name) = row_name(fields, width, name_col, &mut fail) else {
            continue;
        };
        let kind_text = fields.get(kind_col).map_or("", |s| s.trim());
        let kind = if kind_text.is_empty() {
            fail(ImportError::KindRequired);
            continue;
        } else if let Some(k) = parse_position_kind(kind_text) {
            k
        } else {
            fail(ImportError::KindUnknown(kind_text.to_string()));
            continue;
        };
        let key = name_key(&name);
        if existing.contains(&key) {
            plan.positions_existing += 1;
        } else if let Some((first, k)) = seen.get(&key) {
            if *k == kind {
                plan.positions_existing += 1;
            } else {
                fail(ImportError::DuplicateOtherKind { first_line: *first });
            }
        } else {
            seen.insert(key, (*line, kind));
            plan.positions.push((name, kind));
        }
    }
}

crate::domain_error!(
    /// Why an import wrote nothing: every problem found in the files, or the database failed.
    pub OrgImportError,
    Vec<ImportProblem>
);

/// Validate and write an import in one transaction: all of it, or (with problems) nothing.
pub fn import(
    conn: &mut DbConnection,
    agency_id: i64,
    units_csv: &str,
    positions_csv: &str,
) -> Result<ImportSummary, OrgImportError> {
    crate::db::transaction(conn, |conn| {
        let plan = plan_import(
            units_csv,
            positions_csv,
            &units(conn, agency_id)?,
            &positions(conn, agency_id)?,
        )?;
        let mut new_ids: Vec<i64> = Vec::with_capacity(plan.units.len());
        for u in &plan.units {
            let parent_id = u.parent.map(|p| match p {
                ParentRef::Existing(id) => id,
                ParentRef::New(i) => new_ids[i],
            });
            new_ids.push(insert_unit(conn, agency_id, &u.name, parent_id)?);
        }
        for (name, kind) in &plan.positions {
            insert_position(conn, agency_id, name, kind)?;
        }
        Ok(ImportSummary {
            units_added: plan.units.len(),
            units_existing: plan.units_existing,
            positions_added: plan.positions.len(),
            positions_existing: plan.positions_existing,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_tree_orders_parents_first_with_paths() {
        let u = |id, parent, name: &str| Unit {
            id,
            agency_id: 1,
            parent_id: parent,
            name: name.into(),
        };
        let tree = unit_tree(&[
            u(3, Some(1), "Subbag Umum"),
            u(1, None, "Sekretariat"),
            u(2, None, "Bidang Diklat"),
            u(4, Some(3), "Urusan Arsip"),
        ]);
        let labels: Vec<&str> = tree.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Bidang Diklat",
                "Sekretariat",
                "Sekretariat › Subbag Umum",
                "Sekretariat › Subbag Umum › Urusan Arsip"
            ]
        );
        assert_eq!(tree[3].depth, 2);
        // a dropdown shows the unit's own name first (issue 25: options cut to the same 30
        // characters of a shared path all looked alike)
        let choices: Vec<&str> = tree.iter().map(|c| c.choice.as_str()).collect();
        assert_eq!(
            choices,
            [
                "Bidang Diklat",
                "Sekretariat",
                "Subbag Umum — Sekretariat",
                "Urusan Arsip — Sekretariat › Subbag Umum"
            ]
        );
    }

    fn unit(id: i64, parent: Option<i64>, name: &str) -> Unit {
        Unit {
            id,
            agency_id: 1,
            parent_id: parent,
            name: name.into(),
        }
    }

    fn position(id: i64, name: &str, kind: &str) -> Position {
        Position {
            id,
            agency_id: 1,
            name: name.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn position_kinds_from_codes_and_labels() {
        for (text, kind) in [
            ("jpt_pratama", "jpt_pratama"),
            ("JPT Pratama", "jpt_pratama"),
            ("Jabatan Pimpinan Tinggi Madya", "jpt_madya"),
            ("Pengawas", "pengawas"),
            ("  pelaksana ", "pelaksana"),
            ("ADMINISTRATOR", "administrator"),
            ("Fungsional Ahli Muda", "fungsional_muda"),
            ("JF Ahli Pertama", "fungsional_pertama"),
            ("fungsional utama", "fungsional_utama"),
            ("Fungsional Terampil", "fungsional_terampil"),
        ] {
            assert_eq!(parse_position_kind(text), Some(kind), "{text}");
        }
        for bad in ["", "kepala", "fungsional", "jpt"] {
            assert_eq!(parse_position_kind(bad), None, "{bad}");
        }
    }

    #[test]
    fn agency_codes_are_capitals_without_spaces() {
        assert_eq!(parse_agency_code(" kab-sleman "), Some("KAB-SLEMAN".into()));
        assert_eq!(parse_agency_code("KAB SLEMAN"), None);
        assert_eq!(parse_agency_code("K"), None);
        assert_eq!(parse_agency_kind("Kota"), Some("kota"));
        assert_eq!(parse_agency_kind("desa"), None);
    }

    #[test]
    fn a_unit_cannot_move_inside_itself() {
        let all = [
            unit(1, None, "Sekretariat"),
            unit(2, Some(1), "Subbag Umum"),
            unit(3, Some(2), "Urusan Arsip"),
            unit(4, None, "Bidang Diklat"),
        ];
        assert!(creates_cycle(&all, 1, 3));
        assert!(creates_cycle(&all, 2, 2));
        assert!(!creates_cycle(&all, 3, 4));
        assert!(!creates_cycle(&all, 2, 4));
        assert_eq!(subtree(&all, 1), HashSet::from([1, 2, 3]));
        assert_eq!(
            check_unit(&all, Some(1), "Sekretariat", Some(3)),
            Err(Refusal::ParentCycle)
        );
        assert_eq!(
            check_unit(&all, None, "subbag  umum", Some(1)),
            Err(Refusal::UnitNameTaken)
        );
        assert_eq!(
            check_unit(&all, None, "Subbag Umum", Some(4)),
            Ok("Subbag Umum".into())
        );
        assert_eq!(
            check_unit(&all, None, "X", Some(99)),
            Err(Refusal::ParentNotFound)
        );
    }

    #[test]
    fn import_plans_nested_units_and_positions() {
        let units_csv = "\u{feff}nama;induk\nSekretariat;\nSubbag Umum;Sekretariat\nUrusan Arsip;Sekretariat/Subbag Umum\n\nBidang Diklat;\n";
        let positions_csv = "nama,jenis\nKepala Badan,JPT Pratama\n\"Analis SDM Aparatur, Ahli Muda\",fungsional_muda\nPengadministrasi Umum,Pelaksana\n";
        let plan = plan_import(units_csv, positions_csv, &[], &[]).unwrap();
        let names: Vec<&str> = plan.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Sekretariat",
                "Subbag Umum",
                "Urusan Arsip",
                "Bidang Diklat"
            ]
        );
        assert_eq!(plan.units[0].parent, None);
        assert_eq!(plan.units[1].parent, Some(ParentRef::New(0)));
        assert_eq!(plan.units[2].parent, Some(ParentRef::New(1)));
        assert_eq!(plan.units[3].line, 6);
        assert_eq!(plan.positions.len(), 3);
        assert_eq!(
            plan.positions[1],
            ("Analis SDM Aparatur, Ahli Muda".into(), "fungsional_muda")
        );

        // the same rows again, against what now exists: nothing new
        let existing = [
            unit(10, None, "Sekretariat"),
            unit(11, Some(10), "Subbag Umum"),
            unit(12, Some(11), "Urusan Arsip"),
            unit(13, None, "Bidang Diklat"),
        ];
        let held = [
            position(1, "Kepala Badan", "jpt_pratama"),
            position(2, "Analis SDM Aparatur, Ahli Muda", "fungsional_muda"),
            position(3, "pengadministrasi umum", "pelaksana"),
        ];
        let again = plan_import(units_csv, positions_csv, &existing, &held).unwrap();
        assert!(again.units.is_empty() && again.positions.is_empty());
        assert_eq!((again.units_existing, again.positions_existing), (4, 3));

        // a new unit under an existing one, separated by tabs (pasted from a spreadsheet)
        let more = plan_import(
            "nama\tinduk\nSubbag Keuangan\tsekretariat\n",
            "",
            &existing,
            &[],
        )
        .unwrap();
        assert_eq!(more.units[0].parent, Some(ParentRef::Existing(10)));
    }

    #[test]
    fn import_reports_every_problem_by_line() {
        let existing = [
            unit(1, None, "Bidang A"),
            unit(2, Some(1), "Subbag Umum"),
            unit(3, None, "Bidang B"),
            unit(4, Some(3), "Subbag Umum"),
        ];
        let units_csv = "nama,induk\nSeksi 1,Bidang X\n,Bidang A\nSeksi 2,Subbag Umum\nSeksi 3,Bidang B/Subbag Umum\nSeksi 4,Seksi 5\nSeksi 5,\nA,B,C\n";
        let positions_csv =
            "nama;jenis\nKepala;Kepala Sekali\nStaf;\nAnalis;pelaksana\nAnalis;pengawas\n";
        let problems = plan_import(units_csv, positions_csv, &existing, &[]).unwrap_err();
        let got: Vec<(ImportSection, u64, ImportError)> = problems
            .into_iter()
            .map(|p| (p.section, p.line, p.error))
            .collect();
        use ImportError::*;
        use ImportSection::*;
        assert_eq!(
            got,
            vec![
                (Units, 2, ParentMissing("Bidang X".into())),
                (Units, 3, NameRequired),
                (Units, 4, ParentAmbiguous("Subbag Umum".into())),
                (Units, 6, ParentMissing("Seksi 5".into())),
                (
                    Units,
                    8,
                    TooManyFields {
                        found: 3,
                        expected: 2
                    }
                ),
                (Positions, 2, KindUnknown("Kepala Sekali".into())),
                (Positions, 3, KindRequired),
                (Positions, 5, DuplicateOtherKind { first_line: 4 }),
            ]
        );
        let headerless = plan_import("Sekretariat,\n", "nama\nKepala\n", &[], &[]).unwrap_err();
        assert_eq!(headerless[0].error, UnknownColumn("sekretariat".into()));
        assert_eq!(headerless[1].error, MissingColumn("jenis"));
    }

    #[test]
    fn line_numbers_count_blank_lines_and_crlf() {
        let units_csv = "nama,induk\r\n\r\nA,\r\n\r\n\r\nB,Nope\r\n";
        let problems = plan_import(units_csv, "", &[], &[]).unwrap_err();
        assert_eq!(problems[0].line, 6);
        assert_eq!(line_at("a\n\nb", 2), 3);
    }
}
