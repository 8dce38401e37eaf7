use std::fmt;

use super::{Backend, DatabaseUrl};

/// Errors of the database layer.
#[derive(Debug)]
pub enum DbError {
    /// Could not open a connection (start-up, or the pool making a new one).
    Connect {
        backend: Backend,
        target: String,
        reason: String,
    },
    /// No connection could be had in time (the server is down, or every connection is busy).
    Unavailable { backend: Backend, reason: String },
    /// A migration failed.
    Migration(String),
    /// A query failed.
    Query(diesel::result::Error),
    /// Something that should not happen (a blocking task panicked, …).
    Internal(String),
}

impl DbError {
    pub fn connect(url: &DatabaseUrl, reason: &str) -> DbError {
        DbError::Connect {
            backend: url.backend(),
            target: url.display(),
            reason: crate::text::one_line(reason),
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Connect {
                backend,
                target,
                reason,
            } => {
                let hint = match backend {
                    Backend::Postgres => {
                        "check CAKAP_DATABASE_URL and that the PostgreSQL server is running and reachable"
                    }
                    Backend::Sqlite => "check CAKAP_DATABASE_URL and that the folder is writable",
                };
                write!(
                    f,
                    "cannot connect to the {} database at {target}: {}; {hint}",
                    backend.label(),
                    reason.trim_end_matches('.')
                )
            }
            DbError::Unavailable { backend, reason } => write!(
                f,
                "the {} database is unavailable: {}",
                backend.label(),
                crate::text::one_line(reason)
            ),
            DbError::Migration(m) => write!(f, "database migration failed: {m}"),
            DbError::Query(e) => {
                write!(f, "database query failed: {e}")?;
                // the cause, too: a stored value that does not decode names what it should be
                let mut cause = std::error::Error::source(e);
                while let Some(c) = cause {
                    write!(f, ": {c}")?;
                    cause = c.source();
                }
                Ok(())
            }
            DbError::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DbError {}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::Query(e)
    }
}
