//! Session records: one row per login (a browser, or an API client's bearer token), named by the
//! token (see [`super::session`]). A session holds while its row is not ended, not expired, and
//! its `user_version` equals the user's `session_version` (bumped by "log out everywhere", a
//! password change or reset, a role change, disabling the account). Rows live in the database,
//! so every server of a deployment sees the same sessions.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;

use super::session::LIFETIME;
use super::users::User;
use crate::db::schema::{sessions, users as users_t};
use crate::db::{DbConnection, DbError};

/// `last_used_at` is written at most this often per session (not on every request).
pub const TOUCH_EVERY: Duration = Duration::minutes(5);

/// A new, unguessable session id (128 random bits, hex).
fn new_id() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Where a session was started from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// A short summary of the User-Agent ([`device_of`]).
    pub device: String,
    pub address: String,
    /// An API client's bearer token rather than a browser's cookie.
    pub bearer: bool,
}

/// Start a session for `user_id` at their current `version`; returns its id and expiry. Prunes
/// expired and ended rows first, so the table stays small.
pub fn start(
    conn: &mut DbConnection,
    user_id: i64,
    version: i32,
    origin: &Origin,
) -> Result<(String, NaiveDateTime), DbError> {
    let now = Utc::now().naive_utc();
    prune(conn, user_id, version, now)?;
    let id = new_id();
    let expires = now + LIFETIME;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(user_id),
            sessions::user_version.eq(version),
            sessions::device.eq(&origin.device),
            sessions::address.eq(&origin.address),
            sessions::bearer.eq(origin.bearer),
            sessions::created_at.eq(now),
            sessions::last_used_at.eq(now),
            sessions::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok((id, expires))
}

/// Delete expired rows (everyone's: a range of the `expires_at` index) and this user's ended or
/// outdated rows (by the `user_id` index). Another person's ended rows go at their next login,
/// or when they expire.
fn prune(
    conn: &mut DbConnection,
    user_id: i64,
    version: i32,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::delete(sessions::table.filter(sessions::expires_at.lt(now))).execute(conn)?;
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(
                sessions::ended_at
                    .is_not_null()
                    .or(sessions::user_version.ne(version)),
            ),
    )
    .execute(conn)?;
    Ok(())
}

/// What a request's session resolves to.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub user: User,
    /// Someone names this user as their supervisor.
    pub is_supervisor: bool,
    pub last_used_at: NaiveDateTime,
}

/// The user of a live session `id` of `user_id`, in one query: the session row by its primary
/// key joined to its user by primary key (the supervisor flag an `EXISTS` on an indexed column).
pub fn resolve(
    conn: &mut DbConnection,
    id: &str,
    user_id: i64,
) -> Result<Option<Resolved>, DbError> {
    let now = Utc::now().naive_utc();
    let team = diesel::alias!(users_t as team);
    let row: Option<(User, bool, NaiveDateTime)> = sessions::table
        .inner_join(users_t::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users_t::disabled.eq(false))
        .filter(users_t::session_version.eq(sessions::user_version))
        .select((
            User::as_select(),
            diesel::dsl::exists(
                team.filter(
                    team.field(users_t::supervisor_id)
                        .eq(users_t::id.nullable()),
                ),
            ),
            sessions::last_used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(user, is_supervisor, last_used_at)| Resolved {
        user,
        is_supervisor,
        last_used_at,
    }))
}

/// Note that session `id` was used now (call at most every [`TOUCH_EVERY`]).
pub fn touch(conn: &mut DbConnection, id: &str) -> Result<(), DbError> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_used_at.eq(Utc::now().naive_utc()))
        .execute(conn)?;
    Ok(())
}

/// End session `id` of `user_id` now. Whether there was such a live session.
pub fn end(conn: &mut DbConnection, user_id: i64, id: &str) -> Result<bool, DbError> {
    let n = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(Utc::now().naive_utc())))
    .execute(conn)?;
    Ok(n > 0)
}

/// End every session of `user_id` but `except`.
pub fn end_others(
    conn: &mut DbConnection,
    user_id: i64,
    except: Option<&str>,
) -> Result<(), DbError> {
    let now = Utc::now().naive_utc();
    let q = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null());
    match except {
        Some(keep) => diesel::update(q.filter(sessions::id.ne(keep)))
            .set(sessions::ended_at.eq(Some(now)))
            .execute(conn)?,
        None => diesel::update(q)
            .set(sessions::ended_at.eq(Some(now)))
            .execute(conn)?,
    };
    Ok(())
}

/// Session `id` carries on at the user's new `version` (after a password or role change that
/// ended the others: this device stays logged in).
pub fn keep(conn: &mut DbConnection, id: &str, version: i32) -> Result<(), DbError> {
    diesel::update(sessions::table.find(id))
        .set(sessions::user_version.eq(version))
        .execute(conn)?;
    Ok(())
}

/// A live session as the account page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: String,
    pub device: String,
    pub address: String,
    pub bearer: bool,
    /// `YYYY-MM-DD HH:MM UTC`
    pub created: String,
    pub last_used: String,
    /// The session of the request that asks.
    pub current: bool,
}

/// The live sessions of `user` (at their current version), most recently used first.
pub fn active(
    conn: &mut DbConnection,
    user: &User,
    current: Option<&str>,
) -> Result<Vec<Listed>, DbError> {
    let now = Utc::now().naive_utc();
    let rows: Vec<(String, String, String, bool, NaiveDateTime, NaiveDateTime)> = sessions::table
        .filter(sessions::user_id.eq(user.id))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::user_version.eq(user.session_version))
        .order((sessions::last_used_at.desc(), sessions::id))
        .select((
            sessions::id,
            sessions::device,
            sessions::address,
            sessions::bearer,
            sessions::created_at,
            sessions::last_used_at,
        ))
        .load(conn)?;
    let fmt = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(rows
        .into_iter()
        .map(|(id, device, address, bearer, created, used)| Listed {
            current: current == Some(id.as_str()),
            id,
            device,
            address,
            bearer,
            created: fmt(created),
            last_used: fmt(used),
        })
        .collect())
}

/// A short, language-neutral summary of a User-Agent: "Firefox · Android", "Chrome · Windows";
/// the first characters of anything else; empty when there is none.
pub fn device_of(user_agent: &str) -> String {
    let ua = user_agent.to_ascii_lowercase();
    let browser = [
        ("edg/", "Edge"),
        ("opr/", "Opera"),
        ("samsungbrowser", "Samsung Internet"),
        ("firefox/", "Firefox"),
        ("fxios", "Firefox"),
        ("crios", "Chrome"),
        ("chrome/", "Chrome"),
        ("safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests", "Python"),
        ("okhttp", "OkHttp"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("android", "Android"),
        ("iphone", "iOS"),
        ("ipad", "iPadOS"),
        ("windows", "Windows"),
        ("cros", "ChromeOS"),
        ("mac os x", "macOS"),
        ("macintosh", "macOS"),
        ("linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} · {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect::<String>()
            .trim()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_summarised() {
        assert_eq!(
            device_of("Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"),
            "Chrome · Android"
        );
        assert_eq!(
            device_of(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            "Firefox · Windows"
        );
        assert_eq!(
            device_of("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
            "Safari · iOS"
        );
        assert_eq!(device_of("curl/8.5.0"), "curl");
        assert_eq!(device_of(""), "");
        assert_eq!(device_of("aplikasi-kantor/1.0\n"), "aplikasi-kantor/1.0");
        assert_eq!(device_of(&"x".repeat(200)).len(), 40);
    }

    #[test]
    fn ids_are_random_and_long() {
        let a = new_id();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_id());
    }
}
