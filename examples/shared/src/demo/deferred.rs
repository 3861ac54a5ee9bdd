//! The demo's deferred job: a `member_added` is answered as soon as its `welcome_member` job
//! is recorded, and the job is done later by the workers; the demo polls `GET /state` until it
//! is. Also how `--demo` adapts the configuration (a temporary SQLite file, a slow handler).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pwh_core::KeyRing;
use serde_json::{json, Value};

use super::PATH;
use crate::{http, Config, Store};

/// How slow `welcome_member` is in the demo unless `PWH_EXAMPLE_SLOW_MS` says otherwise: long
/// enough to see the answer come well before the job is done.
pub const DEMO_SLOW: Duration = Duration::from_millis(500);

/// How long the demo waits for the jobs to be done.
const WAIT: Duration = Duration::from_secs(30);

/// The temporary directory of the demo's SQLite file, deleted when dropped.
#[derive(Debug)]
pub struct DemoFiles {
    _dir: Option<tempfile::TempDir>,
}

/// Adapts `config` to `--demo`: the SQLite file in a temporary directory unless
/// `PWH_SQLITE_PATH`, `PWH_REDIS_URL` or `PWH_REDIS_CLUSTER` is set (`var` reads the environment),
/// and `welcome_member` sleeping
/// [`DEMO_SLOW`] unless `PWH_EXAMPLE_SLOW_MS` is set. Keep the answer until the app has
/// stopped: dropping it deletes the file.
///
/// # Errors
///
/// An I/O error when no temporary directory can be made.
pub fn prepare(config: &mut Config, var: impl Fn(&str) -> Option<String>) -> io::Result<DemoFiles> {
    if var("PWH_EXAMPLE_SLOW_MS").is_none() {
        config.welcome.slow = DEMO_SLOW;
        tracing::info!(slow = ?DEMO_SLOW, "demo: welcome_member sleeps before it ends");
    }
    let dir = match config.store {
        // On Redis (`PWH_REDIS_URL`, `PWH_REDIS_CLUSTER`) no file is used.
        Store::Sqlite { path: None } if config.redis.is_none() => {
            let dir = tempfile::Builder::new().prefix("pwh-demo-").tempdir()?;
            let path: PathBuf = dir.path().join(Store::DEFAULT_SQLITE_PATH);
            tracing::info!(file = %path.display(), "demo: SQLite in a temporary file");
            config.store = Store::Sqlite { path: Some(path) };
            Some(dir)
        }
        _ => None,
    };
    Ok(DemoFiles { _dir: dir })
}

/// The deferred jobs done so far, from `GET /state`.
pub(super) async fn jobs_done(addr: SocketAddr) -> io::Result<u64> {
    Ok(state(addr).await?["jobs"]["done"].as_u64().unwrap_or(0))
}

async fn state(addr: SocketAddr) -> io::Result<Value> {
    let reply = http::send(addr, "GET", "/state", &[], b"").await?;
    serde_json::from_str(&reply.body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Sends one `member_added` made at `time_ms`, prints how fast it was answered, then polls
/// `GET /state` until `jobs` jobs more than `done_before` are done (the earlier steps' and this
/// one's). Returns how many checks failed (0 or 1).
pub(super) async fn show(
    addr: SocketAddr,
    keys: &KeyRing,
    time_ms: u64,
    jobs: u64,
    done_before: u64,
) -> io::Result<usize> {
    let Some(token) = keys.tokens().next() else {
        return Err(io::Error::other("no token to sign with"));
    };
    println!("\n== a deferred handler: welcome_member on member_added ==");
    let body = serde_json::to_vec(&json!({"time_ms": time_ms, "events": [
        {"name": "member_added", "channel": "presence-lobby", "user_id": "carol"}
    ]}))?;
    let signature = keys.sign(token.key(), &body).unwrap_or_default();
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Pusher-Key", token.key()),
        ("X-Pusher-Signature", signature.as_str()),
    ];
    let sent = Instant::now();
    let reply = http::send(addr, "POST", PATH, &headers, &body).await?;
    let answered = sent.elapsed();
    println!(
        "-> {:<60} {} {} in {} ms (its job recorded, not run yet)",
        "member_added carol (welcome_member deferred)",
        reply.status,
        reply.body.trim(),
        answered.as_millis()
    );
    if reply.status != 200 {
        println!("   UNEXPECTED: expected 200");
        return Ok(1);
    }
    let target = done_before + jobs;
    loop {
        let now = state(addr).await?;
        let done = now["jobs"]["done"].as_u64().unwrap_or(0);
        if done >= target {
            println!(
                "   jobs done {} ms after the answer: jobs {}, welcomed_total {} (ok)",
                sent.elapsed().saturating_sub(answered).as_millis(),
                now["jobs"],
                now["welcomed_total"]
            );
            return Ok(0);
        }
        if sent.elapsed() > WAIT {
            println!(
                "   UNEXPECTED: {} of {jobs} jobs done after {} s: jobs {}",
                done.saturating_sub(done_before),
                WAIT.as_secs(),
                now["jobs"]
            );
            return Ok(1);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_uses_a_temporary_file_unless_told_otherwise() {
        let mut config = Config::from_vars(|_| None).unwrap();
        let files = prepare(&mut config, |_| None).unwrap();
        let path = config.store.sqlite_path().unwrap().to_owned();
        assert!(path.starts_with(std::env::temp_dir()), "{}", path.display());
        assert_eq!(config.welcome.slow, DEMO_SLOW);
        std::fs::write(&path, b"").unwrap();
        drop(files);
        assert!(!path.exists(), "deleted with the guard");

        let mut config = Config::from_vars(|name| match name {
            "PWH_SQLITE_PATH" => Some("/tmp/mine.db".into()),
            "PWH_EXAMPLE_SLOW_MS" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        let _files = prepare(&mut config, |name| {
            (name == "PWH_EXAMPLE_SLOW_MS").then(|| "0".into())
        })
        .unwrap();
        assert_eq!(
            config.store.sqlite_path(),
            Some(std::path::Path::new("/tmp/mine.db"))
        );
        assert_eq!(config.welcome.slow, Duration::ZERO);
    }
}
