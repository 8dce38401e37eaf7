//! Embedded migrations, one folder per backend (`migrations/sqlite`, `migrations/postgres`).

use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{DbConnection, DbError};

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A fixed key for the PostgreSQL advisory lock that serialises migrations when several Cakap
/// servers start at once against one database.
const MIGRATION_LOCK: i64 = 0x00ca_4a70;

/// Apply every pending migration. Returns the versions applied now (empty when up to date).
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
            .map_err(|e| DbError::Migration(e.to_string()))?,
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
                .map_err(|e| DbError::Migration(e.to_string()));
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            result?
        }
    };
    for version in &applied {
        tracing::info!(%version, "applied database migration");
    }
    super::settings::put(
        conn,
        super::settings::SCHEMA_VERSION_KEY,
        env!("CARGO_PKG_VERSION"),
    )?;
    Ok(applied)
}
