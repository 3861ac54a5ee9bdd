//! Tests of `RedisLog` and `RedisJobs` on a real Redis (`PWH_TEST_REDIS_URL`) and a Redis
//! Cluster (`PWH_TEST_REDIS_CLUSTER`), and of dispatchers over them,
//! Redis unreachable or too slow included. One test binary: `common` decides, in one place,
//! whether a test without a Redis is skipped (locally) or fails (`CI` set).

mod cluster;
mod common;
mod dispatcher;
mod faults;
mod jobs;
mod jobs_wiped;
mod log;
mod proxy;
mod unavailable;
