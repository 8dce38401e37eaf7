//! The database layer: one code path over SQLite and PostgreSQL.
//!
//! Domain code takes `&mut DbConnection`; handlers reach the database through [`Db::run`], which
//! runs the (synchronous) diesel work on the blocking pool, never on the async executor. The one
//! exception is [`Db::read`]: a short read of a local SQLite file, when a connection is free at
//! once, runs inline, because handing microseconds of work to another thread and back cost more
//! than the work (the session lookup of every request).

pub mod audit;
mod error;
pub mod group_commit;
pub mod introspect;
pub mod json_text;
pub mod migrations;
pub mod pool;
pub mod schema;
pub mod sequence;
pub mod settings;
mod stable_plans;
mod url;

pub use error::DbError;
pub use pool::Pool;
pub use url::{Backend, DatabaseUrl};

use std::time::Duration;

/// A connection to either backend, chosen by the URL scheme.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Connect and apply every pending migration; returns the versions applied now. The first
/// connection may create a SQLite file (and its folder); every later one must find it there.
pub fn migrate(url: &DatabaseUrl) -> Result<Vec<String>, DbError> {
    // On SQLite, servers starting at once on one file take turns through a lock file next to it
    // (PostgreSQL takes an advisory lock instead; see `migrations`). Some SQLite migrations must
    // run outside a transaction, so the database's own lock cannot serve.
    let mut _turn = None;
    if let Some(path) = url.sqlite_path() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::secrets::create_private_dir(dir).map_err(|e| {
                DbError::connect(
                    url,
                    &format!("cannot create the folder {}: {e}", dir.display()),
                )
            })?;
        }
        // a new database file is this user's alone; SQLite gives its -wal and -shm the same mode
        crate::secrets::touch_private(path).map_err(|e| {
            DbError::connect(
                url,
                &format!("cannot create the file {}: {e}", path.display()),
            )
        })?;
        let mut name = path.as_os_str().to_owned();
        name.push(".migrate-lock");
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let lock = options
            .open(&name)
            .and_then(|f| f.lock().map(|()| f))
            .map_err(|e| {
                DbError::connect(
                    url,
                    &format!(
                        "cannot take the migration lock {}: {e}",
                        std::path::Path::new(&name).display()
                    ),
                )
            })?;
        _turn = Some(lock);
    }
    let mut conn = pool::connect(url, true)?;
    migrations::run_pending(&mut conn)
}

/// Run `f` in a transaction that may write, committing when it returns `Ok` and rolling back
/// otherwise. Every transaction in Cakap goes through here rather than `Connection::transaction`.
///
/// On SQLite the outermost transaction starts with `BEGIN IMMEDIATE`, taking the write lock up
/// front (waiting up to `busy_timeout` for it). A plain deferred `BEGIN` that reads first and writes
/// later fails at once with "database is locked" when another connection wrote in between — the
/// busy timeout cannot help there — which showed up as rare 500s when the mail worker or the rate
/// limiter wrote during a registration. Nested calls become savepoints as usual; PostgreSQL uses
/// the ordinary `BEGIN`.
///
/// On SQLite in WAL mode the commit is a group commit (see [`group_commit`]): this returns only
/// once the log is flushed past it, but writers do not queue behind each other's flushes.
pub fn transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    use diesel::Connection;

    let outermost_sqlite = match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner)
                .transaction_depth()?
                .is_none()
        }
        DbConnection::Postgres(_) => false,
    };
    if !outermost_sqlite {
        return conn.transaction(f);
    }
    // Writers of this process take turns on a lock of their own before asking SQLite: the next
    // one starts the moment the last commits, where SQLite's busy handler would have it sleep
    // (1, 2, 5 … 100 ms) and retry — the long tail of write latency under load.
    let turn = sqlite_writer_turn(conn)?;
    // Group commit (see `group_commit`): commit without flushing the log, let the next writer
    // in, then wait for a flush that covers this commit before returning.
    let wal = if turn.guard.is_some() {
        group_commit::WalSync::of(&turn.file)
    } else {
        None
    };
    if wal.is_some() {
        set_synchronous(conn, "NORMAL")?;
    }
    if let DbConnection::Sqlite(inner) = conn {
        if let Err(e) = AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE") {
            if wal.is_some() {
                set_synchronous(conn, "FULL")?;
            }
            return Err(e.into());
        }
    }
    let outcome = f(conn);
    let outcome = finish(conn, outcome);
    let Some(wal) = wal else {
        return outcome;
    };
    // other writes on this connection (outside `transaction`) flush at their commit as before
    if let Err(e) = set_synchronous(conn, "FULL") {
        tracing::warn!(error = %e, "could not restore synchronous = FULL on a SQLite connection");
    }
    let value = outcome?;
    let ticket = wal.committed();
    drop(turn);
    wal.wait_durable(ticket).map_err(|e| {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new(format!(
                "the write-ahead log could not be flushed to disk: {e}"
            )),
        )
    })?;
    Ok(value)
}

/// Run the reads of `f` as one read transaction on SQLite: one snapshot for all of them, and one
/// look at whether the database changed. Outside a transaction every statement is a transaction
/// of its own, and a SQLite connection drops its whole page cache when it begins one after any
/// other connection committed — under a steady stream of writes, every statement re-read its
/// B-tree pages from the file. A quiz submission's four reads before grading, wrapped: W2
/// 1,135 -> 1,299 submissions/s on the benchmark database. Not for pages read while nothing
/// writes: the `BEGIN` and `COMMIT` cost a module page a fifth of its rate there (W1 8,036 ->
/// ~6,400/s). PostgreSQL, where a transaction costs two more round trips, and a call inside a
/// transaction run `f` as it is. Only for reads: a write inside would have to upgrade the lock.
pub fn snapshot<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    let DbConnection::Sqlite(inner) = conn else {
        return f(conn);
    };
    if AnsiTransactionManager::transaction_manager_status_mut(inner)
        .transaction_depth()?
        .is_some()
    {
        return f(conn);
    }
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN")?;
    let outcome = f(conn);
    finish(conn, outcome)
}

/// End the transaction [`transaction`] or [`snapshot`] began: commit when its work succeeded,
/// roll back (and report the work's error) when it failed.
fn finish<T, E>(conn: &mut DbConnection, outcome: Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::TransactionManager;
    type Manager = <DbConnection as diesel::Connection>::TransactionManager;
    match outcome {
        Ok(value) => Manager::commit_transaction(conn)
            .map(|()| value)
            .map_err(E::from),
        Err(e) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

fn set_synchronous(conn: &mut DbConnection, level: &str) -> Result<(), diesel::result::Error> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(&format!("PRAGMA synchronous = {level}"))
}

/// A writer's turn on one SQLite file (see [`transaction`]); released when dropped.
struct WriterTurn {
    file: String,
    guard: Option<std::sync::MutexGuard<'static, ()>>,
}

thread_local! {
    /// The files whose turn this thread holds: a transaction on a second connection to the same
    /// file, opened by the same thread inside the first, must not wait for itself.
    static HELD: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for WriterTurn {
    fn drop(&mut self) {
        if self.guard.take().is_some() {
            HELD.with(|h| {
                let mut h = h.borrow_mut();
                if let Some(i) = h.iter().rposition(|f| *f == self.file) {
                    h.remove(i);
                }
            });
        }
    }
}

/// Wait for this process's turn to write the SQLite file `conn` is on.
fn sqlite_writer_turn(conn: &mut DbConnection) -> Result<WriterTurn, diesel::result::Error> {
    use diesel::RunQueryDsl;
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    #[derive(diesel::QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    // one lock per file for the life of the process (a handful of files; a few bytes each)
    static TURNS: OnceLock<Mutex<HashMap<String, &'static Mutex<()>>>> = OnceLock::new();
    let file = diesel::sql_query("PRAGMA database_list")
        .load::<Database>(conn)?
        .into_iter()
        .find(|d| d.name == "main")
        .map(|d| d.file)
        .unwrap_or_default();
    if HELD.with(|h| h.borrow().contains(&file)) {
        return Ok(WriterTurn { file, guard: None });
    }
    let lock: &'static Mutex<()> = TURNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(file.clone())
        .or_insert_with(|| Box::leak(Box::new(Mutex::new(()))));
    let guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    HELD.with(|h| h.borrow_mut().push(file.clone()));
    Ok(WriterTurn {
        file,
        guard: Some(guard),
    })
}

/// The shared handle to the database: the pool and what it points at.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    url: DatabaseUrl,
    /// One permit per pooled connection: a request waits here (asynchronously) for its turn
    /// instead of parking a blocking thread on the pool. Without it every waiting request held a
    /// thread of its own, hundreds under load, each with its own allocator arena (memory) and
    /// wake-ups (time).
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// SQLite: the file opened (see [`Db::check_file`]).
    file: pool::SqliteFile,
}

impl Db {
    /// Bring the schema up to date, then build the pool.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Db, DbError> {
        migrate(url)?;
        let pool = pool::build(url, pool_size)?;
        Ok(Db {
            pool,
            url: url.clone(),
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(pool_size.max(1) as usize)),
            file: pool::SqliteFile::of(url),
        })
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// SQLite: fail when the database file was deleted or replaced since start-up (open
    /// connections would go on writing into the deleted file). The pool checks this at most once
    /// a second; the health check asks every time.
    pub fn check_file(&self) -> Result<(), DbError> {
        self.file.check()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Run `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.run_with_timeout(None, f).await
    }

    /// Run a short read. On SQLite, when a connection is free at once, it runs right here on the
    /// calling (async) thread: an indexed read of a local file takes microseconds, less than
    /// handing it to the blocking pool and back. Otherwise (PostgreSQL, whose every query is a
    /// network round trip, or no free connection) it is [`Db::run`]. Only for reads that never
    /// wait on a lock: no writes, no transactions.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        if self.url.backend() == Backend::Sqlite {
            if let Ok(_permit) = self.permits.clone().try_acquire_owned() {
                if let Some(mut conn) = self.pool.try_get() {
                    return f(&mut conn);
                }
            }
        }
        self.run(f).await
    }

    /// Like [`Db::run`], but gives up waiting for a connection after `timeout`.
    pub async fn run_with_timeout<T, E, F>(&self, timeout: Option<Duration>, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let url = self.url.clone();
        let unavailable = |reason: String| DbError::Unavailable {
            backend: self.url.backend(),
            reason,
        };
        let wait = timeout.unwrap_or(pool::CONNECTION_TIMEOUT);
        let permit = match tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Err(unavailable(e.to_string()).into()),
            Err(_) => {
                return Err(unavailable(format!(
                    "no database connection became free within {} s",
                    wait.as_secs()
                ))
                .into())
            }
        };
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let got = match timeout {
                Some(t) => pool.get_timeout(t),
                None => pool.get(),
            };
            let mut conn = got.map_err(|e| DbError::Unavailable {
                backend: url.backend(),
                reason: e.to_string(),
            })?;
            f(&mut conn)
        })
        .await;
        match joined {
            Ok(result) => result,
            Err(e) => Err(DbError::Internal(format!("database task failed: {e}")).into()),
        }
    }
}
