//! The whole learner journey, as a person does it in a browser and as a mobile client does it
//! through the JSON API alone: register, verify, log in, enrol, read every module, fail the quiz
//! once, pass it, and find the course completed with its JP on the version enrolled in.

use crate::common;
use crate::common::fixtures::{write_dictionary, CourseFolder, PELAYANAN_PUBLIK};

use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use reqwest::header;
use serde_json::{json, Value};

const PW: &str = "Perjalanan-Belajar-26";

fn write_course(root: &Path) {
    write_dictionary(root, &[PELAYANAN_PUBLIK]);
    CourseFolder::new("kursus-perjalanan")
        .title("Kursus Perjalanan")
        .summary("Dari daftar sampai selesai.")
        .jp(4)
        .competency("M.PP", 2)
        .lesson("01-pertama", "Materi Pertama", "Isi pertama.")
        .lesson("02-kedua", "Materi Kedua", "Isi kedua.")
        .quiz(
            "03-kuis",
            "+++\ntitle = \"Kuis\"\nkind = \"quiz\"\npass_mark = 100\nattempts = 3\n+++\n\n## Ibu kota Indonesia adalah ...\n\n- [x] Jakarta\n- [ ] Bandung\n- [ ] Surabaya\n\n## Berapa JP minimal per tahun?\n\n= 20\n",
        )
        .write(root);
}

/// Answers for a paper as the API shows it: all right or all wrong.
fn answers(paper: &Value, right: bool) -> Vec<(usize, Value)> {
    paper["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let pos = q["position"].as_u64().unwrap() as usize;
            let a = if q["prompt_html"].as_str().unwrap().contains("Ibu kota") {
                let want = if right { "Jakarta" } else { "Bandung" };
                let idx = q["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|o| o["html"].as_str().unwrap().contains(want))
                    .unwrap()["index"]
                    .clone();
                json!({"choices": [idx]})
            } else {
                json!({"text": if right { "20" } else { "12" }})
            };
            (pos, a)
        })
        .collect()
}

fn newest_mail_link(data_dir: &Path) -> String {
    let files = crate::common::mail_files(&data_dir.join("mail"));
    let raw = std::fs::read_to_string(files.last().unwrap()).unwrap();
    let text = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find("/verify/").expect("a verification link");
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
        .collect()
}

async fn wait_for_mail(data_dir: &Path) {
    for _ in 0..100 {
        if !crate::common::mail_files(&data_dir.join("mail")).is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail written");
}

async fn app() -> (tempfile::TempDir, TestApp) {
    let root = tempfile::tempdir().unwrap();
    write_course(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    (root, app)
}

#[tokio::test]
async fn in_the_browser() {
    let (_courses, app) = app().await;
    let data = app.db.dir().join("data");
    let resp = app
        .submit(
            "/register",
            "/register",
            &[
                ("name", "Dewi Lestari"),
                ("email", "dewi@kab.go.id"),
                ("password", PW),
                ("password_confirm", PW),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    wait_for_mail(&data).await;
    // the link shows a button; pressing it verifies
    let link = newest_mail_link(&data);
    assert_eq!(app.get(&link).await.status(), 200);
    assert_eq!(app.submit(&link, &link, &[]).await.status(), 200);
    let resp = app
        .submit(
            "/login",
            "/login",
            &[("email", "dewi@kab.go.id"), ("password", PW)],
        )
        .await;
    assert_eq!(resp.status(), 303);

    assert_eq!(
        app.submit(
            "/courses/kursus-perjalanan",
            "/courses/kursus-perjalanan/enroll",
            &[]
        )
        .await
        .status(),
        303
    );
    for m in ["01-pertama", "02-kedua"] {
        let page = app
            .get(&format!("/courses/kursus-perjalanan/{m}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Tandai selesai"));
        let path = format!("/courses/kursus-perjalanan/{m}");
        assert_eq!(
            app.submit(&path, &format!("{path}/done"), &[])
                .await
                .status(),
            303
        );
    }
    let quiz_page = app
        .get("/courses/kursus-perjalanan/03-kuis")
        .await
        .text()
        .await
        .unwrap();
    assert!(quiz_page.contains("/courses/kursus-perjalanan/03-kuis/quiz"));

    for right in [false, true] {
        let resp = app
            .submit(
                "/courses/kursus-perjalanan/03-kuis/quiz",
                "/courses/kursus-perjalanan/03-kuis/quiz/start",
                &[],
            )
            .await;
        assert_eq!(resp.status(), 303);
        let attempt = resp.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_string();
        let id = attempt.trim_start_matches("/quiz/attempts/").to_string();
        let paper: Value = app
            .get(&format!("/api/v1/attempts/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let mut fields: Vec<(String, String)> = Vec::new();
        for (pos, a) in answers(&paper["paper"], right) {
            match a.get("choices") {
                Some(c) => fields.extend(
                    c.as_array()
                        .unwrap()
                        .iter()
                        .map(|i| (format!("q{pos}"), i.to_string())),
                ),
                None => fields.push((format!("q{pos}"), a["text"].as_str().unwrap().to_string())),
            }
        }
        let html = app.get(&attempt).await.text().await.unwrap();
        fields.push(("csrf".into(), common::csrf_of(&html)));
        let resp = app
            .client
            .post(app.url(&format!("{attempt}/submit")))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_redirection() || resp.status().is_success());
        let result: Value = app
            .get(&format!("/api/v1/attempts/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(result["status"], "graded", "{result}");
        let course = app
            .get("/courses/kursus-perjalanan")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            course.contains("Anda telah menyelesaikan kursus ini"),
            right,
            "completed only after passing"
        );
    }
    let dash: Value = app.get("/api/v1/me/dashboard").await.json().await.unwrap();
    assert_eq!(dash["completed"].as_array().unwrap().len(), 1);
    assert_eq!(dash["jp_this_year"], 4);
}

#[tokio::test]
async fn through_the_json_api_alone() {
    let (_courses, app) = app().await;
    let data = app.db.dir().join("data");
    // registration is a web form (with e-mail verification); everything after is the API
    app.submit(
        "/register",
        "/register",
        &[
            ("name", "Andi"),
            ("email", "andi@kab.go.id"),
            ("password", PW),
            ("password_confirm", PW),
        ],
    )
    .await;
    wait_for_mail(&data).await;
    let link = newest_mail_link(&data);
    app.submit(&link, &link, &[]).await;

    let api = reqwest::Client::new();
    let token: Value = api
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "andi@kab.go.id", "password": PW}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let get = |path: String| {
        let (api, token, url) = (api.clone(), token.clone(), app.url(&path));
        async move { api.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let post = |path: String, body: Value| {
        let (api, token, url) = (api.clone(), token.clone(), app.url(&path));
        async move {
            api.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    let catalog: Value = get("/api/v1/courses".into()).await.json().await.unwrap();
    assert_eq!(catalog["courses"][0]["slug"], "kursus-perjalanan");
    assert_eq!(
        post("/api/v1/courses/kursus-perjalanan/enroll".into(), json!({}))
            .await
            .status(),
        200
    );
    let course: Value = get("/api/v1/courses/kursus-perjalanan".into())
        .await
        .json()
        .await
        .unwrap();
    for m in course["modules"].as_array().unwrap() {
        if m["kind"] == "lesson" {
            let slug = m["slug"].as_str().unwrap();
            let r = post(
                format!("/api/v1/courses/kursus-perjalanan/modules/{slug}/done"),
                json!({}),
            )
            .await;
            assert_eq!(r.status(), 200);
        }
    }
    for right in [false, true] {
        let started = post(
            "/api/v1/courses/kursus-perjalanan/modules/03-kuis/attempts".into(),
            json!({}),
        )
        .await;
        assert!(started.status().is_success(), "{}", started.status());
        let started: Value = started.json().await.unwrap();
        let id = started["attempt"]["id"]
            .as_i64()
            .or_else(|| started["id"].as_i64())
            .expect("an attempt id");
        let paper = if started["paper"].is_object() {
            started["paper"].clone()
        } else {
            started["attempt"]["paper"].clone()
        };
        let body: serde_json::Map<String, Value> = answers(&paper, right)
            .into_iter()
            .map(|(p, a)| (p.to_string(), a))
            .collect();
        let graded = post(
            format!("/api/v1/attempts/{id}/submit"),
            json!({"answers": body}),
        )
        .await;
        assert_eq!(graded.status(), 200);
        let graded: Value = graded.json().await.unwrap();
        // a retried submission answers the same
        let again: Value = post(
            format!("/api/v1/attempts/{id}/submit"),
            json!({"answers": {}}),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(graded, again);
    }
    let dash: Value = get("/api/v1/me/dashboard".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dash["completed"].as_array().unwrap().len(), 1, "{dash}");
    assert_eq!(dash["jp_this_year"], 4);
}
