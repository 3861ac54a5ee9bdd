//! A step of [`check_job_store`](super::check_job_store): purges and the retry of every dead
//! job reach every job, however many (a store may change them in passes).

use std::time::Duration;

use super::job_store::{fresh_handler, job};
use crate::jobs::{JobEnd, JobQuery, JobState, JobStore, NewJob};

/// More jobs than one pass of a store changes (1,000 for `pwh-sqlite` and `pwh-redis`).
const JOBS: u32 = 2_500;

/// `JOBS` jobs of a fresh handler, half ended done and half dead; `retry(None)` makes every
/// dead one pending, `purge` deletes every done one.
pub(super) async fn bulk_changes_reach_every_job<S: JobStore + ?Sized>(store: &S) {
    let handler = fresh_handler();
    let jobs: Vec<NewJob> = (0..JOBS).map(|n| job(&handler, n, 3)).collect();
    store.enqueue(&jobs).await.expect("enqueue");
    let mut claimed = Vec::new();
    while claimed.len() < jobs.len() {
        let more = store
            .claim(&[&handler], jobs.len(), Duration::from_secs(60))
            .await
            .expect("claim");
        assert!(!more.is_empty(), "every job is due");
        claimed.extend(more);
    }
    for (n, job) in claimed.iter().enumerate() {
        let end = if n % 2 == 0 {
            JobEnd::Done
        } else {
            JobEnd::Dead {
                error: "failed for good".to_owned(),
            }
        };
        store.end(&job.job.id, job.lease, end).await.expect("end");
    }
    assert_eq!(
        ours(store, &handler, JobState::Dead).await,
        JOBS as usize / 2
    );
    let retried = store.retry(None).await.expect("retry every dead job");
    assert!(retried >= u64::from(JOBS / 2), "{retried} retried");
    assert_eq!(ours(store, &handler, JobState::Dead).await, 0);
    assert_eq!(
        ours(store, &handler, JobState::Pending).await,
        JOBS as usize / 2
    );
    let purged = store.purge(JobState::Done, Duration::ZERO).await;
    assert!(purged.expect("purge") >= u64::from(JOBS / 2));
    assert_eq!(ours(store, &handler, JobState::Done).await, 0);
}

/// How many jobs of `handler` are in `state`.
async fn ours<S: JobStore + ?Sized>(store: &S, handler: &str, state: JobState) -> usize {
    let query = JobQuery {
        state: Some(state),
        limit: usize::MAX,
        with_payload: false,
    };
    let listed = store.list(&query).await.expect("list");
    listed.iter().filter(|job| job.handler == handler).count()
}
