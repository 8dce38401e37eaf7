//! The agency report: JP compliance by unit, competency gaps by position, course completions, and
//! the development history per ASN as CSV for entry into SIASN. "People of the agency" are its
//! users who are not disabled, everywhere in this module.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::evidence;
use super::jp;
use super::profile::{self, Basis, Competency, Profile};
use super::recommend::{self, ContentGap, Offer};
use super::store;
use crate::accounts::orgs::{self, UnitChoice};
use crate::db::schema::{
    activities, certificates, completions, course_versions, courses, enrollments, partners, users,
};
use crate::db::{DbConnection, DbError};

/// A person of the agency.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub nip: Option<String>,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
}

/// Users of the agency who are not disabled, by name.
pub fn people(conn: &mut DbConnection, agency_id: i64) -> Result<Vec<Person>, DbError> {
    Ok(users::table
        .filter(users::agency_id.eq(agency_id))
        .filter(users::disabled.eq(false))
        .order((users::name, users::id))
        .select(Person::as_select())
        .load(conn)?)
}

// ---------- JP compliance by unit ----------

/// One line of the compliance table: a unit with all its sub-units, or "without unit" (`unit_id`
/// None), or the agency total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitLine {
    pub unit_id: Option<i64>,
    /// The unit's path ("Dinas Kominfo › Bidang Aplikasi"); empty for people without unit.
    pub path: String,
    pub depth: usize,
    /// People in the unit and in all its sub-units.
    pub people: usize,
    pub met: usize,
    /// Share of people with at least the target, in whole percent rounded down (so 100 means
    /// everyone); None without people.
    pub percent: Option<u32>,
    /// People placed directly in the unit (not in a sub-unit).
    pub direct: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub year: i32,
    pub target: i64,
    /// The top-level units (perangkat daerah), each with everything under it, then people
    /// without a unit.
    pub top: Vec<UnitLine>,
    /// Every unit in tree order (parents before their sub-units), each with its sub-units.
    pub units: Vec<UnitLine>,
    pub total: UnitLine,
}

fn percent(met: usize, people: usize) -> Option<u32> {
    (people > 0).then(|| (met * 100 / people) as u32)
}

/// Tally people (`unit`, JP earned) against the target, per unit of the tree (in tree order, each
/// counting the people in it and in all its sub-units, so a dinas whose staff sit in its bidang
/// is not "0 ASN"), then people without a known unit, then the total.
pub fn compliance(
    tree: &[UnitChoice],
    people: &[(Option<i64>, i64)],
    target: i64,
    year: i32,
) -> Compliance {
    let blank = |unit_id, path: &str, depth| UnitLine {
        unit_id,
        path: path.to_string(),
        depth,
        people: 0,
        met: 0,
        percent: None,
        direct: 0,
    };
    let mut lines: Vec<UnitLine> = tree
        .iter()
        .map(|u| blank(Some(u.id), &u.label, u.depth))
        .collect();
    // Each unit's line and its ancestors' lines, from the tree order: a unit's ancestors are the
    // nearest earlier lines of each smaller depth.
    let mut chains: std::collections::HashMap<i64, Vec<usize>> = Default::default();
    let mut stack: Vec<usize> = Vec::new();
    for (i, u) in tree.iter().enumerate() {
        stack.truncate(u.depth.min(stack.len()));
        stack.push(i);
        chains.insert(u.id, stack.clone());
    }
    let mut none = blank(None, "", 0);
    let mut total = none.clone();
    for (unit, earned) in people {
        let ok = *earned >= target;
        total.people += 1;
        total.met += usize::from(ok);
        match unit.and_then(|id| chains.get(&id)) {
            Some(chain) => {
                for &i in chain {
                    lines[i].people += 1;
                    lines[i].met += usize::from(ok);
                }
                if let Some(&own) = chain.last() {
                    lines[own].direct += 1;
                }
            }
            None => {
                none.people += 1;
                none.direct += 1;
                none.met += usize::from(ok);
            }
        }
    }
    if none.people > 0 {
        lines.push(none);
    }
    for l in lines.iter_mut().chain(std::iter::once(&mut total)) {
        l.percent = percent(l.met, l.people);
    }
    let top = lines.iter().filter(|l| l.depth == 0).cloned().collect();
    Compliance {
        year,
        target,
        top,
        units: lines,
        total,
    }
}

/// JP compliance of the agency's people in `year`.
pub fn load_compliance(
    conn: &mut DbConnection,
    agency_id: i64,
    people: &[Person],
    year: i32,
) -> Result<Compliance, DbError> {
    let tree = orgs::unit_tree(&orgs::units(conn, agency_id)?);
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let earned = jp::earned_many(conn, &ids, year)?;
    let target = jp::target(conn, Some(agency_id))?;
    let tally: Vec<(Option<i64>, i64)> = people
        .iter()
        .map(|p| (p.unit_id, earned.get(&p.id).copied().unwrap_or(0)))
        .collect();
    Ok(compliance(&tree, &tally, target, year))
}

// ---------- competency gaps by position ----------

/// One targeted competency of a position, across its holders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapLine {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub target: i32,
    /// Holders whose level is below the target.
    pub below: usize,
    /// The mean gap over all holders (0 for those who meet it); None without holders.
    pub average: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionGaps {
    pub position_id: i64,
    pub name: String,
    pub kind: String,
    pub holders: usize,
    pub lines: Vec<GapLine>,
}

fn kind_order(kind: &str) -> u8 {
    match kind {
        "manajerial" => 0,
        "sosial-kultural" => 1,
        _ => 2,
    }
}

/// Per targeted competency: how many of the holders' profiles fall short, and the mean gap.
pub fn gap_lines(
    targets: &[(String, i32)],
    dictionary: &[Competency],
    holders: &[Profile],
) -> Vec<GapLine> {
    let mut lines: Vec<GapLine> = targets
        .iter()
        .map(|(code, target)| {
            let info = dictionary.iter().find(|c| c.code == *code);
            let gaps: Vec<i32> = holders
                .iter()
                .map(|p| {
                    p.rows
                        .iter()
                        .find(|r| r.code == *code)
                        .map(|r| r.gap)
                        .unwrap_or(0)
                })
                .collect();
            GapLine {
                code: code.clone(),
                name: info.map(|c| c.name.clone()).unwrap_or_else(|| code.clone()),
                kind: info
                    .map(|c| c.kind.clone())
                    .unwrap_or_else(|| "teknis".into()),
                target: (*target).clamp(1, 5),
                below: gaps.iter().filter(|g| **g > 0).count(),
                average: (!gaps.is_empty())
                    .then(|| f64::from(gaps.iter().sum::<i32>()) / gaps.len() as f64),
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        kind_order(&a.kind)
            .cmp(&kind_order(&b.kind))
            .then(a.code.cmp(&b.code))
    });
    lines
}

/// Gaps for every position of the agency, each holder's profile built as their own profile page
/// builds it (targets, the agency's basis, assessed levels, evidence).
/// The gaps of an agency's positions, and its content gaps: gaps of its people that no
/// published course (`offers`) addresses.
pub fn load_gaps(
    conn: &mut DbConnection,
    agency_id: i64,
    people: &[Person],
    offers: &[Offer],
) -> Result<(Vec<PositionGaps>, Vec<ContentGap>), DbError> {
    let dict = store::dictionary(conn)?;
    let basis = super::admin::settings(conn, agency_id)
        .map(|s| s.basis)
        .unwrap_or(Basis::Assessed);
    let mut out = Vec::new();
    let mut content = Vec::new();
    for position in orgs::positions(conn, agency_id)? {
        let explicit = store::position_targets(conn, position.id)?;
        let targets = profile::targets(Some(&position.kind), &explicit, &dict);
        // one position's holders at a time: an agency of 40,000 never has everyone's evidence
        // in memory at once
        let ids: Vec<i64> = people
            .iter()
            .filter(|p| p.position_id == Some(position.id))
            .map(|p| p.id)
            .collect();
        let mut assessed = store::assessed_of_many(conn, &ids)?;
        let mut evidence = evidence::of_users(conn, &ids)?;
        let mut profiles = Vec::with_capacity(ids.len());
        for id in &ids {
            let assessed = assessed.remove(id).unwrap_or_default();
            let evidence = evidence.remove(id).unwrap_or_default();
            profiles.push(profile::build(&dict, &targets, &assessed, &evidence, basis));
        }
        out.push(PositionGaps {
            position_id: position.id,
            name: position.name,
            kind: position.kind,
            holders: profiles.len(),
            lines: gap_lines(&targets, &dict, &profiles),
        });
        content.push(recommend::content_gaps(&profiles, offers));
    }
    Ok((out, recommend::merge(content)))
}

/// The content gaps of every agency together (counts only): what authors should write next.
pub fn all_content_gaps(
    conn: &mut DbConnection,
    offers: &[Offer],
) -> Result<Vec<ContentGap>, DbError> {
    let mut all = Vec::new();
    for a in orgs::agencies(conn)? {
        let people = people(conn, a.id)?;
        all.push(load_gaps(conn, a.id, &people, offers)?.1);
    }
    Ok(recommend::merge(all))
}

// ---------- course completions ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseCount {
    pub course_id: i64,
    pub title: String,
    pub year: i64,
    pub all_time: i64,
}

/// Completions by the agency's people per course: in `year` and all time; busiest first.
pub fn load_completions(
    conn: &mut DbConnection,
    people: &[Person],
    year: i32,
) -> Result<Vec<CourseCount>, DbError> {
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    // a completion's year is the person's, in their agency's zone
    let zones = crate::clock::zones_of_users(conn, &ids)?;
    let mut counts: HashMap<i64, (i64, i64)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, i64, NaiveDateTime)> = completions::table
            .filter(completions::user_id.eq_any(chunk))
            .select((
                completions::user_id,
                completions::course_id,
                completions::completed_at,
            ))
            .load(conn)?;
        for (user, course, at) in rows {
            let c = counts.entry(course).or_default();
            c.1 += 1;
            if zone_of(&zones, user).year_of(at) == year {
                c.0 += 1;
            }
        }
    }
    let course_ids: Vec<i64> = counts.keys().copied().collect();
    // the title of each course's newest version (the current one, or the last published)
    let titles: Vec<(i64, Option<i64>, i64, String)> = courses::table
        .inner_join(course_versions::table.on(course_versions::course_id.eq(courses::id)))
        .filter(courses::id.eq_any(&course_ids))
        .order(course_versions::id)
        .select((
            courses::id,
            courses::current_version_id,
            course_versions::id,
            course_versions::title,
        ))
        .load(conn)?;
    let mut title_of: HashMap<i64, (bool, String)> = HashMap::new();
    for (course, current, version, title) in titles {
        let is_current = current == Some(version);
        let keep = title_of.get(&course).is_some_and(|(cur, _)| *cur) && !is_current;
        if !keep {
            title_of.insert(course, (is_current, title));
        }
    }
    let mut out: Vec<CourseCount> = counts
        .into_iter()
        .map(|(course_id, (year, all_time))| CourseCount {
            course_id,
            title: title_of
                .remove(&course_id)
                .map(|(_, t)| t)
                .unwrap_or_else(|| format!("#{course_id}")),
            year,
            all_time,
        })
        .collect();
    out.sort_by(|a, b| {
        b.year
            .cmp(&a.year)
            .then(b.all_time.cmp(&a.all_time))
            .then(a.title.to_lowercase().cmp(&b.title.to_lowercase()))
    });
    Ok(out)
}

// ---------- development history (SIASN export) ----------

/// What a history entry is: a course completed on the platform or an approved activity (its kind
/// code, as in `activities.kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Course,
    Activity(String),
}

/// One line of a person's development history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub user_id: i64,
    pub name: String,
    pub nip: Option<String>,
    pub title: String,
    pub source: Source,
    /// The organiser: an activity's, or a certificate's issuer (None: the platform's issuer).
    pub organizer: Option<String>,
    pub started: NaiveDate,
    pub ended: NaiveDate,
    pub jp: i64,
    pub certificate: Option<String>,
}

/// The columns of SIASN's course history (riwayat kursus), named as SIASN names them, with the
/// person's name after the NIP so that an HR officer can check whom a line is about (`nama` is not
/// a SIASN field). Dates as SIASN writes them, DD-MM-YYYY.
pub const HISTORY_HEADER: [&str; 11] = [
    "nipBaru",
    "nama",
    "namaKursus",
    "jenisDiklatId",
    "jenisKursus",
    "institusiPenyelenggara",
    "jumlahJam",
    "nomorSertipikat",
    "tanggalKursus",
    "tanggalSelesaiKursus",
    "tahunKursus",
];

/// SIASN's reference of kinds (jenis diklat / jenis kursus: id and name) for each activity kind.
/// BKN does not publish this reference openly: the ids and names are SIASN's `jenis diklat` list
/// as regional HR systems that post to SIASN carry it (1 Diklat Struktural … 25 Pengembangan
/// Kompetensi Dalam Bentuk Pelatihan Nonklasikal Lainnya); check them against the instance's
/// reference before a bulk import. The README has the table.
pub const SIASN_KINDS: [(&str, u32, &str); 12] = [
    (
        "pelatihan_klasikal",
        13,
        "Pengembangan Kompetensi Dalam Bentuk Pelatihan Klasikal Lainnya",
    ),
    ("seminar", 9, "Seminar"),
    ("workshop", 4, "Workshop"),
    ("bimtek", 8, "Bimbingan Teknis"),
    ("kursus", 11, "Kursus"),
    ("sosialisasi", 7, "Sosialisasi"),
    ("coaching", 14, "Coaching"),
    ("mentoring", 15, "Mentoring"),
    ("magang", 10, "Magang"),
    ("studi_banding", 20, "Patok Banding (Benchmarking)"),
    ("e_learning", 16, "E-Learning"),
    (
        "lainnya",
        25,
        "Pengembangan Kompetensi Dalam Bentuk Pelatihan Nonklasikal Lainnya",
    ),
];

/// SIASN's kind for a course completed on the platform: e-learning.
pub const COURSE_KIND: (u32, &str) = (16, "E-Learning");

/// SIASN's (id, name) for an activity kind; an unknown kind is "lainnya".
pub fn siasn_kind(kind: &str) -> (u32, &'static str) {
    SIASN_KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .or(SIASN_KINDS.last())
        .map(|(_, id, name)| (*id, *name))
        .unwrap_or(COURSE_KIND)
}

fn zone_of(zones: &HashMap<i64, crate::clock::Zone>, user: i64) -> crate::clock::Zone {
    zones
        .get(&user)
        .copied()
        .unwrap_or_else(crate::clock::platform_default)
}

/// Courses completed and activities approved by the agency's people in `year` (by completion
/// date / activity end date), sorted by name, then date.
pub fn load_history(
    conn: &mut DbConnection,
    people: &[Person],
    year: i32,
) -> Result<Vec<HistoryRow>, DbError> {
    let mut out = Vec::new();
    for chunk in people.chunks(HISTORY_CHUNK) {
        out.extend(history_of(conn, chunk, year)?);
    }
    sort_history(&mut out);
    Ok(out)
}

/// How many people's history is read at a time.
pub const HISTORY_CHUNK: usize = 500;

/// The history of at most [`HISTORY_CHUNK`] people in `year`, sorted as [`sort_history`] sorts.
/// People taken in [`history_order`], a chunk at a time, give the whole history in its order with
/// only one chunk's rows in memory (the SIASN export of an agency of 40,000 is streamed so).
pub fn history_of(
    conn: &mut DbConnection,
    people: &[Person],
    year: i32,
) -> Result<Vec<HistoryRow>, DbError> {
    let by_id: HashMap<i64, &Person> = people.iter().map(|p| (p.id, p)).collect();
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let zones = crate::clock::zones_of_users(conn, &ids)?;
    let mut out = Vec::new();
    for chunk in ids.chunks(HISTORY_CHUNK) {
        course_history(conn, chunk, &by_id, &zones, year, &mut out)?;
        activity_history(conn, chunk, &by_id, year, &mut out)?;
    }
    sort_history(&mut out);
    Ok(out)
}

/// People in the order the history lists them (name regardless of case, then id).
pub fn history_order(people: &mut [Person]) {
    people.sort_by_cached_key(|p| (p.name.to_lowercase(), p.id));
}

/// The courses the people in `chunk` completed in the year, added to `out`.
fn course_history(
    conn: &mut DbConnection,
    chunk: &[i64],
    by_id: &HashMap<i64, &Person>,
    zones: &HashMap<i64, crate::clock::Zone>,
    year: i32,
    out: &mut Vec<HistoryRow>,
) -> Result<(), DbError> {
    // completions are instants: selected wide, kept by their year and dated in the person's zone
    let (at_from, at_to) = jp::any_zone_bounds(year);
    let done: Vec<CourseRow> = completions::table
        .inner_join(enrollments::table.on(enrollments::id.eq(completions::enrollment_id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(completions::version_id)))
        .filter(completions::user_id.eq_any(chunk))
        .filter(completions::completed_at.ge(at_from))
        .filter(completions::completed_at.lt(at_to))
        .select(CourseRow::as_select())
        .load(conn)?;
    let completion_ids: Vec<i64> = done.iter().map(|d| d.id).collect();
    let cert_of = certificates_of(conn, &completion_ids)?;
    let course_ids: Vec<i64> = done.iter().map(|d| d.course_id).collect();
    let providers = providers_of(conn, &course_ids)?;
    for CourseRow {
        id,
        user_id: user,
        completed_at: completed,
        jp,
        title,
        enrolled_at: enrolled,
        course_id,
    } in done
    {
        let Some(p) = by_id.get(&user) else { continue };
        let zone = zone_of(zones, user);
        if zone.year_of(completed) != year {
            continue;
        }
        let cert = cert_of.get(&id);
        let ended = zone.date_of(completed);
        // a partner's course is organised by the partner: its name as signed on the
        // certificate, else the course's provider as it is now
        let organizer = cert
            .and_then(|(_, _, partner)| partner.clone())
            .or_else(|| providers.get(&course_id).cloned())
            .or_else(|| cert.map(|(_, issuer, _)| issuer.clone()));
        out.push(HistoryRow {
            user_id: user,
            name: p.name.clone(),
            nip: p.nip.clone(),
            title,
            source: Source::Course,
            organizer,
            started: zone.date_of(enrolled).min(ended),
            ended,
            jp: i64::from(jp),
            certificate: cert.map(|(number, _, _)| number.clone()),
        });
    }
    Ok(())
}

/// A certificate as the history shows it: (number, issuer, partner).
type CertificateNote = (String, String, Option<String>);

/// The unrevoked certificates of these completions, by completion.
fn certificates_of(
    conn: &mut DbConnection,
    completion_ids: &[i64],
) -> Result<HashMap<i64, CertificateNote>, DbError> {
    let certs: Vec<(i64, String, String, Option<String>)> = certificates::table
        .filter(certificates::completion_id.eq_any(completion_ids))
        .filter(certificates::revoked_at.is_null())
        .order(certificates::id)
        .select((
            certificates::completion_id,
            certificates::number,
            certificates::issuer,
            certificates::partner,
        ))
        .load(conn)?;
    Ok(certs
        .into_iter()
        .map(|(c, number, issuer, partner)| (c, (number, issuer, partner)))
        .collect())
}

/// The provider (partner) name of each of these courses that has one.
fn providers_of(
    conn: &mut DbConnection,
    course_ids: &[i64],
) -> Result<HashMap<i64, String>, DbError> {
    Ok(courses::table
        .inner_join(partners::table.on(courses::provider_id.eq(partners::id.nullable())))
        .filter(courses::id.eq_any(course_ids))
        .select((courses::id, partners::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// The approved activities of the people in `chunk` that ended in the year, added to `out`.
fn activity_history(
    conn: &mut DbConnection,
    chunk: &[i64],
    by_id: &HashMap<i64, &Person>,
    year: i32,
    out: &mut Vec<HistoryRow>,
) -> Result<(), DbError> {
    let (from, to) = jp::year_bounds(year);
    let approved: Vec<ActivityRow> = activities::table
        .filter(activities::user_id.eq_any(chunk))
        .filter(activities::status.eq("approved"))
        .filter(activities::ended_at.ge(from))
        .filter(activities::ended_at.lt(to))
        .select(ActivityRow::as_select())
        .load(conn)?;
    for ActivityRow {
        user_id: user,
        kind,
        title,
        organizer,
        started_at: started,
        ended_at: ended,
        jp,
        certificate_number: number,
    } in approved
    {
        let Some(p) = by_id.get(&user) else { continue };
        out.push(HistoryRow {
            user_id: user,
            name: p.name.clone(),
            nip: p.nip.clone(),
            title,
            source: Source::Activity(kind),
            organizer: Some(organizer),
            started: started.date(),
            ended: ended.date(),
            jp: i64::from(jp),
            certificate: number.filter(|n| !n.trim().is_empty()),
        });
    }
    Ok(())
}

/// A completion of the year with its course's title and the enrolment's date (see
/// [`load_history`]).
#[derive(Queryable, Selectable)]
#[diesel(table_name = completions, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct CourseRow {
    id: i64,
    user_id: i64,
    completed_at: NaiveDateTime,
    jp: i32,
    #[diesel(select_expression = course_versions::title)]
    title: String,
    #[diesel(select_expression = enrollments::enrolled_at)]
    enrolled_at: NaiveDateTime,
    course_id: i64,
}

/// An approved activity of the year (see [`load_history`]).
#[derive(Queryable, Selectable)]
#[diesel(table_name = activities, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct ActivityRow {
    user_id: i64,
    kind: String,
    title: String,
    organizer: String,
    started_at: NaiveDateTime,
    ended_at: NaiveDateTime,
    jp: i32,
    certificate_number: Option<String>,
}

/// By name, then (for namesakes) person, then end date, start date and title.
pub fn sort_history(rows: &mut [HistoryRow]) {
    rows.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.user_id.cmp(&b.user_id))
            .then(a.ended.cmp(&b.ended))
            .then(a.started.cmp(&b.started))
            .then(a.title.cmp(&b.title))
    });
}

/// A cell a spreadsheet would take for a formula gets a leading apostrophe.
pub fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// The UTF-8 byte order mark, so that Excel reads the file as UTF-8.
pub const BOM: &str = "\u{feff}";

/// The history as CSV (UTF-8 with BOM, CRLF lines) in SIASN's columns ([`HISTORY_HEADER`]), kinds
/// mapped to SIASN's reference ([`SIASN_KINDS`]); `issuer` is the organiser of courses that are
/// neither a partner's nor certified.
pub fn history_csv(rows: &[HistoryRow], issuer: &str) -> Result<Vec<u8>, csv::Error> {
    let mut out = history_csv_head()?;
    out.extend(history_csv_lines(rows, issuer)?);
    Ok(out)
}

/// The start of the history CSV: the byte order mark and the header line.
pub fn history_csv_head() -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.as_bytes().to_vec());
    w.write_record(HISTORY_HEADER)?;
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The history CSV's lines for `rows` (no header: they follow [`history_csv_head`]).
pub fn history_csv_lines(rows: &[HistoryRow], issuer: &str) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        let (kind_id, kind) = match &r.source {
            Source::Course => COURSE_KIND,
            Source::Activity(k) => siasn_kind(k),
        };
        let cells = [
            r.nip.clone().unwrap_or_default(),
            r.name.clone(),
            r.title.clone(),
            kind_id.to_string(),
            kind.to_string(),
            r.organizer.clone().unwrap_or_else(|| issuer.to_string()),
            r.jp.to_string(),
            r.certificate.clone().unwrap_or_default(),
            r.started.format("%d-%m-%Y").to_string(),
            r.ended.format("%d-%m-%Y").to_string(),
            r.ended.format("%Y").to_string(),
        ];
        w.write_record(cells.iter().map(|c| defuse(c)))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::competency::profile::build;

    fn unit(id: i64, label: &str, depth: usize) -> UnitChoice {
        UnitChoice {
            id,
            label: label.into(),
            depth,
            choice: label.into(),
        }
    }

    #[test]
    fn compliance_rolls_each_unit_up_with_its_sub_units() {
        let tree = vec![
            unit(1, "Dinas Kominfo", 0),
            unit(2, "Dinas Kominfo › Bidang Aplikasi", 1),
            unit(4, "Dinas Kominfo › Bidang Aplikasi › Seksi Data", 2),
            unit(5, "Dinas Kominfo › Bidang Statistik", 1),
            unit(3, "Inspektorat", 0),
        ];
        let people = vec![
            (Some(1), 20),
            (Some(2), 19),
            (Some(2), 35),
            (Some(4), 0),
            (Some(5), 40),
            (None, 25),
            (Some(99), 3), // a unit not of this agency: counted without unit
        ];
        let c = compliance(&tree, &people, 20, 2026);
        type Line = (Option<i64>, usize, usize, Option<u32>, usize);
        let got: Vec<Line> = c
            .units
            .iter()
            .map(|l| (l.unit_id, l.people, l.met, l.percent, l.direct))
            .collect();
        assert_eq!(
            got,
            [
                (Some(1), 5, 3, Some(60), 1),
                (Some(2), 3, 1, Some(33), 2),
                (Some(4), 1, 0, Some(0), 1),
                (Some(5), 1, 1, Some(100), 1),
                (Some(3), 0, 0, None, 0),
                (None, 2, 1, Some(50), 2),
            ]
        );
        // the perangkat daerah first: top-level units and those without unit
        let top: Vec<(Option<i64>, usize)> = c.top.iter().map(|l| (l.unit_id, l.people)).collect();
        assert_eq!(top, [(Some(1), 5), (Some(3), 0), (None, 2)]);
        assert_eq!(c.units[1].path, "Dinas Kominfo › Bidang Aplikasi");
        assert_eq!(
            (c.total.people, c.total.met, c.total.percent),
            (7, 4, Some(57))
        );
        // a dinas with staff only in its bidang is not "0 ASN"
        let c = compliance(&tree, &[(Some(2), 0), (Some(4), 30)], 20, 2026);
        assert_eq!((c.top[0].people, c.top[0].met, c.top[0].direct), (2, 1, 0));
        // a higher agency target
        let c = compliance(&tree, &people, 30, 2026);
        assert_eq!(c.total.met, 2);
        // nobody without unit: no such line
        let c = compliance(&tree, &[(Some(1), 0)], 20, 2026);
        assert!(c.units.iter().all(|l| l.unit_id.is_some()));
        assert_eq!(c.total.percent, Some(0));
    }

    #[test]
    fn shares_round_down_so_100_means_everyone() {
        assert_eq!(percent(199, 200), Some(99));
        assert_eq!(percent(2, 3), Some(66));
        assert_eq!(percent(0, 0), None);
    }

    #[test]
    fn gap_lines_count_holders_below_and_average_over_all_holders() {
        let dict = vec![
            Competency {
                code: "T.EGOV".into(),
                name: "Layanan Pemerintahan Berbasis Elektronik".into(),
                kind: "teknis".into(),
            },
            Competency {
                code: "M.PP".into(),
                name: "Pelayanan Publik".into(),
                kind: "manajerial".into(),
            },
        ];
        let targets = vec![("T.EGOV".to_string(), 3), ("M.PP".to_string(), 2)];
        let ev = |code: &str, level: i32| crate::competency::evidence::Evidence {
            code: code.into(),
            level,
            source_kind: "course".into(),
            source_id: 1,
            title: "Kursus".into(),
            earned_at: chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        };
        let holders = vec![
            build(&dict, &targets, &[], &[], Basis::Assessed),
            build(
                &dict,
                &targets,
                &[],
                &[ev("M.PP", 2), ev("T.EGOV", 2)],
                Basis::Assessed,
            ),
        ];
        let lines = gap_lines(&targets, &dict, &holders);
        assert_eq!(lines[0].code, "M.PP", "managerial first");
        assert_eq!((lines[0].below, lines[0].average), (1, Some(1.0)));
        assert_eq!(lines[1].name, "Layanan Pemerintahan Berbasis Elektronik");
        assert_eq!((lines[1].below, lines[1].average), (2, Some(2.0)));
        let none = gap_lines(&targets, &dict, &[]);
        assert_eq!((none[0].below, none[0].average), (0, None));
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn the_csv_has_a_bom_siasn_columns_and_defused_cells_sorted_by_name_then_date() {
        let mut rows = vec![
            HistoryRow {
                user_id: 2,
                name: "Siti".into(),
                nip: Some("198503302010012001".into()),
                title: "Pelayanan Publik Prima".into(),
                source: Source::Course,
                organizer: None,
                started: day(2, 1),
                ended: day(2, 3),
                jp: 6,
                certificate: None,
            },
            HistoryRow {
                user_id: 2,
                name: "Siti".into(),
                nip: Some("198503302010012001".into()),
                title: "Bimtek SPBE".into(),
                source: Source::Activity("bimtek".into()),
                organizer: Some("Kementerian PANRB".into()),
                started: day(1, 10),
                ended: day(1, 12),
                jp: 16,
                certificate: None,
            },
            HistoryRow {
                user_id: 1,
                name: "=HYPERLINK(\"x\")".into(),
                nip: None,
                title: "Etika, \"Integritas\"".into(),
                source: Source::Course,
                organizer: Some("BPSDM".into()),
                started: day(3, 1),
                ended: day(3, 1),
                jp: 4,
                certificate: Some("CKP/2026/000001".into()),
            },
        ];
        sort_history(&mut rows);
        let bytes = history_csv(&rows, "Cakap").unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix(BOM).expect("a BOM");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], HISTORY_HEADER.join(","));
        assert_eq!(
            lines[1],
            ",\"'=HYPERLINK(\"\"x\"\")\",\"Etika, \"\"Integritas\"\"\",16,E-Learning,BPSDM,4,CKP/2026/000001,01-03-2026,01-03-2026,2026"
        );
        assert_eq!(
            lines[2],
            "198503302010012001,Siti,Bimtek SPBE,8,Bimbingan Teknis,Kementerian PANRB,16,,10-01-2026,12-01-2026,2026"
        );
        assert_eq!(
            lines[3],
            "198503302010012001,Siti,Pelayanan Publik Prima,16,E-Learning,Cakap,6,,01-02-2026,03-02-2026,2026"
        );
        assert_eq!(lines[4], "");
        // every activity kind has a SIASN kind; an unknown one is "lainnya"
        for k in super::super::kinds::KINDS {
            assert!(SIASN_KINDS.iter().any(|(x, _, _)| *x == k), "{k}");
        }
        assert_eq!(siasn_kind("tak-dikenal").0, 25);
        assert_eq!(defuse("-1"), "'-1");
        assert_eq!(defuse("@x"), "'@x");
        assert_eq!(defuse("+62"), "'+62");
        assert_eq!(defuse("Biasa"), "Biasa");
    }
}
