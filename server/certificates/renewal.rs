//! Recertification: when a certificate expires (or is within the reminder window), its holder
//! may take the course's current version again, which issues a new certificate. Earlier than
//! that, taking a course again would only inflate the JP tally, so it is refused.

use chrono::{Duration, NaiveDateTime};

use super::model::Certificate;

/// How long before expiry the holder is reminded (and may renew).
pub const REMIND_DAYS_BEFORE: i64 = 60;

/// Whether the holder of `latest` (their newest certificate for a course) may recertify now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// The certificate does not expire: nothing to renew.
    NotNeeded,
    /// Too early: the window opens on this date.
    OpensOn(NaiveDateTime),
    /// Within the window (or expired): they may start again.
    Open,
    /// Revoked certificates are not renewed by retaking (an admin decides).
    Revoked,
}

/// When the renewal window of a certificate opens: 60 days before it expires, but never before
/// half its validity has passed (so a short-lived certificate cannot be renewed, and its JP
/// earned again, straight after it was issued). None when it does not expire.
pub fn opens_at(c: &Certificate) -> Option<NaiveDateTime> {
    let expires = c.expires_at?;
    let halfway = c.issued_at + (expires - c.issued_at) / 2;
    Some((expires - Duration::days(REMIND_DAYS_BEFORE)).max(halfway))
}

pub fn renewal(latest: &Certificate, now: NaiveDateTime) -> Renewal {
    if latest.revoked_at.is_some() {
        return Renewal::Revoked;
    }
    let Some(opens) = opens_at(latest) else {
        return Renewal::NotNeeded;
    };
    if now >= opens {
        Renewal::Open
    } else {
        Renewal::OpensOn(opens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::credential::tests::sample;
    use chrono::Utc;

    #[test]
    fn the_window_opens_sixty_days_before_expiry() {
        let now = Utc::now().naive_utc();
        assert_eq!(renewal(&sample(None), now), Renewal::NotNeeded);
        let mut far = sample(Some(now + Duration::days(200)));
        far.issued_at = now;
        assert_eq!(
            renewal(&far, now),
            Renewal::OpensOn(now + Duration::days(140))
        );
        let mut near = sample(Some(now + Duration::days(59)));
        near.issued_at = now - Duration::days(600);
        assert_eq!(renewal(&near, now), Renewal::Open);
        let mut gone = sample(Some(now - Duration::days(1)));
        gone.issued_at = now - Duration::days(700);
        assert_eq!(renewal(&gone, now), Renewal::Open);
        // a one-month certificate: not renewable the day it is issued, only from halfway
        let mut short = sample(Some(now + Duration::days(30)));
        short.issued_at = now;
        assert_eq!(
            renewal(&short, now),
            Renewal::OpensOn(now + Duration::days(15))
        );
        assert_eq!(renewal(&short, now + Duration::days(16)), Renewal::Open);
        let mut revoked = sample(Some(now - Duration::days(1)));
        revoked.revoked_at = Some(now);
        assert_eq!(renewal(&revoked, now), Renewal::Revoked);
    }
}
