//! Tests of `RedisLog` on a real Redis (`PWH_TEST_REDIS_URL`), and of dispatchers over it,
//! Redis unreachable or too slow included. One test binary: `common` decides, in one place,
//! whether a test without a Redis is skipped (locally) or fails (`CI` set).

mod common;
mod dispatcher;
mod faults;
mod jobs;
mod jobs_wiped;
mod log;
mod proxy;
mod unavailable;
