//! Certificates in the database: issuing one in the completion transaction, finding, listing,
//! revoking, and the public keys every server signs with.

use chrono::{Months, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::code;
use super::credential;
use super::keys::{PublicKey, Signer};
use super::model::{Certificate, CoIssuer, CompetencyLevel};
use crate::config::CertificateConfig;
use crate::db::json_text::JsonText;
use crate::db::schema::{
    agencies, certificate_keys, certificates, competencies, completions, course_versions, courses,
    users,
};
use crate::db::sequence::{self, Seq};
use crate::db::{audit, DbConnection, DbError};
use crate::events::Completion;

/// What issuing needs besides the completion: the signing key and who issues.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub signer: Signer,
    /// The platform's public address (verification links, the credential's `iss`).
    pub base_url: String,
    pub config: CertificateConfig,
}

/// A certificate's row; the competencies decode strictly.
#[derive(Queryable, Selectable)]
#[diesel(table_name = certificates)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Row {
    id: i64,
    code: String,
    number: String,
    user_id: i64,
    completion_id: i64,
    course_id: i64,
    agency_id: Option<i64>,
    holder_name: String,
    holder_nip: Option<String>,
    agency: Option<String>,
    course_slug: String,
    course_title: String,
    course_version: String,
    jp: i32,
    competencies: JsonText<Vec<CompetencyLevel>>,
    completed_at: NaiveDateTime,
    issued_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
    issuer: String,
    signatory_name: Option<String>,
    signatory_title: Option<String>,
    kid: String,
    jwt: String,
    revoked_at: Option<NaiveDateTime>,
    revoked_by: Option<i64>,
    revoked_reason: Option<String>,
    reminded_at: Option<NaiveDateTime>,
    partner: Option<String>,
    partner_signatory_name: Option<String>,
    partner_signatory_title: Option<String>,
    time_zone: Option<String>,
}

/// The row [`issue`] writes (`None` is written as NULL).
#[derive(Insertable)]
#[diesel(table_name = certificates, treat_none_as_null = true)]
struct NewCertificate<'a> {
    code: &'a str,
    number: &'a str,
    user_id: i64,
    completion_id: i64,
    course_id: i64,
    agency_id: Option<i64>,
    holder_name: &'a str,
    holder_nip: Option<&'a str>,
    agency: Option<&'a str>,
    course_slug: &'a str,
    course_title: &'a str,
    course_version: &'a str,
    jp: i32,
    competencies: String,
    completed_at: NaiveDateTime,
    issued_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
    issuer: &'a str,
    signatory_name: Option<&'a str>,
    signatory_title: Option<&'a str>,
    kid: &'a str,
    jwt: &'a str,
    partner: Option<&'a str>,
    partner_signatory_name: Option<&'a str>,
    partner_signatory_title: Option<&'a str>,
    time_zone: Option<&'a str>,
}

/// A certificate as read, plus the agency it was issued under (for admin scoping).
#[derive(Debug, Clone)]
pub struct Stored {
    pub certificate: Certificate,
    pub agency_id: Option<i64>,
}

/// The certificate of a row; its dates are read in the zone it was issued in (stored with it, so a
/// later change of the agency's zone does not move them).
impl From<Row> for Stored {
    fn from(r: Row) -> Stored {
        let zone = crate::clock::zone_of_stored(r.time_zone.as_deref());
        Stored {
            agency_id: r.agency_id,
            certificate: Certificate {
                id: r.id,
                code: r.code,
                number: r.number,
                user_id: r.user_id,
                completion_id: r.completion_id,
                course_id: r.course_id,
                holder_name: r.holder_name,
                holder_nip: r.holder_nip,
                agency: r.agency,
                course_slug: r.course_slug,
                course_title: r.course_title,
                course_version: r.course_version,
                jp: r.jp,
                competencies: r.competencies.into_inner(),
                completed_at: r.completed_at,
                issued_at: r.issued_at,
                expires_at: r.expires_at,
                issuer: r.issuer,
                signatory_name: r.signatory_name,
                signatory_title: r.signatory_title,
                kid: r.kid,
                jwt: r.jwt,
                revoked_at: r.revoked_at,
                revoked_by: r.revoked_by,
                revoked_reason: r.revoked_reason,
                reminded_at: r.reminded_at,
                partner: r.partner.map(|name| CoIssuer {
                    name,
                    signatory_name: r.partner_signatory_name,
                    signatory_title: r.partner_signatory_title,
                }),
                zone,
            },
        }
    }
}

/// The row [`register_key`] writes.
#[derive(Insertable)]
#[diesel(table_name = certificate_keys)]
struct NewKey<'a> {
    kid: &'a str,
    public_x: &'a str,
    created_at: NaiveDateTime,
}

/// Make sure a signing key's public half is listed (idempotent; safe from several servers).
pub fn register_key(conn: &mut DbConnection, key: &PublicKey) -> Result<(), DbError> {
    let known: Option<String> = certificate_keys::table
        .find(&key.kid)
        .select(certificate_keys::public_x)
        .first(conn)
        .optional()?;
    match known {
        Some(x) if x == key.x => Ok(()),
        Some(_) => Err(DbError::Internal(format!(
            "certificate key {} is registered with a different public key",
            key.kid
        ))),
        None => {
            // In a savepoint of its own: this runs inside issuing (a completion's transaction),
            // and on PostgreSQL a failed statement spoils the transaction around it — a
            // concurrent registration's unique violation must roll back alone.
            let inserted = crate::db::transaction(conn, |conn| {
                diesel::insert_into(certificate_keys::table)
                    .values(NewKey {
                        kid: &key.kid,
                        public_x: &key.x,
                        created_at: Utc::now().naive_utc(),
                    })
                    .execute(conn)
            });
            match inserted {
                Ok(_) => Ok(()),
                // Another server registered it at the same moment.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Every public key that ever signed, oldest first: the JWKS.
pub fn public_keys(conn: &mut DbConnection) -> Result<Vec<PublicKey>, DbError> {
    let rows: Vec<(String, String)> = certificate_keys::table
        .order((certificate_keys::created_at, certificate_keys::kid))
        .select((certificate_keys::kid, certificate_keys::public_x))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(kid, x)| PublicKey { kid, x })
        .collect())
}

/// What a course version says about certificates, and what a certificate prints of it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = course_versions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct VersionTerms {
    certificate: bool,
    certificate_valid_months: Option<i32>,
    title: String,
    hash: String,
}

/// The holder as a certificate prints them.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Holder {
    name: String,
    nip: Option<String>,
    agency_id: Option<i64>,
}

/// Issue the certificate for a completion, if its course version grants one. Call inside the
/// completion's transaction. Returns the new certificate.
pub fn issue(
    conn: &mut DbConnection,
    issuer: &Issuer,
    c: &Completion,
) -> Result<Option<Certificate>, DbError> {
    let terms: VersionTerms = course_versions::table
        .find(c.version_id)
        .select(VersionTerms::as_select())
        .first(conn)?;
    if !terms.certificate {
        return Ok(None);
    }
    let slug: String = courses::table
        .find(c.course_id)
        .select(courses::slug)
        .first(conn)?;
    let (holder, agency) = holder_of(conn, c.user_id)?;
    let comps = competency_levels(conn, &c.competencies)?;
    // the certificate's date and its number's year are those of the holder's agency zone
    let zone = crate::clock::zone_of_agency(conn, holder.agency_id)?;
    let year = zone.year_of(c.completed_at);
    let seq = sequence::next_in_year(conn, Seq::Certificates, year)?;
    let now = Utc::now().naive_utc();
    let expires_at = terms
        .certificate_valid_months
        .filter(|m| *m > 0)
        .and_then(|m| c.completed_at.checked_add_months(Months::new(m as u32)));
    register_key(conn, &issuer.signer.public)?;
    let mut cert = Certificate {
        id: 0,
        code: code::generate(),
        number: code::number(&issuer.config.prefix, year, seq),
        user_id: c.user_id,
        completion_id: c.id,
        course_id: c.course_id,
        holder_name: holder.name,
        holder_nip: holder.nip,
        agency,
        course_slug: slug,
        course_title: terms.title,
        course_version: terms.hash.chars().take(12).collect(),
        jp: c.jp,
        competencies: comps,
        completed_at: c.completed_at,
        issued_at: now,
        expires_at,
        issuer: issuer.config.issuer.clone(),
        signatory_name: issuer.config.signatory_name.clone(),
        signatory_title: issuer.config.signatory_title.clone(),
        kid: issuer.signer.kid().to_string(),
        jwt: String::new(),
        revoked_at: None,
        revoked_by: None,
        revoked_reason: None,
        reminded_at: None,
        partner: crate::accounts::partners::provider_of(conn, c.course_id)?.map(|p| CoIssuer {
            name: p.name,
            signatory_name: p.signatory_name,
            signatory_title: p.signatory_title,
        }),
        zone,
    };
    cert.jwt =
        credential::sign(&cert, &issuer.base_url, &issuer.signer).map_err(DbError::Internal)?;
    cert.id = insert(conn, &cert, holder.agency_id)?;
    audit::record(
        conn,
        None,
        "certificate.issue",
        &format!("certificate:{}", cert.number),
        &format!(
            "{} — {} ({} JP)",
            cert.holder_name, cert.course_title, cert.jp
        ),
    )?;
    tracing::info!(number = %cert.number, user = cert.user_id, "certificate issued");
    Ok(Some(cert))
}

/// The holder and the name of their agency, if any.
fn holder_of(conn: &mut DbConnection, user_id: i64) -> Result<(Holder, Option<String>), DbError> {
    let holder: Holder = users::table
        .find(user_id)
        .select(Holder::as_select())
        .first(conn)?;
    let agency: Option<String> = match holder.agency_id {
        Some(id) => agencies::table
            .find(id)
            .select(agencies::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok((holder, agency))
}

/// The completion's (code, level) pairs with the dictionary's names (the code when it has none).
fn competency_levels(
    conn: &mut DbConnection,
    levels: &[(String, i32)],
) -> Result<Vec<CompetencyLevel>, DbError> {
    let codes: Vec<&str> = levels.iter().map(|(code, _)| code.as_str()).collect();
    let names: Vec<(String, String)> = competencies::table
        .filter(competencies::code.eq_any(&codes))
        .select((competencies::code, competencies::name))
        .load(conn)?;
    Ok(levels
        .iter()
        .map(|(code, level)| CompetencyLevel {
            code: code.clone(),
            name: names
                .iter()
                .find(|(k, _)| k == code)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| code.clone()),
            level: *level,
        })
        .collect())
}

/// Store a signed certificate issued under `agency_id`; returns its id.
fn insert(
    conn: &mut DbConnection,
    cert: &Certificate,
    agency_id: Option<i64>,
) -> Result<i64, DbError> {
    let partner = cert.partner.as_ref();
    Ok(diesel::insert_into(certificates::table)
        .values(NewCertificate {
            code: &cert.code,
            number: &cert.number,
            user_id: cert.user_id,
            completion_id: cert.completion_id,
            course_id: cert.course_id,
            agency_id,
            holder_name: &cert.holder_name,
            holder_nip: cert.holder_nip.as_deref(),
            agency: cert.agency.as_deref(),
            course_slug: &cert.course_slug,
            course_title: &cert.course_title,
            course_version: &cert.course_version,
            jp: cert.jp,
            competencies: serde_json::to_string(&cert.competencies).unwrap_or_else(|_| "[]".into()),
            completed_at: cert.completed_at,
            issued_at: cert.issued_at,
            expires_at: cert.expires_at,
            issuer: &cert.issuer,
            signatory_name: cert.signatory_name.as_deref(),
            signatory_title: cert.signatory_title.as_deref(),
            kid: &cert.kid,
            jwt: &cert.jwt,
            partner: partner.map(|p| p.name.as_str()),
            partner_signatory_name: partner.and_then(|p| p.signatory_name.as_deref()),
            partner_signatory_title: partner.and_then(|p| p.signatory_title.as_deref()),
            time_zone: Some(cert.zone.name()),
        })
        .returning(certificates::id)
        .get_result(conn)?)
}

/// A certificate by its verification code (already normalized).
pub fn by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Stored>, DbError> {
    Ok(certificates::table
        .filter(certificates::code.eq(code))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Stored::from))
}

/// A certificate by its number (`CKP/2026/000123`).
pub fn by_number(conn: &mut DbConnection, number: &str) -> Result<Option<Stored>, DbError> {
    Ok(certificates::table
        .filter(certificates::number.eq(number.trim()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Stored::from))
}

/// A person's certificates, newest first.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Certificate>, DbError> {
    Ok(certificates::table
        .filter(certificates::user_id.eq(user_id))
        .order((certificates::issued_at.desc(), certificates::id.desc()))
        .select(Row::as_select())
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| Stored::from(r).certificate)
        .collect())
}

/// The certificate issued for a completion (the newest, should there be more than one).
pub fn for_completion(
    conn: &mut DbConnection,
    completion_id: i64,
) -> Result<Option<Certificate>, DbError> {
    Ok(certificates::table
        .filter(certificates::completion_id.eq(completion_id))
        .order(certificates::id.desc())
        .select(Row::as_select())
        .first::<Row>(conn)
        .optional()?
        .map(|r| Stored::from(r).certificate))
}

/// The verification code of a person's newest certificate not revoked, by course (the
/// dashboard links each completed course to it).
pub fn codes_by_course(
    conn: &mut DbConnection,
    user_id: i64,
) -> Result<std::collections::HashMap<i64, String>, DbError> {
    let rows: Vec<(i64, String)> = certificates::table
        .filter(certificates::user_id.eq(user_id))
        .filter(certificates::revoked_at.is_null())
        .order((certificates::issued_at.asc(), certificates::id.asc()))
        .select((certificates::course_id, certificates::code))
        .load(conn)?;
    // later rows (newer) replace earlier ones
    Ok(rows.into_iter().collect())
}

/// A person's newest certificate for a course.
pub fn latest_for_course(
    conn: &mut DbConnection,
    user_id: i64,
    course_id: i64,
) -> Result<Option<Certificate>, DbError> {
    Ok(certificates::table
        .filter(certificates::user_id.eq(user_id))
        .filter(certificates::course_id.eq(course_id))
        .order((certificates::issued_at.desc(), certificates::id.desc()))
        .select(Row::as_select())
        .first::<Row>(conn)
        .optional()?
        .map(|r| Stored::from(r).certificate))
}

/// Certificates for the admin list: optionally only one agency's, optionally matching a number,
/// NIP or name fragment; newest first.
pub fn search(
    conn: &mut DbConnection,
    agency: Option<i64>,
    query: &str,
    limit: i64,
) -> Result<Vec<Stored>, DbError> {
    let mut q = certificates::table
        .select(Row::as_select())
        .order((certificates::issued_at.desc(), certificates::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(a) = agency {
        q = q.filter(certificates::agency_id.eq(a));
    }
    let query = query.trim();
    if !query.is_empty() {
        let like = format!("%{}%", query.replace(['%', '_'], ""));
        q = q.filter(
            certificates::number
                .like(like.clone())
                .or(certificates::holder_nip.like(like.clone()))
                .or(certificates::holder_name.like(like.clone()))
                .or(certificates::course_title.like(like)),
        );
    }
    Ok(q.load::<Row>(conn)?.into_iter().map(Stored::from).collect())
}

/// Why a revocation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeRefused {
    NotFound,
    AlreadyRevoked,
    /// An agency admin may revoke only their agency's certificates.
    OtherAgency,
}

crate::domain_error!(
    /// Revoking a certificate: refused, or the database failed.
    pub RevokeError,
    RevokeRefused
);

/// Revoke a certificate with a reason, recording who did it in the audit log, in one transaction.
/// `scope` is the agency an agency admin is limited to (None for a platform admin).
pub fn revoke(
    conn: &mut DbConnection,
    code: &str,
    by: i64,
    scope: Option<i64>,
    reason: &str,
) -> Result<Certificate, RevokeError> {
    // a refusal inside is an answer, not a failure: what came before it is committed
    let revoked = crate::db::transaction::<_, DbError, _>(conn, |conn| {
        let Some(stored) = by_code(conn, code)? else {
            return Ok(Err(RevokeRefused::NotFound));
        };
        if let Some(agency) = scope {
            if stored.agency_id != Some(agency) {
                return Ok(Err(RevokeRefused::OtherAgency));
            }
        }
        let now = Utc::now().naive_utc();
        let changed = diesel::update(
            certificates::table
                .filter(certificates::id.eq(stored.certificate.id))
                .filter(certificates::revoked_at.is_null()),
        )
        .set((
            certificates::revoked_at.eq(Some(now)),
            certificates::revoked_by.eq(Some(by)),
            certificates::revoked_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Ok(Err(RevokeRefused::AlreadyRevoked));
        }
        audit::record(
            conn,
            Some(by),
            "certificate.revoke",
            &format!("certificate:{}", stored.certificate.number),
            reason,
        )?;
        let mut c = stored.certificate;
        c.revoked_at = Some(now);
        c.revoked_by = Some(by);
        c.revoked_reason = Some(reason.to_string());
        Ok(Ok(c))
    })?;
    Ok(revoked?)
}

/// Certificates that expire before `until`, are not revoked, not yet reminded, and have not been
/// renewed by a newer certificate for the same course.
pub fn due_reminders(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Certificate>, DbError> {
    let rows: Vec<Certificate> = certificates::table
        .filter(certificates::expires_at.gt(now))
        .filter(certificates::expires_at.le(until))
        .filter(certificates::revoked_at.is_null())
        .filter(certificates::reminded_at.is_null())
        .order(certificates::expires_at)
        .limit(limit)
        .select(Row::as_select())
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| Stored::from(r).certificate)
        .collect();
    let mut due = Vec::with_capacity(rows.len());
    for c in rows {
        let newer: i64 = certificates::table
            .filter(certificates::user_id.eq(c.user_id))
            .filter(certificates::course_id.eq(c.course_id))
            .filter(certificates::issued_at.gt(c.issued_at))
            .count()
            .get_result(conn)?;
        if newer == 0 {
            due.push(c);
        }
    }
    Ok(due)
}

/// Claim a reminder: true when this call marked it (so only one server sends it).
pub fn mark_reminded(conn: &mut DbConnection, id: i64) -> Result<bool, DbError> {
    Ok(diesel::update(
        certificates::table
            .filter(certificates::id.eq(id))
            .filter(certificates::reminded_at.is_null()),
    )
    .set(certificates::reminded_at.eq(Some(Utc::now().naive_utc())))
    .execute(conn)?
        == 1)
}

/// A completion's row; its competencies decode strictly.
#[derive(Queryable, Selectable)]
#[diesel(table_name = completions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct CompletionRow {
    id: i64,
    enrollment_id: i64,
    user_id: i64,
    course_id: i64,
    version_id: i64,
    completed_at: NaiveDateTime,
    jp: i32,
    competencies: JsonText<Vec<(String, i32)>>,
    score: Option<i32>,
}

/// Issue the certificates that completions recorded before certificates existed (or while a
/// course's version granted one but issuing failed) should have. Each in its own transaction;
/// idempotent, since a completion has at most one certificate. Returns how many were issued.
pub fn issue_missing(conn: &mut DbConnection, issuer: &Issuer) -> Result<usize, DbError> {
    let missing: Vec<CompletionRow> = completions::table
        .left_join(certificates::table.on(certificates::completion_id.eq(completions::id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(completions::version_id)))
        .filter(certificates::id.nullable().is_null())
        .filter(course_versions::certificate.eq(true))
        .order(completions::completed_at)
        .select(CompletionRow::as_select())
        .load(conn)?;
    let mut issued = 0;
    for r in missing {
        let c = Completion {
            id: r.id,
            enrollment_id: r.enrollment_id,
            user_id: r.user_id,
            course_id: r.course_id,
            version_id: r.version_id,
            completed_at: r.completed_at,
            jp: r.jp,
            competencies: r.competencies.into_inner(),
            score: r.score,
        };
        if crate::db::transaction(conn, |conn| issue(conn, issuer, &c))?.is_some() {
            issued += 1;
        }
    }
    Ok(issued)
}
