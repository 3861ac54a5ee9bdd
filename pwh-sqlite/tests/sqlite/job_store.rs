//! `SqliteStore` as a `JobStore`: the shared suite, many enqueues at once, and two stores on
//! one file (as two processes) claiming and fencing each other's jobs.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use pwh_core::delivery::{DeliveryId, StoreErrorKind};
use pwh_core::jobs::{JobEnd, JobId, JobQuery, JobState, JobStore, NewJob};
use pwh_core::testing::check_job_store;
use pwh_sqlite::{SqliteStore, Synchronous};

use crate::common::fresh_file;

/// Job `n` of `handler`, from a body of its own.
pub(crate) fn job(handler: &str, n: u32) -> NewJob {
    let body = DeliveryId::of("", format!("job body {n}").as_bytes());
    NewJob {
        id: JobId::of(&body, 0, handler),
        handler: handler.to_owned(),
        kind: "member_added".to_owned(),
        payload: format!(r#"{{"time_ms":1,"events":[{{"name":"member_added","n":{n}}}]}}"#)
            .into_bytes(),
        key: "key".to_owned(),
        index: 0,
        received_ms: 1_700_000_000_000,
        max_attempts: 3,
    }
}

fn all() -> JobQuery {
    JobQuery {
        limit: usize::MAX,
        ..JobQuery::default()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn keeps_every_promise_on_a_current_thread_runtime() {
    let (_dir, path) = fresh_file();
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.is_durable());
    check_job_store(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keeps_every_promise_on_a_multi_thread_runtime_with_full_sync() {
    let (_dir, path) = fresh_file();
    let store = SqliteStore::builder(&path)
        .synchronous(Synchronous::Full)
        .open()
        .unwrap();
    check_job_store(&store).await;
    // Twice on one file: the suite's handlers are fresh each run.
    check_job_store(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_enqueues_at_once_are_all_recorded_once() {
    let (_dir, path) = fresh_file();
    let store = SqliteStore::open(&path).unwrap();
    let jobs: Vec<NewJob> = (0..300).map(|n| job("app::many", n)).collect();
    // Each job enqueued by three webhooks at once (Pusher's retry and two copies).
    let asks = jobs
        .iter()
        .flat_map(|j| [std::slice::from_ref(j); 3])
        .map(|one| store.enqueue(one));
    for answer in join_all(asks).await {
        answer.expect("every enqueue is answered");
    }
    assert_eq!(store.counts().await.unwrap().pending, 300);
    let listed = store.list(&all()).await.unwrap();
    let ids: Vec<JobId> = listed.iter().map(|j| j.id).collect();
    let expected: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, expected, "listed oldest first, as enqueued");
}

#[tokio::test]
async fn a_job_claimed_by_one_store_is_not_claimed_by_another_and_stale_tokens_are_refused() {
    let (_dir, path) = fresh_file();
    let (a, b) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    let j = job("app::shared", 1);
    a.enqueue(std::slice::from_ref(&j)).await.unwrap();
    let short = Duration::from_millis(150);
    let first = a.claim(&["app::shared"], 10, short).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        b.claim(&["app::shared"], 10, short)
            .await
            .unwrap()
            .is_empty(),
        "b sees a's lease"
    );
    // a's worker dies; its lease runs out and b takes the job back.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = b
        .claim(&["app::shared"], 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempt, 2, "the cut attempt counts");
    assert!(
        second[0].lease > first[0].lease,
        "tokens grow across stores on one file"
    );
    let stale = a.end(&j.id, first[0].lease, JobEnd::Done).await;
    assert_eq!(
        stale.map_err(|e| e.kind()),
        Err(StoreErrorKind::LeaseLost),
        "a's stale token cannot end the job b retook"
    );
    let stale = JobStore::renew(&a, &j.id, first[0].lease, Duration::from_secs(30)).await;
    assert_eq!(stale.map_err(|e| e.kind()), Err(StoreErrorKind::LeaseLost));
    b.end(&j.id, second[0].lease, JobEnd::Done).await.unwrap();
    let listed = a.list(&all()).await.unwrap();
    assert_eq!(
        (listed[0].state, listed[0].attempts),
        (JobState::Done, 2),
        "a reads what b recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_from_two_stores_take_each_job_once() {
    let (_dir, path) = fresh_file();
    let (a, b) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    let jobs: Vec<NewJob> = (0..200).map(|n| job("app::race", n)).collect();
    a.enqueue(&jobs).await.unwrap();
    let lease = Duration::from_secs(30);
    let claims = (0..40).map(|n| {
        let store = if n % 2 == 0 { &a } else { &b };
        store.claim(&["app::race"], 7, lease)
    });
    let mut seen = HashSet::new();
    let mut tokens = HashSet::new();
    for claimed in join_all(claims).await {
        for c in claimed.unwrap() {
            assert!(seen.insert(c.job.id), "{} claimed twice", c.job.id);
            assert!(tokens.insert(c.lease), "one token per claim");
            assert_eq!(c.attempt, 1);
        }
    }
    assert_eq!(seen.len(), 200, "40 claims of 7 take the 200 jobs");
    assert_eq!(b.counts().await.unwrap().running, 200);
}
