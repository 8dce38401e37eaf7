//! The quiz engine end to end: starting draws on the server, nothing about answers reaches the
//! browser before grading, the attempts limit, the time limit, idempotent submission, results
//! with feedback, completion, and the same through the JSON API.

use std::path::Path;

use crate::common::fixtures::{write_dictionary, CourseFolder, Person, PELAYANAN_PUBLIK};
use crate::common::{csrf_of, spawn_app_with, TestApp};
use cakap::db::schema::{completions, modules, quiz_attempts};
use chrono::Utc;
use diesel::prelude::*;
use serde_json::{json, Value};

const PASSWORD: &str = "Kopi-Tubruk-2026";

/// Strings that only the answer keys and feedback hold: none may reach a page before grading.
const SECRETS: &[&str] = &[
    "UMPAN-OPSI-BENAR",
    "UMPAN-OPSI-SALAH",
    "UMPAN-SOAL-SATU",
    "UMPAN-SOAL-EMPAT",
    "JAWABAN-RAHASIA",
    "Abdi Rakyat Terpilih",
];

const QUIZ: &str = "+++\ntitle = \"Kuis Akhir\"\nkind = \"quiz\"\nattempts = 2\ntime_limit_minutes = 1\npass_mark = 80\n+++\n\n\
## Ibu kota Indonesia adalah ...\n\n- [x] Jakarta -- UMPAN-OPSI-BENAR\n- [ ] Bandung -- UMPAN-OPSI-SALAH\n- [ ] Surabaya\n\n> UMPAN-SOAL-SATU\n\n\
## Pilih bilangan genap.\n\n- [x] Dua\n- [x] Empat\n- [ ] Tiga\n\n\
## Bumi itu bulat.\n\n- [x] Benar\n- [ ] Salah\n\n\
## Kepanjangan ASN adalah ...\n\n= Abdi Rakyat Terpilih | JAWABAN-RAHASIA\n\n> UMPAN-SOAL-EMPAT\n\n\
## Berapa JP minimal per tahun?\n\n= 20 ± 0.5\n";

const DRAW_QUIZ: &str = "+++\ntitle = \"Kuis Undian\"\nkind = \"quiz\"\ndraw = 2\n+++\n\n\
## Ibu kota Indonesia adalah ...\n\n- [x] Jakarta\n- [ ] Bandung\n\n\
## Bumi itu bulat.\n\n- [x] Benar\n- [ ] Salah\n\n\
## Kepanjangan ASN adalah ...\n\n= Abdi Rakyat Terpilih\n\n\
## Berapa JP minimal per tahun?\n\n= 20\n";

fn write_courses(root: &Path) {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
    let with_review = |review: &str| {
        QUIZ.replace(
            "pass_mark = 80\n",
            &format!("pass_mark = 80\nreview = \"{review}\"\n"),
        )
    };
    for (slug, quiz) in [
        ("kursus-kuis", QUIZ.to_string()),
        ("kursus-undian", DRAW_QUIZ.to_string()),
        ("kursus-tanpa-kunci", with_review("never")),
        ("kursus-selalu", with_review("always")),
        ("kursus-terakhir", with_review("after_last_attempt")),
    ] {
        CourseFolder::new(slug)
            .competency("M.PP", 2)
            .title("Kursus Kuis")
            .summary("Kursus untuk menguji kuis.")
            .lesson("01-materi", "Materi", "Isi materi.")
            .quiz("02-kuis", &quiz)
            .write(root);
    }
}

struct Setup {
    app: TestApp,
    _root: tempfile::TempDir,
}

async fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    write_courses(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    Setup { app, _root: root }
}

async fn login(app: &TestApp, client: &reqwest::Client, email: &str) {
    let html = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let resp = client
        .post(app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "login of {email}");
}

/// Enroll directly; optionally mark every lesson done. Returns the enrollment.
fn enroll(
    app: &TestApp,
    user_id: i64,
    slug: &str,
    lessons_done: bool,
) -> cakap::learning::enroll::Enrollment {
    let mut c = app.conn();
    let e = cakap::learning::enroll::enroll(&mut c, user_id, slug, "self", None, None).unwrap();
    if lessons_done {
        let lessons: Vec<i64> = modules::table
            .filter(modules::version_id.eq(e.version_id))
            .filter(modules::kind.eq("lesson"))
            .select(modules::id)
            .load(&mut c)
            .unwrap();
        for m in lessons {
            cakap::learning::progress::mark_done(&mut c, e.id, m, None).unwrap();
        }
    }
    e
}

/// A learner logged in through the web, enrolled in `kursus-kuis` with every lesson done, ready
/// to start the quiz: their id and their browser.
async fn ready_learner(app: &TestApp, email: &str) -> (i64, reqwest::Client) {
    let uid = person(app, email);
    let client = app.new_browser();
    login(app, &client, email).await;
    enroll(app, uid, "kursus-kuis", true);
    (uid, client)
}

/// A learner account with the test password.
fn person(app: &TestApp, email: &str) -> i64 {
    Person::new(email)
        .name(format!("Peserta {email}"))
        .password(PASSWORD)
        .create(app)
}

async fn get_text(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn assert_no_secrets(what: &str, body: &str) {
    for s in SECRETS {
        assert!(!body.contains(s), "{s} leaked into {what}");
    }
    for flag in [
        "\"correct\"",
        "\"right\"",
        "\"accepted\"",
        "feedback",
        "opt-right",
        "q-right",
    ] {
        assert!(
            !body.contains(flag),
            "{flag} appears in {what} before grading"
        );
    }
}

/// Start through the form; returns the attempt id.
async fn start_web(client: &reqwest::Client, app: &TestApp, slug: &str) -> reqwest::Response {
    let page = format!("/courses/{slug}/02-kuis/quiz");
    let (_, html) = get_text(client, app, &page).await;
    let csrf = csrf_of(&html);
    client
        .post(app.url(&format!("{page}/start")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_string()
}

fn attempt_id_of(loc: &str) -> i64 {
    loc.strip_prefix("/quiz/attempts/")
        .expect("redirected to the attempt")
        .parse()
        .unwrap()
}

/// Answers for a paper (as the API shows it): all right, or all wrong.
fn answers_for(paper: &Value, right: bool) -> Vec<(usize, Value)> {
    let mut out = Vec::new();
    for q in paper["questions"].as_array().unwrap() {
        let pos = q["position"].as_u64().unwrap() as usize;
        let prompt = q["prompt_html"].as_str().unwrap();
        let pick = |words: &[&str]| -> Value {
            let chosen: Vec<u64> = q["options"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| {
                    words
                        .iter()
                        .any(|w| o["html"].as_str().unwrap().contains(w))
                })
                .map(|o| o["index"].as_u64().unwrap())
                .collect();
            json!({ "choices": chosen })
        };
        let answer = if prompt.contains("Ibu kota") {
            pick(if right { &["Jakarta"] } else { &["Bandung"] })
        } else if prompt.contains("genap") {
            pick(if right { &["Dua", "Empat"] } else { &["Dua"] })
        } else if prompt.contains("Bumi") {
            pick(if right { &["Benar"] } else { &["Salah"] })
        } else if prompt.contains("ASN") {
            json!({ "text": if right { " abdi  RAKYAT terpilih " } else { "Pegawai Biasa" } })
        } else {
            json!({ "text": if right { "20,5" } else { "21" } })
        };
        out.push((pos, answer));
    }
    out
}

/// The same answers as form fields.
fn form_fields(answers: &[(usize, Value)]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for (pos, a) in answers {
        if let Some(choices) = a["choices"].as_array() {
            for c in choices {
                fields.push((format!("q{pos}"), c.to_string()));
            }
        } else {
            fields.push((format!("q{pos}"), a["text"].as_str().unwrap().to_string()));
        }
    }
    fields
}

async fn paper_via_api(client: &reqwest::Client, app: &TestApp, id: i64) -> Value {
    let (status, body) = get_text(client, app, &format!("/api/v1/attempts/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_no_secrets("the attempt API before grading", &body);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "open");
    v["paper"].clone()
}

async fn submit_web(
    client: &reqwest::Client,
    app: &TestApp,
    id: i64,
    fields: &[(String, String)],
) -> reqwest::Response {
    let (_, html) = get_text(client, app, &format!("/quiz/attempts/{id}")).await;
    let csrf = csrf_of(&html);
    let mut form = fields.to_vec();
    form.push(("csrf".into(), csrf));
    client
        .post(app.url(&format!("/quiz/attempts/{id}/submit")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn graded_count(app: &TestApp, attempt_id: i64) -> (i64, i64) {
    let mut c = app.conn();
    let all: i64 = quiz_attempts::table.count().get_result(&mut c).unwrap();
    let graded: i64 = quiz_attempts::table
        .filter(quiz_attempts::id.eq(attempt_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .count()
        .get_result(&mut c)
        .unwrap();
    (all, graded)
}

/// (issue 25) Sending a paper with questions unanswered does not grade it: the review step lists
/// them, keeps what was answered, and asks "Kirim semua dan selesai?"; only that confirmation (or a
/// paper with every question answered) grades the attempt.
#[tokio::test]
async fn unanswered_questions_get_a_review_step_before_grading() {
    let s = setup().await;
    let app = &s.app;
    let (_, client) = ready_learner(app, "rina@kab.go.id").await;
    let id = attempt_id_of(&location(&start_web(&client, app, "kursus-kuis").await));
    let paper = paper_via_api(&client, app, id).await;
    let answers = answers_for(&paper, true);
    // the attempt page: a navigator of the five questions, none answered yet
    let (_, page) = get_text(&client, app, &format!("/quiz/attempts/{id}")).await;
    assert!(page.contains("class=\"quiz-nav\""), "{page}");
    assert!(page.contains("0 dari 5 soal terjawab"), "{page}");

    // the first question answered, a text question left blank (a browser sends it empty)
    let (first_pos, _) = &answers[0];
    let mut fields = form_fields(&answers[..1]);
    let blank = answers
        .iter()
        .find(|(p, a)| a.get("text").is_some() && p != first_pos)
        .map(|(p, _)| *p)
        .unwrap();
    fields.push((format!("q{blank}"), "   ".into()));
    let r = submit_web(&client, app, id, &fields).await;
    assert_eq!(r.status(), 200, "the review step, not a grade");
    let review = r.text().await.unwrap();
    let mut open: Vec<usize> = (1..=5).filter(|p| p != first_pos).collect();
    open.sort();
    let list = open
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(review.contains("Periksa sebelum mengirim"), "{review}");
    assert!(
        review.contains(&format!("Belum dijawab: soal {list}.")),
        "{review}"
    );
    assert!(review.contains("Kirim semua dan selesai?"), "{review}");
    assert!(review.contains("1 dari 5 soal terjawab"), "{review}");
    assert!(
        review.contains(&format!("data-q=\"{first_pos}\" class=\"answered\"")),
        "what was answered stays answered: {review}"
    );
    match answers[0].1.get("text") {
        Some(t) => assert!(review.contains(&format!("value=\"{}\"", t.as_str().unwrap()))),
        None => assert!(review.contains(" checked>"), "{review}"),
    }
    assert_no_secrets("the review step", &review);
    assert_eq!(graded_count(app, id), (1, 0), "nothing graded yet");

    // "Kirim semua dan selesai": graded with what was answered
    let mut confirmed = form_fields(&answers[..1]);
    confirmed.push(("confirm".into(), "1".into()));
    let r = submit_web(&client, app, id, &confirmed).await;
    assert_eq!(r.status(), 303);
    assert_eq!(graded_count(app, id), (1, 1));
}

#[tokio::test]
async fn web_quiz_hides_answers_fails_then_passes_limits_attempts_and_completes_the_course() {
    let s = setup().await;
    let app = &s.app;
    let uid = person(app, "ani@kab.go.id");
    let client = app.new_browser();
    login(app, &client, "ani@kab.go.id").await;

    // not enrolled yet: a clear message and a way back to the course
    let (status, html) = get_text(&client, app, "/courses/kursus-kuis/02-kuis/quiz").await;
    assert_eq!(status, 200);
    assert!(html.contains("belum mengikuti kursus ini"), "{html}");
    assert!(html.contains("href=\"/courses/kursus-kuis\""));
    assert!(!html.contains("Mulai kuis"));

    let e = enroll(app, uid, "kursus-kuis", true);
    let (_, html) = get_text(&client, app, "/courses/kursus-kuis/02-kuis/quiz").await;
    assert!(html.contains("Mulai kuis"), "{html}");
    assert_no_secrets("the quiz page", &html);

    // start: the server draws and keeps the paper
    let r = start_web(&client, app, "kursus-kuis").await;
    assert_eq!(r.status(), 303);
    let first = attempt_id_of(&location(&r));
    let (status, page) = get_text(&client, app, &format!("/quiz/attempts/{first}")).await;
    assert_eq!(status, 200);
    assert_no_secrets("the attempt page", &page);
    assert!(page.contains("type=\"radio\""));
    assert!(page.contains("type=\"checkbox\""));
    assert!(page.contains("inputmode=\"decimal\""));
    assert!(page.contains("menit"), "the remaining time is shown");
    // a reload (and a second start) returns the same open attempt
    let (_, again) = get_text(&client, app, &format!("/quiz/attempts/{first}")).await;
    assert_eq!(csrf_of(&again), csrf_of(&page));
    let r = start_web(&client, app, "kursus-kuis").await;
    assert_eq!(attempt_id_of(&location(&r)), first);
    assert_eq!(graded_count(app, first), (1, 0));

    // the paper through the API (cookie session, GET): no answers either
    let paper = paper_via_api(&client, app, first).await;
    assert_eq!(paper["questions"].as_array().unwrap().len(), 5);

    // fail once
    let wrong = form_fields(&answers_for(&paper, false));
    let r = submit_web(&client, app, first, &wrong).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/quiz/attempts/{first}"));
    let (_, result) = get_text(&client, app, &format!("/quiz/attempts/{first}")).await;
    assert!(result.contains("Nilai 0"), "{result}");
    assert!(result.contains("belum lulus"));
    // marks and feedback, but not the key: failed with an attempt left (review = after_pass)
    for shown in [
        "UMPAN-SOAL-SATU",
        "UMPAN-OPSI-SALAH",
        "UMPAN-SOAL-EMPAT",
        "Pegawai Biasa",
        "Kurang tepat",
    ] {
        assert!(result.contains(shown), "{shown} missing from the results");
    }
    for hidden in [
        "UMPAN-OPSI-BENAR",
        "JAWABAN-RAHASIA",
        "Abdi Rakyat Terpilih",
        "opt-right",
        "chip pass\">Kunci",
    ] {
        assert!(!result.contains(hidden), "{hidden} shown before passing");
    }

    // a retried submission (even with right answers) grades once and answers the same
    let right = form_fields(&answers_for(&paper, true));
    let r = submit_web(&client, app, first, &right).await;
    assert_eq!(r.status(), 303);
    let (_, result_again) = get_text(&client, app, &format!("/quiz/attempts/{first}")).await;
    assert!(result_again.contains("Nilai 0"));
    assert_eq!(graded_count(app, first), (1, 1));
    let stored: (Option<i32>, Option<bool>) = quiz_attempts::table
        .find(first)
        .select((quiz_attempts::score, quiz_attempts::passed))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored, (Some(0), Some(false)));

    // second attempt: pass, which completes the course (lessons are done)
    let r = start_web(&client, app, "kursus-kuis").await;
    let second = attempt_id_of(&location(&r));
    assert_ne!(second, first);
    let paper = paper_via_api(&client, app, second).await;
    let r = submit_web(
        &client,
        app,
        second,
        &form_fields(&answers_for(&paper, true)),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, result) = get_text(&client, app, &format!("/quiz/attempts/{second}")).await;
    assert!(result.contains("Nilai 100"), "{result}");
    // (issue 25) the passing moment: the certificate, its PDF and its verification link lead,
    // with the JP credited and the level reached
    let code: String = cakap::db::schema::certificates::table
        .filter(cakap::db::schema::certificates::user_id.eq(uid))
        .select(cakap::db::schema::certificates::code)
        .first(&mut app.conn())
        .unwrap();
    for moment in [
        "Selamat — sertifikat Anda siap",
        &format!("href=\"/me/certificates/{code}\""),
        &format!("href=\"/me/certificates/{code}/pdf\""),
        &format!("/v/{code}"),
        "+3 JP dicatat",
        "Pelayanan Publik: level 2 tercapai",
    ] {
        assert!(result.contains(moment), "{moment} missing: {result}");
    }
    let (_, course) = get_text(&client, app, "/courses/kursus-kuis?notice=completed").await;
    assert!(
        course.contains("Selamat — sertifikat Anda siap"),
        "{course}"
    );
    let (_, course) = get_text(&client, app, "/courses/kursus-kuis").await;
    assert!(
        !course.contains("Lanjutkan belajar"),
        "a completed course leads with its certificate: {course}"
    );
    assert!(course.contains(&format!("href=\"/me/certificates/{code}/pdf\"")));
    let (_, dashboard) = get_text(&client, app, "/me").await;
    assert!(
        dashboard.contains(&format!("href=\"/me/certificates/{code}\"")),
        "the dashboard's completed course links its certificate: {dashboard}"
    );
    // passed: the right answers now show, on the earlier attempt's page too
    for (id, page) in [(second, result), (first, String::new())] {
        let page = if page.is_empty() {
            get_text(&client, app, &format!("/quiz/attempts/{id}"))
                .await
                .1
        } else {
            page
        };
        for shown in ["UMPAN-OPSI-BENAR", "JAWABAN-RAHASIA", "opt-right"] {
            assert!(page.contains(shown), "{shown} missing after passing ({id})");
        }
    }
    let done: Vec<(i64, i32, Option<i32>)> = completions::table
        .filter(completions::enrollment_id.eq(e.id))
        .select((completions::version_id, completions::jp, completions::score))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(done, vec![(e.version_id, 3, Some(100))]);

    // the attempts limit (2) refuses a third attempt
    let r = start_web(&client, app, "kursus-kuis").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/courses/kursus-kuis/02-kuis/quiz");
    let (_, html) = get_text(&client, app, "/courses/kursus-kuis/02-kuis/quiz").await;
    assert!(html.contains("sudah habis"), "{html}");
    assert!(!html.contains("Mulai kuis"));
    // attempt times are read in the learner's zone (WIB by default), never printed as UTC
    assert!(html.contains(" WIB") && !html.contains(" UTC"), "{html}");
    assert_eq!(graded_count(app, second).0, 2);
}

#[tokio::test]
async fn a_late_submission_is_recorded_late_and_another_user_gets_404() {
    let s = setup().await;
    let app = &s.app;
    let (_, client) = ready_learner(app, "budi@kab.go.id").await;
    person(app, "citra@kab.go.id");

    let r = start_web(&client, app, "kursus-kuis").await;
    let id = attempt_id_of(&location(&r));
    let paper = paper_via_api(&client, app, id).await;

    // someone else cannot see or submit it
    let other = app.new_browser();
    login(app, &other, "citra@kab.go.id").await;
    let (status, _) = get_text(&other, app, &format!("/quiz/attempts/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = get_text(&other, app, &format!("/api/v1/attempts/{id}")).await;
    assert_eq!(status, 404);
    let (_, html) = get_text(&other, app, "/courses").await;
    let csrf = csrf_of(&html);
    let r = other
        .post(app.url(&format!("/quiz/attempts/{id}/submit")))
        .form(&[("csrf", csrf.as_str()), ("q1", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(graded_count(app, id), (1, 0));

    // the time is up (well past the grace): right answers arriving now are not on time
    let page = get_text(&client, app, &format!("/quiz/attempts/{id}"))
        .await
        .1;
    let csrf = csrf_of(&page);
    let past = Utc::now().naive_utc() - chrono::Duration::minutes(5);
    diesel::update(quiz_attempts::table.find(id))
        .set(quiz_attempts::deadline_at.eq(Some(past)))
        .execute(&mut app.conn())
        .unwrap();
    let mut form = form_fields(&answers_for(&paper, true));
    form.push(("csrf".into(), csrf));
    let r = client
        .post(app.url(&format!("/quiz/attempts/{id}/submit")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let stored: (Option<i32>, Option<bool>, bool) = quiz_attempts::table
        .find(id)
        .select((
            quiz_attempts::score,
            quiz_attempts::passed,
            quiz_attempts::late,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored, (Some(0), Some(false), true));
    let (_, result) = get_text(&client, app, &format!("/quiz/attempts/{id}")).await;
    assert!(result.contains("setelah batas waktu"), "{result}");
    let count: i64 = completions::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(count, 0);
}

/// A stored paper that no longer decodes is an error, never an empty quiz (JsonText).
#[tokio::test]
async fn a_corrupt_stored_paper_is_an_error_not_an_empty_quiz() {
    let s = setup().await;
    let app = &s.app;
    let (_, client) = ready_learner(app, "dewi@kab.go.id").await;
    let r = start_web(&client, app, "kursus-kuis").await;
    let id = attempt_id_of(&location(&r));
    let mut conn = app.conn();
    assert!(cakap::learning::attempts::find(&mut conn, id)
        .unwrap()
        .is_some());

    diesel::update(quiz_attempts::table.find(id))
        .set(quiz_attempts::paper.eq("{\"items\": [tidak lengkap"))
        .execute(&mut conn)
        .unwrap();
    let err = cakap::learning::attempts::find(&mut conn, id)
        .expect_err("a corrupt paper must not read as an attempt");
    assert!(err.to_string().contains("JSON"), "{err}");
    let (status, body) = get_text(&client, app, &format!("/quiz/attempts/{id}")).await;
    assert_ne!(
        status, 200,
        "a corrupt paper must not show as a quiz: {body}"
    );
}

async fn bearer_token(app: &TestApp, email: &str) -> String {
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_api_flow_with_a_bearer_token() {
    let s = setup().await;
    let app = &s.app;
    let uid = person(app, "dewi@kab.go.id");
    let token = bearer_token(app, "dewi@kab.go.id").await;
    let api = reqwest::Client::new();
    let auth = format!("Bearer {token}");

    // not enrolled: refused, a conflict with the state (enroll first)
    let r = api
        .post(app.url("/api/v1/courses/kursus-kuis/modules/02-kuis/attempts"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("problem+json"));

    let e = enroll(app, uid, "kursus-kuis", true);
    let r = api
        .post(app.url("/api/v1/courses/kursus-kuis/modules/02-kuis/attempts"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body = r.text().await.unwrap();
    assert_no_secrets("the start API", &body);
    let v: Value = serde_json::from_str(&body).unwrap();
    let id = v["attempt"]["id"].as_i64().unwrap();
    assert!(v["attempt"]["deadline_at"].is_string());
    let paper = v["paper"].clone();
    assert_eq!(paper["questions"].as_array().unwrap().len(), 5);

    // starting again returns the open attempt
    let again: Value = api
        .post(app.url("/api/v1/courses/kursus-kuis/modules/02-kuis/attempts"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["attempt"]["id"], id);

    // an overlong text answer is refused, nothing graded
    let r = api
        .post(app.url(&format!("/api/v1/attempts/{id}/submit")))
        .header("Authorization", &auth)
        .json(&json!({"answers": {"1": {"text": "x".repeat(501)}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(graded_count(app, id), (1, 0));

    // a body that does not match the document is refused and changes nothing: `[]` once graded
    // the open attempt (serde reads a struct from an array), a missing `answers` too
    for (body, why) in [
        ("[]", "an array"),
        (r#"[{}]"#, "an array holding an empty answer sheet"),
        ("null", "null"),
        ("{}", "no answers"),
        (r#"{"answers": []}"#, "answers as an array"),
        (
            r#"{"answers": {"01": {"choices": [0]}}}"#,
            "a position with a leading zero",
        ),
        (
            r#"{"answers": {" 1": {"choices": [0]}}}"#,
            "a position with a space",
        ),
        (
            r#"{"answers": {"1": {"choices": [256]}}}"#,
            "an option index over 255",
        ),
        (
            r#"{"answers": {"1": {"choices": [0], "text": "x"}}}"#,
            "two kinds of answer",
        ),
        (
            r#"{"answers": {"1": {"choices": [0.5]}}}"#,
            "a fractional option index",
        ),
    ] {
        let r = api
            .post(app.url(&format!("/api/v1/attempts/{id}/submit")))
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{why}: {body}");
        assert_eq!(graded_count(app, id), (1, 0), "{why} must change nothing");
    }
    let r = api
        .post(app.url(&format!("/api/v1/attempts/{id}/submit")))
        .header("Authorization", &auth)
        .header("Content-Type", "text/plain")
        .body(r#"{"answers": {}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415, "a body that is not declared JSON");
    assert_eq!(graded_count(app, id), (1, 0));
    // instants carry their zone: UTC, RFC 3339
    let started = v["attempt"]["started_at"].as_str().unwrap();
    assert!(
        started.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(started).is_ok(),
        "{started}"
    );

    // pass, retry: the same result, graded once
    let answers: serde_json::Map<String, Value> = answers_for(&paper, true)
        .into_iter()
        .map(|(p, a)| (p.to_string(), a))
        .collect();
    let submit = || {
        api.post(app.url(&format!("/api/v1/attempts/{id}/submit")))
            .header("Authorization", &auth)
            .json(&json!({ "answers": answers }))
            .send()
    };
    let first = submit().await.unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "graded");
    assert_eq!(first["attempt"]["score"], 100);
    assert_eq!(first["attempt"]["passed"], true);
    let results = &first["results"]["questions"];
    assert_eq!(results.as_array().unwrap().len(), 5);
    assert!(first.to_string().contains("UMPAN-SOAL-SATU"));
    let second: Value = submit().await.unwrap().json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(graded_count(app, id), (1, 1));
    let got: Value = api
        .get(app.url(&format!("/api/v1/attempts/{id}")))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, first);
    let count: i64 = completions::table
        .filter(completions::enrollment_id.eq(e.id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(count, 1);

    // a drawn quiz shows `draw` questions, without answers
    enroll(app, uid, "kursus-undian", false);
    let r = api
        .post(app.url("/api/v1/courses/kursus-undian/modules/02-kuis/attempts"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["paper"]["questions"].as_array().unwrap().len(), 2);
    assert!(v["attempt"]["deadline_at"].is_null());
    assert!(!v.to_string().contains("Abdi Rakyat Terpilih"));

    // someone else's attempt is not found
    person(app, "eko@kab.go.id");
    let other = bearer_token(app, "eko@kab.go.id").await;
    let r = api
        .get(app.url(&format!("/api/v1/attempts/{id}")))
        .header("Authorization", format!("Bearer {other}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// Start an attempt at `slug`'s quiz through the API and submit it: all right, all wrong, or
/// blank (`None`). Returns the graded response.
async fn api_attempt(app: &TestApp, auth: &str, slug: &str, right: Option<bool>) -> Value {
    let api = reqwest::Client::new();
    let r = api
        .post(app.url(&format!("/api/v1/courses/{slug}/modules/02-kuis/attempts")))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "start at {slug}");
    let v: Value = r.json().await.unwrap();
    let id = v["attempt"]["id"].as_i64().unwrap();
    let answers: serde_json::Map<String, Value> = match right {
        Some(right) => answers_for(&v["paper"], right)
            .into_iter()
            .map(|(p, a)| (p.to_string(), a))
            .collect(),
        None => serde_json::Map::new(),
    };
    let r = api
        .post(app.url(&format!("/api/v1/attempts/{id}/submit")))
        .header("Authorization", auth)
        .json(&json!({ "answers": answers }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let graded: Value = r.json().await.unwrap();
    assert_eq!(graded["status"], "graded");
    // reading it back answers the same
    let again: Value = api
        .get(app.url(&format!("/api/v1/attempts/{id}")))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again, graded);
    graded
}

/// The answer key is in `body` (JSON of a graded attempt, or its page): the accepted answers
/// and the right options marked. A blank submission shows no option's feedback either, so
/// `blank` also asks for the right option's feedback.
fn key_shown(body: &str, blank: bool) -> bool {
    let mut key = vec!["Abdi Rakyat Terpilih", "JAWABAN-RAHASIA"];
    if blank {
        key.push("UMPAN-OPSI-BENAR");
    }
    let right = body.contains("\"right\":true") || body.contains("opt-right");
    let parts: Vec<_> = key.iter().filter(|k| body.contains(*k)).collect();
    assert!(
        parts.is_empty() || (parts.len() == key.len() && right),
        "part of the key ({parts:?}, right marked: {right}) in {body}"
    );
    !parts.is_empty()
}

#[tokio::test]
async fn the_review_setting_decides_when_right_answers_show_in_page_api_and_offline_copy() {
    let s = setup().await;
    let app = &s.app;
    let email = "fajar@kab.go.id";
    let uid = person(app, email);
    let auth = format!("Bearer {}", bearer_token(app, email).await);
    let browser = app.new_browser();
    login(app, &browser, email).await;
    let page_of = |v: &Value| format!("/quiz/attempts/{}", v["attempt"]["id"]);

    // default (after_pass): a blank submission shows marks and feedback, not the right answers
    enroll(app, uid, "kursus-kuis", false);
    let blank = api_attempt(app, &auth, "kursus-kuis", None).await;
    assert_eq!(blank["attempt"]["score"], 0);
    let body = blank.to_string();
    assert!(!key_shown(&body, true), "{body}");
    assert!(!body.contains("\"accepted\""), "{body}");
    assert!(!body.contains("\"right\""), "{body}");
    assert!(
        body.contains("UMPAN-SOAL-SATU"),
        "question feedback is shown"
    );
    assert_eq!(blank["results"]["reveal"]["answers"], false);
    assert_eq!(blank["results"]["review"], "after_pass");
    for q in blank["results"]["questions"].as_array().unwrap() {
        assert_eq!(q["correct"], false);
    }
    let (status, html) = get_text(&browser, app, &page_of(&blank)).await;
    assert_eq!(status, 200);
    assert!(!key_shown(&html, true));
    assert!(!html.contains("opt-right"));
    assert!(html.contains("Kurang tepat"));
    assert!(html.contains("tampil setelah Anda lulus"), "{html}");
    // the quiz page says when the key shows
    let (_, quiz) = get_text(&browser, app, "/courses/kursus-kuis/02-kuis/quiz").await;
    assert!(
        quiz.contains("Kunci jawaban tampil setelah Anda lulus"),
        "{quiz}"
    );
    // the offline copy of the course carries no key either
    let (status, plan) = get_text(&browser, app, "/api/v1/courses/kursus-kuis/offline").await;
    assert_eq!(status, 200, "{plan}");
    let plan: Value = serde_json::from_str(&plan).unwrap();
    for url in plan["urls"].as_array().unwrap() {
        let (_, saved) = get_text(&browser, app, url.as_str().unwrap()).await;
        assert_no_secrets(&format!("the offline copy ({url})"), &saved);
    }
    // pass: the right answers show, in the API and on the earlier attempt's page
    let pass = api_attempt(app, &auth, "kursus-kuis", Some(true)).await;
    assert_eq!(pass["attempt"]["passed"], true);
    assert!(key_shown(&pass.to_string(), false));
    let (_, html) = get_text(&browser, app, &page_of(&blank)).await;
    assert!(key_shown(&html, true), "{html}");

    // never: not after passing, not with no attempt left; marks and score only
    enroll(app, uid, "kursus-tanpa-kunci", false);
    let pass = api_attempt(app, &auth, "kursus-tanpa-kunci", Some(true)).await;
    assert_eq!(pass["attempt"]["score"], 100);
    assert!(pass["results"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["correct"] == true));
    let last = api_attempt(app, &auth, "kursus-tanpa-kunci", None).await;
    for v in [&pass, &last] {
        let body = v.to_string();
        assert!(!key_shown(&body, false), "{body}");
        assert!(!body.contains("UMPAN-"), "no feedback under never: {body}");
        let (_, html) = get_text(&browser, app, &page_of(v)).await;
        assert!(!key_shown(&html, false));
        assert!(!html.contains("UMPAN-"));
        assert!(html.contains("tidak ditampilkan"));
    }

    // always: a blank first attempt already shows them
    enroll(app, uid, "kursus-selalu", false);
    let blank = api_attempt(app, &auth, "kursus-selalu", None).await;
    assert!(key_shown(&blank.to_string(), true));
    let (_, html) = get_text(&browser, app, &page_of(&blank)).await;
    assert!(key_shown(&html, true));

    // after_last_attempt: passing is not enough; the last attempt used is
    enroll(app, uid, "kursus-terakhir", false);
    let pass = api_attempt(app, &auth, "kursus-terakhir", Some(true)).await;
    assert_eq!(pass["attempt"]["passed"], true);
    assert!(!key_shown(&pass.to_string(), false));
    assert!(!pass.to_string().contains("\"accepted\""));
    let last = api_attempt(app, &auth, "kursus-terakhir", None).await;
    assert!(key_shown(&last.to_string(), true));
    let (_, html) = get_text(&browser, app, &page_of(&pass)).await;
    assert!(key_shown(&html, false));
}

/// Issue 22, item 2: many submissions of one attempt released at the same moment (a barrier),
/// half with every answer right and half with every answer wrong. One grading wins: every sender
/// gets the same reply, the stored answers and score are that reply's, and the course completes
/// at most once. Were the grading `UPDATE` not guarded by `submitted_at IS NULL`, each sender
/// would be graded on its own answers and the replies would differ.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_submissions_of_one_attempt_grade_once_and_answer_alike() {
    const SENDERS: usize = 8;
    let s = setup().await;
    let app = &s.app;
    let uid = person(app, "rina@kab.go.id");
    let token = bearer_token(app, "rina@kab.go.id").await;
    let auth = format!("Bearer {token}");
    let e = enroll(app, uid, "kursus-kuis", true);
    // two rounds (the quiz allows two attempts): each a race of its own
    let mut passed_any = false;
    for round in 1..=2i64 {
        let r = reqwest::Client::new()
            .post(app.url("/api/v1/courses/kursus-kuis/modules/02-kuis/attempts"))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        let id = v["attempt"]["id"].as_i64().unwrap();
        let answers_of = |right: bool| -> serde_json::Map<String, Value> {
            answers_for(&v["paper"], right)
                .into_iter()
                .map(|(p, a)| (p.to_string(), a))
                .collect()
        };
        let (right, wrong) = (answers_of(true), answers_of(false));

        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(SENDERS));
        let mut tasks = Vec::new();
        for i in 0..SENDERS {
            let answers = if i % 2 == 0 {
                right.clone()
            } else {
                wrong.clone()
            };
            let (url, auth, barrier) = (
                app.url(&format!("/api/v1/attempts/{id}/submit")),
                auth.clone(),
                barrier.clone(),
            );
            tasks.push(tokio::spawn(async move {
                // a client of its own, its connection open before the barrier opens
                let client = reqwest::Client::new();
                let health = url.split("/api/").next().unwrap().to_string() + "/healthz";
                client.get(health).send().await.unwrap();
                let request = client
                    .post(url)
                    .header("Authorization", auth)
                    .json(&json!({ "answers": answers }));
                barrier.wait().await;
                let r = request.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }));
        }
        let mut replies = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            assert_eq!(
                status, 200,
                "every sender gets an answer, not an error: {body}"
            );
            replies.push(serde_json::from_str::<Value>(&body).unwrap());
        }
        let first = &replies[0];
        assert_eq!(first["status"], "graded");
        for (i, r) in replies.iter().enumerate() {
            assert_eq!(r, first, "sender {i} got another grading than sender 0");
        }
        let score = first["attempt"]["score"].as_i64().unwrap();
        assert!(score == 100 || score == 0, "one answer set graded: {score}");

        // stored once: the winner's answers and score, one completion at most
        assert_eq!(graded_count(app, id), (round, 1));
        let (stored_score, stored_answers): (Option<i32>, Option<String>) = quiz_attempts::table
            .find(id)
            .select((quiz_attempts::score, quiz_attempts::answers))
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(stored_score.map(i64::from), Some(score));
        assert!(stored_answers.is_some());
        let completed: i64 = completions::table
            .filter(completions::enrollment_id.eq(e.id))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        passed_any |= score == 100;
        assert_eq!(completed, i64::from(passed_any), "completed once if passed");
        // what the API shows afterwards is that same grading
        let got: Value = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/attempts/{id}")))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(&got, first);
    }
}
