//! `RedisJobs` against the shared suite, shared by two instances, under a dispatcher's
//! workers, and on a Redis that was wiped.

use std::time::Duration;

use pwh_core::jobs::JobStore;
use pwh_redis::RedisJobs;

use crate::common::{fresh_prefix, require_redis};

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
