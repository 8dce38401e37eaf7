//! What pages show of a certificate outside the certificate pages themselves: the box on the
//! course page. Plain values in, JSON out; no request, no database.

use chrono::{NaiveDateTime, Utc};
use serde_json::{json, Value};

use super::model::{Certificate, Status};
use super::renewal::{self, Renewal};
use crate::web::Lang;

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
