//! Competency standards and assessed levels, as agency admins set them over HTTP: a position's
//! target levels (by form and by CSV), assessed levels (by form and by CSV), the agency's gap
//! basis and JP target — each seen in the learner's profile — and other agencies' admins refused.

use std::path::Path;

use crate::common::fixtures::{write_dictionary, Agency, Person, PELAYANAN_PUBLIK};
use crate::common::{csrf_of, spawn_app_with, TestApp};
use cakap::accounts::orgs;
use cakap::db::schema::{assessed_levels, position_targets};
use diesel::prelude::*;
use reqwest::{Client, Response};
use serde_json::{json, Value};

const PW: &str = "Standar-Kompetensi-2026";
const NIP: &str = "198503302010012001";

fn dictionary(root: &Path) {
    write_dictionary(
        root,
        &[
            PELAYANAN_PUBLIK,
            ("M.INT", "Integritas", "manajerial"),
            ("SK.PB", "Perekat Bangsa", "sosial-kultural"),
            (
                "T.EGOV",
                "Layanan Pemerintahan Berbasis Elektronik",
                "teknis",
            ),
        ],
    );
}

struct World {
    app: TestApp,
    _courses: tempfile::TempDir,
    agency: i64,
    other_agency: i64,
    position: i64,
}

async fn world() -> World {
    let courses = tempfile::tempdir().unwrap();
    dictionary(courses.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &courses.path().display().to_string())]).await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let other_agency = Agency::new("KAB-SLEMAN", "Pemerintah Kabupaten Sleman")
        .kind("kabupaten")
        .insert(&mut c);
    let position =
        orgs::create_position(&mut c, agency, "Kepala Seksi Pelayanan", "pengawas").unwrap();
    orgs::create_position(
        &mut c,
        agency,
        "Analis Kebijakan Ahli Muda",
        "fungsional_muda",
    )
    .unwrap();
    Person::new("siti@solo.go.id")
        .name("Pegawai siti@solo.go.id")
        .password(PW)
        .nip(NIP)
        .agency(agency)
        .position(position)
        .insert(&mut c);
    Person::new("admin@solo.go.id")
        .name("Pegawai admin@solo.go.id")
        .password(PW)
        .agency(agency)
        .admin()
        .insert(&mut c);
    Person::new("admin@sleman.go.id")
        .name("Pegawai admin@sleman.go.id")
        .password(PW)
        .agency(other_agency)
        .admin()
        .insert(&mut c);
    Person::new("budi@sleman.go.id")
        .name("Pegawai budi@sleman.go.id")
        .password(PW)
        .nip("199001012015031001")
        .agency(other_agency)
        .insert(&mut c);
    World {
        app,
        _courses: courses,
        agency,
        other_agency,
        position,
    }
}

/// A browser logged in as `email`.
struct Browser<'a> {
    app: &'a TestApp,
    client: Client,
}

impl<'a> Browser<'a> {
    async fn login(app: &'a TestApp, email: &str) -> Browser<'a> {
        let b = Browser {
            app,
            client: app.new_browser(),
        };
        let r = b
            .post("/login", "/login", &[("email", email), ("password", PW)])
            .await;
        assert_eq!(r.status(), 303, "{email} logs in");
        b
    }

    async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.app.url(path))
            .header("accept-language", "id")
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let html = self.get(page).await.text().await.unwrap();
        let csrf = csrf_of(&html);
        let mut form = fields.to_vec();
        form.push(("csrf", &csrf));
        self.client
            .post(self.app.url(action))
            .header("accept-language", "id")
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

async fn profile(app: &TestApp, email: &str) -> Value {
    let t: Value = Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": PW}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Client::new()
        .get(app.url("/api/v1/me/profile"))
        .bearer_auth(t["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn row<'a>(p: &'a Value, code: &str) -> &'a Value {
    p["profile"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no row {code} in {p}"))
}

fn has_row(p: &Value, code: &str) -> bool {
    p["profile"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == code)
}

fn targets_in_db(w: &World) -> i64 {
    position_targets::table
        .count()
        .get_result(&mut w.app.conn())
        .unwrap()
}

fn assessments_in_db(w: &World) -> i64 {
    assessed_levels::table
        .count()
        .get_result(&mut w.app.conn())
        .unwrap()
}

#[tokio::test]
async fn an_admin_sets_a_positions_targets_by_form_and_the_learner_sees_them() {
    let w = world().await;
    let admin = Browser::login(&w.app, "admin@solo.go.id").await;
    let base = format!("/admin/agencies/{}/standards", w.agency);

    // the page lists positions with the usual levels marked as defaults
    let page = admin.get(&base).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Standar kompetensi"), "{html}");
    assert!(html.contains("Kepala Seksi Pelayanan"));
    assert!(html.contains("M.PP 2*"), "usual level for pengawas: {html}");
    assert!(html.contains("M.PP 3*"), "usual level for fungsional muda");
    assert!(!html.contains("chip teknis"), "no technical target yet");
    // the nav link leads there
    let r = admin.get("/admin/standards").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], base.as_str());

    let before = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&before, "M.INT")["target"], 2);
    assert!(!has_row(&before, "T.EGOV"));

    let form = format!("{base}/positions/{}", w.position);
    let page = admin.get(&form).await.text().await.unwrap();
    assert!(page.contains("name=\"level:T.EGOV\""), "{page}");
    assert!(page.contains("Bawaan (level 2)"));
    let r = admin
        .post(
            &form,
            &form,
            &[
                ("level:T.EGOV", "3"),
                ("level:M.INT", "4"),
                ("level:M.PP", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&p, "T.EGOV")["target"], 3);
    assert_eq!(row(&p, "M.INT")["target"], 4);
    assert_eq!(row(&p, "M.PP")["target"], 2, "still the usual level");
    let html = admin.get(&base).await.text().await.unwrap();
    assert!(html.contains("T.EGOV 3<"), "{html}");
    assert!(html.contains("M.INT 4<"));

    // clearing a target brings the usual level back; a level outside 1..5 is refused
    let r = admin
        .post(&form, &form, &[("level:T.EGOV", "3"), ("level:M.INT", "")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        row(&profile(&w.app, "siti@solo.go.id").await, "M.INT")["target"],
        2
    );
    let r = admin.post(&form, &form, &[("level:T.EGOV", "7")]).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Level harus angka 1 sampai 5"));
    assert_eq!(
        row(&profile(&w.app, "siti@solo.go.id").await, "T.EGOV")["target"],
        3
    );
    // a position of another agency through this agency's path is not found
    let mut c = w.app.conn();
    let theirs =
        orgs::create_position(&mut c, w.other_agency, "Sekretaris Dinas", "administrator").unwrap();
    let r = admin
        .post(
            &form,
            &format!("{base}/positions/{theirs}"),
            &[("level:T.EGOV", "3")],
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_targets_csv_with_one_bad_line_writes_nothing_and_names_the_line() {
    let w = world().await;
    let admin = Browser::login(&w.app, "admin@solo.go.id").await;
    let base = format!("/admin/agencies/{}/standards", w.agency);
    let action = format!("{base}/import");

    let bad = "jabatan,kode_kompetensi,level\n\
               kepala  seksi PELAYANAN,T.EGOV,3\n\
               Lurah Kalijaga,M.INT,3\n\
               Kepala Seksi Pelayanan,M.INT,9\n";
    let r = admin.post(&base, &action, &[("csv", bad)]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Tidak ada yang disimpan"), "{html}");
    assert!(
        html.contains("Baris 3: Jabatan &quot;Lurah Kalijaga&quot; tidak ada di instansi ini"),
        "{html}"
    );
    assert!(html.contains("Baris 4: Level harus angka 1 sampai 5"));
    assert!(
        html.contains("Lurah Kalijaga,M.INT,3"),
        "the text stays in the form"
    );
    assert_eq!(targets_in_db(&w), 0, "nothing written");

    let good = "Jabatan;Kode_Kompetensi;Level\n\
                kepala  seksi PELAYANAN;t.egov;3\n\
                Analis Kebijakan Ahli Muda;M.INT;4\n";
    let r = admin.post(&base, &action, &[("csv", good)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("2 target level disimpan"));
    assert_eq!(targets_in_db(&w), 2);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&p, "T.EGOV")["target"], 3);

    // a second import replaces the level of the same position and competency
    let again = "jabatan,kode_kompetensi,level\nKepala Seksi Pelayanan,T.EGOV,4\n";
    let r = admin.post(&base, &action, &[("csv", again)]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(targets_in_db(&w), 2);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&p, "T.EGOV")["target"], 4);
}

#[tokio::test]
async fn assessed_levels_count_unless_the_agency_chooses_evidence() {
    let w = world().await;
    let admin = Browser::login(&w.app, "admin@solo.go.id").await;
    let page = format!("/admin/agencies/{}/assessments", w.agency);
    let import = format!("{page}/import");

    // one bad line (a person of another agency): nothing written
    let bad = format!(
        "nip,kode_kompetensi,level,tanggal,sumber\n\
         {NIP},M.INT,3,15/03/2026,Assessment center BKD 2026\n\
         199001012015031001,M.INT,2,2026-03-15,Assessment center BKD 2026\n"
    );
    let r = admin.post(&page, &import, &[("csv", &bad)]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Baris 3: Tidak ada pegawai instansi ini dengan NIP atau email"),
        "{html}"
    );
    assert_eq!(assessments_in_db(&w), 0);

    let good = "nip,kode_kompetensi,level,tanggal,sumber\n\
         '19850330 201001 2 001,M.INT,3,15/03/2026,Assessment center BKD 2026\n\
         siti@solo.go.id,M.PP,1,2025-11-02,Uji kompetensi LAN\n";
    let r = admin.post(&page, &import, &[("csv", good)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("2 hasil asesmen dicatat"), "{html}");
    assert!(html.contains("Assessment center BKD 2026"), "listed");
    let entered_by: Vec<Option<i64>> = assessed_levels::table
        .select(assessed_levels::entered_by)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(entered_by.len(), 2);
    assert!(
        entered_by.iter().all(|e| e.is_some()),
        "entered by the admin"
    );

    let p = profile(&w.app, "siti@solo.go.id").await;
    let int = row(&p, "M.INT");
    assert_eq!(int["from"], "assessed");
    assert_eq!(int["current"], 3);
    assert_eq!(int["assessed"]["source"], "Assessment center BKD 2026");
    assert_eq!(row(&p, "M.PP")["from"], "assessed");

    // by the form, naming the person by e-mail; the newest assessment counts
    let r = admin
        .post(
            &page,
            &page,
            &[
                ("who", "SITI@solo.go.id"),
                ("code", "M.INT"),
                ("level", "4"),
                ("date", "2026-04-01"),
                ("source", "Uji kompetensi BKD 2026"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&p, "M.INT")["current"], 4);
    let r = admin
        .post(
            &page,
            &page,
            &[
                ("who", "budi@sleman.go.id"),
                ("code", "M.INT"),
                ("level", "4"),
                ("date", "2026-04-01"),
                ("source", "X"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422, "a person of another agency");
    assert_eq!(assessments_in_db(&w), 3);

    // the agency switches to learning evidence: the assessment no longer counts
    let standards = format!("/admin/agencies/{}/standards", w.agency);
    let settings = format!("{standards}/settings");
    let r = admin
        .post(
            &standards,
            &settings,
            &[("gap_basis", "evidence"), ("jp_target", "30")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(p["profile"]["basis"], "evidence");
    assert_eq!(row(&p, "M.INT")["from"], "none");
    assert_eq!(row(&p, "M.INT")["current"], Value::Null);
    assert_eq!(p["jp_target"], 30);
    let html = admin.get(&page).await.text().await.unwrap();
    assert!(html.contains("bukti pembelajaran"), "the page says so");

    // a JP target below 20 is refused and nothing changes; empty goes back to the minimum
    let r = admin
        .post(
            &standards,
            &settings,
            &[("gap_basis", "assessed"), ("jp_target", "10")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Target JP harus angka bulat 20 sampai 200"));
    assert_eq!(profile(&w.app, "siti@solo.go.id").await["jp_target"], 30);
    let r = admin
        .post(
            &standards,
            &settings,
            &[("gap_basis", "assessed"), ("jp_target", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&p, "M.INT")["from"], "assessed");
    assert_eq!(p["jp_target"], 20);
}

#[tokio::test]
async fn admins_of_other_agencies_and_learners_are_refused() {
    let w = world().await;
    let other = Browser::login(&w.app, "admin@sleman.go.id").await;
    let a = w.agency;
    for path in [
        format!("/admin/agencies/{a}/standards"),
        format!("/admin/agencies/{a}/standards/positions/{}", w.position),
        format!("/admin/agencies/{a}/assessments"),
    ] {
        assert_eq!(other.get(&path).await.status(), 403, "GET {path}");
    }
    // their own page works and gives a token; posting to agency A is refused
    let own = format!("/admin/agencies/{}/standards", w.other_agency);
    assert_eq!(other.get(&own).await.status(), 200);
    let tries: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/admin/agencies/{a}/standards/positions/{}", w.position),
            vec![("level:T.EGOV", "5")],
        ),
        (
            format!("/admin/agencies/{a}/standards/import"),
            vec![(
                "csv",
                "jabatan,kode_kompetensi,level\nKepala Seksi Pelayanan,T.EGOV,5",
            )],
        ),
        (
            format!("/admin/agencies/{a}/standards/settings"),
            vec![("gap_basis", "evidence"), ("jp_target", "")],
        ),
        (
            format!("/admin/agencies/{a}/assessments"),
            vec![
                ("who", NIP),
                ("code", "M.INT"),
                ("level", "5"),
                ("date", "2026-01-01"),
                ("source", "X"),
            ],
        ),
        (
            format!("/admin/agencies/{a}/assessments/import"),
            vec![(
                "csv",
                "nip,kode_kompetensi,level,tanggal,sumber\n198503302010012001,M.INT,5,2026-01-01,X",
            )],
        ),
    ];
    for (action, fields) in &tries {
        let r = other.post(&own, action, fields).await;
        assert_eq!(r.status(), 403, "POST {action}");
    }
    assert_eq!(targets_in_db(&w), 0);
    assert_eq!(assessments_in_db(&w), 0);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(p["profile"]["basis"], "assessed");

    // a learner is refused; anonymous goes to the login page
    let learner = Browser::login(&w.app, "siti@solo.go.id").await;
    assert_eq!(
        learner
            .get(&format!("/admin/agencies/{a}/standards"))
            .await
            .status(),
        403
    );
    assert_eq!(learner.get("/admin/standards").await.status(), 403);
    let anon = w
        .app
        .new_browser()
        .get(w.app.url(&format!("/admin/agencies/{a}/assessments")))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 303);
}

/// Issue 21, point 10: importing the same assessments CSV again adds no rows (the same person,
/// competency, date and source: skipped when the level is the same, its level updated when not),
/// and the summary says which.
#[tokio::test]
async fn importing_the_same_assessments_again_writes_no_second_row() {
    let w = world().await;
    let admin = Browser::login(&w.app, "admin@solo.go.id").await;
    let page = format!("/admin/agencies/{}/assessments", w.agency);
    let import = format!("{page}/import");
    let csv = format!(
        "nip,kode_kompetensi,level,tanggal,sumber\n\
         {NIP},M.INT,3,15/03/2026,Assessment center BKD 2026\n\
         siti@solo.go.id,M.PP,1,2025-11-02,Uji kompetensi LAN\n"
    );
    let r = admin.post(&page, &import, &[("csv", &csv)]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(assessments_in_db(&w), 2);
    // the same file again: nothing new, both skipped
    let r = admin.post(&page, &import, &[("csv", &csv)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("0 asesmen baru, 0 diperbarui") && html.contains("2 dilewati"),
        "{html}"
    );
    assert_eq!(assessments_in_db(&w), 2, "no duplicates");
    // the same assessment with a corrected level (written 2026-03-15 this time): updated
    let fixed = format!(
        "nip,kode_kompetensi,level,tanggal,sumber\n\
         {NIP},M.INT,4,2026-03-15,Assessment center BKD 2026\n\
         {NIP},M.PP,2,2026-05-01,Uji kompetensi LAN\n"
    );
    let r = admin.post(&page, &import, &[("csv", &fixed)]).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("1 asesmen baru, 1 diperbarui") && html.contains("0 dilewati"),
        "{html}"
    );
    assert_eq!(
        assessments_in_db(&w),
        3,
        "one new (another date), one updated"
    );
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&p, "M.INT")["current"], 4);
    let en = admin
        .client
        .post(w.app.url(&import))
        .header("accept-language", "en")
        .form(&[
            ("csv", fixed.as_str()),
            (
                "csrf",
                &csrf_of(&admin.get(&page).await.text().await.unwrap()),
            ),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("0 new assessments, 0 updated"), "{en}");
    assert!(en.contains("2 skipped"), "{en}");
}

/// Record an activity through the learner's form, JP as typed (empty: the agency's conversion).
async fn record_activity(
    b: &Browser<'_>,
    kind: &str,
    started: &str,
    ended: &str,
    jp: &str,
) -> Response {
    let html = b.get("/me/activities").await.text().await.unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&html))
        .text("kind", kind.to_string())
        .text("title", format!("Kegiatan {kind} {started}"))
        .text("organizer", "BPSDM Provinsi Jawa Tengah")
        .text("started", started.to_string())
        .text("ended", ended.to_string())
        .text("jp", jp.to_string())
        .text("competency", "")
        .text("level", "")
        .text("cost", "")
        .text("certificate_number", "");
    b.client
        .post(b.app.url("/me/activities"))
        .header("accept-language", "id")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn activity_jp(w: &World, kind: &str, started: &str) -> i32 {
    use cakap::db::schema::activities;
    activities::table
        .filter(activities::title.eq(format!("Kegiatan {kind} {started}")))
        .select(activities::jp)
        .first(&mut w.app.conn())
        .unwrap()
}

/// Issue 21, point 10: the JPM thresholds (80/68) and the JP conversion table are the agency's
/// settings, set on their own form of the standards page, checked, applied where the constants
/// were, and never rewriting what is already recorded.
#[tokio::test]
async fn jpm_thresholds_and_the_jp_conversion_are_agency_settings() {
    let w = world().await;
    let admin = Browser::login(&w.app, "admin@solo.go.id").await;
    let siti = Browser::login(&w.app, "siti@solo.go.id").await;
    let standards = format!("/admin/agencies/{}/standards", w.agency);
    let jp_form = format!("{standards}/jp");
    let html = admin.get(&standards).await.text().await.unwrap();
    assert!(html.contains("id=\"jp-settings\""), "on the standards page");
    assert!(html.contains("name=\"jpm_optimal\"") && html.contains("value=\"80\""));
    assert!(html.contains("value=\"68\""));

    // Siti (pengawas: targets M.PP 2, M.INT 2, SK.PB 2) meets 5 of 6: JPM 83 %
    let assessments = format!("/admin/agencies/{}/assessments", w.agency);
    let csv = format!(
        "nip,kode_kompetensi,level,tanggal,sumber\n\
         {NIP},M.PP,2,2026-01-10,Uji kompetensi\n\
         {NIP},M.INT,2,2026-01-10,Uji kompetensi\n\
         {NIP},SK.PB,1,2026-01-10,Uji kompetensi\n"
    );
    let r = admin
        .post(
            &assessments,
            &format!("{assessments}/import"),
            &[("csv", &csv)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(p["profile"]["band"], "optimal", "83 % ≥ 80 %: {p}");

    // the defaults convert: a one-day workshop with JP left empty is 5 JP
    let r = record_activity(&siti, "workshop", "2026-02-02", "2026-02-02", "").await;
    assert_eq!(r.status(), 303);
    assert_eq!(activity_jp(&w, "workshop", "2026-02-02"), 5);
    // a kind without a row still needs its JP
    let r = record_activity(&siti, "bimtek", "2026-02-02", "2026-02-03", "").await;
    assert_eq!(r.status(), 422);

    // wrong settings are refused, saying what is wrong, and nothing changes
    for (fields, says) in [
        (
            vec![("jpm_optimal", "68"), ("jpm_meets", "68")],
            "harus lebih tinggi",
        ),
        (
            vec![("jpm_optimal", "101"), ("jpm_meets", "68")],
            "bilangan bulat 0–100",
        ),
        (
            vec![("jpm_optimal", "80"), ("jpm_meets", "-1")],
            "bilangan bulat 0–100",
        ),
        (
            vec![
                ("jpm_optimal", "80"),
                ("jpm_meets", "68"),
                ("jpd_seminar", "0"),
            ],
            "JP per hari",
        ),
    ] {
        let r = admin.post(&standards, &jp_form, &fields).await;
        assert_eq!(r.status(), 422, "{fields:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{fields:?}: {html}");
    }
    assert_eq!(
        profile(&w.app, "siti@solo.go.id").await["profile"]["band"],
        "optimal"
    );

    // stricter thresholds and a table of the agency's own
    let r = admin
        .post(
            &standards,
            &jp_form,
            &[
                ("jpm_optimal", "90"),
                ("jpm_meets", "75"),
                ("jpd_seminar", "6"),
                ("jpd_workshop", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = admin.get(&standards).await.text().await.unwrap();
    assert!(html.contains("value=\"90\"") && html.contains("value=\"75\""));
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(
        p["profile"]["band"], "meets",
        "83 % is below 90 %, above 75 %: {p}"
    );
    let html = siti.get("/me/profile").await.text().await.unwrap();
    assert!(html.contains("masih memenuhi (75–90%)"), "{html}");
    // a two-day seminar: 2 × 6 JP; the workshop no longer converts
    let r = record_activity(&siti, "seminar", "2026-03-02", "2026-03-03", "").await;
    assert_eq!(r.status(), 303);
    assert_eq!(activity_jp(&w, "seminar", "2026-03-02"), 12);
    let r = record_activity(&siti, "workshop", "2026-03-05", "2026-03-05", "").await;
    assert_eq!(r.status(), 422);
    // JP typed by the learner win over the table
    let r = record_activity(&siti, "seminar", "2026-03-09", "2026-03-09", "3").await;
    assert_eq!(r.status(), 303);
    assert_eq!(activity_jp(&w, "seminar", "2026-03-09"), 3);

    // a later change of the table leaves the JP already recorded as they were
    let r = admin
        .post(
            &standards,
            &jp_form,
            &[
                ("jpm_optimal", "80"),
                ("jpm_meets", "68"),
                ("jpd_seminar", "2"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(activity_jp(&w, "seminar", "2026-03-02"), 12);
    assert_eq!(activity_jp(&w, "workshop", "2026-02-02"), 5);
    assert_eq!(
        profile(&w.app, "siti@solo.go.id").await["profile"]["band"],
        "optimal"
    );

    // another agency's admin may not change them
    let sleman = Browser::login(&w.app, "admin@sleman.go.id").await;
    let other = format!("/admin/agencies/{}/standards", w.other_agency);
    let r = sleman
        .post(
            &other,
            &jp_form,
            &[("jpm_optimal", "99"), ("jpm_meets", "98")],
        )
        .await;
    assert_eq!(r.status(), 403);
}

/// Issue 21, point 10: the position kinds are the full list (JPT Utama/Madya/Pratama,
/// Administrator, Pengawas, Pelaksana, JF Ahli Utama/Madya/Muda/Pertama, JF Penyelia/Mahir/
/// Terampil/Pemula), each with its usual target level; existing kinds keep working.
#[tokio::test]
async fn every_position_kind_can_be_chosen_and_sets_its_usual_level() {
    let w = world().await;
    let admin = Browser::login(&w.app, "admin@solo.go.id").await;
    let agency_page = format!("/admin/agencies/{}", w.agency);
    let html = admin.get(&agency_page).await.text().await.unwrap();
    for label in [
        "JPT Utama",
        "JPT Madya",
        "JPT Pratama",
        "Administrator",
        "Pengawas",
        "Pelaksana",
        "Fungsional Ahli Utama",
        "Fungsional Ahli Madya",
        "Fungsional Ahli Muda",
        "Fungsional Ahli Pertama",
        "Fungsional Penyelia",
        "Fungsional Mahir",
        "Fungsional Terampil",
        "Fungsional Pemula",
    ] {
        assert!(html.contains(&format!(">{label}</option>")), "{label}");
    }
    let positions = format!("{agency_page}/positions");
    for (name, kind, level) in [
        ("Sekretaris Jenderal", "jpt_utama", 5),
        ("Pranata Komputer Penyelia", "fungsional_penyelia", 3),
        ("Pranata Komputer Mahir", "fungsional_mahir", 2),
        ("Arsiparis Pemula", "fungsional_pemula", 1),
    ] {
        let r = admin
            .post(&agency_page, &positions, &[("name", name), ("kind", kind)])
            .await;
        assert_eq!(r.status(), 303, "{kind}");
        let mut c = w.app.conn();
        let id: i64 = cakap::db::schema::positions::table
            .filter(cakap::db::schema::positions::name.eq(name))
            .select(cakap::db::schema::positions::id)
            .first(&mut c)
            .unwrap();
        let email = format!("{kind}@solo.go.id");
        Person::new(&email)
            .name(format!("Pegawai {email}"))
            .password(PW)
            .agency(w.agency)
            .position(id)
            .insert(&mut c);
        let p = profile(&w.app, &email).await;
        assert_eq!(row(&p, "M.PP")["target"], level, "{kind}: {p}");
    }
    // an unknown kind is refused; the kinds stored before (pengawas, fungsional_muda) still work
    let r = admin
        .post(
            &agency_page,
            &positions,
            &[("name", "Kepala"), ("kind", "eselon_1")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let p = profile(&w.app, "siti@solo.go.id").await;
    assert_eq!(row(&p, "M.PP")["target"], 2, "pengawas");
}

/// The agency admin sets the agency's time zone among WIB, WITA and WIT; anything else is refused
/// with a message naming the three, and nothing changes. Until set, the platform default applies.
#[tokio::test]
async fn the_agency_admin_sets_the_time_zone_and_only_the_three_are_accepted() {
    use cakap::db::schema::agencies;
    let w = world().await;
    let admin = Browser::login(&w.app, "admin@solo.go.id").await;
    let standards = format!("/admin/agencies/{}/standards", w.agency);
    let settings = format!("{standards}/settings");
    let zone = |w: &World| -> Option<String> {
        agencies::table
            .find(w.agency)
            .select(agencies::time_zone)
            .first(&mut w.app.conn())
            .unwrap()
    };
    assert_eq!(
        zone(&w),
        None,
        "an existing agency follows the platform default"
    );
    let html = admin.get(&standards).await.text().await.unwrap();
    assert!(
        html.contains("<option value=\"Asia/Jakarta\" selected>"),
        "the default is shown as chosen"
    );
    let r = admin
        .post(
            &standards,
            &settings,
            &[
                ("gap_basis", "assessed"),
                ("jp_target", ""),
                ("time_zone", "Asia/Jayapura"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(zone(&w).as_deref(), Some("Asia/Jayapura"));
    let html = admin.get(&standards).await.text().await.unwrap();
    assert!(html.contains("<option value=\"Asia/Jayapura\" selected>WIT"));
    let r = admin
        .post(
            &standards,
            &settings,
            &[
                ("gap_basis", "assessed"),
                ("jp_target", "30"),
                ("time_zone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Zona waktu tidak dikenal") && page.contains("Asia/Makassar (WITA)"),
        "{page}"
    );
    assert_eq!(
        zone(&w).as_deref(),
        Some("Asia/Jayapura"),
        "nothing changed"
    );
    assert_eq!(profile(&w.app, "siti@solo.go.id").await["jp_target"], 20);
}
