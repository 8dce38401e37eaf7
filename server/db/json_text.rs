//! JSON stored in a TEXT column (lists of tags, a quiz paper, competency levels): one column
//! type that decodes strictly. A value that does not parse is an error naming the type it should
//! have been — a corrupt quiz paper fails loudly instead of silently becoming an empty one.
//!
//! Reading: a `Queryable`/`Selectable` field typed `JsonText<T>`; outside a row struct: [`JsonText::decode`]. Writing: [`JsonText::encode`].

use std::ops::Deref;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::Text;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::DbError;

/// A JSON value read from a TEXT column.
#[derive(Debug, Clone, PartialEq, Eq, Default, FromSqlRow)]
pub struct JsonText<T>(pub T);

impl<T> JsonText<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for JsonText<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> JsonText<T> {
    /// Decode stored JSON; an error names the expected type and what is wrong.
    pub fn decode(text: &str) -> Result<T, DbError> {
        parse(text).map_err(DbError::Internal)
    }
}

impl<T: Serialize> JsonText<T> {
    /// The TEXT to store for `value`.
    pub fn encode(value: &T) -> Result<String, DbError> {
        serde_json::to_string(value).map_err(|e| {
            DbError::Internal(format!(
                "cannot store a {} as JSON: {e}",
                std::any::type_name::<T>()
            ))
        })
    }
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "stored JSON is not a valid {}: {e}",
            std::any::type_name::<T>()
        )
    })
}

impl<T, DB> FromSql<Text, DB> for JsonText<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
    T: DeserializeOwned,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        parse(&text).map(JsonText).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_encodes() {
        let tags: Vec<String> = JsonText::decode(r#"["a","b"]"#).unwrap();
        assert_eq!(tags, ["a", "b"]);
        assert_eq!(
            JsonText::encode(&vec!["a".to_string()]).unwrap(),
            r#"["a"]"#
        );
    }

    #[test]
    fn a_corrupt_value_is_an_error_that_names_the_type() {
        let err = JsonText::<Vec<String>>::decode(r#"{"not":"a list"}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Vec<alloc::string::String>"), "{text}");
        assert!(text.contains("not a valid"), "{text}");
        assert!(JsonText::<Vec<String>>::decode("").is_err());
    }
}

#[cfg(test)]
mod through_the_database {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::JsonText;
    use crate::db::DbConnection;

    fn read(conn: &mut DbConnection, stored: &str) -> QueryResult<JsonText<Vec<String>>> {
        diesel::select(diesel::dsl::sql::<Text>("").bind::<Text, _>(stored)).get_result(conn)
    }

    #[test]
    fn a_column_decodes_strictly_on_the_multi_backend_connection() {
        let mut conn = DbConnection::establish(":memory:").unwrap();
        assert_eq!(read(&mut conn, r#"["x"]"#).unwrap().0, ["x"]);
        let err = crate::db::DbError::from(read(&mut conn, "[1,").unwrap_err()).to_string();
        assert!(err.contains("not a valid"), "{err}");
    }
}
