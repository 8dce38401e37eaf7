//! A certificate as an Open Badges 3.0 `OpenBadgeCredential` (1EdTech OB 3.0, aligned with the
//! W3C Verifiable Credentials Data Model v2.0), signed with the certificate key as a VC-JWT, so
//! that holders can keep it in any OB 3.0 wallet or backpack.
//!
//! Following OB 3.0 § 8.2 (JSON Web Token Proof Format), the JWT payload *is* the credential, its
//! members at the top level (no `vc` wrapper, which was the VCDM 1.1 style), with the registered
//! claims `iss` = `issuer.id`, `jti` = `id`, `nbf` = `validFrom` and `exp` = `validUntil` added.
//! `sub` would be `credentialSubject.id`, but the subject has none: the holder is identified by
//! name (an `IdentityObject`), never by NIP, so there is no `sub`.

use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

use super::keys::Signer;
use super::model::Certificate;

/// The JSON-LD contexts, in the order OB 3.0 requires (VCDM 2.0 first, then OB 3.0.3).
pub const CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
];

/// The framework the competencies are aligned to.
const FRAMEWORK: &str = "PermenPANRB 38/2017";

/// `DateTimeZ` as OB 3.0 wants it: RFC 3339 in UTC with `Z`, whole seconds (so that it equals
/// the NumericDate `nbf`/`exp` exactly).
fn date_time_z(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// The unsigned `OpenBadgeCredential` for a certificate (its `jwt` field is not read). The NIP is
/// never included, not even masked.
pub fn credential(c: &Certificate, base_url: &str) -> Value {
    let base = base(base_url);
    let course_url = format!("{base}/courses/{}", c.course_slug);

    let mut achievement = json!({
        // The exact course version it was earned on; the version page resolves it.
        "id": format!("{course_url}/versions/{}", c.course_version),
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": c.course_title,
        "description": format!("Pelatihan daring {} sebanyak {} JP.", c.course_title, c.jp),
        "criteria": {
            "narrative": format!(
                "Menyelesaikan semua modul dan lulus kuis pelatihan {}.",
                c.course_title
            ),
        },
        // Learning hours (JP, jam pelajaran) are the credit hours of this training.
        "creditsAvailable": c.jp,
        "humanCode": c.number,
        "version": c.course_version,
        "inLanguage": "id",
    });
    if !c.competencies.is_empty() {
        // OB 3.0 § A.1: empty arrays are omitted.
        achievement["alignment"] = c
            .competencies
            .iter()
            .map(|k| {
                json!({
                    "type": ["Alignment"],
                    "targetName": format!("{} (level {})", k.name, k.level),
                    "targetCode": k.code,
                    "targetFramework": FRAMEWORK,
                    "targetUrl": course_url,
                })
            })
            .collect();
    }

    let mut vc = json!({
        "@context": CONTEXTS,
        "id": c.verify_url(base_url),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": c.course_title,
        "description": format!(
            "Surat Tanda Tamat Pelatihan (STTPL) nomor {}: {}.",
            c.number, c.course_title
        ),
        "issuer": {
            "id": base,
            "type": ["Profile"],
            "name": c.issuer,
            "url": base,
        },
        "validFrom": date_time_z(c.issued_at),
        "awardedDate": date_time_z(c.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": c.holder_name,
                "identityType": "name",
                "hashed": false,
            }],
            "activityEndDate": date_time_z(c.completed_at),
            "creditsEarned": c.jp,
            "achievement": achievement,
        },
    });
    if let Some(until) = c.expires_at {
        vc["validUntil"] = Value::String(date_time_z(until));
    }
    vc
}

/// The JWT payload: the credential with the OB 3.0 § 8.2.4.1 registered claims added.
fn payload(c: &Certificate, base_url: &str) -> Value {
    let Value::Object(mut claims) = credential(c, base_url) else {
        unreachable!("a credential is a JSON object")
    };
    let issued = c.issued_at.and_utc().timestamp();
    let mut registered = Map::new();
    registered.insert("iss".into(), json!(base(base_url)));
    registered.insert("jti".into(), json!(c.verify_url(base_url)));
    registered.insert("nbf".into(), json!(issued));
    registered.insert("iat".into(), json!(issued));
    if let Some(e) = c.expires_at {
        registered.insert("exp".into(), json!(e.and_utc().timestamp()));
    }
    claims.extend(registered);
    Value::Object(claims)
}

/// The credential signed as a VC-JWT (compact JWS, `alg: EdDSA`, `typ: JWT`, the key's `kid`).
pub fn sign(c: &Certificate, base_url: &str, signer: &Signer) -> Result<String, String> {
    signer.sign("JWT", &payload(c, base_url))
}

/// The download name of the signed badge: `sertifikat-CKP-2026-000123.jwt`.
pub fn file_name(c: &Certificate) -> String {
    let number: String = c
        .number
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '-'
            }
        })
        .collect();
    format!("sertifikat-{number}.jwt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::credential::tests::sample;
    use chrono::{Duration, Utc};
    use jsonwebtoken::{Algorithm, Validation};

    const BASE: &str = "https://cakap.example.go.id/";

    fn decode(jwt: &str, signer: &Signer) -> jsonwebtoken::TokenData<Value> {
        let key = signer.public.decoding_key().unwrap();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["iss", "jti", "nbf"]);
        validation.validate_nbf = true;
        jsonwebtoken::decode::<Value>(jwt, &key, &validation).unwrap()
    }

    /// The payload without the registered JWT claims: what should be the credential.
    fn without_registered(mut payload: Value) -> Value {
        let obj = payload.as_object_mut().unwrap();
        for claim in ["iss", "jti", "nbf", "iat", "exp", "sub"] {
            obj.remove(claim);
        }
        payload
    }

    #[test]
    fn the_credential_has_both_types_and_both_contexts() {
        let c = sample(None);
        let vc = credential(&c, BASE);
        assert_eq!(vc["@context"], json!(CONTEXTS));
        assert_eq!(vc["@context"][0], "https://www.w3.org/ns/credentials/v2");
        let types = vc["type"].as_array().unwrap();
        assert!(types.contains(&json!("VerifiableCredential")));
        assert!(types.contains(&json!("OpenBadgeCredential")));
        assert_eq!(
            vc["id"],
            format!("https://cakap.example.go.id/v/{}", c.code)
        );
        assert_eq!(vc["issuer"]["id"], "https://cakap.example.go.id");
        assert_eq!(vc["issuer"]["type"], json!(["Profile"]));
        assert_eq!(vc["issuer"]["name"], "BPSDM Provinsi Jawa Tengah");
        let subject = &vc["credentialSubject"];
        assert_eq!(subject["type"], json!(["AchievementSubject"]));
        assert!(subject.get("id").is_none());
        assert_eq!(subject["identifier"][0]["identityHash"], c.holder_name);
        assert_eq!(subject["identifier"][0]["identityType"], "name");
        assert_eq!(subject["identifier"][0]["hashed"], false);
        let a = &subject["achievement"];
        assert_eq!(
            a["id"],
            "https://cakap.example.go.id/courses/pelayanan-publik-prima/versions/3f9a1c2b"
        );
        assert_eq!(a["type"], json!(["Achievement"]));
        assert_eq!(a["name"], "Pelayanan Publik Prima");
        assert_eq!(a["creditsAvailable"], 6);
        assert_eq!(a["humanCode"], "CKP/2026/000123");
        assert!(a["criteria"]["narrative"]
            .as_str()
            .unwrap()
            .contains("Pelayanan Publik Prima"));
        assert_eq!(a["alignment"][0]["targetCode"], "M.PP");
        assert_eq!(
            a["alignment"][0]["targetName"],
            "Pelayanan Publik (level 2)"
        );
        assert_eq!(a["alignment"][0]["targetFramework"], FRAMEWORK);
    }

    #[test]
    fn no_competencies_means_no_alignment() {
        let mut c = sample(None);
        c.competencies.clear();
        let vc = credential(&c, BASE);
        assert!(vc["credentialSubject"]["achievement"]
            .get("alignment")
            .is_none());
    }

    #[test]
    fn dates_are_rfc3339_utc_whole_seconds() {
        let issued = chrono::NaiveDate::from_ymd_opt(2026, 3, 15)
            .unwrap()
            .and_hms_milli_opt(8, 30, 5, 250)
            .unwrap();
        let mut c = sample(None);
        c.issued_at = issued;
        let vc = credential(&c, BASE);
        assert_eq!(vc["validFrom"], "2026-03-15T08:30:05Z");
        assert!(vc.get("validUntil").is_none());

        c.expires_at = Some(issued + Duration::days(730));
        let vc = credential(&c, BASE);
        assert_eq!(vc["validUntil"], "2028-03-14T08:30:05Z");
    }

    #[test]
    fn the_nip_is_nowhere() {
        let s = Signer::ephemeral();
        let c = sample(None);
        let nip = c.holder_nip.clone().unwrap();
        let masked = c.nip_masked().unwrap();
        let text = credential(&c, BASE).to_string();
        assert!(!text.contains(&nip), "{text}");
        assert!(!text.contains(&masked), "{text}");
        assert!(!text.contains(&nip[..6]), "{text}");
        assert!(!text.to_lowercase().contains("nip"), "{text}");
        let payload = decode(&sign(&c, BASE, &s).unwrap(), &s).claims.to_string();
        assert!(!payload.contains(&nip), "{payload}");
        assert!(!payload.contains(&masked), "{payload}");
    }

    #[test]
    fn the_signed_badge_verifies_and_is_the_credential() {
        let s = Signer::ephemeral();
        let c = sample(None);
        let jwt = sign(&c, BASE, &s).unwrap();
        let data = decode(&jwt, &s);
        assert_eq!(data.header.alg, Algorithm::EdDSA);
        assert_eq!(data.header.typ.as_deref(), Some("JWT"));
        assert_eq!(data.header.kid.as_deref(), Some(s.kid()));
        let vc = credential(&c, BASE);
        let claims = &data.claims;
        // OB 3.0 § 8.2.6.1: the registered claims mirror the credential.
        assert_eq!(claims["iss"], vc["issuer"]["id"]);
        assert_eq!(claims["jti"], vc["id"]);
        assert_eq!(claims["nbf"], c.issued_at.and_utc().timestamp());
        assert_eq!(
            chrono::DateTime::from_timestamp(claims["nbf"].as_i64().unwrap(), 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            vc["validFrom"]
        );
        assert!(claims.get("exp").is_none());
        assert!(claims.get("sub").is_none());
        assert!(claims.get("vc").is_none());
        assert_eq!(without_registered(data.claims), vc);
    }

    #[test]
    fn an_expiring_certificate_carries_exp() {
        let s = Signer::ephemeral();
        let until = Utc::now().naive_utc() + Duration::days(365);
        let c = sample(Some(until));
        let data = decode(&sign(&c, BASE, &s).unwrap(), &s);
        assert_eq!(data.claims["exp"], until.and_utc().timestamp());
        assert_eq!(data.claims["validUntil"], date_time_z(until));
        assert_eq!(without_registered(data.claims), credential(&c, BASE));
    }

    #[test]
    fn another_key_does_not_verify_it() {
        let ours = Signer::ephemeral();
        let theirs = Signer::ephemeral();
        let jwt = sign(&sample(None), BASE, &theirs).unwrap();
        let key = ours.public.decoding_key().unwrap();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["iss", "jti", "nbf"]);
        assert!(jsonwebtoken::decode::<Value>(&jwt, &key, &validation).is_err());
    }

    #[test]
    fn the_file_name_has_no_slashes() {
        assert_eq!(file_name(&sample(None)), "sertifikat-CKP-2026-000123.jwt");
    }
}
