//! The audit log: who did what to what, for actions that must be accountable (role changes,
//! disabling accounts, and later certificate revocations). Written in the same transaction as
//! the action.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::audit_log;
use super::{DbConnection, DbError};

/// Record an action by `actor` (None for the system) on `subject` (e.g. `user:42`).
pub fn record(
    conn: &mut DbConnection,
    actor: Option<i64>,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::created_at.eq(Utc::now().naive_utc()),
            audit_log::actor_id.eq(actor),
            audit_log::action.eq(action),
            audit_log::subject.eq(subject),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// One audit entry: when, by whom, what, details.
pub type Entry = (NaiveDateTime, Option<i64>, String, String);

/// The entries about `subject`, newest first.
pub fn about(conn: &mut DbConnection, subject: &str) -> Result<Vec<Entry>, DbError> {
    Ok(audit_log::table
        .filter(audit_log::subject.eq(subject))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .select((
            audit_log::created_at,
            audit_log::actor_id,
            audit_log::action,
            audit_log::detail,
        ))
        .load(conn)?)
}
