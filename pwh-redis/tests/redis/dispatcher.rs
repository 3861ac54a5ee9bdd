//! Dispatchers over `RedisLog` and `RedisJobs`, end to end: what a retry, a replay and two
//! instances (and their workers) run.

use std::time::Duration;

use pwh_core::testing::{Counted, Harness, TestWebhook};
use pwh_redis::RedisLog;

use crate::common::{fresh_log, fresh_prefix, require_redis};

fn harness(log: RedisLog, handlers: &[&Counted]) -> Harness {
    Harness::configure(|builder| {
        handlers
            .iter()
            .map(|h| (*h).clone())
            .fold(builder.registered_handlers(false), |b, h| b.handler(h))
            .delivery_log(log)
    })
}

/// Each phase of the suite opens its own connection (another instance), and two instances
/// deliver one body at once: what a retry, a replay and two instances run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_one_redis_share_the_memory() {
    let url = require_redis!();
    let prefix = fresh_prefix();
    pwh_core::testing::check_shared_delivery(|| {
        RedisLog::builder(url.as_str())
            .prefix(prefix.as_str())
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    })
    .await;
}

/// Two instances' workers on one Redis: a job running for three leases runs once, its lease
/// renewed by the thread that keeps the running jobs' leases (on a runtime of its own, which
/// must be able to connect to Redis).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_workers_run_a_job_longer_than_its_lease_once() {
    let url = require_redis!();
    let prefix = fresh_prefix();
    pwh_core::testing::check_shared_jobs(|| {
        pwh_redis::RedisJobs::builder(url.as_str())
            .prefix(prefix.as_str())
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    })
    .await;
}

#[tokio::test]
async fn instances_under_other_prefixes_run_the_body_again() {
    let url = require_redis!();
    let handler = Counted::new("app::h");
    let (one, two) = (
        harness(fresh_log(&url), &[&handler]),
        harness(fresh_log(&url), &[&handler]),
    );
    let hook = TestWebhook::new().cache_miss("cache-a");
    one.deliver(hook.clone()).await.assert_ok();
    two.deliver(hook).await.assert_ok();
    assert_eq!(handler.calls(), 2, "two apps, two memories");
}
