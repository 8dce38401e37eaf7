//! Courses end to end: publishing at start-up and from the CLI, catalog, course and module pages,
//! assets, versions, and what must never reach a page.

use crate::common;
use crate::common::fixtures::{write_dictionary, CourseFolder, PELAYANAN_PUBLIK};

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{spawn_app_with, TestApp};
use cakap::catalog::{batch, store};
use cakap::db::{pool, DatabaseUrl};

fn shipped_courses() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("courses")
        .display()
        .to_string()
}

async fn app_with_samples() -> TestApp {
    spawn_app_with(&[("CAKAP_COURSES_DIR", &shipped_courses())]).await
}

/// A courses folder with a dictionary and one small course; returns (root, course dir).
fn write_course(root: &Path, slug: &str, lesson_body: &str) -> PathBuf {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
    CourseFolder::new(slug)
        .title("Kursus Uji")
        .summary("Kursus untuk pengujian.")
        .jp(2)
        .competency("M.PP", 1)
        .description("Deskripsi kursus uji.")
        .timed_lesson("01-materi", "Materi", 5, lesson_body)
        .quiz(
            "02-kuis",
            "+++\ntitle = \"Kuis\"\nkind = \"quiz\"\n+++\n\n## Ibu kota Indonesia adalah ...\n\n- [x] Jakarta -- RAHASIA-UMPAN-PILIHAN\n- [ ] Bandung\n\n> RAHASIA-UMPAN-BALIK\n\n## Kata rahasia?\n\n= RAHASIA-JAWABAN\n",
        )
        .file(
            "assets/skrip.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script><rect width=\"10\" height=\"10\"/></svg>",
        )
        .write(root)
}

fn publish(db_url: &str, dirs: &[PathBuf], root: &Path) -> Vec<batch::Report> {
    let url = DatabaseUrl::parse(db_url).unwrap();
    let mut conn = pool::connect(&url, false).unwrap();
    let (general, reports) = batch::publish_dirs(
        &mut conn,
        dirs,
        root,
        cakap::catalog::publish::Mode::Explicit,
        &mut |_, _, _| {},
    );
    assert!(general.is_empty(), "{general:#?}");
    reports
}

#[tokio::test]
async fn the_samples_are_published_at_start_up_and_every_page_renders() {
    let app = app_with_samples().await;
    let resp = app.get("/courses").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    for title in [
        "Pelayanan Publik Prima",
        "Literasi Digital dan E-Government",
        "Manajemen Proyek bagi ASN",
        "Komunikasi Efektif di Lingkungan Kerja ASN",
    ] {
        assert!(html.contains(title), "catalog lacks {title}");
    }

    let api: serde_json::Value = app.get("/api/v1/courses").await.json().await.unwrap();
    let courses = api["courses"].as_array().unwrap();
    assert!(courses.len() >= 4);
    for c in courses {
        let slug = c["slug"].as_str().unwrap();
        let page = app.get(&format!("/courses/{slug}")).await;
        assert_eq!(page.status(), 200, "{slug}");
        let page = page.text().await.unwrap();
        assert!(page.contains(c["title"].as_str().unwrap()));
        assert!(page.contains("JP"));
        let detail: serde_json::Value = app
            .get(&format!("/api/v1/courses/{slug}"))
            .await
            .json()
            .await
            .unwrap();
        let modules = detail["modules"].as_array().unwrap();
        assert!(modules.len() >= 5, "{slug} has {} modules", modules.len());
        for m in modules {
            let path = format!("/courses/{slug}/{}", m["slug"].as_str().unwrap());
            let resp = app.get(&path).await;
            assert_eq!(resp.status(), 200, "{path}");
            let html = resp.text().await.unwrap();
            // the title as the page's main heading (not the <title> in the head), and a body
            // with the module's content: a lesson's text or a quiz's facts
            let title = m["title"].as_str().unwrap();
            assert_eq!(
                main_heading(&html).as_deref(),
                Some(title),
                "{path}: the main heading is the module's title"
            );
            let body = between(&html, "<article class=\"prose\">", "</article>")
                .map(visible_text)
                .unwrap_or_default();
            if m["kind"] == "quiz" {
                assert!(
                    html.contains("class=\"card quiz-info\""),
                    "{path}: the quiz's facts"
                );
            } else {
                assert!(
                    body.len() > 20,
                    "{path}: the lesson's text is on the page: {body:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn catalog_search_and_filters() {
    let app = app_with_samples().await;
    let count = |html: &str| html.matches("class=\"card course\"").count();
    let html = app
        .get("/courses?q=pengaduan+pelayanan")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Pelayanan Publik Prima"));
    let html = app.get("/courses?kind=teknis").await.text().await.unwrap();
    assert!(html.contains("Literasi Digital") && html.contains("Manajemen Proyek"));
    assert!(!html.contains("Komunikasi Efektif di Lingkungan"));
    let html = app
        .get("/courses?competency=M.KOM")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count(&html), 1);
    let html = app.get("/courses?jp=1-4").await.text().await.unwrap();
    assert_eq!(count(&html), 1, "only Komunikasi Efektif has 4 JP");
    let html = app
        .get("/courses?q=tidak-ada-kata-ini")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count(&html), 0);
    assert!(html.contains("Tidak ada kursus yang cocok"));
    let api: serde_json::Value = app
        .get("/api/v1/courses?kind=teknis&jp=5-8")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api["count"], 2);
}

#[tokio::test]
async fn a_module_page_is_small_on_the_wire() {
    let app = app_with_samples().await;
    let gz = reqwest::Client::new(); // no gzip feature: bodies stay compressed
    let size = |path: String| {
        let gz = gz.clone();
        let url = app.url(&path);
        async move {
            let resp = gz
                .get(url)
                .header("Accept-Encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            resp.bytes().await.unwrap().len()
        }
    };
    let page_html = app
        .get("/courses/pelayanan-publik-prima/02-standar-pelayanan")
        .await
        .text()
        .await
        .unwrap();
    let start = page_html.find("/static/app.").unwrap();
    let css = page_html[start..start + page_html[start..].find('"').unwrap()].to_string();
    let css = size(css).await;
    // every module page of every sample course, with its CSS, fits in 30 KB compressed
    let api: serde_json::Value = app.get("/api/v1/courses").await.json().await.unwrap();
    for c in api["courses"].as_array().unwrap() {
        let slug = c["slug"].as_str().unwrap();
        let detail: serde_json::Value = app
            .get(&format!("/api/v1/courses/{slug}"))
            .await
            .json()
            .await
            .unwrap();
        for m in detail["modules"].as_array().unwrap() {
            let path = format!("/courses/{slug}/{}", m["slug"].as_str().unwrap());
            let page = size(path.clone()).await;
            assert!(
                page + css <= 30 * 1024,
                "{path}: {page} B + css {css} B compressed"
            );
        }
    }
}

#[tokio::test]
async fn unknown_courses_modules_and_versions_are_404() {
    let app = app_with_samples().await;
    for path in [
        "/courses/tidak-ada",
        "/courses/pelayanan-publik-prima/99-tidak-ada",
        "/courses/pelayanan-publik-prima/versions/0000000000000",
        "/courses/pelayanan-publik-prima/versions/zz",
        "/assets/0123456789abcdef0123456789abcdef/x.png",
        "/assets/short/x.png",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    assert_eq!(app.get("/api/v1/courses/tidak-ada").await.status(), 404);
}

#[tokio::test]
async fn author_script_never_reaches_a_page_and_svg_is_sandboxed() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_course(
        root.path(),
        "kursus-uji",
        "Halo <script>alert('x')</script> dunia.\n\n<p onclick=\"curi()\">klik</p>\n\n[tautan](javascript:alert(1))\n\n![skrip](assets/skrip.svg)\n",
    );
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let html = app
        .get("/courses/kursus-uji/01-materi")
        .await
        .text()
        .await
        .unwrap();
    let lower = html.to_lowercase();
    assert!(lower.contains("dunia"));
    // the only script is Cakap's own file; the author's never reaches the page
    for (at, _) in lower.match_indices("<script") {
        assert!(
            lower[at..].starts_with("<script src=\"/static/app."),
            "a script other than Cakap's own: {}",
            &lower[at..(at + 60).min(lower.len())]
        );
    }
    assert!(
        !lower.contains("alert("),
        "the author's script reached the page"
    );
    for bad in ["onclick", "javascript:"] {
        assert!(!lower.contains(bad), "{bad} reached the page");
    }
    // answers and feedback are not on the quiz page
    let quiz = app
        .get("/courses/kursus-uji/02-kuis")
        .await
        .text()
        .await
        .unwrap();
    for secret in ["RAHASIA-UMPAN", "RAHASIA-JAWABAN", "Jakarta"] {
        assert!(!quiz.contains(secret), "{secret} leaked into the quiz page");
    }
    assert!(quiz.contains("2 dari 2 soal"), "{quiz}");
    // the SVG asset is served so that it cannot run script
    let start = html.find("/assets/").expect("image on the page");
    let src = &html[start..start + html[start..].find('"').unwrap()];
    let resp = app.get(src).await;
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("sandbox"), "{csp}");
    assert_eq!(
        resp.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    drop(dir);
}

#[tokio::test]
async fn same_files_change_nothing_and_a_change_makes_a_new_version_while_the_old_stays_readable() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_course(root.path(), "kursus-versi", "Isi versi pertama.");
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let url = app.db.url.clone();

    // started once: published; again: unchanged
    let reports = publish(&url, std::slice::from_ref(&dir), root.path());
    assert!(
        reports[0]
            .line()
            .contains(": unchanged, nothing to publish"),
        "{}",
        reports[0].line()
    );
    let conn_url = DatabaseUrl::parse(&url).unwrap();
    let mut conn = pool::connect(&conn_url, false).unwrap();
    let v1 = store::versions_of(&mut conn, "kursus-versi").unwrap();
    assert_eq!(v1.len(), 1);

    std::fs::write(
        dir.join("01-materi.md"),
        "+++\ntitle = \"Materi\"\n+++\n\nIsi versi kedua.\n",
    )
    .unwrap();
    let reports = publish(&url, std::slice::from_ref(&dir), root.path());
    assert!(
        reports[0].line().contains("published a new version"),
        "{}",
        reports[0].line()
    );
    let versions = store::versions_of(&mut conn, "kursus-versi").unwrap();
    assert_eq!(versions.len(), 2);

    let current = app
        .get("/courses/kursus-versi/01-materi")
        .await
        .text()
        .await
        .unwrap();
    assert!(current.contains("Isi versi kedua."));
    let old_hash = &v1[0].1[..12];
    let old = app
        .get(&format!(
            "/courses/kursus-versi/versions/{old_hash}/01-materi"
        ))
        .await;
    assert_eq!(old.status(), 200);
    let old = old.text().await.unwrap();
    assert!(old.contains("Isi versi pertama."));
    assert!(old.contains("versi lama"));
    let course = app
        .get(&format!("/courses/kursus-versi/versions/{old_hash}"))
        .await;
    assert_eq!(course.status(), 200);

    // back to the first files: the first version is current again, no third version
    std::fs::write(
        dir.join("01-materi.md"),
        "+++\ntitle = \"Materi\"\nminutes = 5\n+++\n\nIsi versi pertama.\n",
    )
    .unwrap();
    let reports = publish(&url, std::slice::from_ref(&dir), root.path());
    assert!(
        reports[0].line().contains("restored"),
        "{}",
        reports[0].line()
    );
    assert_eq!(
        store::versions_of(&mut conn, "kursus-versi").unwrap().len(),
        2
    );
}

#[tokio::test]
async fn a_broken_course_is_skipped_at_start_up_and_the_others_are_served() {
    let root = tempfile::tempdir().unwrap();
    write_course(root.path(), "kursus-baik", "Baik.");
    let bad = write_course(root.path(), "kursus-rusak", "[hilang](09-tidak-ada.md)");
    drop(bad);
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    assert_eq!(app.get("/courses/kursus-baik").await.status(), 200);
    assert_eq!(app.get("/courses/kursus-rusak").await.status(), 404);
}

#[tokio::test]
async fn prerequisites_must_be_published_and_are_shown() {
    let root = tempfile::tempdir().unwrap();
    write_course(root.path(), "kursus-dasar", "Dasar.");
    let lanjut = write_course(root.path(), "kursus-lanjut", "Lanjut.");
    let course_md = std::fs::read_to_string(lanjut.join("course.md")).unwrap();
    std::fs::write(
        lanjut.join("course.md"),
        course_md.replace("jp = 2\n", "jp = 2\nprerequisites = [\"kursus-dasar\"]\n"),
    )
    .unwrap();
    let app = spawn_app_with(&[(
        "CAKAP_COURSES_DIR",
        &root.path().join("none").display().to_string(),
    )])
    .await;
    // alone, the advanced course is refused
    let reports = publish(&app.db.url, std::slice::from_ref(&lanjut), root.path());
    assert!(
        reports[0]
            .line()
            .contains("prerequisite `kursus-dasar` is not a published course"),
        "{}",
        reports[0].line()
    );
    // together, the basic one goes first whatever the order given
    let reports = publish(
        &app.db.url,
        &[lanjut.clone(), root.path().join("kursus-dasar")],
        root.path(),
    );
    assert!(
        reports.iter().all(|r| r.ok()),
        "{:#?}",
        reports.iter().map(|r| r.line()).collect::<Vec<_>>()
    );
    let html = app
        .get("/courses/kursus-lanjut")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Prasyarat") && html.contains("href=\"/courses/kursus-dasar\""));
}

#[test]
fn cli_publish_reports_each_course_and_fails_on_errors() {
    let db = common::TestDatabase::fresh();
    let root = db.dir().join("kursus");
    let good = write_course(&root, "kursus-cli", "Isi.");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cakap"))
            .args(args)
            .env("CAKAP_DATABASE_URL", &db.url)
            .env("CAKAP_COURSES_DIR", &root)
            .env("CAKAP_LOG", "warn")
            .output()
            .unwrap()
    };
    let good_s = good.display().to_string();
    let out = run(&["courses", "publish", &good_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kursus-cli: published (first version)"));
    let out = run(&["courses", "publish", &good_s]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("unchanged"));

    let bad = write_course(&root, "kursus-cli-rusak", "[x](assets/hilang.png)");
    let bad_s = bad.display().to_string();
    let out = run(&["courses", "publish", &bad_s]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("01-materi.md:6: link to a missing file `assets/hilang.png`"),
        "{err}"
    );
}

// ---------- issue 22, item 6: conditional GET for pages and course assets ----------

/// `GET path` with `If-None-Match: tag`.
async fn get_if_none_match(app: &TestApp, path: &str, tag: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .header("If-None-Match", tag)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn pages_and_course_assets_answer_304_to_their_etag_and_200_to_another() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_course(
        root.path(),
        "kursus-uji",
        "Isi.\n\n![gambar](assets/gambar.png)\n",
    );
    // a tiny PNG (1×1)
    std::fs::write(
        dir.join("assets/gambar.png"),
        [
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
            0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49,
            0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0,
            0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
        ],
    )
    .unwrap();
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;

    // pages: the catalog, a course page and a module page each carry a weak ETag
    let mut module_html = String::new();
    for path in [
        "/courses",
        "/courses/kursus-uji",
        "/courses/kursus-uji/01-materi",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let tag = r.headers()["etag"].to_str().unwrap().to_string();
        assert!(tag.starts_with("W/\""), "{path}: a weak tag {tag}");
        assert_eq!(r.headers()["cache-control"], "private, no-cache", "{path}");
        let body = r.text().await.unwrap();
        let r = get_if_none_match(&app, path, &tag).await;
        assert_eq!(r.status(), 304, "{path}: its own tag");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), tag, "{path}");
        assert!(r.bytes().await.unwrap().is_empty(), "{path}: no body");
        let other = format!("W/\"{}\"", "0".repeat(24));
        let r = get_if_none_match(&app, path, &other).await;
        assert_eq!(r.status(), 200, "{path}: a changed tag gets the page");
        assert_eq!(r.text().await.unwrap(), body, "{path}");
        if path.ends_with("01-materi") {
            module_html = body;
        }
    }

    // the course's image: a strong tag (its hash), 304 to it, 200 with the bytes to another
    let start = module_html
        .find("/assets/")
        .expect("the image is on the page");
    let src = module_html[start..start + module_html[start..].find('"').unwrap()].to_string();
    assert!(src.ends_with("gambar.png"), "{src}");
    let r = app.get(&src).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let tag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(!tag.starts_with("W/"), "{tag}");
    let png = r.bytes().await.unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let changed = format!("\"{}\"", "f".repeat(64));
    let r = get_if_none_match(&app, &src, &changed).await;
    assert_eq!(r.status(), 200, "a changed tag gets the image");
    assert_eq!(r.bytes().await.unwrap(), png);
    let r = get_if_none_match(&app, &src, &tag).await;
    assert_eq!(r.status(), 304);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(r.bytes().await.unwrap().is_empty());
    // the README: "answer 304 without reading the database" — the address names the content
    // (its hash), so a browser naming that hash is answered from the request alone: even for a
    // hash the database never held
    let unknown = "ab".repeat(32);
    let r = get_if_none_match(
        &app,
        &format!("/assets/{unknown}/x.png"),
        &format!("\"{unknown}\""),
    )
    .await;
    assert_eq!(r.status(), 304, "no database read for a named asset");
    assert_eq!(
        app.get(&format!("/assets/{unknown}/x.png")).await.status(),
        404,
        "asked without the tag, it is looked up (and is not there)"
    );
}

/// The text between the first `start` and the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let to = html[from..].find(end)? + from;
    Some(&html[from..to])
}

/// What a reader sees of an HTML fragment: tags dropped, the entities templates write decoded,
/// whitespace squeezed.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x3D;", "=")
        .replace("&#x60;", "`")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The page's one `<h1>`, as text.
fn main_heading(html: &str) -> Option<String> {
    assert_eq!(html.matches("<h1").count(), 1, "one main heading");
    let start = html.find("<h1")?;
    let open_end = html[start..].find('>')? + start + 1;
    between(&html[start..], &html[start..open_end], "</h1>").map(visible_text)
}
