//! Security: every attack a review saw succeed (issue 20), reproduced as it was seen, and each
//! now refused. Runs on the backend the environment selects (SQLite, or PostgreSQL through
//! `CAKAP_TEST_DATABASE_URL`).

mod hardening;
mod limits;
mod rights;
mod sessions;
