//! Issue 20, items 1–4: who may act on what. Each test first makes the move the review made,
//! as it was made, and checks it now fails; then the honest road that replaces it (placement by
//! an admin, requests the agency's admin decides) works.

use cakap::accounts::{orgs, users};
use cakap::db::schema::{enrollments, users as users_t};
use cakap::db::DbConnection;
use diesel::prelude::*;
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

use crate::common::fixtures::{Agency, CourseFolder, Person};
use crate::common::{spawn_app_with, TestApp};

const PW: &str = "Sandi-Aman-2026";

/// Two agencies and their people.
struct World {
    app: TestApp,
    _courses: tempfile::TempDir,
    a: i64,
    b: i64,
    unit_a: i64,
    unit_b: i64,
    admin_a: i64,
    learner_a: i64,
    supervisor_a: i64,
    learner_b: i64,
    alt: i64,
}

#[derive(Default)]
struct P {
    agency: Option<i64>,
    unit: Option<i64>,
    supervisor: Option<i64>,
    author: bool,
    agency_admin: bool,
    platform_admin: bool,
}

fn make(conn: &mut DbConnection, email: &str, p: P) -> i64 {
    Person::new(email)
        .name(email.split('@').next().unwrap().replace('.', " "))
        .password(PW)
        .agency(p.agency)
        .unit(p.unit)
        .supervisor(p.supervisor)
        .author_if(p.author)
        .admin_if(p.agency_admin)
        .platform_admin_if(p.platform_admin)
        .insert(conn)
}

async fn world() -> World {
    let courses = tempfile::tempdir().unwrap();
    CourseFolder::one_lesson("egov")
        .title("Layanan Digital Pemerintah")
        .jp(4)
        .write(courses.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &courses.path().display().to_string())]).await;
    let mut c = app.conn();
    let a = Agency::new("KOTA-A", "Pemerintah Kota A").insert(&mut c);
    let b = Agency::new("KAB-B", "Pemerintah Kabupaten B")
        .kind("kabupaten")
        .insert(&mut c);
    let unit_a = orgs::create_unit(&mut c, a, "Bidang Pelayanan", None).unwrap();
    let unit_b = orgs::create_unit(&mut c, b, "Bidang Keuangan", None).unwrap();
    let admin_a = make(
        &mut c,
        "admin@a.go.id",
        P {
            agency: Some(a),
            agency_admin: true,
            ..P::default()
        },
    );
    make(
        &mut c,
        "admin@b.go.id",
        P {
            agency: Some(b),
            agency_admin: true,
            ..P::default()
        },
    );
    make(
        &mut c,
        "platform@bpsdm.go.id",
        P {
            platform_admin: true,
            ..P::default()
        },
    );
    make(
        &mut c,
        "penulis@bpsdm.go.id",
        P {
            author: true,
            ..P::default()
        },
    );
    let supervisor_a = make(
        &mut c,
        "atasan@a.go.id",
        P {
            agency: Some(a),
            ..P::default()
        },
    );
    let learner_a = make(
        &mut c,
        "pegawai@a.go.id",
        P {
            agency: Some(a),
            unit: Some(unit_a),
            supervisor: Some(supervisor_a),
            ..P::default()
        },
    );
    let learner_b = make(
        &mut c,
        "pegawai@b.go.id",
        P {
            agency: Some(b),
            unit: Some(unit_b),
            ..P::default()
        },
    );
    // a second account the learner registered for themselves
    let alt = make(&mut c, "pegawai.lain@gmail.com", P::default());
    cakap::catalog::workspace::add_owner(
        &mut c,
        cakap::catalog::workspace::Author {
            user_id: 0,
            all: true,
        },
        "egov",
        "penulis@bpsdm.go.id",
    )
    .unwrap();
    World {
        app,
        _courses: courses,
        a,
        b,
        unit_a,
        unit_b,
        admin_a,
        learner_a,
        supervisor_a,
        learner_b,
        alt,
    }
}

fn user(app: &TestApp, id: i64) -> users::User {
    users::find(&mut app.conn(), id).unwrap().unwrap()
}

async fn post(
    app: &TestApp,
    c: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.post_form(c, page, action, fields).await
}

/// The evaluation results of course `egov` as the API gives them to `token`'s holder.
async fn results(app: &TestApp, token: &str) -> reqwest::Response {
    Client::new()
        .get(app.url("/api/v1/evaluations/egov"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn text(app: &TestApp, c: &Client, path: &str) -> String {
    c.get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// `PUT /api/v1/people/{id}/placement` with `body`, as `token`'s holder.
async fn put_placement(app: &TestApp, token: &str, id: i64, body: Value) -> reqwest::Response {
    Client::new()
        .put(app.url(&format!("/api/v1/people/{id}/placement")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `c` asks (from its account page) to be placed in agency `agency`, unit `unit`, under the
/// supervisor with e-mail `supervisor`.
async fn ask(
    app: &TestApp,
    c: &Client,
    agency: i64,
    unit: &str,
    supervisor: &str,
) -> reqwest::Response {
    let agency = agency.to_string();
    let fields = [
        ("agency_id", agency.as_str()),
        ("unit_id", unit),
        ("position_id", ""),
        ("supervisor_email", supervisor),
        ("note", ""),
    ];
    post(
        app,
        c,
        &format!("/me/account?agency={agency}"),
        "/me/placement",
        &fields,
    )
    .await
}

/// The id of the placement request waiting for a decision.
fn pending_id(app: &TestApp) -> i64 {
    use cakap::db::schema::placement_requests as pr;
    pr::table
        .filter(pr::status.eq("pending"))
        .select(pr::id)
        .first(&mut app.conn())
        .unwrap()
}

/// `admin` approves or rejects request `id` with `note`.
async fn decide(
    app: &TestApp,
    admin: &Client,
    id: i64,
    decision: &str,
    note: &str,
) -> reqwest::Response {
    let fields = [("decision", decision), ("note", note)];
    post(
        app,
        admin,
        "/admin/requests",
        &format!("/admin/requests/{id}"),
        &fields,
    )
    .await
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Item 1: an agency admin moved itself to another agency through its account form, then
/// administered it.
#[tokio::test]
async fn an_agency_admin_cannot_take_over_another_agency() {
    let w = world().await;
    let app = &w.app;
    let admin = app.browser_as("admin@a.go.id", PW).await;
    let b = w.b.to_string();
    // the move as the review made it: the account form with another agency's id
    let r = post(
        app,
        &admin,
        "/me/account",
        "/me/account",
        &[
            ("name", "Admin A"),
            ("nip", ""),
            ("agency_id", &b),
            ("unit_id", ""),
            ("position_id", ""),
            ("supervisor_email", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "name and NIP still save");
    assert_eq!(
        user(app, w.admin_a).agency_id,
        Some(w.a),
        "the agency did not change"
    );
    for section in [
        "",
        "/budget",
        "/report",
        "/standards",
        "/recognition",
        "/assessments",
        "/import",
    ] {
        let path = format!("/admin/agencies/{b}{section}");
        let r = admin.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let r = admin
        .get(app.url(&format!("/api/v1/agencies/{b}/budget")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let list = text(app, &admin, &format!("/admin/users?agency={b}")).await;
    assert!(
        !list.contains("pegawai@b.go.id"),
        "B's people stay out of A's list"
    );

    // nor through the placement form or the API, for itself
    let r = post(
        app,
        &admin,
        "/me/account",
        &format!("/admin/users/{}/placement", w.admin_a),
        &[
            ("agency_id", &b),
            ("unit_id", ""),
            ("position_id", ""),
            ("supervisor_email", ""),
        ],
    )
    .await;
    assert!(r.status() == 400 || r.status() == 403, "{}", r.status());
    let token = app.token_of("admin@a.go.id", PW).await;
    let r = put_placement(app, &token, w.admin_a, json!({"agency_id": w.b})).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    // nor move one of its people into B, nor place B's people
    let r = put_placement(app, &token, w.learner_a, json!({"agency_id": w.b})).await;
    assert_eq!(r.status(), 403);
    let r = put_placement(app, &token, w.learner_b, json!({"agency_id": w.a})).await;
    assert_eq!(r.status(), 404);
    assert_eq!(user(app, w.learner_b).agency_id, Some(w.b));

    // asking is allowed, deciding one's own request is not; B's admin decides, and a moved
    // agency admin is an admin of neither agency
    let r = ask(app, &admin, w.b, "", "").await;
    assert_eq!(location(&r), "/me/account?notice=placement");
    let id = pending_id(app);
    let r = decide(app, &admin, id, "approve", "").await;
    assert_eq!(
        r.status(),
        404,
        "not one's own request, and not another agency's"
    );
    assert_eq!(user(app, w.admin_a).agency_id, Some(w.a));
    let admin_b = app.browser_as("admin@b.go.id", PW).await;
    let page = text(app, &admin_b, "/admin/requests").await;
    assert!(page.contains("admin@a.go.id"), "B's admin sees the request");
    let r = decide(app, &admin_b, id, "approve", "").await;
    assert_eq!(location(&r), "/admin/requests?notice=approved");
    let moved = user(app, w.admin_a);
    assert_eq!(moved.agency_id, Some(w.b));
    assert!(
        !moved.is_agency_admin,
        "the agency-admin role does not travel"
    );
    // the old session ended with the move
    assert_eq!(
        admin
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let again = app.browser_as("admin@a.go.id", PW).await;
    assert_eq!(
        again
            .get(app.url(&format!("/admin/agencies/{b}")))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        again
            .get(app.url(&format!("/admin/agencies/{}", w.a)))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let log = cakap::db::audit::about(&mut app.conn(), &format!("user:{}", w.admin_a)).unwrap();
    assert!(log.iter().any(|e| e.2 == "user.placement"), "{log:?}");
    assert!(log.iter().any(|e| e.2 == "placement.request"), "{log:?}");
}

/// Item 2: an agency admin gave itself the author role and then read every agency's evaluation
/// results.
#[tokio::test]
async fn an_agency_admin_cannot_elevate_itself_nor_read_other_agencies_results() {
    let w = world().await;
    let app = &w.app;
    let admin = app.browser_as("admin@a.go.id", PW).await;
    let r = post(
        app,
        &admin,
        "/me/account",
        &format!("/admin/users/{}/roles", w.admin_a),
        &[
            ("author", "1"),
            ("agency_admin", "1"),
            ("platform_admin", "1"),
        ],
    )
    .await;
    assert_eq!(
        location(&r),
        format!("/admin/users/{}?notice=own_roles", w.admin_a)
    );
    let me = user(app, w.admin_a);
    assert!(!me.is_author && !me.is_platform_admin && me.is_agency_admin);
    // nor for someone of another agency, nor the platform role for its own people
    let r = post(
        app,
        &admin,
        "/me/account",
        &format!("/admin/users/{}/roles", w.learner_b),
        &[("author", "1")],
    )
    .await;
    assert_eq!(r.status(), 404);
    post(
        app,
        &admin,
        "/me/account",
        &format!("/admin/users/{}/roles", w.learner_a),
        &[("author", "1"), ("platform_admin", "1")],
    )
    .await;
    let l = user(app, w.learner_a);
    assert!(
        l.is_author && !l.is_platform_admin,
        "authors within the agency, never platform"
    );

    // B's learner completes the course; even an admin of A who is also an author (granted by the
    // platform admin) sees only A's people for a course someone else owns
    let tb = app.token_of("pegawai@b.go.id", PW).await;
    let api = Client::new();
    assert_eq!(
        api.post(app.url("/api/v1/courses/egov/enroll"))
            .bearer_auth(&tb)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let done: Value = api
        .post(app.url("/api/v1/courses/egov/modules/01-materi/done"))
        .bearer_auth(&tb)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(done["completed"].is_object(), "{done}");
    diesel::update(users_t::table.find(w.admin_a))
        .set(users_t::is_author.eq(true))
        .execute(&mut app.conn())
        .unwrap();
    let token = app.token_of("admin@a.go.id", PW).await;
    let r: Value = results(app, &token).await.json().await.unwrap();
    assert_eq!(r["completions"], 0, "B's completion is not A's to see: {r}");
    let page = app.browser_as("admin@a.go.id", PW).await;
    let html = text(app, &page, "/evaluations/egov").await;
    assert!(html.contains("hanya mencakup pegawai instansi Anda"));
    let stats = page
        .get(app.url("/evaluations/egov/quizzes"))
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), 200);
    assert!(stats
        .text()
        .await
        .unwrap()
        .contains("hanya mencakup pegawai instansi Anda"));
    // the course's owner sees everyone's
    let owner = app.token_of("penulis@bpsdm.go.id", PW).await;
    let r: Value = results(app, &owner).await.json().await.unwrap();
    assert_eq!(r["completions"], 1, "{r}");
    // an author who owns nothing and administers nothing sees no course's results
    let l = app.token_of("pegawai@a.go.id", PW).await;
    let r = results(app, &l).await;
    assert_eq!(r.status(), 403);
}

/// Item 3: a learner named a second account of its own as supervisor and approved its own
/// activities.
#[tokio::test]
async fn a_learner_cannot_choose_its_own_supervisor() {
    let w = world().await;
    let app = &w.app;
    let learner = app.browser_as("pegawai@a.go.id", PW).await;
    let a = w.a.to_string();
    let r = post(
        app,
        &learner,
        "/me/account",
        "/me/account",
        &[
            ("name", "Pegawai A"),
            ("nip", ""),
            ("agency_id", &a),
            ("unit_id", ""),
            ("position_id", ""),
            ("supervisor_email", "pegawai.lain@gmail.com"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        user(app, w.learner_a).supervisor_id,
        Some(w.supervisor_a),
        "unchanged"
    );
    assert_ne!(user(app, w.learner_a).supervisor_id, Some(w.alt));
    let alt = app.browser_as("pegawai.lain@gmail.com", PW).await;
    assert_eq!(
        alt.get(app.url(&format!("/team/{}", w.learner_a)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let page = text(app, &learner, "/me/account").await;
    assert!(!page.contains("name=\"supervisor_email\" type=\"email\" value=\"atasan@a.go.id\""));
    assert!(
        page.contains("<dd>atasan</dd>"),
        "the supervisor is shown, read-only"
    );

    // a request naming the second account: the address is not checked on the form (it tells
    // nothing about accounts), and the admin cannot approve a supervisor outside the agency
    let r = ask(
        app,
        &learner,
        w.a,
        &w.unit_a.to_string(),
        "pegawai.lain@gmail.com",
    )
    .await;
    assert_eq!(location(&r), "/me/account?notice=placement");
    let r2 = ask(app, &learner, w.a, "", "tidak.ada@contoh.go.id").await;
    assert_eq!(
        location(&r2),
        location(&r),
        "same answer whether or not the address has an account"
    );
    let admin = app.browser_as("admin@a.go.id", PW).await;
    let id = pending_id(app);
    let r = decide(app, &admin, id, "approve", "").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("instansi yang sama"));
    // rejecting needs a reason; then the learner asks again with the real supervisor
    let r = decide(app, &admin, id, "reject", "").await;
    assert_eq!(r.status(), 400);
    let r = decide(app, &admin, id, "reject", "Atasan tidak dikenal").await;
    assert_eq!(location(&r), "/admin/requests?notice=rejected");
    ask(app, &learner, w.a, &w.unit_a.to_string(), "atasan@a.go.id").await;
    let id = pending_id(app);
    let r = decide(app, &admin, id, "approve", "").await;
    assert_eq!(location(&r), "/admin/requests?notice=approved");
    let l = user(app, w.learner_a);
    assert_eq!(
        (l.unit_id, l.supervisor_id),
        (Some(w.unit_a), Some(w.supervisor_a))
    );

    // the admin places directly too; a supervisor from another agency is refused
    let r = post(
        app,
        &admin,
        &format!("/admin/users/{}", w.learner_a),
        &format!("/admin/users/{}/placement", w.learner_a),
        &[
            ("unit_id", ""),
            ("position_id", ""),
            ("supervisor_email", "pegawai@b.go.id"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(user(app, w.learner_a).supervisor_id, Some(w.supervisor_a));
}

/// Item 4: an agency admin whose agency was emptied counted as a platform admin on `/assign`.
#[tokio::test]
async fn an_agency_admin_without_an_agency_administers_nothing() {
    let w = world().await;
    let app = &w.app;
    make(
        &mut app.conn(),
        "admin.lepas@a.go.id",
        P {
            agency: None,
            agency_admin: true,
            ..P::default()
        },
    );
    let c = app.browser_as("admin.lepas@a.go.id", PW).await;
    for path in [
        "/assign",
        "/admin",
        "/admin/users",
        "/admin/budget",
        "/admin/certificates",
        "/evaluations",
    ] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = post(
        app,
        &c,
        "/me/account",
        "/assign",
        &[
            ("course", "egov"),
            ("target", "unit"),
            ("unit_id", &w.unit_b.to_string()),
            ("due", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    let n: i64 = enrollments::table
        .filter(enrollments::user_id.eq(w.learner_b))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(n, 0, "nobody in B was assigned");
}

/// Placement by CSV: a member of the agency who already has an account is placed anew (no
/// invitation); someone of another agency cannot be pulled in, nor named as a supervisor.
#[tokio::test]
async fn csv_import_places_existing_members_only() {
    let w = world().await;
    let app = &w.app;
    let admin = app.browser_as("admin@a.go.id", PW).await;
    let csv = "name,email,unit,supervisor_email\n\
               Pegawai A,pegawai@a.go.id,Bidang Pelayanan,admin@a.go.id\n";
    diesel::update(users_t::table.find(w.learner_a))
        .set(users_t::unit_id.eq(None::<i64>))
        .execute(&mut app.conn())
        .unwrap();
    let r = post(
        app,
        &admin,
        "/admin/users/import",
        "/admin/users/import",
        &[("csv", csv)],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let l = user(app, w.learner_a);
    assert_eq!(
        (l.unit_id, l.supervisor_id),
        (Some(w.unit_a), Some(w.admin_a))
    );
    let invites: i64 = cakap::db::schema::user_tokens::table
        .filter(cakap::db::schema::user_tokens::user_id.eq(w.learner_a))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(invites, 0, "an existing account gets no invitation");
    for csv in [
        "name,email\nPegawai B,pegawai@b.go.id\n",
        "name,email,supervisor_email\nPegawai A,pegawai@a.go.id,pegawai@b.go.id\n",
    ] {
        let r = post(
            app,
            &admin,
            "/admin/users/import",
            "/admin/users/import",
            &[("csv", csv)],
        )
        .await;
        assert_eq!(r.status(), 422, "{csv}");
    }
    assert_eq!(user(app, w.learner_b).agency_id, Some(w.b));
    assert_eq!(user(app, w.learner_a).supervisor_id, Some(w.admin_a));
}
