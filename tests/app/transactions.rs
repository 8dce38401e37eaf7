//! `cakap::db::transaction`, the one way Cakap opens a transaction, on the backend the
//! environment selects: commit, rollback, savepoints, and — the reason it exists — concurrent
//! read-then-write transactions that never fail with "database is locked" on SQLite.

use crate::common::TestDatabase;
use cakap::db::{self, pool, settings, DatabaseUrl, DbConnection, DbError};
use diesel::connection::SimpleConnection;

fn connect(db: &TestDatabase) -> DbConnection {
    let url = DatabaseUrl::parse(&db.url).expect("test database URL");
    db::migrate(&url).expect("migrations apply");
    pool::connect(&url, false).expect("connect")
}

#[test]
fn commits_on_ok_rolls_back_on_err_and_nests_as_savepoints() {
    let tdb = TestDatabase::fresh();
    let mut conn = connect(&tdb);

    db::transaction(&mut conn, |c| settings::put(c, "t.kept", "1")).unwrap();
    assert_eq!(
        settings::get(&mut conn, "t.kept").unwrap().as_deref(),
        Some("1")
    );

    let failed: Result<(), DbError> = db::transaction(&mut conn, |c| {
        settings::put(c, "t.dropped", "1")?;
        Err(DbError::Internal("the caller changed its mind".into()))
    });
    assert!(failed.is_err());
    assert_eq!(settings::get(&mut conn, "t.dropped").unwrap(), None);

    // An inner failure undoes only the inner work; the outer transaction goes on and commits.
    db::transaction(&mut conn, |c| {
        settings::put(c, "t.outer", "1")?;
        let inner: Result<(), DbError> = db::transaction(c, |c| {
            settings::put(c, "t.inner", "1")?;
            Err(DbError::Internal("inner fails".into()))
        });
        assert!(inner.is_err());
        Ok::<_, DbError>(())
    })
    .unwrap();
    assert_eq!(
        settings::get(&mut conn, "t.outer").unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(settings::get(&mut conn, "t.inner").unwrap(), None);

    // The connection is usable again after all of that.
    db::transaction(&mut conn, |c| settings::put(c, "t.after", "1")).unwrap();
}

#[test]
fn concurrent_read_then_write_transactions_all_succeed() {
    let tdb = TestDatabase::fresh();
    let url = DatabaseUrl::parse(&tdb.url).unwrap();
    settings::put(&mut connect(&tdb), "t.counter", "start").unwrap();
    const THREADS: usize = 6;
    const EACH: usize = 25;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = pool::connect(&url, false).expect("connect");
                for i in 0..EACH {
                    // Read first, then write: a deferred SQLite transaction would hold a read
                    // snapshot here and fail to upgrade when another thread wrote meanwhile.
                    db::transaction(&mut conn, |c| {
                        let _ = settings::get(c, "t.counter")?;
                        std::thread::yield_now();
                        settings::put(c, &format!("t.{t}.{i}"), "x")?;
                        settings::put(c, "t.counter", &format!("{t}.{i}"))
                    })
                    .unwrap_or_else(|e| panic!("thread {t}, transaction {i}: {e}"));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no transaction failed");
    }
    let mut conn = pool::connect(&url, false).unwrap();
    for t in 0..THREADS {
        for i in 0..EACH {
            assert!(settings::get(&mut conn, &format!("t.{t}.{i}"))
                .unwrap()
                .is_some());
        }
    }
}

#[test]
fn sqlite_transactions_take_the_write_lock_up_front() {
    let tdb = TestDatabase::sqlite();
    let mut a = connect(&tdb);
    let url = DatabaseUrl::parse(&tdb.url).unwrap();
    let mut b = pool::connect(&url, false).unwrap();
    b.batch_execute("PRAGMA busy_timeout = 0").unwrap();

    db::transaction(&mut a, |a| {
        // Only a read so far, yet another connection cannot write until this one ends.
        let _ = settings::get(a, "t.any")?;
        let other = settings::put(&mut b, "t.other", "1");
        assert!(
            other.is_err(),
            "a second writer got in while the transaction was open"
        );
        Ok::<_, DbError>(())
    })
    .unwrap();
    settings::put(&mut b, "t.other", "1").expect("the lock is released at commit");
}

#[test]
fn servers_writing_the_same_new_setting_at_once_do_not_fail() {
    let tdb = TestDatabase::fresh();
    let url = DatabaseUrl::parse(&tdb.url).unwrap();
    drop(connect(&tdb));
    for round in 0..5 {
        let key = format!("t.race.{round}");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (url, key, barrier) = (url.clone(), key.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut conn = pool::connect(&url, false).expect("connect");
                    barrier.wait();
                    settings::put(&mut conn, &key, &format!("server {t}"))
                        .unwrap_or_else(|e| panic!("server {t}: {e}"));
                })
            })
            .collect();
        for h in handles {
            h.join().expect("no put failed");
        }
        let value = settings::get(&mut pool::connect(&url, false).unwrap(), &key).unwrap();
        assert!(value.is_some_and(|v| v.starts_with("server ")));
    }
}

#[test]
fn a_sqlite_connection_opened_while_another_writes_waits_instead_of_failing() {
    let tdb = TestDatabase::sqlite();
    let mut writer = connect(&tdb);
    let url = DatabaseUrl::parse(&tdb.url).unwrap();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        db::transaction(&mut writer, |c| {
            settings::put(c, "t.hold", "1")?;
            locked_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            Ok::<_, DbError>(())
        })
        .unwrap();
    });
    locked_rx.recv().unwrap();
    // the write lock is held: opening a connection (its pragmas) must wait for it
    let mut late = pool::connect(&url, false).expect("a new connection waits for the writer");
    holder.join().unwrap();
    assert_eq!(
        settings::get(&mut late, "t.hold").unwrap().as_deref(),
        Some("1")
    );
}
