//! (issue 20) sessions: CSRF on decoded paths (8), sessions as records (9), login limits (10),
//! the client address behind proxies (11).

use std::path::Path;

use cakap::accounts::users;
use cakap::db::schema::enrollments;
use diesel::prelude::*;
use reqwest::header;

use crate::common::fixtures::{write_dictionary, CourseFolder, Person, PELAYANAN_PUBLIK};
use crate::common::{self, spawn_app_with, TestApp};

const PW: &str = "Belajar-Terus-2026";

fn write_course(root: &Path, slug: &str) {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
    CourseFolder::new(slug)
        .competency("M.PP", 2)
        .timed_lesson("01-satu", "Modul satu", 5, "Isi satu.")
        .write(root);
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
    let id = Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
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
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
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
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
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
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
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

// ---------- item 9: sessions are records; logging out ends them ----------

/// Log in through the form with `user_agent`; the browser and the session token it was given.
async fn login_as(app: &TestApp, email: &str, user_agent: &str) -> (reqwest::Client, String) {
    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .user_agent(user_agent)
        .build()
        .unwrap();
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
        .form(&[
            ("email", email),
            ("password", PW),
            ("csrf", &common::csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "{email} logs in");
    let token = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("cakap_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("a session cookie");
    (b, token)
}

/// Whether a copy of `token` (replayed as a cookie by someone else) still opens the account.
async fn copy_works(app: &TestApp, token: &str) -> bool {
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/me/account"))
        .header(header::COOKIE, format!("cakap_session={token}"))
        .send()
        .await
        .unwrap();
    match resp.status().as_u16() {
        200 => true,
        303 => false,
        other => panic!("unexpected {other}"),
    }
}

async fn bearer_works(app: &TestApp, token: &str) -> bool {
    let status = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status();
    match status.as_u16() {
        200 => true,
        401 => false,
        other => panic!("unexpected {other}"),
    }
}

async fn post_with_csrf(app: &TestApp, b: &reqwest::Client, action: &str) -> reqwest::Response {
    app.post_form(b, "/me/account", action, &[]).await
}

fn session_rows(app: &TestApp, user_id: i64) -> Vec<(String, String, bool, bool)> {
    use cakap::db::schema::sessions;
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order(sessions::created_at)
        .select((
            sessions::id,
            sessions::device,
            sessions::bearer,
            sessions::ended_at.is_null(),
        ))
        .load(&mut app.conn())
        .unwrap()
}

const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";

#[tokio::test]
async fn logging_out_ends_the_session_at_once() {
    let app = common::spawn_app().await;
    let id = Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    let (b, token) = login_as(&app, "rina@kab.go.id", FIREFOX).await;
    assert!(copy_works(&app, &token).await, "a live session works");
    let api = app.token_of("rina@kab.go.id", PW).await;
    assert!(bearer_works(&app, &api).await);
    // the token names a random session record, not a counter
    let rows = session_rows(&app, id);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (sid, _, _, _) in &rows {
        assert_eq!(sid.len(), 32, "{sid}");
        assert!(sid.chars().all(|c| c.is_ascii_hexdigit()));
    }
    assert_eq!(rows[0].1, "Firefox · Windows");
    assert!(rows[1].2, "the API token is a session too");

    let resp = post_with_csrf(&app, &b, "/logout").await;
    assert_eq!(resp.status(), 303);
    assert!(
        !copy_works(&app, &token).await,
        "a copy of the token no longer works after logout"
    );
    // the API token, another session, is untouched
    assert!(bearer_works(&app, &api).await);
    // the API token used as a cookie or the cookie token as a bearer: the same rule
    let resp = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_ends_any_of_them() {
    let app = common::spawn_app().await;
    let id = Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    let (laptop, laptop_token) = login_as(&app, "rina@kab.go.id", FIREFOX).await;
    let (phone, phone_token) = login_as(&app, "rina@kab.go.id", PHONE).await;
    let api = app.token_of("rina@kab.go.id", PW).await;

    let html = laptop
        .get(app.url("/me/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Perangkat yang masuk"), "{html}");
    assert!(html.contains("Firefox · Windows") && html.contains("Chrome · Android"));
    assert!(html.contains("127.0.0.1"), "the address is shown");
    assert_eq!(
        html.matches(">perangkat ini<").count(),
        1,
        "this device, once"
    );
    assert_eq!(
        html.matches("/me/sessions/").count(),
        2,
        "three sessions, each with a button: the two others end by their id"
    );
    // this device's button is the ordinary logout (the page script then clears what the
    // device saved for offline reading)
    assert_eq!(
        html.matches(r#"action="/logout""#).count(),
        2,
        "the header's logout and this device's row"
    );

    // the laptop ends the phone's session
    let rows = session_rows(&app, id);
    let phone_sid = rows
        .iter()
        .find(|r| r.1 == "Chrome · Android")
        .unwrap()
        .0
        .clone();
    let resp = post_with_csrf(&app, &laptop, &format!("/me/sessions/{phone_sid}/end")).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()[header::LOCATION],
        "/me/account?notice=session_ended"
    );
    assert!(
        !copy_works(&app, &phone_token).await,
        "the phone is logged out"
    );
    assert_eq!(
        phone
            .get(app.url("/me/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert!(copy_works(&app, &laptop_token).await, "the laptop is not");
    assert!(bearer_works(&app, &api).await);
    // nobody ends another person's session, or one twice
    Person::new("budi@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    let (budi, budi_token) = login_as(&app, "budi@kab.go.id", PHONE).await;
    let laptop_sid = rows
        .iter()
        .find(|r| r.1 == "Firefox · Windows")
        .unwrap()
        .0
        .clone();
    let resp = post_with_csrf(&app, &budi, &format!("/me/sessions/{laptop_sid}/end")).await;
    assert_eq!(resp.status(), 404);
    assert!(copy_works(&app, &laptop_token).await);
    assert!(copy_works(&app, &budi_token).await);
    // ending without the CSRF token is refused
    let resp = laptop
        .post(app.url(&format!("/me/sessions/{laptop_sid}/end")))
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(copy_works(&app, &laptop_token).await);

    // a password change ends every other session (the API token too); this device stays
    let resp = app
        .post_form(
            &laptop,
            "/me/account",
            "/me/password",
            &[
                ("current", PW),
                ("password", "Kata-Sandi-Baru-2026"),
                ("password_confirm", "Kata-Sandi-Baru-2026"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert!(!bearer_works(&app, &api).await, "the API session ended");
    assert!(copy_works(&app, &laptop_token).await, "this device stays");
    let html = laptop
        .get(app.url("/me/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("/me/sessions/").count(),
        0,
        "only this device is listed"
    );
    assert_eq!(html.matches(">perangkat ini<").count(), 1);

    // ending this device's own session logs it out
    let resp = post_with_csrf(&app, &laptop, &format!("/me/sessions/{laptop_sid}/end")).await;
    assert_eq!(resp.status(), 303);
    assert!(!copy_works(&app, &laptop_token).await);
}

#[tokio::test]
async fn logout_everywhere_and_disabling_end_all_sessions_and_old_rows_are_pruned() {
    let app = common::spawn_app().await;
    let id = Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    let (laptop, laptop_token) = login_as(&app, "rina@kab.go.id", FIREFOX).await;
    let (_phone, phone_token) = login_as(&app, "rina@kab.go.id", PHONE).await;
    let api = app.token_of("rina@kab.go.id", PW).await;
    // a request does not write: "last used" moves at most every few minutes
    use cakap::db::schema::sessions;
    let used = || -> Vec<chrono::NaiveDateTime> {
        sessions::table
            .filter(sessions::user_id.eq(id))
            .order(sessions::id)
            .select(sessions::last_used_at)
            .load(&mut app.conn())
            .unwrap()
    };
    let before = used();
    for _ in 0..3 {
        assert!(copy_works(&app, &laptop_token).await);
        assert!(bearer_works(&app, &api).await);
    }
    assert_eq!(used(), before);

    let resp = post_with_csrf(&app, &laptop, "/me/logout-all").await;
    assert_eq!(resp.status(), 303);
    for t in [&laptop_token, &phone_token] {
        assert!(!copy_works(&app, t).await);
    }
    assert!(!bearer_works(&app, &api).await);

    // a disabled account's live session stops at once
    let (_b, token) = login_as(&app, "rina@kab.go.id", FIREFOX).await;
    assert!(copy_works(&app, &token).await);
    users::set_disabled(&mut app.conn(), id, true).unwrap();
    assert!(!copy_works(&app, &token).await);
    users::set_disabled(&mut app.conn(), id, false).unwrap();

    // ended, expired and outdated rows are gone after the next login; the table stays small
    let (_b, token) = login_as(&app, "rina@kab.go.id", FIREFOX).await;
    let rows = session_rows(&app, id);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].3, "the new one, live");
    assert!(copy_works(&app, &token).await);
}
