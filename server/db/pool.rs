//! The connection pool. The manager picks the backend from the URL scheme and reports errors for
//! that backend only (r2d2's stock manager over `MultiConnection` would try each backend in turn).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{DatabaseUrl, DbConnection, DbError};

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Pragmas applied to every new SQLite connection: a busy timeout instead of immediate "database
/// is locked" (first: the journal-mode pragma itself waits on a writer's lock, so a connection
/// opened while another one writes failed without it), write-ahead log, enforced foreign keys,
/// full durability on commit, and a page cache of 1 MiB per connection (SQLite's default is 2 MiB,
/// 16 MiB over a pool of eight; the operating system caches the file anyway).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = FULL; \
     PRAGMA cache_size = -1024;";

/// The SQLite file a pool was opened on (device and inode), so that a connection notices the file
/// being deleted or replaced under it instead of writing into a ghost. Nothing for PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqliteFile {
    url: DatabaseUrl,
    id: Option<(u64, u64)>,
}

impl SqliteFile {
    /// The file `url` names, as it is now.
    pub fn of(url: &DatabaseUrl) -> SqliteFile {
        SqliteFile {
            url: url.clone(),
            id: Self::current(url),
        }
    }

    #[cfg(unix)]
    fn current(url: &DatabaseUrl) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let path = url.sqlite_path()?;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }

    #[cfg(not(unix))]
    fn current(_url: &DatabaseUrl) -> Option<(u64, u64)> {
        None
    }

    /// Fail when the file is no longer the one opened.
    pub fn check(&self) -> Result<(), DbError> {
        if self.id.is_some() && Self::current(&self.url) != self.id {
            return Err(DbError::connect(
                &self.url,
                "the database file was deleted or replaced while Cakap was running; restore it and restart",
            ));
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    file: SqliteFile,
    started: std::time::Instant,
    /// Milliseconds after `started` of the last real check (0: never).
    last_check: AtomicU64,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Manager {
        Manager {
            file: SqliteFile::of(&url),
            url,
            started: std::time::Instant::now(),
            last_check: AtomicU64::new(0),
        }
    }
}

/// Open one connection to `url`. `create` lets SQLite create a missing file.
pub fn connect(url: &DatabaseUrl, create: bool) -> Result<DbConnection, DbError> {
    let target = url.connection_string(create);
    let err = |e: diesel::ConnectionError| DbError::connect(url, &e.to_string());
    match url {
        DatabaseUrl::Postgres { .. } => Ok(DbConnection::Postgres(
            PgConnection::establish(&target).map_err(err)?,
        )),
        DatabaseUrl::SqliteFile { .. } => {
            super::stable_plans::install();
            let mut conn = SqliteConnection::establish(&target).map_err(err)?;
            // Turning a new file to WAL needs a moment alone with it: when another process (a
            // second server starting at once) holds it, wait and try again, up to ten seconds.
            let mut tries = 0;
            loop {
                match conn.batch_execute(SQLITE_PRAGMAS) {
                    Ok(()) => break,
                    Err(e) if tries < 200 && e.to_string().contains("locked") => {
                        tries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    Err(e) => return Err(DbError::connect(url, &e.to_string())),
                }
            }
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        self.file.check()?;
        connect(&self.url, false)
    }

    /// Runs at every check-out: at most once a second (per pool) it looks at the SQLite file
    /// or asks PostgreSQL `SELECT 1`; in between a connection is trusted (a query on a broken one
    /// fails and says so). Checking every time cost a query and a `stat` per database call.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_check.load(Ordering::Relaxed);
        if now.saturating_sub(last) < 1_000 && last != 0 {
            return Ok(());
        }
        self.file.check()?;
        conn.batch_execute("SELECT 1")
            .map_err(|e| DbError::connect(&self.url, &e.to_string()))?;
        self.last_check.store(now.max(1), Ordering::Relaxed);
        Ok(())
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// How long a request waits for a free connection before it is told the database is busy.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Build the pool. The caller has already made one connection (and run migrations), so the
/// database is known to be reachable.
pub fn build(url: &DatabaseUrl, size: u32) -> Result<Pool, DbError> {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(CONNECTION_TIMEOUT)
        .error_handler(Box::new(LogErrors))
        .build(Manager::new(url.clone()))
        .map_err(|e| DbError::connect(url, &e.to_string()))
}

#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<DbError> for LogErrors {
    fn handle_error(&self, error: DbError) {
        tracing::warn!(%error, "database connection failed");
    }
}
