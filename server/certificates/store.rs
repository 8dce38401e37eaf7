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
    agencies, certificate_keys, certificates, competencies, course_versions, courses, users,
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

type Row = (
    (
        i64,
        String,
        String,
        i64,
        i64,
        i64,
        Option<i64>,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
        i32,
    ),
    (
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<NaiveDateTime>,
        Option<i64>,
        Option<String>,
        Option<NaiveDateTime>,
    ),
    (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
);

macro_rules! columns {
    () => {
        (
            (
                certificates::id,
                certificates::code,
                certificates::number,
                certificates::user_id,
                certificates::completion_id,
                certificates::course_id,
                certificates::agency_id,
                certificates::holder_name,
                certificates::holder_nip,
                certificates::agency,
                certificates::course_slug,
                certificates::course_title,
                certificates::course_version,
                certificates::jp,
            ),
            (
                certificates::competencies,
                certificates::completed_at,
                certificates::issued_at,
                certificates::expires_at,
                certificates::issuer,
                certificates::signatory_name,
                certificates::signatory_title,
                certificates::kid,
                certificates::jwt,
                certificates::revoked_at,
                certificates::revoked_by,
                certificates::revoked_reason,
                certificates::reminded_at,
            ),
            (
                certificates::partner,
                certificates::partner_signatory_name,
                certificates::partner_signatory_title,
                certificates::time_zone,
            ),
        )
    };
}

/// A certificate as read, plus the agency it was issued under (for admin scoping).
#[derive(Debug, Clone)]
pub struct Stored {
    pub certificate: Certificate,
    pub agency_id: Option<i64>,
}

/// The certificate of a row; its dates are read in the zone it was issued in (stored with it, so a
/// later change of the agency's zone does not move them).
fn from_row(r: Row) -> Result<Stored, DbError> {
    let (a, b, p) = r;
    let zone = crate::clock::zone_of_stored(p.3.as_deref());
    Ok(Stored {
        agency_id: a.6,
        certificate: Certificate {
            id: a.0,
            code: a.1,
            number: a.2,
            user_id: a.3,
            completion_id: a.4,
            course_id: a.5,
            holder_name: a.7,
            holder_nip: a.8,
            agency: a.9,
            course_slug: a.10,
            course_title: a.11,
            course_version: a.12,
            jp: a.13,
            competencies: JsonText::decode(&b.0)?,
            completed_at: b.1,
            issued_at: b.2,
            expires_at: b.3,
            issuer: b.4,
            signatory_name: b.5,
            signatory_title: b.6,
            kid: b.7,
            jwt: b.8,
            revoked_at: b.9,
            revoked_by: b.10,
            revoked_reason: b.11,
            reminded_at: b.12,
            partner: p.0.map(|name| CoIssuer {
                name,
                signatory_name: p.1,
                signatory_title: p.2,
            }),
            zone,
        },
    })
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
                    .values((
                        certificate_keys::kid.eq(&key.kid),
                        certificate_keys::public_x.eq(&key.x),
                        certificate_keys::created_at.eq(Utc::now().naive_utc()),
                    ))
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

/// Issue the certificate for a completion, if its course version grants one. Call inside the
/// completion's transaction. Returns the new certificate.
pub fn issue(
    conn: &mut DbConnection,
    issuer: &Issuer,
    c: &Completion,
) -> Result<Option<Certificate>, DbError> {
    let (grants, valid_months, title, hash): (bool, Option<i32>, String, String) =
        course_versions::table
            .find(c.version_id)
            .select((
                course_versions::certificate,
                course_versions::certificate_valid_months,
                course_versions::title,
                course_versions::hash,
            ))
            .first(conn)?;
    if !grants {
        return Ok(None);
    }
    let slug: String = courses::table
        .find(c.course_id)
        .select(courses::slug)
        .first(conn)?;
    let (name, nip, agency_id): (String, Option<String>, Option<i64>) = users::table
        .find(c.user_id)
        .select((users::name, users::nip, users::agency_id))
        .first(conn)?;
    let agency: Option<String> = match agency_id {
        Some(id) => agencies::table
            .find(id)
            .select(agencies::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    let codes: Vec<&str> = c
        .competencies
        .iter()
        .map(|(code, _)| code.as_str())
        .collect();
    let names: Vec<(String, String)> = competencies::table
        .filter(competencies::code.eq_any(&codes))
        .select((competencies::code, competencies::name))
        .load(conn)?;
    let comps: Vec<CompetencyLevel> = c
        .competencies
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
        .collect();
    // the certificate's date and its number's year are those of the holder's agency zone
    let zone = crate::clock::zone_of_agency(conn, agency_id)?;
    let year = zone.year_of(c.completed_at);
    let seq = sequence::next_in_year(conn, Seq::Certificates, year)?;
    let now = Utc::now().naive_utc();
    let expires_at = valid_months
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
        holder_name: name,
        holder_nip: nip,
        agency,
        course_slug: slug,
        course_title: title,
        course_version: hash.chars().take(12).collect(),
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
    cert.id = diesel::insert_into(certificates::table)
        .values((
            certificates::code.eq(&cert.code),
            certificates::number.eq(&cert.number),
            certificates::user_id.eq(cert.user_id),
            certificates::completion_id.eq(cert.completion_id),
            certificates::course_id.eq(cert.course_id),
            certificates::agency_id.eq(agency_id),
            certificates::holder_name.eq(&cert.holder_name),
            certificates::holder_nip.eq(&cert.holder_nip),
            certificates::agency.eq(&cert.agency),
            certificates::course_slug.eq(&cert.course_slug),
            certificates::course_title.eq(&cert.course_title),
            certificates::course_version.eq(&cert.course_version),
            certificates::jp.eq(cert.jp),
            certificates::competencies
                .eq(serde_json::to_string(&cert.competencies).unwrap_or_else(|_| "[]".into())),
            certificates::completed_at.eq(cert.completed_at),
            certificates::issued_at.eq(cert.issued_at),
            certificates::expires_at.eq(cert.expires_at),
            certificates::issuer.eq(&cert.issuer),
            certificates::signatory_name.eq(&cert.signatory_name),
            certificates::signatory_title.eq(&cert.signatory_title),
            certificates::kid.eq(&cert.kid),
            certificates::jwt.eq(&cert.jwt),
            certificates::partner.eq(cert.partner.as_ref().map(|p| &p.name)),
            certificates::partner_signatory_name.eq(cert
                .partner
                .as_ref()
                .and_then(|p| p.signatory_name.as_ref())),
            certificates::partner_signatory_title.eq(cert
                .partner
                .as_ref()
                .and_then(|p| p.signatory_title.as_ref())),
            certificates::time_zone.eq(Some(cert.zone.name())),
        ))
        .returning(certificates::id)
        .get_result(conn)?;
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

/// A certificate by its verification code (already normalized).
pub fn by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Stored>, DbError> {
    certificates::table
        .filter(certificates::code.eq(code))
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// A certificate by its number (`CKP/2026/000123`).
pub fn by_number(conn: &mut DbConnection, number: &str) -> Result<Option<Stored>, DbError> {
    certificates::table
        .filter(certificates::number.eq(number.trim()))
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// A person's certificates, newest first.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Certificate>, DbError> {
    certificates::table
        .filter(certificates::user_id.eq(user_id))
        .order((certificates::issued_at.desc(), certificates::id.desc()))
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| from_row(r).map(|s| s.certificate))
        .collect()
}

/// A person's newest certificate for a course.
pub fn latest_for_course(
    conn: &mut DbConnection,
    user_id: i64,
    course_id: i64,
) -> Result<Option<Certificate>, DbError> {
    certificates::table
        .filter(certificates::user_id.eq(user_id))
        .filter(certificates::course_id.eq(course_id))
        .order((certificates::issued_at.desc(), certificates::id.desc()))
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(|r| from_row(r).map(|s| s.certificate))
        .transpose()
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
        .select(columns!())
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
    q.load::<Row>(conn)?.into_iter().map(from_row).collect()
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
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| from_row(r).map(|s| s.certificate))
        .collect::<Result<_, _>>()?;
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

/// Issue the certificates that completions recorded before certificates existed (or while a
/// course's version granted one but issuing failed) should have. Each in its own transaction;
/// idempotent, since a completion has at most one certificate. Returns how many were issued.
pub fn issue_missing(conn: &mut DbConnection, issuer: &Issuer) -> Result<usize, DbError> {
    use crate::db::schema::completions;
    type Row = (
        i64,
        i64,
        i64,
        i64,
        i64,
        NaiveDateTime,
        i32,
        String,
        Option<i32>,
    );
    let missing: Vec<Row> = completions::table
        .left_join(certificates::table.on(certificates::completion_id.eq(completions::id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(completions::version_id)))
        .filter(certificates::id.nullable().is_null())
        .filter(course_versions::certificate.eq(true))
        .order(completions::completed_at)
        .select((
            completions::id,
            completions::enrollment_id,
            completions::user_id,
            completions::course_id,
            completions::version_id,
            completions::completed_at,
            completions::jp,
            completions::competencies,
            completions::score,
        ))
        .load(conn)?;
    let mut issued = 0;
    for (id, enrollment_id, user_id, course_id, version_id, completed_at, jp, comps, score) in
        missing
    {
        let c = Completion {
            id,
            enrollment_id,
            user_id,
            course_id,
            version_id,
            completed_at,
            jp,
            competencies: JsonText::decode(&comps)?,
            score,
        };
        if crate::db::transaction(conn, |conn| issue(conn, issuer, &c))?.is_some() {
            issued += 1;
        }
    }
    Ok(issued)
}
