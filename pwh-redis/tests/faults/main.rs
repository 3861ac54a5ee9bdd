//! Real faults on Redis (`DEBUG SLEEP` on servers of their own, a cut TCP proxy, workers
//! blocked by handlers): a test binary of their own, so that no other test of pwh-redis runs
//! beside them and takes the CPU their lease renewals are timed against (cargo runs test
//! binaries one after the other). Redis as for `tests/redis` (`PWH_TEST_REDIS_URL`).

// Shared with `tests/redis`, which uses the parts this binary does not.
#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../redis/common.rs"]
mod common;
mod faults;
mod proxy;
