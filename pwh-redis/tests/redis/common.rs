//! What the tests share: the Redis to test against (or a failure saying how to get one, or a
//! skip the user asked for), fresh prefixes and ids, a raw connection to look at the keys, and
//! a redis-server of their own.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pwh_core::delivery::DeliveryId;
use pwh_redis::RedisLog;

/// The variable naming the Redis the tests use, e.g. `redis://127.0.0.1:6379/`.
pub(crate) const URL_VAR: &str = "PWH_TEST_REDIS_URL";

/// The variable that, set to `1`, lets the tests that need a Redis be skipped (outside CI).
pub(crate) const SKIP_VAR: &str = "PWH_SKIP_REDIS_TESTS";

/// Whether the tests run in CI, where nothing may be skipped.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Whether the user asked to skip the tests that need a Redis (`PWH_SKIP_REDIS_TESTS=1`).
fn skip_requested() -> bool {
    std::env::var(SKIP_VAR).is_ok_and(|v| v.trim() == "1")
}

/// The variable naming the Redis Cluster the cluster tests use: a comma-separated node
/// list, e.g. `127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002`.
pub(crate) const CLUSTER_VAR: &str = "PWH_TEST_REDIS_CLUSTER";

/// Fails the calling test because `what` is missing, saying how to run it; or skips it (a
/// notice on stderr) when the user opted out with `PWH_SKIP_REDIS_TESTS=1`, which CI refuses.
/// A test that could not run never counts as passed unless asked. The test is named by where
/// it called.
#[track_caller]
fn missing(what: &str) {
    missing_because(
        what,
        &format!(
            "run every test with scripts/test.sh (it installs and starts a redis-server of \
             its own), or start redis-server and set {URL_VAR}=redis://127.0.0.1:<port>/ (the \
             tests that stall or restart Redis also need redis-server on PATH)"
        ),
    );
}

/// [`missing`], saying `how` to run the test.
#[track_caller]
fn missing_because(what: &str, how: &str) {
    let test = std::panic::Location::caller();
    if in_ci() {
        panic!(
            "{test}: {what}, and CI is set: this test must not be skipped in CI ({SKIP_VAR} \
             is refused there); {how}."
        );
    }
    if !skip_requested() {
        panic!(
            "{test}: {what}, so this test cannot run; {how}. To skip the tests that need \
             Redis instead, set {SKIP_VAR}=1."
        );
    }
    // Straight to stderr, past the test harness's capture, so that the skip shows.
    let notice = format!("\nSKIPPED {test}: {what} ({SKIP_VAR}=1)\n");
    let _ = std::io::stderr().lock().write_all(notice.as_bytes());
}

/// The URL of the Redis to test against. When [`URL_VAR`] is not set: a panic saying how to
/// run the test, or `None` after printing a skip notice when [`SKIP_VAR`] is `1` (not in CI).
#[track_caller]
pub(crate) fn redis_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            missing(&format!("{URL_VAR} is not set"));
            None
        }
    }
}

/// The nodes of the Redis Cluster to test against. When [`CLUSTER_VAR`] is not set: a panic
/// saying how to run the test, or `None` after a skip notice when [`SKIP_VAR`] is `1` (not
/// in CI).
#[track_caller]
pub(crate) fn redis_cluster() -> Option<Vec<String>> {
    let nodes = std::env::var(CLUSTER_VAR).map(|list| pwh_redis::cluster_nodes(&list));
    match nodes {
        Ok(nodes) if !nodes.is_empty() => Some(nodes),
        _ => {
            missing_because(
                &format!("{CLUSTER_VAR} is not set"),
                &format!(
                    "run every test with scripts/test.sh (it starts a 3-master Redis Cluster \
                     of its own), or start one (redis-server --cluster-enabled yes, then \
                     redis-cli --cluster create) and set {CLUSTER_VAR}=127.0.0.1:<port>,..."
                ),
            );
            None
        }
    }
}

/// `let nodes = require_cluster!();` at the top of a test: the cluster's nodes, or return
/// (skipped on request), or a panic saying how to run it.
macro_rules! require_cluster {
    () => {
        match $crate::common::redis_cluster() {
            Some(nodes) => nodes,
            None => return,
        }
    };
}
pub(crate) use require_cluster;

/// `let url = require_redis!();` at the top of a test: the URL, or return (skipped on
/// request), or a panic saying how to run it.
macro_rules! require_redis {
    () => {
        match $crate::common::redis_url() {
            Some(url) => url,
            None => return,
        }
    };
}
pub(crate) use require_redis;

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// A prefix no other test (or earlier run) uses, so tests share one Redis.
pub(crate) fn fresh_prefix() -> String {
    format!("pwh-test-{:016x}:", random_u64())
}

/// A random body id.
pub(crate) fn fresh_id() -> DeliveryId {
    let mut bytes = [0; 16];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&random_u64().to_le_bytes());
    }
    DeliveryId(bytes)
}

/// A log on `url` under a fresh prefix, with a timeout generous enough for a loaded CI box.
pub(crate) fn fresh_log(url: &str) -> RedisLog {
    RedisLog::builder(url)
        .prefix(fresh_prefix())
        .timeout(Duration::from_secs(2))
        .build()
        .expect("the test URL is a Redis URL")
}

/// A plain connection, to look at the keys: it waits as long as Redis takes (a stalled
/// Redis included).
pub(crate) async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(None)
        .set_response_timeout(None);
    redis::Client::open(url)
        .expect("the test URL is a Redis URL")
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .expect("the test Redis answers")
}

/// A port nothing listens on (bound, then freed).
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

/// A redis-server of the test's own, stopped (and its directory removed) when dropped.
pub(crate) struct OwnServer {
    child: Child,
    dir: PathBuf,
}

impl OwnServer {
    /// Starts `redis-server` on 127.0.0.1:`port`. When there is no `redis-server` to start:
    /// a panic saying how to run the test, or `None` (skipped) when [`SKIP_VAR`] is `1`.
    #[track_caller]
    pub(crate) fn start(port: u16) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("pwh-redis-test-{:016x}", random_u64()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let started = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            // DEBUG SLEEP, to stall this server alone.
            .args(["--enable-debug-command", "local"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match started {
            Ok(child) => Some(Self { child, dir }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                missing(&format!("cannot start redis-server ({e})"));
                None
            }
        }
    }
}

impl OwnServer {
    /// Starts a server of the test's own on a free port and waits until it answers; its URL.
    pub(crate) async fn ready() -> Option<(Self, String)> {
        let port = closed_port();
        let server = Self::start(port)?;
        let url = format!("redis://127.0.0.1:{port}/");
        let client = redis::Client::open(url.as_str()).expect("a Redis URL");
        for _ in 0..100 {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                let pong: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
                if pong.is_ok() {
                    return Some((server, url));
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} did not answer within 5 s");
    }

    /// Stalls the server for `secs` seconds (`DEBUG SLEEP`) from a connection of its own;
    /// returns once the command was sent, while the server sleeps, with a task that ends when
    /// the server answers again.
    pub(crate) async fn stall(url: &str, secs: f64) -> tokio::task::JoinHandle<()> {
        let mut conn = raw(url).await;
        let sleeping = tokio::spawn(async move {
            let slept: Result<String, _> = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg(secs)
                .query_async(&mut conn)
                .await;
            slept.expect("DEBUG SLEEP (the server is started with --enable-debug-command local)");
        });
        // Sent, and being run by the server.
        tokio::time::sleep(Duration::from_millis(50)).await;
        sleeping
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
