//! `cakap dev seed` (issue 12): the generator fills either database with data the real app reads
//! as its own — the benchmark person's profile, certificates that verify, supervisors' teams — and
//! its counts are what the database holds. Runs the real binary on SQLite and on PostgreSQL.

use crate::common;

use std::path::Path;
use std::process::Command;

use crate::common::serve::Served;
use crate::common::TestDatabase;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

const PW: &str = "Seed-Uji-2026";

fn seed(db: &TestDatabase, args: &[&str]) -> std::process::Output {
    let courses = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cakap"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAKAP_")) {
        cmd.env_remove(k);
    }
    cmd.args(["dev", "seed", "--password", PW])
        .args(args)
        .env("CAKAP_DATABASE_URL", &db.url)
        .env("CAKAP_DATA_DIR", db.dir().join("data"))
        .env("CAKAP_COURSES_DIR", &courses)
        .env("CAKAP_LOG", "warn")
        .output()
        .expect("cakap dev seed runs")
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut cakap::db::DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

#[tokio::test]
async fn seeded_data_is_what_the_app_reads() {
    let db = TestDatabase::fresh();
    let out = seed(
        &db,
        &[
            "--users",
            "60",
            "--courses",
            "6",
            "--completions",
            "200",
            "--heavy",
            "6",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("60 people, 6 courses"), "{stdout}");
    assert!(stdout.contains("200 completions"), "{stdout}");

    let url = cakap::db::DatabaseUrl::parse(&db.url).unwrap();
    let mut conn = cakap::db::pool::connect(&url, false).unwrap();
    let c = &mut conn;
    assert_eq!(count(c, "SELECT COUNT(*) AS n FROM users"), 60);
    assert_eq!(count(c, "SELECT COUNT(*) AS n FROM completions"), 200);
    // every completion has its certificate (so start-up has nothing to issue) and its evidence
    assert_eq!(count(c, "SELECT COUNT(*) AS n FROM certificates"), 200);
    assert_eq!(
        count(c, "SELECT COUNT(DISTINCT number) AS n FROM certificates"),
        200
    );
    assert_eq!(
        count(
            c,
            "SELECT COUNT(*) AS n FROM completions c WHERE NOT EXISTS \
             (SELECT 1 FROM competency_evidence e WHERE e.source_kind = 'course' AND e.source_id = c.id)"
        ),
        0
    );
    // each completed enrollment has a passed attempt per quiz and its lessons done
    assert_eq!(
        count(
            c,
            "SELECT COUNT(*) AS n FROM completions c WHERE NOT EXISTS \
             (SELECT 1 FROM quiz_attempts a WHERE a.enrollment_id = c.enrollment_id AND a.passed)"
        ),
        0
    );
    // the certificate sequence goes on after the last number written
    assert_eq!(
        count(
            c,
            "SELECT COUNT(*) AS n FROM certificates x WHERE CAST(SUBSTR(x.number, 10) AS BIGINT) > \
             (SELECT s.last_number FROM certificate_sequences s WHERE s.year = CAST(SUBSTR(x.number, 5, 4) AS INTEGER))"
        ),
        0
    );
    // supervisors: everyone but the unit heads reports to someone
    assert!(
        count(
            c,
            "SELECT COUNT(*) AS n FROM users WHERE supervisor_id IS NOT NULL"
        ) >= 40
    );
    let bulk_code: String = {
        use cakap::db::schema::{certificates, users};
        certificates::table
            .inner_join(users::table.on(users::id.eq(certificates::user_id)))
            .filter(users::email.ne("asn1@seed.cakap.test"))
            .select(certificates::code)
            .first(c)
            .unwrap()
    };

    // a second run refuses, and says what to do
    let again = seed(
        &db,
        &["--users", "5", "--courses", "1", "--completions", "1"],
    );
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already holds generated people"), "{err}");
    assert!(err.contains("fresh database"), "{err}");

    // the real server reads it
    let courses = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    let served = Served::start(&db, &courses, &[]);
    served.ready().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .get(format!("{}/login", served.base))
        .send()
        .await
        .unwrap();
    let html = login.text().await.unwrap();
    let csrf = common::csrf_of(&html);
    let r = client
        .post(format!("{}/login", served.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("next", ""),
            ("email", "asn1@seed.cakap.test"),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "logged in and redirected");
    let profile = client
        .get(format!("{}/me/profile", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    let page = profile.text().await.unwrap();
    assert!(
        page.contains("Angkatan 1"),
        "the seeded courses on the profile"
    );
    let v = reqwest::get(format!("{}/v/{bulk_code}", served.base))
        .await
        .unwrap();
    assert_eq!(v.status(), 200);
    assert!(
        v.text().await.unwrap().contains("SAH"),
        "a bulk certificate verifies"
    );

    // too many completions for the people and courses: refused before writing anything
    let db2 = TestDatabase::fresh();
    let over = seed(
        &db2,
        &["--users", "3", "--courses", "2", "--completions", "10"],
    );
    assert!(!over.status.success());
    let err = String::from_utf8_lossy(&over.stderr);
    assert!(err.contains("do not fit"), "{err}");
}
