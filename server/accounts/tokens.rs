//! Single-use tokens sent by e-mail: e-mail verification, password reset, invitation. Only the
//! SHA-256 of a token is stored; a token works once, before it expires.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::schema::user_tokens;
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
    Invite,
}

impl Purpose {
    pub fn code(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
            Purpose::Invite => "invite",
        }
    }

    /// How long a token of this purpose is valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Verify => Duration::hours(48),
            Purpose::Reset => Duration::hours(2),
            Purpose::Invite => Duration::days(14),
        }
    }
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Create a token for `user_id`; returns the token to put in a link (never stored).
pub fn issue(conn: &mut DbConnection, user_id: i64, purpose: Purpose) -> Result<String, DbError> {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = Utc::now().naive_utc();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose.code()),
            user_tokens::token_hash.eq(digest(&token)),
            user_tokens::expires_at.eq(now + purpose.lifetime()),
            user_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such token (or for another purpose).
    Unknown,
    Used,
    Expired,
}

crate::domain_error!(
    /// Why a token was not taken: refused (unknown, used, expired), or the database failed.
    pub TokenError,
    Refused
);

/// The user a token belongs to, if it is valid now; it is marked used (single use).
pub fn consume(conn: &mut DbConnection, token: &str, purpose: Purpose) -> Result<i64, TokenError> {
    let now = Utc::now().naive_utc();
    let found: Option<(i64, i64, NaiveDateTime, Option<NaiveDateTime>)> = user_tokens::table
        .filter(user_tokens::token_hash.eq(digest(token.trim())))
        .filter(user_tokens::purpose.eq(purpose.code()))
        .select((
            user_tokens::id,
            user_tokens::user_id,
            user_tokens::expires_at,
            user_tokens::used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, user_id, expires_at, used_at)) = found else {
        return Err(Refused::Unknown.into());
    };
    if used_at.is_some() {
        return Err(Refused::Used.into());
    }
    if expires_at < now {
        return Err(Refused::Expired.into());
    }
    // guarded on used_at so that two concurrent uses cannot both succeed
    let updated = diesel::update(
        user_tokens::table
            .find(id)
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    if updated == 0 {
        return Err(Refused::Used.into());
    }
    Ok(user_id)
}

/// Whether a token is valid now, without using it (to show the form it leads to).
pub fn peek(conn: &mut DbConnection, token: &str, purpose: Purpose) -> Result<i64, TokenError> {
    let now = Utc::now().naive_utc();
    let found: Option<(i64, NaiveDateTime, Option<NaiveDateTime>)> = user_tokens::table
        .filter(user_tokens::token_hash.eq(digest(token.trim())))
        .filter(user_tokens::purpose.eq(purpose.code()))
        .select((
            user_tokens::user_id,
            user_tokens::expires_at,
            user_tokens::used_at,
        ))
        .first(conn)
        .optional()?;
    match found {
        None => Err(Refused::Unknown.into()),
        Some((_, _, Some(_))) => Err(Refused::Used.into()),
        Some((_, exp, None)) if exp < now => Err(Refused::Expired.into()),
        Some((user_id, _, None)) => Ok(user_id),
    }
}

/// Whether a token of this purpose was sent to the user within `within` (so a new mail would only
/// add noise).
pub fn recently_issued(
    conn: &mut DbConnection,
    user_id: i64,
    purpose: Purpose,
    within: Duration,
) -> Result<bool, DbError> {
    let since = Utc::now().naive_utc() - within;
    Ok(user_tokens::table
        .filter(user_tokens::user_id.eq(user_id))
        .filter(user_tokens::purpose.eq(purpose.code()))
        .filter(user_tokens::created_at.gt(since))
        .select(user_tokens::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Invalidate the unused tokens of a purpose for a user (a new reset link replaces the old).
pub fn revoke_all(conn: &mut DbConnection, user_id: i64, purpose: Purpose) -> Result<(), DbError> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose.code()))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(Utc::now().naive_utc())))
    .execute(conn)?;
    Ok(())
}
