//! The agency report over HTTP: JP compliance by unit (completions and approved activities against
//! the target), competency gaps by position, course completions this year and all time, and the
//! development history per ASN as CSV for SIASN — for the agency's admin and a platform admin, and
//! refused to another agency's admin and to a learner.

use crate::common;
use crate::common::fixtures::{
    complete, write_dictionary, Agency, CourseFolder, Person, PELAYANAN_PUBLIK,
};

use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use cakap::accounts::orgs;
use cakap::competency::activities::{self, NewActivity};
use cakap::db::schema::{certificates, completions, courses, partners, position_targets};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use reqwest::{Client, Response};

const PW: &str = "Laporan-Instansi-2026";
const ISSUER: &str = "Cakap Kota Surakarta";
const NIP_SITI: &str = "198503302010012001";
const NIP_BUDI: &str = "199001012015031001";

fn dictionary(root: &Path) {
    write_dictionary(
        root,
        &[
            PELAYANAN_PUBLIK,
            (
                "T.EGOV",
                "Layanan Pemerintahan Berbasis Elektronik",
                "teknis",
            ),
        ],
    );
}

async fn get(app: &TestApp, b: &Client, path: &str, lang: &str) -> Response {
    b.get(app.url(path))
        .header("accept-language", lang)
        .send()
        .await
        .unwrap()
}

/// The table row holding `needle`.
fn row<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in {html}"));
    let start = html[..at].rfind("<tr>").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn the_agency_report_shows_compliance_gaps_completions_and_exports_the_history() {
    let root = tempfile::tempdir().unwrap();
    dictionary(root.path());
    CourseFolder::one_lesson("spbe")
        .jp(16)
        .competency("M.PP", 2)
        .write(root.path());
    CourseFolder::one_lesson("etika")
        .jp(4)
        .front("certificate = false")
        .write(root.path());
    let app = spawn_app_with(&[
        ("CAKAP_COURSES_DIR", &root.path().display().to_string()),
        ("CAKAP_CERTIFICATES_ISSUER", ISSUER),
    ])
    .await;
    let year = common::wib_year();
    let mut c = app.conn();
    let agency = Agency::new("KOTA-SOLO", "Pemerintah Kota Surakarta").insert(&mut c);
    let other = Agency::new("KAB-SLEMAN", "Pemerintah Kabupaten Sleman")
        .kind("kabupaten")
        .insert(&mut c);
    let dinas = orgs::create_unit(&mut c, agency, "Dinas Kominfo", None).unwrap();
    let bidang = orgs::create_unit(&mut c, agency, "Bidang Aplikasi", Some(dinas)).unwrap();
    let pranata = orgs::create_position(
        &mut c,
        agency,
        "Pranata Komputer Ahli Pertama",
        "fungsional_pertama",
    )
    .unwrap();
    orgs::create_position(&mut c, agency, "Kepala Seksi Layanan", "pengawas").unwrap();
    // the standard: M.PP 2 (usual for fungsional pertama), T.EGOV 3 (explicit)
    diesel::insert_into(position_targets::table)
        .values((
            position_targets::position_id.eq(pranata),
            position_targets::code.eq("T.EGOV"),
            position_targets::level.eq(3),
        ))
        .execute(&mut c)
        .unwrap();
    let rahmat = Person::new("rahmat@solo.go.id")
        .name("Rahmat Hidayat")
        .password(PW)
        .agency(agency)
        .unit(dinas)
        .insert(&mut c);
    Person::new("siti@solo.go.id")
        .name("Siti Rahmawati")
        .password(PW)
        .nip(NIP_SITI)
        .agency(agency)
        .unit(bidang)
        .position(pranata)
        .supervisor(rahmat)
        .insert(&mut c);
    let budi = Person::new("budi@solo.go.id")
        .name("Budi Santoso")
        .password(PW)
        .nip(NIP_BUDI)
        .agency(agency)
        .unit(bidang)
        .position(pranata)
        .supervisor(rahmat)
        .insert(&mut c);
    Person::new("dewi@solo.go.id")
        .name("Dewi Lestari")
        .password(PW)
        .agency(agency)
        .insert(&mut c);
    let gone = Person::new("pensiun@solo.go.id")
        .name("Pegawai Pensiun")
        .password(PW)
        .agency(agency)
        .unit(bidang)
        .position(pranata)
        .insert(&mut c);
    diesel::update(cakap::db::schema::users::table.find(gone))
        .set(cakap::db::schema::users::disabled.eq(true))
        .execute(&mut c)
        .unwrap();
    Person::new("admin@solo.go.id")
        .name("Admin Solo")
        .password(PW)
        .agency(agency)
        .admin()
        .insert(&mut c);
    for (email, admin) in [("admin@sleman.go.id", true), ("tono@sleman.go.id", false)] {
        Person::new(email)
            .name("Pegawai Sleman")
            .password(PW)
            .agency(other)
            .admin_if(admin)
            .insert(&mut c);
    }
    Person::new("root@cakap.go.id")
        .name("Admin Platform")
        .password(PW)
        .agency(other)
        .platform_admin()
        .insert(&mut c);

    // the etika course is a partner's: SIASN's organiser is the partner, not the platform
    let partner: i64 = diesel::insert_into(partners::table)
        .values((
            partners::code.eq("UNS"),
            partners::name.eq("Universitas Sebelas Maret"),
            partners::kind.eq("universitas"),
            partners::created_at.eq(Utc::now().naive_utc()),
            partners::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(partners::id)
        .get_result(&mut c)
        .unwrap();
    diesel::update(courses::table.filter(courses::slug.eq("etika")))
        .set(courses::provider_id.eq(Some(partner)))
        .execute(&mut c)
        .unwrap();
    // Budi: 16 JP by course + 6 JP approved activity = 22 ≥ 20; Siti: 4 JP; Rahmat: 4 JP last year
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
        "etika",
        "01-materi",
    )
    .await;
    complete(
        &app,
        &app.token_of("rahmat@solo.go.id", PW).await,
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
    let last_year = NaiveDate::from_ymd_opt(year - 1, 6, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    diesel::update(completions::table.filter(completions::user_id.eq(rahmat)))
        .set(completions::completed_at.eq(last_year))
        .execute(&mut c)
        .unwrap();
    let activity = activities::create_recorded(
        &mut c,
        budi,
        &NewActivity {
            kind: "bimtek".into(),
            title: "Bimtek SPBE".into(),
            organizer: "Kementerian PANRB".into(),
            started: NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
            ended: NaiveDate::from_ymd_opt(year, 1, 2).unwrap(),
            jp: 6,
            competency: Some(("T.EGOV".into(), 2)),
        },
        None,
        Some("STTPL/0042/PANRB/2026"),
        None,
    )
    .unwrap();
    activities::review(&mut c, activity, rahmat, true, "").unwrap();
    // Budi's certificate names its own issuer; Siti's course gives none
    let (budi_completion, number): (i64, String) = certificates::table
        .filter(certificates::user_id.eq(budi))
        .select((certificates::completion_id, certificates::number))
        .first(&mut c)
        .unwrap();
    diesel::update(certificates::table.filter(certificates::completion_id.eq(budi_completion)))
        .set(certificates::issuer.eq("BPSDM Kota Surakarta"))
        .execute(&mut c)
        .unwrap();

    // ---- who may see it ----
    let admin = app.browser_as("admin@solo.go.id", PW).await;
    let r = get(&app, &admin, "/admin/report", "id").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/admin/agencies/{agency}/report").as_str()
    );
    let page_path = format!("/admin/agencies/{agency}/report?year={year}");
    let csv_path = format!("/admin/agencies/{agency}/report/history.csv?year={year}");
    for (email, status) in [
        ("admin@sleman.go.id", 403),
        ("siti@solo.go.id", 403),
        ("root@cakap.go.id", 200),
    ] {
        let b = app.browser_as(email, PW).await;
        assert_eq!(
            get(&app, &b, &page_path, "id").await.status(),
            status,
            "{email} page"
        );
        assert_eq!(
            get(&app, &b, &csv_path, "id").await.status(),
            status,
            "{email} CSV"
        );
    }
    let root_b = app.browser_as("root@cakap.go.id", PW).await;
    let choose = get(&app, &root_b, "/admin/report", "id").await;
    assert_eq!(choose.status(), 200);
    let choose = choose.text().await.unwrap();
    assert!(choose.contains(&format!("/admin/agencies/{agency}/report")));
    assert!(choose.contains(&format!("/admin/agencies/{other}/report")));
    let anonymous = app.new_browser();
    assert_ne!(get(&app, &anonymous, &page_path, "id").await.status(), 200);

    // ---- the page ----
    let r = get(
        &app,
        &admin,
        &format!("/admin/agencies/{agency}/report"),
        "id",
    )
    .await;
    assert_eq!(r.status(), 200, "this year by default");
    let r = get(&app, &admin, &page_path, "id").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Laporan instansi"), "{html}");
    // compliance: Dinas Kominfo holds Rahmat directly; Bidang Aplikasi Siti and Budi (not the
    // disabled one); without unit: Dewi and the admin. The dinas (a perangkat daerah, listed
    // first) counts its bidang's people too (issue 21, point 8).
    let dinas_row = row(&html, "<td>Dinas Kominfo</td>");
    assert!(dinas_row.contains("3\u{a0}ASN"), "{dinas_row}");
    assert!(dinas_row.contains("1 mencapai 20 JP"), "{dinas_row}");
    assert!(dinas_row.contains("33%"), "{dinas_row}");
    assert!(
        html.find("Per perangkat daerah").unwrap() < html.find("Dinas Kominfo › Bidang").unwrap(),
        "top-level units first"
    );
    let details = &html[html.find("id=\"jp-units\"").unwrap()..];
    let dinas_detail = row(details, "<td>Dinas Kominfo</td>");
    assert!(dinas_detail.contains("3\u{a0}ASN"), "{dinas_detail}");
    assert!(
        dinas_detail.contains("<td>1\u{a0}ASN</td>"),
        "one placed directly in the dinas: {dinas_detail}"
    );
    let bidang_row = row(&html, "<td>Dinas Kominfo › Bidang Aplikasi</td>");
    assert!(bidang_row.contains("2\u{a0}ASN"), "{bidang_row}");
    assert!(bidang_row.contains("1 mencapai 20 JP"), "{bidang_row}");
    assert!(bidang_row.contains("50%"), "{bidang_row}");
    let none_row = row(&html, "Tanpa unit");
    assert!(none_row.contains("2\u{a0}ASN"), "{none_row}");
    assert!(none_row.contains("0 mencapai 20 JP"), "{none_row}");
    let total_row = row(&html, "Seluruh instansi");
    assert!(total_row.contains("5\u{a0}ASN"), "{total_row}");
    assert!(total_row.contains("1 mencapai 20 JP"), "{total_row}");
    assert!(total_row.contains("20%"), "{total_row}");
    // gaps: Siti has no level (M.PP gap 2, T.EGOV gap 3); Budi has M.PP 2 (gap 0), T.EGOV 2 (gap 1)
    assert!(html.contains("Pranata Komputer Ahli Pertama"));
    assert!(html.contains("2 pemegang jabatan"));
    assert!(html.contains("2 dari 2 kompetensi ada yang di bawah target"));
    let mpp = row(&html, "<code>M.PP</code>");
    assert!(mpp.contains("Target level 2"), "{mpp}");
    assert!(mpp.contains("1 di bawah target"), "{mpp}");
    assert!(mpp.contains("rata-rata kesenjangan 1,0"), "{mpp}");
    let egov = row(&html, "<code>T.EGOV</code>");
    assert!(egov.contains("Target level 3"), "{egov}");
    assert!(egov.contains("2 di bawah target"), "{egov}");
    assert!(egov.contains("rata-rata kesenjangan 2,0"), "{egov}");
    assert!(html.contains("Belum ada pegawai yang memegang jabatan ini."));
    // completions: Sleman's do not count; Rahmat's was last year
    let spbe = row(&html, "<td>Kursus spbe</td>");
    assert!(spbe.contains(&format!("1 pada {year}")), "{spbe}");
    assert!(spbe.contains("1 sepanjang waktu"), "{spbe}");
    let etika = row(&html, "<td>Kursus etika</td>");
    assert!(etika.contains(&format!("1 pada {year}")), "{etika}");
    assert!(etika.contains("2 sepanjang waktu"), "{etika}");
    assert!(html.contains("/report/history.csv?year"));

    let en = get(&app, &admin, &page_path, "en")
        .await
        .text()
        .await
        .unwrap();
    assert!(en.contains("JP compliance by unit"));
    assert!(row(&en, "No unit").contains("2 civil servants"));
    assert!(row(&en, "<code>T.EGOV</code>").contains("average gap 2.0"));

    // ---- the CSV ----
    let r = get(&app, &admin, &csv_path, "en").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"riwayat-pengembangan-KOTA-SOLO-{year}.csv\"").as_str()
    );
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a BOM for Excel");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let today = common::wib_today().format("%d-%m-%Y").to_string();
    // SIASN's column names, its kinds (Bimbingan Teknis is its kind 8, e-learning 16), the
    // partner as organiser of its course, the activity's certificate (STTPL) number, DD-MM-YYYY
    assert_eq!(
        lines,
        [
            "nipBaru,nama,namaKursus,jenisDiklatId,jenisKursus,institusiPenyelenggara,jumlahJam,nomorSertipikat,tanggalKursus,tanggalSelesaiKursus,tahunKursus".to_string(),
            format!("{NIP_BUDI},Budi Santoso,Bimtek SPBE,8,Bimbingan Teknis,Kementerian PANRB,6,STTPL/0042/PANRB/2026,01-01-{year},02-01-{year},{year}"),
            format!("{NIP_BUDI},Budi Santoso,Kursus spbe,16,E-Learning,BPSDM Kota Surakarta,16,{number},{today},{today},{year}"),
            format!("{NIP_SITI},Siti Rahmawati,Kursus etika,16,E-Learning,Universitas Sebelas Maret,4,,{today},{today},{year}"),
        ],
        "{text}"
    );
    assert!(!number.is_empty());
    // last year: only Rahmat's course
    let old = get(
        &app,
        &admin,
        &format!(
            "/admin/agencies/{agency}/report/history.csv?year={}",
            year - 1
        ),
        "id",
    )
    .await
    .text()
    .await
    .unwrap();
    let old: Vec<&str> = old.lines().skip(1).collect();
    assert_eq!(
        old,
        [format!(
            ",Rahmat Hidayat,Kursus etika,16,E-Learning,Universitas Sebelas Maret,4,,01-06-{y},01-06-{y},{y}",
            y = year - 1
        )]
    );
}

/// Issue 24: the SIASN history is streamed a chunk of people at a time. Across chunk boundaries
/// (1,100 people, names in mixed case) it is byte for byte the history read and sorted whole, and
/// it decodes to the same bytes in zstd and gzip.
#[tokio::test]
async fn the_streamed_history_is_the_whole_history_in_order_across_chunks() {
    let app = spawn_app_with(&[]).await;
    let mut c = app.conn();
    let agency = Agency::new("KAB-BANTUL", "Pemerintah Kabupaten Bantul").insert(&mut c);
    let reviewer = Person::new("admin@bantul.go.id")
        .name("Admin Bantul")
        .password(PW)
        .agency(agency)
        .admin()
        .insert(&mut c);
    let year = common::wib_year();
    let n = cakap::competency::agency::HISTORY_CHUNK * 2 + 100;
    for i in 0..n {
        // "adi 7", "Budi 8", "citra 9", …: the order is by name regardless of case
        let first = ["adi", "Budi", "citra", "Dewi", "eko"][i % 5];
        let who = Person::new(&format!("asn{i}@bantul.go.id"))
            .name(format!("{first} {:04}", (i * 7919) % n))
            .agency(agency)
            .supervisor(reviewer)
            .insert(&mut c);
        let day = NaiveDate::from_ymd_opt(year, 1, 1 + (i % 28) as u32).unwrap();
        let activity = activities::create_recorded(
            &mut c,
            who,
            &NewActivity {
                kind: "seminar".into(),
                title: format!("Seminar Pelayanan Publik {i}"),
                organizer: "BKPSDM Bantul".into(),
                started: day,
                ended: day,
                jp: 2,
                competency: None,
            },
            None,
            None,
            None,
        )
        .unwrap();
        activities::review(&mut c, activity, reviewer, true, "").unwrap();
    }
    let mut people = cakap::competency::agency::people(&mut c, agency).unwrap();
    cakap::competency::agency::history_order(&mut people);
    let rows = cakap::competency::agency::load_history(&mut c, &people, year).unwrap();
    assert_eq!(rows.len(), n);
    let issuer = common::test_config(&app.db, &[]).certificates.issuer;
    let whole = cakap::competency::agency::history_csv(&rows, &issuer).unwrap();

    let admin = app.browser_as("admin@bantul.go.id", PW).await;
    let path = format!("/admin/agencies/{agency}/report/history.csv?year={year}");
    let streamed = get(&app, &admin, &path, "id").await;
    assert_eq!(streamed.status(), 200);
    assert!(
        streamed.headers().get("content-length").is_none(),
        "streamed"
    );
    let streamed = streamed.bytes().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&streamed).lines().count(),
        n + 1,
        "a header and one line per activity"
    );
    assert!(
        streamed == whole,
        "streamed in chunks, the same bytes as read whole"
    );
    for (coding, decode) in [
        ("zstd", zstd_decode as fn(&[u8]) -> Vec<u8>),
        ("gzip", gzip_decode),
    ] {
        let r = admin
            .get(app.url(&path))
            .header("Accept-Encoding", coding)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], coding);
        assert!(decode(&r.bytes().await.unwrap()) == whole, "{coding}");
    }
}

fn zstd_decode(b: &[u8]) -> Vec<u8> {
    zstd::stream::decode_all(b).unwrap()
}

fn gzip_decode(b: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}
