//! Background loops every server runs (the reminder passes): wait, run a pass on the blocking
//! pool, report, sleep, again.

use std::time::Duration;

use crate::db::{Db, DbConnection, DbError};
use crate::mail::Mailer;

/// Start a loop on the current runtime: after `first_after` (let start-up, and a rolling
/// restart of several servers, settle), run `pass` on the blocking pool every `interval`,
/// handing each result to `done`. A failed pass is retried at the next interval.
pub fn every<T, P, D>(db: Db, first_after: Duration, interval: Duration, pass: P, mut done: D)
where
    P: Fn(&mut DbConnection) -> Result<T, DbError> + Clone + Send + 'static,
    T: Send + 'static,
    D: FnMut(Result<T, DbError>) + Send + 'static,
{
    tokio::spawn(async move {
        tokio::time::sleep(first_after).await;
        loop {
            let result = db.run(pass.clone()).await;
            done(result);
            tokio::time::sleep(interval).await;
        }
    });
}

/// The `done` of a pass that queues mail: nothing to say when it queued none; else it logs
/// `queued` with the count and wakes the mailer; a failure is logged as `failed`.
pub fn wake_mailer(
    mailer: Mailer,
    queued: &'static str,
    failed: &'static str,
) -> impl FnMut(Result<usize, DbError>) + Send + 'static {
    move |result| match result {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(count = n, "{queued}");
            mailer.wake();
        }
        Err(e) => tracing::warn!(error = %e, "{failed}"),
    }
}
