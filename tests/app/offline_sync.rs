//! Progress made offline: a device queues "lesson done" actions with the time the learner did them
//! and an Idempotency-Key each, and sends the queue when the connection returns — perhaps twice,
//! perhaps from two tabs at once. Nothing is lost, nothing counts twice.

use crate::common;
use crate::common::fixtures::{CourseFolder, Person};

use std::path::Path;

use crate::common::{spawn_app_with, TestApp};
use cakap::db::schema::{completions, lesson_progress};
use diesel::prelude::*;
use serde_json::{json, Value};

const PW: &str = "Belajar-Terus-2026";

fn course(root: &Path) {
    let mut course = CourseFolder::new("arsip-digital")
        .title("Arsip Digital")
        .summary("Kearsipan elektronik.");
    for (i, t) in ["Pengantar", "Klasifikasi", "Retensi"].iter().enumerate() {
        course = course.lesson(&format!("0{}-materi", i + 1), t, &format!("Isi {t}."));
    }
    course.write(root);
}

async fn send(
    app: &TestApp,
    bearer: &str,
    module: &str,
    key: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/v1/courses/arsip-digital/modules/{module}/done"
        )))
        .bearer_auth(bearer)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_string());
    (
        r.status().as_u16(),
        replayed,
        r.json().await.unwrap_or(Value::Null),
    )
}

/// The course folder (kept alive by the caller), the app on it, and Wulan — her id and bearer
/// token — enrolled in the course through the API.
async fn enrolled_learner() -> (tempfile::TempDir, TestApp, i64, String) {
    let root = tempfile::tempdir().unwrap();
    course(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    let user = Person::new("wulan@sleman.go.id")
        .name("Wulan Sari")
        .password(PW)
        .create(&app);
    let bearer = app.token_of("wulan@sleman.go.id", PW).await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/courses/arsip-digital/enroll"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    (root, app, user, bearer)
}

#[tokio::test]
async fn a_queue_sent_twice_and_concurrently_counts_once_with_the_learners_times() {
    let (_root, app, user, bearer) = enrolled_learner().await;

    // online: lesson 1
    let (status, _, done) = send(&app, &bearer, "01-materi", None, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(done["newly_done"], true);

    // offline on the bus: lessons 2 and 3 queued with the times they were read
    let now = chrono::Utc::now();
    let two_hours_ago = now - chrono::Duration::hours(2);
    let one_hour_ago = now - chrono::Duration::hours(1);
    let queue = [
        (
            "02-materi",
            "7d1f0c3e-0b6a-4c55-9a55-000000000002",
            two_hours_ago,
        ),
        (
            "03-materi",
            "7d1f0c3e-0b6a-4c55-9a55-000000000003",
            one_hour_ago,
        ),
    ];
    // back online, the queue is sent; the answer to the last one is lost on the way
    let mut first_answers = Vec::new();
    for (module, key, at) in &queue {
        let (status, replayed, body) =
            send(&app, &bearer, module, Some(key), json!({"done_at": at})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(replayed, None, "a first send is no replay");
        assert_eq!(body["newly_done"], true);
        first_answers.push(body);
    }
    assert!(
        first_answers[1]["completed"].is_object(),
        "the last lesson completes the course"
    );
    // …so the device sends the whole queue again, from two tabs at once
    let mut tasks = Vec::new();
    for _ in 0..2 {
        for (module, key, at) in queue {
            let (app_url, bearer) = (app.address.clone(), bearer.clone());
            tasks.push(tokio::spawn(async move {
                let r = reqwest::Client::new()
                    .post(format!(
                        "{app_url}/api/v1/courses/arsip-digital/modules/{module}/done"
                    ))
                    .bearer_auth(&bearer)
                    .header("Idempotency-Key", key)
                    .json(&json!({"done_at": at}))
                    .send()
                    .await
                    .unwrap();
                let replayed = r.headers().contains_key("idempotent-replayed");
                (
                    module,
                    r.status().as_u16(),
                    replayed,
                    r.json::<Value>().await.unwrap(),
                )
            }));
        }
    }
    for t in tasks {
        let (module, status, replayed, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(replayed, "{module}: answered from the first send");
        let first = if module == "02-materi" {
            &first_answers[0]
        } else {
            &first_answers[1]
        };
        assert_eq!(&body, first, "the same answer as the first time");
    }

    // the server has each lesson once, at the learner's times, and one completion
    let mut c = app.conn();
    let rows: Vec<chrono::NaiveDateTime> = lesson_progress::table
        .select(lesson_progress::done_at)
        .order(lesson_progress::done_at)
        .load(&mut c)
        .unwrap();
    assert_eq!(rows.len(), 3);
    let close = |a: chrono::NaiveDateTime, b: chrono::DateTime<chrono::Utc>| {
        (a - b.naive_utc()).num_seconds().abs() <= 1
    };
    assert!(close(rows[0], two_hours_ago), "{rows:?}");
    assert!(close(rows[1], one_hour_ago), "{rows:?}");
    let n: i64 = completions::table
        .filter(completions::user_id.eq(user))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(n, 1, "completed once");
    let dashboard: Value = reqwest::Client::new()
        .get(app.url("/api/v1/me/dashboard"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dashboard["jp_this_year"], 3, "JP counted once: {dashboard}");

    // a key is for one action; a bad key is refused with what to do
    let (status, _, body) = send(&app, &bearer, "01-materi", Some(queue[0].1), json!({})).await;
    assert_eq!(status, 409, "a key bound to another action: a conflict");
    assert!(
        body["detail"].as_str().unwrap().contains("another action"),
        "{body}"
    );
    let (status, _, body) = send(&app, &bearer, "01-materi", Some("dua kata"), json!({})).await;
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("visible ASCII"),
        "{body}"
    );
}

#[tokio::test]
async fn times_from_a_device_are_bounded_and_the_page_session_can_sync_with_its_csrf_token() {
    let root = tempfile::tempdir().unwrap();
    course(root.path());
    let app = spawn_app_with(&[("CAKAP_COURSES_DIR", &root.path().display().to_string())]).await;
    Person::new("yoga@sleman.go.id")
        .name("Yoga Pratama")
        .password(PW)
        .create(&app);
    // the browser's own session (cookie), as the offline script in the page uses it
    let b = app.browser_as("yoga@sleman.go.id", PW).await;
    let r = app
        .post_form(
            &b,
            "/courses/arsip-digital",
            "/courses/arsip-digital/enroll",
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = b
        .get(app.url("/courses/arsip-digital/01-materi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&html);
    let url = app.url("/api/v1/courses/arsip-digital/modules/01-materi/done");
    // without the CSRF header a cookie session cannot act through the API
    let r = b
        .post(&url)
        .header("Idempotency-Key", "k-1")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // a clock far in the future or the past is pulled back within bounds
    let future = chrono::Utc::now() + chrono::Duration::days(3);
    let r = b
        .post(&url)
        .header("X-CSRF-Token", &csrf)
        .header("Idempotency-Key", "k-1")
        .json(&json!({"done_at": future}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let long_ago = chrono::Utc::now() - chrono::Duration::days(90);
    let r = b
        .post(app.url("/api/v1/courses/arsip-digital/modules/02-materi/done"))
        .header("X-CSRF-Token", &csrf)
        .header("Idempotency-Key", "k-2")
        .json(&json!({"done_at": long_ago}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rows: Vec<chrono::NaiveDateTime> = lesson_progress::table
        .select(lesson_progress::done_at)
        .order(lesson_progress::done_at)
        .load(&mut app.conn())
        .unwrap();
    let now = chrono::Utc::now().naive_utc();
    assert!(
        rows.iter().all(|t| *t <= now),
        "never in the future: {rows:?}"
    );
    assert!(
        rows.iter().all(|t| (now - *t).num_days() <= 30),
        "at most 30 days back: {rows:?}"
    );
}

/// Issue 22, item 2: the first send of one Idempotency-Key arriving many times at the same moment
/// (a barrier releases them together: a device and its retry, two tabs). One of them acts, every
/// other gets its answer back as a replay — never a second action, an error or a leaked
/// unique-constraint failure — and the server holds one progress row and one key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_first_sends_of_one_key_act_once_and_answer_alike() {
    const SENDERS: usize = 8;
    let (_root, app, _, bearer) = enrolled_learner().await;

    let key = "5b0e9d2a-race-4c55-9a55-000000000001";
    let at = chrono::Utc::now() - chrono::Duration::hours(3);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(SENDERS));
    let mut tasks = Vec::new();
    for _ in 0..SENDERS {
        let (url, bearer, barrier) = (
            app.url("/api/v1/courses/arsip-digital/modules/01-materi/done"),
            bearer.clone(),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            // a client of its own, its connection open before the barrier opens
            let client = reqwest::Client::new();
            let health = url.split("/api/").next().unwrap().to_string() + "/healthz";
            client.get(health).send().await.unwrap();
            let request = client
                .post(url)
                .bearer_auth(&bearer)
                .header("Idempotency-Key", key)
                .json(&json!({"done_at": at}));
            barrier.wait().await;
            let r = request.send().await.unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            (r.status().as_u16(), replayed, r.text().await.unwrap())
        }));
    }
    let mut replies = Vec::new();
    for t in tasks {
        let (status, replayed, body) = t.await.unwrap();
        assert_eq!(
            status, 200,
            "every sender gets an answer, not an error: {body}"
        );
        replies.push((replayed, serde_json::from_str::<Value>(&body).unwrap()));
    }
    let acted: Vec<_> = replies.iter().filter(|(replayed, _)| !replayed).collect();
    assert_eq!(
        acted.len(),
        1,
        "one send acts, the others are replays: {replies:?}"
    );
    let first = &acted[0].1;
    assert_eq!(first["newly_done"], true, "{first}");
    for (_, body) in &replies {
        assert_eq!(body, first, "every sender gets the first answer");
    }

    let mut c = app.conn();
    let rows: Vec<chrono::NaiveDateTime> = lesson_progress::table
        .select(lesson_progress::done_at)
        .load(&mut c)
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        (rows[0] - at.naive_utc()).num_seconds().abs() <= 1,
        "{rows:?}"
    );
    let keys: i64 = cakap::db::schema::idempotency_keys::table
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(keys, 1);
}
