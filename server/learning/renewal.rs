//! Taking a course again to renew its certificate (recertification): allowed once the latest
//! certificate's renewal window is open; it starts a new enrolment cycle on the course's current
//! version.

use chrono::NaiveDateTime;

use super::enroll;
use crate::certificates::renewal::{self, Renewal};
use crate::certificates::store::latest_for_course;
use crate::db::DbConnection;

/// Why a renewal is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The person has not completed the course.
    NotCompleted,
    /// There is no certificate to renew.
    NoCertificate,
    /// The certificate does not expire.
    NotNeeded,
    /// The renewal window has not opened yet.
    TooEarly,
    /// The certificate was revoked.
    Revoked,
    /// The course takes no learners now (archived or without a published version).
    Unavailable,
}

impl Refused {
    /// The message key that explains the refusal.
    pub fn key(self) -> &'static str {
        match self {
            Refused::NotCompleted => "certificates.renew.not_completed",
            Refused::NoCertificate => "certificates.renew.no_certificate",
            Refused::NotNeeded => "certificates.renew.not_needed",
            Refused::TooEarly => "certificates.renew.too_early",
            Refused::Revoked => "certificates.renew.revoked",
            Refused::Unavailable => "certificates.renew.unavailable",
        }
    }
}

crate::domain_error!(
    /// Renewing: refused, or the database failed.
    pub RenewalError,
    Refused
);

/// Start a new cycle of course `slug` for `user_id` if its certificate may be renewed at `now`;
/// a cycle already under way is simply continued.
pub fn recertify(
    conn: &mut DbConnection,
    user_id: i64,
    slug: &str,
    now: NaiveDateTime,
) -> Result<(), RenewalError> {
    let Some(e) = enroll::of_user(conn, user_id, slug)? else {
        return Err(Refused::NotCompleted.into());
    };
    if e.completed_at.is_none() {
        // Already retaking: carry on.
        return Ok(());
    }
    let Some(latest) = latest_for_course(conn, user_id, e.course_id)? else {
        return Err(Refused::NoCertificate.into());
    };
    match renewal::renewal(&latest, now) {
        Renewal::Open => {}
        Renewal::NotNeeded => return Err(Refused::NotNeeded.into()),
        Renewal::OpensOn(_) => return Err(Refused::TooEarly.into()),
        Renewal::Revoked => return Err(Refused::Revoked.into()),
    }
    match enroll::new_cycle(conn, user_id, slug) {
        Ok(_) => Ok(()),
        Err(enroll::EnrollError::Refused(_)) => Err(Refused::Unavailable.into()),
        Err(enroll::EnrollError::Db(e)) => Err(e.into()),
    }
}
