//! Letters of recognition (piagam penghargaan): an agency admin issues one to chosen people of
//! their agency. Each has a number, a verification code and a signed EdDSA JWT made with the same
//! keys as certificates, so it is verified like a certificate (`/v/{code}`, the JWKS).

use chrono::{NaiveDateTime, Utc};

use crate::clock::Zone;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::mask_nip;
use super::{code, Issuer};
use crate::db::schema::{agencies, recognition_letters, users};
use crate::db::sequence::{self, Seq};
use crate::db::{audit, DbConnection, DbError};

/// Numbers look like `PGH/2026/000001`.
pub const PREFIX: &str = "PGH";
const TITLE_MAX: usize = 150;
const REASON_MAX: usize = 600;
const SIGNATORY_MAX: usize = 200;
/// People in one issuing.
pub const MAX_PEOPLE: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Letter {
    pub id: i64,
    pub code: String,
    pub number: String,
    pub user_id: i64,
    pub agency_id: i64,
    pub holder_name: String,
    pub holder_nip: Option<String>,
    pub agency: String,
    pub title: String,
    pub reason: String,
    pub year: i32,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub issued_at: NaiveDateTime,
    pub signatory_name: String,
    pub signatory_title: String,
    pub kid: String,
    pub jwt: String,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
    /// The issuing agency's time zone: the dates a letter shows are its dates.
    #[serde(skip)]
    pub zone: Zone,
}

impl Letter {
    /// An instant of this letter (issued, revoked) as the agency's local date and time.
    pub fn local(&self, at: NaiveDateTime) -> NaiveDateTime {
        self.zone.local(at)
    }

    pub fn verify_url(&self, base_url: &str) -> String {
        super::model::verify_url(base_url, &self.code)
    }
}

/// The JWT claims of a letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub letter: LetterClaims,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetterClaims {
    /// Always `piagam-penghargaan`.
    pub kind: String,
    pub number: String,
    pub code: String,
    pub holder: Holder,
    /// The issuing agency.
    pub issuer: String,
    pub title: String,
    pub reason: String,
    pub year: i32,
    pub issued_on: String,
    pub signatory: Signatory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    pub name: String,
    pub title: String,
}

pub fn claims_of(l: &Letter, base_url: &str) -> Claims {
    Claims {
        iss: base_url.trim_end_matches('/').to_string(),
        sub: l.verify_url(base_url),
        jti: l.code.clone(),
        iat: l.issued_at.and_utc().timestamp(),
        nbf: l.issued_at.and_utc().timestamp(),
        letter: LetterClaims {
            kind: "piagam-penghargaan".into(),
            number: l.number.clone(),
            code: l.code.clone(),
            holder: Holder {
                name: l.holder_name.clone(),
                nip: l.holder_nip.as_deref().map(mask_nip),
            },
            issuer: l.agency.clone(),
            title: l.title.clone(),
            reason: l.reason.clone(),
            year: l.year,
            issued_on: l.local(l.issued_at).format("%Y-%m-%d").to_string(),
            signatory: Signatory {
                name: l.signatory_name.clone(),
                title: l.signatory_title.clone(),
            },
        },
    }
}

/// The public view of a letter, for the verification API: what the letter shows, its status and
/// its signed JWT.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicLetter {
    /// `valid` or `revoked` (letters do not expire).
    pub status: String,
    pub number: String,
    pub code: String,
    pub verify_url: String,
    pub holder_name: String,
    /// Partly masked.
    pub holder_nip: Option<String>,
    /// The issuing agency.
    pub agency: String,
    pub title: String,
    pub reason: String,
    pub year: i32,
    /// `YYYY-MM-DD`
    pub issued_on: String,
    pub signatory_name: String,
    pub signatory_title: String,
    pub revoked_on: Option<String>,
    pub revoked_reason: Option<String>,
    /// Key id of the signing key (see `/.well-known/jwks.json`).
    pub kid: String,
    /// The signed letter (EdDSA JWT).
    pub jwt: String,
}

pub fn public(l: &Letter, base_url: &str) -> PublicLetter {
    let ymd = |t: NaiveDateTime| l.local(t).format("%Y-%m-%d").to_string();
    PublicLetter {
        status: if l.revoked_at.is_some() {
            "revoked"
        } else {
            "valid"
        }
        .into(),
        number: l.number.clone(),
        code: l.code.clone(),
        verify_url: l.verify_url(base_url),
        holder_name: l.holder_name.clone(),
        holder_nip: l.holder_nip.as_deref().map(mask_nip),
        agency: l.agency.clone(),
        title: l.title.clone(),
        reason: l.reason.clone(),
        year: l.year,
        issued_on: ymd(l.issued_at),
        signatory_name: l.signatory_name.clone(),
        signatory_title: l.signatory_title.clone(),
        revoked_on: l.revoked_at.map(ymd),
        revoked_reason: l.revoked_reason.clone(),
        kid: l.kid.clone(),
        jwt: l.jwt.clone(),
    }
}

/// The download name of a letter's files: `piagam-PGH-2026-000001`.
pub fn file_stem(l: &Letter) -> String {
    let number: String = l
        .number
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect();
    format!("piagam-{number}")
}

/// The letter as an Open Badges 3.0 `OpenBadgeCredential` (achievement type `Award`), unsigned;
/// the NIP is never included. Signed with [`crate::certificates::badge`]'s key as a VC-JWT by
/// [`sign_badge`].
pub fn badge(l: &Letter, base_url: &str) -> serde_json::Value {
    let base = base_url.trim_end_matches('/');
    let at = l
        .issued_at
        .and_utc()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    serde_json::json!({
        "@context": super::badge::CONTEXTS,
        "id": l.verify_url(base_url),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": l.title,
        "description": format!("Piagam Penghargaan nomor {}: {}.", l.number, l.title),
        "issuer": {
            "id": base,
            "type": ["Profile"],
            "name": l.agency,
            "url": base,
        },
        "validFrom": at,
        "awardedDate": at,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": l.holder_name,
                "identityType": "name",
                "hashed": false,
            }],
            "achievement": {
                "id": l.verify_url(base_url),
                "type": ["Achievement"],
                "achievementType": "Award",
                "name": l.title,
                "description": l.reason,
                "criteria": { "narrative": l.reason },
                "humanCode": l.number,
                "inLanguage": "id",
            },
        },
    })
}

/// The Open Badge signed as a VC-JWT (the payload is the credential, with `iss`, `jti`, `nbf`,
/// `iat` added), with the certificate key.
pub fn sign_badge(
    l: &Letter,
    base_url: &str,
    signer: &super::keys::Signer,
) -> Result<String, String> {
    let mut claims = badge(l, base_url);
    let issued = l.issued_at.and_utc().timestamp();
    claims["iss"] = serde_json::json!(base_url.trim_end_matches('/'));
    claims["jti"] = serde_json::json!(l.verify_url(base_url));
    claims["nbf"] = serde_json::json!(issued);
    claims["iat"] = serde_json::json!(issued);
    signer.sign("JWT", &claims)
}

/// What the issuing form says.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Request {
    pub title: String,
    pub reason: String,
    pub signatory_name: String,
    pub signatory_title: String,
    pub year: i32,
    pub people: Vec<i64>,
}

/// Why an issuing was refused (`recognition.letter.refused.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoPeople,
    TooManyPeople,
    TitleRequired,
    TitleTooLong,
    ReasonRequired,
    ReasonTooLong,
    SignatoryRequired,
    SignatoryTooLong,
    /// Someone chosen is not (or no longer) in the agency.
    NotInAgency,
    /// Someone chosen already holds a letter with this title for this year.
    AlreadyIssued,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::NoPeople => "recognition.letter.refused.no_people",
            Refusal::TooManyPeople => "recognition.letter.refused.too_many",
            Refusal::TitleRequired => "recognition.letter.refused.title_required",
            Refusal::TitleTooLong => "recognition.letter.refused.title_too_long",
            Refusal::ReasonRequired => "recognition.letter.refused.reason_required",
            Refusal::ReasonTooLong => "recognition.letter.refused.reason_too_long",
            Refusal::SignatoryRequired => "recognition.letter.refused.signatory_required",
            Refusal::SignatoryTooLong => "recognition.letter.refused.signatory_too_long",
            Refusal::NotInAgency => "recognition.letter.refused.not_in_agency",
            Refusal::AlreadyIssued => "recognition.letter.refused.already_issued",
        }
    }
}

/// Check a request; the text fields come back trimmed to one line (the reason keeps its words).
pub fn check(r: &Request) -> Result<Request, Refusal> {
    let one = crate::text::one_line;
    let mut people = r.people.clone();
    people.sort_unstable();
    people.dedup();
    if people.is_empty() {
        return Err(Refusal::NoPeople);
    }
    if people.len() > MAX_PEOPLE {
        return Err(Refusal::TooManyPeople);
    }
    let title = one(&r.title);
    if title.is_empty() {
        return Err(Refusal::TitleRequired);
    }
    if title.chars().count() > TITLE_MAX {
        return Err(Refusal::TitleTooLong);
    }
    let reason = one(&r.reason);
    if reason.is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    if reason.chars().count() > REASON_MAX {
        return Err(Refusal::ReasonTooLong);
    }
    let (name, position) = (one(&r.signatory_name), one(&r.signatory_title));
    if name.is_empty() || position.is_empty() {
        return Err(Refusal::SignatoryRequired);
    }
    if name.chars().count() > SIGNATORY_MAX || position.chars().count() > SIGNATORY_MAX {
        return Err(Refusal::SignatoryTooLong);
    }
    Ok(Request {
        title,
        reason,
        signatory_name: name,
        signatory_title: position,
        year: r.year,
        people,
    })
}

crate::domain_error!(
    /// Issuing letters: refused, or the database failed.
    pub IssueError,
    Refusal
);

/// Issue one letter per chosen person of the agency, all or none, in one transaction.
pub fn issue(
    conn: &mut DbConnection,
    issuer: &Issuer,
    agency_id: i64,
    by: i64,
    request: &Request,
) -> Result<Vec<Letter>, IssueError> {
    let r = check(request)?;
    // a refusal inside is an answer, not a failure: what came before it is committed
    let issued = crate::db::transaction::<_, DbError, _>(conn, |conn| {
        let agency: String = agencies::table
            .find(agency_id)
            .select(agencies::name)
            .first(conn)?;
        let people: Vec<(i64, String, Option<String>)> = users::table
            .filter(users::id.eq_any(&r.people))
            .filter(users::agency_id.eq(agency_id))
            .select((users::id, users::name, users::nip))
            .order(users::name)
            .load(conn)?;
        if people.len() != r.people.len() {
            return Ok(Err(Refusal::NotInAgency));
        }
        let already: i64 = recognition_letters::table
            .filter(recognition_letters::user_id.eq_any(&r.people))
            .filter(recognition_letters::agency_id.eq(agency_id))
            .filter(recognition_letters::year.eq(r.year))
            .filter(recognition_letters::title.eq(&r.title))
            .filter(recognition_letters::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if already > 0 {
            return Ok(Err(Refusal::AlreadyIssued));
        }
        super::store::register_key(conn, &issuer.signer.public)?;
        let now = Utc::now().naive_utc();
        // the letter's year and date are the issuing agency's
        let zone = crate::clock::zone_of_agency(conn, Some(agency_id))?;
        let year = zone.year_of(now);
        let mut out = Vec::with_capacity(people.len());
        for (user_id, name, nip) in people {
            let seq = sequence::next_in_year(conn, Seq::Letters, year)?;
            let l = Letter {
                id: 0,
                code: code::generate(),
                number: code::number(PREFIX, year, seq),
                user_id,
                agency_id,
                holder_name: name,
                holder_nip: nip,
                agency: agency.clone(),
                title: r.title.clone(),
                reason: r.reason.clone(),
                year: r.year,
                issued_at: now,
                signatory_name: r.signatory_name.clone(),
                signatory_title: r.signatory_title.clone(),
                kid: issuer.signer.kid().to_string(),
                jwt: String::new(),
                revoked_at: None,
                revoked_reason: None,
                zone,
            };
            out.push(sign_and_store(conn, issuer, by, l)?);
        }
        Ok(Ok(out))
    })?;
    Ok(issued?)
}

/// Sign a new letter, store it and record who issued it; the letter with its credential and id.
fn sign_and_store(
    conn: &mut DbConnection,
    issuer: &Issuer,
    by: i64,
    mut l: Letter,
) -> Result<Letter, DbError> {
    l.jwt = issuer
        .signer
        .sign("JWT", &claims_of(&l, &issuer.base_url))
        .map_err(DbError::Internal)?;
    l.id = diesel::insert_into(recognition_letters::table)
        .values(NewLetter::of(&l, by))
        .returning(recognition_letters::id)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(by),
        "letter.issue",
        &format!("letter:{}", l.number),
        &format!("{} — {}", l.holder_name, l.title),
    )?;
    Ok(l)
}

/// A letter as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = recognition_letters, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct LetterRow {
    id: i64,
    code: String,
    number: String,
    user_id: i64,
    agency_id: i64,
    holder_name: String,
    holder_nip: Option<String>,
    agency: String,
    title: String,
    reason: String,
    year: i32,
    issued_at: NaiveDateTime,
    signatory_name: String,
    signatory_title: String,
    kid: String,
    jwt: String,
    revoked_at: Option<NaiveDateTime>,
    revoked_reason: Option<String>,
    time_zone: Option<String>,
}

impl From<LetterRow> for Letter {
    fn from(r: LetterRow) -> Letter {
        Letter {
            id: r.id,
            code: r.code,
            number: r.number,
            user_id: r.user_id,
            agency_id: r.agency_id,
            holder_name: r.holder_name,
            holder_nip: r.holder_nip,
            agency: r.agency,
            title: r.title,
            reason: r.reason,
            year: r.year,
            issued_at: r.issued_at,
            signatory_name: r.signatory_name,
            signatory_title: r.signatory_title,
            kid: r.kid,
            jwt: r.jwt,
            revoked_at: r.revoked_at,
            revoked_reason: r.revoked_reason,
            // read in the zone it was issued in, for good
            zone: crate::clock::zone_of_stored(r.time_zone.as_deref()),
        }
    }
}

/// A new letter's row.
#[derive(Insertable)]
#[diesel(table_name = recognition_letters)]
struct NewLetter<'a> {
    code: &'a str,
    number: &'a str,
    user_id: i64,
    agency_id: i64,
    holder_name: &'a str,
    holder_nip: Option<&'a str>,
    agency: &'a str,
    title: &'a str,
    reason: &'a str,
    year: i32,
    issued_at: NaiveDateTime,
    issued_by: Option<i64>,
    signatory_name: &'a str,
    signatory_title: &'a str,
    kid: &'a str,
    jwt: &'a str,
    time_zone: Option<&'a str>,
}

impl<'a> NewLetter<'a> {
    fn of(l: &'a Letter, by: i64) -> NewLetter<'a> {
        NewLetter {
            code: &l.code,
            number: &l.number,
            user_id: l.user_id,
            agency_id: l.agency_id,
            holder_name: &l.holder_name,
            holder_nip: l.holder_nip.as_deref(),
            agency: &l.agency,
            title: &l.title,
            reason: &l.reason,
            year: l.year,
            issued_at: l.issued_at,
            issued_by: Some(by),
            signatory_name: &l.signatory_name,
            signatory_title: &l.signatory_title,
            kid: &l.kid,
            jwt: &l.jwt,
            time_zone: Some(l.zone.name()),
        }
    }
}

/// The signatory (name, position) of the newest letter an agency issued.
pub fn latest_signatory(
    conn: &mut DbConnection,
    agency_id: i64,
) -> Result<Option<(String, String)>, DbError> {
    Ok(recognition_letters::table
        .filter(recognition_letters::agency_id.eq(agency_id))
        .order(recognition_letters::id.desc())
        .select((
            recognition_letters::signatory_name,
            recognition_letters::signatory_title,
        ))
        .first(conn)
        .optional()?)
}

/// Why a revocation did not happen (`recognition.letter.revoke.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeRefused {
    /// No such letter of this agency.
    NotFound,
    AlreadyRevoked,
    /// The reason is shown on the verification page: a few words at least.
    ReasonTooShort,
}

crate::domain_error!(
    /// Revoking a letter: refused, or the database failed.
    pub RevokeError,
    RevokeRefused
);

/// Revoke one of the agency's letters with a reason (audit-logged). Its verification page says so
/// from then on, and the incentive export leaves it out.
pub fn revoke(
    conn: &mut DbConnection,
    agency_id: i64,
    code: &str,
    by: i64,
    reason: &str,
) -> Result<Letter, RevokeError> {
    let reason = crate::text::one_line(reason);
    if reason.chars().count() < 5 {
        return Err(RevokeRefused::ReasonTooShort.into());
    }
    let reason: String = reason.chars().take(500).collect();
    // a refusal inside is an answer, not a failure: what came before it is committed
    let revoked = crate::db::transaction::<_, DbError, _>(conn, |conn| {
        let Some(l) = by_code(conn, code)?.filter(|l| l.agency_id == agency_id) else {
            return Ok(Err(RevokeRefused::NotFound));
        };
        let now = Utc::now().naive_utc();
        let changed = diesel::update(
            recognition_letters::table
                .filter(recognition_letters::id.eq(l.id))
                .filter(recognition_letters::revoked_at.is_null()),
        )
        .set((
            recognition_letters::revoked_at.eq(Some(now)),
            recognition_letters::revoked_reason.eq(Some(&reason)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Ok(Err(RevokeRefused::AlreadyRevoked));
        }
        audit::record(
            conn,
            Some(by),
            "letter.revoke",
            &format!("letter:{}", l.number),
            &reason,
        )?;
        Ok(Ok(Letter {
            revoked_at: Some(now),
            revoked_reason: Some(reason.clone()),
            ..l
        }))
    })?;
    Ok(revoked?)
}

/// A letter by its (normalized) verification code.
pub fn by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Letter>, DbError> {
    Ok(recognition_letters::table
        .filter(recognition_letters::code.eq(code))
        .select(LetterRow::as_select())
        .first(conn)
        .optional()?
        .map(Letter::from))
}

/// A person's letters, newest first.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Letter>, DbError> {
    Ok(recognition_letters::table
        .filter(recognition_letters::user_id.eq(user_id))
        .order((
            recognition_letters::issued_at.desc(),
            recognition_letters::id.desc(),
        ))
        .select(LetterRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Letter::from)
        .collect())
}

/// The letters an agency issued for a year, by number.
pub fn of_agency(
    conn: &mut DbConnection,
    agency_id: i64,
    year: i32,
) -> Result<Vec<Letter>, DbError> {
    Ok(recognition_letters::table
        .filter(recognition_letters::agency_id.eq(agency_id))
        .filter(recognition_letters::year.eq(year))
        .order(recognition_letters::id)
        .select(LetterRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Letter::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            title: " ASN Pembelajar Terbaik 2026 ".into(),
            reason: "Menuntaskan 48 JP\npengembangan kompetensi.".into(),
            signatory_name: "Drs. Bambang Wijaya, M.M.".into(),
            signatory_title: "Sekretaris Daerah".into(),
            year: 2026,
            people: vec![3, 1, 3],
        }
    }

    #[test]
    fn a_request_is_tidied() {
        let r = check(&request()).unwrap();
        assert_eq!(r.title, "ASN Pembelajar Terbaik 2026");
        assert_eq!(r.reason, "Menuntaskan 48 JP pengembangan kompetensi.");
        assert_eq!(r.people, [1, 3]);
    }

    #[test]
    fn each_missing_part_is_named() {
        let with = |f: &dyn Fn(&mut Request)| {
            let mut r = request();
            f(&mut r);
            check(&r).unwrap_err()
        };
        assert_eq!(with(&|r| r.people.clear()), Refusal::NoPeople);
        assert_eq!(
            with(&|r| r.people = (0..201).collect()),
            Refusal::TooManyPeople
        );
        assert_eq!(with(&|r| r.title = " ".into()), Refusal::TitleRequired);
        assert_eq!(with(&|r| r.title = "x".repeat(151)), Refusal::TitleTooLong);
        assert_eq!(with(&|r| r.reason.clear()), Refusal::ReasonRequired);
        assert_eq!(
            with(&|r| r.reason = "x".repeat(601)),
            Refusal::ReasonTooLong
        );
        assert_eq!(
            with(&|r| r.signatory_title.clear()),
            Refusal::SignatoryRequired
        );
        assert_eq!(
            with(&|r| r.signatory_name = "x".repeat(201)),
            Refusal::SignatoryTooLong
        );
    }
}
