//! (issue 22, item 5) limits and sessions pinned at their boundaries: the login limit per address
//! (300), the account's slow-down (never a lock), reset requests per account (3 an hour); a
//! password change (`/me/password`) ends the other sessions; `trust_proxy`; `Secure` cookies when
//! the public address is https.

use std::time::{Duration, Instant};

use cakap::db::schema::rate_limits;
use diesel::prelude::*;
use reqwest::header;

use crate::common::fixtures::Person;
use crate::common::{self, spawn_app, spawn_app_with, TestApp};

const PW: &str = "Belajar-Terus-2026";

/// `POST /api/v1/auth/token` as a client the proxy in front saw at `from`.
async fn token_attempt(app: &TestApp, email: &str, pw: &str, from: &str) -> u16 {
    reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .header("X-Forwarded-For", from)
        .json(&serde_json::json!({"email": email, "password": pw}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The counter the app keeps under the one key that starts with `prefix` and ends with `suffix`
/// (found, not assumed: the app wrote it), set to `count` in the current window.
fn set_counter(app: &TestApp, prefix: &str, suffix: &str, count: i32) {
    let mut conn = app.conn();
    let keys: Vec<String> = rate_limits::table
        .select(rate_limits::key)
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .filter(|k| k.starts_with(prefix) && k.ends_with(suffix))
        .collect();
    assert_eq!(keys.len(), 1, "one counter {prefix}…{suffix}: {keys:?}");
    diesel::update(rate_limits::table.find(&keys[0]))
        .set((
            rate_limits::count.eq(count),
            rate_limits::window_start.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(&mut conn)
        .unwrap();
}

#[tokio::test]
async fn login_failures_per_address_stop_at_the_300th() {
    let app = spawn_app_with(&[("CAKAP_TRUSTED_PROXIES", "1")]).await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    // one real failure makes the address's counter; the 298 that would follow (each a different
    // account, so no pair limit applies) are written straight into it, to keep the test fast
    assert_eq!(
        token_attempt(&app, "pegawai0@kab.go.id", "salah", "203.0.113.77").await,
        401
    );
    set_counter(&app, "login:ip:", "203.0.113.77", 299);
    assert_eq!(
        token_attempt(&app, "pegawai300@kab.go.id", "salah", "203.0.113.77").await,
        401,
        "the 300th failure from one address is still checked"
    );
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .header("X-Forwarded-For", "203.0.113.77")
        .json(&serde_json::json!({"email": "rina@kab.go.id", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        429,
        "the 301st attempt from that address is refused, even with a right password"
    );
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        token_attempt(&app, "rina@kab.go.id", PW, "198.51.100.7").await,
        200,
        "another address is not affected"
    );
}

#[tokio::test]
async fn an_account_under_attack_is_slowed_down_never_locked() {
    let app = spawn_app_with(&[("CAKAP_TRUSTED_PROXIES", "1")]).await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    // 13 failures from three addresses (each within its pair limit of 5)
    for (from, n) in [("203.0.113.1", 5), ("203.0.113.2", 5), ("203.0.113.3", 3)] {
        for _ in 0..n {
            assert_eq!(
                token_attempt(&app, "rina@kab.go.id", "tebakan", from).await,
                401
            );
        }
    }
    // the next attempt on the account waits one second per failure past 10 (here 3), then is
    // checked: the owner gets in
    let started = Instant::now();
    let status = token_attempt(&app, "rina@kab.go.id", PW, "198.51.100.7").await;
    let took = started.elapsed();
    assert_eq!(status, 200, "the owner is not locked out");
    assert!(
        took >= Duration::from_secs(3),
        "13 failures slow the next attempt by 3 s; it took {took:?}"
    );
    // another account, without failures, is not slowed
    Person::new("budi@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    let started = Instant::now();
    assert_eq!(
        token_attempt(&app, "budi@kab.go.id", PW, "198.51.100.7").await,
        200
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

async fn reset_from(app: &TestApp, csrf: &str, email: &str, from: &str) -> reqwest::Response {
    app.client
        .post(app.url("/password/reset"))
        .header("X-Forwarded-For", from)
        .form(&[("email", email), ("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn reset_requests_per_account_stop_at_the_fourth() {
    let app = spawn_app_with(&[("CAKAP_TRUSTED_PROXIES", "1")]).await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    let html = app.get("/password/reset").await.text().await.unwrap();
    let csrf = common::csrf_of(&html);
    // three requests for one account, each from its own address: all answered
    for i in 1..=3 {
        let r = reset_from(&app, &csrf, "rina@kab.go.id", &format!("192.0.2.{i}")).await;
        assert_eq!(r.status(), 200, "request {i}");
    }
    // the fourth, from yet another address, is refused (and says when to try again)
    let r = reset_from(&app, &csrf, "rina@kab.go.id", "192.0.2.4").await;
    assert_eq!(r.status(), 429, "the 4th reset request in an hour");
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    assert!(r.text().await.unwrap().contains("menit"));
    // the same address asking for another account is fine: the account was limited
    let r = reset_from(&app, &csrf, "budi@kab.go.id", "192.0.2.4").await;
    assert_eq!(r.status(), 200);
}

// ---------- /me/password ----------

async fn account_page_status(app: &TestApp, b: &reqwest::Client) -> u16 {
    b.get(app.url("/me/account"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&app);
    let laptop = app.browser_as("rina@kab.go.id", PW).await;
    let phone = app.browser_as("rina@kab.go.id", PW).await;
    let api = app.token_of("rina@kab.go.id", PW).await;
    const NEW: &str = "Kata-Sandi-Baru-2027";

    // a wrong current password: refused, nothing changes
    let r = app
        .post_form(
            &laptop,
            "/me/account",
            "/me/password",
            &[
                ("current", "bukan-sandinya"),
                ("password", NEW),
                ("password_confirm", NEW),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Kata sandi saat ini salah."));
    assert_eq!(account_page_status(&app, &phone).await, 200);
    assert_eq!(
        token_attempt(&app, "rina@kab.go.id", NEW, "127.0.0.1").await,
        401,
        "the password did not change"
    );

    // the right one: changed; this device stays in, the others are out at once
    let r = app
        .post_form(
            &laptop,
            "/me/account",
            "/me/password",
            &[
                ("current", PW),
                ("password", NEW),
                ("password_confirm", NEW),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/me/account?notice=password");
    assert_eq!(
        account_page_status(&app, &laptop).await,
        200,
        "this device stays logged in"
    );
    assert_eq!(
        account_page_status(&app, &phone).await,
        303,
        "the other browser, logged in before, is logged out"
    );
    let me = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "the API token from before is ended too");
    assert_eq!(
        token_attempt(&app, "rina@kab.go.id", PW, "127.0.0.1").await,
        401,
        "the old password no longer works"
    );
    assert_eq!(
        token_attempt(&app, "rina@kab.go.id", NEW, "127.0.0.1").await,
        200,
        "the new one does"
    );
}

/// Wrong current passwords on `/me/password` stop at the fifth per account: the sixth try is
/// refused (429) even with the right password; another account is not affected.
#[tokio::test]
async fn wrong_current_passwords_stop_at_the_fifth() {
    let app = spawn_app().await;
    for email in ["sari@kab.go.id", "tono@kab.go.id"] {
        Person::new(email).name("Peserta").password(PW).create(&app);
    }
    let sari = app.browser_as("sari@kab.go.id", PW).await;
    const NEW: &str = "Kata-Sandi-Baru-2027";
    let change = |b: reqwest::Client, current: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                &b,
                "/me/account",
                "/me/password",
                &[
                    ("current", current),
                    ("password", NEW),
                    ("password_confirm", NEW),
                ],
            )
            .await
            .status()
            .as_u16()
        }
    };
    for i in 1..=5 {
        assert_eq!(
            change(sari.clone(), "tebakan-salah").await,
            422,
            "wrong guess {i}"
        );
    }
    assert_eq!(
        change(sari.clone(), PW).await,
        429,
        "the sixth try is refused, even with the right password"
    );
    assert_eq!(
        token_attempt(&app, "sari@kab.go.id", NEW, "127.0.0.1").await,
        401,
        "the password did not change"
    );
    let tono = app.browser_as("tono@kab.go.id", PW).await;
    assert_eq!(
        change(tono, PW).await,
        303,
        "another account is not affected"
    );
}

// ---------- trust_proxy ----------

/// Five wrong passwords for one account, each "from" a different address as written in
/// `X-Forwarded-For`, then a sixth from yet another: its status.
async fn sixth_try_from_a_new_forwarded_address(app: &TestApp) -> u16 {
    for i in 0..5 {
        assert_eq!(
            token_attempt(app, "rina@kab.go.id", "salah", "203.0.113.50").await,
            401,
            "try {i}"
        );
    }
    token_attempt(app, "rina@kab.go.id", "salah", "198.51.100.60").await
}

#[tokio::test]
async fn forwarded_for_counts_only_when_trust_proxy_is_on() {
    // off (the default): the client is the TCP peer, whatever the header says — the sixth try
    // is the peer's sixth, refused
    let off = spawn_app().await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&off);
    assert_eq!(
        sixth_try_from_a_new_forwarded_address(&off).await,
        429,
        "trust_proxy off: X-Forwarded-For is ignored"
    );
    // on (the older form of one trusted proxy): the header's right-most entry is the client, a
    // new one there is a new address
    let on = spawn_app_with(&[("CAKAP_TRUST_PROXY", "true")]).await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&on);
    assert_eq!(
        sixth_try_from_a_new_forwarded_address(&on).await,
        401,
        "trust_proxy on: the address the proxy wrote is the client"
    );
}

// ---------- Secure cookies on https ----------

/// The `Set-Cookie` header for `name` in `r`.
fn set_cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("a {name} cookie"))
        .to_string()
}

/// Log in by hand (cookies sent as headers, as a browser on https would): the CSRF and the
/// session `Set-Cookie` headers.
async fn cookies_of_a_login(app: &TestApp) -> (String, String) {
    let c = app.new_browser();
    let page = c.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = set_cookie(&page, "cakap_csrf");
    let pair = csrf_cookie.split(';').next().unwrap().to_string();
    let csrf = common::csrf_of(&page.text().await.unwrap());
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .header(header::COOKIE, pair)
        .form(&[
            ("email", "rina@kab.go.id"),
            ("password", PW),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    (csrf_cookie, set_cookie(&r, "cakap_session"))
}

fn has_secure(cookie: &str) -> bool {
    cookie
        .split(';')
        .any(|a| a.trim().eq_ignore_ascii_case("secure"))
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_address_is_https() {
    let https = spawn_app_with(&[("CAKAP_BASE_URL", "https://cakap.example.go.id")]).await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&https);
    let (csrf, session) = cookies_of_a_login(&https).await;
    assert!(
        has_secure(&session),
        "https: the session cookie is Secure: {session}"
    );
    assert!(
        has_secure(&csrf),
        "https: the CSRF cookie is Secure: {csrf}"
    );
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));

    let plain = spawn_app().await;
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .create(&plain);
    let (csrf, session) = cookies_of_a_login(&plain).await;
    assert!(
        !has_secure(&session),
        "http: no Secure (it would never be sent): {session}"
    );
    assert!(!has_secure(&csrf), "{csrf}");
}
