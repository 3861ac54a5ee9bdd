//! The Redis the tests of the apps and of `pwh` use: `PWH_TEST_REDIS_URL`, as pwh-redis's
//! tests read it (`scripts/test.sh` starts one and sets it). Without it a test fails, saying
//! how to run it, unless `PWH_SKIP_REDIS_TESTS=1` (refused in CI) asks to skip it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the Redis the tests use, e.g. `redis://127.0.0.1:6379/`.
pub const URL_VAR: &str = "PWH_TEST_REDIS_URL";

/// The variable that, set to `1`, lets the tests that need a Redis be skipped (outside CI).
pub const SKIP_VAR: &str = "PWH_SKIP_REDIS_TESTS";

/// The URL of the Redis to test against. When [`URL_VAR`] is not set: a panic saying how to
/// run the test, or `None` after a skip notice on stderr when [`SKIP_VAR`] is `1` (not in
/// CI, where nothing may be skipped). The test is named by where it called.
#[track_caller]
pub fn redis_url() -> Option<String> {
    if let Ok(url) = std::env::var(URL_VAR) {
        if !url.trim().is_empty() {
            return Some(url);
        }
    }
    let test = std::panic::Location::caller();
    let how = format!(
        "run every test with scripts/test.sh (it installs and starts a redis-server of its \
         own), or start redis-server and set {URL_VAR}=redis://127.0.0.1:<port>/"
    );
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "{test}: {URL_VAR} is not set, and CI is set: this test must not be skipped in CI \
             ({SKIP_VAR} is refused there); {how}."
        );
    }
    if !std::env::var(SKIP_VAR).is_ok_and(|v| v.trim() == "1") {
        panic!(
            "{test}: {URL_VAR} is not set, so this test cannot run; {how}. To skip the tests \
             that need Redis instead, set {SKIP_VAR}=1."
        );
    }
    // Straight to stderr, past the test harness's capture, so that the skip shows.
    let notice = format!("\nSKIPPED {test}: {URL_VAR} is not set ({SKIP_VAR}=1)\n");
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
