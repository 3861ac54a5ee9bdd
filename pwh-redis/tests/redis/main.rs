//! Tests of `RedisLog` and `RedisJobs` on a real Redis (`PWH_TEST_REDIS_URL`) and a Redis
//! Cluster (`PWH_TEST_REDIS_CLUSTER`), and of dispatchers over them,
//! Redis unreachable or too slow included (the timed faults are in `tests/faults`). One test binary: `common` decides, in one place,
//! whether a test without a Redis is skipped (locally) or fails (`CI` set).

mod cluster;
// Shared with `tests/faults`, which uses the parts this binary does not.
#[allow(dead_code)]
mod common;
mod dispatcher;
mod jobs;
mod jobs_wiped;
mod log;
mod unavailable;
