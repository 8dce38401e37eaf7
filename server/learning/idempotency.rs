//! `Idempotency-Key`: a client that may send the same action twice (an offline device syncing its
//! queue, a retry after a lost answer) names each action with a key; the first answer is kept with
//! the key, in the transaction of the action, and a repeat gets that answer back instead of a
//! second action.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::{DbConnection, DbError};

/// The request header.
pub const HEADER: &str = "Idempotency-Key";

/// The response header set on a replayed answer.
pub const REPLAYED: &str = "Idempotent-Replayed";

/// Keys are kept this long; a device offline for longer sends its queue as new actions (which,
/// for marking lessons done, changes nothing twice anyway).
pub const KEEP_DAYS: i64 = 30;

/// Longest key accepted.
pub const MAX_LEN: usize = 128;

/// A key is 1–128 visible ASCII characters (a UUID fits).
pub fn valid(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_LEN && key.bytes().all(|b| b.is_ascii_graphic())
}

/// What a key already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// New: act, then [`remember`].
    New,
    /// The same action again: its first answer (JSON).
    Replay(String),
    /// The key was used for another request (method and path).
    OtherRequest(String),
}

pub fn seen(
    conn: &mut DbConnection,
    user_id: i64,
    key: &str,
    request: &str,
) -> Result<Seen, DbError> {
    let row: Option<(String, String)> = idempotency_keys::table
        .find((user_id, key))
        .select((idempotency_keys::request, idempotency_keys::response))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Seen::New,
        Some((r, response)) if r == request => Seen::Replay(response),
        Some((r, _)) => Seen::OtherRequest(r),
    })
}

/// Keep `response` under the key (call inside the action's transaction), and forget this user's
/// keys older than [`KEEP_DAYS`].
pub fn remember(
    conn: &mut DbConnection,
    user_id: i64,
    key: &str,
    request: &str,
    response: &str,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user_id))
            .filter(idempotency_keys::created_at.lt(now - Duration::days(KEEP_DAYS))),
    )
    .execute(conn)?;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request.eq(request),
            idempotency_keys::response.eq(response),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid("3f2b9c1e-8d4a-4b7e-9f00-1234567890ab"));
        assert!(valid("a"));
        assert!(!valid(""));
        assert!(!valid("dua kata"));
        assert!(!valid("kunci\u{e9}"));
        assert!(!valid(&"x".repeat(MAX_LEN + 1)));
        assert!(valid(&"x".repeat(MAX_LEN)));
    }
}
