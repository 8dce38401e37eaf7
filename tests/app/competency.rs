//! Competency profiles: completions add learning evidence; the profile weighs it (or a formal
//! assessment) against the position's standard, shows gaps, JP this year, the job-person match and
//! the courses that close the gaps.

use crate::common;
use crate::common::fixtures::{
    complete, write_dictionary, Agency, CourseFolder, Person, PELAYANAN_PUBLIK,
};

use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use cakap::accounts::orgs;
use cakap::db::schema::{agencies, assessed_levels, courses, position_targets};
use cakap::db::DbConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

const PW: &str = "Belajar-Terus-2026";

fn dictionary(root: &Path) {
    write_dictionary(
        root,
        &[
            PELAYANAN_PUBLIK,
            ("M.INT", "Integritas", "manajerial"),
            (
                "T.EGOV",
                "Layanan Pemerintahan Berbasis Elektronik",
                "teknis",
            ),
        ],
    );
}

/// The courses several tests share.
fn course_pelayanan_dasar() -> CourseFolder {
    CourseFolder::one_lesson("pelayanan-dasar")
        .jp(6)
        .competency("M.PP", 1)
}

fn course_egov() -> CourseFolder {
    CourseFolder::one_lesson("egov")
        .jp(5)
        .competency("T.EGOV", 2)
}

fn course_integritas() -> CourseFolder {
    CourseFolder::one_lesson("integritas")
        .jp(4)
        .competency("M.INT", 2)
}

async fn profile(app: &TestApp, bearer: &str) -> Value {
    app.api_json("/api/v1/me/profile", bearer).await
}

fn row<'a>(p: &'a Value, code: &str) -> &'a Value {
    p["profile"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no row {code} in {p}"))
}

#[tokio::test]
async fn completions_feed_the_profile_gaps_jp_and_recommendations() {
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    course_pelayanan_dasar().write(root.path());
    course_egov().write(root.path());
    CourseFolder::one_lesson("pelayanan-lanjut")
        .jp(8)
        .front("prerequisites = [\"etika\"]")
        .competency("M.PP", 2)
        .write(root.path());
    CourseFolder::one_lesson("etika").jp(3).write(root.path());
    course_integritas().write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let position =
        orgs::create_position(&mut c, agency, "Kepala Seksi Pelayanan", "pengawas").unwrap();
    // the standard: pengawas → managerial level 2 by default; technical set explicitly
    diesel::insert_into(position_targets::table)
        .values((
            position_targets::position_id.eq(position),
            position_targets::code.eq("T.EGOV"),
            position_targets::level.eq(3),
        ))
        .execute(&mut c)
        .unwrap();
    let user = Person::new("siti@solo.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .agency(agency)
        .position(position)
        .insert(&mut c);
    let bearer = app.token_of("siti@solo.go.id", PW).await;

    // before anything: targets from the position, everything a gap
    let p = profile(&app, &bearer).await;
    assert_eq!(row(&p, "M.PP")["target"], 2);
    assert_eq!(row(&p, "M.INT")["target"], 2);
    assert_eq!(row(&p, "T.EGOV")["target"], 3);
    assert_eq!(row(&p, "M.PP")["gap"], 2);
    assert_eq!(p["jp_earned"], 0);
    assert_eq!(p["jp_target"], 20);
    assert_eq!(p["profile"]["jpm"], 0.0);

    complete(&app, &bearer, "pelayanan-dasar", "01-materi").await;
    complete(&app, &bearer, "egov", "01-materi").await;
    let p = profile(&app, &bearer).await;
    assert_eq!(p["jp_earned"], 11);
    let pp = row(&p, "M.PP");
    assert_eq!(pp["current"], 1);
    assert_eq!(pp["from"], "evidence");
    assert_eq!(pp["gap"], 1);
    assert_eq!(pp["evidence"][0]["title"], "Kursus pelayanan-dasar");
    let egov = row(&p, "T.EGOV");
    assert_eq!(
        (egov["current"].clone(), egov["gap"].clone()),
        (json!(2), json!(1))
    );
    // JPM = (1 + 0 + 2) / (2 + 2 + 3)
    let jpm = p["profile"]["jpm"].as_f64().unwrap();
    assert!((jpm - 3.0 / 7.0).abs() < 1e-9, "{jpm}");
    assert_eq!(p["profile"]["band"], "below");
    // recommendations: M.INT has the biggest gap (2); M.PP through its prerequisite first
    let rec: Vec<&str> = p["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    assert_eq!(rec, ["integritas", "etika"], "{p}");
    assert_eq!(
        p["recommendations"][1]["leads_to"],
        "Kursus pelayanan-lanjut"
    );
    // the server keeps the catalog's offers between requests; a course archived (here straight
    // in the database, as another server would) is no longer recommended, and is again once back
    let archive = |c: &mut DbConnection, archived: bool| {
        diesel::update(courses::table.filter(courses::slug.eq("integritas")))
            .set(courses::archived.eq(archived))
            .execute(c)
            .unwrap();
    };
    let slugs = |p: &Value| -> Vec<String> {
        p["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["slug"].as_str().unwrap().to_string())
            .collect()
    };
    archive(&mut c, true);
    assert_eq!(slugs(&profile(&app, &bearer).await), ["etika"]);
    archive(&mut c, false);
    assert_eq!(
        slugs(&profile(&app, &bearer).await),
        ["integritas", "etika"]
    );

    // an assessment overrides the evidence, unless the agency chooses evidence
    diesel::insert_into(assessed_levels::table)
        .values((
            assessed_levels::user_id.eq(user),
            assessed_levels::code.eq("T.EGOV"),
            assessed_levels::level.eq(3),
            assessed_levels::assessed_at.eq(chrono::Utc::now().naive_utc()),
            assessed_levels::source.eq("Uji kompetensi BKD 2026"),
            assessed_levels::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(&mut c)
        .unwrap();
    let p = profile(&app, &bearer).await;
    assert_eq!(row(&p, "T.EGOV")["current"], 3);
    assert_eq!(row(&p, "T.EGOV")["from"], "assessed");
    assert_eq!(row(&p, "T.EGOV")["gap"], 0);
    diesel::update(agencies::table.find(agency))
        .set((
            agencies::gap_basis.eq("evidence"),
            agencies::jp_target.eq(Some(30)),
        ))
        .execute(&mut c)
        .unwrap();
    let p = profile(&app, &bearer).await;
    assert_eq!(row(&p, "T.EGOV")["current"], 2);
    assert_eq!(p["jp_target"], 30, "the agency's own target");

    // the page shows the same, with the chart drawn on the server
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    b.post(app.url("/login"))
        .form(&[
            ("email", "siti@solo.go.id"),
            ("password", PW),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let page = b
        .get(app.url("/me/profile"))
        .header("accept-language", "id")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Profil kompetensi"));
    assert!(page.contains("<svg"), "the chart");
    assert!(page.contains("role=\"img\""));
    assert!(page.contains("Kepala Seksi Pelayanan"));
    assert!(page.contains("11</strong> / 30 JP"), "{page}");
    assert!(page.contains("/courses/integritas"));
    assert!(page.contains("Kesesuaian dengan jabatan"));
    same_profiles_in_bulk(&mut app.conn());
}

/// The team and agency views build many profiles at once; each must equal the one the person's
/// own profile page shows.
fn same_profiles_in_bulk(c: &mut DbConnection) {
    let ids: Vec<i64> = cakap::db::schema::users::table
        .select(cakap::db::schema::users::id)
        .load(c)
        .unwrap();
    assert!(!ids.is_empty());
    let now = chrono::Utc::now().naive_utc();
    let bulk = cakap::competency::store::profiles_many(c, &ids).unwrap();
    for id in ids {
        let one = cakap::competency::store::load(c, &Default::default(), id, now)
            .unwrap()
            .unwrap();
        assert_eq!(bulk[&id], one.profile, "user {id}");
    }
}

#[tokio::test]
async fn a_profile_needs_a_login_and_a_person_without_position_sees_no_targets() {
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    course_pelayanan_dasar().write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    Person::new("budi@kab.go.id")
        .name("Budi")
        .password(PW)
        .create(&app);
    let bearer = app.token_of("budi@kab.go.id", PW).await;
    complete(&app, &bearer, "pelayanan-dasar", "01-materi").await;
    let p = profile(&app, &bearer).await;
    let pp = row(&p, "M.PP");
    assert_eq!(pp["current"], 1);
    assert_eq!(pp["target"], Value::Null);
    assert_eq!(pp["gap"], 0);
    assert_eq!(p["profile"]["jpm"], Value::Null);
    assert!(p["recommendations"].as_array().unwrap().is_empty());
}

async fn page(app: &TestApp, b: &reqwest::Client, path: &str) -> (u16, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    from: &str,
    to: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(app, b, from).await;
    let csrf = common::csrf_of(&html);
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &csrf));
    b.post(app.url(to)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn a_supervisor_sees_the_team_figures_and_keeps_a_plan_the_member_sees_fulfilled() {
    use cakap::db::schema::enrollments;
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    course_pelayanan_dasar().write(root.path());
    course_egov().write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let position =
        orgs::create_position(&mut c, agency, "Pelaksana Pelayanan", "pelaksana").unwrap();
    let new = |email: &str, name: &str, supervisor: Option<i64>| {
        Person::new(email)
            .name(name)
            .password(PW)
            .agency(agency)
            .position(position)
            .supervisor(supervisor)
    };
    let boss = new("atasan@solo.go.id", "Bu Atasan", None).insert(&mut c);
    let siti = new("siti@solo.go.id", "Siti Rahmawati", Some(boss)).insert(&mut c);
    new("lain@solo.go.id", "Orang Lain", None).insert(&mut c);
    let bearer = app.token_of("siti@solo.go.id", PW).await;
    complete(&app, &bearer, "pelayanan-dasar", "01-materi").await;
    // an overdue assignment
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/courses/egov/enroll"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    diesel::update(enrollments::table.filter(enrollments::user_id.eq(siti)))
        .filter(enrollments::completed_at.is_null())
        .set((
            enrollments::source.eq("assigned"),
            enrollments::due_at.eq(Some(
                chrono::Utc::now().naive_utc() - chrono::Duration::days(3),
            )),
        ))
        .execute(&mut c)
        .unwrap();

    // the team list: JP 6 of 20, gaps (pelaksana: M.PP 1 met, M.INT 1 missing), one overdue
    let atasan = app.browser_as("atasan@solo.go.id", PW).await;
    let (status, team) = page(&app, &atasan, "/team").await;
    assert_eq!(status, 200);
    assert!(team.contains("Siti Rahmawati"));
    assert!(team.contains(">6</strong> / 20"), "{team}");
    assert!(team.contains(&format!("/team/{siti}/plan")));
    let figures = cakap::competency::team::figures(&mut c, &[siti], chrono::Utc::now().naive_utc())
        .unwrap()[&siti]
        .clone();
    assert_eq!((figures.jp, figures.gaps, figures.overdue), (6, 1, 1));
    same_profiles_in_bulk(&mut c);

    // a plan: target, a course and an activity
    let plan_url = format!("/team/{siti}/plan");
    let r = post(
        &app,
        &atasan,
        &plan_url,
        &plan_url,
        &[("target_jp", "24"), ("note", "Fokus pelayanan digital")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let items = format!("/team/{siti}/plan/items");
    let r = post(
        &app,
        &atasan,
        &plan_url,
        &items,
        &[("kind", "course"), ("course", "egov")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post(
        &app,
        &atasan,
        &plan_url,
        &items,
        &[("kind", "course"), ("course", "egov")],
    )
    .await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("error=duplicate"));
    let r = post(
        &app,
        &atasan,
        &plan_url,
        &items,
        &[
            ("kind", "activity"),
            ("activity_kind", "coaching"),
            ("title", "Coaching layanan digital"),
            ("jp", "4"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &atasan, &plan_url).await;
    assert!(html.contains("0 dari 2 rencana terpenuhi"), "{html}");
    // the plan's own target and the agency's are explained side by side (issue 21, point 10)
    assert!(
        html.contains("Target rencana ini 24 JP, disepakati dengan atasan langsung")
            && html.contains("target instansi: 20 JP per tahun"),
        "{html}"
    );
    assert!(!html.contains("di bawah target instansi"));
    let set_target = |c: &mut DbConnection, t: Option<i32>| {
        diesel::update(agencies::table)
            .set(agencies::jp_target.eq(t))
            .execute(c)
            .unwrap();
    };
    set_target(&mut app.conn(), Some(30));
    let (_, html) = page(&app, &atasan, &plan_url).await;
    assert!(
        html.contains("Target rencana ini di bawah target instansi (30 JP)"),
        "{html}"
    );
    set_target(&mut app.conn(), None);

    // only the supervisor: someone else gets not found, and cannot write
    let lain = app.browser_as("lain@solo.go.id", PW).await;
    assert_eq!(page(&app, &lain, &plan_url).await.0, 404);
    let (_, own) = page(&app, &lain, "/me/profile").await;
    let csrf = common::csrf_of(&own);
    let r = lain
        .post(app.url(&plan_url))
        .form(&[("target_jp", "99"), ("note", "x"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // the member completes the planned course: the plan fills itself in, and shows on the profile
    diesel::update(enrollments::table.filter(enrollments::user_id.eq(siti)))
        .set(enrollments::due_at.eq(None::<chrono::NaiveDateTime>))
        .execute(&mut c)
        .unwrap();
    let done: Value = reqwest::Client::new()
        .post(app.url("/api/v1/courses/egov/modules/01-materi/done"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(done["completed"].is_object());
    let member = app.browser_as("siti@solo.go.id", PW).await;
    let (_, profile) = page(&app, &member, "/me/profile").await;
    assert!(profile.contains("Rencana pengembangan"), "{profile}");
    assert!(profile.contains("1 dari 2 rencana terpenuhi"), "{profile}");
    assert!(profile.contains("11</strong> / 24 JP"));
    assert!(profile.contains("Fokus pelayanan digital"));
}

#[tokio::test]
async fn last_quarter_jp_reminders_and_weekly_digests_go_out_once() {
    use cakap::competency::reminders;
    use cakap::db::schema::{enrollments, outbox};
    use chrono::Datelike;
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    course_egov().write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut c = app.conn();
    // JP reminders go to ASN: an agency and a NIP
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let new = |email: &str, supervisor: Option<i64>, nip: &str| {
        Person::new(email)
            .name(format!("Pegawai {email}"))
            .password(PW)
            .nip(nip)
            .supervisor(supervisor)
            .agency(agency)
    };
    let boss = new("atasan@solo.go.id", None, "197801012005011001").insert(&mut c);
    let siti = new("siti@solo.go.id", Some(boss), "198503302010012001").insert(&mut c);
    let bearer = app.token_of("siti@solo.go.id", PW).await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/courses/egov/enroll"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let now = chrono::Utc::now().naive_utc();
    diesel::update(enrollments::table.filter(enrollments::user_id.eq(siti)))
        .set(enrollments::due_at.eq(Some(now - chrono::Duration::days(2))))
        .execute(&mut c)
        .unwrap();
    let new_activity = cakap::competency::activities::NewActivity {
        kind: "workshop".into(),
        title: "Workshop Pelayanan Digital".into(),
        organizer: "BPSDM".into(),
        started: now.date(),
        ended: now.date(),
        jp: 8,
        competency: None,
    };
    cakap::competency::activities::create(&mut c, siti, &new_activity, None).unwrap();
    let templates =
        cakap::mail::MailTemplates::load(std::sync::Arc::new(cakap::web::I18n::load().unwrap()))
            .unwrap();

    // outside the last quarter: no JP reminder
    let september = chrono::NaiveDate::from_ymd_opt(now.year(), 9, 15)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    assert_eq!(
        reminders::jp_reminders(&mut c, &templates, &app.address, september).unwrap(),
        0
    );
    // in October: both are below 20 JP; once each, however often it runs
    let october = september + chrono::Duration::days(30);
    assert_eq!(
        reminders::jp_reminders(&mut c, &templates, &app.address, october).unwrap(),
        2
    );
    assert_eq!(
        reminders::jp_reminders(&mut c, &templates, &app.address, october).unwrap(),
        0
    );
    // the supervisor's digest: one pending approval, one overdue assignment; once a week
    assert_eq!(
        reminders::supervisor_digests(&mut c, &templates, &app.address, now).unwrap(),
        1
    );
    assert_eq!(
        reminders::supervisor_digests(&mut c, &templates, &app.address, now).unwrap(),
        0
    );
    let mails: Vec<(String, String, String)> = outbox::table
        .select((outbox::to_address, outbox::subject, outbox::text_body))
        .load(&mut c)
        .unwrap();
    let digest = mails
        .iter()
        .find(|m| m.0 == "atasan@solo.go.id" && m.1.contains("Ringkasan mingguan"))
        .expect("a digest for the supervisor");
    assert!(
        digest.2.contains("Workshop Pelayanan Digital"),
        "{}",
        digest.2
    );
    assert!(digest.2.contains("/team/approvals"));
    assert!(mails
        .iter()
        .any(|m| m.0 == "siti@solo.go.id" && m.1.contains("0 dari 20 JP")));
    let next_week = now + chrono::Duration::days(7);
    assert_eq!(
        reminders::supervisor_digests(&mut c, &templates, &app.address, next_week).unwrap(),
        1,
        "a new week, a new digest"
    );
}

/// The `<tr>` of `html` that contains `needle`.
fn table_row<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in {html}"));
    let start = html[..at].rfind("<tr>").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

/// Issue 8's "done when": two courses and one approved outside activity for an ASN; the profile's
/// levels, gaps, JP tally and recommendations; the supervisor's and the agency's figures.
#[tokio::test]
async fn two_courses_and_an_approved_activity_feed_profile_team_and_agency() {
    use cakap::competency::activities::{self, NewActivity};
    use cakap::competency::team;

    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    course_pelayanan_dasar().write(root.path());
    course_egov().write(root.path());
    CourseFolder::one_lesson("egov-lanjut")
        .jp(6)
        .front("prerequisites = [\"egov\"]")
        .competency("T.EGOV", 3)
        .write(root.path());
    course_integritas().write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let unit = orgs::create_unit(&mut c, agency, "Dinas Kominfo", None).unwrap();
    let position =
        orgs::create_position(&mut c, agency, "Kepala Seksi Layanan Digital", "pengawas").unwrap();
    diesel::insert_into(position_targets::table)
        .values((
            position_targets::position_id.eq(position),
            position_targets::code.eq("T.EGOV"),
            position_targets::level.eq(3),
        ))
        .execute(&mut c)
        .unwrap();
    let new = |email: &str, name: &str, supervisor: Option<i64>| {
        Person::new(email)
            .name(name)
            .password(PW)
            .agency(agency)
            .unit(unit)
            .position(position)
            .supervisor(supervisor)
    };
    let boss = new("kabid@solo.go.id", "Hendra Wijaya", None).insert(&mut c);
    let siti = new("siti@solo.go.id", "Siti Rahmawati", Some(boss)).insert(&mut c);
    let andi = new("andi@solo.go.id", "Andi Pratama", Some(boss)).insert(&mut c);
    new("admin@solo.go.id", "Admin BKPSDM", None)
        .admin()
        .unit(None)
        .position(None)
        .insert(&mut c);

    // two courses and an outside activity, approved by the supervisor
    let bearer = app.token_of("siti@solo.go.id", PW).await;
    complete(&app, &bearer, "pelayanan-dasar", "01-materi").await;
    complete(&app, &bearer, "egov", "01-materi").await;
    let today = common::wib_today();
    let activity = activities::create(
        &mut c,
        siti,
        &NewActivity {
            kind: "pelatihan_klasikal".into(),
            title: "Pelatihan Pelayanan Prima BPSDM".into(),
            organizer: "BPSDM Provinsi Jawa Tengah".into(),
            started: today,
            ended: today,
            jp: 10,
            competency: Some(("M.PP".into(), 2)),
        },
        None,
    )
    .unwrap();
    let p = profile(&app, &bearer).await;
    assert_eq!(p["jp_earned"], 11, "a pending activity does not count");
    let atasan = app.browser_as("kabid@solo.go.id", PW).await;
    let r = post(
        &app,
        &atasan,
        "/team/approvals",
        &format!("/team/approvals/{activity}"),
        &[("decision", "approve"), ("note", "Sesuai surat tugas.")],
    )
    .await;
    assert_eq!(r.status(), 303);

    // the profile: levels, gaps, JP and recommendations
    let p = profile(&app, &bearer).await;
    assert_eq!(p["jp_earned"], 21, "6 + 5 JP of courses + 10 JP approved");
    assert_eq!(p["jp_target"], 20);
    let pp = row(&p, "M.PP");
    assert_eq!(
        (
            pp["current"].clone(),
            pp["target"].clone(),
            pp["gap"].clone()
        ),
        (json!(2), json!(2), json!(0))
    );
    let titles: Vec<&str> = pp["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Pelatihan Pelayanan Prima BPSDM"),
        "{titles:?}"
    );
    assert!(titles.contains(&"Kursus pelayanan-dasar"), "{titles:?}");
    let egov = row(&p, "T.EGOV");
    assert_eq!(
        (
            egov["current"].clone(),
            egov["target"].clone(),
            egov["gap"].clone()
        ),
        (json!(2), json!(3), json!(1))
    );
    let int = row(&p, "M.INT");
    assert!(int["current"].is_null(), "no level yet: {int}");
    assert_eq!(int["gap"], 2);
    // JPM = (2 + 0 + 2) / (2 + 2 + 3)
    let jpm = p["profile"]["jpm"].as_f64().unwrap();
    assert!((jpm - 4.0 / 7.0).abs() < 1e-9, "{jpm}");
    let rec: Vec<&str> = p["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    assert_eq!(rec, ["integritas", "egov-lanjut"], "biggest gap first: {p}");

    // the supervisor's figures
    let figures = team::figures(&mut c, &[siti, andi], chrono::Utc::now().naive_utc()).unwrap();
    assert_eq!((figures[&siti].jp, figures[&siti].gaps), (21, 2));
    assert_eq!((figures[&andi].jp, figures[&andi].gaps), (0, 3));
    let (status, html) = page(&app, &atasan, "/team").await;
    assert_eq!(status, 200);
    let siti_row = table_row(&html, "Siti Rahmawati");
    assert!(siti_row.contains("<strong>21</strong> / 20"), "{siti_row}");
    assert!(siti_row.contains(">2 kompetensi</span>"), "{siti_row}");
    let andi_row = table_row(&html, "Andi Pratama");
    assert!(andi_row.contains(">0</strong> / 20"), "{andi_row}");

    // the agency's figures
    let admin = app.browser_as("admin@solo.go.id", PW).await;
    let (status, html) = page(&app, &admin, &format!("/admin/agencies/{agency}/report")).await;
    assert_eq!(status, 200);
    let unit_row = table_row(&html, "<td>Dinas Kominfo</td>");
    assert!(unit_row.contains("3\u{a0}ASN"), "{unit_row}");
    assert!(unit_row.contains("1 mencapai 20 JP"), "{unit_row}");
    assert!(unit_row.contains("33%"), "{unit_row}");
    // gaps of the position's 3 holders: M.PP only Siti meets; T.EGOV nobody; M.INT nobody
    assert!(html.contains("3 pemegang jabatan"), "{html}");
    let egov_gap = table_row(&html, "<code>T.EGOV</code>");
    assert!(egov_gap.contains("3 di bawah target"), "{egov_gap}");
    let pp_gap = table_row(&html, "<code>M.PP</code>");
    assert!(pp_gap.contains("2 di bawah target"), "{pp_gap}");
    let year = common::wib_year();
    let done = table_row(&html, "<td>Kursus egov</td>");
    assert!(done.contains(&format!("1 pada {year}")), "{done}");
    // the history export has the activity and both courses
    let csv = admin
        .get(app.url(&format!(
            "/admin/agencies/{agency}/report/history.csv?year={year}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("Pelatihan Pelayanan Prima BPSDM"), "{csv}");
    assert!(
        csv.contains("Kursus pelayanan-dasar") && csv.contains("Kursus egov"),
        "{csv}"
    );
    // and a supervisor outside the team, or the agency admin of another agency, sees none of it
    let stranger_agency = Agency::new("KAB-BOGOR", "Pemerintah Kabupaten Bogor")
        .kind("kabupaten")
        .insert(&mut c);
    Person::new("admin@bogor.go.id")
        .name("Admin Bogor")
        .password(PW)
        .agency(stranger_agency)
        .admin()
        .insert(&mut c);
    let other = app.browser_as("admin@bogor.go.id", PW).await;
    let (status, _) = page(&app, &other, &format!("/admin/agencies/{agency}/report")).await;
    assert_eq!(status, 403);
    let (status, _) = page(&app, &other, &format!("/team/{siti}/plan")).await;
    assert_eq!(status, 404);
}

/// Issue 21, point 6: when no course reaches the target, the highest course above the current
/// level is offered as a step (marked so); a gap no course addresses is listed for admins and
/// authors as a content gap ("kesenjangan tanpa kursus"), counts only.
#[tokio::test]
async fn the_biggest_gap_gets_a_step_and_a_gap_without_a_course_is_listed() {
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    CourseFolder::one_lesson("pp-1")
        .jp(4)
        .competency("M.PP", 1)
        .write(root.path());
    CourseFolder::one_lesson("pp-2")
        .jp(6)
        .competency("M.PP", 2)
        .write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-MGL", "Pemerintah Kota Magelang").insert(&mut c);
    // administrator: managerial target level 3 (M.PP and M.INT), gap 3 for someone new
    let position =
        orgs::create_position(&mut c, agency, "Kepala Bagian Umum", "administrator").unwrap();
    let mk = |c: &mut DbConnection, email: &str, name: &str, admin: bool, author: bool| {
        Person::new(email)
            .name(name)
            .password(PW)
            .agency(agency)
            .position((!admin && !author).then_some(position))
            .admin_if(admin)
            .author_if(author)
            .insert(c)
    };
    mk(&mut c, "rina@magelang.go.id", "Rina Kartika", false, false);
    mk(
        &mut c,
        "admin@magelang.go.id",
        "Admin Magelang",
        true,
        false,
    );
    mk(
        &mut c,
        "penulis@magelang.go.id",
        "Penulis Kursus",
        false,
        true,
    );
    let bearer = app.token_of("rina@magelang.go.id", PW).await;

    let p = profile(&app, &bearer).await;
    assert_eq!(row(&p, "M.PP")["gap"], 3);
    let recs = p["recommendations"].as_array().unwrap();
    let pp: Vec<&Value> = recs.iter().filter(|r| r["code"] == "M.PP").collect();
    assert_eq!(pp.len(), 1, "{p}");
    assert_eq!(pp[0]["slug"], "pp-2", "the highest course above level 0");
    assert_eq!(pp[0]["step"], true);
    assert_eq!(pp[0]["target"], 3);
    assert!(
        recs.iter().all(|r| r["code"] != "M.INT"),
        "nothing teaches Integritas: {p}"
    );
    let rina = app.browser_as("rina@magelang.go.id", PW).await;
    let (_, html) = page(&app, &rina, "/me/profile").await;
    assert!(html.contains("Langkah"), "{html}");
    assert!(html.contains("Belum ada kursus yang mencapai target level 3 untuk Pelayanan Publik"));

    // the agency's report lists Integritas as a gap without a course, not Pelayanan Publik
    let admin = app.browser_as("admin@magelang.go.id", PW).await;
    let (s, report) = page(&app, &admin, &format!("/admin/agencies/{agency}/report")).await;
    assert_eq!(s, 200);
    let section = &report[report.find("id=\"content-gaps\"").unwrap()..];
    let section = &section[..section.find("</div>\n").unwrap_or(section.len())];
    assert!(section.contains("<code>M.INT</code>"), "{section}");
    assert!(section.contains("belum ada kursus"), "{section}");
    assert!(!section.contains("<code>M.PP</code>"), "{section}");

    // authors see it too, as counts without names; learners do not
    let author = app.browser_as("penulis@magelang.go.id", PW).await;
    let (s, gaps) = page(&app, &author, "/author/content-gaps").await;
    assert_eq!(s, 200);
    assert!(
        gaps.contains("<code>M.INT</code>") && gaps.contains("1\u{a0}ASN"),
        "{gaps}"
    );
    assert!(!gaps.contains("Rina"), "no names");
    let (s, _) = page(&app, &rina, "/author/content-gaps").await;
    assert_eq!(s, 403);

    // after pp-2 (level 2, gap 1) nothing teaches M.PP above level 2: a content gap, offered
    // only up to level 2
    complete(&app, &bearer, "pp-2", "01-materi").await;
    let p = profile(&app, &bearer).await;
    assert!(
        p["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["code"] != "M.PP"),
        "{p}"
    );
    let (_, gaps) = page(&app, &author, "/author/content-gaps").await;
    let pp = &gaps[gaps.find("<code>M.PP</code>").expect("M.PP listed")..];
    assert!(
        pp[..pp.find("</tr>").unwrap()].contains("hanya sampai level 2"),
        "{pp}"
    );
}

/// New Year in each zone: a course completed at 00:30 local time on 1 January 2027 — still
/// 31 December 2026 in UTC — counts toward 2027's JP in WIB, WITA and WIT; one completed at 23:30
/// WIT on 31 December counts toward 2026. The app's clock reads 18:00 UTC on 31 December
/// (01:00 WIB, 02:00 WITA, 03:00 WIT on 1 January).
#[tokio::test]
async fn new_year_jp_follows_the_agency_time_zone() {
    use cakap::db::schema::{completions, enrollments};
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    course_egov().write(root.path());
    let utc = |d: u32, h: u32, m: u32| {
        let (y, mo) = if d == 1 { (2027, 1) } else { (2026, 12) };
        chrono::NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    };
    let app = common::spawn_app_at(
        utc(31, 18, 0),
        &[("CAKAP_COURSES_DIR", &root.path().display().to_string())],
    )
    .await;
    let mut c = app.conn();
    for (i, (zone, done_at, year, jp)) in [
        ("Asia/Jakarta", utc(31, 17, 30), 2027, 5),
        ("Asia/Makassar", utc(31, 16, 30), 2027, 5),
        ("Asia/Jayapura", utc(31, 15, 30), 2027, 5),
        ("Asia/Jayapura", utc(31, 14, 30), 2027, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let agency = Agency::new(&format!("INSTANSI-{i}"), "Instansi").insert(&mut c);
        diesel::update(agencies::table.find(agency))
            .set(agencies::time_zone.eq(Some(zone)))
            .execute(&mut c)
            .unwrap();
        let email = format!("asn{i}@example.go.id");
        let user = Person::new(&email)
            .name(format!("ASN {i}"))
            .password(PW)
            .agency(agency)
            .insert(&mut c);
        let bearer = app.token_of(&email, PW).await;
        complete(&app, &bearer, "egov", "01-materi").await;
        diesel::update(completions::table.filter(completions::user_id.eq(user)))
            .set(completions::completed_at.eq(done_at))
            .execute(&mut c)
            .unwrap();
        diesel::update(enrollments::table.filter(enrollments::user_id.eq(user)))
            .set(enrollments::completed_at.eq(Some(done_at)))
            .execute(&mut c)
            .unwrap();
        let d: Value = reqwest::Client::new()
            .get(app.url("/api/v1/me/dashboard"))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(d["year"], year, "{zone}: {d}");
        assert_eq!(
            d["jp_this_year"], jp,
            "{zone} completed at {done_at} UTC: {d}"
        );
        let p = profile(&app, &bearer).await;
        assert_eq!(p["year"], year, "{zone}");
        assert_eq!(p["jp_earned"], jp, "{zone}");
    }
}

/// JP reminders go to ASN only: an account without an agency or without a NIP gets none.
#[tokio::test]
async fn jp_reminders_skip_accounts_that_are_not_asn() {
    use cakap::competency::reminders;
    use cakap::db::schema::outbox;
    let app = spawn_app_with(&[]).await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    for (email, agency, nip) in [
        ("asn@solo.go.id", Some(agency), Some("198503302010012001")),
        ("tanpa-nip@solo.go.id", Some(agency), None),
        (
            "tanpa-instansi@example.com",
            None,
            Some("199001012015031001"),
        ),
    ] {
        Person::new(email)
            .name(format!("Pegawai {email}"))
            .password(PW)
            .nip(nip)
            .agency(agency)
            .insert(&mut c);
    }
    let templates =
        cakap::mail::MailTemplates::load(std::sync::Arc::new(cakap::web::I18n::load().unwrap()))
            .unwrap();
    let october = chrono::NaiveDate::from_ymd_opt(2026, 10, 15)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    assert_eq!(
        reminders::jp_reminders(&mut c, &templates, &app.address, october).unwrap(),
        1
    );
    let to: Vec<String> = outbox::table
        .select(outbox::to_address)
        .load(&mut c)
        .unwrap();
    assert_eq!(to, ["asn@solo.go.id"]);
}

/// (issue 22, item 10) A supervisor deletes an item from a team member's plan; nobody else can,
/// and an item of another plan cannot be deleted through this one.
#[tokio::test]
async fn a_supervisor_deletes_a_plan_item_and_only_from_their_own_members_plan() {
    use cakap::db::schema::plan_items;
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    course_egov().write(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let new = |email: &str, supervisor: Option<i64>| {
        Person::new(email)
            .name(email.split('@').next().unwrap())
            .password(PW)
            .agency(agency)
            .supervisor(supervisor)
    };
    let boss = new("atasan@solo.go.id", None).insert(&mut c);
    let other_boss = new("atasan2@solo.go.id", None).insert(&mut c);
    let siti = new("siti@solo.go.id", Some(boss)).insert(&mut c);
    let budi = new("budi@solo.go.id", Some(other_boss)).insert(&mut c);
    let atasan = app.browser_as("atasan@solo.go.id", PW).await;
    let atasan2 = app.browser_as("atasan2@solo.go.id", PW).await;

    // each supervisor plans a course and an activity for their member
    let plan = |b: reqwest::Client, member: i64| {
        let app = &app;
        async move {
            let url = format!("/team/{member}/plan");
            let items = format!("/team/{member}/plan/items");
            let r = post(app, &b, &url, &url, &[("target_jp", "24"), ("note", "")]).await;
            assert_eq!(r.status(), 303);
            for fields in [
                vec![("kind", "course"), ("course", "egov")],
                vec![
                    ("kind", "activity"),
                    ("activity_kind", "coaching"),
                    ("title", "Coaching layanan digital"),
                    ("jp", "4"),
                ],
            ] {
                let r = post(app, &b, &url, &items, &fields).await;
                assert_eq!(r.status(), 303);
                assert!(!r.headers()["location"].to_str().unwrap().contains("error"));
            }
        }
    };
    plan(atasan.clone(), siti).await;
    plan(atasan2.clone(), budi).await;
    let items_of = |c: &mut DbConnection, member: i64| -> Vec<(i64, String)> {
        use cakap::db::schema::development_plans as plans;
        plan_items::table
            .inner_join(plans::table.on(plans::id.eq(plan_items::plan_id)))
            .filter(plans::user_id.eq(member))
            .order(plan_items::id)
            .select((plan_items::id, plan_items::title))
            .load(c)
            .unwrap()
    };
    let siti_items = items_of(&mut c, siti);
    let budi_items = items_of(&mut c, budi);
    assert_eq!((siti_items.len(), budi_items.len()), (2, 2));
    let (_, html) = page(&app, &atasan, &format!("/team/{siti}/plan")).await;
    assert!(html.contains("0 dari 2 rencana terpenuhi"), "{html}");
    assert!(html.contains("Coaching layanan digital"));
    let delete = |member: i64, item: i64| format!("/team/{member}/plan/items/{item}/delete");
    let siti_plan = format!("/team/{siti}/plan");

    // another supervisor cannot delete Siti's item (Siti is not theirs: as if she did not exist)
    let r = post(
        &app,
        &atasan2,
        &format!("/team/{budi}/plan"),
        &delete(siti, siti_items[1].0),
        &[],
    )
    .await;
    assert_eq!(r.status(), 404, "not their member");
    // nor can Siti's supervisor delete Budi's item through Siti's plan
    let r = post(
        &app,
        &atasan,
        &siti_plan,
        &delete(siti, budi_items[1].0),
        &[],
    )
    .await;
    assert_eq!(r.status(), 404, "an item of another plan");
    assert_eq!(items_of(&mut c, siti).len(), 2);
    assert_eq!(items_of(&mut c, budi).len(), 2);

    // Siti's supervisor deletes the activity from Siti's plan
    let r = post(
        &app,
        &atasan,
        &siti_plan,
        &delete(siti, siti_items[1].0),
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(items_of(&mut c, siti), vec![siti_items[0].clone()]);
    let (_, html) = page(&app, &atasan, &siti_plan).await;
    assert!(html.contains("0 dari 1 rencana terpenuhi"), "{html}");
    assert!(
        !html.contains("Coaching layanan digital"),
        "the item is gone"
    );
    // deleting it again: not found
    let r = post(
        &app,
        &atasan,
        &siti_plan,
        &delete(siti, siti_items[1].0),
        &[],
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(items_of(&mut c, budi).len(), 2, "Budi's plan untouched");
}

/// Issue 24: a supervisor's team is paged (a unit head of a province's agency may have
/// thousands): 50 by name per page, the count, links to the pages around, a page past the end
/// shows the last one, and nobody is shown twice or left out.
#[tokio::test]
async fn a_large_team_is_paged_by_name() {
    let app = spawn_app_with(&[]).await;
    let mut c = app.conn();
    let head = Person::new("kepala@dinas.go.id")
        .name("Kepala Dinas")
        .password(PW)
        .insert(&mut c);
    for i in 0..120 {
        Person::new(&format!("staf{i}@dinas.go.id"))
            .name(format!("Staf {:03}", (i * 37) % 120))
            .supervisor(head)
            .insert(&mut c);
    }
    let b = app.browser_as("kepala@dinas.go.id", PW).await;
    let mut seen = Vec::new();
    for (path, rows, here) in [
        ("/team", 50, "Halaman 1 dari 3"),
        ("/team?page=2", 50, "Halaman 2 dari 3"),
        ("/team?page=3", 20, "Halaman 3 dari 3"),
    ] {
        let (status, html) = page(&app, &b, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains(here) && html.contains("120 pegawai"),
            "{path}"
        );
        let names: Vec<String> = html
            .match_indices(">Staf ")
            .map(|(i, _)| html[i + 1..i + 9].to_string())
            .collect();
        assert_eq!(names.len(), rows, "{path}");
        seen.extend(names);
    }
    let expected: Vec<String> = (0..120).map(|i| format!("Staf {i:03}")).collect();
    assert_eq!(seen, expected, "by name, each once");
    let (_, first) = page(&app, &b, "/team").await;
    assert!(first.contains("rel=\"next\"") && !first.contains("rel=\"prev\""));
    let (status, past) = page(&app, &b, "/team?page=99").await;
    assert_eq!(status, 200);
    assert!(past.contains("Halaman 3 dari 3") && past.contains(">Staf 119<"));
}
