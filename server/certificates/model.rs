//! What a certificate is: the record issued at completion, as shown on its page, its PDF, its
//! JSON and its signed credential.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// A competency and the level the course demonstrates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetencyLevel {
    pub code: String,
    pub name: String,
    pub level: i32,
}

/// An issued certificate (STTPL): everything printed on it, plus its status.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub id: i64,
    /// Unguessable verification code used in `/v/{code}` (lowercase Crockford base32).
    pub code: String,
    /// Readable number, sequential per year: `CKP/2026/000123`.
    pub number: String,
    pub user_id: i64,
    pub completion_id: i64,
    pub course_id: i64,
    pub holder_name: String,
    /// Full NIP; only the holder's own pages and PDF show it unmasked.
    pub holder_nip: Option<String>,
    pub agency: Option<String>,
    pub course_slug: String,
    pub course_title: String,
    /// The course version it was earned on (short content hash).
    pub course_version: String,
    pub jp: i32,
    pub competencies: Vec<CompetencyLevel>,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub completed_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub issued_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub expires_at: Option<NaiveDateTime>,
    /// Issuing organisation.
    pub issuer: String,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    /// Key id of the Ed25519 key that signed `jwt`.
    pub kid: String,
    /// The signed credential (EdDSA JWT).
    pub jwt: String,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<i64>,
    pub revoked_reason: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub reminded_at: Option<NaiveDateTime>,
    /// The partner institution that provides the course and co-issues the certificate, as signed.
    pub partner: Option<CoIssuer>,
    /// The zone its dates are read in: that of the agency it was issued under.
    #[serde(skip)]
    pub zone: crate::clock::Zone,
}

/// A second issuer: the partner institution (university, training institute, professional body)
/// that provided the course, with its signatory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoIssuer {
    pub name: String,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
}

/// Where a certificate stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Revoked,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }
}

impl Certificate {
    /// Revoked wins over expired: a revoked certificate stays revoked.
    pub fn status_at(&self, now: NaiveDateTime) -> Status {
        if self.revoked_at.is_some() {
            Status::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Status::Expired
        } else {
            Status::Valid
        }
    }

    /// The NIP as public pages show it (`198703******* **01` style), if there is one.
    pub fn nip_masked(&self) -> Option<String> {
        self.holder_nip.as_deref().map(mask_nip)
    }

    /// The public verification address of this certificate.
    pub fn verify_url(&self, base_url: &str) -> String {
        verify_url(base_url, &self.code)
    }
}

/// `{base_url}/v/{code}`.
pub fn verify_url(base_url: &str, code: &str) -> String {
    format!("{}/v/{}", base_url.trim_end_matches('/'), code)
}

/// Keep the first six and the last three digits of an 18-digit NIP; mask anything else wholly
/// but its last two characters.
pub fn mask_nip(nip: &str) -> String {
    let chars: Vec<char> = nip.chars().collect();
    if chars.len() == 18 {
        let mut s: String = chars[..6].iter().collect();
        s.push_str(&"*".repeat(9));
        s.extend(&chars[15..]);
        s
    } else if chars.len() > 2 {
        let mut s = "*".repeat(chars.len() - 2);
        s.extend(&chars[chars.len() - 2..]);
        s
    } else {
        "*".repeat(chars.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nip_masking_keeps_only_the_ends() {
        assert_eq!(mask_nip("198703152010011002"), "198703*********002");
        assert_eq!(mask_nip("12345"), "***45");
        assert_eq!(mask_nip("1"), "*");
    }

    #[test]
    fn verify_url_joins_without_double_slash() {
        assert_eq!(
            verify_url("https://cakap.example.go.id/", "abc"),
            "https://cakap.example.go.id/v/abc"
        );
    }
}
