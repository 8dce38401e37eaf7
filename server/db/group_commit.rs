//! Group commit for SQLite: many transactions, one flush to disk.
//!
//! With `synchronous = FULL` every commit flushes the write-ahead log itself, about a millisecond
//! on an ordinary disk, and commits queue behind each other's flushes: a ceiling of about a
//! thousand acknowledged writes a second. Instead, [`crate::db::transaction`] commits with
//! `synchronous = NORMAL` (the log is written to the operating system, not yet flushed), takes a
//! ticket, lets the next writer in, and then waits here until a flush of the log that started
//! after its commit has finished. One thread flushes on behalf of everyone waiting; the others
//! sleep until it is done. Nothing is acknowledged before it is on disk, as with `FULL`; the next
//! writers simply do not wait for each other's flushes, and one flush covers all of them.
//!
//! PostgreSQL does this by itself (concurrent commits share WAL flushes).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

/// The write-ahead log of one database file, and how far it is known to be on disk.
pub struct WalSync {
    wal: PathBuf,
    state: Mutex<State>,
    flushed: Condvar,
}

#[derive(Default)]
struct State {
    /// Tickets handed out: commits whose log frames the operating system has.
    committed: u64,
    /// Every ticket up to this one is on disk.
    durable: u64,
    /// A thread is flushing now.
    flushing: bool,
    /// The log file, opened once (and again if it was replaced), with its (device, inode).
    file: Option<(File, (u64, u64))>,
    /// Flushes done (for tests and curiosity).
    flushes: u64,
}

impl WalSync {
    /// The group-commit state of the SQLite database at `db_file`, shared by every connection of
    /// this process to it. `None` when the database has no write-ahead log to flush (an in-memory
    /// database, or a file not in WAL mode): its transactions keep `synchronous = FULL`.
    pub fn of(db_file: &str) -> Option<&'static WalSync> {
        use std::collections::HashMap;
        static ALL: OnceLock<Mutex<HashMap<String, &'static WalSync>>> = OnceLock::new();
        if db_file.is_empty() {
            return None;
        }
        let mut wal = PathBuf::from(db_file).into_os_string();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        if !wal.is_file() {
            return None;
        }
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        Some(*all.entry(db_file.to_string()).or_insert_with(|| {
            Box::leak(Box::new(WalSync {
                wal,
                state: Mutex::new(State::default()),
                flushed: Condvar::new(),
            }))
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A commit has just been written (call it while still holding the writer's turn, so that
    /// tickets follow the order of the log). Returns the commit's ticket.
    pub fn committed(&self) -> u64 {
        let mut s = self.lock();
        s.committed += 1;
        s.committed
    }

    /// Wait until the commit with `ticket` is on disk, flushing the log if nobody else is.
    pub fn wait_durable(&self, ticket: u64) -> std::io::Result<()> {
        let mut s = self.lock();
        loop {
            if s.durable >= ticket {
                return Ok(());
            }
            if s.flushing {
                s = self.flushed.wait(s).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // this thread flushes for everyone committed so far
            s.flushing = true;
            let target = s.committed;
            let file = s.file.take();
            drop(s);
            let result = open_current(&self.wal, file).and_then(|(f, id)| {
                f.sync_data()?;
                Ok((f, id))
            });
            s = self.lock();
            s.flushing = false;
            s.flushes += 1;
            let outcome = match result {
                Ok(file) => {
                    s.file = Some(file);
                    s.durable = s.durable.max(target);
                    Ok(())
                }
                Err(e) => Err(e),
            };
            self.flushed.notify_all();
            outcome?;
        }
    }

    /// Flushes done so far.
    pub fn flushes(&self) -> u64 {
        self.lock().flushes
    }
}

/// The log file as it is now: `held` if it is still the same file, else opened afresh (SQLite
/// deletes the log when the last connection closes, and a new one may have been made since).
fn open_current(
    wal: &Path,
    held: Option<(File, (u64, u64))>,
) -> std::io::Result<(File, (u64, u64))> {
    let now = id_of(&std::fs::metadata(wal)?);
    if let Some((f, id)) = held {
        if id == now {
            return Ok((f, id));
        }
    }
    let f = File::open(wal)?;
    let id = id_of(&f.metadata()?);
    Ok((f, id))
}

#[cfg(unix)]
fn id_of(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn id_of(m: &std::fs::Metadata) -> (u64, u64) {
    (m.len(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with_wal() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::write(dir.path().join("x.db-wal"), b"frames").unwrap();
        let name = db.to_string_lossy().into_owned();
        (dir, name)
    }

    #[test]
    fn no_log_no_group_commit() {
        assert!(WalSync::of("").is_none());
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("plain.db");
        std::fs::write(&db, b"").unwrap();
        assert!(WalSync::of(&db.to_string_lossy()).is_none());
    }

    #[test]
    fn one_state_per_file_and_every_commit_waits_for_a_flush() {
        let (_dir, db) = db_with_wal();
        let sync = WalSync::of(&db).unwrap();
        assert!(std::ptr::eq(sync, WalSync::of(&db).unwrap()));
        let t = sync.committed();
        assert_eq!(sync.flushes(), 0);
        sync.wait_durable(t).unwrap();
        assert_eq!(sync.flushes(), 1);
        // already on disk: no second flush
        sync.wait_durable(t).unwrap();
        assert_eq!(sync.flushes(), 1);
    }

    #[test]
    fn concurrent_commits_share_flushes() {
        let (_dir, db) = db_with_wal();
        let sync = WalSync::of(&db).unwrap();
        let threads: Vec<_> = (0..16)
            .map(|_| {
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let t = sync.committed();
                        sync.wait_durable(t).unwrap();
                        assert!(sync.lock().durable >= t);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let s = sync.lock();
        assert_eq!(s.committed, 800);
        assert_eq!(s.durable, 800);
    }

    #[test]
    fn one_flush_covers_every_commit_before_it() {
        let (_dir, db) = db_with_wal();
        let sync = WalSync::of(&db).unwrap();
        let tickets: Vec<u64> = (0..3).map(|_| sync.committed()).collect();
        sync.wait_durable(tickets[2]).unwrap();
        sync.wait_durable(tickets[0]).unwrap();
        sync.wait_durable(tickets[1]).unwrap();
        assert_eq!(sync.flushes(), 1);
    }

    #[test]
    fn a_replaced_log_is_opened_again() {
        let (dir, db) = db_with_wal();
        let sync = WalSync::of(&db).unwrap();
        let t = sync.committed();
        sync.wait_durable(t).unwrap();
        let before = sync.lock().file.as_ref().map(|f| f.1);
        let wal = dir.path().join("x.db-wal");
        // a new file (a new inode) in its place
        let new = dir.path().join("x.db-wal.new");
        std::fs::write(&new, b"new frames").unwrap();
        std::fs::rename(&new, &wal).unwrap();
        let t = sync.committed();
        sync.wait_durable(t).unwrap();
        let after = sync.lock().file.as_ref().map(|f| f.1);
        assert_ne!(before, after);
        // and a missing log is an error, not a silent success
        std::fs::remove_file(&wal).unwrap();
        let t = sync.committed();
        assert!(sync.wait_durable(t).is_err());
    }
}
