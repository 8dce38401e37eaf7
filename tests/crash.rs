//! Nothing acknowledged is lost when the server dies (issue 12, item 5): the real `cakap serve`
//! binary takes a stream of quiz submissions and registrations (each of which queues an e-mail
//! while SMTP is down) and is killed with SIGKILL in the middle of it. After a restart, every
//! submission it acknowledged is there with the score it answered, none is counted twice (retries
//! of the unanswered ones grade each attempt once), and every acknowledged registration's e-mail is
//! in the outbox and is delivered once SMTP is back.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use cakap::accounts::{password, users};
use cakap::db::schema::{outbox, quiz_attempts};
use common::serve::{free_port, Served};
use common::smtp::SmtpSink;
use common::TestDatabase;
use diesel::prelude::*;
use reqwest::Client;
use serde_json::{json, Value};

const PW: &str = "Tahan-Banting-2026";
const LEARNERS: usize = 4;
const REGISTRARS: usize = 2;

fn write_course(root: &std::path::Path) {
    let dir = root.join("kuis-tahan-banting");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(root.join("competencies.toml"), "").unwrap();
    std::fs::write(
        dir.join("course.md"),
        "+++\ntitle = \"Kuis Tahan Banting\"\nsummary = \"Ringkas.\"\njp = 2\n+++\n\nDeskripsi.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("01-materi.md"),
        "+++\ntitle = \"Materi\"\n+++\n\nIsi.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("02-kuis.md"),
        "+++\ntitle = \"Kuis\"\nkind = \"quiz\"\nshuffle = false\n+++\n\n\
         ## Ibu kota Jawa Tengah?\n\n- [x] Semarang\n- [ ] Surakarta\n\n\
         ## 1 JP berapa menit?\n\n= 45\n",
    )
    .unwrap();
}

/// `cakap serve` with SMTP at `smtp_port` (nothing listening there: SMTP is down).
fn start(db: &TestDatabase, courses: &std::path::Path, smtp_port: u16) -> Served {
    let port = smtp_port.to_string();
    Served::start(
        db,
        courses,
        &[
            ("CAKAP_MAIL_TRANSPORT", "smtp"),
            ("CAKAP_SMTP_HOST", "127.0.0.1"),
            ("CAKAP_SMTP_PORT", &port),
            ("CAKAP_SMTP_SECURITY", "none"),
        ],
    )
}

async fn token(base: &str, email: &str) -> String {
    let t: Value = Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": email, "password": PW}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["token"].as_str().unwrap().to_string()
}

/// Start and submit attempts until the server stops answering. Returns (acknowledged
/// (attempt, score), submitted but unanswered attempts).
async fn submit_stream(base: String, bearer: String) -> (Vec<(i64, i32)>, Vec<i64>) {
    let api = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let (mut acked, mut lost) = (Vec::new(), Vec::new());
    for i in 0.. {
        let started = api
            .post(format!(
                "{base}/api/v1/courses/kuis-tahan-banting/modules/02-kuis/attempts"
            ))
            .bearer_auth(&bearer)
            .send()
            .await;
        let Ok(r) = started else { break };
        if !r.status().is_success() {
            break;
        }
        let Ok(doc) = r.json::<Value>().await else {
            break;
        };
        let id = doc["attempt"]["id"].as_i64().unwrap();
        // half right, half wrong, so scores differ
        let answers = if i % 2 == 0 {
            json!({"1": {"choices": [0]}, "2": {"text": "45"}})
        } else {
            json!({"1": {"choices": [1]}})
        };
        let sent = api
            .post(format!("{base}/api/v1/attempts/{id}/submit"))
            .bearer_auth(&bearer)
            .json(&json!({ "answers": answers }))
            .send()
            .await;
        let graded = match sent {
            Ok(r) if r.status() == 200 => r.json::<Value>().await.ok(),
            _ => None,
        };
        match graded {
            Some(g) => acked.push((id, g["attempt"]["score"].as_i64().unwrap() as i32)),
            None => {
                lost.push(id);
                break;
            }
        }
    }
    (acked, lost)
}

/// Register accounts until the server stops answering; returns the e-mails it acknowledged.
async fn register_stream(base: String, n: usize) -> Vec<String> {
    let b = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut acked = Vec::new();
    for i in 0.. {
        let Ok(r) = b.get(format!("{base}/register")).send().await else {
            break;
        };
        let Ok(html) = r.text().await else { break };
        let csrf = common::csrf_of(&html);
        let email = format!("pendaftar{n}.{i}@kab.go.id");
        let posted = b
            .post(format!("{base}/register"))
            .form(&[
                ("name", "Pendaftar Baru"),
                ("email", email.as_str()),
                ("nip", ""),
                ("password", PW),
                ("password_confirm", PW),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await;
        match posted {
            // the "check your e-mail" page
            Ok(r) if r.status() == 200 => acked.push(email),
            _ => break,
        }
    }
    acked
}

#[tokio::test]
async fn a_killed_server_loses_nothing_it_acknowledged() {
    let db = TestDatabase::fresh();
    let courses = tempfile::tempdir().unwrap();
    write_course(courses.path());
    // SMTP is down: nothing listens on this port
    let dead_smtp = free_port();
    let mut server = start(&db, courses.path(), dead_smtp);
    server.ready().await;
    let mut conn =
        cakap::db::pool::connect(&cakap::db::DatabaseUrl::parse(&db.url).unwrap(), false).unwrap();
    let hash = password::hash(PW).unwrap();
    let mut bearers = Vec::new();
    for i in 0..LEARNERS {
        let email = format!("peserta{i}@kab.go.id");
        users::create(
            &mut conn,
            &users::NewUser {
                email: email.clone(),
                name: format!("Peserta {i}"),
                password_hash: Some(hash.clone()),
                verified: true,
                ..Default::default()
            },
        )
        .unwrap();
        let bearer = token(&server.base, &email).await;
        let r = Client::new()
            .post(format!(
                "{}/api/v1/courses/kuis-tahan-banting/enroll",
                server.base
            ))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        bearers.push(bearer);
    }

    // the streams, and a SIGKILL in their middle
    let submitted: Vec<_> = bearers
        .iter()
        .map(|b| tokio::spawn(submit_stream(server.base.clone(), b.clone())))
        .collect();
    let registered: Vec<_> = (0..REGISTRARS)
        .map(|n| tokio::spawn(register_stream(server.base.clone(), n)))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let graded: i64 = quiz_attempts::table
            .filter(quiz_attempts::submitted_at.is_not_null())
            .count()
            .get_result(&mut conn)
            .unwrap();
        let queued: i64 = outbox::table.count().get_result(&mut conn).unwrap();
        if (graded >= 40 && queued >= 6) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let mut acked: Vec<(i64, i32)> = Vec::new();
    let mut lost: Vec<i64> = Vec::new();
    for t in submitted {
        let (a, l) = t.await.unwrap();
        acked.extend(a);
        lost.extend(l);
    }
    let emails: Vec<String> = {
        let mut all = Vec::new();
        for t in registered {
            all.extend(t.await.unwrap());
        }
        all
    };
    eprintln!(
        "killed after {} acknowledged submissions ({} unanswered) and {} registrations",
        acked.len(),
        lost.len(),
        emails.len()
    );
    assert!(
        acked.len() >= 20,
        "the stream ran: {} acknowledged",
        acked.len()
    );
    assert!(emails.len() >= 3, "registrations ran: {}", emails.len());

    // restart on the same database and data folder, SMTP still down
    let mut server = start(&db, courses.path(), dead_smtp);
    server.ready().await;
    let mut conn =
        cakap::db::pool::connect(&cakap::db::DatabaseUrl::parse(&db.url).unwrap(), false).unwrap();
    let stored: HashMap<i64, Option<i32>> = quiz_attempts::table
        .filter(quiz_attempts::submitted_at.is_not_null())
        .select((quiz_attempts::id, quiz_attempts::score))
        .load::<(i64, Option<i32>)>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    for (id, score) in &acked {
        assert_eq!(
            stored.get(id),
            Some(&Some(*score)),
            "acknowledged attempt {id} with score {score} survived"
        );
    }
    // the unanswered ones: a retry grades each once (or answers what was already stored)
    let owners: HashMap<i64, String> = {
        use cakap::db::schema::{enrollments, users as u};
        quiz_attempts::table
            .inner_join(enrollments::table.on(enrollments::id.eq(quiz_attempts::enrollment_id)))
            .inner_join(u::table.on(u::id.eq(enrollments::user_id)))
            .filter(quiz_attempts::id.eq_any(&lost))
            .select((quiz_attempts::id, u::email))
            .load::<(i64, String)>(&mut conn)
            .unwrap()
            .into_iter()
            .collect()
    };
    for id in &lost {
        let bearer = token(&server.base, &owners[id]).await;
        let mut scores = HashSet::new();
        for _ in 0..2 {
            let g: Value = Client::new()
                .post(format!("{}/api/v1/attempts/{id}/submit", server.base))
                .bearer_auth(&bearer)
                .json(&json!({"answers": {"1": {"choices": [0]}, "2": {"text": "45"}}}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(g["status"], "graded", "{g}");
            scores.insert(g["attempt"]["score"].as_i64().unwrap());
        }
        assert_eq!(
            scores.len(),
            1,
            "a retry answers what the first grading did"
        );
    }
    let graded: i64 = quiz_attempts::table
        .filter(quiz_attempts::submitted_at.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    let ids: HashSet<i64> = acked
        .iter()
        .map(|a| a.0)
        .chain(lost.iter().copied())
        .collect();
    assert_eq!(
        graded as usize,
        ids.len(),
        "every submitted attempt is graded exactly once, none twice, none invented"
    );

    // every acknowledged registration's e-mail is waiting in the outbox, once
    let queued: Vec<String> = outbox::table
        .select(outbox::to_address)
        .load(&mut conn)
        .unwrap();
    for e in &emails {
        assert_eq!(
            queued.iter().filter(|q| *q == e).count(),
            1,
            "the verification mail to {e} is queued once"
        );
    }

    // SMTP comes back (with the next start): every one is delivered. The failed tries (and a
    // claim the killed server held) pushed the messages back by the retry schedule (minutes);
    // instead of waiting, time passes: they are due now.
    server.kill();
    diesel::update(outbox::table)
        .set(
            outbox::next_attempt_at
                .eq(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
        )
        .execute(&mut conn)
        .unwrap();
    let sink = SmtpSink::start().await;
    let server = start(&db, courses.path(), sink.port());
    server.ready().await;
    let got = sink.wait_for(queued.len(), Duration::from_secs(90)).await;
    let delivered: Vec<String> = got.iter().flat_map(|m| m.to.clone()).collect();
    for e in &emails {
        assert_eq!(
            delivered.iter().filter(|d| d.contains(e.as_str())).count(),
            1,
            "{e} got its mail once"
        );
    }
    drop(server);
}
