//! Every main learner page, with the CSS, JavaScript and icon it loads, weighs at most 30 KB on
//! the wire (gzip, as the server sends it) — for ASN who pay for data by the megabyte. Prints the
//! weight of each page; fails on any page over budget.

use std::path::Path;

use crate::common::fixtures::Person;
use crate::common::{spawn_app_with, TestApp};
use serde_json::{json, Value};

const BUDGET: usize = 30 * 1024;
const PW: &str = "Belajar-Hemat-2026";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The sample courses, plus a short course with a one-question quiz to earn a certificate.
fn courses(root: &Path) {
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("courses"), root);
    let dir = root.join("etika-singkat");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("course.md"),
        "+++\ntitle = \"Etika Birokrasi Singkat\"\nsummary = \"Kode etik ASN sehari-hari.\"\njp = 2\n\n[[competencies]]\ncode = \"M.INT\"\nlevel = 1\n+++\n\nKursus singkat.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("01-materi.md"),
        "+++\ntitle = \"Gratifikasi\"\n+++\n\nTolak atau laporkan setiap pemberian yang berhubungan dengan jabatan.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("02-kuis.md"),
        "+++\ntitle = \"Kuis\"\nkind = \"quiz\"\n+++\n\n## Gratifikasi wajib dilaporkan paling lambat 30 hari kerja.\n\n- [x] Benar\n- [ ] Salah\n",
    )
    .unwrap();
}

/// Compressed size of `path` as `b` fetches it (the client does not decompress).
async fn wire_size(app: &TestApp, b: &reqwest::Client, path: &str) -> (usize, String) {
    let r = b
        .get(app.url(path))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let compressed = r.headers().get("content-encoding").is_some();
    let bytes = r.bytes().await.unwrap();
    assert!(
        compressed || bytes.len() < 1024,
        "{path} is sent compressed"
    );
    let text = if compressed {
        String::new()
    } else {
        String::from_utf8_lossy(&bytes).to_string()
    };
    (bytes.len(), text)
}

/// The page's HTML, decompressed (for the links it loads).
async fn html(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    b.get(app.url(path))
        .header("Accept-Encoding", "identity")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// `/static/…` URLs a page loads (stylesheet, script, icon).
fn static_urls(html: &str) -> Vec<String> {
    let mut out: Vec<String> = html
        .match_indices("\"/static/")
        .map(|(at, _)| {
            let rest = &html[at + 1..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .filter(|u| u.ends_with(".css") || u.ends_with(".js") || u.ends_with(".svg"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Start an attempt from the quiz page; its address.
async fn start_quiz(app: &TestApp, b: &reqwest::Client, quiz: &str) -> String {
    let r = app.post_form(b, quiz, &format!("{quiz}/start"), &[]).await;
    assert_eq!(r.status(), 303);
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn every_main_learner_page_is_at_most_30_kb_compressed() {
    let root = tempfile::tempdir().unwrap();
    courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    Person::new("ratna@kab-banyumas.go.id")
        .name("Ratna Dewi Kusumawardhani, S.E., M.Si.")
        .password(PW)
        .nip("198703122010012002")
        .insert(&mut app.conn());
    let bearer = app.token_of("ratna@kab-banyumas.go.id", PW).await;
    let api = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Value| {
        api.request(method, app.url(path))
            .bearer_auth(&bearer)
            .json(&body)
            .send()
    };
    // enrolled in a sample course; the short one completed with a certificate
    for slug in ["komunikasi-efektif", "etika-singkat"] {
        let r = call(
            reqwest::Method::POST,
            &format!("/api/v1/courses/{slug}/enroll"),
            json!({}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
    }
    call(
        reqwest::Method::POST,
        "/api/v1/courses/etika-singkat/modules/01-materi/done",
        json!({}),
    )
    .await
    .unwrap();
    let attempt: Value = call(
        reqwest::Method::POST,
        "/api/v1/courses/etika-singkat/modules/02-kuis/attempts",
        json!({}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let benar = attempt["paper"]["questions"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["html"].as_str().unwrap().contains("Benar"))
        .unwrap()["index"]
        .clone();
    let graded: Value = call(
        reqwest::Method::POST,
        &format!("/api/v1/attempts/{}/submit", attempt["attempt"]["id"]),
        json!({"answers": {"1": {"choices": [benar]}}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(graded["attempt"]["passed"], true, "{graded}");
    let mine: Value = call(reqwest::Method::GET, "/api/v1/me/certificates", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = mine["certificates"][0]["code"]
        .as_str()
        .unwrap()
        .to_string();

    // a browser: the sample quiz (20 questions) opened, and another attempt submitted empty
    // (confirmed at the review step)
    let b = app.browser_as("ratna@kab-banyumas.go.id", PW).await;
    let quiz = "/courses/komunikasi-efektif/90-kuis-akhir/quiz";
    let open_attempt = start_quiz(&app, &b, quiz).await;
    let submitted = {
        let confirm = [("confirm", "1")];
        let r = app
            .post_form(
                &b,
                &open_attempt,
                &format!("{open_attempt}/submit"),
                &confirm,
            )
            .await;
        assert_eq!(r.status(), 303);
        open_attempt.clone()
    };
    let open_attempt = start_quiz(&app, &b, quiz).await;

    let mut pages: Vec<(String, bool)> = [
        "/",
        "/courses",
        "/courses/komunikasi-efektif",
        "/courses/etika-singkat",
        quiz,
        &open_attempt,
        &submitted,
        "/me",
        "/me/profile",
        "/me/certificates",
        &format!("/me/certificates/{code}"),
        &format!("/v/{code}"),
        "/me/activities",
        "/me/account",
        "/offline",
    ]
    .iter()
    .map(|p| (p.to_string(), true))
    .collect();
    let course: Value = app
        .get("/api/v1/courses/komunikasi-efektif")
        .await
        .json()
        .await
        .unwrap();
    for m in course["modules"].as_array().unwrap() {
        pages.push((
            format!(
                "/courses/komunikasi-efektif/{}",
                m["slug"].as_str().unwrap()
            ),
            true,
        ));
    }
    for p in ["/login", "/register", "/courses", "/v"] {
        pages.push((p.to_string(), false));
    }

    let anonymous = app.new_browser();
    let mut report = Vec::new();
    let mut over = Vec::new();
    for (path, logged_in) in &pages {
        let client = if *logged_in { &b } else { &anonymous };
        let (page, _) = wire_size(&app, client, path).await;
        let mut total = page;
        for url in static_urls(&html(&app, client, path).await) {
            total += wire_size(&app, client, &url).await.0;
        }
        let who = if *logged_in { "learner" } else { "visitor" };
        report.push(format!(
            "{total:>6} B  ({page:>6} B page)  {who:<7}  {path}"
        ));
        if total > BUDGET {
            over.push(format!("{path}: {total} B"));
        }
    }
    println!("compressed weight with CSS, JS and icon (budget {BUDGET} B):");
    for line in &report {
        println!("  {line}");
    }
    assert!(
        over.is_empty(),
        "over {BUDGET} B: {over:?}\n{}",
        report.join("\n")
    );
    assert!(report.len() >= 25, "every main page measured");
}

/// Every image in every sample module page is lazy-loaded with its width and height set (the
/// header's own icon, above the fold, only needs the size).
#[tokio::test]
async fn images_are_lazy_with_width_and_height() {
    let root = tempfile::tempdir().unwrap();
    courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let api: Value = app.get("/api/v1/courses").await.json().await.unwrap();
    let mut course_images = 0;
    for c in api["courses"].as_array().unwrap() {
        let slug = c["slug"].as_str().unwrap();
        let detail: Value = app
            .get(&format!("/api/v1/courses/{slug}"))
            .await
            .json()
            .await
            .unwrap();
        for m in detail["modules"].as_array().unwrap() {
            let path = format!("/courses/{slug}/{}", m["slug"].as_str().unwrap());
            let html = app.get(&path).await.text().await.unwrap();
            for (at, _) in html.match_indices("<img ") {
                let tag = &html[at..at + html[at..].find('>').unwrap()];
                assert!(
                    tag.contains(" width=\"") && tag.contains(" height=\""),
                    "{path}: {tag}"
                );
                if tag.contains("/assets/") {
                    course_images += 1;
                    assert!(tag.contains("loading=\"lazy\""), "{path}: {tag}");
                }
            }
        }
    }
    assert!(course_images >= 2, "the samples' figures were checked");
}
