//! The Redis the tests of the apps and of `pwh` use: `PWH_TEST_REDIS_URL` (a server) and
//! `PWH_TEST_REDIS_CLUSTER` (a Redis Cluster), as pwh-redis's tests read them (`scripts/test.sh`
//! starts both and sets them). Without one a test fails, saying how to run it, unless
//! `PWH_SKIP_REDIS_TESTS=1` (refused in CI) asks to skip it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the Redis the tests use, e.g. `redis://127.0.0.1:6379/`.
pub const URL_VAR: &str = "PWH_TEST_REDIS_URL";

/// The variable that, set to `1`, lets the tests that need a Redis be skipped (outside CI).
pub const SKIP_VAR: &str = "PWH_SKIP_REDIS_TESTS";

/// The variable naming the 3-master Redis Cluster the tests use: some of its nodes,
/// comma-separated, as `PWH_REDIS_CLUSTER` takes them (`scripts/test.sh` starts one and sets it).
pub const CLUSTER_VAR: &str = "PWH_TEST_REDIS_CLUSTER";

/// The URL of the Redis to test against. When [`URL_VAR`] is not set: a panic saying how to
/// run the test, or `None` after a skip notice on stderr when [`SKIP_VAR`] is `1` (not in
/// CI, where nothing may be skipped). The test is named by where it called.
#[track_caller]
pub fn redis_url() -> Option<String> {
    required(
        URL_VAR,
        "redis-server and set {var}=redis://127.0.0.1:<port>/",
    )
}

/// The nodes of the Redis Cluster to test against ([`CLUSTER_VAR`]), as [`redis_url`] reads
/// the server's URL: a panic or a skip notice when it is not set.
#[track_caller]
pub fn redis_cluster() -> Option<Vec<String>> {
    required(
        CLUSTER_VAR,
        "a Redis Cluster (redis-cli --cluster create) and set {var}=127.0.0.1:<port>,...",
    )
    .map(|list| pwh_redis::cluster_nodes(&list))
}

/// The value of `var`, or how to set it (`start` says what to start; `{var}` in it is
/// replaced by the variable's name).
#[track_caller]
fn required(var: &str, start: &str) -> Option<String> {
    if let Ok(value) = std::env::var(var) {
        if !value.trim().is_empty() {
            return Some(value);
        }
    }
    let test = std::panic::Location::caller();
    let how = format!(
        "run every test with scripts/test.sh (it installs and starts the Redis servers it \
         needs), or start {}",
        start.replace("{var}", var)
    );
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "{test}: {var} is not set, and CI is set: this test must not be skipped in CI \
             ({SKIP_VAR} is refused there); {how}."
        );
    }
    if !std::env::var(SKIP_VAR).is_ok_and(|v| v.trim() == "1") {
        panic!(
            "{test}: {var} is not set, so this test cannot run; {how}. To skip the tests \
             that need Redis instead, set {SKIP_VAR}=1."
        );
    }
    // Straight to stderr, past the test harness's capture, so that the skip shows.
    let notice = format!("\nSKIPPED {test}: {var} is not set ({SKIP_VAR}=1)\n");
    let _ = std::io::stderr().lock().write_all(notice.as_bytes());
    None
}

/// A key prefix no other test (or earlier run) uses, so that tests share one Redis:
/// `pwh-test-<16 hex digits>:`.
pub fn fresh_prefix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("pwh-test-{:016x}:", hasher.finish())
}
