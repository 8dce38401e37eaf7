//! The one schema for both backends, written by hand (diesel print-schema differs per backend).
//! `tests/schema.rs` proves that both migration folders produce exactly these tables and columns.

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        created_at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        subject -> Text,
        detail -> Text,
    }
}

/// The column names each table declares above, read back from the SQL diesel generates, so the
/// schema test can compare them with the live databases. Add every new table here.
pub fn declared_columns() -> Vec<(String, Vec<String>)> {
    macro_rules! declared {
        ($($table:ident),* $(,)?) => {
            vec![$(
                (
                    stringify!($table).to_string(),
                    columns_of(&diesel::debug_query::<diesel::sqlite::Sqlite, _>(
                        &diesel::QueryDsl::select($table::table, $table::all_columns),
                    ).to_string()),
                ),
            )*]
        };
    }
    declared![settings, audit_log]
}

/// `SELECT `t`.`a`, `t`.`b` FROM `t` -- binds: []` → ["a", "b"]
fn columns_of(sql: &str) -> Vec<String> {
    let select = sql
        .trim_start_matches("SELECT ")
        .split(" FROM ")
        .next()
        .unwrap_or("");
    select
        .split(", ")
        .filter_map(|c| c.rsplit('.').next())
        .map(|c| c.trim_matches('`').trim_matches('"').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn declared_columns_are_read_from_the_table_macros() {
        let tables = super::declared_columns();
        let settings = tables.iter().find(|(t, _)| t == "settings").unwrap();
        assert_eq!(settings.1, ["key", "value", "updated_at"]);
    }
}
