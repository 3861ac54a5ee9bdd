//! `RedisJobs` against the shared suite, shared by two instances, under a dispatcher's
//! workers, and on a Redis that was wiped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pwh_core::delivery::{LeaseToken, StoreErrorKind};
use pwh_core::jobs::{JobEnd, JobId, JobQuery, JobState, JobStore, NewJob};
use pwh_core::testing::{Harness, TestWebhook};
use pwh_core::{handler, on_event};
use pwh_redis::RedisJobs;

use crate::common::{fresh_id, fresh_prefix, raw, require_redis};

/// A lease that does not run out during a test.
const LONG: Duration = Duration::from_secs(30);
/// A lease that runs out while the test sleeps [`PAST_SHORT`].
const SHORT: Duration = Duration::from_millis(150);
const PAST_SHORT: Duration = Duration::from_millis(400);

/// A store on `url` under `prefix`, with a timeout generous enough for a loaded CI box.
fn jobs_on(url: &str, prefix: &str) -> RedisJobs {
    RedisJobs::builder(url)
        .prefix(prefix)
        .timeout(Duration::from_secs(2))
        .build()
        .expect("the test URL is a Redis URL")
}

#[tokio::test(flavor = "current_thread")]
async fn keeps_every_promise_of_a_job_store() {
    let url = require_redis!();
    let jobs = jobs_on(&url, &fresh_prefix());
    pwh_core::testing::check_job_store(&jobs).await;
    assert!(jobs.is_durable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_every_promise_on_a_multi_threaded_runtime() {
    let url = require_redis!();
    pwh_core::testing::check_job_store(&jobs_on(&url, &fresh_prefix())).await;
}

fn job(handler: &str, index: u32) -> NewJob {
    let body = fresh_id();
    NewJob {
        id: JobId::of(&body, index as usize, handler),
        handler: handler.to_owned(),
        kind: "member_added".to_owned(),
        payload: br#"{"time_ms":1,"events":[]}"#.to_vec(),
        key: "key".to_owned(),
        index,
        received_ms: 1,
        max_attempts: 5,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_jobs_and_a_stale_token_ends_nothing() {
    let url = require_redis!();
    let prefix = fresh_prefix();
    let (a, b) = (jobs_on(&url, &prefix), jobs_on(&url, &prefix));
    assert_ne!(a.consumer(), b.consumer());
    let handler = format!("shared::{}", fresh_id());
    let jobs: Vec<NewJob> = (0..20).map(|i| job(&handler, i)).collect();
    // Both instances record the same body's jobs: one job each.
    let (left, right) = tokio::join!(a.enqueue(&jobs), b.enqueue(&jobs));
    left.and(right).expect("enqueue");
    assert_eq!(a.counts().await.expect("counts").pending, 20);

    // Claimed at once from both: every job by exactly one of them.
    let names = [handler.as_str()];
    let (from_a, from_b) = tokio::join!(a.claim(&names, 15, LONG), b.claim(&names, 15, LONG));
    let (from_a, from_b) = (from_a.expect("claim"), from_b.expect("claim"));
    let mut ids: Vec<JobId> = from_a.iter().chain(&from_b).map(|c| c.job.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each job claimed once");
    assert_eq!(from_a.len() + from_b.len(), 20);
    assert!(a.claim(&names, 15, LONG).await.expect("claim").is_empty());
    for c in from_a.iter().chain(&from_b) {
        let other = if from_a.contains(c) { &b } else { &a };
        // Any instance may end a job with its token (tokens fence, not consumers); a wrong
        // token ends nothing.
        let wrong = LeaseToken(c.lease.0 + 1);
        let refused = other.end(&c.job.id, wrong, JobEnd::Done).await;
        assert_eq!(
            refused.expect_err("a wrong token").kind(),
            StoreErrorKind::LeaseLost
        );
    }
    for c in &from_a {
        a.end(&c.job.id, c.lease, JobEnd::Done).await.expect("end");
    }
    for c in &from_b {
        b.end(&c.job.id, c.lease, JobEnd::Done).await.expect("end");
    }
    assert_eq!(b.counts().await.expect("counts").done, 20);

    // A job whose holder stalled past its lease is taken over by the other instance: the
    // stale holder can then neither renew nor end it, and the stream shows the new holder.
    let slow = job(&handler, 99);
    a.enqueue(std::slice::from_ref(&slow))
        .await
        .expect("enqueue");
    let held = a.claim(&names, 1, SHORT).await.expect("claim");
    let [held] = &held[..] else { panic!("one job") };
    tokio::time::sleep(PAST_SHORT).await;
    let taken = b.claim(&names, 1, LONG).await.expect("claim");
    let [taken] = &taken[..] else {
        panic!("taken over")
    };
    assert_eq!((taken.job.id, taken.attempt), (slow.id, 2));
    assert!(taken.lease > held.lease, "a greater token");
    let stale = a.end(&slow.id, held.lease, JobEnd::Done).await;
    assert_eq!(stale.expect_err("stale").kind(), StoreErrorKind::LeaseLost);
    let stale = a.renew(&slow.id, held.lease, LONG).await;
    assert_eq!(stale.expect_err("stale").kind(), StoreErrorKind::LeaseLost);
    let mut conn = raw(&url).await;
    let stream = format!("{}ready:{handler}", b.key_base());
    let pending: redis::Value = redis::cmd("XPENDING")
        .arg(&stream)
        .arg("pwh-workers")
        .arg("-")
        .arg("+")
        .arg(10)
        .query_async(&mut conn)
        .await
        .expect("XPENDING");
    let shown = format!("{pending:?}");
    assert!(shown.contains(b.consumer()), "held by b: {shown}");
    b.end(&slow.id, taken.lease, JobEnd::Done)
        .await
        .expect("the new holder ends it");
    // Ended jobs leave nothing on the stream: acknowledged and deleted.
    let left: u64 = redis::cmd("XLEN")
        .arg(&stream)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

static WELCOMED: AtomicUsize = AtomicUsize::new(0);
static SYNCS: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_added", deferred)]
async fn welcome_on_redis(user_id: &str) {
    assert!(!user_id.is_empty());
    WELCOMED.fetch_add(1, Ordering::SeqCst);
}

#[on_event("member_removed", deferred(max_attempts = 2, backoff = "50ms"))]
async fn sync_on_redis() -> Result<(), String> {
    SYNCS.fetch_add(1, Ordering::SeqCst);
    Err("CRM down".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_handlers_run_end_to_end_on_redis() {
    let url = require_redis!();
    let jobs = jobs_on(&url, &fresh_prefix());
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(welcome_on_redis))
            .handler(handler!(sync_on_redis))
            .job_store(jobs.clone())
    });
    let webhook = TestWebhook::new()
        .member_added("presence-room", "ada")
        .member_added("presence-room", "grace")
        .member_removed("presence-room", "alan");
    let first = harness.deliver(webhook.clone()).await;
    first.assert_ok();
    assert!(first.deferred("welcome_on_redis"));
    assert_eq!(
        WELCOMED.load(Ordering::SeqCst),
        0,
        "not run while Pusher waits"
    );
    assert_eq!(harness.job_counts().await.pending, 3);
    // A replay records nothing more.
    assert_eq!(harness.deliver(webhook).await.status(), 200);
    assert_eq!(harness.jobs().await.len(), 3);

    assert_eq!(harness.run_due_jobs().await, 3);
    assert_eq!(WELCOMED.load(Ordering::SeqCst), 2);
    assert_eq!(SYNCS.load(Ordering::SeqCst), 1);
    let counts = harness.job_counts().await;
    assert_eq!(
        (counts.done, counts.pending),
        (2, 1),
        "the failure waits its backoff"
    );
    let failed = harness
        .jobs()
        .await
        .into_iter()
        .find(|j| j.state == JobState::Pending)
        .expect("the failed job");
    assert_eq!(failed.last_error.as_deref(), Some("CRM down"));
    assert_eq!(
        harness.run_due_jobs().await,
        0,
        "not before its backoff (by Redis's clock)"
    );

    // Past the backoff (at most 125 % of 50 ms), the last attempt fails: dead.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(harness.run_due_jobs().await, 1);
    assert_eq!(SYNCS.load(Ordering::SeqCst), 2);
    assert_eq!(harness.job_counts().await.dead, 1);
    assert_eq!(
        harness.run_due_jobs().await,
        0,
        "done and dead jobs do not run again"
    );
    assert_eq!(WELCOMED.load(Ordering::SeqCst), 2);
    assert_eq!(jobs.retry(Some(&failed.id)).await.expect("retry"), 1);
    assert_eq!(harness.job_counts().await.pending, 1, "pending again");
}

#[tokio::test]
async fn another_layout_version_is_a_clear_error_and_left_untouched() {
    let url = require_redis!();
    let jobs = jobs_on(&url, &fresh_prefix());
    let mut conn = raw(&url).await;
    let _: i64 = redis::cmd("HSET")
        .arg(jobs.layout_key())
        .arg("version")
        .arg("2")
        .query_async(&mut conn)
        .await
        .unwrap();
    let handler = format!("layout::{}", fresh_id());
    let err = jobs
        .enqueue(&[job(&handler, 0)])
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), StoreErrorKind::Failed);
    assert!(err.message().contains("layout version 2"), "{err}");
    assert!(err.message().contains("reads version 1"), "{err}");
    let err = jobs.claim(&[&handler], 1, LONG).await.expect_err("refused");
    assert!(err.message().contains("layout version 2"), "{err}");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", jobs.prefix()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys, [jobs.layout_key()], "nothing written");
}

#[tokio::test]
async fn a_claim_shares_its_limit_between_the_handlers_named() {
    let url = require_redis!();
    let jobs = jobs_on(&url, &fresh_prefix());
    let (busy, quiet) = (
        format!("busy::{}", fresh_id()),
        format!("quiet::{}", fresh_id()),
    );
    let mut all: Vec<NewJob> = (0..10).map(|i| job(&busy, i)).collect();
    all.extend((0..10).map(|i| job(&quiet, i)));
    jobs.enqueue(&all).await.expect("enqueue");
    let claimed = jobs.claim(&[&busy, &quiet], 4, LONG).await.expect("claim");
    let of = |h: &str| claimed.iter().filter(|c| c.job.handler == h).count();
    assert_eq!((of(&busy), of(&quiet)), (2, 2), "a fair share each");
    // What one handler leaves goes to the other.
    let rest = jobs.claim(&[&busy, &quiet], 30, LONG).await.expect("claim");
    assert_eq!(rest.len(), 16);
    let none = JobQuery {
        limit: 0,
        ..JobQuery::default()
    };
    assert!(jobs.list(&none).await.expect("list").is_empty());
}

/// The scripts are called by their SHA1: after Redis forgot them (`SCRIPT FLUSH`, as a
/// restart does) each operation still runs, once, sent whole after the `NOSCRIPT` answer.
#[tokio::test(flavor = "current_thread")]
async fn each_operation_runs_after_redis_forgot_the_scripts() {
    let url = require_redis!();
    let jobs = jobs_on(&url, &fresh_prefix());
    let mut conn = raw(&url).await;
    let flush = || redis::cmd("SCRIPT").arg("FLUSH").to_owned();
    let new = job("h", 0);
    let _: () = flush().query_async(&mut conn).await.unwrap();
    jobs.enqueue(std::slice::from_ref(&new)).await.unwrap();
    let _: () = flush().query_async(&mut conn).await.unwrap();
    let claimed = jobs.claim(&["h"], 10, LONG).await.unwrap();
    let [one] = &claimed[..] else {
        panic!("one job claimed, got {}", claimed.len())
    };
    assert_eq!(one.job.id, new.id);
    let _: () = flush().query_async(&mut conn).await.unwrap();
    jobs.end(&new.id, one.lease, JobEnd::Done).await.unwrap();
    let _: () = flush().query_async(&mut conn).await.unwrap();
    assert_eq!(jobs.counts().await.unwrap().done, 1);
}
