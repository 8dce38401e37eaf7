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

/// Every string in `v` that reads as a date and time (`YYYY-MM-DDTHH:MM…`), with where it is.
fn instants(v: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            let looks = b.len() >= 16
                && b[4] == b'-'
                && b[7] == b'-'
                && (b[10] == b'T' || b[10] == b' ')
                && b[13] == b':'
                && b[..4].iter().all(u8::is_ascii_digit);
            if looks {
                found.push((at.to_string(), s.clone()));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                instants(item, &format!("{at}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                instants(item, &format!("{at}.{k}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_instant_the_api_answers_is_rfc3339_in_utc() {
    let app = app_with_courses().await;
    let bearer = token(&app).await;
    let mut answers = Vec::new();
    let enroll = format!("/api/v1/courses/{COURSE}/enroll");
    answers.push(("enroll", call(&app, "post", &enroll, Some(&bearer)).await));
    let done = format!("/api/v1/courses/{COURSE}/modules/{MODULE}/done");
    answers.push(("done", call(&app, "post", &done, Some(&bearer)).await));
    let quiz = format!("/api/v1/courses/{COURSE}/modules/06-kuis-akhir/attempts");
    let started = call(&app, "post", &quiz, Some(&bearer)).await;
    let id = started.1["attempt"]["id"].as_i64().expect("an attempt");
    answers.push(("start", started));
    let submit = format!("/api/v1/attempts/{id}/submit");
    let resp = app
        .client
        .post(app.url(&submit))
        .bearer_auth(&bearer)
        .json(&json!({"answers": {"1": {"choices": [0]}}}))
        .send()
        .await
        .unwrap();
    answers.push((
        "submit",
        (resp.status().as_u16(), resp.json().await.unwrap()),
    ));
    for path in [
        "/api/v1/me".to_string(),
        "/api/v1/me/dashboard".to_string(),
        "/api/v1/me/profile".to_string(),
        "/api/v1/me/certificates".to_string(),
        format!("/api/v1/courses/{COURSE}"),
        format!("/api/v1/attempts/{id}"),
    ] {
        let answer = call(&app, "get", &path, Some(&bearer)).await;
        answers.push((Box::leak(path.into_boxed_str()), answer));
    }
    let mut found = Vec::new();
    for (what, (status, body)) in &answers {
        assert!(*status < 300, "{what}: {status} {body}");
        instants(body, what, &mut found);
    }
    // published_at, enrolled_at, email_verified_at, started_at, submitted_at, deadline_at, …
    assert!(found.len() >= 8, "too few instants to judge: {found:?}");
    for (at, s) in &found {
        assert!(
            s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            "{at} = {s}: an instant must be RFC 3339 in UTC (…Z)"
        );
    }
}

#[tokio::test]
async fn an_undeclared_method_on_an_api_path_is_405_with_allow() {
    let app = app_with_courses().await;
    let bearer = token(&app).await;
    for (method, path, allow) in [
        ("DELETE", "/api/v1/me", "GET, HEAD"),
        ("TRACE", "/api/v1/me/profile", "GET, HEAD"),
        ("PUT", "/api/v1/attempts/12/submit", "POST"),
        ("GET", "/api/v1/attempts/12/submit", "POST"),
        ("PATCH", "/api/v1/courses", "GET, HEAD"),
        ("DELETE", "/api/v1/people/3/placement", "PUT"),
    ] {
        let resp = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(path),
            )
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(resp.headers()[header::ALLOW], allow, "{method} {path}");
        assert_eq!(
            resp.headers()[header::CONTENT_TYPE],
            "application/problem+json",
            "{method} {path}"
        );
    }
    // no such path: still 404
    let resp = app
        .client
        .delete(app.url("/api/v1/tidak-ada"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.headers().get(header::ALLOW).is_none());
}

/// The operation `method path` of the document.
fn op<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is documented");
    op
}

/// A component schema by the `$ref` of a request body's JSON content.
fn body_schema<'a>(doc: &'a Value, op: &Value) -> &'a Value {
    let r = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .expect("a schema reference");
    &doc["components"]["schemas"][r.rsplit('/').next().unwrap()]
}

#[tokio::test]
async fn the_document_states_the_constraints_the_server_checks() {
    let app = app_with_courses().await;
    let doc = document(&app).await;

    // answers are keyed by question position and are choices or text
    let submit = body_schema(&doc, op(&doc, "post", "/api/v1/attempts/{id}/submit"));
    assert_eq!(submit["required"], json!(["answers"]));
    let answers = &submit["properties"]["answers"];
    assert_eq!(answers["propertyNames"]["pattern"], "^[1-9][0-9]{0,3}$");
    let kinds = answers["additionalProperties"]["oneOf"].as_array().unwrap();
    assert_eq!(kinds.len(), 2, "{answers}");
    assert_eq!(kinds[0]["properties"]["choices"]["items"]["minimum"], 0);
    assert_eq!(kinds[1]["properties"]["text"]["maxLength"], 500);

    // the Idempotency-Key header
    let done = op(&doc, "post", "/api/v1/courses/{slug}/modules/{module}/done");
    let key = done["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("the header is documented");
    assert_eq!(key["in"], "header");
    assert_eq!(key["schema"]["maxLength"], 128);
    assert_eq!(key["schema"]["minLength"], 1);
    assert_eq!(key["schema"]["pattern"], "^[!-~]+$");

    // a rating is 1–5 and required; a revocation needs a reason
    let reaction = body_schema(&doc, op(&doc, "post", "/api/v1/courses/{slug}/reaction"));
    assert_eq!(reaction["required"], json!(["rating"]));
    assert_eq!(reaction["properties"]["rating"]["minimum"], 1);
    assert_eq!(reaction["properties"]["rating"]["maximum"], 5);
    let revoke = body_schema(&doc, op(&doc, "post", "/api/v1/certificates/{code}/revoke"));
    assert_eq!(revoke["required"], json!(["reason"]));
    assert_eq!(revoke["properties"]["reason"]["maxLength"], 500);
    assert!(revoke["properties"]["reason"]["pattern"].is_string());

    // ids are positive
    for (method, path) in operations(&doc) {
        for p in op(&doc, &method, &path)["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            if p["in"] == "path" && p["name"] == "id" {
                assert_eq!(p["schema"]["minimum"], 1, "{method} {path}");
            }
        }
    }

    // the upload is raw bytes
    let upload = op(&doc, "post", "/api/v1/author/courses");
    for media in ["application/zip", "application/octet-stream"] {
        let r = upload["requestBody"]["content"][media]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{media}: {upload}"));
        let archive = &doc["components"]["schemas"][r.rsplit('/').next().unwrap()];
        assert_eq!(archive["type"], "string", "{archive}");
        assert_eq!(archive["format"], "binary", "{archive}");
    }

    // …and the server holds to them
    let bearer = token(&app).await;
    let post = |path: String, body: Value| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&bearer)
            .json(&body)
            .send()
    };
    let reaction = format!("/api/v1/courses/{COURSE}/reaction");
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({}),
        json!({"rating": 2.5}),
    ] {
        assert_eq!(
            post(reaction.clone(), bad.clone()).await.unwrap().status(),
            400,
            "{bad}"
        );
    }
    // well-formed (2.0 is the integer 2), but the course is not completed: a conflict
    for fine in [json!({"rating": 2}), json!({"rating": 2.0})] {
        assert_eq!(
            post(reaction.clone(), fine.clone()).await.unwrap().status(),
            409,
            "{fine}"
        );
    }
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/courses/{COURSE}/modules/{MODULE}/done")))
        .bearer_auth(&bearer)
        .header("Idempotency-Key", "kunci dengan spasi")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "a key with a space");
    // a well-formed body naming an agency that does not exist: not found, and which
    let r = post(
        "/api/v1/me/placement-requests".into(),
        json!({"agency_id": 999_999}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("no such agency"),
        "{body}"
    );
}
