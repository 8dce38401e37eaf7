//! Quiz statistics for authors over HTTP: attempts, pass rate, score spread, and per question
//! facility, discrimination and a verdict — a question the strong learners miss and the weak ones
//! get right is flagged as misleading.

use std::path::Path;

use crate::common::fixtures::{Agency, CourseFolder, Person};
use crate::common::{spawn_app_with, TestApp};
use serde_json::{json, Value};

const PW: &str = "Belajar-Terus-2026";

const QUIZ: &str = "+++\ntitle = \"Kuis Kearsipan\"\nkind = \"quiz\"\nshuffle = false\n+++\n\n\
## Arsip vital harus dilindungi dari bencana.\n\n- [x] Benar\n- [ ] Salah\n\n\
## Jadwal retensi arsip menentukan ...\n\n- [x] Jangka waktu penyimpanan arsip\n- [ ] Warna map arsip\n\n\
## Arsip inaktif boleh langsung dimusnahkan tanpa prosedur.\n\n- [ ] Benar\n- [x] Salah\n\n\
## ANRI adalah lembaga kearsipan nasional.\n\n- [x] Benar\n- [ ] Salah\n";

fn course(root: &Path) {
    CourseFolder::new("kearsipan")
        .title("Kearsipan Dinamis")
        .summary("Arsip aktif, inaktif dan vital.")
        .jp(2)
        .quiz("01-kuis", QUIZ)
        .write(root);
}

/// Enrol and take the quiz once, right or wrong per question (in order).
async fn take(app: &TestApp, email: &str, right: [bool; 4]) -> Value {
    let bearer = app.token_of(email, PW).await;
    let api = reqwest::Client::new();
    let r = api
        .post(app.url("/api/v1/courses/kearsipan/enroll"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let started: Value = api
        .post(app.url("/api/v1/courses/kearsipan/modules/01-kuis/attempts"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // unshuffled: the key is the option the file marks; a wrong answer takes the other one
    let keys = [0, 0, 1, 0];
    let mut answers = serde_json::Map::new();
    for (i, q) in started["paper"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let pick = if right[i] { keys[i] } else { 1 - keys[i] };
        answers.insert(
            q["position"].to_string(),
            json!({"choices": [q["options"][pick]["index"]]}),
        );
    }
    api.post(app.url(&format!(
        "/api/v1/attempts/{}/submit",
        started["attempt"]["id"]
    )))
    .bearer_auth(&bearer)
    .json(&json!({ "answers": answers }))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

fn row<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in {html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn authors_see_facility_discrimination_and_flags_per_question() {
    let root = tempfile::tempdir().unwrap();
    course(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let agency = Agency::new("KAB-KLATEN", "Pemerintah Kabupaten Klaten")
        .kind("kabupaten")
        .create(&app);
    Person::new("penulis@bpsdm.go.id")
        .name("Pegawai penulis@bpsdm.go.id")
        .password(PW)
        .author()
        .create(&app);
    Person::new("penulis.lain@bpsdm.go.id")
        .name("Pegawai penulis.lain@bpsdm.go.id")
        .password(PW)
        .author()
        .create(&app);
    Person::new("admin@klaten.go.id")
        .name("Pegawai admin@klaten.go.id")
        .password(PW)
        .agency(agency)
        .admin()
        .create(&app);
    // the statistics are for the course's owners
    cakap::catalog::workspace::add_owner(
        &mut app.conn(),
        cakap::catalog::workspace::Author {
            user_id: 0,
            all: true,
        },
        "kearsipan",
        "penulis@bpsdm.go.id",
    )
    .unwrap();
    // three strong learners miss question 3; three weak ones get only 3 and 4 right
    for i in 0..3 {
        let email = format!("kuat{i}@kab.go.id");
        Person::new(&email)
            .name(format!("Pegawai {email}"))
            .password(PW)
            .create(&app);
        let r = take(&app, &email, [true, true, false, true]).await;
        assert_eq!(r["attempt"]["score"], 75, "{r}");
        let email = format!("lemah{i}@kab.go.id");
        Person::new(&email)
            .name(format!("Pegawai {email}"))
            .password(PW)
            .create(&app);
        let r = take(&app, &email, [false, false, true, true]).await;
        assert_eq!(r["attempt"]["score"], 50, "{r}");
    }

    let author = app.browser_as("penulis@bpsdm.go.id", PW).await;
    let r = author
        .get(app.url("/evaluations/kearsipan/quizzes"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Statistik kuis: Kearsipan Dinamis"), "{html}");
    assert!(html.contains("<dd>6</dd>"), "six graded attempts: {html}");
    assert!(html.contains("50% <span"), "half passed: {html}");
    assert!(
        html.contains("<dd>62,5</dd>"),
        "mean (75·3 + 50·3) / 6: {html}"
    );
    assert!(html.contains("2 soal perlu ditinjau"), "{html}");
    let q1 = row(&html, "Arsip vital harus dilindungi");
    assert!(
        q1.contains(">50%<") && q1.contains(">1,00<") && q1.contains(">Baik<"),
        "{q1}"
    );
    let q3 = row(&html, "Arsip inaktif boleh langsung");
    assert!(q3.contains("-1,00") && q3.contains("Menyesatkan"), "{q3}");
    let q4 = row(&html, "ANRI adalah lembaga");
    assert!(
        q4.contains(">100%<") && q4.contains("Terlalu mudah"),
        "{q4}"
    );
    for name in ["kuat0", "lemah0"] {
        assert!(!html.contains(name), "no learner named: {name}");
    }
    // the evaluation page links here
    let results = author
        .get(app.url("/evaluations/kearsipan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(results.contains("href=\"/evaluations/kearsipan/quizzes\""));

    // an author who does not own the course sees nothing of it
    let stranger = app.browser_as("penulis.lain@bpsdm.go.id", PW).await;
    for path in ["/evaluations/kearsipan/quizzes", "/evaluations/kearsipan"] {
        let r = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let list = stranger
        .get(app.url("/evaluations"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("/evaluations/kearsipan"), "{list}");

    // an agency admin sees their agency's attempts only (none here); a learner nothing
    let admin = app.browser_as("admin@klaten.go.id", PW).await;
    let html = admin
        .get(app.url("/evaluations/kearsipan/quizzes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Belum ada percobaan yang dinilai."), "{html}");
    assert!(html.contains("Belum cukup data"));
    let learner = app.browser_as("kuat0@kab.go.id", PW).await;
    let r = learner
        .get(app.url("/evaluations/kearsipan/quizzes"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = author
        .get(app.url("/evaluations/tidak-ada/quizzes"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
