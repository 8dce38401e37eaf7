//! Authors in the browser, over HTTP as a browser drives it: upload a course folder as a .zip
//! (errors shown as `cakap courses check` shows them), preview the draft with its answer key,
//! publish, edit a module into a new draft, publish again — learners on the old version keep it —,
//! compare versions, archive, download a version that `courses check` accepts, import a GIFT file,
//! and refuse hostile archives without writing anything.

use crate::common;
use crate::common::fixtures::Person;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::common::{spawn_app_with, TestApp};
use cakap::catalog::{check, folder, workspace};
use reqwest::Client;
use serde_json::Value;

const PW: &str = "Menulis-Kursus-2026";
const SLUG: &str = "pelayanan-publik-prima";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The shipped sample course as an author would zip it: the folder, with the dictionary beside it.
fn sample_zip(change: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut files = vec![(
        "competencies.toml".to_string(),
        std::fs::read(repo().join("courses/competencies.toml")).unwrap(),
    )];
    for (rel, bytes) in files_under(&repo().join("courses").join(SLUG)) {
        let bytes = change(&rel, bytes);
        files.push((format!("{SLUG}/{rel}"), bytes));
    }
    workspace::zip_of(&files).unwrap()
}

async fn upload(
    app: &TestApp,
    b: &Client,
    slug: Option<&str>,
    name: &str,
    zip: Vec<u8>,
) -> (u16, String) {
    let page = b
        .get(app.url("/author/courses"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&page);
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf);
    if let Some(s) = slug {
        form = form.text("slug", s.to_string());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(zip)
            .file_name(name.to_string())
            .mime_str("application/zip")
            .unwrap(),
    );
    let r = b
        .post(app.url("/author/courses/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// The version id in a result page's preview link.
fn version_in(html: &str) -> i64 {
    let marker = format!("/author/courses/{SLUG}/versions/");
    let start = html.find(&marker).expect("a link to the version") + marker.len();
    html[start..].split('/').next().unwrap().parse().unwrap()
}

async fn get(app: &TestApp, b: &Client, path: &str) -> (u16, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

async fn publish(app: &TestApp, b: &Client, id: i64) {
    let r = app
        .post_form(
            b,
            &format!("/author/courses/{SLUG}"),
            &format!("/author/courses/{SLUG}/versions/{id}/publish"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.ends_with("notice=published"), "{to}");
}

async fn enroll(app: &TestApp, email: &str) -> reqwest::StatusCode {
    let bearer = app.token_of(email, PW).await;
    reqwest::Client::new()
        .post(app.url(&format!("/api/v1/courses/{SLUG}/enroll")))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .status()
}

fn no_courses_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// An app with no shipped courses and an author (penulis@bpsdm.go.id); keep the folder for as
/// long as the app runs.
async fn with_author() -> (tempfile::TempDir, TestApp) {
    let empty = no_courses_dir();
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &empty.path().display().to_string())]).await;
    Person::new("penulis@bpsdm.go.id")
        .name("Pegawai penulis")
        .password(PW)
        .author()
        .create(&app);
    (empty, app)
}

/// [`with_author`] and a learner (pegawai@kab.go.id).
async fn author_and_learner() -> (tempfile::TempDir, TestApp) {
    let (empty, app) = with_author().await;
    Person::new("pegawai@kab.go.id")
        .name("Pegawai pegawai")
        .password(PW)
        .create(&app);
    (empty, app)
}

#[tokio::test]
async fn an_author_uploads_previews_publishes_edits_and_publishes_again() {
    let (_empty, app) = with_author().await;
    Person::new("penulis.lain@bpsdm.go.id")
        .name("Pegawai penulis.lain")
        .password(PW)
        .author()
        .create(&app);
    Person::new("pegawai.lama@kab.go.id")
        .name("Pegawai pegawai.lama")
        .password(PW)
        .create(&app);
    Person::new("pegawai.baru@kab.go.id")
        .name("Pegawai pegawai.baru")
        .password(PW)
        .create(&app);
    let author = app.browser_as("penulis@bpsdm.go.id", PW).await;
    let other = app.browser_as("penulis.lain@bpsdm.go.id", PW).await;
    let learner = app.browser_as("pegawai.lama@kab.go.id", PW).await;

    let (s, html) = get(&app, &author, "/author/courses").await;
    assert_eq!(s, 200);
    assert!(html.contains("Kursus saya"), "{html}");
    assert_eq!(get(&app, &learner, "/author/courses").await.0, 403);

    // a broken course: every error is shown as file, line and advice, as `courses check` finds them
    let broken = sample_zip(|rel, bytes| {
        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
        match rel {
            "course.md" => text.replacen("jp = ", "jp = \"enam\" # ", 1).into_bytes(),
            "06-kuis-akhir.md" => text.replace("- [x]", "- [ ]").into_bytes(),
            _ => bytes,
        }
    });
    // in Indonesian (the default), what an author reads: the front matter's findings translated
    let (s, html) = upload(&app, &author, None, "kursus.zip", broken.clone()).await;
    assert_eq!(s, 422, "{html}");
    assert!(
        html_unescape(&html)
            .contains("`jp` harus berupa bilangan bulat, bukan teks; tulis seperti jp = 6"),
        "{html}"
    );
    // in English, the very messages `cakap courses check` prints
    author.get(app.url("/lang/en?next=/")).send().await.unwrap();
    let (s, html) = upload(&app, &author, None, "kursus.zip", broken.clone()).await;
    author.get(app.url("/lang/id?next=/")).send().await.unwrap();
    assert_eq!(s, 422, "{html}");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    zip::ZipArchive::new(std::io::Cursor::new(broken))
        .unwrap()
        .extract(root)
        .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert!(!check::run(&[root.join(SLUG)], root, &mut out, &mut err));
    let report = String::from_utf8(err).unwrap();
    let mut errors = 0;
    for line in report
        .lines()
        .filter(|l| !l.contains(": warning: ") && l.contains(SLUG))
    {
        // `/tmp/…/pelayanan-publik-prima/06-kuis-akhir.md:11: message`
        let rel = line.rsplit_once(&format!("{SLUG}/")).map(|p| p.1).unwrap();
        let (file, rest) = rel.split_once(':').unwrap();
        let rest = rest.trim_start();
        let (line_no, message) = match rest.split_once(": ") {
            Some((n, m)) if n.chars().all(|c| c.is_ascii_digit()) => (Some(n), m),
            _ => (None, rest),
        };
        assert!(
            html.contains(&html_escape(message)),
            "the page lacks `{message}`:\n{html}"
        );
        let where_ = match line_no {
            Some(n) => format!("{file}:{n}"),
            None => file.to_string(),
        };
        assert!(
            html.contains(&format!("<span class=\"where\">{where_}</span>")),
            "{where_} missing:\n{html}"
        );
        errors += 1;
    }
    assert!(errors >= 2, "{report}");
    assert!(
        report.contains("/course.md:4:") && report.contains("/06-kuis-akhir.md:11:"),
        "{report}"
    );
    // nothing was stored
    assert!(get(&app, &author, "/author/courses")
        .await
        .1
        .contains("Anda belum memiliki kursus"));

    // the real course becomes a draft that learners cannot see
    let (s, html) = upload(&app, &author, None, "kursus.zip", sample_zip(|_, b| b)).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("disimpan sebagai draf"), "{html}");
    let v1 = version_in(&html);
    assert_eq!(
        get(&app, &learner, &format!("/courses/{SLUG}")).await.0,
        404
    );
    assert!(!get(&app, &learner, "/courses").await.1.contains(SLUG));
    assert_eq!(enroll(&app, "pegawai.lama@kab.go.id").await.as_u16(), 404);
    let (_, listing) = get(&app, &author, "/author/courses").await;
    assert!(
        listing.contains("Pelayanan Publik Prima") && listing.contains("Draf"),
        "{listing}"
    );

    // preview: the course and its quiz as learners see them, with the answer key for the author
    let (s, frame) = get(
        &app,
        &author,
        &format!("/author/courses/{SLUG}/versions/{v1}/preview"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        frame.contains("<iframe class=\"preview-frame phone\""),
        "{frame}"
    );
    assert!(get(
        &app,
        &author,
        &format!("/author/courses/{SLUG}/versions/{v1}/preview?device=desktop")
    )
    .await
    .1
    .contains("preview-frame desktop"));
    let r = author
        .get(app.url(&format!("/author/courses/{SLUG}/versions/{v1}/view")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-frame-options"], "SAMEORIGIN");
    let page = r.text().await.unwrap();
    assert!(page.contains("Pratinjau penulis") && page.contains("Pelayanan Publik Prima"));
    assert!(page.contains(&format!(
        "/author/courses/{SLUG}/versions/{v1}/view/01-pengantar-pelayanan-publik"
    )));
    let (s, quiz) = get(
        &app,
        &author,
        &format!("/author/courses/{SLUG}/versions/{v1}/view/06-kuis-akhir"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        quiz.contains("Kunci jawaban") && quiz.contains("✓ benar"),
        "{quiz}"
    );
    // nobody else sees the draft or its key
    for path in [
        format!("/author/courses/{SLUG}/versions/{v1}/view/06-kuis-akhir"),
        format!("/author/courses/{SLUG}"),
    ] {
        assert_eq!(get(&app, &other, &path).await.0, 403, "{path}");
        assert_eq!(get(&app, &learner, &path).await.0, 403, "{path}");
    }
    // another author cannot upload over it
    let (s, html) = upload(&app, &other, None, "kursus.zip", sample_zip(|_, b| b)).await;
    assert_eq!(s, 422);
    assert!(html.contains("dimiliki penulis lain"), "{html}");

    publish(&app, &author, v1).await;
    assert_eq!(
        get(&app, &learner, &format!("/courses/{SLUG}")).await.0,
        200
    );
    assert!(enroll(&app, "pegawai.lama@kab.go.id").await.is_success());

    // edit one module: preview first (nothing saved), a broken save is refused, a good one is a draft
    let edit =
        format!("/author/courses/{SLUG}/versions/{v1}/edit/01-pengantar-pelayanan-publik.md");
    let (s, html) = get(&app, &author, &edit).await;
    assert_eq!(s, 200);
    // the settings form and the Markdown toolbar (app.js shows them; the text works without)
    assert!(
        html.contains("data-md-toolbar hidden")
            && html.contains("data-md=\"question\"")
            && html.contains("data-md-settings data-file=\"01-pengantar-pelayanan-publik.md\""),
        "{html}"
    );
    let original = html_unescape(
        html.split("class=\"markdown\">")
            .nth(1)
            .unwrap()
            .split("</textarea>")
            .next()
            .unwrap(),
    );
    assert!(original.starts_with("+++"), "{original}");
    let edited = format!(
        "{original}\n\n## Tambahan 2027\n\nStandar pelayanan kini ditinjau setiap enam bulan.\n"
    );
    let r = app
        .post_form(
            &author,
            &edit,
            &edit,
            &[("text", &edited), ("action", "preview")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Standar pelayanan kini ditinjau setiap enam bulan."));
    let r = app
        .post_form(
            &author,
            &edit,
            &edit,
            &[
                ("text", "+++\ntitle = \"Tanpa penutup\"\n\nIsi."),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("01-pengantar-pelayanan-publik.md:1"),
        "{html}"
    );
    let r = app
        .post_form(
            &author,
            &edit,
            &edit,
            &[("text", &edited), ("action", "save")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let v2 = version_in(&html);
    assert!(v2 > v1);

    // the history says what changed
    let (_, course_page) = get(&app, &author, &format!("/author/courses/{SLUG}")).await;
    assert!(
        course_page
            .contains("Materi diubah: Pengantar Pelayanan Publik (01-pengantar-pelayanan-publik)"),
        "{course_page}"
    );
    assert!(course_page.contains("isi diubah"));

    publish(&app, &author, v2).await;
    // the learner enrolled on v1 keeps it; a new learner gets v2
    let (_, old) = get(
        &app,
        &learner,
        &format!("/courses/{SLUG}/01-pengantar-pelayanan-publik"),
    )
    .await;
    assert!(
        !old.contains("ditinjau setiap enam bulan"),
        "the enrolled learner keeps v1"
    );
    assert!(enroll(&app, "pegawai.baru@kab.go.id").await.is_success());
    let newer = app.browser_as("pegawai.baru@kab.go.id", PW).await;
    let (_, new) = get(
        &app,
        &newer,
        &format!("/courses/{SLUG}/01-pengantar-pelayanan-publik"),
    )
    .await;
    assert!(new.contains("ditinjau setiap enam bulan"));

    // archived: out of the catalog, enrolled learners keep reading, no new enrolments
    let r = app
        .post_form(
            &author,
            &format!("/author/courses/{SLUG}"),
            &format!("/author/courses/{SLUG}/archive"),
            &[("archived", "true")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(!get(&app, &learner, "/courses")
        .await
        .1
        .contains(&format!("/courses/{SLUG}\"")));
    assert_eq!(
        get(
            &app,
            &learner,
            &format!("/courses/{SLUG}/01-pengantar-pelayanan-publik")
        )
        .await
        .0,
        200
    );
    Person::new("pegawai.telat@kab.go.id")
        .name("Pegawai pegawai.telat")
        .password(PW)
        .create(&app);
    assert!(!enroll(&app, "pegawai.telat@kab.go.id").await.is_success());

    // any version downloads as a .zip that `courses check` accepts, with the same files
    let r = author
        .get(app.url(&format!("/author/courses/{SLUG}/versions/{v1}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec()))
        .unwrap()
        .extract(dir.path())
        .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert!(
        check::run(&[dir.path().join(SLUG)], dir.path(), &mut out, &mut err),
        "{}",
        String::from_utf8_lossy(&err)
    );
    let (dict, _) = cakap::catalog::Dictionary::load(&dir.path().join("competencies.toml"), "c");
    let again = folder::load(&dir.path().join(SLUG), SLUG, &dict)
        .course
        .unwrap();
    let shipped = folder::load(&repo().join("courses").join(SLUG), SLUG, &dict)
        .course
        .unwrap();
    assert_eq!(
        again.hash, shipped.hash,
        "the download is the uploaded course, byte for byte"
    );
    assert_eq!(
        get(
            &app,
            &other,
            &format!("/author/courses/{SLUG}/versions/{v1}/download")
        )
        .await
        .0,
        403
    );
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('`', "&#x60;")
        .replace('=', "&#x3D;")
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x60;", "`")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

fn raw_zip(build: impl FnOnce(&mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>)) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    build(&mut w);
    w.finish().unwrap().into_inner()
}

/// (issue 25) An author finds the format guide in the app, in Indonesian, and a starter course
/// to download that Cakap accepts as it is when uploaded again; a learner gets neither.
#[tokio::test]
async fn the_format_guide_and_a_starter_course_that_uploads_cleanly() {
    let (_empty, app) = author_and_learner().await;
    let author = app.browser_as("penulis@bpsdm.go.id", PW).await;
    let learner = app.browser_as("pegawai@kab.go.id", PW).await;
    let (_, list) = get(&app, &author, "/author/courses").await;
    assert!(list.contains("href=\"/author/guide\""), "{list}");
    assert!(
        !list.contains("README"),
        "authors are not sent to the README: {list}"
    );
    let (s, guide) = get(&app, &author, "/author/guide").await;
    assert_eq!(s, 200);
    assert!(
        guide.contains("Panduan format kursus") && guide.contains("<h2>Modul kuis</h2>"),
        "{guide}"
    );
    assert!(guide.contains("href=\"/author/starter.zip\""), "{guide}");
    assert_eq!(get(&app, &learner, "/author/guide").await.0, 403);
    assert_eq!(get(&app, &learner, "/author/starter.zip").await.0, 403);

    let r = author
        .get(app.url("/author/starter.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("kursus-saya.zip"));
    let zip = r.bytes().await.unwrap().to_vec();
    let (s, result) = upload(&app, &author, None, "kursus-saya.zip", zip).await;
    assert_eq!(s, 200, "{result}");
    assert!(
        result.contains("/author/courses/kursus-saya/versions/"),
        "{result}"
    );
    assert!(
        !result.contains("class=\"diag"),
        "no problem found: {result}"
    );
}

#[tokio::test]
async fn hostile_archives_are_refused_and_nothing_is_written() {
    let empty = no_courses_dir();
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &empty.path().display().to_string())]).await;
    Person::new("penulis@bpsdm.go.id")
        .name("Pegawai penulis")
        .password(PW)
        .author()
        .create(&app);
    let author = app.browser_as("penulis@bpsdm.go.id", PW).await;
    let course = b"+++\ntitle = \"Uji\"\nsummary = \"Ringkas.\"\njp = 1\n+++\n\nIsi.\n";
    let module = b"+++\ntitle = \"Materi\"\n+++\n\nIsi materi.\n";
    let options = zip::write::SimpleFileOptions::default();

    let traversal = raw_zip(|w| {
        w.start_file("kursus-uji/course.md", options).unwrap();
        w.write_all(course).unwrap();
        w.start_file("kursus-uji/../../etc/cron.d/x.md", options)
            .unwrap();
        w.write_all(module).unwrap();
    });
    let link = raw_zip(|w| {
        w.start_file("kursus-uji/course.md", options).unwrap();
        w.write_all(course).unwrap();
        w.add_symlink("kursus-uji/01-materi.md", "/etc/passwd", options)
            .unwrap();
    });
    // 1 GB of zeros, a few MB packed
    let bomb = raw_zip(|w| {
        w.start_file("kursus-uji/course.md", options).unwrap();
        w.write_all(course).unwrap();
        let big = options
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        w.start_file("kursus-uji/assets/video.mp4", big).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            w.write_all(&zeros).unwrap();
        }
    });
    assert!(
        bomb.len() < 8 << 20,
        "the bomb is small packed: {}",
        bomb.len()
    );

    let tmp = app.db.dir().join("data").join("tmp");
    for (name, zip, says) in [
        ("traversal.zip", traversal, "menunjuk ke luar folder kursus"),
        ("link.zip", link, "adalah tautan (link)"),
        ("bomb.zip", bomb, "lebih dari 200 MB setelah dibuka"),
        (
            "not-a-zip.zip",
            b"PK\x03\x04 rusak".to_vec(),
            "Berkas ini bukan arsip .zip yang dapat dibaca",
        ),
    ] {
        let (s, html) = upload(&app, &author, None, name, zip).await;
        assert_eq!(s, 422, "{name}: {html}");
        assert!(
            html_unescape(&html).contains(says),
            "{name} says why:\n{html}"
        );
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{name} left files behind: {left:?}");
    }
    assert!(!Path::new("/etc/cron.d/x.md").exists());
    let mut conn = app.conn();
    let who = workspace::Author {
        user_id: 0,
        all: true,
    };
    assert!(
        workspace::courses_of(&mut conn, who).unwrap().is_empty(),
        "no course was stored"
    );
}

#[tokio::test]
async fn a_gift_file_becomes_a_quiz_module_in_a_new_draft() {
    let empty = no_courses_dir();
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &empty.path().display().to_string())]).await;
    Person::new("penulis@bpsdm.go.id")
        .name("Pegawai penulis")
        .password(PW)
        .author()
        .create(&app);
    let author = app.browser_as("penulis@bpsdm.go.id", PW).await;
    let (s, html) = upload(&app, &author, None, "kursus.zip", sample_zip(|_, b| b)).await;
    assert_eq!(s, 200, "{html}");
    let v1 = version_in(&html);

    let gift = std::fs::read(repo().join("tests/fixtures/gift/moodle-docs.gift")).unwrap();
    let expected = cakap::catalog::gift::convert(
        &String::from_utf8(gift.clone()).unwrap(),
        Some("Kuis Bank Soal Moodle"),
        "x",
    );
    assert!(
        !expected.refused.is_empty(),
        "the docs file has questions that cannot convert"
    );
    let page = get(&app, &author, &format!("/author/courses/{SLUG}"))
        .await
        .1;
    let form = reqwest::multipart::Form::new()
        .text("csrf", common::csrf_of(&page))
        .text("title", "Kuis Bank Soal Moodle")
        .part(
            "file",
            reqwest::multipart::Part::bytes(gift).file_name("moodle-docs.gift"),
        );
    let r = author
        .post(app.url(&format!("/author/courses/{SLUG}/gift")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "{} soal dikonversi, {} ditinggalkan",
            expected.converted,
            expected.refused.len()
        )),
        "{html}"
    );
    for r in &expected.refused {
        assert!(
            html.contains(&format!("baris {}", r.line)),
            "line {} is named:\n{html}",
            r.line
        );
    }
    assert!(html.contains("07-kuis-bank-soal-moodle.md"), "{html}");
    let v2 = version_in(&html);
    assert!(v2 > v1);
    let (s, quiz) = get(
        &app,
        &author,
        &format!("/author/courses/{SLUG}/versions/{v2}/view/07-kuis-bank-soal-moodle"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        quiz.contains("Kunci jawaban") && quiz.contains("Kuis Bank Soal Moodle"),
        "{quiz}"
    );
    let (_, history) = get(&app, &author, &format!("/author/courses/{SLUG}")).await;
    assert!(
        history.contains("Materi baru: Kuis Bank Soal Moodle (07-kuis-bank-soal-moodle)"),
        "{history}"
    );

    // a file with nothing to convert saves nothing and says why
    let page = get(&app, &author, &format!("/author/courses/{SLUG}"))
        .await
        .1;
    let form = reqwest::multipart::Form::new()
        .text("csrf", common::csrf_of(&page))
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"::Esai:: Jelaskan. {}\n".to_vec())
                .file_name("esai.gift"),
        );
    let r = author
        .post(app.url(&format!("/author/courses/{SLUG}/gift")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("baris 1"), "{html}");
    let _: Option<Value> = None;
}

#[tokio::test]
async fn a_restart_keeps_a_version_published_in_the_browser() {
    let root = tempfile::tempdir().unwrap();
    let shipped = root.path().join(SLUG);
    std::fs::create_dir_all(&shipped).unwrap();
    for (rel, bytes) in files_under(&repo().join("courses").join(SLUG)) {
        let target = shipped.join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    std::fs::copy(
        repo().join("courses/competencies.toml"),
        root.path().join("competencies.toml"),
    )
    .unwrap();
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut conn = app.conn();
    Person::new("admin@bpsdm.go.id")
        .name("Admin Platform")
        .password(PW)
        .platform_admin()
        .insert(&mut conn);
    let admin = app.browser_as("admin@bpsdm.go.id", PW).await;
    // the shipped course has no owner; a platform admin uploads a new version in the browser
    let zip = sample_zip(|rel, bytes| {
        if rel == "05-budaya-melayani.md" {
            let mut b = bytes;
            b.extend_from_slice(b"\n\nCatatan revisi 2027.\n");
            b
        } else {
            bytes
        }
    });
    let (s, html) = upload(&app, &admin, Some(SLUG), "revisi.zip", zip).await;
    assert_eq!(s, 200, "{html}");
    let web = version_in(&html);
    publish(&app, &admin, web).await;
    let current = |conn: &mut cakap::db::DbConnection| {
        cakap::catalog::store::course(conn, SLUG, &cakap::catalog::store::Which::Current)
            .unwrap()
            .unwrap()
            .version_id
    };
    assert_eq!(current(&mut conn), web);

    // the server starting again publishes its courses folder: the older files change nothing
    let (_, reports) = cakap::catalog::batch::publish_dirs(
        &mut conn,
        &[root.path().to_path_buf()],
        root.path(),
        cakap::catalog::publish::Mode::StartUp,
        &mut |_, _, _| {},
    );
    assert_eq!(
        reports[0].outcome,
        Some(Ok(cakap::catalog::publish::Outcome::Unchanged))
    );
    assert_eq!(
        current(&mut conn),
        web,
        "a restart does not undo the browser's version"
    );
    // an author asking for the folder explicitly restores it
    let (_, reports) = cakap::catalog::batch::publish_dirs(
        &mut conn,
        &[root.path().to_path_buf()],
        root.path(),
        cakap::catalog::publish::Mode::Explicit,
        &mut |_, _, _| {},
    );
    assert!(matches!(
        reports[0].outcome,
        Some(Ok(cakap::catalog::publish::Outcome::Restored { .. }))
    ));
    assert_ne!(current(&mut conn), web);
}

#[tokio::test]
async fn the_api_uploads_a_draft_reports_errors_and_publishes() {
    let (_empty, app) = author_and_learner().await;
    let author = app.token_of("penulis@bpsdm.go.id", PW).await;
    let learner = app.token_of("pegawai@kab.go.id", PW).await;
    let api = reqwest::Client::new();
    let send = |token: &str, path: &str, body: Vec<u8>| {
        api.post(app.url(path))
            .bearer_auth(token)
            .header("content-type", "application/zip")
            .body(body)
    };

    let r = send(&learner, "/api/v1/author/courses", sample_zip(|_, b| b))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let broken = sample_zip(|rel, b| {
        if rel == "06-kuis-akhir.md" {
            String::from_utf8(b)
                .unwrap()
                .replace("- [x]", "- [ ]")
                .into_bytes()
        } else {
            b
        }
    });
    let r = send(&author, "/api/v1/author/courses", broken)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    let first = &p["diagnostics"][0];
    assert_eq!(first["file"], "06-kuis-akhir.md", "{p}");
    assert_eq!(first["line"], 11, "{p}");
    assert_eq!(first["severity"], "error");
    assert!(p["detail"].as_str().unwrap().contains("10 error(s)"), "{p}");

    let r = send(
        &author,
        "/api/v1/author/courses?name=x.zip",
        sample_zip(|_, b| b),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["slug"], SLUG);
    assert_eq!(d["outcome"], "draft");
    let id = d["version_id"].as_i64().unwrap();
    let r = send(&author, "/api/v1/author/courses", sample_zip(|_, b| b))
        .send()
        .await
        .unwrap();
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["outcome"], "existing_draft");
    assert_eq!(again["version_id"], id);

    let list: Value = api
        .get(app.url("/api/v1/author/courses"))
        .bearer_auth(&author)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["courses"][0]["status"], "draft", "{list}");

    let publish = format!("/api/v1/author/courses/{SLUG}/versions/{id}/publish");
    assert_eq!(
        send(&learner, &publish, vec![])
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let r = send(&author, &publish, vec![]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["outcome"], "published");
    assert_eq!(
        app.get(&format!("/api/v1/courses/{SLUG}")).await.status(),
        200
    );
}

/// (issue 22, item 10) The upload API names what an archive matched: the current version
/// (`same_as_current`: nothing saved) or an earlier published one (`older_version`: publishing it
/// restores it).
#[tokio::test]
async fn the_api_says_when_an_upload_is_the_current_or_an_older_version() {
    let empty = no_courses_dir();
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &empty.path().display().to_string())]).await;
    Person::new("penulis@bpsdm.go.id")
        .name("Pegawai penulis")
        .password(PW)
        .author()
        .create(&app);
    let author = app.token_of("penulis@bpsdm.go.id", PW).await;
    let api = reqwest::Client::new();
    let upload = |body: Vec<u8>| {
        let req = api
            .post(app.url("/api/v1/author/courses"))
            .bearer_auth(&author)
            .header("content-type", "application/zip")
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()
        }
    };
    let publish = |id: i64| {
        let req = api
            .post(app.url(&format!(
                "/api/v1/author/courses/{SLUG}/versions/{id}/publish"
            )))
            .bearer_auth(&author);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    let changed = |rel: &str, b: Vec<u8>| {
        if rel == "course.md" {
            let mut b = b;
            b.extend_from_slice(b"\nEdisi kedua.\n");
            b
        } else {
            b
        }
    };

    let first = upload(sample_zip(|_, b| b)).await;
    assert_eq!(first["outcome"], "draft");
    let v1 = first["version_id"].as_i64().unwrap();
    publish(v1).await;
    // the same files again: the current version, nothing new
    let same = upload(sample_zip(|_, b| b)).await;
    assert_eq!(same["outcome"], "same_as_current", "{same}");
    assert_eq!(same["version_id"], v1);

    // a second edition, published; then the first edition's files again
    let second = upload(sample_zip(changed)).await;
    assert_eq!(second["outcome"], "draft");
    let v2 = second["version_id"].as_i64().unwrap();
    assert_ne!(v2, v1);
    publish(v2).await;
    let older = upload(sample_zip(|_, b| b)).await;
    assert_eq!(older["outcome"], "older_version", "{older}");
    assert_eq!(older["version_id"], v1, "it names the earlier version");
    let again = upload(sample_zip(changed)).await;
    assert_eq!(again["outcome"], "same_as_current", "{again}");
    assert_eq!(again["version_id"], v2);
}

/// Rewrite the uncompressed size of `name` in its local header and its central-directory entry
/// (an archive whose headers lie), leaving the data and its CRC as they are.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let u16_at = |z: &[u8], at: usize| u16::from_le_bytes([z[at], z[at + 1]]) as usize;
    let u32_at =
        |z: &[u8], at: usize| u32::from_le_bytes(z[at..at + 4].try_into().unwrap()) as usize;
    let eocd = zip.len() - 22;
    assert_eq!(&zip[eocd..eocd + 4], b"PK\x05\x06", "no archive comment");
    let entries = u16_at(zip, eocd + 10);
    let mut at = u32_at(zip, eocd + 16);
    let mut patched = 0;
    for _ in 0..entries {
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02");
        let (name_len, extra_len, comment_len) = (
            u16_at(zip, at + 28),
            u16_at(zip, at + 30),
            u16_at(zip, at + 32),
        );
        if &zip[at + 46..at + 46 + name_len] == name.as_bytes() {
            let local = u32_at(zip, at + 42);
            assert_eq!(&zip[local..local + 4], b"PK\x03\x04");
            zip[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
            zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    assert_eq!(patched, 1, "{name} is in the archive once");
}

/// Issue 22, item 4: a zip bomb whose headers lie — 210 MB of zeros declared as 1 KB, so the
/// check of the declared sizes before unpacking lets it through. Unpacking stops it (at the size
/// the header declared) with a clear refusal, not a 500, and nothing is left behind.
#[tokio::test]
async fn an_archive_whose_headers_lie_is_stopped_while_unpacking() {
    let empty = no_courses_dir();
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &empty.path().display().to_string())]).await;
    Person::new("penulis@bpsdm.go.id")
        .name("Pegawai penulis")
        .password(PW)
        .author()
        .create(&app);
    let author = app.browser_as("penulis@bpsdm.go.id", PW).await;
    let course = b"+++\ntitle = \"Uji\"\nsummary = \"Ringkas.\"\njp = 1\n+++\n\nIsi.\n";
    let options = zip::write::SimpleFileOptions::default();
    let mut bomb = raw_zip(|w| {
        w.start_file("kursus-uji/course.md", options).unwrap();
        w.write_all(course).unwrap();
        let deflated = options.compression_method(zip::CompressionMethod::Deflated);
        w.start_file("kursus-uji/assets/video.mp4", deflated)
            .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..210 {
            w.write_all(&zeros).unwrap();
        }
    });
    declare_size(&mut bomb, "kursus-uji/assets/video.mp4", 1024);
    // the lie passes the check of the declared sizes
    let mut read = zip::ZipArchive::new(std::io::Cursor::new(&bomb)).unwrap();
    let declared: u64 = (0..read.len())
        .map(|i| read.by_index(i).unwrap().size())
        .sum();
    assert!(declared < 2048, "declared {declared} bytes");

    let (s, html) = upload(&app, &author, None, "bom.zip", bomb).await;
    assert_eq!(s, 422, "{html}");
    let html = html_unescape(&html);
    assert!(
        html.contains("`kursus-uji/assets/video.mp4` lebih besar daripada yang tertulis di arsip"),
        "says which file and why:\n{html}"
    );
    let tmp = app.db.dir().join("data").join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left files behind: {left:?}");
    let mut conn = app.conn();
    let who = workspace::Author {
        user_id: 0,
        all: true,
    };
    assert!(workspace::courses_of(&mut conn, who).unwrap().is_empty());
}
