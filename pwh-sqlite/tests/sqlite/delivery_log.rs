//! `SqliteStore` as a `DeliveryLog`: the shared suite, grouped commits, the purge.

use futures_util::future::join_all;
use pwh_core::delivery::{Begin, DeliveryId, DeliveryLog, Done, LeaseTerms};
use pwh_core::testing::check_delivery_log;
use pwh_sqlite::{SqliteStore, Synchronous};
use std::time::Duration;

use crate::common::{fresh_file, leased, terms};

#[tokio::test(flavor = "current_thread")]
async fn keeps_every_promise_on_a_current_thread_runtime() {
    let (_dir, path) = fresh_file();
    check_delivery_log(&SqliteStore::open(&path).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keeps_every_promise_on_a_multi_thread_runtime_with_full_sync() {
    let (_dir, path) = fresh_file();
    let log = SqliteStore::builder(&path)
        .synchronous(Synchronous::Full)
        .open()
        .unwrap();
    check_delivery_log(&log).await;
    // Twice on one file: the suite's ids are fresh each run.
    check_delivery_log(&log).await;
}

fn id(n: u32) -> DeliveryId {
    DeliveryId::of("", format!("body {n}").as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_requests_are_all_answered_and_each_body_leased_once() {
    let (_dir, path) = fresh_file();
    let log = SqliteStore::open(&path).unwrap();
    // 250 bodies, each asked for 4 times at once: 1,000 requests in flight.
    let ids: Vec<DeliveryId> = (0..250).flat_map(|n| [id(n); 4]).collect();
    let begun = join_all(ids.iter().map(|id| log.begin(id, terms()))).await;
    let mut leases = Vec::new();
    for (chunk, ids) in begun.chunks(4).zip(ids.chunks(4)) {
        let runs: Vec<_> = chunk
            .iter()
            .filter_map(|b| match b {
                Ok(Begin::Run { lease, .. }) => Some(*lease),
                Ok(_) => None,
                Err(e) => panic!("every request is answered: {e}"),
            })
            .collect();
        assert_eq!(runs.len(), 1, "one lease per body: {chunk:?}");
        let busy = chunk
            .iter()
            .filter(|b| matches!(b, Ok(Begin::Busy)))
            .count();
        assert_eq!(busy, 3, "the other copies are busy: {chunk:?}");
        leases.push((ids[0], runs[0]));
    }
    let mut tokens: Vec<_> = leases.iter().map(|(_, lease)| *lease).collect();
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(tokens.len(), 250, "every lease has a token of its own");

    let finished = join_all(
        leases
            .iter()
            .map(|(id, lease)| log.finish(id, *lease, Done::first(&[]))),
    )
    .await;
    assert!(finished.iter().all(Result::is_ok), "{finished:?}");
    let again = join_all(leases.iter().map(|(id, _)| log.begin(id, terms()))).await;
    assert!(
        again.iter().all(|b| matches!(b, Ok(Begin::Complete))),
        "every record was committed: {again:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn bodies_past_keep_for_are_purged_from_the_file() {
    let (_dir, path) = fresh_file();
    let log = SqliteStore::open(&path).unwrap();
    let short = LeaseTerms::new(
        Duration::from_secs(30),
        Duration::from_millis(100),
        Duration::from_secs(5),
    );
    let (done, held) = (id(1), id(2));
    let (lease, _) = leased(log.begin(&done, short).await.unwrap(), "a short-lived body");
    log.finish(&done, lease, Done::first(&[(0, "a")]))
        .await
        .unwrap();
    leased(log.begin(&held, short).await.unwrap(), "a body still held");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        log.purge_deliveries().await,
        Ok(1),
        "the body no delivery holds"
    );
    let conn = rusqlite_count(&path);
    assert_eq!(
        conn,
        (1, 0),
        "its pairs left went with it; the held one stays"
    );
}

/// The rows of the body table and of the pairs left, read by another connection.
fn rusqlite_count(path: &std::path::Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let count = |table: &str| {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    (count("pwh_delivery"), count("pwh_delivery_left"))
}

#[tokio::test(flavor = "current_thread")]
async fn renewals_are_answered_while_the_apps_runtime_is_blocked() {
    let (_dir, path) = fresh_file();
    let log = SqliteStore::open(&path).unwrap();
    let body = id(7);
    let (lease, _) = leased(log.begin(&body, terms()).await.unwrap(), "a delivery");
    let handle = log.renewal_handle().expect("a handle for the renewer");
    // The renewer's own thread and runtime, while this runtime's only worker is blocked.
    let renewed = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(handle.renew(&body, lease, terms()))
    })
    .join()
    .unwrap();
    assert_eq!(renewed, Ok(true));
}

#[tokio::test(flavor = "current_thread")]
async fn a_request_never_polled_does_nothing() {
    let (_dir, path) = fresh_file();
    let log = SqliteStore::open(&path).unwrap();
    let body = id(9);
    // The dispatcher looks at a store's answer once before awaiting it, and drops it if it
    // is not ready: that look must not take a lease.
    drop(log.begin(&body, terms()));
    leased(log.begin(&body, terms()).await.unwrap(), "the body is free");
}
