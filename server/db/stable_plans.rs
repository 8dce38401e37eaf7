//! SQLite's query-planner stability guarantee, switched on for every connection this process opens.
//!
//! Without it SQLite re-plans a prepared statement whenever a bound value that the planner looked
//! at changes. Diesel binds `LIMIT` as a parameter (every `.first()` is `… LIMIT ?`), and SQLite
//! looks at a bound `LIMIT`, so each run of a cached statement was parsed and planned again: a
//! third of the CPU time of a module page under load. Cakap keeps no `sqlite_stat4` statistics, so
//! plans never depended on the values anyway.
//!
//! Diesel does not hand out the raw connection handle, so the setting is made by an SQLite
//! auto-extension: a hook SQLite itself calls for each new connection.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Register the hook (once per process); connections opened afterwards get stable plans.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `on_open` has the signature SQLite's auto-extension entry point expects, and
        // registering an auto-extension is thread-safe.
        unsafe {
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
}

unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _err: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite passes the connection being opened; QPSG takes an int and an optional out
    // pointer (none here).
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        );
    }
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The setting as a fresh connection reports it.
    fn qpsg_of_new_connection() -> c_int {
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        let mut on: c_int = -1;
        // SAFETY: an in-memory database opened, asked, and closed here.
        unsafe {
            assert_eq!(
                ffi::sqlite3_open(c":memory:".as_ptr(), &mut db),
                ffi::SQLITE_OK
            );
            ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, -1 as c_int, &mut on);
            ffi::sqlite3_close(db);
        }
        on
    }

    #[test]
    fn new_connections_get_stable_plans() {
        install();
        install(); // twice is harmless
        assert_eq!(qpsg_of_new_connection(), 1);
    }
}
