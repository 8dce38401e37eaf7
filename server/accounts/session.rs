//! Session tokens: an HS256 JWT carrying the user id and session version. The same token is the
//! web session (an HttpOnly cookie) and the API bearer token.

use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The cookie that holds the session token.
pub const COOKIE: &str = "cakap_session";
/// Issuer of session tokens; tokens for other purposes use other issuers.
const ISSUER: &str = "cakap|login";
/// How long a session lasts.
pub const LIFETIME: Duration = Duration::days(30);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id (a string, as JWT wants it).
    pub sub: String,
    /// The user's session version when the token was made.
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// Make a token for a user at their current session version. Returns it and its expiry (unix).
pub fn issue(key: &[u8], user_id: i64, version: i32) -> Result<(String, i64), String> {
    let now = Utc::now();
    let claims = Claims {
        sub: user_id.to_string(),
        ver: version,
        iat: now.timestamp(),
        exp: (now + LIFETIME).timestamp(),
        iss: ISSUER.into(),
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key),
    )
    .map(|t| (t, claims.exp))
    .map_err(|e| format!("cannot sign the session token: {e}"))
}

/// A verified session: who, at which session version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    pub version: i32,
}

/// The user and version of a valid, unexpired session token (signature, algorithm and issuer
/// checked).
pub fn verify(key: &[u8], token: &str) -> Option<Verified> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    v.leeway = 30;
    let claims = decode::<Claims>(token, &DecodingKey::from_secret(key), &v)
        .ok()?
        .claims;
    Some(Verified {
        user_id: claims.sub.parse().ok()?,
        version: claims.ver,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let key = b"0123456789abcdef0123456789abcdef";
        let (t, _) = issue(key, 42, 3).unwrap();
        let c = verify(key, &t).unwrap();
        assert_eq!((c.user_id, c.version), (42, 3));
        assert!(verify(b"another-key-another-key-another!", &t).is_none());
        let mut tampered = t.clone();
        tampered.pop();
        assert!(verify(key, &tampered).is_none());
        assert!(verify(key, "not.a.token").is_none());
        // a token with another issuer (purpose) is refused
        let other = encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: "1".into(),
                ver: 1,
                iat: 0,
                exp: Utc::now().timestamp() + 60,
                iss: "cakap|other".into(),
            },
            &EncodingKey::from_secret(key),
        )
        .unwrap();
        assert!(verify(key, &other).is_none());
        // alg=none is refused
        assert!(verify(key, "eyJhbGciOiJub25lIn0.eyJzdWIiOjEsInZlciI6MSwiaWF0IjowLCJleHAiOjk5OTk5OTk5OTksImlzcyI6ImNha2FwfGxvZ2luIn0.").is_none());
    }
}
