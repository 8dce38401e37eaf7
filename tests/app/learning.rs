//! Learning end to end: enrol, read, mark lessons done (once), progress and "continue", the
//! dashboard, completion with JP on the enrolled version, prerequisites, version pinning.

use crate::common;
use crate::common::fixtures::{Agency, Person};

use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use cakap::accounts::{password, users};
use cakap::catalog::batch;
use reqwest::header;

const PW: &str = "Belajar-Terus-2026";

fn write(root: &Path, slug: &str, course_extra: &str, lesson_text: &str) {
    std::fs::create_dir_all(root.join(slug)).unwrap();
    std::fs::write(
        root.join("competencies.toml"),
        "[[competency]]\ncode = \"M.PP\"\nname = \"Pelayanan Publik\"\nkind = \"manajerial\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join(slug).join("course.md"),
        format!("+++\ntitle = \"Kursus {slug}\"\nsummary = \"Ringkas.\"\njp = 3\n{course_extra}\n[[competencies]]\ncode = \"M.PP\"\nlevel = 2\n+++\n\nDeskripsi.\n"),
    )
    .unwrap();
    for (i, name) in ["satu", "dua", "tiga"].iter().enumerate() {
        std::fs::write(
            root.join(slug).join(format!("0{}-{name}.md", i + 1)),
            format!("+++\ntitle = \"Modul {name}\"\nminutes = 5\n+++\n\n{lesson_text} {name}.\n"),
        )
        .unwrap();
    }
}

async fn learner(app: &TestApp, email: &str) -> i64 {
    let id = Person::new(email)
        .name("Rina Wulandari")
        .password(PW)
        .create(app);
    let resp = app
        .submit("/login", "/login", &[("email", email), ("password", PW)])
        .await;
    assert_eq!(resp.status(), 303);
    id
}

async fn post_form(app: &TestApp, page: &str, action: &str) -> reqwest::Response {
    app.submit(page, action, &[]).await
}

#[tokio::test]
async fn enrol_read_mark_done_once_and_complete_on_the_enrolled_version() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kursus-dasar", "", "Isi versi pertama");
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    learner(&app, "rina@kab.go.id").await;

    // the course page offers enrolment; enrol
    let page = app.get("/courses/kursus-dasar").await.text().await.unwrap();
    assert!(page.contains("Ikuti kursus ini"));
    let resp = post_form(
        &app,
        "/courses/kursus-dasar",
        "/courses/kursus-dasar/enroll",
    )
    .await;
    assert_eq!(resp.status(), 303);
    let page = app
        .get("/courses/kursus-dasar?notice=enrolled")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Kemajuan Anda: 0%"), "{page}");

    // a new version is published while the learner is enrolled: they stay on theirs
    write(root.path(), "kursus-dasar", "", "Isi versi kedua");
    let mut conn = app.conn();
    let (_, reports) = batch::publish_dirs(
        &mut conn,
        &[root.path().join("kursus-dasar")],
        root.path(),
        cakap::catalog::publish::Mode::Explicit,
        &mut |_, _, _| {},
    );
    assert!(
        reports[0].line().contains("published a new version"),
        "{}",
        reports[0].line()
    );
    let m1 = app
        .get("/courses/kursus-dasar/01-satu")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        m1.contains("Isi versi pertama"),
        "the enrolled version is shown"
    );
    assert!(
        !m1.contains("versi lama"),
        "no 'old version' banner for one's own version"
    );
    let anon = reqwest::Client::new()
        .get(app.url("/courses/kursus-dasar/01-satu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        anon.contains("Isi versi kedua"),
        "visitors see the current version"
    );

    // mark the first lesson done twice (a double click): it counts once
    let r1 = post_form(
        &app,
        "/courses/kursus-dasar/01-satu",
        "/courses/kursus-dasar/01-satu/done",
    )
    .await;
    assert_eq!(r1.status(), 303);
    assert_eq!(
        r1.headers()[header::LOCATION],
        "/courses/kursus-dasar/02-dua"
    );
    let r2 = post_form(
        &app,
        "/courses/kursus-dasar/01-satu",
        "/courses/kursus-dasar/01-satu/done",
    )
    .await;
    assert_eq!(r2.status(), 303);
    let page = app.get("/courses/kursus-dasar").await.text().await.unwrap();
    assert!(page.contains("Kemajuan Anda: 33%"), "{page}");
    // "continue" leads to the last module opened
    let _ = app.get("/courses/kursus-dasar/02-dua").await;
    let page = app.get("/courses/kursus-dasar").await.text().await.unwrap();
    assert!(
        page.contains("href=\"/courses/kursus-dasar/02-dua\">Lanjutkan belajar"),
        "{page}"
    );

    // the dashboard shows it in progress
    let dash = app.get("/me").await.text().await.unwrap();
    assert!(
        dash.contains("Sedang dipelajari")
            && dash.contains("Kursus kursus-dasar")
            && dash.contains("33%")
    );

    // the rest of the lessons: the course completes on the enrolled version, with its JP
    post_form(
        &app,
        "/courses/kursus-dasar/02-dua",
        "/courses/kursus-dasar/02-dua/done",
    )
    .await;
    let last = post_form(
        &app,
        "/courses/kursus-dasar/03-tiga",
        "/courses/kursus-dasar/03-tiga/done",
    )
    .await;
    assert_eq!(
        last.headers()[header::LOCATION],
        "/courses/kursus-dasar?notice=completed"
    );
    let api: serde_json::Value = app.get("/api/v1/me/dashboard").await.json().await.unwrap();
    assert_eq!(api["completed"].as_array().unwrap().len(), 1, "{api}");
    assert_eq!(api["jp_this_year"], 3);
    let versions = cakap::catalog::store::versions_of(&mut conn, "kursus-dasar").unwrap();
    let completed_version: i64 = {
        use cakap::db::schema::completions;
        use diesel::prelude::*;
        completions::table
            .select(completions::version_id)
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(
        completed_version, versions[0].0,
        "completed on the version enrolled in"
    );
    // marking again after completion changes nothing
    let again = post_form(
        &app,
        "/courses/kursus-dasar/03-tiga",
        "/courses/kursus-dasar/03-tiga/done",
    )
    .await;
    assert_eq!(again.status(), 303);
    let api: serde_json::Value = app.get("/api/v1/me/dashboard").await.json().await.unwrap();
    assert_eq!(api["jp_this_year"], 3);
}

#[tokio::test]
async fn prerequisites_are_enforced_with_the_missing_course_named() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kursus-dasar", "", "Dasar");
    write(
        root.path(),
        "kursus-lanjut",
        "prerequisites = [\"kursus-dasar\"]\n",
        "Lanjut",
    );
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    learner(&app, "budi@kab.go.id").await;
    let resp = post_form(
        &app,
        "/courses/kursus-lanjut",
        "/courses/kursus-lanjut/enroll",
    )
    .await;
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("Selesaikan kursus prasyarat lebih dulu: Kursus kursus-dasar"),
        "{html}"
    );
}

#[tokio::test]
async fn the_json_api_enrols_and_marks_done_idempotently() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kursus-api", "", "Isi");
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    learner(&app, "api@kab.go.id").await;
    let api = reqwest::Client::new();
    let token: serde_json::Value = api
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "api@kab.go.id", "password": PW}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let resp = api
        .post(app.url("/api/v1/courses/kursus-api/enroll"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let done = |m: &'static str| {
        let api = api.clone();
        let token = token.clone();
        let url = app.url(&format!("/api/v1/courses/kursus-api/modules/{m}/done"));
        async move {
            api.post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"done_at": "2026-11-20T08:00:00Z"}))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let first = done("01-satu").await;
    assert_eq!(first["newly_done"], true);
    let retry = done("01-satu").await;
    assert_eq!(retry["newly_done"], false, "a retried request counts once");
    assert_eq!(retry["progress"]["lessons_done"], 1);
    done("02-dua").await;
    let last = done("03-tiga").await;
    assert!(last["completed"].is_object(), "{last}");
    assert_eq!(last["completed"]["jp"], 3);
    // not enrolled elsewhere: refused
    let resp = api
        .post(app.url("/api/v1/courses/tidak-ada/modules/01-satu/done"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
}

#[tokio::test]
async fn supervisors_and_agency_admins_assign_courses_within_their_reach() {
    use cakap::accounts::orgs;
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kursus-tugas", "", "Isi");
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut conn = app.conn();
    let agency = Agency::new("KAB-T", "Kabupaten T")
        .kind("kabupaten")
        .insert(&mut conn);
    let other_agency = Agency::new("KAB-U", "Kabupaten U")
        .kind("kabupaten")
        .insert(&mut conn);
    let top = orgs::create_unit(&mut conn, agency, "Dinas Kominfo", None).unwrap();
    let sub = orgs::create_unit(&mut conn, agency, "Bidang Aplikasi", Some(top)).unwrap();
    let hash = password::hash(PW).unwrap();
    let mut make = |email: &str, f: &dyn Fn(&mut users::NewUser)| {
        Person::new(email)
            .name(email.split('@').next().unwrap())
            .password_hash(&hash)
            .agency(agency)
            .with(f)
            .insert(&mut conn)
    };
    let boss = make("kabid@t.go.id", &|_| {});
    make("staf1@t.go.id", &|u| u.supervisor_id = Some(boss));
    make("staf2@t.go.id", &|u| {
        u.supervisor_id = Some(boss);
        u.unit_id = Some(sub);
    });
    make("admin@t.go.id", &|u| u.is_agency_admin = true);
    make("luar@u.go.id", &|u| u.agency_id = Some(other_agency));
    make("biasa@t.go.id", &|_| {});

    let login = |email: &'static str| {
        let app = &app;
        async move {
            let c = app.new_browser();
            let html = c
                .get(app.url("/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = common::csrf_of(&html);
            c.post(app.url("/login"))
                .form(&[("email", email), ("password", PW), ("csrf", &csrf)])
                .send()
                .await
                .unwrap();
            let html = c
                .get(app.url("/me/account"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            (c, common::csrf_of(&html))
        }
    };

    // a learner without a team may not assign
    let (plain, _) = login("biasa@t.go.id").await;
    assert_eq!(
        plain.get(app.url("/assign")).send().await.unwrap().status(),
        403
    );

    // the supervisor assigns to the whole team, due today (WIB, the platform default)
    let (boss_c, csrf) = login("kabid@t.go.id").await;
    let today = cakap::clock::Zone::Wib
        .today(chrono::Utc::now().naive_utc())
        .format("%Y-%m-%d")
        .to_string();
    let resp = boss_c
        .post(app.url("/assign"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("course", "kursus-tugas"),
            ("target", "team"),
            ("due", &today),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("2 orang didaftarkan"));
    // ... and the due date passes
    {
        use cakap::db::schema::enrollments;
        use diesel::prelude::*;
        let mut conn = app.conn();
        diesel::update(enrollments::table)
            .set(enrollments::due_at.eq(Some(
                chrono::Utc::now().naive_utc() - chrono::Duration::days(1),
            )))
            .execute(&mut conn)
            .unwrap();
    }
    // ... but not someone outside the team and agency
    let resp = boss_c
        .post(app.url("/assign"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("course", "kursus-tugas"),
            ("target", "person"),
            ("email", "luar@u.go.id"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    // ... and not a unit (admins only)
    let resp = boss_c
        .post(app.url("/assign"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("course", "kursus-tugas"),
            ("target", "unit"),
            ("unit_id", &top.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);

    // the staff member sees it assigned and overdue
    let (staf, _) = login("staf1@t.go.id").await;
    let dash = staf
        .get(app.url("/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dash.contains("Ditugaskan kepada Anda") && dash.contains("Lewat tenggat"),
        "{dash}"
    );

    // the agency admin assigns to a unit: its sub-units are included; another agency's unit is refused
    let (admin_c, csrf) = login("admin@t.go.id").await;
    let resp = admin_c
        .post(app.url("/assign"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("course", "kursus-tugas"),
            ("target", "unit"),
            ("unit_id", &top.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("1 yang sudah terdaftar diperbarui"));
    let foreign_unit = {
        let mut conn = app.conn();
        orgs::create_unit(&mut conn, other_agency, "Unit Lain", None).unwrap()
    };
    let resp = admin_c
        .post(app.url("/assign"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("course", "kursus-tugas"),
            ("target", "unit"),
            ("unit_id", &foreign_unit.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
}

/// `/assign` refuses a due date before today in the asker's agency zone. At 03:18 WIB on 10 March
/// 2027 (20:18 UTC on 9 March) 10 March is today and accepted; 9 March — still "today" in UTC — has
/// passed and is refused with a message that says what to choose.
#[tokio::test]
async fn assign_refuses_a_due_date_before_today_in_the_agency_zone() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kursus-tugas", "", "Isi");
    let at = chrono::NaiveDate::from_ymd_opt(2027, 3, 9)
        .unwrap()
        .and_hms_opt(20, 18, 0)
        .unwrap();
    let app = common::spawn_app_at(
        at,
        &[("CAKAP_COURSES_DIR", &root.path().display().to_string())],
    )
    .await;
    let mut conn = app.conn();
    let agency = Agency::new("KAB-T", "Kabupaten T")
        .kind("kabupaten")
        .insert(&mut conn);
    let hash = password::hash(PW).unwrap();
    let new = |email: &str| {
        Person::new(email)
            .name(email.split('@').next().unwrap())
            .password_hash(&hash)
            .agency(agency)
    };
    let boss = new("kabid@t.go.id").insert(&mut conn);
    new("staf@t.go.id").supervisor(boss).insert(&mut conn);
    let b = app.browser_as("kabid@t.go.id", PW).await;
    let assign = |due: &'static str| {
        let (app, b) = (&app, &b);
        async move {
            let html = b
                .get(app.url("/assign"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = common::csrf_of(&html);
            b.post(app.url("/assign"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("course", "kursus-tugas"),
                    ("target", "team"),
                    ("due", due),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = assign("2027-03-09").await;
    assert_eq!(r.status(), 422, "yesterday in WIB");
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Tanggal tenggat sudah lewat") && page.contains("10 Maret 2027, WIB"),
        "{page}"
    );
    let r = assign("2027-03-10").await;
    assert_eq!(r.status(), 200, "today in WIB");
    assert!(r.text().await.unwrap().contains("1 orang didaftarkan"));
    // due at the end of that day in WIB: 16:59:59 UTC
    use cakap::db::schema::enrollments;
    use diesel::prelude::*;
    let due: Option<chrono::NaiveDateTime> = enrollments::table
        .select(enrollments::due_at)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        due,
        chrono::NaiveDate::from_ymd_opt(2027, 3, 10)
            .unwrap()
            .and_hms_opt(16, 59, 59)
    );
    // the API gives both: the due instant in UTC and the due day, a date in the agency zone
    let token = app.token_of("staf@t.go.id", PW).await;
    let dash = app.api_json("/api/v1/me/dashboard", &token).await;
    let course = &dash["assigned"][0];
    assert_eq!(course["due_at"], "2027-03-10T16:59:59Z", "{dash}");
    assert_eq!(course["due_date"], "2027-03-10", "{dash}");
}

/// (issue 22, item 10) An agency admin assigns a course to everyone holding a position in their
/// agency: its holders are enrolled (as assigned), others are not, another agency's position is
/// refused, and a supervisor (no admin) cannot assign by position.
#[tokio::test]
async fn an_agency_admin_assigns_by_position_within_the_agency() {
    use cakap::accounts::orgs;
    use cakap::db::schema::enrollments;
    use diesel::prelude::*;
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "kursus-jabatan", "", "Isi");
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut conn = app.conn();
    let agency = Agency::new("KAB-P", "Kabupaten P")
        .kind("kabupaten")
        .insert(&mut conn);
    let other = Agency::new("KAB-Q", "Kabupaten Q")
        .kind("kabupaten")
        .insert(&mut conn);
    let analyst = orgs::create_position(
        &mut conn,
        agency,
        "Analis SDM Aparatur",
        "fungsional_pertama",
    )
    .unwrap();
    let clerk =
        orgs::create_position(&mut conn, agency, "Pengadministrasi Umum", "pelaksana").unwrap();
    let foreign = orgs::create_position(
        &mut conn,
        other,
        "Analis SDM Aparatur",
        "fungsional_pertama",
    )
    .unwrap();
    let hash = password::hash(PW).unwrap();
    let mut make = |email: &str, f: &dyn Fn(&mut users::NewUser)| {
        Person::new(email)
            .name(email.split('@').next().unwrap())
            .password_hash(&hash)
            .agency(agency)
            .with(f)
            .insert(&mut conn)
    };
    make("admin@p.go.id", &|u| u.is_agency_admin = true);
    let boss = make("kabid@p.go.id", &|_| {});
    let a1 = make("analis1@p.go.id", &|u| u.position_id = Some(analyst));
    let a2 = make("analis2@p.go.id", &|u| {
        u.position_id = Some(analyst);
        u.supervisor_id = Some(boss);
    });
    make("staf@p.go.id", &|u| u.position_id = Some(clerk));
    make("analis@q.go.id", &|u| {
        u.agency_id = Some(other);
        u.position_id = Some(foreign);
    });
    let assigned = |conn: &mut cakap::db::DbConnection| -> Vec<i64> {
        let mut ids: Vec<i64> = enrollments::table
            .filter(enrollments::source.eq("assigned"))
            .select(enrollments::user_id)
            .load(conn)
            .unwrap();
        ids.sort();
        ids
    };
    let by_position = |b: reqwest::Client, position: i64| {
        let app = &app;
        async move {
            let html = b
                .get(app.url("/assign"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = common::csrf_of(&html);
            b.post(app.url("/assign"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("course", "kursus-jabatan"),
                    ("target", "position"),
                    ("position_id", &position.to_string()),
                ])
                .send()
                .await
                .unwrap()
        }
    };

    // a supervisor may assign to their team, not by position
    let boss_b = app.browser_as("kabid@p.go.id", PW).await;
    let r = by_position(boss_b, analyst).await;
    assert_eq!(r.status(), 422);
    assert!(assigned(&mut app.conn()).is_empty());

    let admin = app.browser_as("admin@p.go.id", PW).await;
    // another agency's position: refused, nobody enrolled
    let r = by_position(admin.clone(), foreign).await;
    assert_eq!(r.status(), 422);
    assert!(assigned(&mut app.conn()).is_empty());
    // their own: exactly the position's two holders
    let r = by_position(admin, analyst).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Selesai: 2 orang didaftarkan"),
        "two holders"
    );
    let mut expected = vec![a1, a2];
    expected.sort();
    assert_eq!(assigned(&mut app.conn()), expected);
}
