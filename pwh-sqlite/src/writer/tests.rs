//! The writer's promises: grouped commits, a failed request fails alone, answers after the
//! commit, a full queue refuses at once.

use std::sync::mpsc as std_mpsc;

use futures_util::FutureExt;

use super::*;

/// A writer on a fresh file with one table `t (x INTEGER PRIMARY KEY)`.
fn writer(queue_limit: usize) -> (Writer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("writer.sqlite");
    let conn = Connection::open(&path).unwrap();
    // Short: one test waits for another connection's lock to run out.
    conn.busy_timeout(Duration::from_millis(50)).unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        .unwrap();
    (
        Writer::spawn(conn, &path, queue_limit, Vec::new()).unwrap(),
        dir,
    )
}

fn insert(x: i64) -> impl FnOnce(&Tx<'_>) -> Result<i64, RequestError> + Send {
    move |tx| {
        tx.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
        Ok(x)
    }
}

fn rows(writer: &Writer) -> Vec<i64> {
    let conn = Connection::open(writer.path()).unwrap();
    let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

/// A request that holds the writer until `release` is sent, after saying it started.
fn blocker(
    writer: &Writer,
) -> (
    impl Future<Output = Result<i64, StoreError>>,
    std_mpsc::Receiver<()>,
    std_mpsc::Sender<()>,
) {
    let (started_tx, started) = std_mpsc::channel();
    let (release, released) = std_mpsc::channel::<()>();
    let call = writer.call(move |tx| {
        tx.execute("INSERT INTO t (x) VALUES (0)", [])?;
        let _ = started_tx.send(());
        let _ = released.recv();
        Ok(0)
    });
    (call, started, release)
}

/// Polls `call` once, which queues it; the future to await later.
fn queued<F: Future + Unpin>(mut call: F) -> F {
    assert!(
        (&mut call).now_or_never().is_none(),
        "answered before the commit"
    );
    call
}

#[tokio::test]
async fn the_requests_queued_meanwhile_share_one_commit_and_a_failure_fails_alone() {
    let (writer, _dir) = writer(16);
    let (first, started, release) = blocker(&writer);
    let first = queued(Box::pin(first));
    started.recv().unwrap();
    // While the writer runs the first batch, three requests queue up.
    let a = queued(Box::pin(writer.call(insert(1))));
    let failing = queued(Box::pin(writer.call(|tx| {
        tx.execute("INSERT INTO t (x) VALUES (100)", [])?;
        // A duplicate key: this statement fails, and so does this request, alone.
        tx.execute("INSERT INTO t (x) VALUES (1)", [])?;
        Ok(100)
    })));
    let b = queued(Box::pin(writer.call(insert(2))));
    release.send(()).unwrap();
    assert_eq!(first.await, Ok(0));
    assert_eq!(a.await, Ok(1));
    let error = failing.await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Failed);
    assert!(error.message().contains("UNIQUE"), "{error}");
    assert!(
        error.message().contains("writer.sqlite"),
        "names the file: {error}"
    );
    assert_eq!(b.await, Ok(2));
    assert_eq!(
        writer.commits(),
        2,
        "one commit for the three queued requests"
    );
    assert_eq!(
        rows(&writer),
        [0, 1, 2],
        "the failed request's first insert is undone"
    );
}

#[tokio::test]
async fn a_panicking_request_is_answered_with_an_error_and_the_writer_goes_on() {
    let (writer, _dir) = writer(16);
    let panicked = writer
        .call(|tx| -> Result<(), RequestError> {
            tx.execute("INSERT INTO t (x) VALUES (5)", [])?;
            panic!("a bug in a request");
        })
        .await
        .unwrap_err();
    assert!(panicked.message().contains("panicked"), "{panicked}");
    assert_eq!(writer.call(insert(6)).await, Ok(6));
    assert_eq!(rows(&writer), [6]);
}

#[tokio::test]
async fn a_full_queue_refuses_at_once() {
    let (writer, _dir) = writer(1);
    let (first, started, release) = blocker(&writer);
    let first = queued(Box::pin(first));
    started.recv().unwrap();
    let waiting = queued(Box::pin(writer.call(insert(1))));
    let refused = writer.call(insert(2)).await.unwrap_err();
    assert_eq!(refused.kind(), StoreErrorKind::Full);
    assert!(refused.message().contains("queue_limit"), "{refused}");
    release.send(()).unwrap();
    assert_eq!(first.await, Ok(0));
    assert_eq!(waiting.await, Ok(1));
}

#[tokio::test]
async fn a_batch_that_cannot_begin_fails_every_request_with_the_reason() {
    let (writer, _dir) = writer(16);
    // Another connection holds the write lock past the busy timeout .
    let other = Connection::open(writer.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let error = writer.call(insert(1)).await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::TimedOut, "{error}");
    assert!(error.message().contains("busy timeout"), "{error}");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(writer.call(insert(1)).await, Ok(1));
}

#[test]
fn dropping_the_writer_ends_its_thread_after_what_was_queued() {
    let (writer, _dir) = writer(16);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let call = queued(Box::pin(writer.call(insert(3))));
    let path = writer.path().to_owned();
    drop(writer);
    assert_eq!(
        runtime.block_on(call),
        Ok(3),
        "answered before the thread ended"
    );
    let conn = Connection::open(path).unwrap();
    let x: i64 = conn.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(x, 3);
}
