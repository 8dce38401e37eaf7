//! Past one machine (issue 12, item 3): two `cakap serve` processes on one database behave as
//! one. Started at the same moment, their migrations apply once; a session made on one works on
//! the other; a completion made through one is seen through the other; and the scheduled JP
//! reminder that both servers' loops find due goes out once per person.
//!
//! Runs on the database the environment selects: PostgreSQL is how a deployment grows past one
//! machine; SQLite shows the same for two processes on one machine.

use crate::common;
use crate::common::fixtures::{write_dictionary, Agency, CourseFolder, Person};

use std::time::{Duration, Instant};

use crate::common::serve::Served;
use crate::common::TestDatabase;
use cakap::accounts::password;
use cakap::db::schema::{outbox, reminders_sent};
use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use reqwest::Client;
use serde_json::{json, Value};

const PW: &str = "Dua-Server-2026";
/// The start of the weekly digest's subject (web/i18n/id/mail.toml).
const DIGEST: &str = "Ringkasan mingguan tim Anda";

/// Both servers share the database and the data folder (the session key and certificate keys,
/// as the README asks of a multi-server deployment), and one public address. Their date
/// decisions read the fixed clock `at` (UTC), whatever day the test runs on.
fn start(db: &TestDatabase, courses: &std::path::Path, at: NaiveDateTime) -> Served {
    let clock = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    Served::start(
        db,
        courses,
        &[
            ("CAKAP_BASE_URL", "http://cakap.test"),
            ("CAKAP_WORKERS", "1"),
            ("CAKAP_MAIL_TRANSPORT", "log"),
            ("CAKAP_REMINDER_DELAY", "3"),
            ("CAKAP_TEST_CLOCK", &clock),
            // the reminder loop logs the end of every pass (at info)
            ("CAKAP_LOG", "info"),
        ],
    )
}

/// Wait (polling) until `server`'s reminder loop has finished its first pass, and check that it
/// ran after `setup` (when the test's people and pending approval were in place): a pass that
/// found nothing would make "sent once" hold vacuously.
async fn first_reminder_pass(server: &Served, setup: chrono::DateTime<chrono::Utc>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = server.log();
        if let Some(line) = log.lines().find(|l| l.contains("reminder pass finished")) {
            let at = line
                .split_whitespace()
                .next()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .unwrap_or_else(|| panic!("a timestamp on {line:?}"));
            assert!(
                at > setup,
                "{}: the reminder pass ran before the test's data was in place \
                 (raise CAKAP_REMINDER_DELAY): {line}",
                server.base
            );
            assert!(line.contains("ok=true"), "{line}\n{log}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no reminder pass at {}:\n{log}",
            server.base
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn write_course(root: &std::path::Path) {
    write_dictionary(root, &[]);
    CourseFolder::one_lesson("dua-server")
        .title("Satu Sistem")
        .write(root);
}

/// Migration folders shipped for this backend.
fn shipped_migrations(db: &TestDatabase) -> usize {
    let folder = match db.backend {
        cakap::db::Backend::Postgres => "postgres",
        cakap::db::Backend::Sqlite => "sqlite",
    };
    std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(folder),
    )
    .unwrap()
    .filter(|e| e.as_ref().unwrap().path().is_dir())
    .count()
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

/// In the last quarter (10 November, 10:00 WIB): the supervisor's digest and a JP reminder for
/// each of the three, each sent once by the two servers.
#[tokio::test]
async fn two_servers_on_one_database_behave_as_one() {
    two_servers_at(utc(2025, 11, 10, 3)).await;
}

/// Mid-year (16 June): the digest only, no JP reminder — and still once.
#[tokio::test]
async fn two_servers_send_no_jp_reminder_before_the_last_quarter() {
    two_servers_at(utc(2026, 6, 16, 3)).await;
}

async fn two_servers_at(at: NaiveDateTime) {
    let db = TestDatabase::fresh();
    let courses = tempfile::tempdir().unwrap();
    write_course(courses.path());

    // both start at once on an empty database: each runs the migrations
    let a = start(&db, courses.path(), at);
    let b = start(&db, courses.path(), at);
    a.ready().await;
    b.ready().await;
    let mut conn =
        cakap::db::pool::connect(&cakap::db::DatabaseUrl::parse(&db.url).unwrap(), false).unwrap();
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let applied: N = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        applied.n as usize,
        shipped_migrations(&db),
        "every migration applied exactly once"
    );
    let courses_listed: Vec<i64> = cakap::db::schema::courses::table
        .select(cakap::db::schema::courses::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(courses_listed.len(), 1, "the course was published once");

    let hash = password::hash(PW).unwrap();
    // JP reminders go to ASN only: people of an agency, with a NIP
    let agency = Agency::new("KAB-TST", "Kabupaten Uji")
        .kind("kabupaten")
        .insert(&mut conn);
    let boss = Person::new("atasan@kab.go.id")
        .name("Citra Atasan")
        .password_hash(&hash)
        .nip("198003152005011001")
        .agency(agency)
        .insert(&mut conn);
    let mut staff = Vec::new();
    for (email, name) in [
        ("ani@kab.go.id", "Ani Pertama"),
        ("budi@kab.go.id", "Budi Kedua"),
    ] {
        staff.push(
            Person::new(email)
                .name(name)
                .password_hash(&hash)
                .nip(format!("19900101201501100{}", staff.len() + 1).as_str())
                .agency(agency)
                .supervisor(boss)
                .insert(&mut conn),
        );
    }
    // a pending approval makes the supervisor's weekly digest due (whatever the date)
    let today = cakap::clock::Zone::Wib.today(at);
    cakap::competency::activities::create(
        &mut conn,
        staff[0],
        &cakap::competency::activities::NewActivity {
            kind: "workshop".into(),
            title: "Lokakarya Layanan Digital".into(),
            organizer: "BPSDM".into(),
            started: today,
            ended: today,
            jp: 4,
            competency: None,
        },
        None,
    )
    .unwrap();
    let setup = chrono::Utc::now();

    // a session made on A works on B (and logging out everywhere on B ends it on A)
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = browser
        .get(format!("{}/login", a.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let r = browser
        .post(format!("{}/login", a.base))
        .form(&[
            ("email", "ani@kab.go.id"),
            ("password", PW),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = browser
        .get(format!("{}/me/account", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "B accepts A's session");
    assert!(r.text().await.unwrap().contains("Ani Pertama"));

    // a completion through A is seen through B
    let token: Value = Client::new()
        .post(format!("{}/api/v1/auth/token", a.base))
        .json(&json!({"email": "budi@kab.go.id", "password": PW}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["token"].as_str().unwrap().to_string();
    let api = Client::new();
    assert!(api
        .post(format!("{}/api/v1/courses/dua-server/enroll", a.base))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let done: Value = api
        .post(format!(
            "{}/api/v1/courses/dua-server/modules/01-materi/done",
            a.base
        ))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(done["completed"].is_object(), "{done}");
    let seen: Value = api
        .get(format!("{}/api/v1/me/dashboard", b.base))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        seen.to_string().contains("dua-server") && seen.to_string().contains("completed"),
        "{seen}"
    );
    let certs: Value = api
        .get(format!("{}/api/v1/me/certificates", b.base))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(certs["certificates"].as_array().unwrap().len(), 1);
    // and the certificate A signed verifies through B
    let jwt = certs["certificates"][0]["jwt"].as_str().unwrap();
    let verdict: Value = api
        .post(format!("{}/api/v1/certificates/verify", b.base))
        .json(&json!({ "jwt": jwt }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["valid"], true, "{verdict}");

    // the supervisor's weekly digest (and, in the last quarter, the JP reminder): both servers'
    // loops find it due; it goes out once. Both loops' first passes have ended before counting,
    // so the second server's (refused) try is seen
    first_reminder_pass(&a, setup).await;
    first_reminder_pass(&b, setup).await;
    let last_quarter = at.month() >= 10;
    let mut count = |email: &str, prefix: &str| -> usize {
        outbox::table
            .filter(outbox::to_address.eq(email))
            .select(outbox::subject)
            .load::<String>(&mut conn)
            .unwrap()
            .iter()
            .filter(|s| s.starts_with(prefix))
            .count()
    };
    assert_eq!(count("atasan@kab.go.id", DIGEST), 1, "one weekly digest");
    for email in ["ani@kab.go.id", "budi@kab.go.id", "atasan@kab.go.id"] {
        assert_eq!(
            count(email, &format!("JP Anda tahun {}", at.year())),
            usize::from(last_quarter),
            "{email}: one JP reminder in the last quarter, none before"
        );
    }
    let sent: i64 = reminders_sent::table.count().get_result(&mut conn).unwrap();
    assert_eq!(sent, if last_quarter { 4 } else { 1 });
}
