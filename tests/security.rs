//! Security: every attack a review saw succeed (issue 20), reproduced as it was seen, and each
//! now refused. Runs on the backend the environment selects (SQLite, or PostgreSQL through
//! `CAKAP_TEST_DATABASE_URL`).

mod common;

#[path = "security/hardening.rs"]
mod hardening;
#[path = "security/limits.rs"]
mod limits;
#[path = "security/rights.rs"]
mod rights;
#[path = "security/sessions.rs"]
mod sessions;
