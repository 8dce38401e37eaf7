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

/// Login attempts per (account, address) pair: tight. Past it, that address may not try that
/// account for the rest of the window; the owner elsewhere still can.
pub const LOGIN_PAIR: Limit = Limit {
    max: 5,
    window: Duration::minutes(15),
};
/// Failed logins per account from all addresses. Not a lock: past [`LOGIN_ACCOUNT_SLOW_AFTER`]
/// failures, every attempt on the account waits a little longer (see [`login_delay`]).
pub const LOGIN_ACCOUNT: Limit = Limit {
    max: 1_000,
    window: Duration::minutes(15),
};
/// Failures on one account before its attempts are slowed down.
pub const LOGIN_ACCOUNT_SLOW_AFTER: i32 = 10;
/// Failed logins per address over all accounts: a generous ceiling, since a whole office may sit
/// behind one address (NAT).
pub const LOGIN_IP: Limit = Limit {
    max: 300,
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
/// Wrong current passwords on `/me/password` per account: a session someone else got hold of must
/// not become a way to guess the password. A right one clears the count.
pub const PASSWORD_CHANGE: Limit = Limit {
    max: 5,
    window: Duration::minutes(15),
};
/// Registrations per address (each sends a mail to an address the sender chooses). Room for an
/// office behind one address registering together; agencies enrol many at once by CSV import.
pub const REGISTER_IP: Limit = Limit {
    max: 20,
    window: Duration::hours(1),
};

/// How long an attempt on an account with `failures` recent failures waits before its password
/// is checked: nothing up to [`LOGIN_ACCOUNT_SLOW_AFTER`], then one more second per failure, at
/// most ten.
pub fn login_delay(failures: i32) -> std::time::Duration {
    let over = (failures - LOGIN_ACCOUNT_SLOW_AFTER).clamp(0, 10);
    std::time::Duration::from_secs(over as u64)
}

/// The state of a key right after an event was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Events in the current window, this one included.
    pub count: i32,
    /// Until the window ends.
    pub wait: Duration,
}

impl Counted {
    /// This event went past the limit (it is the `max + 1`-th or later).
    pub fn over(&self, limit: Limit) -> bool {
        self.count > limit.max
    }
}

/// Whether `key` is over its limit now; `Some(wait)` says how long until it may try again.
pub fn blocked(
    conn: &mut DbConnection,
    key: &str,
    limit: Limit,
) -> Result<Option<Duration>, DbError> {
    let key = &safe_key(key);
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

/// Count one event against `key` and return the new count, atomically: concurrent callers each
/// get their own count (the increment and the read are one `UPDATE … RETURNING`), so checking
/// `over` on the result admits exactly `max` events per window, however many arrive at once.
pub fn count(conn: &mut DbConnection, key: &str, limit: Limit) -> Result<Counted, DbError> {
    let key = &safe_key(key);
    let now = Utc::now().naive_utc();
    // the row exists (a new key starts with a long-expired window); `key` is escaped for the
    // literal (both backends: a quote doubled), and nothing else in the statement is input
    diesel::sql_query(format!(
        "INSERT INTO rate_limits (key, window_start, count) VALUES ('{}', '1970-01-01 00:00:00', 0) ON CONFLICT (key) DO NOTHING",
        key.replace('\'', "''")
    ))
    .execute(conn)?;
    // an expired window starts again (only one concurrent caller matches: the others see the
    // new start)
    diesel::update(
        rate_limits::table
            .find(key)
            .filter(rate_limits::window_start.le(now - limit.window)),
    )
    .set((rate_limits::window_start.eq(now), rate_limits::count.eq(0)))
    .execute(conn)?;
    let (count, start): (i32, NaiveDateTime) = diesel::update(rate_limits::table.find(key))
        .set(rate_limits::count.eq(rate_limits::count + 1))
        .returning((rate_limits::count, rate_limits::window_start))
        .get_result(conn)?;
    Ok(Counted {
        count,
        wait: (start + limit.window - now).max(Duration::seconds(1)),
    })
}

/// Keys carry what people typed (an e-mail address): control characters go, and the length is
/// bounded, so any text makes a usable key.
fn safe_key(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// Count one event against `key`.
pub fn hit(conn: &mut DbConnection, key: &str, limit: Limit) -> Result<(), DbError> {
    count(conn, key, limit).map(|_| ())
}

/// Take back one counted event (it turned out not to be a failure).
pub fn refund(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    let key = &safe_key(key);
    diesel::update(
        rate_limits::table
            .find(key)
            .filter(rate_limits::count.gt(0)),
    )
    .set(rate_limits::count.eq(rate_limits::count - 1))
    .execute(conn)?;
    Ok(())
}

/// Forget the count of `key` (a successful login clears the account's failures).
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    let key = &safe_key(key);
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
    fn the_account_is_slowed_down_not_locked() {
        assert!(login_delay(0).is_zero());
        assert!(login_delay(LOGIN_ACCOUNT_SLOW_AFTER).is_zero());
        assert_eq!(
            login_delay(LOGIN_ACCOUNT_SLOW_AFTER + 3),
            std::time::Duration::from_secs(3)
        );
        assert_eq!(login_delay(10_000), std::time::Duration::from_secs(10));
    }

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
