//! The `cakap` command as an operator meets it: help, version, migrate, and start-up errors.

mod common;

use std::process::{Command, Output};

use common::TestDatabase;

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
