//! People admin end to end: CSV import (fast, all-or-nothing, invitations that work), roles that
//! apply at once, agency boundaries, disabling accounts, the supervisor's team, and
//! `cakap users add`.

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::fixtures::{Agency, Person};
use crate::common::smtp::SmtpSink;
use crate::common::{spawn_app, spawn_app_with, TestApp, TestDatabase};
use cakap::accounts::users::{self};
use cakap::db::schema::{outbox, positions, units};
use cakap::db::{DatabaseUrl, DbConnection};
use chrono::Utc;
use diesel::prelude::*;
use reqwest::header;

const PASSWORD: &str = "Kopi-Tubruk-2026";

fn connect(url: &str) -> DbConnection {
    cakap::db::pool::connect(&DatabaseUrl::parse(url).unwrap(), false).unwrap()
}

fn unit(conn: &mut DbConnection, agency_id: i64, parent: Option<i64>, name: &str) -> i64 {
    diesel::insert_into(units::table)
        .values((
            units::agency_id.eq(agency_id),
            units::parent_id.eq(parent),
            units::name.eq(name),
            units::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(units::id)
        .get_result(conn)
        .unwrap()
}

fn position(conn: &mut DbConnection, agency_id: i64, name: &str) -> i64 {
    diesel::insert_into(positions::table)
        .values((
            positions::agency_id.eq(agency_id),
            positions::name.eq(name),
            positions::kind.eq("fungsional"),
            positions::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(positions::id)
        .get_result(conn)
        .unwrap()
}

fn outbox_count(conn: &mut DbConnection) -> i64 {
    outbox::table.count().get_result(conn).unwrap()
}

/// A browser: its own cookies, on the app.
struct Browser {
    client: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser {
            client: app.new_browser(),
            base: app.address.clone(),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// Open `page` for its CSRF token, then post `fields` to `action`.
    async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let html = self.get(page).await.text().await.unwrap();
        let csrf = common::csrf_of(&html);
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        self.client
            .post(format!("{}{action}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    async fn login(app: &TestApp, email: &str, password: &str) -> Browser {
        let b = Browser::new(app);
        let resp = b
            .submit(
                "/login",
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(resp.status(), 303, "{email} logs in");
        b
    }
}

/// A valid PNS NIP, different for each `i` below 28 × 999.
fn nip(i: usize) -> String {
    format!("198503{:02}2010011{:03}", 1 + i % 28, 1 + i / 28)
}

#[tokio::test]
async fn importing_1000_people_is_quick_and_queues_1000_invitations() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let a = Agency::new("KAB-SLEMAN", "Pemerintah Kabupaten Sleman")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    let sekretariat = unit(&mut conn, a, None, "Sekretariat");
    unit(&mut conn, a, Some(sekretariat), "Subbag Umum");
    unit(&mut conn, a, None, "Bidang Diklat");
    position(&mut conn, a, "Analis SDM Aparatur");
    position(&mut conn, a, "Pranata Komputer");
    Person::new("admin@sleman.go.id")
        .name("Admin Sleman")
        .password(PASSWORD)
        .agency(a)
        .admin()
        .insert(&mut conn);
    let before = users::count(&mut conn).unwrap();
    let outbox_before = outbox_count(&mut conn);

    // a spreadsheet saved by Excel with Indonesian settings: BOM, semicolons
    let mut csv = String::from("\u{feff}Nama;Email;NIP;Unit;Jabatan;Email_Atasan\n");
    for i in 0..1000 {
        let (unit, position) = if i % 2 == 0 {
            ("Sekretariat/Subbag Umum", "Analis SDM Aparatur")
        } else {
            ("Bidang Diklat", "pranata komputer")
        };
        // every tenth person leads the next nine (row 0's supervisor is the admin); the last
        // rows' supervisor comes later in the file
        let supervisor = if i == 0 {
            "admin@sleman.go.id".to_string()
        } else if i >= 990 {
            "pegawai0999@sleman.go.id".to_string()
        } else if i % 10 == 0 {
            "pegawai0000@sleman.go.id".to_string()
        } else {
            format!("pegawai{:04}@sleman.go.id", i - i % 10)
        };
        let supervisor = if i == 999 { String::new() } else { supervisor };
        csv.push_str(&format!(
            "Pegawai {i:04};Pegawai{i:04}@Sleman.go.id;{};{unit};{position};{supervisor}\n",
            nip(i)
        ));
    }
    let admin = Browser::login(&app, "admin@sleman.go.id", PASSWORD).await;
    let started = Instant::now();
    let resp = admin
        .submit(
            "/admin/users/import",
            "/admin/users/import",
            &[("csv", &csv)],
        )
        .await;
    let took = started.elapsed();
    println!(
        "import of 1,000 rows on {}: {took:?}",
        app.db.backend.name()
    );
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_eq!(
        resp.headers()[header::LOCATION],
        "/admin/users?imported=1000"
    );
    assert_eq!(users::count(&mut conn).unwrap(), before + 1000);
    assert_eq!(outbox_count(&mut conn), outbox_before + 1000);

    // resolved: unit, position, supervisors (including one later in the file)
    let p5 = users::find_by_email(&mut conn, "pegawai0005@sleman.go.id")
        .unwrap()
        .unwrap();
    let p0 = users::find_by_email(&mut conn, "pegawai0000@sleman.go.id")
        .unwrap()
        .unwrap();
    let p999 = users::find_by_email(&mut conn, "pegawai0999@sleman.go.id")
        .unwrap()
        .unwrap();
    let p995 = users::find_by_email(&mut conn, "pegawai0995@sleman.go.id")
        .unwrap()
        .unwrap();
    assert_eq!(p5.supervisor_id, Some(p0.id));
    assert_eq!(p995.supervisor_id, Some(p999.id));
    assert_eq!(p5.agency_id, Some(a));
    assert!(p5.unit_id.is_some() && p5.position_id.is_some());
    assert_eq!(p5.nip.as_deref(), Some(nip(5).as_str()));
    assert!(p5.email_verified_at.is_none() && p5.password_hash.is_none());

    // the list shows them, 50 a page, and finds one by NIP
    let page = admin
        .get("/admin/users?imported=1000")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("1000 pegawai diimpor"), "{page}");
    assert!(page.contains("1001 orang"));
    assert_eq!(page.matches("<tr><td><a href=\"/admin/users/").count(), 50);
    let page = admin
        .get(&format!("/admin/users?q={}", nip(7)))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Pegawai 0007") && page.contains("1 orang"),
        "{page}"
    );
    let page = admin
        .get("/admin/users?q=PEGAWAI%200012")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("pegawai0012@sleman.go.id"));
}

#[tokio::test]
async fn a_file_with_one_bad_row_is_refused_whole_with_line_numbers() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let a = Agency::new("KAB-BANTUL", "Pemerintah Kabupaten Bantul")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    unit(&mut conn, a, None, "Sekretariat");
    Person::new("admin@bantul.go.id")
        .name("Admin Bantul")
        .password(PASSWORD)
        .agency(a)
        .admin()
        .insert(&mut conn);
    let before = users::count(&mut conn).unwrap();
    let outbox_before = outbox_count(&mut conn);
    let csv = format!(
        "nama,email,nip,unit\n\
         Budi Santoso,budi@bantul.go.id,{},Sekretariat\n\
         Siti Aminah,siti@bantul.go.id,198503122010131003,Sekretariat\n\
         Ani,ani@bantul.go.id,,Gudang\n",
        nip(1)
    );
    let admin = Browser::login(&app, "admin@bantul.go.id", PASSWORD).await;
    let resp = admin
        .submit(
            "/admin/users/import",
            "/admin/users/import",
            &[("csv", &csv)],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    assert!(page.contains("baris 3: NIP digit 9–14"), "{page}");
    assert!(page.contains("bulan 13"), "{page}");
    assert!(page.contains("baris 4: unit &quot;Gudang&quot;"), "{page}");
    // the text comes back to be fixed
    assert!(page.contains("Budi Santoso,budi@bantul.go.id"));
    assert_eq!(users::count(&mut conn).unwrap(), before);
    assert_eq!(outbox_count(&mut conn), outbox_before);

    // a learner may not import
    Person::new("staf@bantul.go.id")
        .name("Staf")
        .password(PASSWORD)
        .agency(a)
        .insert(&mut conn);
    let learner = Browser::login(&app, "staf@bantul.go.id", PASSWORD).await;
    assert_eq!(learner.get("/admin/users/import").await.status(), 403);
}

#[tokio::test]
async fn an_invited_person_gets_the_mail_sets_a_password_and_logs_in() {
    let sink = SmtpSink::start().await;
    let port = sink.port().to_string();
    let app = spawn_app_with(&[
        ("CAKAP_MAIL_TRANSPORT", "smtp"),
        ("CAKAP_SMTP_HOST", "127.0.0.1"),
        ("CAKAP_SMTP_PORT", &port),
        ("CAKAP_SMTP_SECURITY", "none"),
        ("CAKAP_BASE_URL", "http://cakap.test"),
    ])
    .await;
    let mut conn = app.conn();
    let a = Agency::new("KOTA-YK", "Pemerintah Kota Yogyakarta")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    Person::new("root@cakap.go.id")
        .name("Admin Platform")
        .password(PASSWORD)
        .platform_admin()
        .insert(&mut conn);
    let admin = Browser::login(&app, "root@cakap.go.id", PASSWORD).await;
    let agency_id = a.to_string();
    let csv = "name,email,supervisor_email\n\
               Rina Kusuma,rina@jogjakota.go.id,\n\
               Dedi Pratama,dedi@jogjakota.go.id,rina@jogjakota.go.id\n";
    let resp = admin
        .submit(
            "/admin/users/import",
            "/admin/users/import",
            &[("csv", csv), ("agency_id", &agency_id)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let mails = sink.wait_for(2, Duration::from_secs(10)).await;
    let mail = mails
        .iter()
        .find(|m| m.to == vec!["dedi@jogjakota.go.id".to_string()])
        .expect("Dedi's invitation");
    assert!(
        mail.subject().contains("Pemerintah Kota Yogyakarta"),
        "{}",
        mail.subject()
    );
    let link = mail.link().expect("a link in the mail");
    let path = link.trim_start_matches("http://cakap.test").to_string();
    assert!(path.starts_with("/invite/"), "{path}");

    let dedi = Browser::new(&app);
    let page = dedi.get(&path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Dedi Pratama"));
    let resp = dedi
        .submit(
            &path,
            &path,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let dedi = Browser::login(&app, "dedi@jogjakota.go.id", PASSWORD).await;
    let me: serde_json::Value = dedi.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["agency_id"], a);
    assert!(!me["email_verified_at"].is_null());
    // the link works once
    assert_eq!(Browser::new(&app).get(&path).await.status(), 410);
}

#[tokio::test]
async fn role_changes_apply_on_the_next_request() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let a = Agency::new("KAB-KP", "Pemerintah Kabupaten Kulon Progo")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    Person::new("root@cakap.go.id")
        .name("Admin Platform")
        .password(PASSWORD)
        .platform_admin()
        .insert(&mut conn);
    let admin_id = Person::new("admin@kulonprogo.go.id")
        .name("Admin KP")
        .password(PASSWORD)
        .agency(a)
        .admin()
        .insert(&mut conn);
    let learner_id = Person::new("rudi@kulonprogo.go.id")
        .name("Rudi")
        .password(PASSWORD)
        .agency(a)
        .insert(&mut conn);
    let root = Browser::login(&app, "root@cakap.go.id", PASSWORD).await;
    let admin = Browser::login(&app, "admin@kulonprogo.go.id", PASSWORD).await;
    let learner = Browser::login(&app, "rudi@kulonprogo.go.id", PASSWORD).await;
    assert_eq!(learner.get("/admin/users").await.status(), 403);

    // the agency admin makes Rudi an author, and tries to make him a platform admin
    let detail = format!("/admin/users/{learner_id}");
    let resp = admin
        .submit(
            &detail,
            &format!("{detail}/roles"),
            &[("author", "1"), ("platform_admin", "1")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let rudi = users::find(&mut conn, learner_id).unwrap().unwrap();
    assert!(rudi.is_author && !rudi.is_platform_admin);
    // Rudi's session ended; after logging in again he is an author
    assert_eq!(learner.get("/me/account").await.status(), 303);
    let learner = Browser::login(&app, "rudi@kulonprogo.go.id", PASSWORD).await;
    let me: serde_json::Value = learner.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["is_author"], true);

    // the platform admin removes the agency admin's role: the same cookie no longer opens /admin
    assert_eq!(admin.get("/admin/users").await.status(), 200);
    let detail = format!("/admin/users/{admin_id}");
    let resp = root.submit(&detail, &format!("{detail}/roles"), &[]).await;
    assert_eq!(resp.status(), 303);
    let resp = admin.get("/admin/users").await;
    assert_eq!(resp.status(), 303);
    assert!(resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let admin = Browser::login(&app, "admin@kulonprogo.go.id", PASSWORD).await;
    assert_eq!(admin.get("/admin/users").await.status(), 403);

    // the platform admin may not remove the last platform admin (themself)
    let root_id = users::find_by_email(&mut conn, "root@cakap.go.id")
        .unwrap()
        .unwrap()
        .id;
    let detail = format!("/admin/users/{root_id}");
    let resp = root.submit(&detail, &format!("{detail}/roles"), &[]).await;
    assert_eq!(
        resp.headers()[header::LOCATION],
        format!("{detail}?notice=last_admin").as_str()
    );
    assert!(
        users::find(&mut conn, root_id)
            .unwrap()
            .unwrap()
            .is_platform_admin
    );
    // changing one's own roles keeps one logged in
    let resp = root
        .submit(
            &detail,
            &format!("{detail}/roles"),
            &[("platform_admin", "1"), ("author", "1")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(root.get("/admin/users").await.status(), 200);
}

#[tokio::test]
async fn agency_admins_only_see_and_manage_their_own_agency() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let x = Agency::new("KAB-X", "Kabupaten X")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    let y = Agency::new("KAB-Y", "Kabupaten Y")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    Person::new("admin@x.go.id")
        .name("Admin X")
        .password(PASSWORD)
        .agency(x)
        .admin()
        .insert(&mut conn);
    Person::new("warga@x.go.id")
        .name("Warga X")
        .password(PASSWORD)
        .agency(x)
        .insert(&mut conn);
    let other = Person::new("warga@y.go.id")
        .name("Warga Y")
        .password(PASSWORD)
        .agency(y)
        .insert(&mut conn);
    let root = Person::new("root@cakap.go.id")
        .name("Root")
        .password(PASSWORD)
        .agency(x)
        .platform_admin()
        .insert(&mut conn);
    let admin = Browser::login(&app, "admin@x.go.id", PASSWORD).await;
    let page = admin.get("/admin/users").await.text().await.unwrap();
    assert!(page.contains("warga@x.go.id"));
    assert!(!page.contains("warga@y.go.id"));
    // another agency's people are not found, whatever the URL
    let page = admin
        .get(&format!("/admin/users?agency={y}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("warga@y.go.id"));
    assert_eq!(
        admin.get(&format!("/admin/users/{other}")).await.status(),
        404
    );
    let csrf = common::csrf_of(&admin.get("/admin/users/import").await.text().await.unwrap());
    for action in ["roles", "disable", "enable"] {
        let resp = admin
            .client
            .post(format!("{}/admin/users/{other}/{action}", app.address))
            .form(&[("csrf", csrf.as_str()), ("agency_admin", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{action}");
    }
    let w = users::find(&mut conn, other).unwrap().unwrap();
    assert!(!w.is_agency_admin && !w.disabled);
    // nor can they touch a platform admin of their own agency
    let resp = admin
        .client
        .post(format!("{}/admin/users/{root}/disable", app.address))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // importing goes to their own agency, whatever the form says
    let resp = admin
        .submit(
            "/admin/users/import",
            "/admin/users/import",
            &[
                ("csv", "nama,email\nBaru,baru@x.go.id\n"),
                ("agency_id", &y.to_string()),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let baru = users::find_by_email(&mut conn, "baru@x.go.id")
        .unwrap()
        .unwrap();
    assert_eq!(baru.agency_id, Some(x));
}

#[tokio::test]
async fn the_team_page_shows_only_ones_own_staff() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let a = Agency::new("KAB-GK", "Kabupaten Gunungkidul")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    let umum = unit(&mut conn, a, None, "Bagian Umum");
    let analis = position(&mut conn, a, "Analis Kepegawaian");
    let boss = Person::new("kabag@gk.go.id")
        .name("Kabag Umum")
        .password(PASSWORD)
        .agency(a)
        .insert(&mut conn);
    let boss2 = Person::new("kabid@gk.go.id")
        .name("Kabid Diklat")
        .password(PASSWORD)
        .agency(a)
        .insert(&mut conn);
    let staff = Person::new("staf1@gk.go.id")
        .name("Sri Wahyuni")
        .password(PASSWORD)
        .agency(a)
        .unit(umum)
        .position(analis)
        .supervisor(boss)
        .nip(nip(3).as_str())
        .insert(&mut conn);
    let other = Person::new("staf2@gk.go.id")
        .name("Joko Susilo")
        .password(PASSWORD)
        .agency(a)
        .supervisor(boss2)
        .insert(&mut conn);
    let b = Browser::login(&app, "kabag@gk.go.id", PASSWORD).await;
    let page = b.get("/team").await.text().await.unwrap();
    assert!(
        page.contains("Sri Wahyuni") && page.contains(&nip(3)),
        "{page}"
    );
    assert!(page.contains("Bagian Umum") && page.contains("Analis Kepegawaian"));
    assert!(!page.contains("Joko Susilo"));
    let resp = b.get(&format!("/team/{staff}")).await;
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    assert!(page.contains(&nip(3)) && page.contains("Kabupaten Gunungkidul"));
    for id in [other, boss2, boss, 999_999] {
        assert_eq!(b.get(&format!("/team/{id}")).await.status(), 404, "{id}");
    }
    // someone without staff sees a friendly empty page
    let s = Browser::login(&app, "staf2@gk.go.id", PASSWORD).await;
    let resp = s.get("/team").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Belum ada pegawai"));
    // and logged-out visitors go to the login page
    assert_eq!(Browser::new(&app).get("/team").await.status(), 303);
}

#[tokio::test]
async fn a_disabled_person_cannot_log_in_until_enabled() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let a = Agency::new("KAB-S", "Kabupaten S")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    Person::new("admin@s.go.id")
        .name("Admin S")
        .password(PASSWORD)
        .agency(a)
        .admin()
        .insert(&mut conn);
    let id = Person::new("pindah@s.go.id")
        .name("Sudah Pindah")
        .password(PASSWORD)
        .agency(a)
        .insert(&mut conn);
    let admin = Browser::login(&app, "admin@s.go.id", PASSWORD).await;
    let learner = Browser::login(&app, "pindah@s.go.id", PASSWORD).await;
    let detail = format!("/admin/users/{id}");
    let resp = admin
        .submit(&detail, &format!("{detail}/disable"), &[])
        .await;
    assert_eq!(resp.status(), 303);
    // the session ends at once, and logging in fails
    assert_eq!(learner.get("/me/account").await.status(), 303);
    let resp = Browser::new(&app)
        .submit(
            "/login",
            "/login",
            &[("email", "pindah@s.go.id"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = admin.get(&detail).await.text().await.unwrap();
    assert!(page.contains("Dinonaktifkan"));
    // one cannot disable oneself
    let admin_id = users::find_by_email(&mut conn, "admin@s.go.id")
        .unwrap()
        .unwrap()
        .id;
    let mine = format!("/admin/users/{admin_id}");
    let resp = admin.submit(&mine, &format!("{mine}/disable"), &[]).await;
    assert_eq!(
        resp.headers()[header::LOCATION],
        format!("{mine}?notice=self").as_str()
    );
    // enabled again, they log in
    let resp = admin
        .submit(&detail, &format!("{detail}/enable"), &[])
        .await;
    assert_eq!(resp.status(), 303);
    Browser::login(&app, "pindah@s.go.id", PASSWORD).await;
}

fn cakap(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cakap"));
    cmd.current_dir(db.dir()).args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAKAP_")) {
        cmd.env_remove(k);
    }
    cmd.env("CAKAP_DATABASE_URL", &db.url)
        .env("CAKAP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("cakap runs");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn cakap_users_add_creates_the_first_admin() {
    let db = TestDatabase::fresh();
    let pw = format!("{PASSWORD}\n");
    let out = cakap(
        &db,
        &[
            "users",
            "add",
            "--email",
            "Root@Cakap.go.id",
            "--name",
            "Admin Pertama",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(&pw),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("root@cakap.go.id"));
    let mut conn = connect(&db.url);
    let root = users::find_by_email(&mut conn, "root@cakap.go.id")
        .unwrap()
        .unwrap();
    assert!(root.is_platform_admin && root.email_verified_at.is_some());
    assert!(cakap::accounts::password::verify(
        PASSWORD,
        root.password_hash.as_deref().unwrap()
    ));

    // the same e-mail again: refused, clearly
    let out = cakap(
        &db,
        &[
            "users",
            "add",
            "--email",
            "root@cakap.go.id",
            "--name",
            "Lagi",
            "--password-stdin",
        ],
        Some(&pw),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // an agency admin needs an existing agency
    let out = cakap(
        &db,
        &[
            "users",
            "add",
            "--email",
            "a@b.go.id",
            "--name",
            "Admin B",
            "--role",
            "agency-admin",
            "--password-stdin",
        ],
        Some(&pw),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--agency"));
    let out = cakap(
        &db,
        &[
            "users",
            "add",
            "--email",
            "a@b.go.id",
            "--name",
            "Admin B",
            "--role",
            "agency-admin",
            "--agency",
            "NOPE",
            "--password-stdin",
        ],
        Some(&pw),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/admin/agencies"));
    Agency::new("KAB-B", "Kabupaten B")
        .kind("daerah")
        .unchecked()
        .insert(&mut conn);
    let out = cakap(
        &db,
        &[
            "users",
            "add",
            "--email",
            "a@b.go.id",
            "--name",
            "Admin B",
            "--role",
            "agency-admin",
            "--agency",
            "KAB-B",
            "--password-stdin",
        ],
        Some(&pw),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // no terminal and no --password-stdin: a strong password, shown once
    let out = cakap(
        &db,
        &[
            "users",
            "add",
            "--email",
            "penulis@cakap.go.id",
            "--name",
            "Penulis",
            "--role",
            "author",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Kata sandi awal: "))
        .expect("the password is printed");
    let generated = line
        .trim_start_matches("Kata sandi awal: ")
        .split(';')
        .next()
        .unwrap();
    let author = users::find_by_email(&mut conn, "penulis@cakap.go.id")
        .unwrap()
        .unwrap();
    assert!(author.is_author);
    assert!(cakap::accounts::password::verify(
        generated,
        author.password_hash.as_deref().unwrap()
    ));

    let out = cakap(&db, &["users", "list"], None);
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("root@cakap.go.id\tAdmin Pertama\tadmin"),
        "{list}"
    );
    assert!(list.contains("a@b.go.id\tAdmin B\tagency-admin"), "{list}");
    let out = cakap(&db, &["users", "add", "--help"], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--password-stdin"));
}
