//! The training budget over HTTP, a year walked through: a platform admin sets a course fee, the
//! agency admin sets the year's budget, ASN complete the paid course and record activities with
//! costs through the real forms, their supervisor approves (correcting a cost) or rejects them, the
//! admin corrects another cost; then every figure of the page, the JSON and the CSV is checked
//! against what the records say, by hand. Also who may see and change it.

use crate::common;
use crate::common::fixtures::{
    complete, write_dictionary, Agency, CourseFolder, Person, PELAYANAN_PUBLIK,
};

use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use cakap::accounts::{orgs, users};
use cakap::competency::activities::{self, NewActivity};
use cakap::db::schema::{activities as activities_t, enrollments};
use cakap::db::DbConnection;
use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use reqwest::multipart::Form;
use reqwest::Client;
use serde_json::Value;

const PW: &str = "Anggaran-Diklat-2026";

fn write_courses(root: &Path) {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
    for (slug, jp) in [("spbe", 16), ("etika", 4)] {
        CourseFolder::one_lesson(slug).jp(jp).write(root);
    }
}

async fn text(app: &TestApp, b: &Client, path: &str) -> String {
    b.get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Record an activity through the learner's form (multipart, as the browser sends it).
async fn record(
    app: &TestApp,
    b: &Client,
    kind: &str,
    title: &str,
    ended: NaiveDate,
    jp: i32,
    cost: &str,
) -> reqwest::Response {
    let csrf = common::csrf_of(&text(app, b, "/me/activities").await);
    let day = ended.format("%Y-%m-%d").to_string();
    let form = Form::new()
        .text("csrf", csrf)
        .text("kind", kind.to_string())
        .text("title", title.to_string())
        .text("organizer", "BPSDM Provinsi Jawa Tengah")
        .text("started", day.clone())
        .text("ended", day)
        .text("jp", jp.to_string())
        .text("competency", "")
        .text("level", "")
        .text("cost", cost.to_string());
    b.post(app.url("/me/activities"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn activity_id(c: &mut DbConnection, title: &str) -> i64 {
    activities_t::table
        .filter(activities_t::title.eq(title))
        .select(activities_t::id)
        .first(c)
        .unwrap()
}

/// The text of the `<dd>` with this id.
fn fig(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find("</dd>").unwrap();
    html[start..end].to_string()
}

/// The table row holding `needle`.
fn row<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in {html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

/// The row's cells, tags stripped and whitespace collapsed.
fn cells(row: &str) -> Vec<String> {
    row.split("<td")
        .skip(1)
        .map(|c| {
            let c = &c[c.find('>').unwrap() + 1..];
            let c = c.split("</td>").next().unwrap();
            let mut out = String::new();
            let mut in_tag = false;
            for ch in c.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    _ if !in_tag => out.push(ch),
                    _ => {}
                }
            }
            out.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

#[tokio::test]
async fn a_year_of_spending_agrees_with_the_records_on_page_json_and_csv() {
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let year = (Utc::now() + chrono::Duration::hours(7)).year(); // the agency's (WIB) year
    let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let mut c = app.conn();
    let a = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let b = Agency::new("KAB-SLEMAN", "Pemerintah Kabupaten Sleman")
        .kind("kabupaten")
        .insert(&mut c);
    let dinas = orgs::create_unit(&mut c, a, "Dinas Kominfo", None).unwrap();
    let bidang = orgs::create_unit(&mut c, a, "Bidang Aplikasi", Some(dinas)).unwrap();
    let rahmat = Person::new("rahmat@solo.go.id")
        .name("Rahmat Hidayat")
        .password(PW)
        .agency(a)
        .unit(dinas)
        .insert(&mut c);
    Person::new("siti@solo.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .agency(a)
        .unit(bidang)
        .supervisor(rahmat)
        .insert(&mut c);
    Person::new("budi@solo.go.id")
        .name("Budi Santoso")
        .password(PW)
        .agency(a)
        .unit(bidang)
        .supervisor(rahmat)
        .insert(&mut c);
    Person::new("dewi@solo.go.id")
        .name("Dewi Lestari")
        .password(PW)
        .agency(a)
        .supervisor(rahmat)
        .insert(&mut c);
    Person::new("admin@solo.go.id")
        .name("Admin Solo")
        .password(PW)
        .agency(a)
        .admin()
        .insert(&mut c);
    Person::new("admin@sleman.go.id")
        .name("Admin Sleman")
        .password(PW)
        .agency(b)
        .admin()
        .insert(&mut c);
    let boss_b = Person::new("atasan@sleman.go.id")
        .name("Atasan Sleman")
        .password(PW)
        .agency(b)
        .insert(&mut c);
    let tono = Person::new("tono@sleman.go.id")
        .name("Tono Sleman")
        .password(PW)
        .agency(b)
        .supervisor(boss_b)
        .insert(&mut c);
    Person::new("root@cakap.go.id")
        .name("Admin Platform")
        .password(PW)
        .agency(b)
        .platform_admin()
        .insert(&mut c);

    let admin = app.browser_as("admin@solo.go.id", PW).await;
    let root_b = app.browser_as("root@cakap.go.id", PW).await;
    let page = format!("/admin/agencies/{a}/budget?year={year}");

    // ---- a platform admin sets the fee of one course ----
    let fees = text(&app, &root_b, "/admin/courses/fees").await;
    assert!(fees.contains("Kursus spbe") && fees.contains("Kursus etika"));
    let r = app
        .post_form(
            &root_b,
            "/admin/courses/fees",
            "/admin/courses/spbe/fee",
            &[("fee", "5,5")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Rupiah ditulis tanpa sen"));
    let r = app
        .post_form(
            &root_b,
            "/admin/courses/fees",
            "/admin/courses/spbe/fee",
            &[("fee", "Rp 500.000")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &root_b,
            "/admin/courses/fees",
            "/admin/courses/tidak-ada/fee",
            &[("fee", "1000")],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert!(text(&app, &root_b, "/admin/courses/fees")
        .await
        .contains("biaya Rp500.000 per peserta"));
    let r = app
        .post_form(&admin, &page, "/admin/courses/spbe/fee", &[("fee", "1")])
        .await;
    assert_eq!(r.status(), 403, "only platform admins set fees");

    // ---- the agency admin sets the year's budget through the form ----
    let set = format!("/admin/agencies/{a}/budget");
    for (typed, says) in [
        ("1.250.000,50", "Rupiah ditulis tanpa sen"),
        ("sepuluh juta", "Tulis jumlah dengan angka saja"),
        ("-5.000", "tidak boleh negatif"),
        ("1,250,000", "Titik hanya untuk pemisah ribuan"),
        ("99.000.000.000.000", "terlalu besar"),
        ("", "Isi jumlahnya"),
    ] {
        let r = app
            .post_form(
                &admin,
                &page,
                &set,
                &[("year", &year.to_string()), ("amount", typed)],
            )
            .await;
        assert_eq!(r.status(), 422, "{typed}");
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{typed}: {says}");
        assert!(
            html.contains(&format!("value=\"{typed}\"")),
            "typed value kept"
        );
    }
    let r = app
        .post_form(&admin, &page, &set, &[("year", "abc"), ("amount", "1000")])
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .post_form(
            &admin,
            &page,
            &set,
            &[("year", &year.to_string()), ("amount", "Rp 10.000.000")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &admin,
            &page,
            &set,
            &[("year", &(year - 1).to_string()), ("amount", "0")],
        )
        .await;
    assert_eq!(r.status(), 303, "a budget of Rp0 for last year");

    // ---- completions: the paid course by Budi and Siti, the free one by Dewi; Tono is of B ----
    complete(
        &app,
        &app.token_of("budi@solo.go.id", PW).await,
        "spbe",
        "01-materi",
    )
    .await;
    complete(
        &app,
        &app.token_of("siti@solo.go.id", PW).await,
        "spbe",
        "01-materi",
    )
    .await;
    complete(
        &app,
        &app.token_of("dewi@solo.go.id", PW).await,
        "etika",
        "01-materi",
    )
    .await;
    complete(
        &app,
        &app.token_of("tono@sleman.go.id", PW).await,
        "spbe",
        "01-materi",
    )
    .await;
    // Rahmat enrolled in the paid course last year (not completed): last year's money
    let bearer = app.token_of("rahmat@solo.go.id", PW).await;
    let r = Client::new()
        .post(app.url("/api/v1/courses/spbe/enroll"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    diesel::update(enrollments::table.filter(enrollments::user_id.eq(rahmat)))
        .set(enrollments::enrolled_at.eq(day(year - 1, 11, 20).and_hms_opt(3, 0, 0).unwrap()))
        .execute(&mut c)
        .unwrap();

    // ---- activities through the learners' form ----
    let budi = app.browser_as("budi@solo.go.id", PW).await;
    let siti = app.browser_as("siti@solo.go.id", PW).await;
    let dewi = app.browser_as("dewi@solo.go.id", PW).await;
    let r = record(
        &app,
        &budi,
        "workshop",
        "Workshop SOP",
        day(year, 1, 2),
        8,
        "1,5 juta",
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Tulis jumlah dengan angka saja"));
    for (b, kind, title, ended, jp, cost) in [
        (
            &budi,
            "workshop",
            "Workshop SOP Pelayanan",
            day(year, 1, 2),
            8,
            "Rp 1.500.000",
        ),
        (
            &siti,
            "bimtek",
            "Bimtek SPBE",
            day(year, 1, 3),
            12,
            "2.000.000",
        ),
        (
            &dewi,
            "seminar",
            "Seminar Ditolak",
            day(year, 1, 4),
            4,
            "300000",
        ),
        (
            &dewi,
            "coaching",
            "Coaching Tanpa Biaya",
            day(year, 1, 5),
            2,
            "",
        ),
        (
            &siti,
            "seminar",
            "Seminar Tahun Lalu",
            day(year - 1, 12, 10),
            6,
            "400.000",
        ),
    ] {
        let r = record(&app, b, kind, title, ended, jp, cost).await;
        assert_eq!(r.status(), 303, "{title}");
    }
    assert!(text(&app, &budi, "/me/activities")
        .await
        .contains("biaya Rp1.500.000"));

    // ---- the supervisor decides, correcting one cost ----
    let boss = app.browser_as("rahmat@solo.go.id", PW).await;
    let approvals = text(&app, &boss, "/team/approvals").await;
    assert!(
        approvals.contains("Biaya yang diisi: Rp2.000.000"),
        "{approvals}"
    );
    assert!(approvals.contains("value=\"2.000.000\""));
    let mut review = |title: &str, fields: Vec<(&'static str, &'static str)>| {
        let id = activity_id(&mut c, title);
        let boss = &boss;
        let app = &app;
        async move {
            app.post_form(
                boss,
                "/team/approvals",
                &format!("/team/approvals/{id}"),
                &fields,
            )
            .await
        }
    };
    let r = review(
        "Bimtek SPBE",
        vec![("decision", "approve"), ("cost", "1.750.000,5")],
    )
    .await;
    assert_eq!(r.status(), 422, "a cost that cannot be read is refused");
    let refused = r.text().await.unwrap();
    assert!(
        refused.contains("value=\"1.750.000,5\""),
        "shown beside it, kept: {refused}"
    );
    assert!(refused.contains("Biaya tidak bisa dibaca"));
    for (title, fields) in [
        (
            "Workshop SOP Pelayanan",
            vec![("decision", "approve"), ("cost", "1.500.000")],
        ),
        (
            "Bimtek SPBE",
            vec![("decision", "approve"), ("cost", "Rp1.750.000")],
        ),
        (
            "Seminar Ditolak",
            vec![("decision", "reject"), ("note", "Tidak ada surat tugas")],
        ),
        (
            "Coaching Tanpa Biaya",
            vec![("decision", "approve"), ("cost", "")],
        ),
        ("Seminar Tahun Lalu", vec![("decision", "approve")]),
    ] {
        let r = review(title, fields).await;
        assert_eq!(r.status(), 303, "{title}");
    }
    let bimtek: Option<i64> = activities_t::table
        .filter(activities_t::title.eq("Bimtek SPBE"))
        .select(activities_t::cost)
        .first(&mut c)
        .unwrap();
    assert_eq!(bimtek, Some(1_750_000), "corrected at approval");
    let bimtek_id = activity_id(&mut c, "Bimtek SPBE");
    let audit = cakap::db::audit::about(&mut c, &format!("activity:{bimtek_id}")).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.3.contains("cost 2000000 -> 1750000")),
        "{audit:?}"
    );

    // Tono (agency B): an approved, costed activity that A must never see
    let tono_act = activities::create_costed(
        &mut c,
        tono,
        &NewActivity {
            kind: "workshop".into(),
            title: "Workshop Sleman".into(),
            organizer: "BKPSDM Sleman".into(),
            started: day(year, 2, 1),
            ended: day(year, 2, 1),
            jp: 8,
            competency: None,
        },
        Some(9_999_000),
        None,
    )
    .unwrap();
    activities::review(&mut c, tono_act, boss_b, true, "").unwrap();

    // ---- the agency admin corrects Budi's cost ----
    let budi_act = activity_id(&mut c, "Workshop SOP Pelayanan");
    let cost_url = format!("/admin/agencies/{a}/budget/activities/{budi_act}/cost");
    let r = app
        .post_form(
            &admin,
            &page,
            &cost_url,
            &[("year", &year.to_string()), ("cost", "-1")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("tidak boleh negatif"));
    let r = app
        .post_form(
            &admin,
            &page,
            &cost_url,
            &[("year", &year.to_string()), ("cost", "1.600.000")],
        )
        .await;
    assert_eq!(r.status(), 303);
    // not through another agency's path, nor on another agency's activity
    let other = app.browser_as("admin@sleman.go.id", PW).await;
    let r = app
        .post_form(
            &other,
            "/admin",
            &cost_url,
            &[("year", &year.to_string()), ("cost", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_form(
            &admin,
            &page,
            &format!("/admin/agencies/{a}/budget/activities/{tono_act}/cost"),
            &[("year", &year.to_string()), ("cost", "1")],
        )
        .await;
    assert_eq!(r.status(), 404);

    // ---- by hand, from the records above (this year) ----
    // fees: Budi and Siti enrolled in spbe (Rp500.000 each) = Rp1.000.000, 32 JP completed
    // activities: Budi workshop 8 JP Rp1.600.000; Siti bimtek 12 JP Rp1.750.000; Dewi coaching
    //   2 JP no cost; Dewi's seminar rejected; Siti's seminar last year; Tono is of agency B
    // spent 4.350.000 of 10.000.000 → remaining 5.650.000, 43,5 %
    // costed JP 32 + 8 + 12 = 52 → Rp83.654 per JP (83.653,8); 2 people → Rp2.175.000 each
    // JP: Budi 24, Siti 28, Dewi 6, Rahmat 0, admin 0 = 58; below 20: Rahmat, Dewi, admin = 3 of 5
    let html = text(&app, &admin, &page).await;
    assert!(html.contains("Anggaran pengembangan kompetensi"));
    assert_eq!(fig(&html, "fig-budget"), "Rp10.000.000");
    assert_eq!(fig(&html, "fig-spent"), "Rp4.350.000");
    assert_eq!(fig(&html, "fig-remaining"), "Rp5.650.000");
    assert_eq!(fig(&html, "fig-used"), "43,5%");
    assert_eq!(fig(&html, "fig-cost-per-jp"), "Rp83.654");
    assert_eq!(fig(&html, "fig-cost-per-person"), "Rp2.175.000");
    assert_eq!(fig(&html, "fig-jp-costed"), "52 JP");
    assert_eq!(fig(&html, "fig-jp-total"), "58 JP");
    assert_eq!(fig(&html, "fig-costed-people"), "2 orang");
    assert_eq!(fig(&html, "fig-below"), "3 dari 5");
    assert!(html.contains("Rp4.350.000 dari Rp10.000.000 terpakai"));
    assert!(html.contains("<progress class=\"bar budget-bar\" max=\"1000\" value=\"435\">"));
    // by unit: Dinas holds Rahmat; Bidang (inside Dinas) Budi and Siti; Dewi and the admin none
    assert_eq!(
        cells(row(&html, ">Dinas Kominfo</td>")),
        ["Dinas Kominfo", "Rp0", "Rp4.350.000", "—", "0", "1 dari 1"]
    );
    assert_eq!(
        cells(row(&html, "Bidang Aplikasi</td>")),
        [
            "Dinas Kominfo › Bidang Aplikasi",
            "Rp4.350.000",
            "Rp4.350.000",
            "Rp83.654",
            "2",
            "0 dari 2"
        ]
    );
    assert_eq!(
        cells(row(&html, "Tanpa unit")),
        ["Tanpa unit", "Rp0", "Rp0", "—", "0", "2 dari 2"]
    );
    // by kind
    let kind = |k: &str| cells(row(&html, &format!("id=\"kind-{k}\"")));
    assert_eq!(
        kind("workshop"),
        [
            "Workshop/lokakarya",
            "1 kegiatan (1 berbiaya)",
            "8 JP",
            "Rp1.600.000",
            "36,8%",
            "Rp200.000"
        ]
    );
    assert_eq!(
        kind("bimtek"),
        [
            "Bimbingan teknis",
            "1 kegiatan (1 berbiaya)",
            "12 JP",
            "Rp1.750.000",
            "40,2%",
            "Rp145.833"
        ]
    );
    assert_eq!(
        kind("coaching"),
        [
            "Coaching",
            "1 kegiatan (0 berbiaya)",
            "2 JP",
            "Rp0",
            "0,0%",
            "—"
        ]
    );
    // kinds with nothing this year are named in one line
    assert!(!html.contains("id=\"kind-seminar\""));
    let idle = &html[html.find("id=\"idle-kinds\"").unwrap()..];
    let idle = &idle[..idle.find("</p>").unwrap()];
    assert!(
        idle.contains("Seminar/konferensi") && idle.contains("Magang"),
        "{idle}"
    );
    assert!(
        !idle.contains("Coaching") && !idle.contains("Kursus berbayar"),
        "{idle}"
    );
    assert_eq!(
        kind("kursus_berbayar"),
        [
            "Kursus berbayar",
            "2 pendaftaran",
            "32 JP",
            "Rp1.000.000",
            "23,0%",
            "Rp31.250"
        ]
    );
    // the cost list: this year's approved activities of agency A only
    assert!(html.contains("Workshop SOP Pelayanan") && html.contains("Bimtek SPBE"));
    assert!(html.contains("Coaching Tanpa Biaya"));
    for absent in [
        "Seminar Ditolak",
        "Seminar Tahun Lalu",
        "Workshop Sleman",
        "Tono",
        "9.999.000",
    ] {
        assert!(!html.contains(absent), "{absent} is not in A's report");
    }
    assert!(html.contains(&format!("/admin/agencies/{a}/budget.csv?year&#x3D;{year}")));
    // English: the same rupiah, an English decimal point
    let en = app
        .browser_as("admin@solo.go.id", PW)
        .await
        .get(app.url(&page))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Spending by unit"));
    assert_eq!(fig(&en, "fig-used"), "43.5%");
    assert_eq!(fig(&en, "fig-spent"), "Rp4.350.000");

    // ---- JSON ----
    let token = app.token_of("admin@solo.go.id", PW).await;
    let api = |path: String, token: String| {
        let url = app.url(&path);
        async move {
            Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let r = api(
        format!("/api/v1/agencies/{a}/budget?year={year}"),
        token.clone(),
    )
    .await;
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["year"], year);
    assert_eq!(j["budget"], 10_000_000);
    assert_eq!(j["spent"], 4_350_000);
    assert_eq!(j["remaining"], 5_650_000);
    assert_eq!(j["used_permille"], 435);
    assert_eq!(j["jp_total"], 58);
    assert_eq!(j["jp_costed"], 52);
    assert_eq!(j["cost_per_jp"], 83_654);
    assert_eq!(j["costed_people"], 2);
    assert_eq!(j["cost_per_person"], 2_175_000);
    assert_eq!(
        (
            j["target"].as_i64(),
            j["people"].as_i64(),
            j["below_target"].as_i64()
        ),
        (Some(20), Some(5), Some(3))
    );
    let units = j["units"].as_array().unwrap();
    assert_eq!(units.len(), 3);
    assert_eq!(units[0]["unit_id"], dinas);
    assert_eq!(units[0]["cost_with_subunits"], 4_350_000);
    assert_eq!(units[1]["unit_id"], bidang);
    assert_eq!(
        (
            units[1]["cost"].as_i64(),
            units[1]["items"].as_i64(),
            units[1]["jp_costed"].as_i64()
        ),
        (Some(4_350_000), Some(4), Some(52))
    );
    assert!(units[2]["unit_id"].is_null());
    let kinds = j["kinds"].as_array().unwrap();
    let sum: i64 = kinds.iter().map(|k| k["cost"].as_i64().unwrap()).sum();
    assert_eq!(sum, 4_350_000, "the kinds add up to the total");
    let fee = kinds
        .iter()
        .find(|k| k["kind"] == "kursus_berbayar")
        .unwrap();
    assert_eq!(
        (
            fee["items"].as_i64(),
            fee["jp"].as_i64(),
            fee["cost"].as_i64()
        ),
        (Some(2), Some(32), Some(1_000_000))
    );
    // last year: Siti's seminar Rp400.000 and Rahmat's enrollment Rp500.000, against a budget of Rp0
    let j: Value = api(
        format!("/api/v1/agencies/{a}/budget?year={}", year - 1),
        token.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            j["budget"].as_i64(),
            j["spent"].as_i64(),
            j["remaining"].as_i64()
        ),
        (Some(0), Some(900_000), Some(-900_000))
    );
    assert!(j["used_permille"].is_null(), "no share of a budget of 0");
    assert_eq!(
        (j["jp_costed"].as_i64(), j["cost_per_jp"].as_i64()),
        (Some(6), Some(150_000))
    );
    // a year as the document states it: an integer 2000–2100; `?year=` is not one
    for bad in ["abc", "", "+2026", "%202026", "1999", "2101"] {
        let r = api(
            format!("/api/v1/agencies/{a}/budget?year={bad}"),
            token.clone(),
        )
        .await;
        assert_eq!(r.status(), 400, "year={bad}");
    }
    let r = api(format!("/api/v1/agencies/{a}/budget"), token.clone()).await;
    assert_eq!(r.status(), 200, "this year by default");
    let other_token = app.token_of("admin@sleman.go.id", PW).await;
    let r = api(format!("/api/v1/agencies/{a}/budget"), other_token).await;
    assert_eq!(r.status(), 403);
    let root_token = app.token_of("root@cakap.go.id", PW).await;
    assert_eq!(
        api(
            format!("/api/v1/agencies/{a}/budget?year={year}"),
            root_token.clone()
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        api("/api/v1/agencies/999999/budget".into(), root_token.clone())
            .await
            .status(),
        404
    );
    let jb: Value = api(
        format!("/api/v1/agencies/{b}/budget?year={year}"),
        root_token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        jb["spent"],
        500_000 + 9_999_000,
        "B's own: Tono's fee and workshop"
    );

    // ---- CSV ----
    let r = admin
        .get(app.url(&format!("/admin/agencies/{a}/budget.csv?year={year}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"anggaran-pengembangan-KOTA-SOLO-{year}.csv\"").as_str()
    );
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a BOM for Excel");
    let csv = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "bagian,nama,jumlah_item,jp,biaya_rupiah,biaya_termasuk_subunit_rupiah,biaya_per_jp_rupiah,orang_berbiaya,asn,asn_belum_target");
    assert_eq!(
        lines[1],
        format!("anggaran,Anggaran {year},,,10000000,,,,,")
    );
    assert_eq!(lines[2], "realisasi,Realisasi,4,52,4350000,,83654,2,5,3");
    assert_eq!(lines[3], "sisa,Sisa anggaran,,,5650000,,,,,");
    assert_eq!(lines[4], "jp_seluruhnya,JP seluruhnya,,58,,,,,,");
    assert_eq!(lines[5], "biaya_per_orang,Biaya per orang,,,2175000,,,2,,");
    assert_eq!(lines[6], "unit,Dinas Kominfo,0,0,0,4350000,,0,1,1");
    assert_eq!(
        lines[7],
        "unit,Dinas Kominfo › Bidang Aplikasi,4,52,4350000,4350000,83654,2,2,0"
    );
    assert_eq!(lines[8], "unit,Tanpa unit,0,0,0,0,,0,2,2");
    assert!(lines.contains(&"jenis,Workshop/lokakarya,1,8,1600000,,200000,,,"));
    assert!(lines.contains(&"jenis,Bimbingan teknis,1,12,1750000,,145833,,,"));
    assert!(lines.contains(&"jenis,Coaching,1,2,0,,,,,"));
    assert!(lines.contains(&"jenis,Kursus berbayar,2,32,1000000,,31250,,,"));
    assert!(!csv.contains("9999000"));

    // ---- who may see it ----
    for (email, status) in [
        ("siti@solo.go.id", 403),
        ("rahmat@solo.go.id", 403),
        ("admin@sleman.go.id", 403),
        ("root@cakap.go.id", 200),
    ] {
        let who = app.browser_as(email, PW).await;
        for path in [
            page.clone(),
            format!("/admin/agencies/{a}/budget.csv?year={year}"),
        ] {
            let r = who.get(app.url(&path)).send().await.unwrap();
            assert_eq!(r.status(), status, "{email} {path}");
        }
    }
    let r = app.new_browser().get(app.url(&page)).send().await.unwrap();
    assert_eq!(r.status(), 303, "anonymous: to the login page");
    // bad years fall back to this year; an unknown agency is not found
    for q in ["abc", "99999", "-1", "2026.5"] {
        let r = admin
            .get(app.url(&format!("/admin/agencies/{a}/budget?year={q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "year={q}");
    }
    let r = root_b
        .get(app.url("/admin/agencies/999999/budget"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = admin.get(app.url("/admin/budget")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/admin/agencies/{a}/budget").as_str()
    );
    // linked from the agency page and the report
    assert!(text(&app, &admin, &format!("/admin/agencies/{a}"))
        .await
        .contains(&format!("/admin/agencies/{a}/budget\"")));
    assert!(text(
        &app,
        &admin,
        &format!("/admin/agencies/{a}/report?year={year}")
    )
    .await
    .contains(&format!("/admin/agencies/{a}/budget?year={year}")));
}

/// Issue 21, point 2: the fee is recorded with the enrolment when it is spent (a later fee change
/// touches only new enrolments); plans carry planned costs; the budget page shows planned vs
/// realised; a warning (never a refusal) at plan approval, assignment and enrolment when the
/// remaining budget, planned costs counted, goes below zero.
#[tokio::test]
async fn fees_stay_as_spent_plans_carry_costs_and_overspending_is_warned() {
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    // the agency's year (WIB, the platform default), as the budget decides it
    let year = (Utc::now() + chrono::Duration::hours(7)).year();
    let mut c = app.conn();
    let a = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let rahmat = Person::new("rahmat@solo.go.id")
        .name("Rahmat Hidayat")
        .password(PW)
        .agency(a)
        .insert(&mut c);
    let siti = Person::new("siti@solo.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .agency(a)
        .supervisor(rahmat)
        .insert(&mut c);
    let budi = Person::new("budi@solo.go.id")
        .name("Budi Santoso")
        .password(PW)
        .agency(a)
        .supervisor(rahmat)
        .insert(&mut c);
    Person::new("dewi@solo.go.id")
        .name("Dewi Lestari")
        .password(PW)
        .agency(a)
        .supervisor(rahmat)
        .insert(&mut c);
    Person::new("admin@solo.go.id")
        .name("Admin Solo")
        .password(PW)
        .agency(a)
        .admin()
        .insert(&mut c);
    Person::new("root@cakap.go.id")
        .name("Admin Platform")
        .password(PW)
        .agency(a)
        .platform_admin()
        .insert(&mut c);
    let admin = app.browser_as("admin@solo.go.id", PW).await;
    let root_b = app.browser_as("root@cakap.go.id", PW).await;
    let page = format!("/admin/agencies/{a}/budget?year={year}");
    let set_fee = |slug: &'static str, fee: &'static str| {
        let root_b = root_b.clone();
        let app = &app;
        async move {
            let r = app
                .post_form(
                    &root_b,
                    "/admin/courses/fees",
                    &format!("/admin/courses/{slug}/fee"),
                    &[("fee", fee)],
                )
                .await;
            assert_eq!(r.status(), 303, "fee {slug}");
        }
    };
    let enrol = |email: &'static str, slug: &'static str| {
        let app = &app;
        async move {
            let b = app.browser_as(email, PW).await;
            let course = format!("/courses/{slug}");
            let r = app
                .post_form(&b, &course, &format!("/courses/{slug}/enroll"), &[])
                .await;
            assert_eq!(r.status(), 303, "enrol {email} {slug}");
            let to = r.headers()["location"].to_str().unwrap().to_string();
            let html = text(app, &b, &to).await;
            (to, html)
        }
    };
    set_fee("spbe", "Rp 500.000").await;
    let r = app
        .post_form(
            &admin,
            &page,
            &format!("/admin/agencies/{a}/budget"),
            &[("year", &year.to_string()), ("amount", "1.000.000")],
        )
        .await;
    assert_eq!(r.status(), 303);

    // ---- the fee is recorded with the enrolment; a later change touches only new ones ----
    let (to, _) = enrol("siti@solo.go.id", "spbe").await;
    assert_eq!(
        to, "/courses/spbe?notice=enrolled",
        "within budget: no warning"
    );
    set_fee("spbe", "Rp 2.000.000").await;
    let fee_of = |c: &mut DbConnection, user: i64| -> i64 {
        enrollments::table
            .filter(enrollments::user_id.eq(user))
            .select(enrollments::fee)
            .first(c)
            .unwrap()
    };
    assert_eq!(fee_of(&mut c, siti), 500_000);
    let html = text(&app, &admin, &page).await;
    assert_eq!(
        fig(&html, "fig-spent"),
        "Rp500.000",
        "the past spending stays"
    );
    assert_eq!(fig(&html, "fig-remaining"), "Rp500.000");
    assert_eq!(fig(&html, "fig-planned"), "Rp0");

    // ---- the supervisor plans Budi's year, with costs ----
    let rahmat_b = app.browser_as("rahmat@solo.go.id", PW).await;
    let plan = format!("/team/{budi}/plan");
    let r = app
        .post_form(
            &rahmat_b,
            &plan,
            &plan,
            &[("target_jp", "24"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let items = format!("/team/{budi}/plan/items");
    for fields in [
        vec![
            ("kind", "course"),
            ("course", "etika"),
            ("cost", "Rp 300.000"),
        ],
        vec![
            ("kind", "activity"),
            ("activity_kind", "workshop"),
            ("title", "Workshop SPBE"),
            ("jp", "8"),
            ("cost", "200.000"),
        ],
    ] {
        let r = app.post_form(&rahmat_b, &plan, &items, &fields).await;
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("notice=saved"));
    }
    let r = app
        .post_form(
            &rahmat_b,
            &plan,
            &items,
            &[
                ("kind", "course"),
                ("course", "spbe"),
                ("cost", "lima ratus"),
            ],
        )
        .await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("error=cost"));
    // budget 1.000.000 − realised 500.000 − planned 500.000 = 0: not below zero, no warning
    let html = text(&app, &rahmat_b, &plan).await;
    assert!(
        html.contains("Rp300.000") && html.contains("Rp200.000"),
        "{html}"
    );
    assert!(!html.contains("budget-warning"), "{html}");
    let html = text(&app, &admin, &page).await;
    assert_eq!(fig(&html, "fig-planned"), "Rp500.000");
    assert_eq!(fig(&html, "fig-projected"), "Rp0");
    // a planned course without a cost typed costs the course's fee now (2.000.000): the plan's
    // approval warns, and the plan is kept
    let r = app
        .post_form(
            &rahmat_b,
            &plan,
            &items,
            &[("kind", "course"), ("course", "spbe")],
        )
        .await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("notice=saved"));
    let html = text(&app, &rahmat_b, &plan).await;
    assert!(html.contains("budget-warning"), "{html}");
    assert!(html.contains("Peringatan anggaran"), "{html}");
    // the supervisor is warned without the agency's budget figures (those are the admin's)
    assert!(!html.contains("\u{2212}Rp2.000.000"), "{html}");
    assert!(!html.contains("Rp1.000.000"), "the budget amount: {html}");
    assert!(html.contains("Rp2.500.000"), "the plan's total: {html}");

    // planned vs realised, per year, on the budget page
    let html = text(&app, &admin, &page).await;
    assert_eq!(fig(&html, "fig-planned"), "Rp2.500.000");
    assert_eq!(fig(&html, "fig-spent"), "Rp500.000");
    assert_eq!(fig(&html, "fig-projected"), "\u{2212}Rp2.000.000");
    let this = cells(row(&html, &format!("<th scope=\"row\">{year}</th>")));
    assert_eq!(
        this,
        [
            "Rp1.000.000",
            "Rp2.500.000",
            "Rp500.000",
            "\u{2212}Rp2.000.000"
        ]
    );
    let next = cells(row(&html, &format!("<th scope=\"row\">{}</th>", year + 1)));
    assert_eq!(next, ["—", "Rp0", "Rp0", "—"]);
    let api: Value = admin
        .get(app.url(&format!("/api/v1/agencies/{a}/budget?year={year}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["planned"], 2_500_000);
    assert_eq!(api["projected"], -2_000_000);

    // ---- enrolling in a paid course warns when the budget is short; it still enrols ----
    let (to, html) = enrol("budi@solo.go.id", "spbe").await;
    assert_eq!(to, "/courses/spbe?notice=enrolled_over_budget");
    assert!(html.contains("anggaran pelatihan instansi"), "{html}");
    assert_eq!(fee_of(&mut c, budi), 2_000_000);
    let html = text(&app, &admin, &page).await;
    assert_eq!(fig(&html, "fig-spent"), "Rp2.500.000");
    // Budi's planned spbe is now realised: only etika and the workshop stay planned
    assert_eq!(fig(&html, "fig-projected"), "\u{2212}Rp2.000.000");

    // ---- assigning: a free course says nothing, a paid one warns the admin ----
    let assign = |course: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .post_form(
                    &admin,
                    "/assign",
                    "/assign",
                    &[
                        ("course", course),
                        ("target", "person"),
                        ("email", "dewi@solo.go.id"),
                        ("due", ""),
                    ],
                )
                .await;
            assert_eq!(r.status(), 200, "assign {course}");
            r.text().await.unwrap()
        }
    };
    let html = assign("etika").await;
    assert!(!html.contains("budget-warning"), "a free course: {html}");
    set_fee("spbe", "Rp 100.000").await;
    let html = assign("spbe").await;
    assert!(html.contains("budget-warning"), "{html}");
    assert!(html.contains("Peringatan anggaran"), "{html}");
    // the assignment is recorded, at the fee of the day
    let dewi: i64 = users::find_by_email(&mut c, "dewi@solo.go.id")
        .unwrap()
        .unwrap()
        .id;
    let fees: Vec<i64> = enrollments::table
        .filter(enrollments::user_id.eq(dewi))
        .order(enrollments::id)
        .select(enrollments::fee)
        .load(&mut c)
        .unwrap();
    assert_eq!(fees, [0, 100_000]);
    // and the earlier enrolments keep what they cost
    assert_eq!(
        (fee_of(&mut c, siti), fee_of(&mut c, budi)),
        (500_000, 2_000_000)
    );

    // ---- approving a costed activity while the budget is short warns the supervisor ----
    let today = common::wib_today();
    let costed = activities::create_costed(
        &mut c,
        budi,
        &NewActivity {
            kind: "workshop".into(),
            title: "Workshop Anggaran".into(),
            organizer: "BPSDM".into(),
            started: today,
            ended: today,
            jp: 2,
            competency: None,
        },
        Some(50_000),
        None,
    )
    .unwrap();
    let r = app
        .post_form(
            &rahmat_b,
            "/team/approvals",
            &format!("/team/approvals/{costed}"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        "/team/approvals?notice=approved_over_budget"
    );
    let html = text(
        &app,
        &rahmat_b,
        "/team/approvals?notice=approved_over_budget",
    )
    .await;
    assert!(
        html.contains("anggaran pelatihan instansi tahun ini terlampaui"),
        "{html}"
    );

    // ---- the warning comes once, with the enrolment that started: a repeated web request
    // does not warn again; the API says it as `budget_warning` (once too) ----
    let (to, _) = enrol("budi@solo.go.id", "spbe").await;
    assert_eq!(to, "/courses/spbe?notice=enrolled", "already enrolled");
    let bearer = app.token_of("rahmat@solo.go.id", PW).await;
    let api_enrol = |slug: &'static str| {
        let (app, bearer) = (&app, &bearer);
        async move {
            let r = reqwest::Client::new()
                .post(app.url(&format!("/api/v1/courses/{slug}/enroll")))
                .bearer_auth(bearer)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let first = api_enrol("spbe").await;
    assert_eq!(first["fee"], 100_000, "{first}");
    assert!(
        first["budget_warning"]
            .as_str()
            .is_some_and(|w| w.contains("anggaran pelatihan instansi")),
        "{first}"
    );
    let again = api_enrol("spbe").await;
    assert_eq!(again["id"], first["id"]);
    assert!(again.get("budget_warning").is_none(), "{again}");
    // a free course never warns
    let free = api_enrol("etika").await;
    assert!(free.get("budget_warning").is_none(), "{free}");
}

/// Issue 21, point 2's migration note: past enrolments are priced at the fee that applied when
/// they started (the fee history in the audit log), at 0 before a course's history began, and at
/// the current fee where a course has no history at all. Runs the shipped migration's own backfill
/// statement (of this backend) on enrolments as they stood before it.
#[tokio::test]
async fn the_fee_backfill_prices_past_enrolments_as_they_were() {
    use cakap::db::schema::{audit_log, courses};
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut c = app.conn();
    let a = Agency::new("KOTA-MGL", "Pemerintah Kota Magelang").insert(&mut c);
    let people = [
        ("januari@mgl.go.id", "spbe", (2026, 1, 10)),
        ("maret@mgl.go.id", "spbe", (2026, 3, 10)),
        ("juni@mgl.go.id", "spbe", (2026, 6, 10)),
        ("etika@mgl.go.id", "etika", (2026, 2, 1)),
    ];
    let at = |(y, m, d): (i32, u32, u32)| {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    };
    let mut ids = Vec::new();
    for (email, slug, day) in people {
        let id = Person::new(email)
            .name("ASN Magelang")
            .password(PW)
            .agency(a)
            .insert(&mut c);
        complete(&app, &app.token_of(email, PW).await, slug, "01-materi").await;
        // as it stood before the migration: started that day, no fee recorded
        diesel::update(enrollments::table.filter(enrollments::user_id.eq(id)))
            .set((
                enrollments::enrolled_at.eq(at(day)),
                enrollments::fee.eq(-1),
            ))
            .execute(&mut c)
            .unwrap();
        ids.push(id);
    }
    // spbe's fee history: Rp100.000 from February, Rp300.000 from May (its current fee);
    // etika has no history, only a current fee
    for (detail, day) in [("100000", (2026, 2, 1)), ("300000", (2026, 5, 1))] {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::created_at.eq(at(day)),
                audit_log::action.eq("course.fee"),
                audit_log::subject.eq("course:spbe"),
                audit_log::detail.eq(detail),
            ))
            .execute(&mut c)
            .unwrap();
    }
    for (slug, fee) in [("spbe", 300_000i64), ("etika", 75_000)] {
        diesel::update(courses::table.filter(courses::slug.eq(slug)))
            .set(courses::fee.eq(fee))
            .execute(&mut c)
            .unwrap();
    }
    let up = match common::backend() {
        cakap::db::Backend::Sqlite => {
            include_str!("../../migrations/sqlite/2026-12-07-000002_record/up.sql")
        }
        cakap::db::Backend::Postgres => {
            include_str!("../../migrations/postgres/2026-12-07-000002_record/up.sql")
        }
    };
    let start = up.find("UPDATE enrollments SET fee").expect("the backfill");
    let statement = &up[start..start + up[start..].find(';').unwrap()];
    diesel::sql_query(statement).execute(&mut c).unwrap();
    let fees: Vec<i64> = ids
        .iter()
        .map(|&u| {
            enrollments::table
                .filter(enrollments::user_id.eq(u))
                .select(enrollments::fee)
                .first(&mut c)
                .unwrap()
        })
        .collect();
    assert_eq!(
        fees,
        [0, 100_000, 300_000, 75_000],
        "before the history began, in February's price, in May's, and the current fee without history"
    );
}
