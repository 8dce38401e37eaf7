//! Partner institutions end to end: a platform admin records a university with its signatory,
//! names an author who writes for it and a course it provides; the catalog filters by provider;
//! a learner's certificate for the partner's course names both issuers, with both signatories, on
//! its page, its PDF, the public verification page, the verification API and inside its JWT.
//! Other roles cannot manage partners.

use std::path::Path;

use crate::common::fixtures::{write_dictionary, CourseFolder, Person, PELAYANAN_PUBLIK};
use crate::common::{spawn_app_with, TestApp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

const PW: &str = "Mitra-Kampus-2026";
const ISSUER: &str = "BPSDM Provinsi Jawa Tengah";
const SIGNATORY: &str = "Dr. Ahmad Santoso, M.Si.";
const PARTNER: &str = "Universitas Diponegoro";
const PARTNER_SIGNATORY: &str = "Prof. Dr. Suharnomo, S.E., M.Si.";

fn write_course(root: &Path, slug: &str, title: &str) {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
    CourseFolder::new(slug)
        .title(title)
        .jp(4)
        .competency("M.PP", 2)
        .timed_lesson("01-pengantar", "Pengantar", 5, "Isi modul.")
        .write(root);
}

async fn text(app: &TestApp, b: &reqwest::Client, path: &str) -> (u16, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_partner_course_certificate_names_both_issuers() {
    let courses = tempfile::tempdir().unwrap();
    write_course(
        courses.path(),
        "analisis-kebijakan",
        "Analisis Kebijakan Publik",
    );
    write_course(courses.path(), "etika-asn", "Etika ASN");
    let app = spawn_app_with(&[
        ("CAKAP_COURSES_DIR", &courses.path().display().to_string()),
        ("CAKAP_CERTIFICATES_ISSUER", ISSUER),
        ("CAKAP_CERTIFICATES_SIGNATORY_NAME", SIGNATORY),
        ("CAKAP_CERTIFICATES_SIGNATORY_TITLE", "Kepala BPSDM"),
    ])
    .await;
    Person::new("admin@bpsdm.go.id")
        .name("admin")
        .password(PW)
        .platform_admin()
        .create(&app);
    Person::new("agency.admin@kab.go.id")
        .name("agency admin")
        .password(PW)
        .admin()
        .create(&app);
    Person::new("dosen@undip.ac.id")
        .name("dosen")
        .password(PW)
        .author()
        .create(&app);
    Person::new("pegawai@kab.go.id")
        .name("pegawai")
        .password(PW)
        .create(&app);
    Person::new("bukan.penulis@kab.go.id")
        .name("bukan penulis")
        .password(PW)
        .create(&app);
    let admin = app.browser_as("admin@bpsdm.go.id", PW).await;

    // a bad form says what is wrong and stores nothing
    let r = app
        .post_form(
            &admin,
            "/admin/partners",
            "/admin/partners",
            &[
                ("code", "Un Dip"),
                ("name", PARTNER),
                ("kind", "universitas"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Kode mitra tidak valid"));
    let r = app
        .post_form(
            &admin,
            "/admin/partners",
            "/admin/partners",
            &[
                ("code", "undip"),
                ("name", PARTNER),
                ("kind", "universitas"),
                ("signatory_name", PARTNER_SIGNATORY),
                ("signatory_title", "Rektor Universitas Diponegoro"),
                ("website", "https://www.undip.ac.id"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = r.headers()["location"].to_str().unwrap().to_string();
    assert!(page.starts_with("/admin/partners/"), "{page}");
    let base = page.split('?').next().unwrap().to_string();

    // members must be authors
    let r = app
        .post_form(
            &admin,
            &base,
            &format!("{base}/members"),
            &[("email", "bukan.penulis@kab.go.id")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("belum berperan sebagai penulis"));
    let r = app
        .post_form(
            &admin,
            &base,
            &format!("{base}/members"),
            &[("email", "Dosen@Undip.ac.id")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &admin,
            &base,
            &format!("{base}/courses"),
            &[("slug", "analisis-kebijakan")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, detail) = text(&app, &admin, &base).await;
    assert!(detail.contains("dosen@undip.ac.id") && detail.contains("/courses/analisis-kebijakan"));

    // the catalog names the provider and filters by it (page and API)
    let anon = app.new_browser();
    let (_, catalog) = text(&app, &anon, "/courses").await;
    assert!(
        catalog.contains("Penyelenggara: Universitas Diponegoro"),
        "{catalog}"
    );
    assert!(catalog.contains("<option value=\"undip\""));
    let (_, only) = text(&app, &anon, "/courses?provider=undip").await;
    assert!(only.contains("Analisis Kebijakan Publik") && !only.contains("Etika ASN"));
    let api: Value = reqwest::get(app.url("/api/v1/courses?provider=undip"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["count"], 1);
    assert_eq!(api["courses"][0]["provider"]["name"], PARTNER);
    let (_, course) = text(&app, &anon, "/courses/analisis-kebijakan").await;
    assert!(course.contains("Universitas Diponegoro"));

    // a learner completes both courses
    let bearer = app.token_of("pegawai@kab.go.id", PW).await;
    let api = reqwest::Client::new();
    for slug in ["analisis-kebijakan", "etika-asn"] {
        let r = api
            .post(app.url(&format!("/api/v1/courses/{slug}/enroll")))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let r = api
            .post(app.url(&format!("/api/v1/courses/{slug}/modules/01-pengantar/done")))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    let mine: Value = api
        .get(app.url("/api/v1/me/certificates"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let certs = mine["certificates"].as_array().unwrap();
    let partner_cert = certs
        .iter()
        .find(|c| c["course_slug"] == "analisis-kebijakan")
        .unwrap();
    let plain_cert = certs
        .iter()
        .find(|c| c["course_slug"] == "etika-asn")
        .unwrap();
    assert_eq!(partner_cert["issuer"], ISSUER);
    assert_eq!(partner_cert["partner"]["name"], PARTNER);
    assert_eq!(partner_cert["partner"]["signatory_name"], PARTNER_SIGNATORY);
    assert!(plain_cert.get("partner").is_none(), "{plain_cert}");

    // the JWT names both issuers and both signatories
    let jwt = partner_cert["jwt"].as_str().unwrap();
    let c = claims(jwt);
    assert_eq!(c["cert"]["issuer"], ISSUER);
    assert_eq!(c["cert"]["signatory"]["name"], SIGNATORY);
    assert_eq!(c["cert"]["partner"]["name"], PARTNER);
    assert_eq!(c["cert"]["partner"]["signatory"]["name"], PARTNER_SIGNATORY);
    assert_eq!(
        c["cert"]["partner"]["signatory"]["title"],
        "Rektor Universitas Diponegoro"
    );
    assert!(claims(plain_cert["jwt"].as_str().unwrap())["cert"]
        .get("partner")
        .is_none());
    // and it verifies as it is
    let verdict: Value = api
        .post(app.url("/api/v1/certificates/verify"))
        .json(&serde_json::json!({ "jwt": jwt }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["valid"], true, "{verdict}");

    // the holder's page, its PDF and the public verification page show both
    let code = partner_cert["code"].as_str().unwrap();
    let learner = app.browser_as("pegawai@kab.go.id", PW).await;
    let (s, sheet) = text(&app, &learner, &format!("/me/certificates/{code}")).await;
    assert_eq!(s, 200);
    for needle in [ISSUER, PARTNER, SIGNATORY, PARTNER_SIGNATORY] {
        assert!(sheet.contains(needle), "sheet lacks {needle}");
    }
    let pdf = learner
        .get(app.url(&format!("/me/certificates/{code}/pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let contains = |n: &str| pdf.windows(n.len()).any(|w| w == n.as_bytes());
    for needle in [
        "UNIVERSITAS DIPONEGORO",
        PARTNER_SIGNATORY,
        SIGNATORY,
        "BPSDM PROVINSI JAWA TENGAH",
    ] {
        assert!(contains(needle), "PDF lacks {needle}");
    }
    let (s, verify) = text(&app, &anon, &format!("/v/{code}")).await;
    assert_eq!(s, 200);
    for needle in [ISSUER, PARTNER, SIGNATORY, PARTNER_SIGNATORY] {
        assert!(verify.contains(needle), "verification page lacks {needle}");
    }
    assert!(verify.contains("bersama Universitas Diponegoro"));

    // renaming the partner later changes nothing on the issued certificate
    let r = app
        .post_form(
            &admin,
            &base,
            &base,
            &[
                ("code", "undip"),
                ("name", "Universitas Diponegoro Semarang"),
                ("kind", "universitas"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, verify) = text(&app, &anon, &format!("/v/{code}")).await;
    assert!(!verify.contains("Diponegoro Semarang") && verify.contains(PARTNER_SIGNATORY));

    // an author from the partner uploads a new course: it is the partner's course
    let author = app.browser_as("dosen@undip.ac.id", PW).await;
    let dir = tempfile::tempdir().unwrap();
    write_course(dir.path(), "statistik-dasar", "Statistik Dasar untuk ASN");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for f in ["course.md", "01-pengantar.md"] {
        zip.start_file(
            format!("statistik-dasar/{f}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(
            &mut zip,
            &std::fs::read(dir.path().join("statistik-dasar").join(f)).unwrap(),
        )
        .unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    let r = author
        .post(app.url("/api/v1/author/courses"))
        .header("content-type", "application/zip")
        .header(
            "authorization",
            format!("Bearer {}", app.token_of("dosen@undip.ac.id", PW).await),
        )
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let provider = cakap::accounts::partners::provider_by_slug(&mut app.conn(), "statistik-dasar")
        .unwrap()
        .unwrap();
    assert_eq!(provider.code, "undip");

    // nobody but a platform admin manages partners
    for email in [
        "agency.admin@kab.go.id",
        "dosen@undip.ac.id",
        "pegawai@kab.go.id",
    ] {
        let b = app.browser_as(email, PW).await;
        assert_eq!(text(&app, &b, "/admin/partners").await.0, 403, "{email}");
        assert_eq!(text(&app, &b, &base).await.0, 403, "{email}");
    }
    assert_eq!(text(&app, &admin, "/admin/partners/999999").await.0, 404);
}
