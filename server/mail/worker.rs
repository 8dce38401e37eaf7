//! The background sender: a tokio task that sends every due outbox message, then sleeps until
//! woken ([`Mailer::wake`]) or until the poll interval passes. Every server runs one; they share
//! the outbox safely (see [`super::outbox::claim_next`]). Errors are logged and retried, never
//! fatal; the task ends with the runtime.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::sync::Notify;

use super::outbox::{self, Retry};
use super::transport::Transport;
use crate::config::Config;
use crate::db::{Db, DbError};

/// How often the worker looks for due messages when nobody wakes it (retries, messages queued
/// by other servers).
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// A handle on the running worker. Cheap to clone; share it with whoever queues mail.
#[derive(Clone)]
pub struct Mailer {
    notify: Arc<Notify>,
}

impl Mailer {
    /// Ask the worker to look at the outbox now (call after the transaction that queued a
    /// message has committed). A wake while it is busy makes it look again when done.
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

/// What one pass over the outbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Messages given up on in this pass.
    pub gave_up: usize,
}

/// Start the worker for the configured transport on the current tokio runtime. Fails when the
/// transport cannot be set up or when called outside a runtime.
pub fn spawn(db: Db, config: &Config) -> Result<Mailer, String> {
    let transport = Transport::from_config(config)?;
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "the mail worker must be started inside the tokio runtime".to_string())?;
    let notify = Arc::new(Notify::new());
    let from = config.mail.from.clone();
    match &transport {
        Transport::File(dir) => tracing::info!(
            folder = %dir.display(),
            "mail is written as .eml files (set mail.transport = \"smtp\" to send it)"
        ),
        Transport::Smtp(_) => tracing::info!(
            host = config.mail.smtp_host.as_deref().unwrap_or(""),
            port = config.mail.smtp_port,
            "mail is sent through SMTP"
        ),
        Transport::Log => tracing::info!("mail is only logged (mail.transport = \"log\")"),
    }
    runtime.spawn(run(db, Arc::new(transport), from, notify.clone()));
    Ok(Mailer { notify })
}

async fn run(db: Db, transport: Arc<Transport>, from: String, notify: Arc<Notify>) {
    loop {
        // each pass in its own task, so even a bug that panics costs one pass, not the worker
        let pass = tokio::spawn({
            let (db, transport, from) = (db.clone(), transport.clone(), from.clone());
            async move { run_once(&db, &transport, &from, outbox::now()).await }
        })
        .await;
        match pass {
            Ok(Ok(p)) if p != Pass::default() => tracing::debug!(
                sent = p.sent,
                retrying = p.retrying,
                gave_up = p.gave_up,
                "mail pass"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "mail worker: cannot read the outbox; will retry")
            }
            Err(e) => tracing::error!(error = %e, "mail worker pass failed; will retry"),
        }
        tokio::select! {
            _ = notify.notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

/// One pass: claim and send every message due at `now`, one at a time, recording each outcome.
/// Each message is tried at most once per pass (a claim or a failure moves it past `now`).
/// Tests call this with a `now` in the future to step through the retry schedule.
pub async fn run_once(
    db: &Db,
    transport: &Transport,
    from: &str,
    now: NaiveDateTime,
) -> Result<Pass, DbError> {
    let mut pass = Pass::default();
    loop {
        let Some(claimed) = db.run(move |conn| outbox::claim_next(conn, now)).await? else {
            return Ok(pass);
        };
        let id = claimed.id;
        let attempt = claimed.attempt;
        match transport.deliver(from, &claimed.mail).await {
            Ok(()) => {
                db.run(move |conn| outbox::mark_sent(conn, id, now)).await?;
                tracing::info!(id, to = %claimed.mail.to, via = transport.kind(), "mail sent");
                pass.sent += 1;
            }
            Err(e) => {
                let error = e.message.clone();
                let permanent = e.permanent;
                let retry = db
                    .run(move |conn| {
                        outbox::record_failure(conn, id, attempt, &error, permanent, now)
                    })
                    .await?;
                match retry {
                    Retry::At(at) => {
                        tracing::warn!(id, to = %claimed.mail.to, attempt, error = %e, next_attempt = %at, "mail not sent; will retry");
                        pass.retrying += 1;
                    }
                    Retry::GaveUp => {
                        tracing::error!(id, to = %claimed.mail.to, attempt, error = %e, "mail not sent; giving up");
                        pass.gave_up += 1;
                    }
                }
            }
        }
    }
}
