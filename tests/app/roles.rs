//! Every role against every protected route: who may open or change what, decided on the server.
//! Also: no one reads another person's data by changing an id in the URL.

use crate::common;

use crate::common::fixtures::{Agency, Person};
use crate::common::{spawn_app_with, TestApp};
use cakap::accounts::{password, users};
use reqwest::{header, Client, StatusCode};

const PW: &str = "Sandi-Peran-2026";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// 2xx, or a redirect that is not to the login page.
    Ok,
    /// Redirected to log in (HTML) — not logged in.
    Login,
    /// 401 (API, not logged in).
    Unauthorized,
    Forbidden,
    NotFound,
}
use Want::*;

/// A state-changing request: path, form fields, what this role should get.
type Post<'a> = (String, Vec<(&'a str, String)>, Want);

const ROLES: [&str; 7] = [
    "anonymous",
    "learner",
    "author",
    "supervisor",
    "admin A",
    "admin B",
    "platform admin",
];

async fn client_for(app: &TestApp, email: Option<&str>) -> Client {
    let c = app.new_browser();
    if let Some(email) = email {
        let html = c
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&html);
        let resp = c
            .post(app.url("/login"))
            .form(&[("email", email), ("password", PW), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{email} logs in");
    }
    c
}

/// A CSRF token for this client (from a page it can open), so that refusals come from
/// authorization, not from a missing token.
async fn csrf(app: &TestApp, c: &Client) -> String {
    for page in ["/register", "/me/account"] {
        let resp = c.get(app.url(page)).send().await.unwrap();
        if resp.status() == 200 {
            return common::csrf_of(&resp.text().await.unwrap());
        }
    }
    panic!("no page with a form for this client");
}

fn classify(resp: &reqwest::Response) -> Want {
    let s = resp.status();
    if s.is_redirection() {
        let to = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return if to.starts_with("/login") { Login } else { Ok };
    }
    match s {
        StatusCode::UNAUTHORIZED => Unauthorized,
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => NotFound,
        s if s.is_success() => Ok,
        s => panic!("unexpected status {s}"),
    }
}

#[tokio::test]
async fn each_role_against_each_protected_route() {
    let app = spawn_app_with(&[]).await;
    let mut conn = app.conn();
    let a = Agency::new("KAB-A", "Kabupaten A")
        .kind("kabupaten")
        .insert(&mut conn);
    let b = Agency::new("KAB-B", "Kabupaten B")
        .kind("kabupaten")
        .insert(&mut conn);
    let hash = password::hash(PW).unwrap();
    let mut make = |email: &str, agency: Option<i64>, f: &dyn Fn(&mut users::NewUser)| {
        Person::new(email)
            .name(email.split('@').next().unwrap())
            .password_hash(&hash)
            .agency(agency)
            .with(f)
            .insert(&mut conn)
    };
    let supervisor = make("atasan@a.go.id", Some(a), &|_| {});
    let learner = make("pegawai@a.go.id", Some(a), &|u| {
        u.supervisor_id = Some(supervisor)
    });
    let author = make("penulis@a.go.id", Some(a), &|u| u.is_author = true);
    let admin_a = make("admin@a.go.id", Some(a), &|u| u.is_agency_admin = true);
    make("admin@b.go.id", Some(b), &|u| u.is_agency_admin = true);
    make("platform@bpsdm.go.id", None, &|u| {
        u.is_platform_admin = true
    });
    let target = make("sasaran@a.go.id", Some(a), &|_| {});
    let other_learner = make("lain@b.go.id", Some(b), &|_| {});

    // the author owns one sample course; the others belong to no author
    let platform = cakap::catalog::workspace::Author {
        user_id: 0,
        all: true,
    };
    cakap::catalog::workspace::add_owner(
        &mut conn,
        platform,
        "komunikasi-efektif",
        "penulis@a.go.id",
    )
    .unwrap();
    let version_of = |conn: &mut cakap::db::DbConnection, slug: &str| -> i64 {
        cakap::catalog::store::versions_of(conn, slug).unwrap()[0].0
    };
    // an approved activity in each agency (for the cost correction on the budget page)
    let activity_in = |conn: &mut cakap::db::DbConnection, user: i64, reviewer: Option<i64>| {
        use cakap::competency::activities;
        let today = common::wib_today();
        let id = activities::create_costed(
            conn,
            user,
            &activities::NewActivity {
                kind: "workshop".into(),
                title: "Workshop peran".into(),
                organizer: "BPSDM".into(),
                started: today,
                ended: today,
                jp: 4,
                competency: None,
            },
            Some(100_000),
            None,
        )
        .unwrap();
        if let Some(r) = reviewer {
            activities::review(conn, id, r, true, "").unwrap();
        }
        id
    };
    let activity_a = activity_in(&mut conn, learner, Some(supervisor));
    let activity_b = activity_in(&mut conn, other_learner, None);
    let this_year = chrono::Datelike::year(&chrono::Utc::now()).to_string();
    let owned_version = version_of(&mut conn, "komunikasi-efektif");
    let other_version = version_of(&mut conn, "pelayanan-publik-prima");

    let emails = [
        None,
        Some("pegawai@a.go.id"),
        Some("penulis@a.go.id"),
        Some("atasan@a.go.id"),
        Some("admin@a.go.id"),
        Some("admin@b.go.id"),
        Some("platform@bpsdm.go.id"),
    ];
    let mut clients = Vec::new();
    for e in emails {
        clients.push(client_for(&app, e).await);
    }

    let gets: Vec<(String, [Want; 7])> = vec![
        ("/courses".into(), [Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
        ("/me/account".into(), [Login, Ok, Ok, Ok, Ok, Ok, Ok]),
        ("/api/v1/me".into(), [Unauthorized, Ok, Ok, Ok, Ok, Ok, Ok]),
        ("/team".into(), [Login, Ok, Ok, Ok, Ok, Ok, Ok]),
        (
            format!("/team/{learner}"),
            [Login, NotFound, NotFound, Ok, NotFound, NotFound, NotFound],
        ),
        (
            format!("/team/{other_learner}"),
            [
                Login, NotFound, NotFound, NotFound, NotFound, NotFound, NotFound,
            ],
        ),
        (
            "/admin".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/admin/agencies".into(),
            [
                Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
            ],
        ),
        (
            format!("/admin/agencies/{a}"),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok],
        ),
        (
            format!("/admin/agencies/{a}/import"),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok],
        ),
        (
            "/admin/users".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/admin/users/import".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            format!("/admin/users/{learner}"),
            [Login, Forbidden, Forbidden, Forbidden, Ok, NotFound, Ok],
        ),
        (
            format!("/admin/users/{other_learner}"),
            [Login, Forbidden, Forbidden, Forbidden, NotFound, Ok, Ok],
        ),
        (
            "/admin/partners".into(),
            [
                Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
            ],
        ),
        (
            "/author/courses".into(),
            [Login, Forbidden, Ok, Forbidden, Forbidden, Forbidden, Ok],
        ),
        (
            "/author/courses/komunikasi-efektif".into(),
            [Login, Forbidden, Ok, Forbidden, Forbidden, Forbidden, Ok],
        ),
        (
            "/author/courses/pelayanan-publik-prima".into(),
            [
                Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
            ],
        ),
        (
            format!("/author/courses/komunikasi-efektif/versions/{owned_version}/view"),
            [Login, Forbidden, Ok, Forbidden, Forbidden, Forbidden, Ok],
        ),
        (
            format!("/author/courses/pelayanan-publik-prima/versions/{other_version}/download"),
            [
                Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
            ],
        ),
        (
            format!("/author/courses/komunikasi-efektif/versions/{other_version}/view"),
            [
                Login, Forbidden, NotFound, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            "/admin/budget".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            format!("/admin/agencies/{a}/budget"),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok],
        ),
        (
            format!("/admin/agencies/{a}/budget.csv?year=2026"),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok],
        ),
        (
            format!("/api/v1/agencies/{a}/budget"),
            [
                Unauthorized,
                Forbidden,
                Forbidden,
                Forbidden,
                Ok,
                Forbidden,
                Ok,
            ],
        ),
        // another agency's pages, for every family: only its own admin and the platform's
        (
            format!("/admin/agencies/{b}"),
            [Login, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok],
        ),
        (
            format!("/admin/agencies/{b}/report"),
            [Login, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok],
        ),
        (
            format!("/admin/agencies/{b}/standards"),
            [Login, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok],
        ),
        (
            format!("/admin/agencies/{b}/recognition"),
            [Login, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok],
        ),
        (
            format!("/admin/agencies/{b}/budget"),
            [Login, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok],
        ),
        (
            format!("/admin/agencies/{b}/assessments"),
            [Login, Forbidden, Forbidden, Forbidden, Forbidden, Ok, Ok],
        ),
        (
            format!("/api/v1/agencies/{b}/budget"),
            [
                Unauthorized,
                Forbidden,
                Forbidden,
                Forbidden,
                Forbidden,
                Ok,
                Ok,
            ],
        ),
        (
            "/admin/requests".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/admin/certificates".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/assign".into(),
            [Login, Forbidden, Forbidden, Ok, Ok, Ok, Ok],
        ),
        (
            "/evaluations".into(),
            [Login, Forbidden, Ok, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/evaluations/komunikasi-efektif".into(),
            [Login, Forbidden, Ok, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/evaluations/pelayanan-publik-prima".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/evaluations/pelayanan-publik-prima/quizzes".into(),
            [Login, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/api/v1/evaluations/pelayanan-publik-prima".into(),
            [Unauthorized, Forbidden, Forbidden, Forbidden, Ok, Ok, Ok],
        ),
        (
            "/admin/courses/fees".into(),
            [
                Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (path, wants) in &gets {
        for (i, c) in clients.iter().enumerate() {
            let resp = c.get(app.url(path)).send().await.unwrap();
            let got = classify(&resp);
            if got != wants[i] {
                failures.push(format!(
                    "GET {path} as {}: expected {:?}, got {got:?} ({})",
                    ROLES[i],
                    wants[i],
                    resp.status()
                ));
            }
        }
    }

    // state-changing routes, each with a valid CSRF token for the client
    for (i, c) in clients.iter().enumerate() {
        let token = csrf(&app, c).await;
        let n = i.to_string();
        let posts: Vec<Post> = vec![
            (
                "/admin/agencies".into(),
                vec![
                    ("code", format!("KAB-X{n}")),
                    ("name", format!("Instansi {n}")),
                    ("kind", "kota".into()),
                ],
                [
                    Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
                ][i],
            ),
            (
                format!("/admin/agencies/{a}/units"),
                vec![
                    ("name", format!("Bidang {n}")),
                    ("parent_id", String::new()),
                ],
                [Login, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok][i],
            ),
            (
                format!("/admin/users/{target}/roles"),
                vec![("author", "on".into())],
                [Login, Forbidden, Forbidden, Forbidden, Ok, NotFound, Ok][i],
            ),
            (
                "/admin/partners".into(),
                vec![
                    ("code", format!("mitra-{n}")),
                    ("name", format!("Mitra {n}")),
                    ("kind", "universitas".into()),
                ],
                [
                    Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
                ][i],
            ),
            (
                "/author/courses/pelayanan-publik-prima/archive".into(),
                vec![("archived", "false".into())],
                [
                    Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
                ][i],
            ),
            (
                "/author/courses/komunikasi-efektif/archive".into(),
                vec![("archived", "false".into())],
                [Login, Forbidden, Ok, Forbidden, Forbidden, Forbidden, Ok][i],
            ),
            (
                format!("/author/courses/pelayanan-publik-prima/versions/{other_version}/publish"),
                vec![],
                [
                    Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
                ][i],
            ),
            (
                "/author/courses/pelayanan-publik-prima/owners".into(),
                vec![("email", "penulis@a.go.id".into())],
                [
                    Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
                ][i],
            ),
            (
                format!("/admin/agencies/{a}/budget"),
                vec![
                    ("year", this_year.clone()),
                    ("amount", "Rp 1.000.000".into()),
                ],
                [Login, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok][i],
            ),
            (
                format!("/admin/agencies/{a}/budget/activities/{activity_a}/cost"),
                vec![("year", this_year.clone()), ("cost", "150.000".into())],
                [Login, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok][i],
            ),
            (
                format!("/admin/agencies/{a}/budget/activities/{activity_b}/cost"),
                vec![("year", this_year.clone()), ("cost", "1".into())],
                [
                    Login, Forbidden, Forbidden, Forbidden, NotFound, Forbidden, NotFound,
                ][i],
            ),
            (
                format!("/admin/users/{target}/placement"),
                vec![
                    ("agency_id", a.to_string()),
                    ("unit_id", String::new()),
                    ("position_id", String::new()),
                    ("supervisor_email", String::new()),
                ],
                [Login, Forbidden, Forbidden, Forbidden, Ok, NotFound, Ok][i],
            ),
            (
                format!("/admin/users/{other_learner}/placement"),
                vec![
                    ("agency_id", b.to_string()),
                    ("unit_id", String::new()),
                    ("position_id", String::new()),
                    ("supervisor_email", String::new()),
                ],
                [Login, Forbidden, Forbidden, Forbidden, NotFound, Ok, Ok][i],
            ),
            (
                "/me/placement".into(),
                vec![
                    ("agency_id", a.to_string()),
                    ("note", "Mohon ditempatkan".into()),
                ],
                [Login, Ok, Ok, Ok, Ok, Ok, Ok][i],
            ),
            (
                "/admin/courses/pelayanan-publik-prima/fee".into(),
                vec![("fee", "250.000".into())],
                [
                    Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
                ][i],
            ),
        ];
        for (path, mut fields, want) in posts {
            fields.push(("csrf", token.clone()));
            let resp = c.post(app.url(&path)).form(&fields).send().await.unwrap();
            let got = classify(&resp);
            if got != want {
                failures.push(format!(
                    "POST {path} as {}: expected {want:?}, got {got:?} ({})",
                    ROLES[i],
                    resp.status()
                ));
            }
        }
    }
    // every write under another agency's path, by agency A's admin: refused before anything runs
    let token = csrf(&app, &clients[4]).await;
    for (section, fields) in [
        (
            "",
            vec![
                ("code", "KAB-Y"),
                ("name", "Diambil"),
                ("kind", "kabupaten"),
            ],
        ),
        ("/units", vec![("name", "Unit Titipan"), ("parent_id", "")]),
        (
            "/positions",
            vec![("name", "Jabatan Titipan"), ("kind", "pelaksana")],
        ),
        ("/budget", vec![("year", "2026"), ("amount", "1")]),
        (
            "/standards/settings",
            vec![("gap_basis", "evidence"), ("jp_target", "1")],
        ),
        (
            "/recognition/letters",
            vec![("title", "Piagam"), ("reason", "Tanpa hak")],
        ),
        ("/import", vec![("csv", "nama,email\nX,x@b.go.id\n")]),
    ] {
        let path = format!("/admin/agencies/{b}{section}");
        let mut form: Vec<(&str, &str)> = fields;
        form.push(("csrf", &token));
        let r = clients[4]
            .post(app.url(&path))
            .form(&form)
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::FORBIDDEN {
            failures.push(format!("POST {path} as admin A: {}", r.status()));
        }
    }

    // self-elevation, for each signed-in role: nobody grants themselves a role
    let ids: [(usize, i64); 4] = [(1, learner), (2, author), (3, supervisor), (4, admin_a)];
    for (i, id) in ids {
        let token = csrf(&app, &clients[i]).await;
        let _ = clients[i]
            .post(app.url(&format!("/admin/users/{id}/roles")))
            .form(&[
                ("author", "1"),
                ("agency_admin", "1"),
                ("platform_admin", "1"),
                ("csrf", &token),
            ])
            .send()
            .await
            .unwrap();
        let _ = clients[i]
            .post(app.url(&format!("/admin/users/{id}/placement")))
            .form(&[("agency_id", b.to_string().as_str()), ("csrf", &token)])
            .send()
            .await
            .unwrap();
        let u = users::find(&mut app.conn(), id).unwrap().unwrap();
        let wanted = [
            (1, false, false),
            (2, true, false),
            (3, false, false),
            (4, false, true),
        ];
        let (_, author_flag, agency_admin_flag) = wanted.iter().find(|w| w.0 == i).unwrap();
        if u.is_platform_admin
            || u.is_author != *author_flag
            || u.is_agency_admin != *agency_admin_flag
            || u.agency_id != Some(a)
        {
            failures.push(format!("{} elevated or moved itself: {u:?}", ROLES[i]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // nothing leaked from agency B into what agency A's admin can list
    let list = clients[4]
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("pegawai@a.go.id"));
    assert!(!list.contains("lain@b.go.id"));
    let list = clients[4]
        .get(app.url(&format!("/admin/users?agency={b}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !list.contains("lain@b.go.id"),
        "an agency filter in the URL does not widen an agency admin's view"
    );

    // role changes are in the audit log, with who made them
    let mut conn = app.conn();
    let entries = cakap::db::audit::about(&mut conn, &format!("user:{target}")).unwrap();
    assert_eq!(
        entries.iter().filter(|e| e.2 == "user.roles").count(),
        2,
        "{entries:?}"
    );
    assert!(entries.iter().all(|e| e.1.is_some()));
}
