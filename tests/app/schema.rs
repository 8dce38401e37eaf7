//! Both migration folders build the same schema, and it is the one `schema.rs` declares.
//!
//! Compares live databases, not files: a fresh SQLite database always, and — when
//! `CAKAP_TEST_DATABASE_URL` is set — a fresh PostgreSQL database migrated the same way.

use crate::common;

use crate::common::TestDatabase;
use cakap::db::introspect::{self, Column};
use cakap::db::{pool, DatabaseUrl};

fn live_columns(db: &TestDatabase) -> Vec<Column> {
    let url = DatabaseUrl::parse(&db.url).unwrap();
    let applied = cakap::db::migrate(&url).expect("migrations apply");
    assert!(!applied.is_empty(), "a fresh database gets every migration");
    // a second run applies nothing
    assert!(cakap::db::migrate(&url).unwrap().is_empty());
    let mut conn = pool::connect(&url, false).unwrap();
    introspect::columns(&mut conn).unwrap()
}

#[test]
fn live_schema_matches_schema_rs() {
    let db = TestDatabase::fresh();
    let live = live_columns(&db);
    let mut live_names: Vec<(String, String)> = live
        .iter()
        .map(|c| (c.table.clone(), c.name.clone()))
        .collect();
    live_names.sort();
    let mut declared: Vec<(String, String)> = cakap::db::schema::declared_columns()
        .into_iter()
        .flat_map(|(t, cols)| cols.into_iter().map(move |c| (t.clone(), c)))
        .collect();
    declared.sort();
    assert_eq!(
        live_names, declared,
        "schema.rs and the {} migrations disagree",
        db.backend
    );
}

#[test]
fn sqlite_and_postgres_migrations_build_the_same_tables_and_columns() {
    if common::backend() != cakap::db::Backend::Postgres {
        // CI runs this in its PostgreSQL pass (and skips it by name in the SQLite pass): there a
        // missing database is a failure, not a skip
        assert!(
            !common::in_ci(),
            "CI requires the SQLite-vs-PostgreSQL schema comparison, but {} is not set",
            common::PG_ENV
        );
        common::skipped(&format!(
            "the SQLite-vs-PostgreSQL schema comparison (set {} to a PostgreSQL server to run it)",
            common::PG_ENV
        ));
        return;
    }
    let sqlite = live_columns(&TestDatabase::sqlite());
    let postgres = live_columns(&TestDatabase::postgres());
    assert!(!sqlite.is_empty());
    let only_sqlite: Vec<_> = sqlite.iter().filter(|c| !postgres.contains(c)).collect();
    let only_pg: Vec<_> = postgres.iter().filter(|c| !sqlite.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "migrations differ:\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
}
