//! Expiry reminders: 60 days before a certificate expires, its holder gets an e-mail (through
//! the outbox) saying when, and how to recertify. Every server runs the loop; marking a
//! certificate reminded in the same transaction as queueing the mail means one mail per
//! certificate however many servers look.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::renewal::REMIND_DAYS_BEFORE;
use super::store;
use crate::db::schema::users;
use crate::db::{Db, DbConnection, DbError};
use crate::i18n::Lang;
use crate::mail::{MailTemplates, Mailer};

/// How often each server looks for certificates to remind about.
pub const INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Queue the reminders due at `now`. Returns how many were queued.
pub fn run_once(
    conn: &mut DbConnection,
    templates: &MailTemplates,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let until = now + chrono::Duration::days(REMIND_DAYS_BEFORE);
    // Remind when the renewal window opens (60 days before expiry, later for short-lived ones).
    let due: Vec<_> = store::due_reminders(conn, now, until, 200)?
        .into_iter()
        .filter(|c| super::renewal::opens_at(c).is_some_and(|o| o <= now))
        .collect();
    let mut queued = 0;
    for c in due {
        let recipient: Option<(String, String, Option<String>, bool)> = users::table
            .find(c.user_id)
            .select((users::email, users::name, users::language, users::disabled))
            .first(conn)
            .optional()?;
        let sent = crate::db::transaction(conn, |conn| {
            if !store::mark_reminded(conn, c.id)? {
                return Ok::<_, DbError>(false);
            }
            let Some((email, name, language, disabled)) = recipient.clone() else {
                return Ok(false);
            };
            if disabled {
                return Ok(false);
            }
            let lang = language
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(Lang::Id);
            let expires = c.expires_at.unwrap_or(now);
            let data = json!({
                "lang": lang.code(),
                "name": name,
                "course": c.course_title,
                "number": c.number,
                "expires": crate::text::date(c.zone.date_of(expires), lang),
                "link": format!("{}/courses/{}", base_url.trim_end_matches('/'), c.course_slug),
                "certificate_link": format!("{}/me/certificates/{}", base_url.trim_end_matches('/'), c.code),
            });
            let mail = templates
                .render("certificate_expiring", lang, data, &email)
                .map_err(DbError::Internal)?;
            crate::mail::outbox::enqueue(conn, &mail)?;
            Ok(true)
        })?;
        if sent {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Start the reminder loop on the current runtime.
pub fn spawn(
    db: Db,
    templates: Arc<MailTemplates>,
    base_url: String,
    mailer: Mailer,
    first_pass_after: Duration,
) {
    crate::tasks::every(
        db,
        first_pass_after,
        INTERVAL,
        move |conn| run_once(conn, &templates, &base_url, Utc::now().naive_utc()),
        crate::tasks::wake_mailer(
            mailer,
            "queued certificate expiry reminders",
            "certificate reminders failed; will retry",
        ),
    );
}
