//! Recognition and budget over a year walked through HTTP (issue 11's done-when): ASN complete
//! courses (one with a fee) and record activities with costs that their supervisor approves or
//! rejects through the real forms; milestones appear once each; the admin's standing, the budget
//! report and the incentive export agree with the underlying records; a letter of recognition is
//! issued and verifies like a certificate; a person who did not allow it never appears in a
//! colleague's view.

use crate::common;
use crate::common::fixtures::{
    complete, write_dictionary, Agency, CourseFolder, Person, PELAYANAN_PUBLIK,
};

use std::collections::HashMap;
use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cakap::accounts::orgs;
use cakap::db::schema::{activities, completions, courses, enrollments, milestones};
use cakap::db::DbConnection;
use chrono::{Datelike, Utc};
use diesel::prelude::*;
use reqwest::multipart::Form;
use reqwest::Client;
use serde_json::Value;

const PW: &str = "Pembelajar-Sejati-2026";

fn write_courses(root: &Path) {
    write_dictionary(
        root,
        &[PELAYANAN_PUBLIK, ("M.KOM", "Komunikasi", "manajerial")],
    );
    for (slug, jp, competency) in [
        ("spbe", 16, None),
        ("etika", 4, Some(("M.PP", 2))),
        ("data", 8, Some(("M.KOM", 3))),
    ] {
        let mut course = CourseFolder::new(slug).jp(jp);
        if let Some((code, level)) = competency {
            course = course.competency(code, level);
        }
        course.lesson("01-materi", "Materi", "Isi.").write(root);
    }
}

async fn text(app: &TestApp, b: &Client, path: &str) -> (u16, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Record an activity through the learner's form; returns its id.
async fn record(
    app: &TestApp,
    b: &Client,
    c: &mut DbConnection,
    title: &str,
    jp: i32,
    cost: &str,
) -> i64 {
    let csrf = common::csrf_of(&text(app, b, "/me/activities").await.1);
    let day = common::wib_today().format("%Y-%m-%d").to_string();
    let form = Form::new()
        .text("csrf", csrf)
        .text("kind", "workshop")
        .text("title", title.to_string())
        .text("organizer", "BPSDM Provinsi Jawa Tengah")
        .text("started", day.clone())
        .text("ended", day)
        .text("jp", jp.to_string())
        .text("competency", "")
        .text("level", "")
        .text("cost", cost.to_string());
    let r = b
        .post(app.url("/me/activities"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{title}: {}", r.status());
    activities::table
        .filter(activities::title.eq(title))
        .select(activities::id)
        .first(c)
        .unwrap()
}

fn milestone_keys(c: &mut DbConnection, user: i64) -> Vec<String> {
    let mut k: Vec<String> = milestones::table
        .filter(milestones::user_id.eq(user))
        .select(milestones::key)
        .load(c)
        .unwrap();
    k.sort();
    k
}

/// JP a person earned this year according to the records themselves.
fn jp_of(c: &mut DbConnection, user: i64, year: i32) -> i64 {
    let from = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let done: Vec<i32> = completions::table
        .filter(completions::user_id.eq(user))
        .filter(completions::completed_at.ge(from))
        .select(completions::jp)
        .load(c)
        .unwrap();
    let outside: Vec<i32> = activities::table
        .filter(activities::user_id.eq(user))
        .filter(activities::status.eq("approved"))
        .filter(activities::ended_at.ge(from))
        .select(activities::jp)
        .load(c)
        .unwrap();
    done.iter().chain(&outside).map(|j| i64::from(*j)).sum()
}

#[tokio::test]
async fn a_year_of_learning_is_recognised_and_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    write_courses(dir.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &dir.path().display().to_string())]).await;
    let year = common::wib_year();
    let mut c = app.conn();
    let a = Agency::new("KOTA-SKA", "Pemerintah Kota Surakarta").insert(&mut c);
    let b = Agency::new("KAB-BYL", "Pemerintah Kabupaten Boyolali")
        .kind("kabupaten")
        .insert(&mut c);
    let pelayanan = orgs::create_unit(&mut c, a, "Bidang Pelayanan", None).unwrap();
    let data = orgs::create_unit(&mut c, a, "Bidang Data", None).unwrap();
    let boss = Person::new("atasan@surakarta.go.id")
        .name("Hendra Atasan")
        .password(PW)
        .agency(a)
        .unit(pelayanan)
        .insert(&mut c);
    let budi = Person::new("budi@surakarta.go.id")
        .name("Budi Santoso")
        .password(PW)
        .agency(a)
        .unit(pelayanan)
        .supervisor(boss)
        .insert(&mut c);
    let siti = Person::new("siti@surakarta.go.id")
        .name("Siti Privasi")
        .password(PW)
        .agency(a)
        .unit(pelayanan)
        .supervisor(boss)
        .insert(&mut c);
    let dewi = Person::new("dewi@surakarta.go.id")
        .name("Dewi Lestari")
        .password(PW)
        .agency(a)
        .unit(data)
        .supervisor(boss)
        .insert(&mut c);
    Person::new("admin@surakarta.go.id")
        .name("Admin Kota")
        .password(PW)
        .agency(a)
        .admin()
        .insert(&mut c);
    let rahmat = Person::new("rahmat@boyolali.go.id")
        .name("Rahmat Tetangga")
        .password(PW)
        .agency(b)
        .insert(&mut c);
    // a fee of Rp500.000 per participant on SPBE
    diesel::update(courses::table.filter(courses::slug.eq("spbe")))
        .set(courses::fee.eq(500_000_i64))
        .execute(&mut c)
        .unwrap();

    // who allows colleagues to see them: Budi, Dewi (and Rahmat, in another agency); not Siti
    for email in [
        "budi@surakarta.go.id",
        "dewi@surakarta.go.id",
        "rahmat@boyolali.go.id",
    ] {
        let br = app.browser_as(email, PW).await;
        let r = app
            .post_form(
                &br,
                "/me/recognition",
                "/me/recognition/visibility",
                &[("show", "1")],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let siti_b = app.browser_as("siti@surakarta.go.id", PW).await;
    let r = app
        .post_form(
            &siti_b,
            "/me/recognition",
            "/me/recognition/visibility",
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);

    // the year's learning
    complete(
        &app,
        &app.token_of("budi@surakarta.go.id", PW).await,
        "spbe",
        "01-materi",
    )
    .await;
    complete(
        &app,
        &app.token_of("budi@surakarta.go.id", PW).await,
        "etika",
        "01-materi",
    )
    .await;
    for slug in ["spbe", "etika", "data"] {
        complete(
            &app,
            &app.token_of("siti@surakarta.go.id", PW).await,
            slug,
            "01-materi",
        )
        .await;
    }
    complete(
        &app,
        &app.token_of("dewi@surakarta.go.id", PW).await,
        "etika",
        "01-materi",
    )
    .await;
    complete(
        &app,
        &app.token_of("rahmat@boyolali.go.id", PW).await,
        "data",
        "01-materi",
    )
    .await;
    let budi_b = app.browser_as("budi@surakarta.go.id", PW).await;
    let w1 = record(
        &app,
        &budi_b,
        &mut c,
        "Workshop Inovasi Layanan",
        24,
        "1.500.000",
    )
    .await;
    let w2 = record(
        &app,
        &siti_b,
        &mut c,
        "Seminar Keterbukaan Informasi",
        4,
        "750.000",
    )
    .await;
    let w3 = record(
        &app,
        &siti_b,
        &mut c,
        "Studi Banding ke Luar Kota",
        10,
        "2.000.000",
    )
    .await;
    let boss_b = app.browser_as("atasan@surakarta.go.id", PW).await;
    for (id, decision) in [(w1, "approve"), (w2, "approve"), (w3, "reject")] {
        let mut fields = vec![("decision", decision)];
        if decision == "reject" {
            fields.push(("note", "Bukti perjalanan belum dilampirkan."));
        }
        let r = app
            .post_form(
                &boss_b,
                "/team/approvals",
                &format!("/team/approvals/{id}"),
                &fields,
            )
            .await;
        assert_eq!(r.status(), 303, "{decision} {id}");
    }

    // milestones: each once, when earned
    assert_eq!(
        milestone_keys(&mut c, budi),
        [
            "first-course".to_string(),
            format!("jp20-{year}"),
            format!("jp40-{year}"),
            "level-M.PP-2".into()
        ]
    );
    assert_eq!(
        milestone_keys(&mut c, siti),
        [
            "first-course".to_string(),
            format!("jp20-{year}"),
            "level-M.KOM-3".into(),
            "level-M.PP-2".into()
        ]
    );
    assert_eq!(
        milestone_keys(&mut c, dewi),
        ["first-course".to_string(), "level-M.PP-2".into()]
    );
    assert_eq!(milestone_keys(&mut c, boss), Vec::<String>::new());
    // awarding again (another server, a later event) adds nothing
    for id in [budi, siti, dewi] {
        assert!(cakap::competency::milestones::award(&mut c, id)
            .unwrap()
            .is_empty());
    }
    // ... and a restart's backfill neither (it ran once already at start-up)
    assert_eq!(cakap::competency::milestones::backfill(&mut c).unwrap(), 0);
    let (s, profile) = text(&app, &budi_b, "/me/profile").await;
    assert_eq!(s, 200);
    assert!(
        profile.contains(&format!("40 JP tercapai pada {year}")),
        "{profile}"
    );
    assert!(profile.contains("Level 2 Pelayanan Publik tercapai"));
    let (_, mine) = text(&app, &budi_b, "/me/recognition").await;
    assert_eq!(mine.matches("Kursus pertama selesai").count(), 1);

    // the admin's standing: everyone, ranked by JP, levels gained, courses
    let jp: HashMap<i64, i64> = [boss, budi, siti, dewi]
        .iter()
        .map(|&u| (u, jp_of(&mut c, u, year)))
        .collect();
    assert_eq!((jp[&budi], jp[&siti], jp[&dewi], jp[&boss]), (44, 32, 4, 0));
    let admin = app.browser_as("admin@surakarta.go.id", PW).await;
    let (s, standing) = text(
        &app,
        &admin,
        &format!("/admin/agencies/{a}/recognition?year={year}"),
    )
    .await;
    assert_eq!(s, 200);
    let at = |name: &str| {
        standing
            .find(name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert!(at("Budi Santoso") < at("Siti Privasi") && at("Siti Privasi") < at("Dewi Lestari"));
    assert!(!standing.contains("Rahmat Tetangga"));

    // the incentive export agrees with the records
    let csv = admin
        .get(app.url(&format!("/admin/agencies/{a}/recognition.csv?year={year}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 5, "everyone in the agency, no one else: {csv}");
    let by_name = |n: &str| rows.iter().find(|r| r[col("nama")] == n).unwrap().clone();
    for (name, id) in [
        ("Budi Santoso", budi),
        ("Siti Privasi", siti),
        ("Dewi Lestari", dewi),
        ("Hendra Atasan", boss),
    ] {
        let r = by_name(name);
        assert_eq!(r[col("jp")], jp[&id].to_string(), "{name}");
        let earned_this_year = milestone_keys(&mut c, id).len();
        assert_eq!(
            r[col("jumlah_capaian")],
            earned_this_year.to_string(),
            "{name}"
        );
        let done: i64 = completions::table
            .filter(completions::user_id.eq(id))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(r[col("kursus_selesai")], done.to_string(), "{name}");
    }
    assert_eq!(by_name("Budi Santoso")[col("peringkat")], "1");
    assert_eq!(by_name("Siti Privasi")[col("peringkat")], "2");
    // Siti's levels are first readings (her first courses), not gains over a level known before
    assert_eq!(by_name("Siti Privasi")[col("level_kompetensi_naik")], "0");
    assert_eq!(by_name("Dewi Lestari")[col("memenuhi_target")], "tidak");
    let below_in_export = rows
        .iter()
        .filter(|r| r[col("memenuhi_target")] == "tidak")
        .count();

    // the budget report agrees with the same records
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/budget?year={year}"),
            &format!("/admin/agencies/{a}/budget"),
            &[("year", &year.to_string()), ("amount", "10.000.000")],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let token = app.token_of("admin@surakarta.go.id", PW).await;
    let report: Value = Client::new()
        .get(app.url(&format!("/api/v1/agencies/{a}/budget?year={year}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paid_enrolments: i64 = enrollments::table
        .inner_join(courses::table.on(courses::id.eq(enrollments::course_id)))
        .inner_join(
            cakap::db::schema::users::table
                .on(cakap::db::schema::users::id.eq(enrollments::user_id)),
        )
        .filter(cakap::db::schema::users::agency_id.eq(a))
        .filter(courses::fee.gt(0))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(paid_enrolments, 2);
    let approved_costs: Vec<Option<i64>> = activities::table
        .filter(activities::status.eq("approved"))
        .filter(activities::user_id.eq_any([budi, siti, dewi, boss]))
        .select(activities::cost)
        .load(&mut c)
        .unwrap();
    let spent = paid_enrolments * 500_000 + approved_costs.iter().flatten().sum::<i64>();
    assert_eq!(spent, 3_250_000);
    assert_eq!(report["spent"], spent, "{report}");
    assert_eq!(report["budget"], 10_000_000);
    assert_eq!(
        report["below_target"].as_i64().unwrap() as usize,
        below_in_export,
        "the budget report and the export agree on who is below 20 JP: {report}"
    );

    // a letter of recognition for Budi, verified like a certificate
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/recognition?year={year}"),
            &format!("/admin/agencies/{a}/recognition/letters"),
            &[
                ("year", &year.to_string()),
                (&format!("person_{budi}"), "1"),
                ("title", &format!("ASN Pembelajar Terbaik Tahun {year}")),
                ("reason", "Atas capaian 44 JP pengembangan kompetensi."),
                ("signatory_name", "Drs. Bambang Wijaya, M.M."),
                ("signatory_title", "Sekretaris Daerah Kota Surakarta"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // the same letter twice: refused, and the form keeps the signatory for next time
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/recognition?year={year}"),
            &format!("/admin/agencies/{a}/recognition/letters"),
            &[
                ("year", &year.to_string()),
                (&format!("person_{budi}"), "1"),
                ("title", &format!("ASN Pembelajar Terbaik Tahun {year}")),
                ("reason", "Sekali lagi."),
                ("signatory_name", "Drs. Bambang Wijaya, M.M."),
                ("signatory_title", "Sekretaris Daerah Kota Surakarta"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("sudah menerima piagam dengan sebutan ini"));
    let (_, page) = text(
        &app,
        &admin,
        &format!("/admin/agencies/{a}/recognition?year={year}"),
    )
    .await;
    assert!(
        page.contains("value=\"Drs. Bambang Wijaya, M.M.\""),
        "{page}"
    );
    // nobody chosen, or someone from another agency: refused, nothing issued
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/recognition?year={year}"),
            &format!("/admin/agencies/{a}/recognition/letters"),
            &[
                ("year", &year.to_string()),
                (&format!("person_{rahmat}"), "1"),
                ("title", "Curang"),
                ("reason", "Bukan pegawai kota."),
                ("signatory_name", "X"),
                ("signatory_title", "Y"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("bukan pegawai instansi ini"));
    let letters = cakap::certificates::letters::of_user(&mut c, budi).unwrap();
    assert_eq!(letters.len(), 1);
    assert!(cakap::certificates::letters::of_user(&mut c, rahmat)
        .unwrap()
        .is_empty());
    let letter = &letters[0];
    let anon = app.new_browser();
    let (s, verify) = text(&app, &anon, &format!("/v/{}", letter.code)).await;
    assert_eq!(s, 200);
    assert!(verify.contains("Piagam ini asli") && verify.contains("Budi Santoso"));
    assert!(verify.contains("Pemerintah Kota Surakarta"));
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(letter.jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["letter"]["kind"], "piagam-penghargaan");
    assert_eq!(claims["letter"]["holder"]["name"], "Budi Santoso");
    let jwks: Value = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(letter.jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"]));
    let (s, sheet) = text(&app, &budi_b, &format!("/me/letters/{}", letter.code)).await;
    assert_eq!(s, 200);
    assert!(sheet.contains("PIAGAM PENGHARGAAN") && sheet.contains(&letter.number));
    assert_eq!(
        text(&app, &siti_b, &format!("/me/letters/{}", letter.code))
            .await
            .0,
        404
    );
    let csv = admin
        .get(app.url(&format!("/admin/agencies/{a}/recognition.csv?year={year}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&letter.number));

    // the admin revokes it: the verification page says so, the export leaves it out; another
    // agency's admin cannot
    let revoke_path = format!(
        "/admin/agencies/{a}/recognition/letters/{}/revoke",
        letter.code
    );
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/recognition?year={year}"),
            &revoke_path,
            &[("reason", "x"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), 400, "a reason is required");
    let klaten = Agency::new("KAB-SKH", "Kabupaten Sukoharjo")
        .kind("kabupaten")
        .insert(&mut c);
    Person::new("admin@sukoharjo.go.id")
        .name("Admin Sukoharjo")
        .password(PW)
        .agency(klaten)
        .admin()
        .insert(&mut c);
    let stranger = app.browser_as("admin@sukoharjo.go.id", PW).await;
    let r = app
        .post_form(
            &stranger,
            "/me/account",
            &revoke_path,
            &[("reason", "Bukan urusan saya."), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/recognition?year={year}"),
            &revoke_path,
            &[
                ("reason", "Data capaian keliru dimasukkan."),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, verify) = text(&app, &anon, &format!("/v/{}", letter.code)).await;
    assert!(
        verify.contains("Piagam ini telah dicabut")
            && verify.contains("Data capaian keliru dimasukkan.")
    );
    let csv = admin
        .get(app.url(&format!("/admin/agencies/{a}/recognition.csv?year={year}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !csv.contains(&letter.number),
        "a revoked letter is not counted for incentives"
    );

    // colleagues: only those who allow it, ranked among themselves; Siti never
    for (email, b) in [
        (
            "dewi@surakarta.go.id",
            app.browser_as("dewi@surakarta.go.id", PW).await,
        ),
        ("budi@surakarta.go.id", budi_b.clone()),
        ("siti@surakarta.go.id", siti_b.clone()),
    ] {
        let (s, html) = text(&app, &b, &format!("/me/standing?year={year}")).await;
        assert_eq!(s, 200, "{email}");
        // (Siti's own page names her in the header: look at the standing tables)
        assert!(!html.contains("<td>Siti Privasi"), "{email} sees Siti");
        if email != "siti@surakarta.go.id" {
            assert!(!html.contains("Siti Privasi"), "{email} sees Siti");
        }
        assert!(
            !html.contains("Rahmat Tetangga"),
            "{email} sees another agency"
        );
        assert!(
            !html.contains("Hendra Atasan"),
            "{email} sees someone who did not allow it"
        );
        assert!(
            html.contains("Budi Santoso") && html.contains("Dewi Lestari"),
            "{email}"
        );
    }
    let (_, own) = text(&app, &siti_b, &format!("/me/standing?year={year}")).await;
    assert!(own.contains("tidak tampil di peringkat ini"));

    // only the agency's admin (or a platform admin) sees the full standing and the export
    for email in ["budi@surakarta.go.id", "atasan@surakarta.go.id"] {
        let br = app.browser_as(email, PW).await;
        assert_eq!(
            text(&app, &br, &format!("/admin/agencies/{a}/recognition"))
                .await
                .0,
            403
        );
        assert_eq!(
            text(&app, &br, &format!("/admin/agencies/{a}/recognition.csv"))
                .await
                .0,
            403
        );
    }
    let other_admin_agency = Agency::new("KAB-KLT", "Kabupaten Klaten")
        .kind("kabupaten")
        .insert(&mut c);
    Person::new("admin@klaten.go.id")
        .name("Admin Klaten")
        .password(PW)
        .agency(other_admin_agency)
        .admin()
        .insert(&mut c);
    let other = app.browser_as("admin@klaten.go.id", PW).await;
    assert_eq!(
        text(&app, &other, &format!("/admin/agencies/{a}/recognition"))
            .await
            .0,
        403
    );
    assert_eq!(text(&app, &other, "/me/standing").await.0, 200);
}

/// Issue 21, point 5: milestones and the standing follow the agency's gap basis (the assessed
/// level where there is one), and a gain is a rise over a level known before, never a first
/// reading.
#[tokio::test]
async fn levels_follow_the_gap_basis_and_a_first_reading_is_no_gain() {
    let dir = tempfile::tempdir().unwrap();
    write_courses(dir.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &dir.path().display().to_string())]).await;
    let mut c = app.conn();
    let a = Agency::new("KOTA-SMG", "Pemerintah Kota Semarang").insert(&mut c);
    Person::new("admin@semarang.go.id")
        .name("Admin Kota")
        .password(PW)
        .agency(a)
        .admin()
        .insert(&mut c);
    let budi = Person::new("budi@semarang.go.id")
        .name("Budi Santoso")
        .password(PW)
        .agency(a)
        .insert(&mut c);
    let admin = app.browser_as("admin@semarang.go.id", PW).await;
    // today as the agency sees it (WIB), so the assessment date is never in its future
    let today = (Utc::now() + chrono::Duration::hours(7))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let year = (Utc::now() + chrono::Duration::hours(7)).year();
    let assess = |level: &'static str| {
        let (app, admin, today) = (&app, &admin, today.clone());
        async move {
            let page = format!("/admin/agencies/{a}/assessments");
            let r = app
                .post_form(
                    admin,
                    &page,
                    &page,
                    &[
                        ("who", "budi@semarang.go.id"),
                        ("code", "M.KOM"),
                        ("level", level),
                        ("date", &today),
                        ("source", "Uji kompetensi BKD"),
                    ],
                )
                .await;
            assert!(r.status().is_redirection(), "assessment: {}", r.status());
        }
    };
    let gained = |c: &mut DbConnection| {
        let rows = cakap::recognition::standing::rows(c, a, year).unwrap();
        rows.iter()
            .find(|r| r.user_id == budi)
            .unwrap()
            .levels_gained
    };

    // assessed at level 1 in Komunikasi: the first reading is reached, but it is no gain
    assess("1").await;
    assert_eq!(milestone_keys(&mut c, budi), ["level-M.KOM-1"]);
    assert_eq!(gained(&mut c), 0, "a first assessment is not a gain");

    // a course evidencing Komunikasi level 3 does not lift the assessed level
    complete(
        &app,
        &app.token_of("budi@semarang.go.id", PW).await,
        "data",
        "01-materi",
    )
    .await;
    let keys = milestone_keys(&mut c, budi);
    assert!(
        !keys.contains(&"level-M.KOM-3".to_string()),
        "a course level above the assessed level is no milestone: {keys:?}"
    );
    assert_eq!(
        gained(&mut c),
        0,
        "a course level is not a gain over an assessment"
    );
    let budi_b = app.browser_as("budi@semarang.go.id", PW).await;
    let (_, profile) = text(&app, &budi_b, "/me/profile").await;
    assert!(
        !profile.contains("Level 3 Komunikasi tercapai"),
        "{profile}"
    );
    assert!(profile.contains("Level 1 Komunikasi tercapai"));

    // a new assessment at level 2 is a rise over the level known before
    assess("2").await;
    let keys = milestone_keys(&mut c, budi);
    assert!(keys.contains(&"level-M.KOM-2".to_string()), "{keys:?}");
    assert!(!keys.contains(&"level-M.KOM-3".to_string()), "{keys:?}");
    assert_eq!(gained(&mut c), 1);
    let (_, export) = text(
        &app,
        &admin,
        &format!("/admin/agencies/{a}/recognition.csv?year={year}"),
    )
    .await;
    let mut lines = export.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "level_kompetensi_naik")
        .unwrap();
    let budi_row: Vec<&str> = lines
        .find(|l| l.contains("Budi Santoso"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(budi_row[col], "1", "{export}");
}

/// Issue 21, point 10: the admin's standing is paged (50 a page), so 2,000 people are not one
/// 950 KB page.
#[tokio::test]
async fn the_admin_standing_is_paged() {
    let dir = tempfile::tempdir().unwrap();
    write_courses(dir.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &dir.path().display().to_string())]).await;
    let mut c = app.conn();
    let a = Agency::new("KAB-KLT", "Pemerintah Kabupaten Klaten")
        .kind("kabupaten")
        .insert(&mut c);
    Person::new("admin@klaten.go.id")
        .name("Admin Klaten")
        .password(PW)
        .agency(a)
        .admin()
        .insert(&mut c);
    for i in 0..120 {
        Person::new(&format!("asn{i}@klaten.go.id"))
            .name(format!("ASN Klaten {i:03}"))
            .agency(a)
            .insert(&mut c);
    }
    let admin = app.browser_as("admin@klaten.go.id", PW).await;
    let year = (Utc::now() + chrono::Duration::hours(7)).year();
    let base = format!("/admin/agencies/{a}/recognition?year={year}");
    let (s, first) = text(&app, &admin, &base).await;
    assert_eq!(s, 200);
    assert_eq!(first.matches("name=\"person_").count(), 50, "50 a page");
    assert!(first.contains("Peringkat 1–50 dari 121 ASN"), "{first}");
    let next = &first[..first.find("rel=\"next\"").expect("a link to the next page")];
    let href = &next[next.rfind("href=\"").unwrap()..];
    assert!(
        href.contains("page&#x3D;2") && href.contains("#standing"),
        "{href}"
    );
    let (_, last) = text(&app, &admin, &format!("{base}&page=3")).await;
    assert_eq!(last.matches("name=\"person_").count(), 21);
    assert!(last.contains("Peringkat 101–121 dari 121 ASN"));
    let (s, beyond) = text(&app, &admin, &format!("{base}&page=999")).await;
    assert_eq!(s, 200);
    assert!(
        beyond.contains("Peringkat 101–121 dari 121 ASN"),
        "clamped to the last page"
    );
    // the export still has everyone
    let (_, csv) = text(
        &app,
        &admin,
        &format!("/admin/agencies/{a}/recognition.csv?year={year}"),
    )
    .await;
    assert_eq!(csv.lines().count(), 1 + 121);
}

/// The same JWT with one claim changed (signature kept).
fn altered(jwt: &str, from: &str, to: &str) -> String {
    let p: Vec<&str> = jwt.split('.').collect();
    let body = String::from_utf8(URL_SAFE_NO_PAD.decode(p[1]).unwrap()).unwrap();
    assert!(body.contains(from), "{body}");
    format!(
        "{}.{}.{}",
        p[0],
        URL_SAFE_NO_PAD.encode(body.replacen(from, to, 1)),
        p[2]
    )
}

async fn verify_api(app: &TestApp, body: Value) -> Value {
    let r = Client::new()
        .post(app.url("/api/v1/certificates/verify"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{body}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_letter_is_downloaded_by_its_holder_and_verified_by_the_api_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    write_courses(dir.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &dir.path().display().to_string())]).await;
    let year = common::wib_year();
    let mut c = app.conn();
    let a = Agency::new("KOTA-SKA", "Pemerintah Kota Surakarta").insert(&mut c);
    let other_agency = Agency::new("KAB-KLT", "Kabupaten Klaten")
        .kind("kabupaten")
        .insert(&mut c);
    Person::new("admin@surakarta.go.id")
        .name("Admin Kota")
        .password(PW)
        .agency(a)
        .admin()
        .insert(&mut c);
    let budi = Person::new("budi@surakarta.go.id")
        .name("Budi Santoso")
        .password(PW)
        .agency(a)
        .insert(&mut c);
    Person::new("siti@surakarta.go.id")
        .name("Siti Rahma")
        .password(PW)
        .agency(a)
        .insert(&mut c);
    Person::new("admin@klaten.go.id")
        .name("Admin Klaten")
        .password(PW)
        .agency(other_agency)
        .admin()
        .insert(&mut c);
    let admin = app.browser_as("admin@surakarta.go.id", PW).await;
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/recognition?year={year}"),
            &format!("/admin/agencies/{a}/recognition/letters"),
            &[
                ("year", &year.to_string()),
                (&format!("person_{budi}"), "1"),
                ("title", &format!("ASN Pembelajar Terbaik Tahun {year}")),
                ("reason", "Atas capaian 44 JP pengembangan kompetensi."),
                ("signatory_name", "Drs. Bambang Wijaya, M.M."),
                ("signatory_title", "Sekretaris Daerah Kota Surakarta"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let letter = cakap::certificates::letters::of_user(&mut c, budi)
        .unwrap()
        .remove(0);
    let base = format!("/me/letters/{}", letter.code);
    // the letter keeps the zone it was issued in (here the platform default, WIB): the agency
    // choosing WIT later does not move its dates
    diesel::update(cakap::db::schema::agencies::table.find(a))
        .set(cakap::db::schema::agencies::time_zone.eq(Some("Asia/Jayapura")))
        .execute(&mut c)
        .unwrap();
    let again = cakap::certificates::letters::by_code(&mut c, &letter.code)
        .unwrap()
        .unwrap();
    assert_eq!(again.zone, cakap::clock::Zone::Wib);

    // the holder: the page links the downloads; the JWT as issued, the Open Badge signed and not
    let budi_b = app.browser_as("budi@surakarta.go.id", PW).await;
    let (s, sheet) = text(&app, &budi_b, &base).await;
    assert_eq!(s, 200);
    for link in ["letter.jwt", "badge.jwt", "badge.json"] {
        assert!(sheet.contains(&format!("{base}/{link}")), "{link}: {sheet}");
    }
    let r = budi_b
        .get(app.url(&format!("{base}/letter.jwt")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/jwt");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("piagam-PGH-"));
    assert_eq!(r.text().await.unwrap(), letter.jwt);
    let (s, badge_jwt) = text(&app, &budi_b, &format!("{base}/badge.jwt")).await;
    assert_eq!(s, 200);
    let jwks: Value = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = cakap::certificates::keys::from_jwks(&jwks);
    let header = jsonwebtoken::decode_header(&badge_jwt).unwrap();
    let key = keys
        .iter()
        .find(|k| Some(&k.kid) == header.kid.as_ref())
        .expect("signed with a published key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_required_spec_claims(&["iss", "jti"]);
    validation.validate_aud = false;
    let badge =
        jsonwebtoken::decode::<Value>(&badge_jwt, &key.decoding_key().unwrap(), &validation)
            .expect("the badge's signature holds")
            .claims;
    assert!(badge["type"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "OpenBadgeCredential"));
    assert_eq!(
        badge["credentialSubject"]["achievement"]["humanCode"],
        letter.number.as_str()
    );
    assert_eq!(
        badge["credentialSubject"]["achievement"]["achievementType"],
        "Award"
    );
    let (s, badge_json) = text(&app, &budi_b, &format!("{base}/badge.json")).await;
    assert_eq!(s, 200);
    let badge_json: Value = serde_json::from_str(&badge_json).unwrap();
    assert_eq!(badge_json["name"], letter.title.as_str());
    assert_eq!(badge_json["issuer"]["name"], "Pemerintah Kota Surakarta");

    // another learner, and another agency's admin: as if it did not exist; the agency's admin may
    let siti_b = app.browser_as("siti@surakarta.go.id", PW).await;
    let klaten = app.browser_as("admin@klaten.go.id", PW).await;
    for b in [&siti_b, &klaten] {
        for path in [
            base.clone(),
            format!("{base}/letter.jwt"),
            format!("{base}/badge.jwt"),
            format!("{base}/badge.json"),
        ] {
            assert_eq!(text(&app, b, &path).await.0, 404, "{path}");
        }
    }
    let (s, body) = text(&app, &admin, &format!("{base}/letter.jwt")).await;
    assert_eq!((s, body.as_str()), (200, letter.jwt.as_str()));

    // the API verifies the letter by its code and by its JWT; a forged JWT is invalid
    for body in [
        serde_json::json!({ "code": letter.code }),
        serde_json::json!({ "jwt": letter.jwt }),
    ] {
        let v = verify_api(&app, body).await;
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["status"], "valid");
        assert_eq!(v["kind"], "letter");
        assert_eq!(v["letter"]["number"], letter.number.as_str());
        assert_eq!(v["letter"]["holder_name"], "Budi Santoso");
    }
    let forged = altered(&letter.jwt, "Budi Santoso", "Budi Santosa");
    let v = verify_api(&app, serde_json::json!({ "jwt": forged })).await;
    assert_eq!(
        (v["valid"].clone(), v["status"].clone()),
        (Value::Bool(false), "invalid".into()),
        "{v}"
    );
    assert!(v["letter"].is_null());
    let v = verify_api(&app, serde_json::json!({ "code": "0000000000000000000A" })).await;
    assert_eq!(v["status"], "not_found", "{v}");
    let r = Client::new()
        .post(app.url("/api/v1/certificates/verify"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("problem+json"));

    // the CLI verifies the code (database) and the JWT offline with a JWKS file
    let data_dir = app.db.dir().join("data");
    let jwks_file = app.db.dir().join("jwks-letter.json");
    std::fs::write(&jwks_file, jwks.to_string()).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cakap"));
        cmd.current_dir(app.db.dir()).args(args);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAKAP_")) {
            cmd.env_remove(k);
        }
        cmd.env("CAKAP_DATABASE_URL", &app.db.url)
            .env("CAKAP_DATA_DIR", &data_dir)
            .env("CAKAP_LOG", "warn");
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["certificates", "verify", &letter.code]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("VALID"), "{out}");
    assert!(
        out.contains(&letter.number) && out.contains("Budi Santoso"),
        "{out}"
    );
    let jwks_arg = jwks_file.to_str().unwrap();
    let (code, out) = run(&["certificates", "verify", &letter.jwt, "--jwks", jwks_arg]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("VALID SIGNATURE"), "{out}");
    let (code, out) = run(&["certificates", "verify", &forged, "--jwks", jwks_arg]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("INVALID"), "{out}");

    // revoked: the API (code and JWT) and the CLI say so
    let r = app
        .post_form(
            &admin,
            &format!("/admin/agencies/{a}/recognition?year={year}"),
            &format!(
                "/admin/agencies/{a}/recognition/letters/{}/revoke",
                letter.code
            ),
            &[
                ("reason", "Data capaian keliru dimasukkan."),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    for body in [
        serde_json::json!({ "code": letter.code }),
        serde_json::json!({ "jwt": letter.jwt }),
    ] {
        let v = verify_api(&app, body).await;
        assert_eq!(v["valid"], false, "{v}");
        assert_eq!(v["status"], "revoked");
        assert!(v["reason"]
            .as_str()
            .unwrap()
            .contains("Data capaian keliru"));
        assert_eq!(v["letter"]["status"], "revoked");
    }
    let (code, out) = run(&["certificates", "verify", &letter.code]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("REVOKED"), "{out}");
}
