//! `cakap certificates …`: verify a code or a credential from the command line, print the
//! public keys, rotate the signing key.

use std::path::Path;

use super::credential::{self, Claims, Refusal};
use super::keys::{self, Keyring, PublicKey};
use super::letters;
use super::model::Status;
use super::{code, store};
use crate::db::DbConnection;

/// The outcome of `cakap certificates verify`: lines to print and whether it is valid.
#[derive(Debug, Clone)]
pub struct Report {
    pub valid: bool,
    pub lines: Vec<String>,
}

fn describe(claims: &Claims) -> Vec<String> {
    let c = &claims.cert;
    let mut lines = vec![
        format!("number:      {}", c.number),
        format!("holder:      {}", c.holder.name),
    ];
    if let Some(nip) = &c.holder.nip {
        lines.push(format!("NIP:         {nip}"));
    }
    if let Some(a) = &c.agency {
        lines.push(format!("agency:      {a}"));
    }
    lines.push(format!(
        "course:      {} (version {})",
        c.course.title, c.course.version
    ));
    lines.push(format!("JP:          {}", c.jp));
    for comp in &c.competencies {
        lines.push(format!(
            "competency:  {} {} level {}",
            comp.code, comp.name, comp.level
        ));
    }
    lines.push(format!("completed:   {}", c.completed_on));
    lines.push(format!("issued:      {} by {}", c.issued_on, c.issuer));
    if let Some(e) = &c.expires_on {
        lines.push(format!("expires:     {e}"));
    }
    lines.push(format!("verify at:   {}", claims.sub));
    lines
}

fn describe_letter(claims: &letters::Claims) -> Vec<String> {
    let l = &claims.letter;
    let mut lines = vec![
        "letter:      letter of recognition (piagam penghargaan)".to_string(),
        format!("number:      {}", l.number),
        format!("holder:      {}", l.holder.name),
    ];
    if let Some(nip) = &l.holder.nip {
        lines.push(format!("NIP:         {nip}"));
    }
    lines.push(format!("title:       {}", l.title));
    lines.push(format!("reason:      {}", l.reason));
    lines.push(format!("year:        {}", l.year));
    lines.push(format!(
        "issued:      {} by {} (signed by {}, {})",
        l.issued_on, l.issuer, l.signatory.name, l.signatory.title
    ));
    lines.push(format!("verify at:   {}", claims.sub));
    lines
}

/// Verify a letter of recognition's JWT with `keys`; with a database (`conn`), also that it is on
/// record, matches the record and is not revoked.
fn verify_letter(
    jwt: &str,
    keys: &[PublicKey],
    conn: Option<&mut DbConnection>,
    from_code: bool,
) -> Result<Report, String> {
    let claims = match credential::verify_as::<letters::Claims>(jwt, keys) {
        Ok(c) => c,
        Err(r) => {
            return Ok(Report {
                valid: false,
                lines: vec![format!("INVALID: {r}")],
            })
        }
    };
    let mut lines = Vec::new();
    let mut valid = true;
    match conn {
        Some(conn) => match letters::by_code(conn, &claims.jti).map_err(|e| e.to_string())? {
            None => {
                valid = false;
                lines.push(
                    "NOT FOUND: the signature holds but no letter of recognition with this code is on record"
                        .into(),
                );
            }
            Some(l)
                if credential::stored_claims::<letters::Claims>(&l.jwt)
                    .map(|stored| stored.letter != claims.letter)
                    .unwrap_or_else(|| letters::claims_of(&l, &claims.iss).letter != claims.letter) =>
            {
                valid = false;
                lines.push(
                    "INVALID: the credential does not match the letter on record".into(),
                );
            }
            Some(l) if l.revoked_at.is_some() => {
                valid = false;
                lines.push(format!(
                    "REVOKED on {}: {}",
                    l.revoked_at
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    l.revoked_reason.unwrap_or_default()
                ));
            }
            Some(_) => lines.push("VALID: signature and status check out".into()),
        },
        None => lines.push(
            "VALID SIGNATURE: signed by a known key (revocation is not visible offline; open the verification link to see it)"
                .into(),
        ),
    }
    if from_code {
        lines.push(key_line(jwt));
    }
    lines.extend(describe_letter(&claims));
    Ok(Report { valid, lines })
}

/// Read a JWKS document from a file.
pub fn read_jwks(path: &Path) -> Result<Vec<PublicKey>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let keys = keys::from_jwks(&doc);
    if keys.is_empty() {
        return Err(format!(
            "{} has no Ed25519 keys; download it from <server>/.well-known/jwks.json",
            path.display()
        ));
    }
    Ok(keys)
}

/// Verify `input` (a verification code, a verification link, or a JWT). With `offline_keys`
/// (from a JWKS file) a JWT is checked with those keys alone, without any database. Otherwise
/// the keys and the revocation status come from the configured database.
pub fn verify(
    input: &str,
    offline_keys: Option<Vec<PublicKey>>,
    conn: Option<&mut DbConnection>,
) -> Result<Report, String> {
    let input = input.trim();
    let mut conn = conn;
    let (jwt, from_code) = match credential_of(input, conn.as_deref_mut())? {
        Ok(found) => found,
        Err(report) => return Ok(report),
    };
    let keys = match (&offline_keys, conn.as_deref_mut()) {
        (Some(k), _) => k.clone(),
        (None, Some(conn)) => store::public_keys(conn).map_err(|e| e.to_string())?,
        (None, None) => return Err("no keys to verify with: pass --jwks FILE".into()),
    };
    if credential::is_letter(&jwt) {
        let db = if offline_keys.is_some() { None } else { conn };
        return verify_letter(&jwt, &keys, db, from_code);
    }
    let claims = match credential::verify(&jwt, &keys) {
        Ok(c) => c,
        Err(r @ Refusal::Expired) => {
            let db = if offline_keys.is_some() { None } else { conn };
            return expired(&jwt, r, db);
        }
        Err(r) => {
            return Ok(Report {
                valid: false,
                lines: vec![format!("INVALID: {r}")],
            })
        }
    };
    let mut lines = Vec::new();
    let mut valid = true;
    // The revocation status lives in the database: check it when there is one.
    match (offline_keys.is_some(), conn) {
        (false, Some(conn)) => valid = certificate_status(conn, &claims, &mut lines)?,
        _ => lines.push(
            "VALID SIGNATURE: signed by a known key and within its dates (revocation is not visible offline; open the verification link to see it)"
                .into(),
        ),
    }
    if from_code {
        lines.push(key_line(&jwt));
    }
    lines.extend(describe(&claims));
    Ok(Report { valid, lines })
}

/// The credential to verify: `input` itself when it looks like a JWT, else the one whose
/// verification code (or link) it is, with `true`; a report when there is none.
fn credential_of(
    input: &str,
    conn: Option<&mut DbConnection>,
) -> Result<Result<(String, bool), Report>, String> {
    let looks_like_jwt = input.split('.').count() == 3 && input.len() > 40;
    if looks_like_jwt {
        return Ok(Ok((input.to_string(), false)));
    }
    let last = input.rsplit('/').next().unwrap_or(input);
    let Some(code) = code::normalize(last) else {
        return Ok(Err(Report {
            valid: false,
            lines: vec![format!(
                "NOT FOUND: `{input}` is neither a verification code (20 letters and digits) nor a certificate JWT"
            )],
        }));
    };
    let Some(conn) = conn else {
        return Err(
            "looking up a code needs the database; pass a JWT to verify offline with --jwks".into(),
        );
    };
    Ok(
        match store::by_code(conn, &code).map_err(|e| e.to_string())? {
            Some(s) => Ok((s.certificate.jwt, true)),
            None => match letters::by_code(conn, &code).map_err(|e| e.to_string())? {
                Some(l) => Ok((l.jwt, true)),
                None => Err(Report {
                    valid: false,
                    lines: vec![format!(
                        "NOT FOUND: no certificate or letter of recognition has the code {code}"
                    )],
                }),
            },
        },
    )
}

/// The report on an expired certificate; revoked wins over expired, so with a database (`conn`)
/// the revocation is looked up.
fn expired(jwt: &str, r: Refusal, conn: Option<&mut DbConnection>) -> Result<Report, String> {
    let decoded = jsonwebtoken::dangerous::insecure_decode::<Claims>(jwt).ok();
    let revoked = match (conn, &decoded) {
        (Some(conn), Some(d)) => store::by_code(conn, &d.claims.jti)
            .map_err(|e| e.to_string())?
            .map(|s| s.certificate)
            .filter(|c| c.revoked_at.is_some()),
        _ => None,
    };
    let mut lines = vec![match revoked {
        Some(c) => format!(
            "REVOKED on {}: {}",
            c.revoked_at
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            c.revoked_reason.unwrap_or_default()
        ),
        None => format!("EXPIRED: {r}"),
    }];
    if let Some(d) = decoded {
        lines.extend(describe(&d.claims));
    }
    Ok(Report {
        valid: false,
        lines,
    })
}

/// Checks a validly signed certificate against the record: adds the verdict to `lines` and
/// returns whether it is valid.
fn certificate_status(
    conn: &mut DbConnection,
    claims: &Claims,
    lines: &mut Vec<String>,
) -> Result<bool, String> {
    let stored = store::by_code(conn, &claims.jti).map_err(|e| e.to_string())?;
    let Some(s) = stored else {
        lines.push(
            "NOT FOUND: the signature holds but no certificate with this code is on record".into(),
        );
        return Ok(false);
    };
    let c = s.certificate;
    // compared with the credential as signed and stored, not re-derived
    let matches = match credential::stored_claims::<credential::Claims>(&c.jwt) {
        Some(stored) => stored.cert == claims.cert,
        None => credential::claims_of(&c, &claims.iss).cert == claims.cert,
    };
    let valid = match c.status_at(chrono::Utc::now().naive_utc()) {
        _ if !matches => {
            lines.push("INVALID: the credential does not match the certificate on record".into());
            false
        }
        Status::Valid => {
            lines.push("VALID: signature, dates and status check out".into());
            true
        }
        Status::Revoked => {
            lines.push(format!(
                "REVOKED on {}: {}",
                c.revoked_at
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                c.revoked_reason.unwrap_or_default()
            ));
            false
        }
        Status::Expired => {
            lines.push("EXPIRED".into());
            false
        }
    };
    Ok(valid)
}

/// The `key:` line: the id of the key the credential names.
fn key_line(jwt: &str) -> String {
    format!(
        "key:         {}",
        jsonwebtoken::decode_header(jwt)
            .ok()
            .and_then(|h| h.kid)
            .unwrap_or_default()
    )
}

/// The JWKS of every key on record (database) and in the data folder.
pub fn jwks(conn: &mut DbConnection, data_dir: &Path) -> Result<serde_json::Value, String> {
    let ring = Keyring::load_or_create(data_dir).map_err(|e| e.to_string())?;
    for k in &ring.all {
        store::register_key(conn, k).map_err(|e| e.to_string())?;
    }
    let keys = store::public_keys(conn).map_err(|e| e.to_string())?;
    Ok(keys::jwks(&keys))
}

/// Make a new signing key; returns its kid. Servers pick it up when they restart.
pub fn rotate(conn: &mut DbConnection, data_dir: &Path) -> Result<String, String> {
    let ring = Keyring::rotate(data_dir).map_err(|e| e.to_string())?;
    for k in &ring.all {
        store::register_key(conn, k).map_err(|e| e.to_string())?;
    }
    Ok(ring.current.kid().to_string())
}
