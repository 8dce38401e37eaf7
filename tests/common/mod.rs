//! Test harness: the real server on a random port against a fresh database.
//!
//! The database is a temporary SQLite file, or — when `CAKAP_TEST_DATABASE_URL` points at a
//! PostgreSQL server — a database created on that server for one test and dropped after it.
//! Nothing is mocked.

#![allow(dead_code)]

pub mod fixtures;
pub mod serve;
pub mod smtp;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use cakap::db::Backend;
use cakap::{Application, Config};
use diesel::{Connection, PgConnection, RunQueryDsl};
use tempfile::TempDir;

/// The variable that selects PostgreSQL for the tests: a URL of a server and a database the
/// tests may connect to in order to create and drop their own databases.
pub const PG_ENV: &str = "CAKAP_TEST_DATABASE_URL";

/// The backend the environment selects.
pub fn backend() -> Backend {
    match std::env::var(PG_ENV) {
        Ok(v) if !v.trim().is_empty() => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// Whether the tests run in CI (`CI=true`, as CI services and `.ci/run` set it): checks that
/// need a tool or a database fail there when it is missing, instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Say that a check was skipped, and why, where a person running the tests sees it: straight to
/// the process's stderr (the test harness captures `eprintln!` of passing tests and shows nothing).
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    /// PostgreSQL: the server URL to connect to when dropping, and the database's name.
    pg: Option<(String, String)>,
    dir: TempDir,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    /// A fresh, empty database on the backend the environment selects.
    pub fn fresh() -> TestDatabase {
        match backend() {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres(),
        }
    }

    /// A fresh SQLite database, whatever the environment says.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestDatabase {
            url: format!("sqlite://{}", dir.path().join("cakap.db").display()),
            backend: Backend::Sqlite,
            pg: None,
            dir,
        }
    }

    /// A fresh PostgreSQL database on the server named by `CAKAP_TEST_DATABASE_URL`.
    pub fn postgres() -> TestDatabase {
        let admin = std::env::var(PG_ENV).expect("CAKAP_TEST_DATABASE_URL is set");
        let name = format!(
            "cakap_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand::random::<u32>()
        );
        let mut conn = PgConnection::establish(&admin)
            .unwrap_or_else(|e| panic!("cannot connect to {PG_ENV}: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create the test database");
        let mut url = url::Url::parse(&admin).expect("CAKAP_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        TestDatabase {
            url: url.to_string(),
            backend: Backend::Postgres,
            pg: Some((admin, name)),
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    /// A folder that lives as long as the database (the app's data folder).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Make the database unreachable while the app runs: drop it (PostgreSQL) or delete the
    /// file (SQLite).
    pub fn destroy(&mut self) {
        match self.pg.take() {
            Some((admin, name)) => drop_pg(&admin, &name),
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(self.dir.path().join(format!("cakap.db{suffix}")));
                }
            }
        }
    }
}

fn drop_pg(admin: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::establish(admin) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn);
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            drop_pg(&admin, &name);
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// Keeps cookies, follows no redirects (tests look at them).
    pub client: reqwest::Client,
    pub db: TestDatabase,
}

/// Settings for a test app on `db`, with extra `CAKAP_*` variables.
pub fn test_config(db: &TestDatabase, extra: &[(&str, &str)]) -> Config {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("CAKAP_DATABASE_URL".into(), db.url.clone());
    env.insert("CAKAP_BIND".into(), "127.0.0.1:0".into());
    env.insert(
        "CAKAP_DATA_DIR".into(),
        db.dir().join("data").display().to_string(),
    );
    env.insert("CAKAP_WORKERS".into(), "1".into());
    env.insert("CAKAP_DB_POOL_SIZE".into(), "3".into());
    env.insert("CAKAP_LOG".into(), "warn".into());
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    Config::from_sources(None, false, &env).expect("test settings are valid")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_clocked(None, extra).await
}

/// An app whose handlers read "now" as `at` (UTC) — for date decisions at a chosen moment
/// (03:18 WIB, New Year's night) whatever the wall clock says. Only date decisions read this
/// clock; sessions and tokens keep the real one.
pub async fn spawn_app_at(at: chrono::NaiveDateTime, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_clocked(Some(at), extra).await
}

async fn spawn_app_clocked(at: Option<chrono::NaiveDateTime>, extra: &[(&str, &str)]) -> TestApp {
    cakap::telemetry::init(&std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()));
    let db = TestDatabase::fresh();
    let mut config = test_config(&db, extra);
    if let Some(at) = at {
        config.clock = cakap::clock::Clock::fixed(at);
    }
    let app = Application::build(config).await.expect("the app starts");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        db,
    }
}

impl TestApp {
    /// A connection of its own to the app's database, for setting up and checking records.
    pub fn conn(&self) -> cakap::db::DbConnection {
        cakap::db::pool::connect(&cakap::db::DatabaseUrl::parse(&self.db.url).unwrap(), false)
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

/// The CSRF token a page put into its forms.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .expect("the page has a form with a CSRF token")
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

impl TestApp {
    /// Open `page` (to get a CSRF token, as a browser would), then post `fields` to `action`.
    pub async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = self.get(page).await.text().await.unwrap();
        let csrf = csrf_of(&html);
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        self.client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .expect("request sent")
    }

    /// A second browser on the same app (its own cookies).
    pub fn new_browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A new browser logged in through the login form as `email` with `password`.
    pub async fn browser_as(&self, email: &str, password: &str) -> reqwest::Client {
        let b = self.new_browser();
        let html = b
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&html);
        let r = b
            .post(self.url("/login"))
            .form(&[("email", email), ("password", password), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{email} logs in");
        b
    }

    /// `GET path` on the API as the holder of `bearer`, read as JSON.
    pub async fn api_json(&self, path: &str, bearer: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e})"))
    }

    /// A verified user's bearer token for the API.
    pub async fn token_of(&self, email: &str, password: &str) -> String {
        let t: serde_json::Value = reqwest::Client::new()
            .post(self.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        t["token"]
            .as_str()
            .unwrap_or_else(|| panic!("a token for {email}: {t}"))
            .to_string()
    }

    /// Open `from` in browser `b` for its CSRF token, then post `fields` to `to`.
    pub async fn post_form(
        &self,
        b: &reqwest::Client,
        from: &str,
        to: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = b
            .get(self.url(from))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&html);
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        b.post(self.url(to)).form(&form).send().await.unwrap()
    }
}

/// The messages the file mail transport wrote to `mail_dir` so far, oldest first (`.eml`; one
/// still being written is a hidden `.tmp` file and not listed).
#[allow(dead_code)]
pub fn mail_files(mail_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(mail_dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "eml"));
    files.sort();
    files
}

/// Today as an agency on the platform default zone (WIB, UTC+7) sees it: the date the app decides
/// with, which differs from the UTC date between 17:00 and 24:00 UTC.
#[allow(dead_code)]
pub fn wib_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

/// This year in WIB (see [`wib_today`]).
#[allow(dead_code)]
pub fn wib_year() -> i32 {
    chrono::Datelike::year(&wib_today())
}

/// Two transactions racing for one row: `first` writes it (uncommitted) inside its transaction,
/// then `second` starts in a transaction of its own on another connection and tries the same
/// write. On PostgreSQL, `first` commits only once `second` is seen waiting on its row (so the
/// second write fails on the unique constraint inside its transaction); on SQLite `second`
/// waits for its write turn and finds the row. Returns what `second` returned.
pub fn race_for_one_row<A, B>(
    app: &TestApp,
    first: impl FnOnce(&mut cakap::db::DbConnection) -> A + Send + 'static,
    second: impl FnOnce(&mut cakap::db::DbConnection) -> Result<B, cakap::db::DbError> + Send + 'static,
) -> Result<B, cakap::db::DbError>
where
    A: Send + 'static,
    B: Send + 'static,
{
    use cakap::db::{DbConnection, DbError};
    use std::time::{Duration, Instant};
    let (written, wait_written) = std::sync::mpsc::channel();
    let (commit, wait_commit) = std::sync::mpsc::channel::<()>();
    let one = {
        let mut c = app.conn();
        std::thread::spawn(move || {
            cakap::db::transaction::<_, DbError, _>(&mut c, |c| {
                let a = first(c);
                written.send(()).unwrap();
                wait_commit.recv().unwrap();
                Ok(a)
            })
        })
    };
    wait_written.recv().unwrap();
    let two = {
        let mut c = app.conn();
        std::thread::spawn(move || cakap::db::transaction::<_, DbError, _>(&mut c, second))
    };
    let mut observer = app.conn();
    if let DbConnection::Postgres(pg) = &mut observer {
        #[derive(diesel::QueryableByName)]
        struct Waiting {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let w: Waiting = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .get_result(pg)
            .unwrap();
            if w.n > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the second write never waited");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    commit.send(()).unwrap();
    one.join().unwrap().expect("the first transaction commits");
    two.join().unwrap()
}
