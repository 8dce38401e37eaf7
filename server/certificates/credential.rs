//! The signed credential: a certificate as an EdDSA JWT. Anyone with the public key (the JWKS at
//! `/.well-known/jwks.json`) can check it without asking us; the revocation status is the one
//! thing only the verification page or API can tell.

use std::fmt;

use chrono::NaiveDateTime;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};

use super::keys::{PublicKey, Signer};
use super::model::{Certificate, CompetencyLevel};

/// JWT claims of a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The platform that issued it (its base URL).
    pub iss: String,
    /// The certificate's verification address.
    pub sub: String,
    /// The verification code.
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    /// Set when the course's certificates expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    pub cert: CertClaims,
}

/// What the certificate says, as it says it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertClaims {
    pub number: String,
    pub code: String,
    pub holder: Holder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    pub course: Course,
    pub jp: i32,
    pub competencies: Vec<CompetencyLevel>,
    /// Dates as `YYYY-MM-DD` (UTC).
    pub completed_on: String,
    pub issued_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory: Option<Signatory>,
    /// The partner institution that co-issues it (the course's provider), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<Partner>,
    /// How the training was held.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub name: String,
    /// Partly masked, as on the public verification page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub slug: String,
    pub title: String,
    pub version: String,
}

/// A co-issuing partner institution and its signatory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory: Option<Signatory>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

fn day(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The claims a credential *we issued and stored* carries, read without checking its signature
/// (it is our own record): what a presented credential is compared with, so a credential keeps
/// verifying after a later change of how claims are derived (e.g. dates read in the agency's zone).
pub fn stored_claims<C: serde::de::DeserializeOwned>(stored_jwt: &str) -> Option<C> {
    use base64::Engine;
    let payload = stored_jwt.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The claims for a certificate (its `jwt` field is not read).
pub fn claims_of(c: &Certificate, base_url: &str) -> Claims {
    Claims {
        iss: base_url.trim_end_matches('/').to_string(),
        sub: c.verify_url(base_url),
        jti: c.code.clone(),
        iat: c.issued_at.and_utc().timestamp(),
        nbf: c.issued_at.and_utc().timestamp(),
        exp: c.expires_at.map(|e| e.and_utc().timestamp()),
        cert: CertClaims {
            number: c.number.clone(),
            code: c.code.clone(),
            holder: Holder {
                name: c.holder_name.clone(),
                nip: c.nip_masked(),
            },
            agency: c.agency.clone(),
            course: Course {
                slug: c.course_slug.clone(),
                title: c.course_title.clone(),
                version: c.course_version.clone(),
            },
            jp: c.jp,
            competencies: c.competencies.clone(),
            // dates as the holder's agency reads them (WIB/WITA/WIT), not UTC
            completed_on: day(c.zone.local(c.completed_at)),
            issued_on: day(c.zone.local(c.issued_at)),
            expires_on: c.expires_at.map(|e| day(c.zone.local(e))),
            issuer: c.issuer.clone(),
            signatory: c.signatory_name.clone().map(|name| Signatory {
                name,
                title: c.signatory_title.clone(),
            }),
            partner: c.partner.as_ref().map(|p| Partner {
                name: p.name.clone(),
                signatory: p.signatory_name.clone().map(|name| Signatory {
                    name,
                    title: p.signatory_title.clone(),
                }),
            }),
            mode: "e-learning".into(),
        },
    }
}

/// Sign a certificate's claims.
pub fn sign(c: &Certificate, base_url: &str, signer: &Signer) -> Result<String, String> {
    signer.sign("JWT", &claims_of(c, base_url))
}

/// Why a credential is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JWT at all, or not one of ours (wrong algorithm, missing claims).
    Malformed(String),
    /// Signed with a key we do not know.
    UnknownKey(Option<String>),
    /// The signature does not match: altered or signed by someone else.
    BadSignature,
    /// Past its `exp`.
    Expired,
    /// Not valid yet (`nbf` in the future).
    NotYetValid,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "not a Cakap certificate credential: {why}"),
            Refusal::UnknownKey(Some(kid)) => write!(
                f,
                "signed with an unknown key (kid {kid}); it was not issued by this platform, or the key list is out of date"
            ),
            Refusal::UnknownKey(None) => f.write_str("the credential names no key (kid)"),
            Refusal::BadSignature => f.write_str(
                "the signature does not match: the credential was altered or signed by someone else",
            ),
            Refusal::Expired => f.write_str("the certificate has expired"),
            Refusal::NotYetValid => f.write_str("the certificate is not valid yet"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Check a credential's signature and dates against these public keys; return its claims.
/// Revocation is not visible here: ask the verification API for the status.
pub fn verify(jwt: &str, keys: &[PublicKey]) -> Result<Claims, Refusal> {
    verify_as::<Claims>(jwt, keys)
}

/// Whether a presented JWT is a letter of recognition's (its payload has a `letter` claim) rather
/// than a certificate's. Read without checking the signature: it only picks how to verify it.
pub fn is_letter(jwt: &str) -> bool {
    jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(jwt.trim())
        .is_ok_and(|d| d.claims.get("letter").is_some())
}

/// [`verify`] for any claims signed with the certificate keys (letters of recognition too).
pub fn verify_as<C: serde::de::DeserializeOwned>(
    jwt: &str,
    keys: &[PublicKey],
) -> Result<C, Refusal> {
    let header = jsonwebtoken::decode_header(jwt.trim())
        .map_err(|e| Refusal::Malformed(format!("cannot read the header ({e})")))?;
    if header.alg != Algorithm::EdDSA {
        return Err(Refusal::Malformed(format!(
            "algorithm {:?}, expected EdDSA",
            header.alg
        )));
    }
    let kid = header.kid.clone();
    let key = keys
        .iter()
        .find(|k| Some(&k.kid) == kid.as_ref())
        .ok_or(Refusal::UnknownKey(kid))?;
    let decoding = key
        .decoding_key()
        .map_err(|e| Refusal::Malformed(format!("bad public key ({e})")))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_required_spec_claims(&["iss", "sub", "jti"]);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.leeway = 0;
    jsonwebtoken::decode::<C>(jwt.trim(), &decoding, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => Refusal::BadSignature,
            ErrorKind::ExpiredSignature => Refusal::Expired,
            ErrorKind::ImmatureSignature => Refusal::NotYetValid,
            other => Refusal::Malformed(format!("{other:?}")),
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use chrono::{Duration, Utc};

    pub fn sample(expires: Option<NaiveDateTime>) -> Certificate {
        let now = Utc::now().naive_utc();
        Certificate {
            id: 1,
            code: "k7m2q9x4hf3tc8wz5npa".into(),
            number: "CKP/2026/000123".into(),
            user_id: 7,
            completion_id: 3,
            course_id: 2,
            holder_name: "Siti Rahmawati, S.Sos.".into(),
            holder_nip: Some("198703152010011002".into()),
            agency: Some("Pemerintah Kota Surakarta".into()),
            course_slug: "pelayanan-publik-prima".into(),
            course_title: "Pelayanan Publik Prima".into(),
            course_version: "3f9a1c2b".into(),
            jp: 6,
            competencies: vec![CompetencyLevel {
                code: "M.PP".into(),
                name: "Pelayanan Publik".into(),
                level: 2,
            }],
            completed_at: now,
            issued_at: now,
            expires_at: expires,
            issuer: "BPSDM Provinsi Jawa Tengah".into(),
            signatory_name: Some("Dr. Ahmad Santoso".into()),
            signatory_title: Some("Kepala BPSDM".into()),
            kid: String::new(),
            jwt: String::new(),
            revoked_at: None,
            revoked_by: None,
            revoked_reason: None,
            reminded_at: None,
            partner: None,
            zone: crate::clock::Zone::Wib,
        }
    }

    const BASE: &str = "https://cakap.example.go.id";

    #[test]
    fn a_signed_certificate_verifies_and_says_what_it_says() {
        let s = Signer::ephemeral();
        let c = sample(None);
        let jwt = sign(&c, BASE, &s).unwrap();
        let claims = verify(&jwt, std::slice::from_ref(&s.public)).unwrap();
        assert_eq!(claims, claims_of(&c, BASE));
        assert_eq!(
            claims.cert.holder.nip.as_deref(),
            Some("198703*********002")
        );
        assert_eq!(claims.sub, format!("{BASE}/v/{}", c.code));
        assert!(claims.exp.is_none());
    }

    #[test]
    fn stored_claims_read_what_was_signed_even_after_the_derivation_changes() {
        let s = Signer::ephemeral();
        let mut c = sample(None);
        // 23:30 WIT on 7 December is 14:30 UTC: signed as the WIT date
        c.zone = crate::clock::Zone::Wit;
        c.completed_at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(14, 30, 0)
            .unwrap();
        let jwt = sign(&c, BASE, &s).unwrap();
        let stored: Claims = stored_claims(&jwt).unwrap();
        assert_eq!(stored.cert.completed_on, "2026-12-07");
        // the agency moves to WIB later: a re-derivation differs, the stored claims do not
        c.zone = crate::clock::Zone::Wib;
        c.completed_at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(17, 30, 0)
            .unwrap();
        assert_ne!(claims_of(&c, BASE).cert, stored.cert);
        assert_eq!(stored_claims::<Claims>(&jwt).unwrap(), stored);
        assert!(stored_claims::<Claims>("not a jwt").is_none());
    }

    #[test]
    fn one_altered_claim_breaks_the_signature() {
        let s = Signer::ephemeral();
        let jwt = sign(&sample(None), BASE, &s).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
        let forged = String::from_utf8(payload)
            .unwrap()
            .replace("\"jp\":6", "\"jp\":60");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(forged),
            parts[2]
        );
        assert_eq!(
            verify(&forged, std::slice::from_ref(&s.public)),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_wrong_key_is_refused() {
        let ours = Signer::ephemeral();
        let theirs = Signer::ephemeral();
        let jwt = sign(&sample(None), BASE, &theirs).unwrap();
        assert!(matches!(
            verify(&jwt, std::slice::from_ref(&ours.public)),
            Err(Refusal::UnknownKey(_))
        ));
        // The attacker's key under our kid: the signature does not match.
        let mut impostor = theirs.public.clone();
        impostor.x = ours.public.x.clone();
        assert_eq!(verify(&jwt, &[impostor]), Err(Refusal::BadSignature));
    }

    #[test]
    fn an_expired_certificate_is_refused() {
        let s = Signer::ephemeral();
        let past = Utc::now().naive_utc() - Duration::days(1);
        let mut c = sample(Some(past));
        c.issued_at = past - Duration::days(700);
        let jwt = sign(&c, BASE, &s).unwrap();
        assert_eq!(
            verify(&jwt, std::slice::from_ref(&s.public)),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let s = Signer::ephemeral();
        assert!(matches!(
            verify("not.a.jwt", std::slice::from_ref(&s.public)),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            verify("", std::slice::from_ref(&s.public)),
            Err(Refusal::Malformed(_))
        ));
    }
}
