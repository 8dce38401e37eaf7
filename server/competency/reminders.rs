//! Reminders through the outbox: a learner still below their yearly JP target in the last quarter
//! of the year (once a year), and a weekly digest for supervisors with pending approvals, overdue
//! assignments or open impact questions in their team (once a week). From the same loop, impact
//! questions are opened three months after a completion (`evaluation::ask_impact`, no mail of
//! their own). Every server runs the loop; a row in `reminders_sent`, written in the transaction
//! that queues the mail, makes each reminder go out once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::jp;
use crate::db::schema::{activities, course_versions, courses, enrollments, reminders_sent, users};
use crate::db::{Db, DbConnection, DbError};
use crate::i18n::Lang;
use crate::mail::{MailTemplates, Mailer};

/// How often each server looks.
pub const INTERVAL: Duration = Duration::from_secs(60 * 60);

/// The last quarter starts in October.
pub const LAST_QUARTER_FROM_MONTH: u32 = 10;

/// Most reminders of one kind queued per pass (the next pass continues).
pub const PER_PASS: usize = 500;

/// Whether `now` is in the last quarter of its year.
pub fn in_last_quarter(now: NaiveDateTime) -> bool {
    now.month() >= LAST_QUARTER_FROM_MONTH
}

/// The ISO week of `now`, as the digest's key (`2026-W48`).
pub fn week_key(now: NaiveDateTime) -> String {
    let w = now.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Queue `mail` and mark (kind, key) sent, in one transaction; false when it was already sent.
fn send_once(
    conn: &mut DbConnection,
    kind: &str,
    key: &str,
    now: NaiveDateTime,
    mail: &crate::mail::OutgoingMail,
) -> Result<bool, DbError> {
    let result = crate::db::transaction(conn, |conn| {
        diesel::insert_into(reminders_sent::table)
            .values((
                reminders_sent::kind.eq(kind),
                reminders_sent::key.eq(key),
                reminders_sent::sent_at.eq(now),
            ))
            .execute(conn)?;
        crate::mail::outbox::enqueue(conn, mail).map_err(|e| match e {
            DbError::Query(q) => q,
            other => DieselError::QueryBuilderError(other.to_string().into()),
        })?;
        Ok::<_, DieselError>(())
    });
    match result {
        Ok(()) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn already(conn: &mut DbConnection, kind: &str, keys: &[String]) -> Result<Vec<String>, DbError> {
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        out.extend(
            reminders_sent::table
                .filter(reminders_sent::kind.eq(kind))
                .filter(reminders_sent::key.eq_any(chunk))
                .select(reminders_sent::key)
                .load::<String>(conn)?,
        );
    }
    Ok(out)
}

type Person = (i64, String, String, Option<String>, Option<i64>);

/// Learners below their target in the last quarter: once a year each. Returns how many queued.
/// Only ASN are reminded (an account with an agency and a NIP); the quarter and the year are
/// those of the person's agency time zone at `now`.
pub fn jp_reminders(
    conn: &mut DbConnection,
    templates: &MailTemplates,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    // the earliest zone (WIT) reaches the last quarter first; before that nobody is in it
    if !crate::clock::Zone::ALL
        .iter()
        .any(|z| in_last_quarter(z.local(now)))
    {
        return Ok(0);
    }
    let people = people_to_remind(conn)?;
    let ids: Vec<i64> = people.iter().map(|p| p.0).collect();
    let zones = crate::clock::zones_of_users(conn, &ids)?;
    // each person's year, in their zone; only those already in their last quarter
    let year_of: HashMap<i64, i32> = people
        .iter()
        .filter_map(|p| {
            let local = zones
                .get(&p.0)
                .copied()
                .unwrap_or_else(crate::clock::platform_default)
                .local(now);
            in_last_quarter(local).then_some((p.0, local.year()))
        })
        .collect();
    let keys: Vec<String> = year_of.iter().map(|(id, y)| format!("{y}:{id}")).collect();
    let done = already(conn, "jp-q4", &keys)?;
    let todo: Vec<(&Person, i32)> = people
        .iter()
        .filter_map(|p| year_of.get(&p.0).map(|y| (p, *y)))
        .filter(|(p, y)| !done.contains(&format!("{y}:{}", p.0)))
        .collect();
    let earned = earned_in_their_years(conn, &todo)?;
    let mut targets: HashMap<Option<i64>, i64> = HashMap::new();
    let mut queued = 0;
    for ((id, email, name, language, agency), year) in todo {
        let target = match targets.get(agency) {
            Some(t) => *t,
            None => {
                let t = jp::target(conn, *agency)?;
                targets.insert(*agency, t);
                t
            }
        };
        let have = earned.get(&(*id, year)).copied().unwrap_or(0);
        if have >= target {
            continue;
        }
        let lang = language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(Lang::Id);
        let data = json!({
            "lang": lang.code(),
            "name": name,
            "year": year.to_string(),
            "jp": have,
            "target": target,
            "left": target - have,
            "link": format!("{}/me/profile", base_url.trim_end_matches('/')),
        });
        let mail = templates
            .render("jp_reminder", lang, data, email)
            .map_err(DbError::Internal)?;
        if send_once(conn, "jp-q4", &format!("{year}:{id}"), now, &mail)? {
            queued += 1;
            if queued >= PER_PASS {
                break;
            }
        }
    }
    Ok(queued)
}

/// Weekly digests for supervisors whose team has pending approvals, overdue assignments or impact
/// questions opened in the last [`IMPACT_DIGEST_DAYS`](super::evaluation::IMPACT_DIGEST_DAYS)
/// and still unanswered — one mail a week, however many questions.
pub fn supervisor_digests(
    conn: &mut DbConnection,
    templates: &MailTemplates,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let week = week_key(now);
    let pending = pending_by_supervisor(conn)?;
    let overdue = overdue_by_supervisor(conn, now)?;
    let impact = super::evaluation::open_since(
        conn,
        now - chrono::Duration::days(super::evaluation::IMPACT_DIGEST_DAYS),
    )?;
    let mut supervisors: Vec<i64> = pending
        .iter()
        .chain(&overdue)
        .chain(&impact)
        .map(|r| r.0)
        .collect();
    supervisors.sort_unstable();
    supervisors.dedup();
    let keys: Vec<String> = supervisors.iter().map(|s| format!("{week}:{s}")).collect();
    let done = already(conn, "digest", &keys)?;
    let mut queued = 0;
    for s in supervisors {
        if done.contains(&format!("{week}:{s}")) {
            continue;
        }
        let who: Option<(String, String, Option<String>, bool)> = users::table
            .find(s)
            .select((users::email, users::name, users::language, users::disabled))
            .first(conn)
            .optional()?;
        let Some((email, name, language, false)) = who else {
            continue;
        };
        let lang = language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(Lang::Id);
        let lines = |rows: &[(i64, String, String)]| -> Vec<String> {
            rows.iter()
                .filter(|r| r.0 == s)
                .map(|r| format!("{}: {}", r.1, r.2))
                .collect()
        };
        let p = lines(&pending);
        let o = lines(&overdue);
        let i = lines(&impact);
        let base = base_url.trim_end_matches('/');
        let data = json!({
            "lang": lang.code(),
            "name": name,
            "week": week,
            "pending_count": p.len(),
            "overdue_count": o.len(),
            "pending": p,
            "overdue": o,
            "impact_count": i.len(),
            "impact": i,
            "impact_link": format!("{base}/team#impact"),
            "approvals_link": format!("{base}/team/approvals"),
            "link": format!("{base}/team"),
        });
        let mail = templates
            .render("supervisor_digest", lang, data, &email)
            .map_err(DbError::Internal)?;
        if send_once(conn, "digest", &format!("{week}:{s}"), now, &mail)? {
            queued += 1;
            if queued >= PER_PASS {
                break;
            }
        }
    }
    Ok(queued)
}

/// People who may be reminded of their JP: active, verified, of an agency, with a NIP.
fn people_to_remind(conn: &mut DbConnection) -> Result<Vec<Person>, DbError> {
    Ok(users::table
        .filter(users::disabled.eq(false))
        .filter(users::email_verified_at.is_not_null())
        .filter(users::agency_id.is_not_null())
        .filter(users::nip.is_not_null())
        .filter(users::nip.ne(""))
        .order(users::id)
        .select((
            users::id,
            users::email,
            users::name,
            users::language,
            users::agency_id,
        ))
        .load(conn)?)
}

/// The JP each person to remind earned in their year, by (person, year).
fn earned_in_their_years(
    conn: &mut DbConnection,
    todo: &[(&Person, i32)],
) -> Result<HashMap<(i64, i32), i64>, DbError> {
    let mut years: Vec<i32> = todo.iter().map(|(_, y)| *y).collect();
    years.sort_unstable();
    years.dedup();
    let mut earned: HashMap<(i64, i32), i64> = HashMap::new();
    for y in years {
        let ids: Vec<i64> = todo.iter().filter(|t| t.1 == y).map(|t| t.0 .0).collect();
        for (id, jp) in jp::earned_many(conn, &ids, y)? {
            earned.insert((id, y), jp);
        }
    }
    Ok(earned)
}

/// Activities waiting for approval, as (supervisor, person's name, activity title).
fn pending_by_supervisor(conn: &mut DbConnection) -> Result<Vec<(i64, String, String)>, DbError> {
    Ok(activities::table
        .inner_join(users::table.on(users::id.eq(activities::user_id)))
        .filter(activities::status.eq("pending"))
        .filter(users::supervisor_id.is_not_null())
        .select((
            users::supervisor_id.assume_not_null(),
            users::name,
            activities::title,
        ))
        .load(conn)?)
}

/// Courses past their due date and not completed by active people, as (supervisor, person's
/// name, course title).
fn overdue_by_supervisor(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<Vec<(i64, String, String)>, DbError> {
    Ok(enrollments::table
        .inner_join(users::table.on(users::id.eq(enrollments::user_id)))
        .inner_join(course_versions::table.on(course_versions::id.eq(enrollments::version_id)))
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .filter(enrollments::completed_at.is_null())
        .filter(enrollments::due_at.lt(now))
        .filter(users::supervisor_id.is_not_null())
        .filter(users::disabled.eq(false))
        .select((
            users::supervisor_id.assume_not_null(),
            users::name,
            course_versions::title,
        ))
        .load(conn)?)
}

/// Start the loop on the current runtime. `clock` says what "now" is (the system clock, or a
/// test's fixed one).
pub fn spawn(
    db: Db,
    templates: Arc<MailTemplates>,
    base_url: String,
    mailer: Mailer,
    first_pass_after: Duration,
    clock: crate::clock::Clock,
) {
    let mut report = crate::tasks::wake_mailer(
        mailer,
        "queued JP reminders, supervisor digests and impact questions",
        "reminders failed; will retry",
    );
    crate::tasks::every(
        db,
        first_pass_after,
        INTERVAL,
        move |conn| {
            let now = clock.now();
            Ok(jp_reminders(conn, &templates, &base_url, now)?
                + super::evaluation::ask_impact(conn, now)?
                + supervisor_digests(conn, &templates, &base_url, now)?)
        },
        move |result| {
            // every pass is logged when it ends (tests of several servers wait for it)
            tracing::info!(ok = result.is_ok(), "reminder pass finished");
            report(result)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap()
    }

    #[test]
    fn the_last_quarter_and_the_week() {
        assert!(!in_last_quarter(at(2026, 9, 30)));
        assert!(in_last_quarter(at(2026, 10, 1)));
        assert_eq!(week_key(at(2026, 11, 25)), "2026-W48");
        assert_eq!(week_key(at(2027, 1, 1)), "2026-W53");
    }
}
