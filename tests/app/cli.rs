//! The `cakap` command as an operator meets it: help, version, migrate, and start-up errors.

use crate::common;
use crate::common::fixtures::Person;

use std::process::{Command, Output};

use crate::common::TestDatabase;

fn cakap(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cakap"));
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAKAP_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("cakap runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn version_and_help_speak_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let out = cakap(dir.path(), &[], &["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("cakap {}", cakap::VERSION)
    );
    let out = cakap(dir.path(), &[], &["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("serve") && help.contains("migrate"), "{help}");
    let out = cakap(dir.path(), &[], &["serve", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Start the web server"));
}

#[test]
fn a_malformed_database_url_is_one_clear_line_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "postgres//localhost/cakap",
        "mysql://localhost/cakap",
        "cakap",
    ] {
        let out = cakap(dir.path(), &[("CAKAP_DATABASE_URL", bad)], &["serve"]);
        assert!(!out.status.success(), "{bad}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{bad}: {err}");
        assert!(err.contains("CAKAP_DATABASE_URL"), "{bad}: {err}");
        assert!(
            files_under(dir.path()).is_empty(),
            "{bad}: {:?}",
            files_under(dir.path())
        );
    }
}

#[test]
fn a_postgres_server_that_is_down_is_named_and_no_sqlite_file_appears() {
    let dir = tempfile::tempdir().unwrap();
    let out = cakap(
        dir.path(),
        &[(
            "CAKAP_DATABASE_URL",
            "postgres://cakap:rahasia@127.0.0.1:1/cakap",
        )],
        &["serve"],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("PostgreSQL"), "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("rahasia"), "the password leaked: {err}");
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
}

#[test]
fn a_bad_setting_names_the_setting_and_the_accepted_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = cakap(dir.path(), &[("CAKAP_BIND", "semua")], &["serve"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("CAKAP_BIND") && err.contains("127.0.0.1:8080"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("cakap.toml"),
        "bind = \"127.0.0.1:8080\"\nbsae_url = \"x\"\n",
    )
    .unwrap();
    let out = cakap(dir.path(), &[], &["serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `base_url`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn migrate_applies_once_then_reports_up_to_date() {
    let db = TestDatabase::fresh();
    let env = [
        ("CAKAP_DATABASE_URL", db.url.as_str()),
        ("CAKAP_LOG", "warn"),
    ];
    let out = cakap(db.dir(), &env, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Applied"), "{stdout}");
    let out = cakap(db.dir(), &env, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
}

/// `cakap serve` stopped with SIGTERM (as systemd or a container runtime stops it) lets a request
/// already in flight finish, then exits cleanly. The slow request is a login on an account under
/// attack: after 11 failures it waits 1 s before its password is checked (README "Limits").
#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    use cakap::db::schema::rate_limits;
    use diesel::prelude::*;
    use std::time::{Duration, Instant};

    let db = TestDatabase::fresh();
    let courses = tempfile::tempdir().unwrap();
    std::fs::write(courses.path().join("competencies.toml"), "").unwrap();
    let mut server =
        common::serve::Served::start(&db, courses.path(), &[("CAKAP_TRUSTED_PROXIES", "1")]);
    server.ready().await;
    let mut conn =
        cakap::db::pool::connect(&cakap::db::DatabaseUrl::parse(&db.url).unwrap(), false).unwrap();
    const PW: &str = "Berhenti-Pelan-2026";
    Person::new("rina@kab.go.id")
        .name("Rina Wulandari")
        .password(PW)
        .insert(&mut conn);
    let attempt = |pw: &'static str, from: String| {
        let url = format!("{}/api/v1/auth/token", server.base);
        async move {
            reqwest::Client::new()
                .post(url)
                .header("X-Forwarded-For", from)
                .json(&serde_json::json!({"email": "rina@kab.go.id", "password": pw}))
                .send()
                .await
        }
    };
    // 11 failures, from three addresses (each within its own limit of 5)
    for i in 0..11 {
        let r = attempt("salah-tebak", format!("203.0.113.{}", i / 4))
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    // the owner's login: counted at once, answered after a 1-second wait
    let in_flight = tokio::spawn(attempt(PW, "198.51.100.7".into()));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counts: Vec<(String, i32)> = rate_limits::table
            .select((rate_limits::key, rate_limits::count))
            .load(&mut conn)
            .unwrap();
        if counts
            .iter()
            .any(|(k, c)| k.starts_with("login:acct:") && *c == 12)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the login never arrived: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.terminate();
    let resp = in_flight
        .await
        .unwrap()
        .expect("the in-flight request is answered, not cut off");
    assert_eq!(resp.status(), 200, "the login completes after SIGTERM");
    let token: serde_json::Value = resp.json().await.unwrap();
    assert!(token["token"].is_string(), "{token}");
    let status = server
        .exited_within(Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("still running after SIGTERM:\n{}", server.log()));
    assert!(status.success(), "{status:?}\n{}", server.log());
}
