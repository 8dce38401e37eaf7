//! Accounts end to end, with a real SMTP server on loopback: register, verify, log in, reset the
//! password, log out everywhere; NIP and e-mail rules; CSRF; rate limits; API tokens.

use crate::common;

use std::time::Duration;

use crate::common::smtp::SmtpSink;
use crate::common::{spawn_app_with, TestApp};
use reqwest::header;

const PASSWORD: &str = "Kopi-Tubruk-2026";

async fn app_with_smtp() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let port = sink.port().to_string();
    let app = spawn_app_with(&[
        ("CAKAP_MAIL_TRANSPORT", "smtp"),
        ("CAKAP_SMTP_HOST", "127.0.0.1"),
        ("CAKAP_SMTP_PORT", &port),
        ("CAKAP_SMTP_SECURITY", "none"),
        ("CAKAP_BASE_URL", "http://cakap.test"),
    ])
    .await;
    (app, sink)
}

/// The path of the link in the latest mail (base URL stripped).
fn path_of(link: &str) -> String {
    link.trim_start_matches("http://cakap.test").to_string()
}

async fn register(app: &TestApp, email: &str, nip: &str) -> reqwest::Response {
    app.submit(
        "/register",
        "/register",
        &[
            ("name", "Siti Rahmawati"),
            ("email", email),
            ("nip", nip),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.submit(
        "/login",
        "/login",
        &[
            ("email", email),
            ("password", password),
            ("next", "/me/account"),
        ],
    )
    .await
}

#[tokio::test]
async fn register_verify_login_reset_and_log_out_everywhere() {
    let (app, sink) = app_with_smtp().await;

    // register: a verification mail arrives, in Indonesian
    let resp = register(&app, "Siti.Rahma@Sleman.go.id", "19850312 201001 2 003").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Periksa email Anda"));
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0].to, vec!["siti.rahma@sleman.go.id".to_string()]);
    assert!(
        mails[0].subject().contains("Verifikasi"),
        "{}",
        mails[0].subject()
    );
    let verify = path_of(&mails[0].link().expect("a link in the mail"));
    assert!(verify.starts_with("/verify/"), "{verify}");

    // not verified yet: no login (a new link is sent only if none went out in the last minutes)
    let resp = login(&app, "siti.rahma@sleman.go.id", PASSWORD).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("belum diverifikasi"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "no second mail minutes after the first"
    );

    // following the link only shows a button (a mail scanner opens links too); pressing it
    // verifies, once
    let resp = app.get(&verify).await;
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Konfirmasi alamat email"));
    let resp = app.submit(&verify, &verify, &[]).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Email terverifikasi"));
    assert_eq!(app.get(&verify).await.status(), 410);

    // log in, with the e-mail in another case
    let resp = login(&app, "SITI.RAHMA@sleman.go.id", PASSWORD).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[header::LOCATION], "/me/account");
    let cookie = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let page = app.get("/me/account").await.text().await.unwrap();
    assert!(page.contains("Siti Rahmawati") && page.contains("198503122010012003"));

    // a second device logs in too
    let other = app.new_browser();
    let html = other
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let resp = other
        .post(app.url("/login"))
        .form(&[
            ("email", "siti.rahma@sleman.go.id"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        other
            .get(app.url("/me/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // reset the password by e-mail: the old sessions end
    let browser3 = app.new_browser();
    let html = browser3
        .get(app.url("/password/reset"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let resp = browser3
        .post(app.url("/password/reset"))
        .form(&[("email", "siti.rahma@sleman.go.id"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mails = sink.wait_for(2, Duration::from_secs(10)).await;
    let reset = path_of(&mails[1].link().unwrap());
    assert!(reset.starts_with("/password/reset/"), "{reset}");
    let html = browser3
        .get(app.url(&reset))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let new_password = "Teh-Manis-Hangat-7";
    let resp = browser3
        .post(app.url(&reset))
        .form(&[
            ("password", new_password),
            ("password_confirm", new_password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    // the link works once
    assert_eq!(
        browser3.get(app.url(&reset)).send().await.unwrap().status(),
        410
    );
    assert_eq!(
        other
            .get(app.url("/me/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "old sessions ended"
    );
    assert_eq!(
        login(&app, "siti.rahma@sleman.go.id", PASSWORD)
            .await
            .status(),
        422,
        "old password refused"
    );
    assert_eq!(
        login(&app, "siti.rahma@sleman.go.id", new_password)
            .await
            .status(),
        303
    );

    // log out everywhere
    let html = app.get("/me/account").await.text().await.unwrap();
    let csrf = common::csrf_of(&html);
    let resp = app
        .client
        .post(app.url("/me/logout-all"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(app.get("/me/account").await.status(), 303);
}

/// A page's text as a browser reads its attributes (handlebars writes `=` as `&#x3D;`).
fn unescape(html: String) -> String {
    html.replace("&#x3D;", "=")
}

async fn read(app: &TestApp, path: &str) -> String {
    unescape(app.get(path).await.text().await.unwrap())
}

/// (issue 25) A new ASN who comes from a course is invited to create an account ("Buat akun",
/// not the enrolment's "Ikuti kursus"), and the course is kept through registration, the
/// verification link and the login after it; once enrolled, the home page continues where they
/// left off. A `next` that leaves the site is dropped.
#[tokio::test]
async fn a_new_asn_from_a_course_gets_back_to_it_through_register_verify_and_login() {
    let (app, sink) = app_with_smtp().await;
    let course = "/courses/pelayanan-publik-prima";
    let page = read(&app, course).await;
    let invite = format!("href=\"/register?next={course}\"");
    assert!(page.contains(&invite), "{page}");
    assert!(page.contains("Buat akun untuk mengikuti kursus ini"));
    assert!(!page.contains("Masuk untuk mendaftar"));
    let home = read(&app, "/").await;
    assert!(
        home.contains("href=\"/register\""),
        "the home page invites too"
    );

    let form = read(&app, &format!("/register?next={course}")).await;
    assert!(
        form.contains(&format!("name=\"next\" value=\"{course}\"")),
        "{form}"
    );
    assert!(
        form.contains("inputmode=\"numeric\""),
        "the NIP opens the number keyboard"
    );
    let outside = read(&app, "/register?next=https://contoh.com/").await;
    assert!(outside.contains("name=\"next\" value=\"\""), "{outside}");

    let resp = app
        .submit(
            "/register",
            "/register",
            &[
                ("name", "Rina Kartika"),
                ("email", "rina.kartika@sleman.go.id"),
                ("nip", ""),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("next", course),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    let sent = unescape(resp.text().await.unwrap());
    assert!(
        sent.contains("href=\"/login?next=%2Fcourses%2Fpelayanan-publik-prima\""),
        "{sent}"
    );
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    let verify = path_of(&mails[0].link().expect("a link in the mail"));
    assert!(
        verify.ends_with("?next=%2Fcourses%2Fpelayanan-publik-prima"),
        "{verify}"
    );
    let confirm = read(&app, &verify).await;
    assert!(
        confirm.contains("?next=%2Fcourses%2Fpelayanan-publik-prima\""),
        "the button keeps it: {confirm}"
    );
    let done = unescape(
        app.submit(&verify, &verify, &[])
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(done.contains("Email terverifikasi"));
    assert!(
        done.contains("href=\"/login?next=%2Fcourses%2Fpelayanan-publik-prima\""),
        "{done}"
    );
    let resp = app
        .submit(
            "/login?next=%2Fcourses%2Fpelayanan-publik-prima",
            "/login",
            &[
                ("email", "rina.kartika@sleman.go.id"),
                ("password", PASSWORD),
                ("next", course),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()[header::LOCATION],
        course,
        "back to the course"
    );

    // enrolled and one lesson opened: the home page leads back to it
    let home = read(&app, "/").await;
    assert!(
        home.contains("Tidak ada kursus yang sedang Anda pelajari"),
        "{home}"
    );
    let resp = app.submit(course, &format!("{course}/enroll"), &[]).await;
    assert_eq!(resp.status(), 303);
    let lesson = "/courses/pelayanan-publik-prima/02-standar-pelayanan";
    assert_eq!(app.get(lesson).await.status(), 200);
    let home = read(&app, "/").await;
    assert!(
        home.contains("Selamat datang kembali, Rina Kartika"),
        "{home}"
    );
    assert!(home.contains(&format!("href=\"{lesson}\"")), "{home}");
}

#[tokio::test]
async fn nip_and_email_rules() {
    let (app, sink) = app_with_smtp().await;
    // a NIP with an impossible appointment month is refused, naming the part
    let resp = register(&app, "a@kab.go.id", "198503122010132003").await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("9–14") || html.contains("9-14"),
        "the message names the digits: {html}"
    );
    // too short
    let html = register(&app, "a@kab.go.id", "19850312")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("18 digit"), "{html}");

    assert_eq!(
        register(&app, "Budi@Kab.go.id", "198503122010012003")
            .await
            .status(),
        200
    );
    sink.wait_for(1, Duration::from_secs(10)).await;
    // same e-mail in another case: the page says what it says to anyone ("check your mail");
    // the mail to that address says the account exists
    let resp = register(&app, "budi@kab.go.id", "").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Periksa email Anda") && !html.contains("sudah terdaftar"));
    let mails = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(mails[1].to, vec!["budi@kab.go.id".to_string()]);
    assert!(
        mails[1].subject().contains("sudah punya akun"),
        "{}",
        mails[1].subject()
    );
    // same NIP: told only by mail, to the address given
    let resp = register(&app, "lain@kab.go.id", "198503122010012003").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Periksa email Anda") && !html.contains("NIP ini sudah dipakai"));
    let mails = sink.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(mails[2].to, vec!["lain@kab.go.id".to_string()]);
    assert!(
        mails[2].subject().contains("belum dapat diproses"),
        "{}",
        mails[2].subject()
    );
    // weak password
    let resp = app
        .submit(
            "/register",
            "/register",
            &[
                ("name", "Budi"),
                ("email", "c@kab.go.id"),
                ("password", "12345678"),
                ("password_confirm", "12345678"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("terlalu umum"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app_with(&[]).await;
    let _ = app.get("/login").await;
    for (path, body) in [
        ("/login", vec![("email", "a@b.go.id"), ("password", "x")]),
        ("/register", vec![("email", "a@b.go.id")]),
        ("/password/reset", vec![("email", "a@b.go.id")]),
        ("/logout", vec![]),
    ] {
        let resp = app
            .client
            .post(app.url(path))
            .form(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{path}");
        let with_wrong = app
            .client
            .post(app.url(path))
            .form(&[("csrf", "0".repeat(64).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(with_wrong.status(), 403, "{path}");
    }
    // a cross-site origin is refused even with the token
    let html = app.get("/login").await.text().await.unwrap();
    let csrf = common::csrf_of(&html);
    let resp = app
        .client
        .post(app.url("/login"))
        .header("Origin", "https://evil.example")
        .form(&[
            ("email", "a@b.go.id"),
            ("password", "x"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn login_is_rate_limited_with_an_indonesian_message() {
    let (app, sink) = app_with_smtp().await;
    register(&app, "rina@kab.go.id", "").await;
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    let verify = path_of(&mails[0].link().unwrap());
    app.submit(&verify, &verify, &[]).await;
    for _ in 0..5 {
        assert_eq!(
            login(&app, "rina@kab.go.id", "salah-salah-salah")
                .await
                .status(),
            422
        );
    }
    let resp = login(&app, "rina@kab.go.id", PASSWORD).await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("Coba lagi dalam") && html.contains("menit"),
        "{html}"
    );
}

#[tokio::test]
async fn api_clients_get_a_bearer_token() {
    let (app, sink) = app_with_smtp().await;
    register(&app, "api@kab.go.id", "").await;
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    let verify = path_of(&mails[0].link().unwrap());
    app.submit(&verify, &verify, &[]).await;

    let api = reqwest::Client::new();
    let resp = api
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "api@kab.go.id", "password": "salah"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body: serde_json::Value = api
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "API@kab.go.id", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let me: serde_json::Value = api
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "api@kab.go.id");
    assert!(me.get("password_hash").is_none());
    assert_eq!(
        api.get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        api.get(app.url("/api/v1/me"))
            .bearer_auth("forged.token.here")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
