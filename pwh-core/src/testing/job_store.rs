//! The promises of a [`JobStore`], as one suite that every store runs.

use std::time::Duration;

use crate::delivery::StoreErrorKind;
use crate::jobs::{ClaimedJob, JobEnd, JobId, JobInfo, JobQuery, JobState, JobStore, NewJob};
use crate::testing::delivery_log::fresh_id;

/// A lease long enough not to run out during a step of the suite.
const LONG: Duration = Duration::from_secs(30);
/// A lease or a wait short enough to run out while the suite sleeps [`PAST_SHORT`].
const SHORT: Duration = Duration::from_millis(150);
const PAST_SHORT: Duration = Duration::from_millis(400);

/// Checks that `store` keeps every promise of [`JobStore`], panicking with the broken one:
/// enqueueing is idempotent (twice, or two copies at once, make one job), claims take due
/// jobs of the named handlers only with a growing token and count attempts, only the
/// current token renews or ends a job (a worker whose lease ran out and was taken over can
/// neither finish nor block the job; one whose lease ran out untaken keeps it), a job whose
/// worker died is claimed again after its lease, retries wait
/// their backoff, the last failure makes the job dead and `retry` brings it back, a lease
/// that ran out on the last attempt makes it dead, and listing, discarding and purging
/// (also of more jobs than a store may change in one pass).
///
/// Each run uses fresh handler names, so several runs can share one store. It sleeps about
/// two seconds in all (leases must really run out), so it needs a Tokio runtime with time.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// pwh_core::testing::check_job_store(&pwh_core::jobs::MemoryJobs::new()).await;
/// # }
/// ```
pub async fn check_job_store<S: JobStore + ?Sized>(store: &S) {
    enqueueing_is_idempotent(store).await;
    claims_take_due_jobs_of_the_named_handlers(store).await;
    only_the_current_token_renews_or_ends(store).await;
    a_dead_workers_job_is_claimed_again_after_its_lease(store).await;
    a_lease_that_ran_out_untaken_is_still_its_holders(store).await;
    retries_wait_then_the_last_failure_is_dead_until_retried(store).await;
    a_lease_that_ran_out_on_the_last_attempt_is_dead(store).await;
    listing_discarding_and_purging(store).await;
    super::bulk_jobs::bulk_changes_reach_every_job(store).await;
}

/// A handler name no other run uses.
pub(super) fn fresh_handler() -> String {
    format!("suite::{}", fresh_id())
}

/// Job `index` of `handler`, from a body of its own.
pub(super) fn job(handler: &str, index: u32, max_attempts: u32) -> NewJob {
    let body = fresh_id();
    NewJob {
        id: JobId::of(&body, index as usize, handler),
        handler: handler.to_owned(),
        kind: "member_added".to_owned(),
        payload: br#"{"time_ms":1,"events":[{"name":"member_added"}]}"#.to_vec(),
        key: "key".to_owned(),
        index,
        received_ms: 1,
        max_attempts,
    }
}

/// A job of a fresh handler with `max_attempts`, enqueued.
async fn one_job<S: JobStore + ?Sized>(store: &S, max_attempts: u32) -> (String, NewJob) {
    let handler = fresh_handler();
    let j = job(&handler, 0, max_attempts);
    store
        .enqueue(std::slice::from_ref(&j))
        .await
        .expect("enqueue");
    (handler, j)
}

/// The one job of a claim that must have taken exactly one.
fn one(claimed: &[ClaimedJob]) -> &ClaimedJob {
    match claimed {
        [job] => job,
        other => panic!("expected one claimed job, got {}", other.len()),
    }
}

async fn info<S: JobStore + ?Sized>(store: &S, id: &JobId) -> Option<JobInfo> {
    let query = JobQuery {
        limit: usize::MAX,
        ..JobQuery::default()
    };
    let all = store.list(&query).await.expect("list");
    all.into_iter().find(|j| j.id == *id)
}

async fn state<S: JobStore + ?Sized>(store: &S, id: &JobId) -> Option<JobState> {
    info(store, id).await.map(|j| j.state)
}

async fn enqueueing_is_idempotent<S: JobStore + ?Sized>(store: &S) {
    let handler = fresh_handler();
    let jobs = [job(&handler, 0, 3), job(&handler, 1, 3)];
    let before = store.counts().await.expect("counts").pending;
    store.enqueue(&jobs).await.expect("enqueue");
    store.enqueue(&jobs).await.expect("enqueue again");
    let (a, b) = futures_util::future::join(store.enqueue(&jobs), store.enqueue(&jobs[..1])).await;
    a.and(b).expect("two copies at once");
    let after = store.counts().await.expect("counts").pending;
    assert_eq!(after - before, 2, "one job per id, however often enqueued");
    let claimed = store.claim(&[&handler], 10, LONG).await.expect("claim");
    assert_eq!(claimed.len(), 2, "each job claimed once");
    // A job enqueued again while running or done is left as it is.
    store.enqueue(&jobs).await.expect("enqueue while running");
    assert_eq!(state(store, &jobs[0].id).await, Some(JobState::Running));
    for c in &claimed {
        store
            .end(&c.job.id, c.lease, JobEnd::Done)
            .await
            .expect("end");
    }
    store.enqueue(&jobs).await.expect("enqueue when done");
    assert_eq!(state(store, &jobs[0].id).await, Some(JobState::Done));
    assert!(store
        .claim(&[&handler], 10, LONG)
        .await
        .expect("claim")
        .is_empty());
}

async fn claims_take_due_jobs_of_the_named_handlers<S: JobStore + ?Sized>(store: &S) {
    let (mine, other) = (fresh_handler(), fresh_handler());
    let jobs = [job(&mine, 0, 3), job(&mine, 1, 3), job(&other, 0, 3)];
    store.enqueue(&jobs).await.expect("enqueue");
    let first = store.claim(&[&mine], 1, LONG).await.expect("claim");
    assert_eq!(one(&first).attempt, 1);
    assert_eq!(one(&first).job, jobs[0], "oldest first, as recorded");
    // One left: a running job is not claimed twice.
    let second = store.claim(&[&mine], 10, LONG).await.expect("claim");
    assert_eq!(one(&second).job.id, jobs[1].id);
    assert_eq!(
        state(store, &jobs[2].id).await,
        Some(JobState::Pending),
        "a job of a handler not named waits for one that has it"
    );
    for c in first.iter().chain(&second) {
        store
            .end(&c.job.id, c.lease, JobEnd::Done)
            .await
            .expect("end");
    }
    let theirs = store.claim(&[&other], 10, LONG).await.expect("claim");
    assert_eq!(theirs.len(), 1);
    store
        .end(&one(&theirs).job.id, one(&theirs).lease, JobEnd::Done)
        .await
        .expect("end");
}

async fn only_the_current_token_renews_or_ends<S: JobStore + ?Sized>(store: &S) {
    let (handler, j) = one_job(store, 5).await;
    let claimed = store.claim(&[&handler], 1, LONG).await.expect("claim");
    let lease = one(&claimed).lease;
    store
        .renew(&j.id, lease, LONG)
        .await
        .expect("the holder renews");
    let wrong = crate::delivery::LeaseToken(lease.0.wrapping_add(1_000_000));
    let refused = store
        .renew(&j.id, wrong, LONG)
        .await
        .expect_err("another token");
    assert_eq!(refused.kind(), StoreErrorKind::LeaseLost);
    let refused = store
        .end(&j.id, wrong, JobEnd::Done)
        .await
        .expect_err("another token");
    assert_eq!(refused.kind(), StoreErrorKind::LeaseLost);
    assert_eq!(state(store, &j.id).await, Some(JobState::Running));
    store
        .end(&j.id, lease, JobEnd::Done)
        .await
        .expect("the holder ends");
    let again = store
        .end(&j.id, lease, JobEnd::Done)
        .await
        .expect_err("ended already");
    assert_eq!(again.kind(), StoreErrorKind::LeaseLost);
    assert_eq!(state(store, &j.id).await, Some(JobState::Done));
}

/// A lease that ran out while no other worker claimed the job (the store was out of reach
/// for longer than the lease, say) is still its holder's: the token is the current one, so
/// the holder renews it and ends the job, and the job is not claimed meanwhile.
async fn a_lease_that_ran_out_untaken_is_still_its_holders<S: JobStore + ?Sized>(store: &S) {
    let (handler, j) = one_job(store, 5).await;
    let claimed = store.claim(&[&handler], 1, SHORT).await.expect("claim");
    let lease = one(&claimed).lease;
    tokio::time::sleep(PAST_SHORT).await;
    store
        .renew(&j.id, lease, LONG)
        .await
        .expect("renewed by its holder after running out, as nobody took it");
    assert!(
        store
            .claim(&[&handler], 1, SHORT)
            .await
            .expect("claim")
            .is_empty(),
        "renewed: not due"
    );
    store
        .end(&j.id, lease, JobEnd::Done)
        .await
        .expect("the holder ends");
    assert_eq!(state(store, &j.id).await, Some(JobState::Done));
}

async fn a_dead_workers_job_is_claimed_again_after_its_lease<S: JobStore + ?Sized>(store: &S) {
    let (handler, j) = one_job(store, 5).await;
    let old = store.claim(&[&handler], 1, SHORT).await.expect("claim");
    assert!(store
        .claim(&[&handler], 1, SHORT)
        .await
        .expect("claim")
        .is_empty());
    tokio::time::sleep(PAST_SHORT).await;
    // Taken back after its lease.
    let new = store.claim(&[&handler], 1, LONG).await.expect("claim");
    assert_eq!(one(&new).attempt, 2, "the cut attempt counts");
    assert!(one(&new).lease > one(&old).lease, "a greater token");
    let stale = store
        .end(&j.id, one(&old).lease, JobEnd::Done)
        .await
        .expect_err("stale");
    assert_eq!(
        stale.kind(),
        StoreErrorKind::LeaseLost,
        "a stale worker cannot mark it done"
    );
    let stale = store
        .renew(&j.id, one(&old).lease, LONG)
        .await
        .expect_err("stale");
    assert_eq!(stale.kind(), StoreErrorKind::LeaseLost, "nor keep it");
    store
        .end(&j.id, one(&new).lease, JobEnd::Done)
        .await
        .expect("end");
    assert_eq!(state(store, &j.id).await, Some(JobState::Done));
}

async fn retries_wait_then_the_last_failure_is_dead_until_retried<S: JobStore + ?Sized>(store: &S) {
    let (handler, j) = one_job(store, 2).await;
    let first = store.claim(&[&handler], 1, LONG).await.expect("claim");
    let retry = JobEnd::Retry {
        after: SHORT,
        error: "CRM down".into(),
    };
    store
        .end(&j.id, one(&first).lease, retry)
        .await
        .expect("end");
    assert!(
        store
            .claim(&[&handler], 1, LONG)
            .await
            .expect("claim")
            .is_empty(),
        "not before its wait"
    );
    let listed = info(store, &j.id).await.expect("listed");
    assert_eq!((listed.state, listed.attempts), (JobState::Pending, 1));
    assert_eq!(listed.last_error.as_deref(), Some("CRM down"));
    tokio::time::sleep(PAST_SHORT).await;
    let second = store.claim(&[&handler], 1, LONG).await.expect("claim");
    assert_eq!(one(&second).attempt, 2);
    let dead = JobEnd::Dead {
        error: "CRM still down".into(),
    };
    store
        .end(&j.id, one(&second).lease, dead)
        .await
        .expect("end");
    let listed = info(store, &j.id).await.expect("listed");
    assert_eq!(listed.state, JobState::Dead);
    assert_eq!(listed.last_error.as_deref(), Some("CRM still down"));
    assert!(store
        .claim(&[&handler], 1, LONG)
        .await
        .expect("claim")
        .is_empty());
    let dead_ones = store
        .list(&JobQuery {
            state: Some(JobState::Dead),
            limit: usize::MAX,
            with_payload: false,
        })
        .await
        .expect("list");
    assert!(dead_ones.iter().any(|d| d.id == j.id), "listed as dead");
    assert_eq!(store.retry(Some(&j.id)).await.expect("retry"), 1);
    let again = store.claim(&[&handler], 1, LONG).await.expect("claim");
    assert_eq!(one(&again).attempt, 1, "fresh attempts");
    store
        .end(&j.id, one(&again).lease, JobEnd::Done)
        .await
        .expect("end");
    assert_eq!(
        store.retry(Some(&j.id)).await.expect("retry"),
        0,
        "only dead jobs"
    );
}

async fn a_lease_that_ran_out_on_the_last_attempt_is_dead<S: JobStore + ?Sized>(store: &S) {
    let (handler, j) = one_job(store, 1).await;
    let only = store.claim(&[&handler], 1, SHORT).await.expect("claim");
    assert_eq!(one(&only).attempt, 1);
    tokio::time::sleep(PAST_SHORT).await;
    assert!(store
        .claim(&[&handler], 1, LONG)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(state(store, &j.id).await, Some(JobState::Dead));
    assert_eq!(
        store.retry(None).await.map(|n| n >= 1),
        Ok(true),
        "retry every dead job"
    );
    assert_eq!(state(store, &j.id).await, Some(JobState::Pending));
}

async fn listing_discarding_and_purging<S: JobStore + ?Sized>(store: &S) {
    let handler = fresh_handler();
    let jobs = [job(&handler, 0, 3), job(&handler, 1, 3)];
    store.enqueue(&jobs).await.expect("enqueue");
    let without = info(store, &jobs[0].id).await.expect("listed");
    assert_eq!(without.payload, None, "payloads only when asked");
    assert_eq!(
        (without.handler.as_str(), without.kind.as_str()),
        (handler.as_str(), "member_added")
    );
    let with = store
        .list(&JobQuery {
            state: Some(JobState::Pending),
            limit: usize::MAX,
            with_payload: true,
        })
        .await
        .expect("list");
    let with = with.iter().find(|j| j.id == jobs[0].id).expect("listed");
    assert_eq!(with.payload.as_deref(), Some(&jobs[0].payload[..]));
    assert!(store.discard(&jobs[1].id).await.expect("discard"));
    assert!(!store.discard(&jobs[1].id).await.expect("discard again"));
    assert_eq!(state(store, &jobs[1].id).await, None);
    // A discarded job is not run.
    let claimed = store.claim(&[&handler], 10, LONG).await.expect("claim");
    store
        .end(&jobs[0].id, one(&claimed).lease, JobEnd::Done)
        .await
        .expect("end");
    assert_eq!(
        store.purge(JobState::Done, LONG).await.expect("purge"),
        0,
        "younger than the retention"
    );
    assert_eq!(state(store, &jobs[0].id).await, Some(JobState::Done));
    tokio::time::sleep(PAST_SHORT).await;
    assert!(store.purge(JobState::Done, SHORT).await.expect("purge") >= 1);
    assert_eq!(state(store, &jobs[0].id).await, None, "purged");
}
