//! Fixed-window rate limits kept in the database, so every server of a deployment counts together.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::rate_limits;
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i32,
    pub window: Duration,
}

/// Failed logins per account and per address; reset requests per account and per address.
pub const LOGIN_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::minutes(15),
};
pub const LOGIN_IP: Limit = Limit {
    max: 30,
    window: Duration::minutes(15),
};
pub const RESET_ACCOUNT: Limit = Limit {
    max: 3,
    window: Duration::hours(1),
};
pub const RESET_IP: Limit = Limit {
    max: 10,
    window: Duration::hours(1),
};

/// Whether `key` is over its limit now; `Some(wait)` says how long until it may try again.
pub fn blocked(
    conn: &mut DbConnection,
    key: &str,
    limit: Limit,
) -> Result<Option<Duration>, DbError> {
    let now = Utc::now().naive_utc();
    let row: Option<(NaiveDateTime, i32)> = rate_limits::table
        .find(key)
        .select((rate_limits::window_start, rate_limits::count))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((start, count)) if start + limit.window > now && count >= limit.max => {
            Some(start + limit.window - now)
        }
        _ => None,
    })
}

/// Count one event against `key`.
pub fn hit(conn: &mut DbConnection, key: &str, limit: Limit) -> Result<(), DbError> {
    let now = Utc::now().naive_utc();
    crate::db::transaction(conn, |conn| {
        let row: Option<NaiveDateTime> = rate_limits::table
            .find(key)
            .select(rate_limits::window_start)
            .first(conn)
            .optional()?;
        match row {
            Some(start) if start + limit.window > now => {
                diesel::update(rate_limits::table.find(key))
                    .set(rate_limits::count.eq(rate_limits::count + 1))
                    .execute(conn)?;
            }
            Some(_) => {
                diesel::update(rate_limits::table.find(key))
                    .set((rate_limits::window_start.eq(now), rate_limits::count.eq(1)))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(rate_limits::table)
                    .values((
                        rate_limits::key.eq(key),
                        rate_limits::window_start.eq(now),
                        rate_limits::count.eq(1),
                    ))
                    .execute(conn)?;
            }
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// Forget the count of `key` (a successful login clears the account's failures).
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    diesel::delete(rate_limits::table.find(key)).execute(conn)?;
    Ok(())
}

/// Whole minutes to wait, at least one.
pub fn minutes(wait: Duration) -> i64 {
    ((wait.num_seconds() + 59) / 60).max(1)
}
