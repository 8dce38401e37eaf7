//! The OpenAPI document at `/api/v1/openapi.json` against the live routes, both ways: every
//! documented operation is routed (and answers with a documented status), and every `/api/v1`
//! route the app registers is documented.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::fixtures::Person;
use crate::common::{spawn_app_with, TestApp};
use reqwest::{header, Method};
use serde_json::{json, Value};

const PW: &str = "Belajar-Terus-2026";
const COURSE: &str = "pelayanan-publik-prima";
const MODULE: &str = "01-pengantar-pelayanan-publik";

/// Every `/api/v1` route the app registers (method, path), from the `routes()` functions of
/// server/catalog/routes.rs, server/accounts/routes.rs, server/learning/routes.rs,
/// server/learning/quiz_routes.rs and server/startup.rs. `registered_routes_match_the_source`
/// keeps this list honest.
const REGISTERED: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/courses"),
    ("get", "/api/v1/courses/{slug}"),
    ("get", "/api/v1/courses/{slug}/modules/{module}"),
    ("post", "/api/v1/auth/token"),
    ("get", "/api/v1/me"),
    ("put", "/api/v1/people/{id}/placement"),
    ("post", "/api/v1/me/placement-requests"),
    ("post", "/api/v1/courses/{slug}/enroll"),
    ("post", "/api/v1/courses/{slug}/modules/{module}/done"),
    ("get", "/api/v1/me/dashboard"),
    ("get", "/api/v1/courses/{slug}/offline"),
    ("post", "/api/v1/courses/{slug}/modules/{module}/attempts"),
    ("get", "/api/v1/attempts/{id}"),
    ("post", "/api/v1/attempts/{id}/submit"),
    ("post", "/api/v1/certificates/verify"),
    ("get", "/api/v1/certificates/{code}"),
    ("post", "/api/v1/certificates/{code}/revoke"),
    ("get", "/api/v1/me/certificates"),
    ("get", "/api/v1/me/profile"),
    ("post", "/api/v1/courses/{slug}/reaction"),
    ("get", "/api/v1/evaluations/{slug}"),
    ("get", "/api/v1/agencies/{id}/budget"),
    ("get", "/api/v1/author/courses"),
    ("post", "/api/v1/author/courses"),
    (
        "post",
        "/api/v1/author/courses/{slug}/versions/{id}/publish",
    ),
];

async fn app_with_courses() -> TestApp {
    let courses = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    spawn_app_with(&[("CAKAP_COURSES_DIR", &courses.display().to_string())]).await
}

/// A verified learner's bearer token.
async fn token(app: &TestApp) -> String {
    let mut conn = app.conn();
    Person::new("dewi@example.go.id")
        .name("Dewi Lestari")
        .password(PW)
        .insert(&mut conn);
    let resp = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "dewi@example.go.id", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    body["token"].as_str().unwrap().to_string()
}

async fn document(app: &TestApp) -> Value {
    let resp = app.get("/api/v1/openapi.json").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    resp.json().await.unwrap()
}

/// (method, path) of every documented operation.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete", "head", "options"] {
            if item.get(method).is_some() {
                ops.insert((method.to_string(), path.clone()));
            }
        }
    }
    ops
}

fn concrete(path: &str) -> String {
    path.replace("{slug}", COURSE)
        .replace("{module}", MODULE)
        .replace("{id}", "999999")
        .replace("{code}", "0000000000000000000z")
}

async fn call(app: &TestApp, method: &str, path: &str, bearer: Option<&str>) -> (u16, Value) {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = app.client.request(method.clone(), app.url(path));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    if method == Method::POST {
        req = req.json(&json!({}));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/problem+json");
    let text = resp.text().await.unwrap();
    if status >= 400 {
        assert!(is_problem, "{path}: an API error is problem+json: {text}");
    }
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_document_is_openapi_3_with_title_version_and_bearer_scheme() {
    let app = app_with_courses().await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Cakap API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["schemas"]["ModuleView"].is_object());
}

#[tokio::test]
async fn every_documented_operation_is_a_live_route_with_a_documented_status() {
    let app = app_with_courses().await;
    let doc = document(&app).await;
    let bearer = token(&app).await;

    // what "no such route" looks like, to tell it from "no such course/attempt"
    let (status, no_route) = call(&app, "get", "/api/v1/tidak-ada", Some(&bearer)).await;
    assert_eq!(status, 404);
    let (status, no_route_post) = call(&app, "post", "/api/v1/tidak/ada", Some(&bearer)).await;
    assert_eq!(status, 404);
    assert_eq!(no_route["detail"], no_route_post["detail"]);
    let (status, missing) = call(&app, "get", "/api/v1/courses/tidak-ada", None).await;
    assert_eq!(status, 404);
    assert_ne!(
        missing["detail"], no_route["detail"],
        "a missing course reads differently from a missing route"
    );

    let ops = operations(&doc);
    assert!(!ops.is_empty());
    for (method, path) in &ops {
        let op = &doc["paths"][path][method];
        let url = concrete(path);
        assert!(!url.contains('{'), "{path}: unknown path parameter");
        let (status, body) = call(&app, method, &url, Some(&bearer)).await;
        assert_ne!(status, 405, "{method} {path}: method not routed");
        assert!(
            !(status == 404 && body["detail"] == no_route["detail"]),
            "{method} {path}: documented but not routed"
        );
        assert!(
            op["responses"].get(status.to_string()).is_some(),
            "{method} {path}: answered {status}, which is not documented: {body}"
        );

        // login required (a security requirement with no anonymous alternative): 401 without
        let security = op["security"].as_array().cloned().unwrap_or_default();
        let login_required = !security.is_empty()
            && security
                .iter()
                .all(|s| s.as_object().is_some_and(|o| !o.is_empty()));
        if login_required {
            let (status, _) = call(&app, method, &url, None).await;
            assert_eq!(status, 401, "{method} {path}: needs a login");
            assert!(op["responses"].get("401").is_some(), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn every_registered_api_route_is_documented() {
    let app = app_with_courses().await;
    let doc = document(&app).await;
    let documented = operations(&doc);
    let registered: BTreeSet<(String, String)> = REGISTERED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(undocumented.is_empty(), "not documented: {undocumented:?}");
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "documented, not in REGISTERED: {unregistered:?}"
    );
}

/// `.route("/api/v1/…", web::get()…)` registrations in the server's source.
fn api_routes_in(dir: &Path, found: &mut BTreeSet<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            api_routes_in(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            for chunk in source.split(".route(").skip(1) {
                let chunk = chunk.trim_start();
                let Some(rest) = chunk.strip_prefix('"') else {
                    continue;
                };
                let Some(end) = rest.find('"') else { continue };
                let route = &rest[..end];
                if !route.starts_with("/api/v1") {
                    continue;
                }
                let after = &rest[end..];
                let method = after
                    .find("web::")
                    .map(|i| &after[i + 5..])
                    .and_then(|m| m.split('(').next())
                    .unwrap_or("");
                found.insert((method.to_string(), route.to_string()));
            }
        }
    }
}

#[test]
fn registered_routes_match_the_source() {
    let mut found = BTreeSet::new();
    api_routes_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("server"),
        &mut found,
    );
    let listed: BTreeSet<(String, String)> = REGISTERED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        found, listed,
        "update REGISTERED from the route registrations"
    );
}

#[tokio::test]
async fn module_content_endpoint() {
    let app = app_with_courses().await;
    let path = format!("/api/v1/courses/{COURSE}/modules/{MODULE}");
    let (status, m) = call(&app, "get", &path, None).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["slug"], MODULE);
    assert_eq!(m["kind"], "lesson");
    assert_eq!(m["position"], 1);
    assert_eq!(m["total"], 6);
    assert!(m["prev"].is_null());
    assert_eq!(m["next"]["slug"], "02-standar-pelayanan");
    assert!(m["html"].as_str().unwrap().contains("<"));
    assert!(m["headings"].is_array());
    assert!(m["quiz"].is_null());

    let (status, q) = call(
        &app,
        "get",
        &format!("/api/v1/courses/{COURSE}/modules/06-kuis-akhir"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(q["kind"], "quiz");
    assert!(q["quiz"]["question_count"].as_i64().unwrap() > 0, "{q}");
    assert!(q["quiz"].get("questions").is_none());
    assert!(q["next"].is_null());

    let (status, body) = call(
        &app,
        "get",
        &format!("/api/v1/courses/{COURSE}/modules/tidak-ada"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["title"], "Halaman tidak ditemukan");

    // an enrolled learner: the module is remembered as the last one opened
    let bearer = token(&app).await;
    let enroll = format!("/api/v1/courses/{COURSE}/enroll");
    assert_eq!(call(&app, "post", &enroll, Some(&bearer)).await.0, 200);
    let third = format!("/api/v1/courses/{COURSE}/modules/03-pengelolaan-pengaduan");
    let (status, m) = call(&app, "get", &third, Some(&bearer)).await;
    assert_eq!(status, 200);
    assert_eq!(m["position"], 3);
    let (_, dash) = call(&app, "get", "/api/v1/me/dashboard", Some(&bearer)).await;
    assert_eq!(
        dash["in_progress"][0]["continue_slug"], "03-pengelolaan-pengaduan",
        "{dash}"
    );
}
