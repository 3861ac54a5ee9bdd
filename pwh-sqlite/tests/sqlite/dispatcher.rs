//! Dispatchers over `SqliteStore`, end to end: the memory across a restart, and two instances
//! sharing one file.

use std::time::Duration;

use pwh_core::testing::TestWebhook;
use pwh_sqlite::SqliteStore;

use crate::common::{fresh_file, harness, Counted};

#[tokio::test]
async fn the_memory_survives_a_restart() {
    let (_dir, path) = fresh_file();
    let (steady, flaky) = (
        Counted::new("app::steady"),
        Counted::new("app::flaky").failing_once(),
    );
    let hook = TestWebhook::new()
        .channel_occupied("news")
        .member_added("presence-room", "7");

    // First run of the app: flaky fails.
    let app = harness(SqliteStore::open(&path).unwrap(), &[&steady, &flaky]);
    let first = app.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    assert_eq!(first.events_of("app::steady"), [0, 1]);
    drop(app);

    // Restarted: the retry runs only what failed.
    let app = harness(SqliteStore::open(&path).unwrap(), &[&steady, &flaky]);
    let retry = app.deliver(hook.clone()).await;
    retry.assert_ok();
    assert!(
        retry.events_of("app::steady").is_empty(),
        "steady already succeeded"
    );
    assert_eq!(
        retry.events_of("app::flaky"),
        [0],
        "only the event it failed on"
    );
    drop(app);

    // Restarted again: the same body is a replay and runs nothing.
    let app = harness(SqliteStore::open(&path).unwrap(), &[&steady, &flaky]);
    let replay = app.deliver(hook).await;
    replay.assert_ok();
    assert!(replay.response().outcome().is_some_and(|o| o.is_replay()));
    assert!(replay.runs().is_empty());
    assert_eq!((steady.calls(), flaky.calls()), (2, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_file_run_a_body_delivered_to_both_at_once_once() {
    let (_dir, path) = fresh_file();
    let slow = Counted::new("app::slow").taking(Duration::from_millis(300));
    // Two logs, two connections, two writer threads: as two processes of one app.
    let one = harness(SqliteStore::open(&path).unwrap(), &[&slow]);
    let two = harness(SqliteStore::open(&path).unwrap(), &[&slow]);
    let hook = TestWebhook::new()
        .channel_vacated("news")
        .channel_vacated("sport");

    let (a, b) = tokio::join!(one.deliver(hook.clone()), two.deliver(hook.clone()));
    a.assert_ok();
    b.assert_ok();
    assert_eq!(
        slow.calls(),
        2,
        "each of the two events handled once in all"
    );
    let replays = [&a, &b]
        .iter()
        .filter(|d| d.response().outcome().is_some_and(|o| o.is_replay()))
        .count();
    assert_eq!(replays, 1, "one ran it, the other waited and found it done");

    let again = two.deliver(hook).await;
    again.assert_ok();
    assert!(again.runs().is_empty());
    assert_eq!(slow.calls(), 2);
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
