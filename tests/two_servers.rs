//! Past one machine (issue 12, item 3): two `cakap serve` processes on one database behave as
//! one. Started at the same moment, their migrations apply once; a session made on one works on
//! the other; a completion made through one is seen through the other; and the scheduled JP
//! reminder that both servers' loops find due goes out once per person.
//!
//! Runs on the database the environment selects: PostgreSQL is how a deployment grows past one
//! machine; SQLite shows the same for two processes on one machine.

mod common;

use std::time::{Duration, Instant};

use cakap::accounts::{password, users};
use cakap::db::schema::{outbox, reminders_sent};
use chrono::Datelike;
use common::serve::Served;
use common::TestDatabase;
use diesel::prelude::*;
use reqwest::Client;
use serde_json::{json, Value};

const PW: &str = "Dua-Server-2026";
/// The start of the weekly digest's subject (web/i18n/id/mail.toml).
const DIGEST: &str = "Ringkasan mingguan tim Anda";

/// Both servers share the database and the data folder (the session key and certificate keys,
/// as the README asks of a multi-server deployment), and one public address.
fn start(db: &TestDatabase, courses: &std::path::Path) -> Served {
    Served::start(
        db,
        courses,
        &[
            ("CAKAP_BASE_URL", "http://cakap.test"),
            ("CAKAP_WORKERS", "1"),
            ("CAKAP_MAIL_TRANSPORT", "log"),
            ("CAKAP_REMINDER_DELAY", "2"),
        ],
    )
}

fn write_course(root: &std::path::Path) {
    let dir = root.join("dua-server");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(root.join("competencies.toml"), "").unwrap();
    std::fs::write(
        dir.join("course.md"),
        "+++\ntitle = \"Satu Sistem\"\nsummary = \"Ringkas.\"\njp = 3\n+++\n\nDeskripsi.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("01-materi.md"),
        "+++\ntitle = \"Materi\"\n+++\n\nIsi.\n",
    )
    .unwrap();
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

#[tokio::test]
async fn two_servers_on_one_database_behave_as_one() {
    let db = TestDatabase::fresh();
    let courses = tempfile::tempdir().unwrap();
    write_course(courses.path());

    // both start at once on an empty database: each runs the migrations
    let a = start(&db, courses.path());
    let b = start(&db, courses.path());
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
    let agency =
        cakap::accounts::orgs::create_agency(&mut conn, "KAB-TST", "Kabupaten Uji", "kabupaten")
            .unwrap();
    let boss = users::create(
        &mut conn,
        &users::NewUser {
            email: "atasan@kab.go.id".into(),
            name: "Citra Atasan".into(),
            nip: Some("198003152005011001".into()),
            agency_id: Some(agency),
            password_hash: Some(hash.clone()),
            verified: true,
            ..Default::default()
        },
    )
    .unwrap();
    let mut staff = Vec::new();
    for (email, name) in [
        ("ani@kab.go.id", "Ani Pertama"),
        ("budi@kab.go.id", "Budi Kedua"),
    ] {
        staff.push(
            users::create(
                &mut conn,
                &users::NewUser {
                    email: email.into(),
                    name: name.into(),
                    nip: Some(format!("19900101201501100{}", staff.len() + 1)),
                    agency_id: Some(agency),
                    password_hash: Some(hash.clone()),
                    verified: true,
                    supervisor_id: Some(boss),
                    ..Default::default()
                },
            )
            .unwrap(),
        );
    }
    // a pending approval makes the supervisor's weekly digest due (whatever the date)
    let today = common::wib_today();
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
    // loops find it due; it goes out once
    let now = chrono::Utc::now();
    // the digest, and in the last quarter a JP reminder for each of the three (all below 20 JP)
    let expected = if now.month() >= 10 { 4 } else { 1 };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sent: i64 = reminders_sent::table.count().get_result(&mut conn).unwrap();
        if sent >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // give the other server's loop time to make its (refused) second try
    tokio::time::sleep(Duration::from_secs(3)).await;
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
    if now.month() >= 10 {
        for email in ["ani@kab.go.id", "budi@kab.go.id", "atasan@kab.go.id"] {
            assert_eq!(
                count(email, &format!("JP Anda tahun {}", now.year())),
                1,
                "{email}: one JP reminder"
            );
        }
    }
}
