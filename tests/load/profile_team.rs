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

use cakap::accounts::{orgs, password};
use common::fixtures::{complete_with, write_dictionary, Agency, CourseFolder, Person};
use common::{spawn_app_with, TestApp};

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
    write_dictionary(root, &kinds);
    for i in 0..COURSES {
        let (code, ..) = kinds[i % kinds.len()];
        CourseFolder::one_lesson(&format!("kursus-{i:03}"))
            .title(&format!("Kursus Beban {i}"))
            .summary("Untuk uji beban.")
            .jp(2)
            .competency(code, 1 + (i % 5) as i32)
            .write(root);
    }
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
    let mut c = app.conn();
    let agency = Agency::new("PROV-UJI", "Pemerintah Provinsi Uji")
        .kind("provinsi")
        .insert(&mut c);
    let position =
        orgs::create_position(&mut c, agency, "Analis Pelayanan", "fungsional_muda").unwrap();
    let hash = password::hash(PW).unwrap();
    let person = |email: &str| {
        Person::new(email)
            .name("Pegawai Uji")
            .password_hash(&hash)
            .agency(agency)
            .position(position)
    };
    let boss = person("atasan@uji.go.id").insert(&mut c);
    person("asn@uji.go.id").insert(&mut c);
    for m in 0..TEAM {
        person(&format!("anggota{m}@uji.go.id"))
            .supervisor(boss)
            .insert(&mut c);
    }
    let api = reqwest::Client::new();
    let asn = app.token_of("asn@uji.go.id", PW).await;
    for i in 0..COURSES {
        complete_with(&app, &api, &asn, &format!("kursus-{i:03}"), "01-materi").await;
    }
    for m in 0..TEAM {
        let t = app.token_of(&format!("anggota{m}@uji.go.id"), PW).await;
        for i in 0..PER_MEMBER {
            complete_with(
                &app,
                &api,
                &t,
                &format!("kursus-{:03}", (m * 7 + i) % COURSES),
                "01-materi",
            )
            .await;
        }
    }
    let atasan = app.token_of("atasan@uji.go.id", PW).await;
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
