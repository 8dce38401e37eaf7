//! (issue 20) hardening: open redirects, control characters in `next`, unbounded multipart
//! bodies, registration (rate limit, control characters in names, who has an account), the data
//! folder's permissions, HSTS, problem documents from middleware, revoked-and-expired
//! certificates, verification by a button, huge page numbers.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::fixtures::{write_dictionary, CourseFolder, Person, PELAYANAN_PUBLIK};
use crate::common::{spawn_app, spawn_app_with, TestApp};
use cakap::accounts::users;
use diesel::prelude::*;
use reqwest::header;
use serde_json::{json, Value};

const PW: &str = "Kopi-Tubruk-2026";

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A raw `next` value as a browser would put it into a query string (already percent-encoded).
const EVIL_NEXTS: [&str; 9] = [
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D%0A/evil.example",
    "//evil.example",
    "/%5Cevil.example",
    "%20//evil.example",
    "https://evil.example",
    "/%E3%80%80/evil.example",
    "/%C2%A0/evil.example",
];
/// Control characters a `Location` header cannot carry (the server answered 500 to these).
const CONTROL_NEXTS: [&str; 3] = ["/%01", "/x%00y", "/%7F"];

// ---------- 5, 6: open redirects and control characters in `next` ----------

#[tokio::test]
async fn language_switch_follows_only_local_paths() {
    let app = spawn_app().await;
    for next in CONTROL_NEXTS.iter().chain(EVIL_NEXTS.iter()) {
        let r = app.get(&format!("/lang/en?next={next}")).await;
        assert_eq!(r.status(), 303, "next={next}");
        // a query's NUL characters are dropped (`web::nul`): `/x\0y` is the local `/xy`
        let expected = if next.contains("%00") { "/xy" } else { "/" };
        assert_eq!(location(&r), expected, "next={next}");
    }
    let r = app.get("/lang/en?next=/courses%3Fq%3Dx").await;
    assert_eq!(location(&r), "/courses?q=x");
}

#[tokio::test]
async fn login_follows_only_local_paths() {
    let app = spawn_app().await;
    Person::new("siti@kab.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .create(&app);
    for next in CONTROL_NEXTS.iter().chain(EVIL_NEXTS.iter()) {
        // POST /login with `next`, as the login form sends it back
        let decoded: String = url_decode(next);
        let b = app.new_browser();
        let html = b
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&html);
        let r = b
            .post(app.url("/login"))
            .form(&[
                ("email", "siti@kab.go.id"),
                ("password", PW),
                ("next", &decoded),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "POST next={next}");
        // a form's NUL characters are dropped (`web::nul`): `/x\0y` is the local `/xy`
        let expected = if next.contains("%00") { "/xy" } else { "/me" };
        assert_eq!(location(&r), expected, "POST next={next}");
        // GET /login?next= when already logged in
        let r = b
            .get(app.url(&format!("/login?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "GET next={next}");
        assert_eq!(location(&r), expected, "GET next={next}");
    }
    let b = app.new_browser();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let r = b
        .post(app.url("/login"))
        .form(&[
            ("email", "siti@kab.go.id"),
            ("password", PW),
            ("next", "/courses?q=a"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/courses?q=a");
}

fn url_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

// ---------- 7: multipart bodies are limited while they are read ----------

/// Send a request over a plain socket: the head, then `chunk` again and again up to `stop_after`
/// body bytes, after which the sender holds the connection open without ending the body. Returns
/// the status, the response body, how many body bytes were sent when the answer came, and how
/// long the answer took.
async fn raw_request(
    app: &TestApp,
    head: String,
    chunk: Vec<u8>,
    stop_after: usize,
) -> (u16, String, usize, Duration) {
    let port = app.port;
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let started = Instant::now();
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut wr = stream.try_clone().unwrap();
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = sent.clone();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let finished = done.clone();
        std::thread::spawn(move || {
            if wr.write_all(head.as_bytes()).is_err() {
                return;
            }
            while counter.load(Ordering::SeqCst) < stop_after {
                if finished.load(Ordering::SeqCst) || wr.write_all(&chunk).is_err() {
                    return;
                }
                counter.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            // the body never ends: only a server that answers before reading it all answers
            while !finished.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let mut buf = Vec::new();
        let mut tmp = [0u8; 8192];
        loop {
            let n = stream.read(&mut tmp).unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&tmp[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if length.is_some_and(|len| buf.len() >= end + 4 + len) {
                    break;
                }
            }
        }
        let at = sent.load(Ordering::SeqCst);
        let elapsed = started.elapsed();
        done.store(true, Ordering::SeqCst);
        let _ = stream.shutdown(std::net::Shutdown::Both);
        let text = String::from_utf8_lossy(&buf).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body, at, elapsed)
    })
    .await
    .unwrap()
}

fn multipart_head(path: &str, token: &str, length: Option<u64>) -> String {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
    );
    match length {
        Some(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        None => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    head.push_str("\r\n");
    head
}

/// One HTTP/1.1 chunk holding `data`.
fn http_chunk(data: &[u8]) -> Vec<u8> {
    [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
}

fn text_field(i: usize, size: usize) -> Vec<u8> {
    format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\n{}\r\n",
        "a".repeat(size)
    )
    .into_bytes()
}

#[tokio::test]
async fn multipart_bodies_are_refused_at_their_limits_before_they_are_read() {
    let app = spawn_app().await;
    Person::new("penulis@kab.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .author()
        .create(&app);
    let token = app.token_of("penulis@kab.go.id", PW).await;

    // 15,000 fields of 10 KB (150 MB), as the review sent: refused after the field limit, the
    // rest never read (it is never even sent)
    // (4 KB each, well inside the 10 KB field limit, so that however the parser splits a field
    // under load only the field count can refuse it)
    let field = http_chunk(&text_field(1, 4_000));
    let (status, body, sent, _) = raw_request(
        &app,
        multipart_head("/me/activities", &token, None),
        field,
        15_000 * 10_000,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("more than 32 fields"), "{body}");
    // what the client got into the socket's buffers before the answer, far from the whole body
    assert!(sent < 32 * 1024 * 1024, "sent {sent}");

    // a declared length over the limit: refused before a byte of the body is read
    let (status, body, sent, elapsed) = raw_request(
        &app,
        multipart_head("/me/activities", &token, Some(150 * 1024 * 1024)),
        text_field(1, 64 * 1024),
        64 * 1024,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("2.1 MB"),
        "the message says the limit: {body}"
    );
    assert!(sent <= 128 * 1024, "sent {sent}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");

    // a chunked body (no length) that grows past the limit: refused at the limit
    let one_field = [
        b"--XyZ\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"x.pdf\"\r\n\r\n"
            .to_vec(),
    ]
    .concat();
    let (status, body, _, _) = raw_request(
        &app,
        multipart_head("/me/activities", &token, None),
        [http_chunk(&one_field), http_chunk(&vec![b'%'; 256 * 1024])].concat(),
        40 * 1024 * 1024,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("2.1 MB"), "{body}");

    // the author's upload form and the API upload: the same
    let (status, body, _, _) = raw_request(
        &app,
        multipart_head("/author/courses/upload", &token, Some(500 * 1024 * 1024)),
        text_field(1, 1024),
        1024,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    let (status, _, _, _) = raw_request(
        &app,
        multipart_head("/author/courses/upload", &token, None),
        http_chunk(&text_field(1, 1024)),
        10 * 1024 * 1024,
    )
    .await;
    assert_eq!(status, 400);
    let head = format!(
        "POST /api/v1/author/courses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/zip\r\nContent-Length: {}\r\n\r\n",
        500u64 * 1024 * 1024
    );
    let (status, body, sent, _) = raw_request(&app, head, vec![0u8; 64 * 1024], 64 * 1024).await;
    assert_eq!(status, 413, "{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("50.0 MB"),
        "{problem}"
    );
    assert!(sent <= 64 * 1024);
}

// ---------- 12: registration ----------

fn mail_dir(app: &TestApp) -> PathBuf {
    app.db.dir().join("data").join("mail")
}

/// The `.eml` files written so far, oldest first, as text (quoted-printable soft breaks undone).
fn mails(app: &TestApp) -> Vec<String> {
    common::mail_files(&mail_dir(app))
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

async fn wait_for_mails(app: &TestApp, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let m = mails(app);
        if m.len() >= n {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {n} mails, found {}", mails(app).len());
}

/// The one mail to `to`, once it is written.
async fn mail_to(app: &TestApp, to: &str) -> String {
    for _ in 0..200 {
        let found: Vec<String> = mails(app)
            .into_iter()
            .filter(|m| m.contains(&format!("To: {to}\r\n")) || m.contains(&format!("To: {to}\n")))
            .collect();
        if let Some(m) = found.first() {
            assert_eq!(found.len(), 1, "one mail to {to}");
            return m.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to}");
}

async fn register(app: &TestApp, name: &str, email: &str, nip: &str) -> reqwest::Response {
    let b = app.new_browser();
    let html = b
        .get(app.url("/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    b.post(app.url("/register"))
        .form(&[
            ("name", name),
            ("email", email),
            ("nip", nip),
            ("password", PW),
            ("password_confirm", PW),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let app = spawn_app().await;
    for i in 0..20 {
        let r = register(&app, "Budi Santoso", &format!("budi{i}@kab.go.id"), "").await;
        assert_eq!(r.status(), 200, "registration {i}");
    }
    let r = register(&app, "Budi Santoso", "budi20@kab.go.id", "").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    let html = r.text().await.unwrap();
    assert!(html.contains("menit"), "says how long to wait: {html}");
    assert!(users::find_by_email(&mut app.conn(), "budi20@kab.go.id")
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn names_with_control_characters_are_refused() {
    let app = spawn_app().await;
    for name in [
        "Siti\r\nBcc: korban@evil.example",
        "Siti\nRahma",
        "Siti\u{1}Rahma",
        "Siti\u{202e}amhaR",
    ] {
        let r = register(&app, name, "siti@kab.go.id", "").await;
        assert_eq!(r.status(), 422, "{name:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains("karakter kendali"), "{name:?}: {html}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mails(&app).is_empty(), "no mail went out");
    assert!(users::find_by_email(&mut app.conn(), "siti@kab.go.id")
        .unwrap()
        .is_none());
    // the CLI refuses them too
    let r = cakap::accounts::cli::add_user(
        &mut app.conn(),
        &cakap::accounts::cli::AddUser {
            email: "x@kab.go.id".into(),
            name: "Siti\r\nRahma".into(),
            role: Default::default(),
            agency: None,
            password: PW.into(),
        },
    );
    assert!(r.is_err_and(|e| e.contains("control character")));
}

#[tokio::test]
async fn registration_does_not_tell_who_has_an_account() {
    let app = spawn_app().await;
    Person::new("ada@kab.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .nip("198503122010012003")
        .create(&app);
    let fresh = register(&app, "Budi Santoso", "baru@kab.go.id", "")
        .await
        .text()
        .await
        .unwrap();
    assert!(fresh.contains("Periksa email Anda"));
    assert!(mail_to(&app, "baru@kab.go.id").await.contains("/verify/"));

    // an address with an account: the same page; that address gets a "you have an account" mail
    let r = register(&app, "Penyerang", "ADA@kab.go.id", "").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Periksa email Anda"));
    assert!(!html.contains("sudah terdaftar"));
    let m = mail_to(&app, "ada@kab.go.id").await;
    assert!(m.contains("Subject: Anda sudah punya akun Cakap"), "{m}");
    assert!(m.contains("/login") && m.contains("/password/reset"), "{m}");
    assert!(!m.contains("/verify/"), "no verification link: {m}");
    assert!(
        m.contains("Siti Rahmawati") && !m.contains("Penyerang"),
        "greets by the account's name: {m}"
    );

    // a NIP already used: the same page; only the address given learns it, by mail
    let r = register(&app, "Budi Santoso", "lain@kab.go.id", "198503122010012003").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Periksa email Anda"));
    assert!(!html.contains("NIP ini sudah dipakai"));
    let m = mail_to(&app, "lain@kab.go.id").await;
    assert!(m.contains("NIP yang dituliskan sudah dipakai"), "{m}");
    assert!(!m.contains("/verify/"), "{m}");
    assert!(users::find_by_email(&mut app.conn(), "lain@kab.go.id")
        .unwrap()
        .is_none());
}

// ---------- 13: the data folder is private ----------

#[cfg(unix)]
fn loose(dir: &Path, out: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(dir).unwrap();
    let mode = meta.permissions().mode() & 0o777;
    let want = if meta.is_dir() { 0o700 } else { 0o600 };
    if mode & 0o077 != 0 || (meta.is_dir() && mode != want) {
        out.push(format!("{} {mode:o}", dir.display()));
    }
    if meta.is_dir() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            loose(&e.path(), out);
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let db = common::TestDatabase::fresh();
    let data = db.dir().join("data");
    // what an earlier version left: a world-readable folder, mail and key
    std::fs::create_dir_all(data.join("mail")).unwrap();
    std::fs::write(
        data.join("mail").join("old.eml"),
        "Subject: x\r\n\r\nreset link",
    )
    .unwrap();
    for p in [&data, &data.join("mail")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(
        data.join("mail").join("old.eml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mut extra = vec![];
    let sqlite_url = format!("sqlite://{}", data.join("cakap.db").display());
    if matches!(db.backend, cakap::db::Backend::Sqlite) {
        // the database in the data folder, as by default
        extra.push(("CAKAP_DATABASE_URL", sqlite_url.as_str()));
    }
    let config = common::test_config(&db, &extra);
    let app = cakap::startup::Application::build(config).await.unwrap();
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap(),
        db,
    };
    // a mail with a live link is written
    let r = register(&app, "Budi Santoso", "budi@kab.go.id", "").await;
    assert_eq!(r.status(), 200);
    wait_for_mails(&app, 2).await;
    let mut bad = vec![];
    loose(&data, &mut bad);
    assert!(bad.is_empty(), "readable by others: {bad:?}");
    let names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if matches!(app.db.backend, cakap::db::Backend::Sqlite) {
        assert!(names.iter().any(|n| n == "cakap.db"), "{names:?}");
        assert!(names.iter().any(|n| n == "cakap.db-wal"), "{names:?}");
    }
}

// ---------- 14: smaller ones ----------

#[tokio::test]
async fn hsts_only_when_the_public_address_is_https() {
    let app = spawn_app_with(&[("CAKAP_BASE_URL", "https://cakap.example.go.id")]).await;
    let r = app.get("/login").await;
    assert_eq!(
        r.headers()
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap()),
        Some("max-age=31536000")
    );
    let plain = spawn_app().await;
    let r = plain.get("/login").await;
    assert!(r.headers().get("strict-transport-security").is_none());
}

fn assert_problem(r: &reqwest::Response, status: u16, what: &str) {
    assert_eq!(r.status(), status, "{what}");
    assert_eq!(
        r.headers()[header::CONTENT_TYPE].to_str().unwrap(),
        "application/problem+json",
        "{what}"
    );
}

#[tokio::test]
async fn every_refusal_on_the_api_is_a_problem_document() {
    let app = spawn_app().await;
    Person::new("siti@kab.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .create(&app);
    let api = reqwest::Client::new();
    let mut checks: Vec<(reqwest::Response, u16, &str)> = vec![];
    // the session middleware: a bearer token that is not ours
    checks.push((
        api.get(app.url("/api/v1/me"))
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap(),
        401,
        "bad bearer",
    ));
    // the CSRF middleware: another site's Origin
    checks.push((
        api.post(app.url("/api/v1/auth/token"))
            .header("Origin", "https://evil.example")
            .json(&json!({"email": "siti@kab.go.id", "password": PW}))
            .send()
            .await
            .unwrap(),
        403,
        "cross-site origin",
    ));
    // a cookie session without the CSRF header
    let b = app.browser_as("siti@kab.go.id", PW).await;
    checks.push((
        b.post(app.url("/api/v1/courses/x/enroll"))
            .send()
            .await
            .unwrap(),
        403,
        "cookie without X-CSRF-Token",
    ));
    // actix's own: bad JSON, too large, no route, wrong method
    checks.push((
        api.post(app.url("/api/v1/auth/token"))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{")
            .send()
            .await
            .unwrap(),
        400,
        "bad json",
    ));
    checks.push((
        api.post(app.url("/api/v1/auth/token"))
            .json(&json!({"email": "a".repeat(300 * 1024), "password": PW}))
            .send()
            .await
            .unwrap(),
        413,
        "too large",
    ));
    checks.push((
        api.get(app.url("/api/v1/no-such-thing"))
            .send()
            .await
            .unwrap(),
        404,
        "no route",
    ));
    checks.push((
        api.delete(app.url("/api/v1/me")).send().await.unwrap(),
        405,
        "no route for this method (405 with Allow)",
    ));
    // a resource that answers 405 by itself (no body): JSON clients get a problem document too
    checks.push((
        api.delete(app.url("/admin/users/import"))
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap(),
        405,
        "method",
    ));
    for (r, status, what) in checks {
        assert_problem(&r, status, what);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: {body}"
        );
        assert_eq!(body["status"], status, "{what}");
    }
}

fn write_course(root: &Path) {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
    CourseFolder::new("pelayanan-prima")
        .title("Pelayanan Publik Prima")
        .jp(6)
        .competency("M.PP", 2)
        .timed_lesson("01-pengantar", "Pengantar", 5, "Isi modul.")
        .write(root);
}

#[tokio::test]
async fn a_revoked_certificate_that_also_expired_is_reported_revoked() {
    use cakap::db::schema::certificates;
    let root = tempfile::tempdir().unwrap();
    write_course(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    Person::new("siti@kab.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .nip("198703152010012002")
        .create(&app);
    let bearer = app.token_of("siti@kab.go.id", PW).await;
    let api = reqwest::Client::new();
    let r = api
        .post(app.url("/api/v1/courses/pelayanan-prima/enroll"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    api.post(app.url("/api/v1/courses/pelayanan-prima/modules/01-pengantar/done"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    let mine: Value = api
        .get(app.url("/api/v1/me/certificates"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cert = &mine["certificates"][0];
    let code = cert["code"].as_str().unwrap().to_string();
    let jwt = cert["jwt"].as_str().unwrap();

    // the credential re-signed with an `exp` in the past, the record expired and revoked
    let mut claims: Value = {
        use base64::Engine;
        let body = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(body)
                .unwrap(),
        )
        .unwrap()
    };
    claims["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let signer = cakap::certificates::Keyring::load_or_create(&app.db.dir().join("data"))
        .unwrap()
        .current;
    let expired = signer.sign("JWT", &claims).unwrap();
    let now = chrono::Utc::now().naive_utc();
    diesel::update(certificates::table.filter(certificates::code.eq(&code)))
        .set((
            certificates::jwt.eq(&expired),
            certificates::expires_at.eq(Some(now - chrono::Duration::days(1))),
            certificates::revoked_at.eq(Some(now - chrono::Duration::hours(1))),
            certificates::revoked_reason.eq(Some("Data NIP keliru")),
        ))
        .execute(&mut app.conn())
        .unwrap();

    // the API verify endpoint
    let v: Value = api
        .post(app.url("/api/v1/certificates/verify"))
        .json(&json!({"jwt": expired}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["status"], "revoked", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("Data NIP keliru"));
    // the public page
    let page = app.get(&format!("/v/{code}")).await.text().await.unwrap();
    assert!(page.contains("Data NIP keliru"), "{page}");
    // the CLI
    let report = cakap::certificates::cli::verify(&code, None, Some(&mut app.conn())).unwrap();
    assert!(!report.valid);
    assert!(report.lines[0].starts_with("REVOKED"), "{:?}", report.lines);
}

#[tokio::test]
async fn following_a_verification_link_verifies_nothing_until_the_button_is_pressed() {
    let app = spawn_app().await;
    let r = register(&app, "Budi Santoso", "budi@kab.go.id", "").await;
    assert_eq!(r.status(), 200);
    let mail = wait_for_mails(&app, 1).await.remove(0);
    let start = mail.find("/verify/").unwrap();
    let link: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
        .collect();
    let verified = |app: &TestApp| {
        users::find_by_email(&mut app.conn(), "budi@kab.go.id")
            .unwrap()
            .unwrap()
            .email_verified_at
            .is_some()
    };
    // a mail scanner follows the link (twice, even)
    for _ in 0..2 {
        let r = reqwest::get(app.url(&link)).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Konfirmasi alamat email"));
    }
    assert!(!verified(&app), "a GET verified the address");
    // a POST from elsewhere (no CSRF token) does not verify either
    let r = reqwest::Client::new()
        .post(app.url(&link))
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!verified(&app));
    // the person presses the button
    let r = app.submit(&link, &link, &[]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Email terverifikasi"));
    assert!(verified(&app));
}

#[tokio::test]
async fn huge_or_negative_page_numbers_give_the_last_or_first_page() {
    let app = spawn_app().await;
    Person::new("admin@kab.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .platform_admin()
        .create(&app);
    let b = app.browser_as("admin@kab.go.id", PW).await;
    for page in [
        "9223372036854775807",
        "184467440737095516",
        "99999999999999999999999999",
        "-9223372036854775808",
        "-1",
        "0",
        "abc",
    ] {
        let r = b
            .get(app.url(&format!("/admin/users?page={page}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "page={page}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("admin@kab.go.id"),
            "page={page}: the one page of people"
        );
    }
}

/// A registration that loses the race for an address (another one inserted it, not yet
/// committed, after this one looked) is told "taken" and can go on in its transaction — to mail the
/// address's owner, as registration does. On PostgreSQL the losing insert fails inside that
/// transaction; unless it rolls back alone, every later statement fails and the request is a 500.
#[tokio::test]
async fn a_registration_that_loses_the_race_for_an_address_goes_on() {
    use cakap::accounts::users::{CreateError, NewUser};
    let app = spawn_app().await;
    let email = "kembar@kab.go.id";
    let new = move || NewUser {
        email: email.into(),
        name: "Kembar Siam".into(),
        ..Default::default()
    };
    let (taken, owner) = common::race_for_one_row(
        &app,
        move |c| users::create(c, &new()).expect("the first registration inserts"),
        move |c| {
            let taken = matches!(users::create(c, &new()), Err(CreateError::EmailTaken));
            // what registration does next, in the same transaction
            let owner = users::find_by_email(c, email)?;
            Ok((taken, owner.map(|u| u.name)))
        },
    )
    .expect("the losing registration's transaction goes on");
    assert!(taken, "the loser is told the address is taken");
    assert_eq!(owner.as_deref(), Some("Kembar Siam"));
}

/// NUL characters never reach the database (PostgreSQL refuses them in text: each of these was a
/// 500 there): a path holding `%00` names nothing (404); a query string's, a JSON body's and a
/// form's NUL characters are dropped.
#[tokio::test]
async fn nul_characters_never_reach_the_database() {
    let app = spawn_app().await;
    for path in ["/api/v1/courses/abc%00", "/courses/abc%00def"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    for path in ["/courses?q=a%00b", "/api/v1/courses?q=%00"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    // the text `%2500` is a percent sign and two zeros: fine
    assert_eq!(app.get("/courses?q=100%2500").await.status(), 200);

    // JSON: a placement request's note keeps its text without the NUL
    let agency = crate::common::fixtures::Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta")
        .insert(&mut app.conn());
    Person::new("nul@kab.go.id")
        .name("Nur Laila")
        .password(PW)
        .create(&app);
    let token = app.token_of("nul@kab.go.id", PW).await;
    let r = app
        .client
        .post(app.url("/api/v1/me/placement-requests"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body(format!(
            r#"{{"agency_id": {agency}, "note": "pindah\u0000 tugas"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let note: String = cakap::db::schema::placement_requests::table
        .select(cakap::db::schema::placement_requests::note)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(note, "pindah tugas");

    // a form: a login with a NUL in the address is a failed login, not a server error
    let b = app.new_browser();
    let fields = [("email", "nul\0@kab.go.id"), ("password", "salah-sandi")];
    let r = app.post_form(&b, "/login", "/login", &fields).await;
    assert!(r.status().is_client_error(), "{}", r.status());
}
