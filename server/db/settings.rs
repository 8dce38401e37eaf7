//! Instance-wide settings stored in the database (shared by every server of a deployment).

use chrono::Utc;
use diesel::prelude::*;

use super::schema::settings;
use super::{DbConnection, DbError};

/// The application version that last migrated the schema; read by `/healthz`.
pub const SCHEMA_VERSION_KEY: &str = "schema.app_version";

pub fn get(conn: &mut DbConnection, key: &str) -> Result<Option<String>, DbError> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .first::<String>(conn)
        .optional()?)
}

/// Insert or replace a setting.
pub fn put(conn: &mut DbConnection, key: &str, value: &str) -> Result<(), DbError> {
    let now = Utc::now().naive_utc();
    crate::db::transaction(conn, |conn| {
        let updated = diesel::update(settings::table.find(key))
            .set((settings::value.eq(value), settings::updated_at.eq(now)))
            .execute(conn)?;
        if updated == 0 {
            // In a savepoint: when another server inserts the same new key at the same moment,
            // ours fails on the primary key, only the savepoint rolls back, and we update instead.
            let inserted = crate::db::transaction(conn, |conn| {
                diesel::insert_into(settings::table)
                    .values((
                        settings::key.eq(key),
                        settings::value.eq(value),
                        settings::updated_at.eq(now),
                    ))
                    .execute(conn)
            });
            match inserted {
                Ok(_) => {}
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {
                    diesel::update(settings::table.find(key))
                        .set((settings::value.eq(value), settings::updated_at.eq(now)))
                        .execute(conn)?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}
