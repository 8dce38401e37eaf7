//! The durable outbox: messages wait in the `outbox` table until a worker has sent them.
//!
//! A message is written with [`enqueue`] (in the caller's transaction, so it exists exactly when
//! what caused it does). Workers take due messages one at a time with [`claim_next`]: an `UPDATE`
//! that moves `next_attempt_at` forward by a lease, guarded on the value it read, so two workers
//! sharing one PostgreSQL database never both take the same row. A sent message gets `sent_at`
//! ([`mark_sent`]); a failed attempt is recorded with its error and the message waits for the
//! next step of the [`backoff`] schedule ([`record_failure`]); after [`MAX_ATTEMPTS`] it gets
//! `failed_at` and is left alone. A worker that dies while sending leaves a claimed row behind;
//! it becomes due again when the lease runs out, so nothing is lost (at worst sent twice).

use chrono::{Duration, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::{DbConnection, DbError};

/// A message to send: one recipient, a subject, and the same content as text and as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message a worker has claimed and must now try to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMail {
    pub id: i64,
    /// Attempts so far, this one included (1 on the first try).
    pub attempt: i32,
    pub mail: OutgoingMail,
}

/// One row of the outbox, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxEntry {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

/// A new outbox row: due at `next_attempt_at`, not yet tried.
#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_null = true)]
struct NewOutboxEntry<'a> {
    to_address: &'a str,
    subject: &'a str,
    text_body: &'a str,
    html_body: &'a str,
    created_at: NaiveDateTime,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The message will be tried again at this time.
    At(NaiveDateTime),
    /// No more attempts: the message is marked failed.
    GaveUp,
}

/// Attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// How long a claim holds a message. A worker that dies mid-send frees it after this; it must be
/// far longer than one send can take (the SMTP timeout is well under a minute).
pub const CLAIM_LEASE: Duration = Duration::minutes(10);

/// The longest error text kept in `last_error`.
const MAX_ERROR_LEN: usize = 1000;

/// The wait after failed attempt number `attempt` (1-based), or `None` when that was the last
/// one: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h, then give up (about 45 hours in all).
pub fn backoff(attempt: i32) -> Option<Duration> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    Some(match attempt {
        i32::MIN..=1 => Duration::minutes(1),
        2 => Duration::minutes(5),
        3 => Duration::minutes(30),
        4 => Duration::hours(2),
        5 => Duration::hours(6),
        6 => Duration::hours(12),
        _ => Duration::hours(24),
    })
}

/// The current time as stored: UTC, whole seconds (SQLite keeps no more, and the claim guard
/// compares times for equality).
pub fn now() -> NaiveDateTime {
    whole_seconds(Utc::now().naive_utc())
}

fn whole_seconds(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(0).unwrap_or(t)
}

/// Put `mail` in the outbox, due now. Returns its id.
pub fn enqueue(conn: &mut DbConnection, mail: &OutgoingMail) -> Result<i64, DbError> {
    enqueue_at(conn, mail, now())
}

/// Put `mail` in the outbox, due at `due` (which is also its creation time).
pub fn enqueue_at(
    conn: &mut DbConnection,
    mail: &OutgoingMail,
    due: NaiveDateTime,
) -> Result<i64, DbError> {
    let due = whole_seconds(due);
    let id = diesel::insert_into(outbox::table)
        .values(NewOutboxEntry {
            to_address: &mail.to,
            subject: &mail.subject,
            text_body: &mail.text,
            html_body: &mail.html,
            created_at: due,
            attempts: 0,
            next_attempt_at: due,
        })
        .returning(outbox::id)
        .get_result::<i64>(conn)?;
    Ok(id)
}

/// Take the next message due at `now`, if any, for one attempt: its `attempts` goes up by one and
/// its `next_attempt_at` moves to `now + CLAIM_LEASE`, so no other worker takes it meanwhile.
/// Safe with several workers on one database: the update only applies if `next_attempt_at` is
/// still what this worker read; when another worker got there first, the next due row is tried.
pub fn claim_next(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<Option<ClaimedMail>, DbError> {
    let now = whole_seconds(now);
    // Each lost race means another worker claimed a row, so this ends; the bound is a backstop.
    for _ in 0..100 {
        let candidate: Option<(i64, NaiveDateTime)> = outbox::table
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::next_attempt_at.le(now))
            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
            .select((outbox::id, outbox::next_attempt_at))
            .first(conn)
            .optional()?;
        let Some((id, due)) = candidate else {
            return Ok(None);
        };
        let taken = diesel::update(
            outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::next_attempt_at.eq(due))
                .filter(outbox::sent_at.is_null())
                .filter(outbox::failed_at.is_null()),
        )
        .set((
            outbox::next_attempt_at.eq(now + CLAIM_LEASE),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
        if taken == 1 {
            let (to, subject, text, html, attempt): (String, String, String, String, i32) =
                outbox::table
                    .filter(outbox::id.eq(id))
                    .select((
                        outbox::to_address,
                        outbox::subject,
                        outbox::text_body,
                        outbox::html_body,
                        outbox::attempts,
                    ))
                    .first(conn)?;
            return Ok(Some(ClaimedMail {
                id,
                attempt,
                mail: OutgoingMail {
                    to,
                    subject,
                    text,
                    html,
                },
            }));
        }
    }
    Ok(None)
}

/// The claimed message `id` was sent.
pub fn mark_sent(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)))
        .set((
            outbox::sent_at.eq(Some(whole_seconds(now))),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Attempt number `attempt` of the claimed message `id` failed with `error`. Schedules the next
/// attempt by [`backoff`], or marks the message failed after the last one, or at once when
/// `permanent` (the message can never be sent, e.g. the address is malformed).
pub fn record_failure(
    conn: &mut DbConnection,
    id: i64,
    attempt: i32,
    error: &str,
    permanent: bool,
    now: NaiveDateTime,
) -> Result<Retry, DbError> {
    let now = whole_seconds(now);
    let error = short_error(error);
    let retry = match backoff(attempt) {
        Some(wait) if !permanent => Retry::At(now + wait),
        _ => Retry::GaveUp,
    };
    let target = outbox::table.filter(outbox::id.eq(id));
    match retry {
        Retry::At(at) => diesel::update(target)
            .set((
                outbox::next_attempt_at.eq(at),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        Retry::GaveUp => diesel::update(target)
            .set((
                outbox::failed_at.eq(Some(now)),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    Ok(retry)
}

/// One outbox row by id.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<OutboxEntry>, DbError> {
    Ok(outbox::table
        .filter(outbox::id.eq(id))
        .select(OutboxEntry::as_select())
        .first(conn)
        .optional()?)
}

/// Counts of messages waiting (not yet sent, not given up on) and failed for good.
pub fn counts(conn: &mut DbConnection) -> Result<(i64, i64), DbError> {
    let waiting = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .count()
        .get_result(conn)?;
    let failed = outbox::table
        .filter(outbox::failed_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((waiting, failed))
}

/// One line, at most [`MAX_ERROR_LEN`] characters.
fn short_error(error: &str) -> String {
    let line = crate::text::one_line(error);
    if line.chars().count() <= MAX_ERROR_LEN {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_ERROR_LEN - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_gives_up_after_the_last_attempt() {
        let waits: Vec<Option<Duration>> = (1..=MAX_ATTEMPTS).map(backoff).collect();
        assert_eq!(
            waits,
            vec![
                Some(Duration::minutes(1)),
                Some(Duration::minutes(5)),
                Some(Duration::minutes(30)),
                Some(Duration::hours(2)),
                Some(Duration::hours(6)),
                Some(Duration::hours(12)),
                Some(Duration::hours(24)),
                None,
            ]
        );
        assert_eq!(backoff(MAX_ATTEMPTS + 3), None);
        // nonsense input still waits rather than hammering the server
        assert_eq!(backoff(0), Some(Duration::minutes(1)));
        assert_eq!(backoff(-5), Some(Duration::minutes(1)));
    }

    #[test]
    fn backoff_never_shrinks_and_outlasts_the_claim_lease() {
        let mut last = Duration::zero();
        for attempt in 1..MAX_ATTEMPTS {
            let wait = backoff(attempt).unwrap();
            assert!(wait >= last, "attempt {attempt}");
            last = wait;
        }
        let total: Duration = (1..MAX_ATTEMPTS).filter_map(backoff).sum();
        assert!(total > Duration::hours(24), "{total}");
        assert!(total < Duration::hours(72), "{total}");
        assert!(CLAIM_LEASE > Duration::minutes(2));
    }

    #[test]
    fn errors_are_kept_short_and_on_one_line() {
        assert_eq!(short_error("a\nb"), crate::text::one_line("a\nb"));
        let long = "x".repeat(5000);
        let short = short_error(&long);
        assert_eq!(short.chars().count(), MAX_ERROR_LEN);
        assert!(short.ends_with('…'));
    }

    #[test]
    fn stored_times_have_whole_seconds() {
        assert_eq!(now().nanosecond(), 0);
    }
}
