//! (issue 20) sessions: CSRF on decoded paths (8), sessions as records (9), login limits (10),
//! the client address behind proxies (11).

use std::path::Path;

use cakap::accounts::{password, users};
use cakap::db::schema::enrollments;
use diesel::prelude::*;
use reqwest::header;

use super::common::{self, spawn_app_with, TestApp};

const PW: &str = "Belajar-Terus-2026";

fn write_course(root: &Path, slug: &str) {
    std::fs::create_dir_all(root.join(slug)).unwrap();
    std::fs::write(
        root.join("competencies.toml"),
        "[[competency]]\ncode = \"M.PP\"\nname = \"Pelayanan Publik\"\nkind = \"manajerial\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join(slug).join("course.md"),
        format!("+++\ntitle = \"Kursus {slug}\"\nsummary = \"Ringkas.\"\njp = 3\n\n[[competencies]]\ncode = \"M.PP\"\nlevel = 2\n+++\n\nDeskripsi.\n"),
    )
    .unwrap();
    std::fs::write(
        root.join(slug).join("01-satu.md"),
        "+++\ntitle = \"Modul satu\"\nminutes = 5\n+++\n\nIsi satu.\n",
    )
    .unwrap();
}

/// A verified person with password [`PW`].
fn person(app: &TestApp, email: &str) -> i64 {
    users::create(
        &mut app.conn(),
        &users::NewUser {
            email: email.into(),
            name: "Rina Wulandari".into(),
            password_hash: Some(password::hash(PW).unwrap()),
            verified: true,
            ..Default::default()
        },
    )
    .unwrap()
}

fn enrolments_of(app: &TestApp, user_id: i64) -> i64 {
    enrollments::table
        .filter(enrollments::user_id.eq(user_id))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

// ---------- item 8: the X-CSRF-Token rule applies to the path as routed ----------

#[tokio::test]
async fn cookie_api_writes_on_a_percent_encoded_path_need_the_csrf_header() {
    let root = tempfile::tempdir().unwrap();
    write_course(root.path(), "kursus-csrf");
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let id = person(&app, "rina@kab.go.id");
    let b = app.browser_as("rina@kab.go.id", PW).await;
    for path in [
        "/%61pi/v1/courses/kursus-csrf/enroll",
        "/%61%70%69/v1/courses/kursus-csrf/enroll",
        "/api/v1/courses/kursus-csrf/enroll",
        "/api/v1/courses/kursus-%63srf/enroll",
    ] {
        let resp = b.post(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{path}: refused without X-CSRF-Token");
        assert_eq!(
            resp.headers()[header::CONTENT_TYPE],
            "application/problem+json",
            "{path}: an API refusal"
        );
        assert_eq!(enrolments_of(&app, id), 0, "{path}: not enrolled");
    }
    // the same browser, echoing its CSRF token as the page script does, may enrol
    let html = b
        .get(app.url("/me/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let resp = b
        .post(app.url("/%61pi/v1/courses/kursus-csrf/enroll"))
        .header("X-CSRF-Token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(enrolments_of(&app, id), 1);
}

// ---------- item 11: the client address is read from the right of X-Forwarded-For ----------

/// A reset request for `email`, as the proxy in front passes it on: `xff` is the header as the
/// proxy forwards it (the client's own text, if any, then the address the proxy saw).
async fn reset_via_proxy(app: &TestApp, csrf: &str, email: &str, xff: &str) -> u16 {
    app.client
        .post(app.url("/password/reset"))
        .header("X-Forwarded-For", xff)
        .form(&[("email", email), ("csrf", csrf)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_client_written_forwarded_for_neither_escapes_limits_nor_blocks_others() {
    let app = spawn_app_with(&[("CAKAP_TRUSTED_PROXIES", "1")]).await;
    let html = app.get("/password/reset").await.text().await.unwrap();
    let csrf = common::csrf_of(&html);
    // the attacker (seen by the proxy as 203.0.113.9) writes a new address on every request,
    // and the victim's address too: the limit of reset requests per address (10 an hour)
    // still counts them all against 203.0.113.9
    for i in 0..10 {
        let xff = format!("198.51.100.1, 192.0.2.{i}, 203.0.113.9");
        let status = reset_via_proxy(&app, &csrf, &format!("a{i}@kab.go.id"), &xff).await;
        assert_eq!(status, 200, "request {i}");
    }
    let status = reset_via_proxy(&app, &csrf, "lagi@kab.go.id", "192.0.2.200, 203.0.113.9").await;
    assert_eq!(
        status, 429,
        "a fresh left-hand address does not escape the limit"
    );
    // the victim whose address the attacker wrote is not locked out
    let status = reset_via_proxy(&app, &csrf, "korban@kab.go.id", "198.51.100.1").await;
    assert_eq!(status, 200, "the written address was never counted");
}

// ---------- item 10: login limits slow attackers without locking owners or offices out ----------

/// `POST /api/v1/auth/token` as a client the proxy in front saw at `from`.
async fn token_attempt(app: &TestApp, email: &str, password: &str, from: &str) -> u16 {
    reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .header("X-Forwarded-For", from)
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn parallel_wrong_passwords_get_no_more_tries_than_the_limit() {
    let app = spawn_app_with(&[("CAKAP_TRUSTED_PROXIES", "1")]).await;
    person(&app, "rina@kab.go.id");
    let app = std::sync::Arc::new(app);
    let tries: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                token_attempt(&app, "rina@kab.go.id", "salah-salah-salah", "203.0.113.9").await
            })
        })
        .collect();
    let mut wrong = 0;
    let mut refused = 0;
    for t in tries {
        match t.await.unwrap() {
            401 => wrong += 1,
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        (wrong, refused),
        (5, 15),
        "20 at once: 5 passwords checked, 15 refused"
    );
    // that address may not try that account for a while (and is told when to try again)
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .header("X-Forwarded-For", "203.0.113.9")
        .json(&serde_json::json!({"email": "rina@kab.go.id", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: i64 = resp.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=15 * 60).contains(&retry), "Retry-After {retry}");
    let problem: serde_json::Value = resp.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("menit"),
        "{problem}"
    );
}

#[tokio::test]
async fn the_owner_elsewhere_still_logs_in_while_an_attacker_is_throttled() {
    let app = spawn_app_with(&[("CAKAP_TRUSTED_PROXIES", "1")]).await;
    person(&app, "rina@kab.go.id");
    for _ in 0..8 {
        token_attempt(&app, "rina@kab.go.id", "tebakan-salah", "203.0.113.9").await;
    }
    assert_eq!(
        token_attempt(&app, "rina@kab.go.id", "tebakan-salah", "203.0.113.9").await,
        429,
        "the attacker's address is throttled for this account"
    );
    assert_eq!(
        token_attempt(&app, "rina@kab.go.id", PW, "198.51.100.20").await,
        200,
        "the owner, from their own address, logs in"
    );
    // and the login form, too (the owner's browser)
    let b = app.new_browser();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = b
        .post(app.url("/login"))
        .header("X-Forwarded-For", "198.51.100.21")
        .form(&[
            ("email", "rina@kab.go.id"),
            ("password", PW),
            ("csrf", &common::csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
}

#[tokio::test]
async fn an_office_behind_one_address_is_not_locked_by_its_users_typos() {
    let app = spawn_app_with(&[("CAKAP_TRUSTED_PROXIES", "1")]).await;
    person(&app, "rina@kab.go.id");
    // sixty colleagues behind the office's one address each mistype once
    for i in 0..60 {
        let status = token_attempt(
            &app,
            &format!("pegawai{i}@kab.go.id"),
            "salah-ketik",
            "192.0.2.50",
        )
        .await;
        assert_eq!(status, 401, "colleague {i}");
    }
    assert_eq!(
        token_attempt(&app, "rina@kab.go.id", PW, "192.0.2.50").await,
        200,
        "the office address still works"
    );
}
