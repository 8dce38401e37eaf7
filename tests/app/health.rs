//! The walking skeleton: health, pages, errors, assets, headers, languages.

use crate::common;

use crate::common::spawn_app;
use reqwest::header;

#[tokio::test]
async fn healthz_reports_ok_and_the_backend_after_a_query() {
    let app = spawn_app().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], common::backend().name());
    assert_eq!(body["version"], cakap::VERSION);
}

#[tokio::test]
async fn healthz_is_503_with_a_reason_when_the_database_is_gone() {
    let mut app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.db.destroy();
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], common::backend().name());
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains(common::backend().label()), "{reason}");
}

#[tokio::test]
async fn home_page_speaks_indonesian_by_default() {
    let app = spawn_app().await;
    let resp = app.get("/").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"<html lang="id">"#));
    assert!(html.contains("Belajar kapan saja, di mana saja"));
    assert!(html.contains("Hak 20 JP setiap tahun"));
    // no third-party requests: every src and href is local
    for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!html.contains(attr), "third-party reference {attr}");
    }
}

#[tokio::test]
async fn language_follows_accept_language_then_the_cookie() {
    let app = spawn_app().await;
    let html = app
        .client
        .get(app.url("/"))
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("Learn anytime, anywhere"));

    // the switch sets a cookie that wins over Accept-Language, and goes back where it was
    let resp = app.get("/lang/id?next=%2F%3Fx%3D1").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[header::LOCATION], "/?x=1");
    let cookie = resp.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("cakap_lang=id"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let html = app
        .client
        .get(app.url("/"))
        .header(header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="id">"#));

    // never a redirect to another site
    let resp = app.get("/lang/en?next=//evil.example/").await;
    assert_eq!(resp.headers()[header::LOCATION], "/");
    assert_eq!(app.get("/lang/fr").await.status(), 404);
}

/// (issue 25) The offline notice is fetched without cookies by the service worker and shown to
/// a logged-in learner: its header offers no "Masuk" as if they were logged out. Other pages for
/// a visitor still do.
#[tokio::test]
async fn the_offline_notice_does_not_offer_login() {
    let app = spawn_app().await;
    let html = app.get("/offline").await.text().await.unwrap();
    assert!(html.contains("class=\"card offline-page\""), "{html}");
    assert!(!html.contains("href=\"/login\""), "{html}");
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("href=\"/login\""));
}

#[tokio::test]
async fn unknown_pages_get_an_indonesian_404_page() {
    let app = spawn_app().await;
    let resp = app.get("/tidak-ada").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(html.contains("Halaman tidak ditemukan"), "{html}");
    assert!(html.contains("Kembali ke beranda"));
}

#[tokio::test]
async fn api_errors_are_problem_json() {
    let app = spawn_app().await;
    let resp = app.get("/api/v1/tidak-ada").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert_eq!(body["title"], "Halaman tidak ditemukan");
}

#[tokio::test]
async fn a_wrong_method_is_a_clear_error_not_a_crash() {
    let app = spawn_app().await;
    let resp = app.client.post(app.url("/")).send().await.unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
    let html = resp.text().await.unwrap();
    assert!(html.contains("<h1>"), "{html}");
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/tidak-ada"] {
        let resp = app.get(path).await;
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
    }
}

#[tokio::test]
async fn static_assets_have_hashed_names_long_cache_and_compression() {
    let app = spawn_app().await;
    let html = app.get("/").await.text().await.unwrap();
    let start = html
        .find("/static/app.")
        .expect("the layout links the stylesheet");
    let end = start + html[start..].find('"').unwrap();
    let css_url = &html[start..end];
    assert!(css_url.ends_with(".css") && css_url.len() > "/static/app.css".len());

    let resp = app
        .client
        .get(app.url(css_url))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert!(h[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    // the plain name is served too, but revalidated
    let resp = app.get("/static/app.css").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[header::CACHE_CONTROL], "public, no-cache");
    let etag = resp.headers()[header::ETAG].clone();
    let resp = app
        .client
        .get(app.url("/static/app.css"))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);

    assert_eq!(app.get("/static/nope.css").await.status(), 404);
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
}

#[tokio::test]
async fn head_requests_are_answered_like_get_without_a_body() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/courses"] {
        let resp = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp.bytes().await.unwrap().is_empty(), "{path}");
    }
    assert_eq!(
        app.client
            .head(app.url("/tidak-ada"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
