//! Development outside the platform: an ASN records an activity with an evidence file; only their
//! supervisor may approve or reject it; approved ones count for JP and competency evidence.

use crate::common;
use crate::common::fixtures::{write_dictionary, Agency, Person, PELAYANAN_PUBLIK};

use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use cakap::accounts::users;
use cakap::db::DbConnection;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const PW: &str = "Belajar-Terus-2026";

async fn text(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    b.get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn form(csrf: &str, title: &str, ended: &str, file: Option<(&str, Vec<u8>)>) -> Form {
    let mut f = Form::new()
        .text("csrf", csrf.to_string())
        .text("kind", "workshop")
        .text("title", title.to_string())
        .text("organizer", "BPSDM Provinsi Jawa Tengah")
        .text("started", ended.to_string())
        .text("ended", ended.to_string())
        .text("jp", "12")
        .text("competency", "M.PP")
        .text("level", "2");
    if let Some((name, bytes)) = file {
        f = f.part("evidence", Part::bytes(bytes).file_name(name.to_string()));
    }
    f
}

async fn record(
    app: &TestApp,
    b: &reqwest::Client,
    title: &str,
    file: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let html = text(app, b, "/me/activities").await;
    let csrf = common::csrf_of(&html);
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    b.post(app.url("/me/activities"))
        .multipart(form(&csrf, title, &today, file))
        .send()
        .await
        .unwrap()
}

async fn profile(app: &TestApp, b: &reqwest::Client) -> Value {
    b.get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn write_courses(root: &Path) {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
}

/// (issue 25) Someone with no supervisor in Cakap is told that nobody can approve what they
/// record, and what to do, instead of "waiting for your supervisor".
#[tokio::test]
async fn an_activity_with_nobody_to_approve_it_says_so() {
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    Person::new("sendiri@solo.go.id")
        .name("Pegawai sendiri@solo.go.id")
        .password(PW)
        .create(&app);
    let b = app.browser_as("sendiri@solo.go.id", PW).await;
    let before = text(&app, &b, "/me/activities").await;
    assert!(
        !before.contains("belum memiliki atasan langsung"),
        "nothing waits yet"
    );
    let r = record(&app, &b, "Workshop Penyusunan SOP Pelayanan", None).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let page = text(&app, &b, &to).await;
    assert!(
        page.contains("Belum ada yang dapat menyetujuinya")
            && !page.contains("menunggu persetujuan atasan langsung Anda"),
        "{page}"
    );
    assert!(page.contains("href=\"/me/account#placement\""), "{page}");
    let later = text(&app, &b, "/me/activities").await;
    assert!(later.contains("belum dapat disetujui siapa pun"), "{later}");
}

#[tokio::test]
async fn an_approved_activity_counts_and_only_the_supervisor_decides() {
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let boss = Person::new("atasan@solo.go.id")
        .name("Pegawai atasan@solo.go.id")
        .password(PW)
        .create(&app);
    Person::new("siti@solo.go.id")
        .name("Pegawai siti@solo.go.id")
        .password(PW)
        .supervisor(boss)
        .create(&app);
    Person::new("lain@solo.go.id")
        .name("Pegawai lain@solo.go.id")
        .password(PW)
        .create(&app);
    let siti = app.browser_as("siti@solo.go.id", PW).await;

    // bad input is refused field by field, and a disguised file by its content
    let r = record(
        &app,
        &siti,
        "x",
        Some(("bukti.pdf", b"MZ\x90 this is not a pdf".to_vec())),
    )
    .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Tulis nama kegiatan"), "{page}");
    assert!(page.contains("harus PDF, PNG, atau JPG"));
    let html = text(&app, &siti, "/me/activities").await;
    let csrf = common::csrf_of(&html);
    let r = siti
        .post(app.url("/me/activities"))
        .multipart(form(&csrf, "Workshop masa depan", "2099-01-01", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // no CSRF token: refused
    let r = siti
        .post(app.url("/me/activities"))
        .multipart(form("salah", "Workshop SOP", "2026-01-05", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // a good one, with a real PDF
    let pdf = b"%PDF-1.4\n% sertifikat workshop\n".to_vec();
    let r = record(
        &app,
        &siti,
        "Workshop Penyusunan SOP Pelayanan",
        Some(("sertifikat.pdf", pdf.clone())),
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = text(&app, &siti, "/me/activities").await;
    assert!(page.contains("Workshop Penyusunan SOP Pelayanan"));
    assert!(page.contains("Menunggu persetujuan"));
    // pending: it does not count yet
    let p = profile(&app, &siti).await;
    assert_eq!(p["jp_earned"], 0);

    let mut c = app.conn();
    let siti_id = person_id(&mut c, "siti@solo.go.id");
    let id = cakap::competency::activities::of_user(&mut c, siti_id).unwrap()[0].id;

    // someone outside the team can neither see the file nor decide
    let other = app.browser_as("lain@solo.go.id", PW).await;
    let r = other
        .get(app.url(&format!("/activities/{id}/evidence")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let approvals = text(&app, &other, "/team/approvals").await;
    assert!(!approvals.contains("Workshop Penyusunan SOP Pelayanan"));
    let csrf = common::csrf_of(&approvals);
    for decision in ["approve", "reject"] {
        // (a rejection without a note too: who decides is checked before the note)
        let r = other
            .post(app.url(&format!("/team/approvals/{id}")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("decision", decision),
                ("note", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{decision}");
    }
    // nor can another agency's admin (no supervisor of hers): the same 404, the file hidden
    let elsewhere = Agency::new("KAB-LAIN", "Pemerintah Kabupaten Lain").insert(&mut c);
    Person::new("admin@lain.go.id")
        .name("Admin instansi lain")
        .password(PW)
        .agency(elsewhere)
        .admin()
        .create(&app);
    let admin = app.browser_as("admin@lain.go.id", PW).await;
    let r = admin
        .get(app.url(&format!("/activities/{id}/evidence")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for decision in ["approve", "reject"] {
        let r = app
            .post_form(
                &admin,
                "/me",
                &format!("/team/approvals/{id}"),
                &[("decision", decision), ("note", "")],
            )
            .await;
        assert_eq!(r.status(), 404, "another agency's admin, {decision}");
    }
    // nor can the holder approve their own
    let mine = text(&app, &siti, "/team/approvals").await;
    let csrf = common::csrf_of(&mine);
    let r = siti
        .post(app.url(&format!("/team/approvals/{id}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "approve"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // the supervisor sees it with its evidence and approves
    let atasan = app.browser_as("atasan@solo.go.id", PW).await;
    let approvals = text(&app, &atasan, "/team/approvals").await;
    assert!(
        approvals.contains("Workshop Penyusunan SOP Pelayanan"),
        "{approvals}"
    );
    let file = atasan
        .get(app.url(&format!("/activities/{id}/evidence")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.bytes().await.unwrap().to_vec(), pdf);
    let csrf = common::csrf_of(&approvals);
    let r = atasan
        .post(app.url(&format!("/team/approvals/{id}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "approve"),
            ("note", "Bagus"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // deciding twice is refused plainly
    let r = atasan
        .post(app.url(&format!("/team/approvals/{id}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "reject"),
            ("note", "Salah"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Kegiatan ini sudah diputuskan sebelumnya.") && page.contains("<h1>"),
        "the approvals page says so, not an error page: {page}"
    );

    // now it counts: JP this year (profile and dashboard) and evidence for M.PP
    let p = profile(&app, &siti).await;
    assert_eq!(p["jp_earned"], 12);
    let dash: Value = siti
        .get(app.url("/api/v1/me/dashboard"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dash["jp_this_year"], 12, "{dash}");
    let row = p["profile"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "M.PP")
        .unwrap()
        .clone();
    assert_eq!(row["current"], 2);
    assert_eq!(row["evidence"][0]["source_kind"], "activity");
    assert_eq!(
        row["evidence"][0]["title"],
        "Workshop Penyusunan SOP Pelayanan"
    );

    // a rejection needs a note, and does not count
    let r = record(&app, &siti, "Seminar Nasional Pelayanan", None).await;
    assert_eq!(r.status(), 303);
    let id2 = cakap::competency::activities::of_user(&mut c, siti_id)
        .unwrap()
        .iter()
        .find(|a| a.title == "Seminar Nasional Pelayanan")
        .unwrap()
        .id;
    let approvals = text(&app, &atasan, "/team/approvals").await;
    let csrf = common::csrf_of(&approvals);
    let r = atasan
        .post(app.url(&format!("/team/approvals/{id2}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "reject"),
            ("note", " x "),
        ])
        .send()
        .await
        .unwrap();
    // (issue 25) rejecting without a note: said beside that activity on the approvals page, the
    // note kept, not a "KODE 400" page
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    let form = &page[page
        .find(&format!("id=\"review-{id2}\""))
        .expect("its form")..];
    let form = &form[..form.find("</form>").unwrap()];
    assert!(
        form.contains("Tuliskan alasan penolakan di kolom catatan")
            && form.contains("> x </textarea>"),
        "{form}"
    );
    let r = atasan
        .post(app.url(&format!("/team/approvals/{id2}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "reject"),
            ("note", "Tidak ada bukti kehadiran"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let p = profile(&app, &siti).await;
    assert_eq!(p["jp_earned"], 12, "rejected activities do not count");
    let page = text(&app, &siti, "/me/activities").await;
    assert!(page.contains("Tidak ada bukti kehadiran"));
}

fn person_id(c: &mut DbConnection, email: &str) -> i64 {
    users::find_by_email(c, email).unwrap().unwrap().id
}

/// Issue 21, point 9: an activity's certificate (STTPL) number is a field of the form, kept with
/// the activity and shown in the learner's list; too long a number is refused with a message.
#[tokio::test]
async fn the_activity_form_keeps_the_certificate_number() {
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    Person::new("siti@solo.go.id")
        .name("Pegawai siti@solo.go.id")
        .password(PW)
        .create(&app);
    let b = app.browser_as("siti@solo.go.id", PW).await;
    let html = text(&app, &b, "/me/activities").await;
    assert!(html.contains("name=\"certificate_number\""), "{html}");
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let send = |number: String| {
        let b = b.clone();
        let app = &app;
        let today = today.clone();
        async move {
            let csrf = common::csrf_of(&text(app, &b, "/me/activities").await);
            let f = form(&csrf, "Workshop SPBE", &today, None).text("certificate_number", number);
            b.post(app.url("/me/activities"))
                .multipart(f)
                .send()
                .await
                .unwrap()
        }
    };
    let r = send("X".repeat(101)).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("paling panjang 100 karakter"));
    let r = send("  STTPL/0042/BPSDM/2026 ".into()).await;
    assert_eq!(r.status(), 303);
    use cakap::db::schema::activities;
    use diesel::prelude::*;
    let stored: Option<String> = activities::table
        .select(activities::certificate_number)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored.as_deref(), Some("STTPL/0042/BPSDM/2026"));
    let html = text(&app, &b, "/me/activities").await;
    assert!(html.contains("STTPL/0042/BPSDM/2026"), "{html}");
}

/// 03:18 WIB on 10 March 2027 is 20:18 UTC on 9 March: an activity that ended "today" (10 March)
/// has ended in the person's zone (WIB, the platform default, for an agency that never chose);
/// 11 March is still refused as not finished.
#[tokio::test]
async fn an_activity_that_ended_today_in_wib_is_accepted_at_0318_wib() {
    use cakap::db::schema::users as users_t;
    use diesel::prelude::*;
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let at = chrono::NaiveDate::from_ymd_opt(2027, 3, 9)
        .unwrap()
        .and_hms_opt(20, 18, 0)
        .unwrap();
    let app = common::spawn_app_at(
        at,
        &[("CAKAP_COURSES_DIR", &root.path().display().to_string())],
    )
    .await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let siti = Person::new("siti@solo.go.id")
        .name("Pegawai siti@solo.go.id")
        .password(PW)
        .create(&app);
    diesel::update(users_t::table.find(siti))
        .set(users_t::agency_id.eq(Some(agency)))
        .execute(&mut c)
        .unwrap();
    let b = app.browser_as("siti@solo.go.id", PW).await;
    let html = text(&app, &b, "/me/activities").await;
    let csrf = common::csrf_of(&html);
    let r = b
        .post(app.url("/me/activities"))
        .multipart(form(&csrf, "Bimtek Pelayanan", "2027-03-10", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "ended today in WIB: accepted");
    let html = text(&app, &b, "/me/activities").await;
    let csrf = common::csrf_of(&html);
    let r = b
        .post(app.url("/me/activities"))
        .multipart(form(&csrf, "Bimtek Besok", "2027-03-11", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "tomorrow has not ended");
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Kegiatan yang belum selesai belum dapat dicatat"));
}
