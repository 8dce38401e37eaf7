//! Development outside the platform: an ASN records an activity (classroom training, seminar,
//! workshop, coaching, internship, …) with dates, JP, an optional competency and an evidence file;
//! their supervisor approves or rejects it with a note. Only approved activities count: they add
//! JP to the year they ended in and, when they name a competency, learning evidence.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::kinds::{KINDS, MAX_JP};
use crate::db::schema::{activities, activity_files, competency_evidence, users};
use crate::db::{audit, DbConnection, DbError};

/// Largest evidence file accepted.
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;

/// The content type of an evidence file, judged by its first bytes (never by its name or the
/// browser's claim): PDF, PNG or JPEG.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// What the form sends, as text.
#[derive(Debug, Clone, Default)]
pub struct Raw {
    pub kind: String,
    pub title: String,
    pub organizer: String,
    pub started: String,
    pub ended: String,
    pub jp: String,
    pub competency: String,
    pub level: String,
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A valid new activity.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    pub kind: String,
    pub title: String,
    pub organizer: String,
    pub started: NaiveDate,
    pub ended: NaiveDate,
    pub jp: i32,
    pub competency: Option<(String, i32)>,
}

/// A field and the message key saying what is wrong with it.
pub type FieldError = (&'static str, &'static str);

fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// Check a submitted activity against the dictionary's codes and today's date.
pub fn validate(
    raw: &Raw,
    codes: &[String],
    today: NaiveDate,
) -> Result<NewActivity, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = raw.kind.trim().to_string();
    if !KINDS.contains(&kind.as_str()) {
        errors.push(("kind", "activities.error.kind"));
    }
    let title = raw.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.chars().count() < 3 || title.chars().count() > 200 {
        errors.push(("title", "activities.error.title"));
    }
    let organizer = raw
        .organizer
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if organizer.chars().count() < 2 || organizer.chars().count() > 200 {
        errors.push(("organizer", "activities.error.organizer"));
    }
    let started = date(&raw.started);
    let ended = date(&raw.ended);
    match (started, ended) {
        (None, _) => errors.push(("started", "activities.error.date")),
        (_, None) => errors.push(("ended", "activities.error.date")),
        (Some(s), Some(e)) if e < s => errors.push(("ended", "activities.error.order")),
        (_, Some(e)) if e > today => errors.push(("ended", "activities.error.future")),
        (Some(s), _) if s < today - chrono::Duration::days(366 * 5) => {
            errors.push(("started", "activities.error.too_old"))
        }
        _ => {}
    }
    let jp = raw
        .jp
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|j| (1..=MAX_JP).contains(j));
    if jp.is_none() {
        errors.push(("jp", "activities.error.jp"));
    }
    let code = raw.competency.trim();
    let competency = if code.is_empty() {
        None
    } else if !codes.iter().any(|c| c == code) {
        errors.push(("competency", "activities.error.competency"));
        None
    } else {
        match raw
            .level
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|l| (1..=5).contains(l))
        {
            Some(l) => Some((code.to_string(), l)),
            None => {
                errors.push(("level", "activities.error.level"));
                None
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewActivity {
        kind,
        title,
        organizer,
        started: started.unwrap_or(today),
        ended: ended.unwrap_or(today),
        jp: jp.unwrap_or(1),
        competency,
    })
}

/// Check an uploaded evidence file: size and real type.
pub fn check_file(u: &Upload) -> Result<&'static str, &'static str> {
    if u.bytes.is_empty() {
        return Err("activities.error.file_empty");
    }
    if u.bytes.len() > MAX_FILE_BYTES {
        return Err("activities.error.file_size");
    }
    sniff(&u.bytes).ok_or("activities.error.file_type")
}

/// A clean file name to offer back: the base name, printable characters only.
pub fn clean_name(name: &str, content_type: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        match content_type {
            "application/pdf" => "bukti.pdf".into(),
            "image/png" => "bukti.png".into(),
            _ => "bukti.jpg".into(),
        }
    } else {
        cleaned
    }
}

/// An activity as stored.
///
/// Selected with [`Activity::as_select`] from `activities` left-joined with its `activity_files`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = activities, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Activity {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub title: String,
    pub organizer: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub started_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub ended_at: NaiveDateTime,
    pub jp: i32,
    pub competency_code: Option<String>,
    pub competency_level: Option<i32>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reviewer_id: Option<i64>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub created_at: NaiveDateTime,
    /// Name of the evidence file, if one was attached.
    #[diesel(select_expression = activity_files::name.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<activity_files::name>)]
    pub file_name: Option<String>,
    /// Rupiah the agency paid for it, if known (see `budget`).
    pub cost: Option<i64>,
    /// The certificate (STTPL) number, if the activity gave one; exported to SIASN.
    pub certificate_number: Option<String>,
}

/// Longest certificate number accepted.
pub const CERTIFICATE_NUMBER_MAX: usize = 100;

/// A certificate (STTPL) number as typed: one line, trimmed; empty means none. Too long: the
/// message key.
pub fn parse_certificate_number(s: &str) -> Result<Option<String>, &'static str> {
    let n = crate::text::one_line(s);
    if n.is_empty() {
        Ok(None)
    } else if n.chars().count() > CERTIFICATE_NUMBER_MAX {
        Err("activities.error.certificate_number")
    } else {
        Ok(Some(n))
    }
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// Record a new (pending) activity with its file, in one transaction.
pub fn create(
    conn: &mut DbConnection,
    user_id: i64,
    a: &NewActivity,
    file: Option<(&Upload, &str)>,
) -> Result<i64, DbError> {
    create_costed(conn, user_id, a, None, file)
}

/// [`create`], with the rupiah the agency paid for it (optional; see `budget`).
pub fn create_costed(
    conn: &mut DbConnection,
    user_id: i64,
    a: &NewActivity,
    cost: Option<i64>,
    file: Option<(&Upload, &str)>,
) -> Result<i64, DbError> {
    create_recorded(conn, user_id, a, cost, None, file)
}

/// [`create_costed`], with the certificate (STTPL) number the activity gave, if any.
pub fn create_recorded(
    conn: &mut DbConnection,
    user_id: i64,
    a: &NewActivity,
    cost: Option<i64>,
    certificate_number: Option<&str>,
    file: Option<(&Upload, &str)>,
) -> Result<i64, DbError> {
    crate::db::transaction(conn, |conn| {
        let id: i64 = diesel::insert_into(activities::table)
            .values((
                activities::user_id.eq(user_id),
                activities::kind.eq(&a.kind),
                activities::title.eq(&a.title),
                activities::organizer.eq(&a.organizer),
                activities::started_at.eq(midnight(a.started)),
                activities::ended_at.eq(midnight(a.ended)),
                activities::jp.eq(a.jp),
                activities::competency_code.eq(a.competency.as_ref().map(|c| c.0.clone())),
                activities::competency_level.eq(a.competency.as_ref().map(|c| c.1)),
                activities::status.eq("pending"),
                activities::created_at.eq(Utc::now().naive_utc()),
                activities::cost.eq(cost),
                activities::certificate_number.eq(certificate_number),
            ))
            .returning(activities::id)
            .get_result(conn)?;
        if let Some((u, content_type)) = file {
            diesel::insert_into(activity_files::table)
                .values((
                    activity_files::activity_id.eq(id),
                    activity_files::name.eq(clean_name(&u.name, content_type)),
                    activity_files::content_type.eq(content_type),
                    activity_files::size.eq(u.bytes.len() as i32),
                    activity_files::sha256.eq(hex::encode(Sha256::digest(&u.bytes))),
                    activity_files::bytes.eq(&u.bytes),
                ))
                .execute(conn)?;
        }
        Ok(id)
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<Activity>, DbError> {
    Ok(activities::table
        .left_join(activity_files::table.on(activity_files::activity_id.eq(activities::id)))
        .filter(activities::id.eq(id))
        .select(Activity::as_select())
        .first(conn)
        .optional()?)
}

/// A person's activities, newest first.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Activity>, DbError> {
    Ok(activities::table
        .left_join(activity_files::table.on(activity_files::activity_id.eq(activities::id)))
        .filter(activities::user_id.eq(user_id))
        .order((activities::ended_at.desc(), activities::id.desc()))
        .select(Activity::as_select())
        .load(conn)?)
}

/// Activities of a supervisor's direct reports with `status`, oldest first, with the person's name.
pub fn of_team(
    conn: &mut DbConnection,
    supervisor_id: i64,
    status: &str,
    limit: i64,
) -> Result<Vec<(Activity, String)>, DbError> {
    Ok(activities::table
        .left_join(activity_files::table.on(activity_files::activity_id.eq(activities::id)))
        .inner_join(users::table.on(users::id.eq(activities::user_id)))
        .filter(users::supervisor_id.eq(supervisor_id))
        .filter(activities::status.eq(status))
        .order((activities::created_at, activities::id))
        .limit(limit)
        .select((Activity::as_select(), users::name))
        .load(conn)?)
}

/// Why a review did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewRefused {
    /// No such activity, or its holder is not the reviewer's direct report.
    NotFound,
    /// Already approved or rejected.
    AlreadyReviewed,
    /// A rejection needs a note saying why.
    NoteRequired,
}

crate::domain_error!(
    /// A review refused ([`ReviewRefused`]) or the database failing.
    pub ReviewError,
    ReviewRefused
);

/// Approve or reject a pending activity of one's direct report, in one transaction: the decision,
/// the competency evidence when approved, and the audit log.
pub fn review(
    conn: &mut DbConnection,
    id: i64,
    supervisor_id: i64,
    approve: bool,
    note: &str,
) -> Result<Activity, ReviewError> {
    review_costed(conn, id, supervisor_id, approve, note, None)
}

/// [`review`], where the supervisor may also correct the cost: `Some(cost)` sets it (`Some(None)`
/// clears it), `None` leaves it as the learner entered it. The change is in the audit entry.
pub fn review_costed(
    conn: &mut DbConnection,
    id: i64,
    supervisor_id: i64,
    approve: bool,
    note: &str,
    cost: Option<Option<i64>>,
) -> Result<Activity, ReviewError> {
    let note = note.trim();
    crate::db::transaction(conn, |conn| {
        let Some(a) = find(conn, id)? else {
            return Err(ReviewRefused::NotFound.into());
        };
        let holder_supervisor: Option<i64> = users::table
            .find(a.user_id)
            .select(users::supervisor_id)
            .first(conn)?;
        if holder_supervisor != Some(supervisor_id) || a.user_id == supervisor_id {
            return Err(ReviewRefused::NotFound.into());
        }
        // (after the check of who decides: someone else's activity is not found, whatever the note)
        if !approve && note.chars().count() < 3 {
            return Err(ReviewRefused::NoteRequired.into());
        }
        let status = if approve { "approved" } else { "rejected" };
        let now = Utc::now().naive_utc();
        let changed = diesel::update(
            activities::table
                .filter(activities::id.eq(id))
                .filter(activities::status.eq("pending")),
        )
        .set((
            activities::status.eq(status),
            activities::reviewer_id.eq(Some(supervisor_id)),
            activities::reviewed_at.eq(Some(now)),
            activities::review_note
                .eq((!note.is_empty()).then(|| note.chars().take(1000).collect::<String>())),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(ReviewRefused::AlreadyReviewed.into());
        }
        let cost_note = change_cost(conn, &a, cost)?;
        if approve {
            record_evidence(conn, &a)?;
            super::milestones::award(conn, a.user_id)?;
        }
        audit::record(
            conn,
            Some(supervisor_id),
            if approve {
                "activity.approve"
            } else {
                "activity.reject"
            },
            &format!("activity:{id}"),
            format!("{note}{cost_note}").trim(),
        )?;
        Ok(find(conn, id)?.unwrap_or(a))
    })
}

/// Sets the cost the supervisor corrected (`Some`), if it differs; returns the audit note's
/// part saying so.
fn change_cost(
    conn: &mut DbConnection,
    a: &Activity,
    cost: Option<Option<i64>>,
) -> Result<String, DbError> {
    Ok(match cost {
        Some(c) if c != a.cost => {
            diesel::update(activities::table.find(a.id))
                .set(activities::cost.eq(c))
                .execute(conn)?;
            format!(
                " [cost {} -> {}]",
                a.cost
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "none".into()),
                c.map(|x| x.to_string()).unwrap_or_else(|| "none".into())
            )
        }
        _ => String::new(),
    })
}

/// An approved activity that names a competency is evidence of its level.
fn record_evidence(conn: &mut DbConnection, a: &Activity) -> Result<(), DbError> {
    if let (Some(code), Some(level)) = (&a.competency_code, a.competency_level) {
        diesel::insert_into(competency_evidence::table)
            .values((
                competency_evidence::user_id.eq(a.user_id),
                competency_evidence::code.eq(code),
                competency_evidence::level.eq(level),
                competency_evidence::source_kind.eq("activity"),
                competency_evidence::source_id.eq(a.id),
                competency_evidence::title.eq(&a.title),
                competency_evidence::earned_at.eq(a.ended_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The evidence file: (name, content type, bytes).
pub fn file(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<(String, String, Vec<u8>)>, DbError> {
    Ok(activity_files::table
        .find(id)
        .select((
            activity_files::name,
            activity_files::content_type,
            activity_files::bytes,
        ))
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> Raw {
        Raw {
            kind: "workshop".into(),
            title: "  Workshop   Penyusunan SOP Pelayanan ".into(),
            organizer: "BPSDM Provinsi Jawa Tengah".into(),
            started: "2026-03-02".into(),
            ended: "04/03/2026".into(),
            jp: "12".into(),
            competency: "M.PP".into(),
            level: "2".into(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn codes() -> Vec<String> {
        vec!["M.PP".into(), "T.EGOV".into()]
    }

    #[test]
    fn a_good_activity_is_cleaned_up() {
        let a = validate(&raw(), &codes(), today()).unwrap();
        assert_eq!(a.title, "Workshop Penyusunan SOP Pelayanan");
        assert_eq!(a.ended, NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
        assert_eq!(a.competency, Some(("M.PP".into(), 2)));
        let mut no_comp = raw();
        no_comp.competency = String::new();
        no_comp.level = String::new();
        assert_eq!(
            validate(&no_comp, &codes(), today()).unwrap().competency,
            None
        );
    }

    #[test]
    fn every_wrong_field_is_named() {
        let bad = Raw {
            kind: "pesta".into(),
            title: "x".into(),
            organizer: "".into(),
            started: "2026-03-05".into(),
            ended: "2026-03-01".into(),
            jp: "0".into(),
            competency: "X.NOPE".into(),
            level: "".into(),
        };
        let e = validate(&bad, &codes(), today()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["kind", "title", "organizer", "ended", "jp", "competency"]
        );
        let mut future = raw();
        future.ended = "2026-12-31".into();
        assert_eq!(
            validate(&future, &codes(), today()).unwrap_err(),
            vec![("ended", "activities.error.future")]
        );
        let mut no_level = raw();
        no_level.level = "7".into();
        assert_eq!(
            validate(&no_level, &codes(), today()).unwrap_err(),
            vec![("level", "activities.error.level")]
        );
    }

    #[test]
    fn files_are_judged_by_their_bytes() {
        let pdf = Upload {
            name: "../../sertifikat workshop.pdf".into(),
            bytes: b"%PDF-1.7 ...".to_vec(),
        };
        assert_eq!(check_file(&pdf), Ok("application/pdf"));
        assert_eq!(
            clean_name(&pdf.name, "application/pdf"),
            "sertifikat workshop.pdf"
        );
        let exe = Upload {
            name: "bukti.pdf".into(),
            bytes: b"MZ\x90\x00 not a pdf".to_vec(),
        };
        assert_eq!(check_file(&exe), Err("activities.error.file_type"));
        let big = Upload {
            name: "besar.pdf".into(),
            bytes: [b"%PDF-".to_vec(), vec![0; MAX_FILE_BYTES]].concat(),
        };
        assert_eq!(check_file(&big), Err("activities.error.file_size"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(clean_name("<script>.pdf", "application/pdf"), "script.pdf");
        assert_eq!(clean_name("???", "image/png"), "bukti.png");
    }
}
