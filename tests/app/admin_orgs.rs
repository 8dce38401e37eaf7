//! Agencies, units and positions, as admins manage them: platform admins create agencies;
//! agency admins manage the units and positions of their own agency, by hand and by CSV; every
//! other agency's pages and ids are refused.

use crate::common::fixtures::{Agency, Person};
use crate::common::{csrf_of, spawn_app, TestApp};
use cakap::accounts::orgs;
use reqwest::{header, Client, Response};

const PASSWORD: &str = "Kopi-Tubruk-2026";

/// A browser of its own (cookies), logged in as `email`.
struct Browser<'a> {
    app: &'a TestApp,
    client: Client,
}

impl<'a> Browser<'a> {
    async fn anonymous(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            client: app.new_browser(),
        }
    }

    async fn login(app: &'a TestApp, email: &str) -> Browser<'a> {
        let b = Browser::anonymous(app).await;
        let resp = b
            .post(
                "/login",
                "/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(resp.status(), 303, "{email} logs in");
        b
    }

    async fn get(&self, path: &str) -> Response {
        self.client.get(self.app.url(path)).send().await.unwrap()
    }

    async fn text(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.text().await.unwrap()
    }

    /// Take a CSRF token from `page` (as the browser would have one), then post `fields`.
    async fn post(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let html = self.get(page).await.text().await.unwrap();
        let csrf = csrf_of(&html);
        let mut form = fields.to_vec();
        form.push(("csrf", &csrf));
        self.client
            .post(self.app.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

fn location(resp: &Response) -> String {
    resp.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn platform_admin_creates_agencies_and_others_are_refused() {
    let app = spawn_app().await;
    Person::new("admin@cakap.go.id")
        .name("Pengguna admin@cakap.go.id")
        .password(PASSWORD)
        .platform_admin()
        .create(&app);

    // anonymous: to the login page, for pages and forms alike
    let anon = Browser::anonymous(&app).await;
    for path in ["/admin", "/admin/agencies", "/admin/agencies/1/import"] {
        let resp = anon.get(path).await;
        assert_eq!(resp.status(), 303, "{path}");
        assert!(location(&resp).starts_with("/login"), "{path}");
    }
    let resp = anon
        .post(
            "/login",
            "/admin/agencies",
            &[("code", "X-1"), ("name", "X"), ("kind", "kota")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert!(location(&resp).starts_with("/login"));

    let admin = Browser::login(&app, "admin@cakap.go.id").await;
    let home = admin.text("/admin").await;
    assert!(home.contains("href=\"/admin/agencies\""));
    assert!(home.contains("href=\"/admin/users\""));

    let resp = admin
        .post(
            "/admin/agencies",
            "/admin/agencies",
            &[
                ("code", " kab-sleman "),
                ("name", "Pemerintah Kabupaten  Sleman"),
                ("kind", "kabupaten"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = location(&resp);
    assert!(page.starts_with("/admin/agencies/"), "{page}");
    let html = admin.text(&page).await;
    assert!(html.contains("Pemerintah Kabupaten Sleman"));
    assert!(html.contains("KAB-SLEMAN"));
    assert!(html.contains("Instansi ditambahkan"));
    let sleman = orgs::agency_by_code(&mut app.conn(), "KAB-SLEMAN")
        .unwrap()
        .expect("stored with its code in capitals");
    assert_eq!(sleman.kind, "kabupaten");

    // a code is unique, and has no spaces
    let resp = admin
        .post(
            "/admin/agencies",
            "/admin/agencies",
            &[
                ("code", "KAB-SLEMAN"),
                ("name", "Lagi"),
                ("kind", "kabupaten"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("sudah dipakai"));
    let resp = admin
        .post(
            "/admin/agencies",
            "/admin/agencies",
            &[("code", "KOTA YOGYA"), ("name", "Kota"), ("kind", "kota")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("tanpa spasi"));

    let resp = admin
        .post(
            "/admin/agencies",
            "/admin/agencies",
            &[
                ("code", "KOTA-YOGYAKARTA"),
                ("name", "Pemerintah Kota Yogyakarta"),
                ("kind", "kota"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let list = admin.text("/admin/agencies").await;
    assert!(
        list.contains("Pemerintah Kota Yogyakarta") && list.contains("Pemerintah Kabupaten Sleman")
    );

    // edit
    let resp = admin
        .post(
            &page,
            &format!("/admin/agencies/{}", sleman.id),
            &[
                ("code", "KAB-SLEMAN"),
                ("name", "Pemkab Sleman"),
                ("kind", "kabupaten"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert!(admin.text(&page).await.contains("Pemkab Sleman"));
    assert_eq!(admin.get("/admin/agencies/999999").await.status(), 404);

    // a learner: nothing here
    Person::new("staf@sleman.go.id")
        .name("Pengguna staf@sleman.go.id")
        .password(PASSWORD)
        .agency(sleman.id)
        .create(&app);
    let learner = Browser::login(&app, "staf@sleman.go.id").await;
    for path in [
        "/admin".to_string(),
        "/admin/agencies".to_string(),
        format!("/admin/agencies/{}", sleman.id),
        format!("/admin/agencies/{}/import", sleman.id),
    ] {
        assert_eq!(learner.get(&path).await.status(), 403, "{path}");
    }
    let resp = learner
        .post(
            "/me/account",
            &format!("/admin/agencies/{}/units", sleman.id),
            &[("name", "Unit Liar"), ("parent_id", "")],
        )
        .await;
    assert_eq!(resp.status(), 403);

    // an agency admin may not create or edit agencies
    Person::new("admin@sleman.go.id")
        .name("Pengguna admin@sleman.go.id")
        .password(PASSWORD)
        .admin()
        .agency(sleman.id)
        .create(&app);
    let agency_admin = Browser::login(&app, "admin@sleman.go.id").await;
    assert_eq!(agency_admin.get("/admin/agencies").await.status(), 403);
    let resp = agency_admin
        .post(
            "/admin",
            "/admin/agencies",
            &[
                ("code", "KAB-BARU"),
                ("name", "Baru"),
                ("kind", "kabupaten"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = agency_admin
        .post(
            "/admin",
            &format!("/admin/agencies/{}", sleman.id),
            &[("code", "KAB-X"), ("name", "Diubah"), ("kind", "kabupaten")],
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(
        orgs::agency(&mut app.conn(), sleman.id)
            .unwrap()
            .unwrap()
            .name,
        "Pemkab Sleman"
    );
    assert!(agency_admin
        .text("/admin")
        .await
        .contains(&format!("href=\"/admin/agencies/{}\"", sleman.id)));
}

#[tokio::test]
async fn agency_admin_manages_own_units_and_positions_only() {
    let app = spawn_app().await;
    let (a, b, b_unit, b_position) = {
        let c = &mut app.conn();
        let a = Agency::new("BPSDM-JATENG", "BPSDM Provinsi Jawa Tengah")
            .kind("provinsi")
            .insert(c);
        let b = Agency::new("KAB-SLEMAN", "Pemerintah Kabupaten Sleman")
            .kind("kabupaten")
            .insert(c);
        let b_unit = orgs::create_unit(c, b, "Sekretariat Daerah", None).unwrap();
        let b_position = orgs::create_position(c, b, "Sekretaris Daerah", "jpt_madya").unwrap();
        (a, b, b_unit, b_position)
    };
    Person::new("admin@bpsdm.jatengprov.go.id")
        .name("Pengguna admin@bpsdm.jatengprov.go.id")
        .password(PASSWORD)
        .admin()
        .agency(a)
        .create(&app);
    let admin = Browser::login(&app, "admin@bpsdm.jatengprov.go.id").await;
    let page = format!("/admin/agencies/{a}");
    assert!(admin
        .text("/admin")
        .await
        .contains(&format!("href=\"{page}\"")));

    // units: add, nest, refuse a duplicate
    let add_unit = |name: &'static str, parent: String| {
        let admin = &admin;
        let page = page.clone();
        async move {
            admin
                .post(
                    &page,
                    &format!("{page}/units"),
                    &[("name", name), ("parent_id", &parent)],
                )
                .await
        }
    };
    let resp = add_unit("Sekretariat", String::new()).await;
    assert_eq!(resp.status(), 303);
    assert!(location(&resp).contains("done=unit_added"));
    let units = orgs::units(&mut app.conn(), a).unwrap();
    let sekretariat = units.iter().find(|u| u.name == "Sekretariat").unwrap().id;
    assert_eq!(
        add_unit("Subbagian Umum", sekretariat.to_string())
            .await
            .status(),
        303
    );
    let resp = add_unit("subbagian  umum", sekretariat.to_string()).await;
    assert_eq!(resp.status(), 422);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Sudah ada unit dengan nama ini"));
    let html = admin.text(&page).await;
    assert!(html.contains("class=\"d1\"><a href=\"/admin/agencies/"));
    assert!(html.contains("Subbagian Umum"));
    let subbag = orgs::units(&mut app.conn(), a)
        .unwrap()
        .into_iter()
        .find(|u| u.name == "Subbagian Umum")
        .unwrap();
    assert_eq!(subbag.parent_id, Some(sekretariat));

    // rename; a unit cannot move into its own sub-unit
    let unit_page = format!("{page}/units/{}", subbag.id);
    let resp = admin
        .post(
            &unit_page,
            &unit_page,
            &[
                ("name", "Subbagian Umum dan Kepegawaian"),
                ("parent_id", &sekretariat.to_string()),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let sek_page = format!("{page}/units/{sekretariat}");
    let resp = admin
        .post(
            &sek_page,
            &sek_page,
            &[
                ("name", "Sekretariat"),
                ("parent_id", &subbag.id.to_string()),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("sub-unitnya"));

    // positions
    let resp = admin
        .post(
            &page,
            &format!("{page}/positions"),
            &[("name", "Kepala Badan"), ("kind", "jpt_pratama")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let resp = admin
        .post(
            &page,
            &format!("{page}/positions"),
            &[("name", "Analis SDM Aparatur"), ("kind", "fungsional_muda")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let resp = admin
        .post(
            &page,
            &format!("{page}/positions"),
            &[("name", "Tanpa Jenis"), ("kind", "")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let html = admin.text(&page).await;
    assert!(html.contains("Kepala Badan") && html.contains("JPT Pratama"));
    assert!(html.contains("Fungsional Ahli Muda"));
    let positions = orgs::positions(&mut app.conn(), a).unwrap();
    let kepala = positions.iter().find(|p| p.name == "Kepala Badan").unwrap();
    let analis = positions
        .iter()
        .find(|p| p.name == "Analis SDM Aparatur")
        .unwrap();
    let pos_page = format!("{page}/positions/{}", analis.id);
    let resp = admin
        .post(
            &pos_page,
            &pos_page,
            &[
                ("name", "Analis SDM Aparatur Ahli Muda"),
                ("kind", "fungsional_muda"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);

    // another agency: its pages and forms are refused
    let other = format!("/admin/agencies/{b}");
    for path in [
        other.clone(),
        format!("{other}/import"),
        format!("{other}/units/{b_unit}"),
        format!("{other}/positions/{b_position}"),
    ] {
        assert_eq!(admin.get(&path).await.status(), 403, "{path}");
    }
    for (action, fields) in [
        (
            format!("{other}/units"),
            vec![("name", "Susupan"), ("parent_id", "")],
        ),
        (
            format!("{other}/units/{b_unit}"),
            vec![("name", "Diubah"), ("parent_id", "")],
        ),
        (format!("{other}/units/{b_unit}/delete"), vec![]),
        (
            format!("{other}/positions"),
            vec![("name", "Susupan"), ("kind", "pelaksana")],
        ),
        (format!("{other}/positions/{b_position}/delete"), vec![]),
        (
            format!("{other}/import"),
            vec![("units", "nama,induk\nSusupan,\n"), ("positions", "")],
        ),
        (
            other.clone(),
            vec![("code", "KAB-X"), ("name", "X"), ("kind", "kota")],
        ),
    ] {
        let resp = admin.post(&page, &action, &fields).await;
        assert_eq!(resp.status(), 403, "POST {action}");
    }
    // …and so are its ids, forged into this agency's URLs and forms
    for path in [
        format!("{page}/units/{b_unit}"),
        format!("{page}/positions/{b_position}"),
    ] {
        assert_eq!(admin.get(&path).await.status(), 404, "{path}");
    }
    for (action, fields) in [
        (
            format!("{page}/units/{b_unit}"),
            vec![("name", "Diubah"), ("parent_id", "")],
        ),
        (format!("{page}/units/{b_unit}/delete"), vec![]),
        (
            format!("{page}/positions/{b_position}"),
            vec![("name", "Diubah"), ("kind", "pelaksana")],
        ),
        (format!("{page}/positions/{b_position}/delete"), vec![]),
    ] {
        let resp = admin.post(&page, &action, &fields).await;
        assert_eq!(resp.status(), 404, "POST {action}");
    }
    let b_unit_str = b_unit.to_string();
    let resp = admin
        .post(
            &page,
            &format!("{page}/units"),
            &[("name", "Anak Liar"), ("parent_id", &b_unit_str)],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let resp = admin
        .post(
            &sek_page,
            &sek_page,
            &[("name", "Sekretariat"), ("parent_id", &b_unit_str)],
        )
        .await;
    assert_eq!(resp.status(), 422);
    {
        let c = &mut app.conn();
        let b_units = orgs::units(c, b).unwrap();
        assert_eq!(b_units.len(), 1);
        assert_eq!(b_units[0].name, "Sekretariat Daerah");
        assert_eq!(orgs::positions(c, b).unwrap().len(), 1);
        assert!(orgs::units(c, a)
            .unwrap()
            .iter()
            .all(|u| u.name != "Anak Liar"));
        assert_eq!(
            orgs::agency(c, b).unwrap().unwrap().name,
            "Pemerintah Kabupaten Sleman"
        );
    }

    // deleting: a unit with people or sub-units, a position someone holds, are refused
    Person::new("pegawai@bpsdm.jatengprov.go.id")
        .name("Pengguna pegawai@bpsdm.jatengprov.go.id")
        .password(PASSWORD)
        .agency(a)
        .unit(subbag.id)
        .position(kepala.id)
        .create(&app);
    let resp = admin
        .post(&unit_page, &format!("{unit_page}/delete"), &[])
        .await;
    assert_eq!(resp.status(), 422);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("belum dapat dihapus") && text.contains("1 pegawai"),
        "{text}"
    );
    let resp = admin
        .post(&sek_page, &format!("{sek_page}/delete"), &[])
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("1 sub-unit"));
    let kepala_page = format!("{page}/positions/{}", kepala.id);
    let resp = admin
        .post(&kepala_page, &format!("{kepala_page}/delete"), &[])
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("1 pegawai masih memegangnya"));
    assert_eq!(orgs::units(&mut app.conn(), a).unwrap().len(), 2);

    // empty ones go
    assert_eq!(
        add_unit("Bidang Sementara", String::new()).await.status(),
        303
    );
    let temp = orgs::units(&mut app.conn(), a)
        .unwrap()
        .into_iter()
        .find(|u| u.name == "Bidang Sementara")
        .unwrap();
    let temp_page = format!("{page}/units/{}", temp.id);
    let resp = admin
        .post(&temp_page, &format!("{temp_page}/delete"), &[])
        .await;
    assert_eq!(resp.status(), 303);
    let resp = admin
        .post(&pos_page, &format!("{pos_page}/delete"), &[])
        .await;
    assert_eq!(resp.status(), 303);
    let c = &mut app.conn();
    assert_eq!(orgs::units(c, a).unwrap().len(), 2);
    let names: Vec<String> = orgs::positions(c, a)
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Kepala Badan"]);
}

#[tokio::test]
async fn csv_import_checks_every_line_then_writes_everything_once() {
    let app = spawn_app().await;
    let a = Agency::new("BPSDM-DIY", "BPSDM DIY")
        .kind("provinsi")
        .create(&app);
    Person::new("admin@bpsdm.jogjaprov.go.id")
        .name("Pengguna admin@bpsdm.jogjaprov.go.id")
        .password(PASSWORD)
        .admin()
        .agency(a)
        .create(&app);
    let admin = Browser::login(&app, "admin@bpsdm.jogjaprov.go.id").await;
    let page = format!("/admin/agencies/{a}/import");
    let html = admin.text(&page).await;
    assert!(html.contains("nama,induk") && html.contains("nama,jenis"));
    assert!(html.contains("<textarea name=\"units\""));

    let positions = "nama,jenis\nKepala Badan,JPT Pratama\nSekretaris,administrator\n\"Analis SDM Aparatur, Ahli Muda\",Fungsional Ahli Muda\nPengadministrasi Umum,Pelaksana\n";

    // one bad line: reported by its number, nothing written
    let bad = "nama,induk\nSekretariat,\nSubbagian Umum,Sekretariat\nSeksi Diklat,Bidang X\nBidang Pengembangan Kompetensi,\n";
    let resp = admin
        .post(&page, &page, &[("units", bad), ("positions", positions)])
        .await;
    assert_eq!(resp.status(), 422);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("Unit kerja, baris 4: induk &quot;Bidang X&quot; tidak ditemukan"),
        "{text}"
    );
    assert!(
        text.contains("Seksi Diklat,Bidang X"),
        "the pasted table is kept"
    );
    {
        let c = &mut app.conn();
        assert!(orgs::units(c, a).unwrap().is_empty());
        assert!(orgs::positions(c, a).unwrap().is_empty());
    }

    // a valid file: `;`-separated with a BOM, as spreadsheets save it; nested units by name or path
    let units = "\u{feff}Nama;Induk\r\nSekretariat;\r\nSubbagian Umum;Sekretariat\r\nBidang Pengembangan Kompetensi;\r\nSubbagian Umum;Bidang Pengembangan Kompetensi\r\nUrusan Arsip;Sekretariat/Subbagian Umum\r\n";
    let resp = admin
        .post(&page, &page, &[("units", units), ("positions", positions)])
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("Unit kerja: 5 ditambahkan, 0 sudah ada."),
        "{text}"
    );
    assert!(
        text.contains("Jabatan: 4 ditambahkan, 0 sudah ada."),
        "{text}"
    );
    {
        let c = &mut app.conn();
        let all = orgs::units(c, a).unwrap();
        assert_eq!(all.len(), 5);
        let paths: Vec<String> = orgs::unit_tree(&all).into_iter().map(|t| t.label).collect();
        assert_eq!(
            paths,
            [
                "Bidang Pengembangan Kompetensi",
                "Bidang Pengembangan Kompetensi › Subbagian Umum",
                "Sekretariat",
                "Sekretariat › Subbagian Umum",
                "Sekretariat › Subbagian Umum › Urusan Arsip",
            ]
        );
        let kinds: Vec<(String, String)> = orgs::positions(c, a)
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.kind))
            .collect();
        assert!(kinds.contains(&(
            "Analis SDM Aparatur, Ahli Muda".into(),
            "fungsional_muda".into()
        )));
        assert!(kinds.contains(&("Kepala Badan".into(), "jpt_pratama".into())));
    }

    // the same again: nothing new
    let resp = admin
        .post(&page, &page, &[("units", units), ("positions", positions)])
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("Unit kerja: 0 ditambahkan, 5 sudah ada."),
        "{text}"
    );
    assert!(
        text.contains("Jabatan: 0 ditambahkan, 4 sudah ada."),
        "{text}"
    );
    let c = &mut app.conn();
    assert_eq!(orgs::units(c, a).unwrap().len(), 5);
    assert_eq!(orgs::positions(c, a).unwrap().len(), 4);

    // and the agency page shows the tree
    let html = admin.text(&format!("/admin/agencies/{a}")).await;
    assert!(html.contains("class=\"d2\"><a href=\"/admin/agencies/"));
    assert!(html.contains("Urusan Arsip"));
}
