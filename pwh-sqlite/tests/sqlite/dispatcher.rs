//! Dispatchers over `SqliteStore`, end to end: the memory across a restart, and two instances
//! sharing one file (their memory and their workers).

use std::time::Duration;

use pwh_core::testing::TestWebhook;
use pwh_sqlite::SqliteStore;

use crate::common::{fresh_file, harness};
use pwh_core::testing::Counted;

/// Each phase of the suite opens the file anew (the app restarted), and two instances open
/// it at once: the memory survives restarts and is shared by the processes of one machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_survives_a_restart_and_two_instances_on_one_file_run_a_body_once() {
    let (_dir, path) = fresh_file();
    pwh_core::testing::check_shared_delivery(|| SqliteStore::open(&path).unwrap()).await;
}

/// Two instances' workers on one file: a job running for three leases runs once, its lease
/// renewed by the thread that keeps the running jobs' leases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_workers_run_a_job_longer_than_its_lease_once() {
    let (_dir, path) = fresh_file();
    pwh_core::testing::check_shared_jobs(|| SqliteStore::open(&path).unwrap()).await;
}

#[tokio::test]
async fn a_body_that_cannot_be_recorded_is_answered_503_and_runs_nothing() {
    let (_dir, path) = fresh_file();
    let handler = Counted::new("app::h");
    let log = SqliteStore::builder(&path)
        .busy_timeout(Duration::from_millis(50))
        .open()
        .unwrap();
    let app = harness(log, &[&handler]);
    // Another process holds the file's write lock for longer than the busy timeout.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let hook = TestWebhook::new().channel_occupied("news");
    let refused = app.deliver(hook.clone()).await;
    assert_eq!(refused.status(), 503);
    let error = refused
        .response()
        .outcome()
        .and_then(|o| o.store_error().cloned());
    let error = error.expect("the store's error");
    assert_eq!(
        error.kind(),
        pwh_core::delivery::StoreErrorKind::TimedOut,
        "{error}"
    );
    assert!(error.message().contains("busy timeout"), "{error}");
    assert_eq!(handler.calls(), 0);
    // Once the lock is released, Pusher's retry runs it.
    other.execute_batch("ROLLBACK").unwrap();
    app.deliver(hook).await.assert_ok();
    assert_eq!(handler.calls(), 1);
}
