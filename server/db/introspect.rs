//! Read the live schema back from a database, so tests can prove both migration folders build
//! the same tables and columns.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use super::{DbConnection, DbError};

/// One column as the database reports it, with its type reduced to a portable kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub table: String,
    pub name: String,
    /// `integer`, `text`, `boolean`, `timestamp`, `real`, `blob`, or the raw type when unknown.
    pub kind: String,
    pub nullable: bool,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = type_)]
    type_: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

/// Tables that belong to the database engine or to diesel, not to Cakap.
fn is_internal(table: &str) -> bool {
    table.starts_with("sqlite_") || table == "__diesel_schema_migrations"
}

fn kind(raw: &str) -> String {
    let t = raw.to_ascii_lowercase();
    let k = match t.as_str() {
        "integer" | "bigint" | "int" | "int4" | "int8" | "smallint" => "integer",
        "text" | "character varying" | "varchar" => "text",
        "boolean" | "bool" => "boolean",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "real" | "double precision" | "double" | "float" => "real",
        "blob" | "bytea" | "binary" => "blob",
        _ => return t,
    };
    k.to_string()
}

/// Every column of every Cakap table, sorted by table and column name.
pub fn columns(conn: &mut DbConnection) -> Result<Vec<Column>, DbError> {
    let mut out = Vec::new();
    match conn {
        DbConnection::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            )
            .load(c)?;
            for t in tables.into_iter().filter(|t| !is_internal(&t.name)) {
                let cols: Vec<SqliteColumn> = diesel::sql_query(format!(
                    "SELECT name, type AS type_, \"notnull\", pk FROM pragma_table_info('{}')",
                    t.name.replace('\'', "''")
                ))
                .load(c)?;
                for col in cols {
                    out.push(Column {
                        table: t.name.clone(),
                        name: col.name,
                        kind: kind(&col.type_),
                        // SQLite lets a non-integer primary key hold NULL unless NOT NULL is said;
                        // treat primary keys as not null, as PostgreSQL does.
                        nullable: col.notnull == 0 && col.pk == 0,
                    });
                }
            }
        }
        DbConnection::Postgres(c) => {
            let cols: Vec<PgColumn> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 data_type::text AS data_type, is_nullable::text AS is_nullable \
                 FROM information_schema.columns WHERE table_schema = current_schema()",
            )
            .load(c)?;
            for col in cols.into_iter().filter(|c| !is_internal(&c.table_name)) {
                out.push(Column {
                    table: col.table_name,
                    name: col.column_name,
                    kind: kind(&col.data_type),
                    nullable: col.is_nullable == "YES",
                });
            }
        }
    }
    out.sort();
    Ok(out)
}
