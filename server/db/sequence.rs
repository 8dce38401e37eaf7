//! Yearly number sequences (`CKP/2026/000123`, the letters' numbers): one counter row per year,
//! bumped inside the issuing transaction. On PostgreSQL the row lock serialises concurrent
//! issuers, on SQLite the write lock does.

use diesel::prelude::*;

use super::schema::{certificate_sequences, letter_sequences};
use super::{DbConnection, DbError};

/// Which yearly sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seq {
    /// Certificate numbers.
    Certificates,
    /// Numbers of letters of recognition.
    Letters,
}

impl Seq {
    fn table(self) -> &'static str {
        match self {
            Seq::Certificates => "certificate_sequences",
            Seq::Letters => "letter_sequences",
        }
    }
}

/// Add one to the counter of `$t` for `$year` and return it.
macro_rules! bump {
    ($conn:expr, $t:ident, $year:expr) => {
        diesel::update($t::table.find($year))
            .set($t::last_number.eq($t::last_number + 1))
            .returning($t::last_number)
            .get_result($conn)
    };
}

/// The next number of `year` in `seq`. Call inside the issuing transaction.
pub fn next_in_year(conn: &mut DbConnection, seq: Seq, year: i32) -> Result<i64, DbError> {
    // `year` is an integer we computed: safe to inline. ON CONFLICT DO NOTHING is the same on
    // both backends (MultiConnection has no on_conflict, so it stays SQL).
    diesel::sql_query(format!(
        "INSERT INTO {} (year, last_number) VALUES ({year}, 0) ON CONFLICT (year) DO NOTHING",
        seq.table()
    ))
    .execute(conn)?;
    Ok(match seq {
        Seq::Certificates => bump!(conn, certificate_sequences, year)?,
        Seq::Letters => bump!(conn, letter_sequences, year)?,
    })
}
