//! Fixed-window rate limits kept in the database, so every server of a deployment counts together,
//! and [`LocalLimiter`], kept in one server's memory, for limits checked on every request of a hot
//! public page (where a database write per request would be the page's whole cost).

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
/// Registrations per address (each sends a mail to an address the sender chooses). Room for an
/// office behind one address registering together; agencies enrol many at once by CSV import.
pub const REGISTER_IP: Limit = Limit {
    max: 20,
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

/// Fixed-window counters in this server's memory: no database work per request. With several
/// servers behind a load balancer each counts on its own, so an address may get up to `max` per
/// server; use it where that is still far too few to matter (guessing 100-bit codes) and a
/// database-backed [`Limit`] guards the rarer event (the misses).
pub struct LocalLimiter {
    limit: Limit,
    state: std::sync::Mutex<LocalWindow>,
}

struct LocalWindow {
    start: NaiveDateTime,
    counts: std::collections::HashMap<String, i32>,
}

/// Addresses tracked per window at most; past that, new ones are let through uncounted (memory
/// stays bounded whatever arrives).
const LOCAL_KEYS: usize = 100_000;

impl LocalLimiter {
    pub fn new(limit: Limit) -> LocalLimiter {
        LocalLimiter {
            limit,
            // the first hit starts the first window
            state: std::sync::Mutex::new(LocalWindow {
                start: NaiveDateTime::MIN,
                counts: std::collections::HashMap::new(),
            }),
        }
    }

    /// Count one event against `key` at `now`; `Some(wait)` when it is over the limit (the event
    /// is then not counted).
    pub fn hit(&self, key: &str, now: NaiveDateTime) -> Option<Duration> {
        let mut w = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if now >= w.start + self.limit.window || now < w.start {
            w.start = now;
            w.counts.clear();
        }
        let wait = w.start + self.limit.window - now;
        match w.counts.get_mut(key) {
            Some(n) if *n >= self.limit.max => Some(wait),
            Some(n) => {
                *n += 1;
                None
            }
            None => {
                if w.counts.len() < LOCAL_KEYS {
                    w.counts.insert(key.to_string(), 1);
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod local_tests {
    use super::*;

    #[test]
    fn local_limiter_counts_per_key_and_window() {
        let l = LocalLimiter::new(Limit {
            max: 3,
            window: Duration::minutes(10),
        });
        let t = Utc::now().naive_utc();
        for _ in 0..3 {
            assert_eq!(l.hit("a", t), None);
        }
        assert_eq!(
            l.hit("a", t + Duration::minutes(1)),
            Some(Duration::minutes(9))
        );
        assert_eq!(l.hit("b", t), None, "other keys count on their own");
        assert_eq!(l.hit("a", t + Duration::minutes(10)), None, "a new window");
    }
}
