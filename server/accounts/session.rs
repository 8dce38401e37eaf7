//! Session tokens: an HS256 JWT naming the user and the session record (`sid`, a random id of a
//! row in `sessions`, see [`super::sessions`]). The same token is the web session (an HttpOnly
//! cookie) and the API bearer token. The signature proves the server made it; the record says
//! whether it still holds (logged out, ended from another device, password or roles changed).

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
    /// The session record this token stands for. Tokens made before sessions were records carry
    /// none and are refused.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// Make a token for a user's session record `sid`. Returns it and its expiry (unix).
pub fn issue(key: &[u8], user_id: i64, sid: &str) -> Result<(String, i64), String> {
    let now = Utc::now();
    let claims = Claims {
        sub: user_id.to_string(),
        sid: sid.to_string(),
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

/// A verified token: who, and which session record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    pub session_id: String,
}

/// The user and session of a valid, unexpired session token (signature, algorithm and issuer
/// checked).
pub fn verify(key: &[u8], token: &str) -> Option<Verified> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    v.leeway = 30;
    let claims = decode::<Claims>(token, &DecodingKey::from_secret(key), &v)
        .ok()?
        .claims;
    if claims.sid.is_empty() {
        return None;
    }
    Some(Verified {
        user_id: claims.sub.parse().ok()?,
        session_id: claims.sid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let key = b"0123456789abcdef0123456789abcdef";
        let (t, _) = issue(key, 42, "abc123").unwrap();
        let c = verify(key, &t).unwrap();
        assert_eq!((c.user_id, c.session_id.as_str()), (42, "abc123"));
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
                sid: "abc123".into(),
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
        // a token from before sessions were records (a version, no session id) is refused
        #[derive(Serialize)]
        struct Old {
            sub: String,
            ver: i32,
            iat: i64,
            exp: i64,
            iss: String,
        }
        let old = encode(
            &Header::new(Algorithm::HS256),
            &Old {
                sub: "1".into(),
                ver: 1,
                iat: 0,
                exp: Utc::now().timestamp() + 60,
                iss: ISSUER.into(),
            },
            &EncodingKey::from_secret(key),
        )
        .unwrap();
        assert!(verify(key, &old).is_none());
    }
}
