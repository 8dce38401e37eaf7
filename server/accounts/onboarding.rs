//! Bulk onboarding: an agency admin imports civil servants (ASN) from CSV.
//!
//! Two halves. [`check`] is pure: it reads the CSV text, checks every row against lookup tables
//! (existing e-mails and NIPs, the agency's units and positions, existing supervisors) and returns
//! either rows ready to insert or *every* problem found, each with its line number. [`import`]
//! loads those lookup tables once (a few queries, whatever the number of rows), runs [`check`],
//! and — only when the whole file is valid — creates everyone in one transaction: the users
//! (unverified, without a password), then their supervisors, an invitation token and an
//! invitation e-mail each.
//!
//! The file: a header row, then one person per row. Columns (any order, any case):
//! `nama`/`name` and `email` (required), `nip`, `unit`, `jabatan`/`position`,
//! `email_atasan`/`supervisor_email`. The separator (`,` `;` or a tab, as pasted from a
//! spreadsheet) is taken from the header row. UTF-8, with or without a BOM.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use diesel::prelude::*;
use serde_json::json;

use super::nip::Nip;
use super::orgs::{Position, Unit};
use super::tokens::{self, Purpose};
use super::users;
use crate::db::schema::users as users_t;
use crate::db::{DbConnection, DbError};
use crate::i18n::Lang;
use crate::mail::{self, MailTemplates};

/// Most rows one import may hold.
pub const MAX_ROWS: usize = 5000;
/// Days an invitation stays valid (the `invite` token's lifetime).
pub const INVITE_DAYS: i64 = 14;

/// A column of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    Email,
    Nip,
    Unit,
    Position,
    SupervisorEmail,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Name,
        Column::Email,
        Column::Nip,
        Column::Unit,
        Column::Position,
        Column::SupervisorEmail,
    ];

    /// The header a template file uses.
    pub fn header(self) -> &'static str {
        match self {
            Column::Name => "nama",
            Column::Email => "email",
            Column::Nip => "nip",
            Column::Unit => "unit",
            Column::Position => "jabatan",
            Column::SupervisorEmail => "email_atasan",
        }
    }

    /// The header row of a template file: `nama,email,nip,unit,jabatan,email_atasan`.
    pub fn template_header() -> String {
        Column::ALL.map(Column::header).join(",")
    }

    fn parse(header: &str) -> Option<Column> {
        let h: String = header
            .trim()
            .trim_matches('"')
            .to_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        Some(match h.as_str() {
            "nama" | "name" | "nama_lengkap" | "full_name" => Column::Name,
            "email" | "e_mail" | "surel" => Column::Email,
            "nip" | "ni_pppk" => Column::Nip,
            "unit" | "unit_kerja" => Column::Unit,
            "jabatan" | "position" => Column::Position,
            "email_atasan" | "supervisor_email" | "atasan" | "supervisor" => {
                Column::SupervisorEmail
            }
            _ => return None,
        })
    }
}

/// What is wrong with a line (or with the whole file, on line 0 or 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issue {
    /// Nothing but (at most) a header.
    Empty,
    /// The text cannot be read as CSV (e.g. an unclosed quote).
    Unreadable(String),
    UnknownColumn(String),
    DuplicateColumn(String),
    MissingColumn(&'static str),
    TooManyFields {
        expected: usize,
        got: usize,
    },
    TooManyRows(usize),
    NameMissing,
    /// The name holds a control character (or an invisible reordering mark).
    NameControl,
    EmailMissing,
    EmailInvalid(String),
    EmailTwice {
        first_line: usize,
    },
    EmailRegistered(String),
    /// The NIP checker's message, in Indonesian and English.
    NipInvalid {
        id: String,
        en: String,
    },
    NipTwice {
        first_line: usize,
    },
    NipRegistered(String),
    UnitNotFound(String),
    UnitAmbiguous(String),
    PositionNotFound(String),
    SupervisorInvalid(String),
    SupervisorNotFound(String),
    SupervisorSelf,
    /// The data changed while the file was being imported (someone registered meanwhile).
    Conflict,
}

impl Issue {
    /// The message key in `web/i18n/*/people.toml`.
    pub fn key(&self) -> &'static str {
        match self {
            Issue::Empty => "people.import.issue.empty",
            Issue::Unreadable(_) => "people.import.issue.unreadable",
            Issue::UnknownColumn(_) => "people.import.issue.unknown_column",
            Issue::DuplicateColumn(_) => "people.import.issue.duplicate_column",
            Issue::MissingColumn(_) => "people.import.issue.missing_column",
            Issue::TooManyFields { .. } => "people.import.issue.too_many_fields",
            Issue::TooManyRows(_) => "people.import.issue.too_many_rows",
            Issue::NameMissing => "people.import.issue.name_missing",
            Issue::NameControl => "people.import.issue.name_control",
            Issue::EmailMissing => "people.import.issue.email_missing",
            Issue::EmailInvalid(_) => "people.import.issue.email_invalid",
            Issue::EmailTwice { .. } => "people.import.issue.email_twice",
            Issue::EmailRegistered(_) => "people.import.issue.email_registered",
            Issue::NipInvalid { .. } => "people.import.issue.nip_invalid",
            Issue::NipTwice { .. } => "people.import.issue.nip_twice",
            Issue::NipRegistered(_) => "people.import.issue.nip_registered",
            Issue::UnitNotFound(_) => "people.import.issue.unit_not_found",
            Issue::UnitAmbiguous(_) => "people.import.issue.unit_ambiguous",
            Issue::PositionNotFound(_) => "people.import.issue.position_not_found",
            Issue::SupervisorInvalid(_) => "people.import.issue.supervisor_invalid",
            Issue::SupervisorNotFound(_) => "people.import.issue.supervisor_not_found",
            Issue::SupervisorSelf => "people.import.issue.supervisor_self",
            Issue::Conflict => "people.import.issue.conflict",
        }
    }

    /// The `{placeholders}` of the message.
    pub fn args(&self, lang: Lang) -> Vec<(&'static str, String)> {
        match self {
            Issue::Empty | Issue::NameMissing | Issue::NameControl | Issue::EmailMissing => {
                vec![]
            }
            Issue::SupervisorSelf | Issue::Conflict => vec![],
            Issue::Unreadable(v)
            | Issue::UnknownColumn(v)
            | Issue::DuplicateColumn(v)
            | Issue::EmailInvalid(v)
            | Issue::EmailRegistered(v)
            | Issue::NipRegistered(v)
            | Issue::UnitNotFound(v)
            | Issue::UnitAmbiguous(v)
            | Issue::PositionNotFound(v)
            | Issue::SupervisorInvalid(v)
            | Issue::SupervisorNotFound(v) => vec![("value", v.clone())],
            Issue::MissingColumn(c) => vec![("value", c.to_string())],
            Issue::TooManyFields { expected, got } => {
                vec![("expected", expected.to_string()), ("got", got.to_string())]
            }
            Issue::TooManyRows(n) => vec![("max", n.to_string())],
            Issue::EmailTwice { first_line } | Issue::NipTwice { first_line } => {
                vec![("line", first_line.to_string())]
            }
            Issue::NipInvalid { id, en } => vec![(
                "detail",
                match lang {
                    Lang::Id => id.clone(),
                    Lang::En => en.clone(),
                },
            )],
        }
    }
}

/// One problem: the line of the file (1 is the header) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub issue: Issue,
}

/// A row as read, before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRow {
    pub line: usize,
    pub name: String,
    pub email: String,
    pub nip: String,
    pub unit: String,
    pub position: String,
    pub supervisor_email: String,
}

/// Who supervises a person being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supervisor {
    /// An existing user.
    Existing(i64),
    /// Another row of the file (its index in the list of valid rows).
    Row(usize),
}

/// A row ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRow {
    pub line: usize,
    pub name: String,
    /// Normalized (lower case).
    pub email: String,
    /// 18 digits.
    pub nip: Option<String>,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
    pub supervisor: Option<Supervisor>,
    /// An account of this agency that the row places anew (unit, position, supervisor) instead
    /// of inviting.
    pub existing: Option<i64>,
}

/// What the checks need to know about the database.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// Existing users by (normalized) e-mail — at least those the file names, as people or as
    /// supervisors.
    pub users_by_email: HashMap<String, i64>,
    /// NIPs already registered — at least those the file names.
    pub taken_nips: HashSet<String>,
    /// Existing accounts of the importing agency (by id), with their NIP: a row may place them
    /// anew, and only they may be named as supervisors (a supervisor belongs to the member's
    /// agency).
    pub members: HashMap<i64, Option<String>>,
    /// The agency's units and positions.
    pub units: Vec<Unit>,
    pub positions: Vec<Position>,
}

fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Splits a unit path: `Sekretariat/Subbag Umum`, `Sekretariat › Subbag Umum`, `A > B`.
fn path_parts(s: &str) -> Vec<String> {
    s.split(['/', '›', '>', '\\'])
        .map(squash)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Resolves unit names and paths of one agency.
struct UnitIndex {
    by_path: HashMap<Vec<String>, i64>,
    by_name: HashMap<String, Vec<i64>>,
}

impl UnitIndex {
    fn new(units: &[Unit]) -> UnitIndex {
        let by_id: HashMap<i64, &Unit> = units.iter().map(|u| (u.id, u)).collect();
        let mut by_path = HashMap::new();
        let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
        for u in units {
            by_name.entry(squash(&u.name)).or_default().push(u.id);
            let mut path = vec![squash(&u.name)];
            let mut seen = vec![u.id];
            let mut parent = u.parent_id;
            while let Some(p) = parent.and_then(|p| by_id.get(&p)) {
                if seen.contains(&p.id) {
                    break;
                }
                seen.push(p.id);
                path.push(squash(&p.name));
                parent = p.parent_id;
            }
            path.reverse();
            by_path.insert(path, u.id);
        }
        UnitIndex { by_path, by_name }
    }

    fn resolve(&self, value: &str) -> Result<i64, Issue> {
        let parts = path_parts(value);
        if parts.len() > 1 {
            if let Some(id) = self.by_path.get(&parts) {
                return Ok(*id);
            }
            // a path need not start at the top: "Sekretariat/Subbag Umum" matches any unit whose
            // full path ends with those parts
            let matches: Vec<i64> = self
                .by_path
                .iter()
                .filter(|(full, _)| full.len() > parts.len() && full.ends_with(&parts))
                .map(|(_, id)| *id)
                .collect();
            return match matches.as_slice() {
                [id] => Ok(*id),
                [] => Err(Issue::UnitNotFound(value.to_string())),
                _ => Err(Issue::UnitAmbiguous(value.to_string())),
            };
        }
        match self.by_name.get(&squash(value)).map(Vec::as_slice) {
            Some([id]) => Ok(*id),
            Some([_, _, ..]) => Err(Issue::UnitAmbiguous(value.to_string())),
            _ => Err(Issue::UnitNotFound(value.to_string())),
        }
    }
}

fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| header.chars().filter(|&x| x == c).count();
    let (comma, semi, tab) = (count(','), count(';'), count('\t'));
    if tab > comma && tab > semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// Finds the line of a CSV position: the csv crate does not count blank lines, so lines are
/// found from byte offsets.
struct Lines<'t> {
    bytes: &'t [u8],
    newlines: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        let newlines: Vec<usize> = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Lines {
            bytes: text.as_bytes(),
            newlines,
        }
    }

    /// The line (from 1) of the record read at `pos`; 0 without a position.
    fn at(&self, pos: Option<&csv::Position>) -> usize {
        match pos {
            Some(p) => {
                // a position is where reading began: skip the blank lines before the record
                let mut b = p.byte() as usize;
                while b < self.bytes.len() && matches!(self.bytes[b], b'\n' | b'\r') {
                    b += 1;
                }
                self.newlines.partition_point(|&n| n < b) + 1
            }
            None => 0,
        }
    }
}

/// The columns named by the header record; unknown, repeated and missing columns are problems.
fn header_columns(
    record: &csv::StringRecord,
    line: usize,
    problems: &mut Vec<Problem>,
) -> Vec<Option<Column>> {
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for field in record.iter() {
        let col = Column::parse(field);
        match col {
            None if field.is_empty() => {}
            None => problems.push(Problem {
                line,
                issue: Issue::UnknownColumn(field.to_string()),
            }),
            Some(c) if !seen.insert(c) => problems.push(Problem {
                line,
                issue: Issue::DuplicateColumn(field.to_string()),
            }),
            Some(_) => {}
        }
        columns.push(col);
    }
    for required in [Column::Name, Column::Email] {
        if !seen.contains(&required) {
            problems.push(Problem {
                line,
                issue: Issue::MissingColumn(required.header()),
            });
        }
    }
    columns
}

/// A data record as a row, each field in the slot of its column.
fn raw_row(columns: &[Option<Column>], record: &csv::StringRecord, line: usize) -> RawRow {
    let mut row = RawRow {
        line,
        ..Default::default()
    };
    for (col, value) in columns.iter().zip(record.iter()) {
        let slot = match col {
            Some(Column::Name) => &mut row.name,
            Some(Column::Email) => &mut row.email,
            Some(Column::Nip) => &mut row.nip,
            Some(Column::Unit) => &mut row.unit,
            Some(Column::Position) => &mut row.position,
            Some(Column::SupervisorEmail) => &mut row.supervisor_email,
            None => continue,
        };
        *slot = value.to_string();
    }
    row
}

/// Read the CSV text into rows. Errors are about the file's shape (header, separators, quotes);
/// the values are checked by [`validate`].
pub fn parse(text: &str) -> Result<Vec<RawRow>, Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(detect_delimiter(text))
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let lines = Lines::new(text);
    let line_at = |pos: Option<&csv::Position>| lines.at(pos);
    let mut problems = Vec::new();
    let mut columns: Vec<Option<Column>> = Vec::new();
    let mut header_line = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = line_at(e.position());
                let detail = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "UTF-8".to_string(),
                    _ => crate::text::one_line(&e.to_string()),
                };
                problems.push(Problem {
                    line,
                    issue: Issue::Unreadable(detail),
                });
                continue;
            }
        };
        let line = line_at(record.position());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        if header_line.is_none() {
            header_line = Some(line);
            columns = header_columns(&record, line, &mut problems);
            continue;
        }
        if record.len() > columns.len() && record.iter().skip(columns.len()).any(|f| !f.is_empty())
        {
            problems.push(Problem {
                line,
                issue: Issue::TooManyFields {
                    expected: columns.len(),
                    got: record.len(),
                },
            });
            continue;
        }
        rows.push(raw_row(&columns, &record, line));
    }
    let nothing = match header_line {
        None => true,
        Some(_) => rows.is_empty() && problems.is_empty(),
    };
    if nothing {
        problems.push(Problem {
            line: header_line.unwrap_or(1),
            issue: Issue::Empty,
        });
    }
    if rows.len() > MAX_ROWS {
        problems.push(Problem {
            line: rows[MAX_ROWS].line,
            issue: Issue::TooManyRows(MAX_ROWS),
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

/// Check every row against the file itself and the lookup tables; every problem is reported.
pub fn validate(rows: &[RawRow], lookup: &Lookup) -> Result<Vec<ValidRow>, Vec<Problem>> {
    let units = UnitIndex::new(&lookup.units);
    let mut positions: HashMap<String, i64> = HashMap::new();
    for p in &lookup.positions {
        positions.entry(squash(&p.name)).or_insert(p.id);
    }
    let mut problems = Vec::new();
    let mut email_line: HashMap<String, usize> = HashMap::new();
    let file_emails: HashSet<String> = rows
        .iter()
        .filter_map(|r| users::normalize_email(&r.email))
        .collect();
    let mut nip_line: HashMap<String, usize> = HashMap::new();
    let mut valid: Vec<ValidRow> = Vec::with_capacity(rows.len());
    // supervisor e-mails to resolve once every row's e-mail is known
    let mut pending: Vec<(usize, String, String)> = Vec::new();
    for row in rows {
        let before = problems.len();
        let mut problem = |issue| {
            problems.push(Problem {
                line: row.line,
                issue,
            })
        };
        let name = check_name(&row.name, &mut problem);
        let email = check_email(&row.email, lookup, &email_line, &mut problem);
        let nip = check_nip(row, email.as_deref(), lookup, &mut nip_line, &mut problem);
        let unit_id = if row.unit.is_empty() {
            None
        } else {
            units.resolve(&row.unit).map_err(&mut problem).ok()
        };
        let position_id = check_position(&row.position, &positions, &mut problem);
        let supervisor = check_supervisor_email(row, email.as_ref(), &mut problem);
        if let Some(e) = &email {
            email_line.entry(e.clone()).or_insert(row.line);
        }
        if problems.len() == before {
            if let Some(s) = supervisor {
                pending.push((valid.len(), s, row.supervisor_email.clone()));
            }
            let existing = email
                .as_ref()
                .and_then(|e| lookup.users_by_email.get(e))
                .copied();
            valid.push(ValidRow {
                line: row.line,
                name,
                email: email.unwrap_or_default(),
                nip,
                unit_id,
                position_id,
                supervisor: None,
                existing,
            });
        } else if let Some(s) = supervisor {
            // still report an unknown supervisor on a row with other problems
            let member = lookup
                .users_by_email
                .get(&s)
                .is_some_and(|id| lookup.members.contains_key(id));
            if !member && !file_emails.contains(&s) {
                problems.push(Problem {
                    line: row.line,
                    issue: Issue::SupervisorNotFound(row.supervisor_email.clone()),
                });
            }
        }
    }
    resolve_supervisors(&mut valid, pending, lookup, &file_emails, &mut problems);
    if problems.is_empty() {
        Ok(valid)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

/// The name with its white space squashed; empty or with control characters is a problem.
fn check_name(raw: &str, problem: &mut impl FnMut(Issue)) -> String {
    // a spreadsheet cell may wrap onto several lines: those breaks become spaces; any other
    // control character is refused (the name goes into mail headers and pages)
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        problem(Issue::NameMissing);
    } else if crate::text::has_control(&name) {
        problem(Issue::NameControl);
    }
    name
}

/// The normalized e-mail; missing, invalid, given twice or another agency's is a problem.
fn check_email(
    raw: &str,
    lookup: &Lookup,
    email_line: &HashMap<String, usize>,
    problem: &mut impl FnMut(Issue),
) -> Option<String> {
    if raw.is_empty() {
        problem(Issue::EmailMissing);
        return None;
    }
    match users::normalize_email(raw) {
        None => {
            problem(Issue::EmailInvalid(raw.to_string()));
            None
        }
        Some(e) => {
            if let Some(first) = email_line.get(&e) {
                problem(Issue::EmailTwice { first_line: *first });
            } else if let Some(id) = lookup.users_by_email.get(&e) {
                if !lookup.members.contains_key(id) {
                    // another agency's, or nobody's yet: they ask to be placed
                    problem(Issue::EmailRegistered(e.clone()));
                }
            }
            Some(e)
        }
    }
}

/// The NIP, if given; invalid, given twice or registered to someone else is a problem.
fn check_nip(
    row: &RawRow,
    email: Option<&str>,
    lookup: &Lookup,
    nip_line: &mut HashMap<String, usize>,
    problem: &mut impl FnMut(Issue),
) -> Option<String> {
    if row.nip.is_empty() {
        return None;
    }
    match Nip::parse_now(&row.nip) {
        Err(e) => {
            problem(Issue::NipInvalid {
                id: e.message_id,
                en: e.message_en,
            });
            None
        }
        Ok(n) => {
            let n = n.as_str().to_string();
            if let Some(first) = nip_line.get(&n) {
                problem(Issue::NipTwice { first_line: *first });
            } else {
                nip_line.insert(n.clone(), row.line);
                let own = email
                    .and_then(|e| lookup.users_by_email.get(e))
                    .and_then(|id| lookup.members.get(id))
                    .is_some_and(|nip| nip.as_deref() == Some(n.as_str()));
                if lookup.taken_nips.contains(&n) && !own {
                    problem(Issue::NipRegistered(n.clone()));
                }
            }
            Some(n)
        }
    }
}

/// The position's id, if given; a name the agency does not have is a problem.
fn check_position(
    raw: &str,
    positions: &HashMap<String, i64>,
    problem: &mut impl FnMut(Issue),
) -> Option<i64> {
    if raw.is_empty() {
        return None;
    }
    match positions.get(&squash(raw)) {
        Some(id) => Some(*id),
        None => {
            problem(Issue::PositionNotFound(raw.to_string()));
            None
        }
    }
}

/// The supervisor's normalized e-mail, if given; invalid or the row's own is a problem.
fn check_supervisor_email(
    row: &RawRow,
    email: Option<&String>,
    problem: &mut impl FnMut(Issue),
) -> Option<String> {
    if row.supervisor_email.is_empty() {
        return None;
    }
    match users::normalize_email(&row.supervisor_email) {
        None => {
            problem(Issue::SupervisorInvalid(row.supervisor_email.clone()));
            None
        }
        Some(s) if Some(&s) == email => {
            problem(Issue::SupervisorSelf);
            None
        }
        Some(s) => Some(s),
    }
}

/// Sets each valid row's supervisor, `pending` being (row index, e-mail, e-mail as typed): a
/// member of the agency or another valid row of the file.
fn resolve_supervisors(
    valid: &mut [ValidRow],
    pending: Vec<(usize, String, String)>,
    lookup: &Lookup,
    file_emails: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    // index of each valid row by e-mail (a row with problems is not inserted, so it cannot be
    // a supervisor in this import; the file is refused anyway)
    let row_of: HashMap<String, usize> = valid
        .iter()
        .enumerate()
        .map(|(i, r)| (r.email.clone(), i))
        .collect();
    for (i, sup, typed) in pending {
        let found = match lookup.users_by_email.get(&sup) {
            Some(id) if lookup.members.contains_key(id) => Some(Supervisor::Existing(*id)),
            Some(_) => None,
            None => row_of.get(&sup).map(|r| Supervisor::Row(*r)),
        };
        match found {
            Some(s) => valid[i].supervisor = Some(s),
            None if file_emails.contains(&sup) => {} // a row with its own problems
            None => problems.push(Problem {
                line: valid[i].line,
                issue: Issue::SupervisorNotFound(typed),
            }),
        }
    }
}

/// [`parse`] then [`validate`].
pub fn check(text: &str, lookup: &Lookup) -> Result<Vec<ValidRow>, Vec<Problem>> {
    validate(&parse(text)?, lookup)
}

/// A problem as shown to people: `baris 12: …`.
pub fn describe(problem: &Problem, lang: Lang, i18n: &crate::i18n::I18n) -> String {
    let text = i18n
        .format(lang, problem.issue.key(), &problem.issue.args(lang))
        .unwrap_or_else(|| problem.issue.key().to_string());
    let line = i18n
        .format(
            lang,
            "people.import.line",
            &[("line", problem.line.to_string())],
        )
        .unwrap_or_else(|| format!("line {}", problem.line));
    format!("{line}: {text}")
}

// ---------- with the database ----------

/// What an import needs besides the file.
pub struct ImportContext<'a> {
    pub agency_id: i64,
    pub agency_name: &'a str,
    /// `{base_url}/invite/`
    pub invite_base: &'a str,
    pub templates: &'a MailTemplates,
    /// The language of the invitation e-mails.
    pub lang: Lang,
    /// Who imports (for the audit log of placements changed).
    pub actor: Option<i64>,
}

const CHUNK: usize = 500;

/// Build the lookup tables for the rows of a file: a few queries, whatever its size.
pub fn lookup_for(
    conn: &mut DbConnection,
    agency_id: i64,
    rows: &[RawRow],
) -> Result<Lookup, DbError> {
    let mut emails: Vec<String> = rows
        .iter()
        .flat_map(|r| [&r.email, &r.supervisor_email])
        .filter_map(|e| users::normalize_email(e))
        .collect();
    emails.sort();
    emails.dedup();
    let mut nips: Vec<String> = rows
        .iter()
        .filter_map(|r| Nip::parse_now(&r.nip).ok())
        .map(|n| n.as_str().to_string())
        .collect();
    nips.sort();
    nips.dedup();
    let mut lookup = Lookup {
        units: super::orgs::units(conn, agency_id)?,
        positions: super::orgs::positions(conn, agency_id)?,
        ..Default::default()
    };
    for chunk in emails.chunks(CHUNK) {
        let found: Vec<(i64, String, Option<i64>, Option<String>)> = users_t::table
            .filter(users_t::email.eq_any(chunk))
            .select((
                users_t::id,
                users_t::email,
                users_t::agency_id,
                users_t::nip,
            ))
            .load(conn)?;
        for (id, e, agency, nip) in found {
            if agency == Some(agency_id) {
                lookup.members.insert(id, nip);
            }
            lookup.users_by_email.insert(e, id);
        }
    }
    for chunk in nips.chunks(CHUNK) {
        let found: Vec<Option<String>> = users_t::table
            .filter(users_t::nip.eq_any(chunk))
            .select(users_t::nip)
            .load(conn)?;
        lookup.taken_nips.extend(found.into_iter().flatten());
    }
    Ok(lookup)
}

/// Why an import wrote nothing: problems in the file (every one found), the database, or a mail
/// that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file has {} problem(s)", .0.len())]
    Refused(Vec<Problem>),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Mail(String),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Db(DbError::Query(e))
    }
}

/// Check the file; if every row is valid, create everyone (users, supervisors, invitation tokens
/// and e-mails) in one transaction. Returns the new users' ids, or every problem found (then
/// nothing was written). Call [`crate::mail::Mailer::wake`] after it returns `Ok(_)`.
pub fn import(
    conn: &mut DbConnection,
    ctx: &ImportContext<'_>,
    text: &str,
) -> Result<Vec<i64>, ImportError> {
    let rows = parse(text).map_err(ImportError::Refused)?;
    let lookup = lookup_for(conn, ctx.agency_id, &rows)?;
    let valid = validate(&rows, &lookup).map_err(ImportError::Refused)?;
    let result =
        crate::db::transaction::<_, ImportError, _>(conn, |conn| create_all(conn, ctx, &valid));
    match result {
        Ok(ids) => Ok(ids),
        // someone registered one of these e-mails or NIPs meanwhile: nothing was written
        Err(ImportError::Db(DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )))) => Err(ImportError::Refused(vec![Problem {
            line: 0,
            issue: Issue::Conflict,
        }])),
        Err(e) => Err(e),
    }
}

fn create_all(
    conn: &mut DbConnection,
    ctx: &ImportContext<'_>,
    rows: &[ValidRow],
) -> Result<Vec<i64>, ImportError> {
    let now = Utc::now().naive_utc();
    let mut ids = Vec::with_capacity(rows.len());
    for r in rows {
        let supervisor_id = match r.supervisor {
            Some(Supervisor::Existing(id)) => Some(id),
            _ => None,
        };
        let id = match r.existing {
            Some(id) => {
                place_member(conn, ctx, r, id, supervisor_id, now)?;
                id
            }
            None => insert_invitee(conn, ctx, r, supervisor_id, now)?,
        };
        ids.push(id);
    }
    set_row_supervisors(conn, rows, &ids)?;
    send_invites(conn, ctx, rows, &ids)?;
    Ok(ids)
}

/// A member of the agency already: placed anew (unit, position, supervisor, a missing NIP),
/// nothing else changes.
fn place_member(
    conn: &mut DbConnection,
    ctx: &ImportContext<'_>,
    r: &ValidRow,
    id: i64,
    supervisor_id: Option<i64>,
    now: chrono::NaiveDateTime,
) -> Result<(), ImportError> {
    diesel::update(users_t::table.find(id))
        .set((
            users_t::unit_id.eq(r.unit_id),
            users_t::position_id.eq(r.position_id),
            users_t::supervisor_id.eq(supervisor_id),
            users_t::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let Some(nip) = &r.nip {
        diesel::update(users_t::table.find(id).filter(users_t::nip.is_null()))
            .set(users_t::nip.eq(nip))
            .execute(conn)?;
    }
    crate::db::audit::record(
        conn,
        ctx.actor,
        "user.placement",
        &format!("user:{id}"),
        &format!(
            "CSV import line {}: unit {:?}, position {:?}, supervisor {:?}",
            r.line, r.unit_id, r.position_id, supervisor_id
        ),
    )?;
    Ok(())
}

/// Inserts the account of a person to invite (no password yet); returns its id.
fn insert_invitee(
    conn: &mut DbConnection,
    ctx: &ImportContext<'_>,
    r: &ValidRow,
    supervisor_id: Option<i64>,
    now: chrono::NaiveDateTime,
) -> Result<i64, ImportError> {
    let id = diesel::insert_into(users_t::table)
        .values((
            users_t::email.eq(&r.email),
            users_t::name.eq(&r.name),
            users_t::nip.eq(&r.nip),
            users_t::password_hash.eq(None::<String>),
            users_t::email_verified_at.eq(None::<chrono::NaiveDateTime>),
            users_t::agency_id.eq(Some(ctx.agency_id)),
            users_t::unit_id.eq(r.unit_id),
            users_t::position_id.eq(r.position_id),
            users_t::supervisor_id.eq(supervisor_id),
            users_t::is_author.eq(false),
            users_t::is_agency_admin.eq(false),
            users_t::is_platform_admin.eq(false),
            users_t::disabled.eq(false),
            users_t::session_version.eq(1),
            users_t::created_at.eq(now),
            users_t::updated_at.eq(now),
        ))
        .returning(users_t::id)
        .get_result::<i64>(conn)?;
    Ok(id)
}

/// Supervisors who are rows of this file (`ids` are the rows' accounts): one update per
/// supervisor.
fn set_row_supervisors(
    conn: &mut DbConnection,
    rows: &[ValidRow],
    ids: &[i64],
) -> Result<(), ImportError> {
    let mut staff_of: HashMap<usize, Vec<i64>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(Supervisor::Row(s)) = r.supervisor {
            staff_of.entry(s).or_default().push(ids[i]);
        }
    }
    for (sup, staff) in staff_of {
        for chunk in staff.chunks(CHUNK) {
            diesel::update(users_t::table.filter(users_t::id.eq_any(chunk)))
                .set(users_t::supervisor_id.eq(Some(ids[sup])))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Queues the invitation mail of every new account.
fn send_invites(
    conn: &mut DbConnection,
    ctx: &ImportContext<'_>,
    rows: &[ValidRow],
    ids: &[i64],
) -> Result<(), ImportError> {
    for (r, id) in rows.iter().zip(ids) {
        if r.existing.is_some() {
            continue;
        }
        let token = tokens::issue(conn, *id, Purpose::Invite)?;
        let data = json!({
            "name": r.name,
            "agency": ctx.agency_name,
            "link": format!("{}{token}", ctx.invite_base),
            "days": INVITE_DAYS,
            "lang": ctx.lang.code(),
        });
        let mail = ctx
            .templates
            .render("invite", ctx.lang, data, &r.email)
            .map_err(ImportError::Mail)?;
        mail::enqueue(conn, &mail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup() -> Lookup {
        let unit = |id, parent, name: &str| Unit {
            id,
            agency_id: 1,
            parent_id: parent,
            name: name.into(),
        };
        let position = |id, name: &str| Position {
            id,
            agency_id: 1,
            name: name.into(),
            kind: "pelaksana".into(),
        };
        Lookup {
            users_by_email: [
                ("kepala@sleman.go.id".to_string(), 7),
                ("lain@bantul.go.id".to_string(), 8),
            ]
            .into(),
            // 8 belongs to another agency
            members: [(7, None)].into(),
            taken_nips: ["199001012015031001".to_string()].into(),
            units: vec![
                unit(1, None, "Sekretariat"),
                unit(2, Some(1), "Subbag Umum"),
                unit(3, None, "Bidang Diklat"),
                unit(4, Some(3), "Subbag Umum"),
                unit(5, Some(3), "Seksi Kurikulum"),
            ],
            positions: vec![
                position(10, "Analis SDM Aparatur"),
                position(11, "Pranata Komputer"),
            ],
        }
    }

    #[test]
    fn a_valid_file_with_comma_resolves_everything() {
        let text = "\u{feff}Nama,Email,NIP,Unit,Jabatan,Email_Atasan\n\
            Budi Santoso,Budi@Sleman.go.id,19850312 201001 1 003,Sekretariat/Subbag Umum,analis sdm aparatur,kepala@sleman.go.id\n\
            \n\
            Siti Aminah,siti@sleman.go.id,,Seksi Kurikulum,,budi@sleman.go.id\n";
        let rows = check(text, &lookup()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].email, "budi@sleman.go.id");
        assert_eq!(rows[0].nip.as_deref(), Some("198503122010011003"));
        assert_eq!(rows[0].unit_id, Some(2));
        assert_eq!(rows[0].position_id, Some(10));
        assert_eq!(rows[0].supervisor, Some(Supervisor::Existing(7)));
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].unit_id, Some(5));
        assert_eq!(rows[1].supervisor, Some(Supervisor::Row(0)));
    }

    #[test]
    fn semicolons_tabs_quotes_and_english_headers() {
        let text = "name;email;supervisor_email;position\n\"Santoso;\nBudi\";b@x.go.id;;Pranata Komputer\n\n\nAni;a@x.go.id;;\n";
        let rows = check(text, &lookup()).unwrap();
        assert_eq!(rows[0].name, "Santoso; Budi");
        assert_eq!((rows[0].line, rows[1].line), (2, 6));
        assert_eq!(rows[0].position_id, Some(11));
        let text = "nama\temail\tunit\nBudi\tb@x.go.id\tBidang Diklat › Subbag Umum\n";
        assert_eq!(check(text, &lookup()).unwrap()[0].unit_id, Some(4));
    }

    #[test]
    fn members_are_placed_anew_and_only_members_supervise() {
        let rows = check(
            "nama,email,unit\nKepala,kepala@sleman.go.id,Seksi Kurikulum\n",
            &lookup(),
        )
        .unwrap();
        assert_eq!((rows[0].existing, rows[0].unit_id), (Some(7), Some(5)));
        let problems = check(
            "nama,email,email_atasan\nBudi,budi@x.go.id,lain@bantul.go.id\n",
            &lookup(),
        )
        .unwrap_err();
        assert_eq!(
            problems[0].issue.key(),
            "people.import.issue.supervisor_not_found"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "nama,email,nip,unit,jabatan,email_atasan\n\
            Budi,budi@x.go.id,198503122010131003,,,\n\
            ,bukan-email,,Subbag Umum,Lurah,\n\
            Siti,budi@x.go.id,199001012015031001,Gudang,,siapa@x.go.id\n\
            Ani,lain@bantul.go.id,19850312 201001 1 003,,,ani2@x.go.id\n\
            Ana,ana@x.go.id,198503122010011003,,,ana@x.go.id\n";
        let problems = check(text, &lookup()).unwrap_err();
        let got: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.issue.key())).collect();
        assert_eq!(
            got,
            [
                (2, "people.import.issue.nip_invalid"),
                (3, "people.import.issue.name_missing"),
                (3, "people.import.issue.email_invalid"),
                (3, "people.import.issue.unit_ambiguous"),
                (3, "people.import.issue.position_not_found"),
                (4, "people.import.issue.email_twice"),
                (4, "people.import.issue.nip_registered"),
                (4, "people.import.issue.unit_not_found"),
                (4, "people.import.issue.supervisor_not_found"),
                (5, "people.import.issue.email_registered"),
                (5, "people.import.issue.supervisor_not_found"),
                (6, "people.import.issue.nip_twice"),
                (6, "people.import.issue.supervisor_self"),
            ]
        );
        // the NIP message names the part that is wrong, in both languages
        let Issue::NipInvalid { id, en } = &problems[0].issue else {
            panic!()
        };
        assert!(id.contains("bulan 13"), "{id}");
        assert!(!en.is_empty());
        assert_eq!(problems[5].issue, Issue::EmailTwice { first_line: 2 });
    }

    #[test]
    fn header_problems() {
        let p = check("nama,surat,unit\nBudi,x,y\n", &lookup()).unwrap_err();
        assert_eq!(
            p.iter().map(|p| &p.issue).collect::<Vec<_>>(),
            [
                &Issue::UnknownColumn("surat".into()),
                &Issue::MissingColumn("email")
            ]
        );
        assert_eq!(check("", &lookup()).unwrap_err()[0].issue, Issue::Empty);
        assert_eq!(
            check("nama,email\n", &lookup()).unwrap_err()[0].issue,
            Issue::Empty
        );
        let p = check("nama,email\nBudi,b@x.go.id,extra\n", &lookup()).unwrap_err();
        assert_eq!(p[0].line, 2);
        assert_eq!(
            p[0].issue,
            Issue::TooManyFields {
                expected: 2,
                got: 3
            }
        );
        // a missing trailing field is only empty
        assert!(check("nama,email,nip\nBudi,b@x.go.id\n", &lookup()).is_ok());
    }

    #[test]
    fn supervisors_in_the_file_can_come_later() {
        let text =
            "nama,email,email_atasan\nStaf,staf@x.go.id,kabag@x.go.id\nKabag,kabag@x.go.id,\n";
        let rows = check(text, &lookup()).unwrap();
        assert_eq!(rows[0].supervisor, Some(Supervisor::Row(1)));
    }
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn a_unit_path_may_start_below_the_top() {
        let unit = |id, parent, name: &str| Unit {
            id,
            agency_id: 1,
            parent_id: parent,
            name: name.into(),
        };
        let index = UnitIndex::new(&[
            unit(1, None, "Dinas Kesehatan"),
            unit(2, Some(1), "Sekretariat"),
            unit(3, Some(2), "Subbag Umum"),
            unit(4, None, "Dinas Pendidikan"),
            unit(5, Some(4), "Sekretariat"),
            unit(6, Some(5), "Subbag Keuangan"),
        ]);
        assert_eq!(index.resolve("Sekretariat/Subbag Umum").ok(), Some(3));
        assert_eq!(
            index
                .resolve("Dinas Kesehatan/Sekretariat/Subbag Umum")
                .ok(),
            Some(3)
        );
        assert!(matches!(
            index.resolve("Sekretariat"),
            Err(Issue::UnitAmbiguous(_))
        ));
        assert_eq!(index.resolve("Dinas Pendidikan/Sekretariat").ok(), Some(5));
        assert!(matches!(
            index.resolve("Bidang/Subbag Umum"),
            Err(Issue::UnitNotFound(_))
        ));
    }
}
