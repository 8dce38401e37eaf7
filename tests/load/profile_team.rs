//! Benchmark (figures, not pass/fail): the competency profile and the supervisor's team page with
//! realistic data — one ASN with 200 completions, and a team of 50, each with 10 completions — on
//! the configured database (SQLite by default; PostgreSQL with CAKAP_TEST_DATABASE_URL).
//!
//! ```sh
//! cargo test --release --test load_profile_team -- --ignored --nocapture
//! ```

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use cakap::accounts::{orgs, password, users};
use cakap::db::{pool, DatabaseUrl};
use common::{spawn_app_with, TestApp};
use serde_json::{json, Value};

const PW: &str = "Beban-Uji-2026";
const COURSES: usize = 200;
const TEAM: usize = 50;
const PER_MEMBER: usize = 10;

fn write_courses(root: &Path) {
    let kinds = [
        ("M.PP", "Pelayanan Publik", "manajerial"),
        ("M.INT", "Integritas", "manajerial"),
        ("M.KOM", "Komunikasi", "manajerial"),
        ("SK.PB", "Perekat Bangsa", "sosial-kultural"),
        (
            "T.EGOV",
            "Layanan Pemerintahan Berbasis Elektronik",
            "teknis",
        ),
    ];
    let dict: String = kinds
        .iter()
        .map(|(c, n, k)| {
            format!("[[competency]]\ncode = \"{c}\"\nname = \"{n}\"\nkind = \"{k}\"\n\n")
        })
        .collect();
    std::fs::write(root.join("competencies.toml"), dict).unwrap();
    for i in 0..COURSES {
        let slug = format!("kursus-{i:03}");
        let dir = root.join(&slug);
        std::fs::create_dir_all(&dir).unwrap();
        let (code, ..) = kinds[i % kinds.len()];
        std::fs::write(
            dir.join("course.md"),
            format!(
                "+++\ntitle = \"Kursus Beban {i}\"\nsummary = \"Untuk uji beban.\"\njp = 2\n\n[[competencies]]\ncode = \"{code}\"\nlevel = {}\n+++\n\nDeskripsi.\n",
                1 + i % 5
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("01-materi.md"),
            "+++\ntitle = \"Materi\"\n+++\n\nIsi.\n",
        )
        .unwrap();
    }
}

async fn token(app: &TestApp, email: &str) -> String {
    let t: Value = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": PW}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["token"].as_str().unwrap().to_string()
}

async fn complete(app: &TestApp, api: &reqwest::Client, bearer: &str, slug: &str) {
    let r = api
        .post(app.url(&format!("/api/v1/courses/{slug}/enroll")))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = api
        .post(app.url(&format!("/api/v1/courses/{slug}/modules/01-materi/done")))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

fn figures(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| ms(times[((times.len() as f64 - 1.0) * q).round() as usize]);
    println!(
        "{name:<34} n={:<4} min {:>7.1} ms  p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
        times.len(),
        ms(times[0]),
        p(0.5),
        p(0.95),
        ms(*times.last().unwrap())
    );
}

async fn measure(
    app: &TestApp,
    api: &reqwest::Client,
    bearer: &str,
    path: &str,
    n: usize,
) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = api
            .get(app.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.bytes().await.unwrap();
        out.push(t.elapsed());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn profile_and_team_pages_with_realistic_data() {
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let seed = Instant::now();
    let app = spawn_app_with(&[
        ("CAKAP_COURSES_DIR", &root.path().display().to_string()),
        ("CAKAP_WORKERS", "2"),
        ("CAKAP_DB_POOL_SIZE", "8"),
    ])
    .await;
    let mut c = pool::connect(&DatabaseUrl::parse(&app.db.url).unwrap(), false).unwrap();
    let agency =
        orgs::create_agency(&mut c, "PROV-UJI", "Pemerintah Provinsi Uji", "provinsi").unwrap();
    let position =
        orgs::create_position(&mut c, agency, "Analis Pelayanan", "fungsional_muda").unwrap();
    let hash = password::hash(PW).unwrap();
    let person = |email: String, supervisor: Option<i64>| users::NewUser {
        email,
        name: "Pegawai Uji".into(),
        password_hash: Some(hash.clone()),
        verified: true,
        agency_id: Some(agency),
        position_id: Some(position),
        supervisor_id: supervisor,
        ..Default::default()
    };
    let boss = users::create(&mut c, &person("atasan@uji.go.id".into(), None)).unwrap();
    users::create(&mut c, &person("asn@uji.go.id".into(), None)).unwrap();
    for m in 0..TEAM {
        users::create(&mut c, &person(format!("anggota{m}@uji.go.id"), Some(boss))).unwrap();
    }
    let api = reqwest::Client::new();
    let asn = token(&app, "asn@uji.go.id").await;
    for i in 0..COURSES {
        complete(&app, &api, &asn, &format!("kursus-{i:03}")).await;
    }
    for m in 0..TEAM {
        let t = token(&app, &format!("anggota{m}@uji.go.id")).await;
        for i in 0..PER_MEMBER {
            complete(
                &app,
                &api,
                &t,
                &format!("kursus-{:03}", (m * 7 + i) % COURSES),
            )
            .await;
        }
    }
    let atasan = token(&app, "atasan@uji.go.id").await;
    println!(
        "\nseeded {COURSES} courses, {COURSES} completions for one ASN, a team of {TEAM} with {PER_MEMBER} each, in {:.1} s ({})",
        seed.elapsed().as_secs_f64(),
        if app.db.url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" }
    );
    // warm up
    measure(&app, &api, &asn, "/me/profile", 3).await;
    figures(
        "GET /me/profile (200 completions)",
        measure(&app, &api, &asn, "/me/profile", 50).await,
    );
    figures(
        "GET /api/v1/me/profile",
        measure(&app, &api, &asn, "/api/v1/me/profile", 50).await,
    );
    figures(
        "GET /me (dashboard)",
        measure(&app, &api, &asn, "/me", 50).await,
    );
    figures(
        "GET /team (50 members)",
        measure(&app, &api, &atasan, "/team", 20).await,
    );
}
