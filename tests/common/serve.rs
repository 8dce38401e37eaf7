//! The real `cakap serve` binary as a child process, for tests that need a whole server process:
//! killing it (crash durability) or running two on one database.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TestDatabase;

/// A free port on loopback (free when asked; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Served {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl Served {
    /// `cakap serve` on `db`, with its data folder (keys, mail files) in the database's folder so
    /// that servers on one database share it, the courses of `courses`, and `extra` settings.
    pub fn start(db: &TestDatabase, courses: &std::path::Path, extra: &[(&str, &str)]) -> Served {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = db.dir().join(format!("serve-{port}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cakap"));
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAKAP_")) {
            cmd.env_remove(k);
        }
        cmd.arg("serve")
            .env("CAKAP_DATABASE_URL", &db.url)
            .env("CAKAP_DATA_DIR", db.dir().join("data"))
            .env("CAKAP_BIND", format!("127.0.0.1:{port}"))
            .env("CAKAP_BASE_URL", &base)
            .env("CAKAP_COURSES_DIR", courses)
            .env("CAKAP_WORKERS", "2")
            .env("CAKAP_LOG", "warn");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("cakap serve starts");
        Served { child, base, log }
    }

    /// Wait until `/healthz` answers 200; fail with the server's log otherwise.
    pub async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/healthz", self.base)).await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "cakap serve at {} did not become healthy:\n{}",
            self.base,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// SIGTERM: the stop signal a service manager sends (a graceful stop).
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "SIGTERM sent");
    }

    /// Wait (polling) until the process has exited; its exit status, or `None` after `limit`.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no flushing, as if the machine lost power to the process.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
