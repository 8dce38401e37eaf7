//! E-mail: the durable outbox, the worker and its retries, the transports (a real SMTP server on
//! loopback, `.eml` files), and the templates in both languages. Runs on the database the
//! environment selects (SQLite, or PostgreSQL with `CAKAP_TEST_DATABASE_URL`).

use std::sync::Arc;
use std::time::Duration;

use crate::common::smtp::{self, SmtpSink};
use crate::common::{test_config, TestDatabase};
use cakap::db::{DatabaseUrl, Db};
use cakap::mail::outbox::{self, OutboxEntry};
use cakap::mail::worker::{self, Pass};
use cakap::mail::{MailTemplates, OutgoingMail, Transport};
use cakap::web::{I18n, Lang};
use cakap::Config;
use chrono::Duration as Span;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(15);

fn open(db: &TestDatabase) -> Db {
    Db::open(&DatabaseUrl::parse(&db.url).expect("test URL"), 2).expect("database opens")
}

fn smtp_config(db: &TestDatabase, port: u16) -> Config {
    let port = port.to_string();
    test_config(
        db,
        &[
            ("CAKAP_MAIL_TRANSPORT", "smtp"),
            ("CAKAP_SMTP_HOST", "127.0.0.1"),
            ("CAKAP_SMTP_PORT", &port),
            ("CAKAP_SMTP_SECURITY", "none"),
        ],
    )
}

fn mail(to: &str, subject: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.into(),
        subject: subject.into(),
        text: format!("{subject}\n\nBuka https://cakap.example/verify?token=ab&lang=id\n"),
        html: format!("<p>{subject}</p><p><a href=\"https://cakap.example/verify?token=ab&amp;lang=id\">buka</a></p>"),
    }
}

async fn enqueue(db: &Db, mail: OutgoingMail) -> i64 {
    db.run(move |conn| outbox::enqueue(conn, &mail))
        .await
        .expect("enqueued")
}

async fn entry(db: &Db, id: i64) -> OutboxEntry {
    db.run(move |conn| outbox::find(conn, id))
        .await
        .expect("outbox row read")
        .expect("outbox row exists")
}

/// Wait until the worker has recorded message `id` as sent.
async fn wait_sent(db: &Db, id: i64) -> OutboxEntry {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let e = entry(db, id).await;
        if e.sent_at.is_some() {
            return e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "message {id} not marked sent: {e:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn templates() -> MailTemplates {
    MailTemplates::load(Arc::new(I18n::load().expect("catalogs"))).expect("mail templates")
}

#[tokio::test]
async fn a_queued_message_reaches_the_smtp_server_with_text_html_and_a_utf8_subject() {
    let sink = SmtpSink::start().await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let db = open(&tdb);
    let subject = "Sertifikat Anda telah terbit — «Pelayanan Publik Prima» ✓";
    let id = enqueue(&db, mail("Siti Rahayu <siti@example.go.id>", subject)).await;

    let mailer = worker::spawn(db.clone(), &config).expect("worker starts");
    mailer.wake();
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.to, ["siti@example.go.id"]);
    assert_eq!(m.from, "noreply@127.0.0.1");
    assert_eq!(m.subject(), subject);
    assert!(m
        .header("Content-Type")
        .unwrap()
        .contains("multipart/alternative"));
    assert!(m.header("Message-ID").is_some());
    assert!(m.header("Date").is_some());
    assert_eq!(m.header("From").unwrap(), "Cakap <noreply@127.0.0.1>");
    // the raw header is ASCII (an encoded word), the decoded one is the UTF-8 subject
    let raw_subject = m
        .headers()
        .into_iter()
        .find(|(n, _)| n == "Subject")
        .unwrap()
        .1;
    assert!(raw_subject.is_ascii(), "{raw_subject}");
    assert!(m.text().contains(subject), "{}", m.text());
    assert!(
        m.html().contains(&format!("<p>{subject}</p>")),
        "{}",
        m.html()
    );
    assert_eq!(
        m.link().as_deref(),
        Some("https://cakap.example/verify?token=ab&lang=id")
    );

    let row = wait_sent(&db, id).await;
    assert_eq!(row.attempts, 1);
    assert_eq!(row.failed_at, None);
    assert_eq!(row.last_error, None);
    assert_eq!(
        db.run(outbox::counts).await.unwrap(),
        (0, 0),
        "nothing left waiting"
    );
}

#[tokio::test]
async fn a_rendered_mail_arrives_with_its_link_intact() {
    let sink = SmtpSink::start().await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let db = open(&tdb);
    let link = "http://127.0.0.1:8080/password/set?token=Zx9_-k&next=%2Fme";
    let rendered = templates()
        .render(
            "invite",
            Lang::Id,
            json!({"name": "Made Wirawan", "agency": "Badan Kepegawaian Negara", "link": link, "days": 7}),
            "made@bkn.example.go.id",
        )
        .unwrap();
    enqueue(&db, rendered.clone()).await;
    let transport = Transport::from_config(&config).unwrap();
    let pass = worker::run_once(&db, &transport, &config.mail.from, outbox::now())
        .await
        .unwrap();
    assert_eq!(pass.sent, 1);
    let got = sink.wait_for(1, WAIT).await;
    let m = &got[0];
    assert_eq!(m.subject(), rendered.subject);
    assert!(m.subject().contains("Badan Kepegawaian Negara"));
    assert_eq!(m.link().as_deref(), Some(link));
    assert!(m.text().contains("Yth. Made Wirawan,"), "{}", m.text());
    assert!(m.text().contains("7 hari"), "{}", m.text());
    assert!(
        m.html().contains("token=Zx9_-k&amp;next=%2Fme"),
        "{}",
        m.html()
    );
}

#[tokio::test]
async fn a_refused_message_is_retried_with_backoff_and_then_delivered() {
    let sink = SmtpSink::start_failing(2).await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let db = open(&tdb);
    let transport = Transport::from_config(&config).unwrap();
    let from = config.mail.from.clone();
    let id = enqueue(&db, mail("budi@example.go.id", "Coba lagi")).await;
    let t0 = outbox::now();

    let pass = worker::run_once(&db, &transport, &from, t0).await.unwrap();
    assert_eq!(
        pass,
        Pass {
            sent: 0,
            retrying: 1,
            gave_up: 0
        }
    );
    assert_eq!(sink.refused(), 1);
    let row = entry(&db, id).await;
    assert_eq!(row.attempts, 1);
    assert_eq!(row.next_attempt_at, t0 + Span::minutes(1));
    assert_eq!(row.sent_at, None);
    assert_eq!(row.failed_at, None);
    let error = row.last_error.unwrap();
    assert!(error.contains("451"), "{error}");

    // not due yet: nothing happens
    let pass = worker::run_once(&db, &transport, &from, t0 + Span::seconds(59))
        .await
        .unwrap();
    assert_eq!(pass, Pass::default());
    assert_eq!(sink.refused(), 1);

    let t1 = t0 + Span::minutes(1);
    let pass = worker::run_once(&db, &transport, &from, t1).await.unwrap();
    assert_eq!(pass.retrying, 1);
    let row = entry(&db, id).await;
    assert_eq!(row.attempts, 2);
    assert_eq!(row.next_attempt_at, t1 + Span::minutes(5));

    let t2 = t1 + Span::minutes(5);
    let pass = worker::run_once(&db, &transport, &from, t2).await.unwrap();
    assert_eq!(pass.sent, 1);
    let row = entry(&db, id).await;
    assert_eq!(row.attempts, 3);
    assert_eq!(row.sent_at, Some(t2));
    assert_eq!(row.last_error, None);
    assert_eq!(sink.refused(), 2);
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject(), "Coba lagi");
}

#[tokio::test]
async fn after_eight_failed_attempts_a_message_is_marked_failed_with_the_last_error() {
    let sink = SmtpSink::start_failing(usize::MAX).await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let db = open(&tdb);
    let transport = Transport::from_config(&config).unwrap();
    let from = config.mail.from.clone();
    let id = enqueue(&db, mail("budi@example.go.id", "Tidak pernah sampai")).await;

    let mut t = outbox::now();
    for attempt in 1..=outbox::MAX_ATTEMPTS {
        let pass = worker::run_once(&db, &transport, &from, t).await.unwrap();
        let row = entry(&db, id).await;
        assert_eq!(row.attempts, attempt);
        assert!(row.last_error.as_deref().unwrap().contains("451"));
        if attempt < outbox::MAX_ATTEMPTS {
            assert_eq!(pass.retrying, 1, "attempt {attempt}");
            assert_eq!(row.failed_at, None);
            assert_eq!(
                row.next_attempt_at,
                t + outbox::backoff(attempt).unwrap(),
                "attempt {attempt}"
            );
            t = row.next_attempt_at;
        } else {
            assert_eq!(pass.gave_up, 1);
            assert_eq!(row.failed_at, Some(t));
            assert_eq!(row.sent_at, None);
        }
    }
    // given up: never tried again
    let pass = worker::run_once(&db, &transport, &from, t + Span::days(365))
        .await
        .unwrap();
    assert_eq!(pass, Pass::default());
    assert_eq!(sink.refused(), outbox::MAX_ATTEMPTS as usize);
    assert!(sink.messages().is_empty());
    assert_eq!(db.run(outbox::counts).await.unwrap(), (0, 1));
}

#[tokio::test]
async fn nothing_is_lost_while_the_smtp_server_is_down() {
    // a port nobody listens on
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tdb = TestDatabase::fresh();
    let db = open(&tdb);
    let down = smtp_config(&tdb, port);
    let transport = Transport::from_config(&down).unwrap();
    let id = enqueue(&db, mail("ani@example.go.id", "Menunggu")).await;
    let t0 = outbox::now();
    let pass = worker::run_once(&db, &transport, &down.mail.from, t0)
        .await
        .unwrap();
    assert_eq!(pass.retrying, 1);
    let row = entry(&db, id).await;
    assert!(row.last_error.is_some());
    assert_eq!(row.sent_at, None);

    // the server comes back; the next due pass delivers
    let sink = SmtpSink::start().await;
    let up = smtp_config(&tdb, sink.port());
    let transport = Transport::from_config(&up).unwrap();
    let pass = worker::run_once(&db, &transport, &up.mail.from, t0 + Span::minutes(1))
        .await
        .unwrap();
    assert_eq!(pass.sent, 1);
    assert_eq!(sink.wait_for(1, WAIT).await[0].subject(), "Menunggu");
}

#[tokio::test]
async fn messages_queued_while_no_worker_runs_are_sent_when_one_starts() {
    let sink = SmtpSink::start().await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let mut ids = Vec::new();
    {
        // the first "server": queues mail, then stops before sending any
        let db = open(&tdb);
        for n in 1..=3 {
            ids.push(enqueue(&db, mail("x@example.go.id", &format!("Pesan {n}"))).await);
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.messages().is_empty());

    // the restarted server: its worker sends what is waiting, without being woken
    let db = open(&tdb);
    let _mailer = worker::spawn(db.clone(), &config).unwrap();
    let got = sink.wait_for(3, WAIT).await;
    let mut subjects: Vec<String> = got.iter().map(|m| m.subject()).collect();
    subjects.sort();
    assert_eq!(subjects, ["Pesan 1", "Pesan 2", "Pesan 3"]);
    for id in ids {
        wait_sent(&db, id).await;
    }
}

#[tokio::test]
async fn a_message_claimed_by_a_worker_that_died_is_sent_after_the_lease() {
    let sink = SmtpSink::start().await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let db = open(&tdb);
    let transport = Transport::from_config(&config).unwrap();
    let id = enqueue(&db, mail("x@example.go.id", "Yatim")).await;
    let t0 = outbox::now();
    // a worker claims it, then dies before sending
    let claimed = db
        .run(move |conn| outbox::claim_next(conn, t0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.id, claimed.attempt), (id, 1));
    assert_eq!(claimed.mail.subject, "Yatim");
    // meanwhile nobody else takes it
    let pass = worker::run_once(&db, &transport, &config.mail.from, t0 + Span::minutes(1))
        .await
        .unwrap();
    assert_eq!(pass, Pass::default());
    // once the lease runs out, another worker does
    let pass = worker::run_once(&db, &transport, &config.mail.from, t0 + outbox::CLAIM_LEASE)
        .await
        .unwrap();
    assert_eq!(pass.sent, 1);
    assert_eq!(entry(&db, id).await.attempts, 2);
    sink.wait_for(1, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_never_send_a_message_twice() {
    let sink = SmtpSink::start().await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let a = open(&tdb);
    let b = open(&tdb);
    const N: usize = 40;
    for n in 0..N {
        enqueue(&a, mail("x@example.go.id", &format!("Pesan {n:02}"))).await;
    }
    let transport = Arc::new(Transport::from_config(&config).unwrap());
    let now = outbox::now();
    let run = |db: Db| {
        let transport = transport.clone();
        let from = config.mail.from.clone();
        tokio::spawn(async move { worker::run_once(&db, &transport, &from, now).await })
    };
    let (pa, pb) = tokio::join!(run(a.clone()), run(b.clone()));
    let (pa, pb) = (pa.unwrap().unwrap(), pb.unwrap().unwrap());
    assert_eq!(pa.sent + pb.sent, N, "{pa:?} {pb:?}");
    assert_eq!(pa.retrying + pb.retrying, 0);
    let got = sink.wait_for(N, WAIT).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got_later = sink.messages();
    assert_eq!(got_later.len(), N, "a message was sent twice");
    let mut subjects: Vec<String> = got.iter().map(|m| m.subject()).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), N);
    assert_eq!(a.run(outbox::counts).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn by_default_mail_is_written_as_eml_files_in_the_data_folder() {
    let tdb = TestDatabase::fresh();
    let config = test_config(&tdb, &[]);
    assert!(matches!(
        Transport::from_config(&config).unwrap(),
        Transport::File(_)
    ));
    let db = open(&tdb);
    let id = enqueue(
        &db,
        mail("Dewi <dewi@example.go.id>", "Atur ulang kata sandi — Cakap"),
    )
    .await;
    let _mailer = worker::spawn(db.clone(), &config).unwrap();
    wait_sent(&db, id).await;

    let folder = config.data_dir.join("mail");
    let files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    let m = smtp::Received {
        from: String::new(),
        to: Vec::new(),
        data: raw,
    };
    assert_eq!(m.subject(), "Atur ulang kata sandi — Cakap");
    assert!(m.header("To").unwrap().contains("dewi@example.go.id"));
    assert_eq!(
        m.link().as_deref(),
        Some("https://cakap.example/verify?token=ab&lang=id")
    );
    assert!(m.html().contains("<a href="));
}

#[tokio::test]
async fn the_log_transport_only_logs_and_marks_sent() {
    let tdb = TestDatabase::fresh();
    let config = test_config(&tdb, &[("CAKAP_MAIL_TRANSPORT", "log")]);
    let db = open(&tdb);
    let transport = Transport::from_config(&config).unwrap();
    assert!(matches!(transport, Transport::Log));
    let id = enqueue(&db, mail("x@example.go.id", "Log")).await;
    let pass = worker::run_once(&db, &transport, &config.mail.from, outbox::now())
        .await
        .unwrap();
    assert_eq!(pass.sent, 1);
    assert!(entry(&db, id).await.sent_at.is_some());
    assert!(!config.data_dir.join("mail").exists());
}

#[tokio::test]
async fn a_malformed_address_fails_at_once_instead_of_retrying() {
    let sink = SmtpSink::start().await;
    let tdb = TestDatabase::fresh();
    let config = smtp_config(&tdb, sink.port());
    let db = open(&tdb);
    let transport = Transport::from_config(&config).unwrap();
    let id = enqueue(&db, mail("bukan alamat e-mail", "Salah")).await;
    let pass = worker::run_once(&db, &transport, &config.mail.from, outbox::now())
        .await
        .unwrap();
    assert_eq!(pass.gave_up, 1);
    let row = entry(&db, id).await;
    assert_eq!(row.attempts, 1);
    assert!(row.failed_at.is_some());
    assert!(row.last_error.unwrap().contains("bukan alamat e-mail"));
    assert!(sink.messages().is_empty());
}

#[test]
fn every_template_speaks_indonesian_and_english() {
    let t = templates();
    let link = "https://cakap.example/t?token=a1&lang=id";
    let data = json!({
        "name": "Rina Kusuma",
        "link": link,
        "hours": 2,
        "days": 7,
        "agency": "Pemerintah Kota Surabaya",
    });
    let expect = [
        // name, id subject word, en subject word, id text, en text
        ("verify", "Verifikasi", "Verify", "mendaftar", "register"),
        ("reset", "kata sandi", "password", "2 jam", "2 hours"),
        ("invite", "Undangan", "invites", "7 hari", "7 days"),
    ];
    for (name, id_subject, en_subject, id_text, en_text) in expect {
        let id = t
            .render(name, Lang::Id, data.clone(), "rina@example.go.id")
            .unwrap();
        let en = t
            .render(name, Lang::En, data.clone(), "rina@example.go.id")
            .unwrap();
        eprintln!(
            "=====\n{}\n{}\n-----\n{}\n{}",
            id.subject, id.text, en.subject, en.text
        );
        assert_eq!(id.to, "rina@example.go.id");
        assert!(id.subject.contains(id_subject), "{name}: {}", id.subject);
        assert!(en.subject.contains(en_subject), "{name}: {}", en.subject);
        assert!(id.text.contains(id_text), "{name}: {}", id.text);
        assert!(en.text.contains(en_text), "{name}: {}", en.text);
        assert!(id.text.contains("Yth. Rina Kusuma,"), "{name}: {}", id.text);
        assert!(id.text.contains("Tim Cakap"), "{name}");
        assert!(en.text.contains("Dear Rina Kusuma,"), "{name}: {}", en.text);
        assert!(id.html.contains("Yth. Rina Kusuma,"), "{name}");
        assert!(en.html.contains("The Cakap team"), "{name}");
        for m in [&id, &en] {
            // the text part is not HTML: the link stays as it is
            assert!(m.text.contains(link), "{name}: {}", m.text);
            assert!(!m.text.contains("&amp;"), "{name}: {}", m.text);
            assert!(!m.text.contains('<'), "{name}: {}", m.text);
            assert_eq!(smtp::first_link(&m.text).as_deref(), Some(link));
            // the HTML part escapes it
            assert!(
                m.html
                    .contains("https://cakap.example/t?token=a1&amp;lang=id"),
                "{name}"
            );
            assert!(
                m.html.contains(&format!("<title>{}</title>", m.subject))
                    || m.subject.contains('&')
            );
            assert!(m.html.contains("Cakap"));
        }
        // every mail says the link expires and that it may be ignored
        assert!(
            id.text.contains("berlaku") && id.text.contains("abaikan"),
            "{name}: {}",
            id.text
        );
        assert!(
            en.text.contains("valid") && en.text.contains("ignore"),
            "{name}: {}",
            en.text
        );
    }
}

#[test]
fn the_test_sink_decodes_what_lettre_encodes() {
    assert_eq!(smtp::decode_qp("a=3Db=\r\nc=C3=A9"), "a=bcé".as_bytes());
    assert_eq!(smtp::decode_base64("SGVsbG8sIGR1bmlh"), b"Hello, dunia");
    assert_eq!(
        smtp::decode_words("=?utf-8?b?VmVyaWZpa2FzaQ==?= =?utf-8?b?IOKAlCBvaw==?="),
        "Verifikasi — ok"
    );
    assert_eq!(smtp::decode_words("plain"), "plain");
}

/// Settings for SMTP at `port` on loopback with `security`.
fn smtp_config_secured(db: &TestDatabase, port: u16, security: &str) -> Config {
    let port = port.to_string();
    test_config(
        db,
        &[
            ("CAKAP_MAIL_TRANSPORT", "smtp"),
            ("CAKAP_SMTP_HOST", "127.0.0.1"),
            ("CAKAP_SMTP_PORT", &port),
            ("CAKAP_SMTP_SECURITY", security),
        ],
    )
}

/// One worker pass over one queued message with `security` against `sink` (which has no TLS):
/// the message's outbox row afterwards.
async fn one_pass(sink: &SmtpSink, security: &str) -> OutboxEntry {
    let tdb = TestDatabase::fresh();
    let config = smtp_config_secured(&tdb, sink.port(), security);
    let db = open(&tdb);
    let transport = Transport::from_config(&config).expect("the transport is set up");
    let id = enqueue(&db, mail("ani@example.go.id", "Rahasia dinas")).await;
    worker::run_once(&db, &transport, &config.mail.from, outbox::now())
        .await
        .unwrap();
    entry(&db, id).await
}

/// (issue 22, item 10) `smtp.security` is what the client does: `tls` speaks TLS from the first
/// byte; `starttls` asks for STARTTLS and never falls back to plain text (a server without it, or
/// refusing it, gets nothing); the mail stays queued with the error recorded for the retry.
#[tokio::test]
async fn smtp_security_tls_and_starttls_are_used_and_never_fall_back_to_plain_text() {
    // tls (port 465 style): the first bytes on the wire are a TLS handshake
    let sink = SmtpSink::start().await;
    let row = one_pass(&sink, "tls").await;
    assert_eq!(
        sink.tls_hellos(),
        1,
        "the client opened with a TLS handshake"
    );
    assert!(
        sink.commands().is_empty(),
        "no plain SMTP: {:?}",
        sink.commands()
    );
    assert!(sink.messages().is_empty());
    assert_eq!((row.sent_at, row.attempts), (None, 1), "still queued");
    assert!(row.last_error.is_some_and(|e| !e.is_empty()));

    // starttls, the server offers it: the client asks (and stops when it is refused)
    let sink = SmtpSink::start_offering_starttls().await;
    let row = one_pass(&sink, "starttls").await;
    let commands = sink.commands();
    assert!(
        commands.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS")),
        "{commands:?}"
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("MAIL FROM")),
        "no mail sent in plain text after the refusal: {commands:?}"
    );
    assert!(sink.messages().is_empty());
    assert_eq!((row.sent_at, row.attempts), (None, 1));
    let error = row.last_error.unwrap();
    assert!(
        error.contains("454") || error.to_lowercase().contains("tls"),
        "{error}"
    );

    // starttls, the server does not offer it: nothing goes out in plain text either
    let sink = SmtpSink::start().await;
    let row = one_pass(&sink, "starttls").await;
    assert!(sink.messages().is_empty(), "no downgrade to plain text");
    assert!(!sink
        .commands()
        .iter()
        .any(|c| c.to_ascii_uppercase().starts_with("MAIL FROM")));
    assert_eq!(row.sent_at, None);
    assert!(row.last_error.is_some());

    // and `none` against the same server delivers (the sink itself works)
    let sink = SmtpSink::start_offering_starttls().await;
    let row = one_pass(&sink, "none").await;
    assert!(row.sent_at.is_some(), "{row:?}");
    assert!(!sink
        .commands()
        .iter()
        .any(|c| c.eq_ignore_ascii_case("STARTTLS")));
}
