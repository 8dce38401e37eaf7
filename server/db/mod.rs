//! The database layer: one code path over SQLite and PostgreSQL.
//!
//! Domain code takes `&mut DbConnection`; handlers reach the database through [`Db::run`], which
//! runs the (synchronous) diesel work on the blocking pool, never on the async executor.

pub mod audit;
mod error;
pub mod introspect;
pub mod migrations;
pub mod pool;
pub mod schema;
pub mod settings;
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
    if let Some(path) = url.sqlite_path() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                DbError::connect(
                    url,
                    &format!("cannot create the folder {}: {e}", dir.display()),
                )
            })?;
        }
    }
    let mut conn = pool::connect(url, true)?;
    migrations::run_pending(&mut conn)
}

/// The shared handle to the database: the pool and what it points at.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    url: DatabaseUrl,
}

impl Db {
    /// Bring the schema up to date, then build the pool.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Db, DbError> {
        migrate(url)?;
        let pool = pool::build(url, pool_size)?;
        Ok(Db {
            pool,
            url: url.clone(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
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

    /// Like [`Db::run`], but gives up waiting for a connection after `timeout`.
    pub async fn run_with_timeout<T, E, F>(&self, timeout: Option<Duration>, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let url = self.url.clone();
        let joined = tokio::task::spawn_blocking(move || {
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
