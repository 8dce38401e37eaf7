//! What pages show of a certificate outside the certificate pages themselves (the box on the
//! course page), and a letter of recognition as page data (the recognition pages and the public
//! verification page). Plain values in, JSON out; no request, no database.

use chrono::{NaiveDateTime, Utc};
use serde_json::{json, Value};

use super::letters::Letter;
use super::model::{Certificate, Status};
use super::renewal::{self, Renewal};
use super::Issuer;
use crate::i18n::Lang;

pub(crate) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A certificate's date: the day, in the zone of the agency it was issued under, of a stored
/// instant.
pub(crate) fn day(c: &Certificate, t: NaiveDateTime, lang: Lang) -> String {
    crate::text::date(c.zone.date_of(t), lang)
}

/// What the course page shows a learner about their certificate for the course.
pub fn course_box(c: &Certificate, lang: Lang) -> Value {
    let status = c.status_at(now());
    let (open, opens) = match renewal::renewal(c, now()) {
        Renewal::Open => (true, None),
        Renewal::OpensOn(d) => (false, Some(day(c, d, lang))),
        Renewal::NotNeeded | Renewal::Revoked => (false, None),
    };
    json!({
        "code": c.code,
        "number": c.number,
        "status": status.as_str(),
        "valid": status == Status::Valid,
        "revoked": status == Status::Revoked,
        "expired": status == Status::Expired,
        "expires": c.expires_at.map(|e| day(c, e, lang)),
        "renew_open": open,
        "renew_opens": opens,
    })
}

pub(crate) fn letter_json(l: &Letter, issuer: &Issuer, lang: Lang) -> Value {
    json!({
        "code": l.code,
        "number": l.number,
        "title": l.title,
        "reason": l.reason,
        "year": l.year,
        "holder_name": l.holder_name,
        "agency": l.agency,
        "issued": letter_day(l.local(l.issued_at), lang),
        "issued_id": letter_day(l.local(l.issued_at), Lang::Id),
        "signatory_name": l.signatory_name,
        "signatory_title": l.signatory_title,
        "revoked": l.revoked_at.is_some(),
        "revoked_on": l.revoked_at.map(|t| letter_day(l.local(t), lang)),
        "revoked_reason": l.revoked_reason,
        "verify_url": l.verify_url(&issuer.base_url),
    })
}

/// What the public verification page of a letter shows (`/v/{code}` falls back here), for
/// `pages/letter_verify`.
pub fn letter_verify_context(l: &Letter, issuer: &Issuer, lang: Lang) -> Value {
    let mut v = letter_json(l, issuer, lang);
    v["nip"] = json!(l
        .holder_nip
        .as_deref()
        .map(crate::certificates::model::mask_nip));
    json!({ "l": v, "page_title": l.number })
}

/// A letter's date: the day of an instant already in the letter's zone.
fn letter_day(t: NaiveDateTime, lang: Lang) -> String {
    crate::text::date(t.date(), lang)
}
