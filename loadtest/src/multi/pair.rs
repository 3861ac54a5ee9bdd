//! Two fresh apps on one fresh redis-server, for the probe scenarios: start them, post one body
//! at a time, read their `/state`, stop them and read what their logs say they handled.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::faults::read_state;
use crate::app::{self, App, Credentials, Launch};
use crate::client::{Connection, PATH};
use crate::ledger::{self, Ledger, INSTANCES};
use crate::redis::RedisServer;
use crate::report::State;
use crate::scratch::ScratchDir;
use crate::store::Store;

/// Starts two apps as `launch` says and names them on stderr.
///
/// # Errors
///
/// When an app cannot be started.
pub(super) async fn start_two(
    bin: &Path,
    credentials: &Credentials,
    launch: &Launch,
) -> Result<[App; INSTANCES], String> {
    let first = App::start(bin, credentials, launch)
        .await
        .map_err(|e| e.to_string())?;
    let second = App::start(bin, credentials, launch)
        .await
        .map_err(|e| e.to_string())?;
    for (i, app) in [&first, &second].into_iter().enumerate() {
        eprintln!(
            "instance {} (pid {}) on {}; log: {}",
            i + 1,
            app.pid(),
            app.addr(),
            app.log().display()
        );
    }
    Ok([first, second])
}

/// Two apps sharing one Redis (the delivery memory) and one SQLite file (the jobs).
pub(super) struct Pair {
    pub(super) redis: RedisServer,
    apps: [App; INSTANCES],
    /// The directory of the SQLite file, removed once the apps have stopped.
    scratch: ScratchDir,
}

/// What is left of a pair once stopped.
#[derive(Debug)]
pub(crate) struct Stopped {
    /// How each app ended after SIGTERM.
    pub(crate) statuses: [Result<ExitStatus, String>; INSTANCES],
    /// Every `handled <kind> on <channel>` line of both logs.
    pub(crate) ledger: Ledger,
    /// The log files.
    pub(crate) logs: [PathBuf; INSTANCES],
    /// redis-server's PID.
    pub(crate) redis_pid: Option<u32>,
}

impl Stopped {
    /// Whether both apps exited 0.
    pub(crate) fn graceful(&self) -> bool {
        self.statuses
            .iter()
            .all(|s| s.as_ref().is_ok_and(ExitStatus::success))
    }
}

impl Pair {
    /// Starts a redis-server and two apps on it, as `launch` says (its store is set here: that
    /// Redis, and one SQLite file of a temporary directory for both apps' jobs), each logging
    /// every handled event.
    ///
    /// # Errors
    ///
    /// When Redis or an app cannot be started.
    pub(super) async fn start(
        bin: &Path,
        credentials: &Credentials,
        launch: Launch,
    ) -> Result<Self, String> {
        let redis = RedisServer::start().map_err(|e| e.to_string())?;
        eprintln!(
            "redis-server (pid {}) on {}",
            redis.pid().unwrap_or(0),
            redis.addr()
        );
        let scratch = ScratchDir::new("pair").map_err(|e| e.to_string())?;
        let launch = Launch {
            store: Store::Redis {
                url: redis.url(),
                sqlite: scratch.sqlite_file(),
            },
            ledger: true,
            ..launch
        };
        let apps = start_two(bin, credentials, &launch).await?;
        Ok(Self {
            redis,
            apps,
            scratch,
        })
    }

    /// Where instance `i` (0-based) listens.
    pub(super) fn addr(&self, i: usize) -> SocketAddr {
        self.apps[i % INSTANCES].addr()
    }

    /// Each instance's `/state` now.
    pub(super) async fn states(&self) -> [Result<State, String>; INSTANCES] {
        [
            read_state(self.addr(0)).await,
            read_state(self.addr(1)).await,
        ]
    }

    /// Events handled by both instances now, added up (`None` if a `/state` is unreadable).
    pub(super) async fn handled_total(&self) -> Option<u64> {
        let states: Vec<State> = self
            .states()
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .ok()?;
        Some(ledger::sum(&states).handled_total)
    }

    /// Stops both apps with SIGTERM, then Redis, and reads their logs.
    pub(super) async fn stop(self) -> Stopped {
        let Self {
            redis,
            apps,
            scratch,
        } = self;
        let redis_pid = redis.pid();
        let logs = [apps[0].log().to_path_buf(), apps[1].log().to_path_buf()];
        let mut statuses = [Err(String::new()), Err(String::new())];
        for (i, app) in apps.into_iter().enumerate() {
            statuses[i] = app
                .stop()
                .await
                .map(|(status, _)| status)
                .map_err(|e| e.to_string());
        }
        drop(redis);
        drop(scratch);
        let mut ledger = Ledger::default();
        for (i, log) in logs.iter().enumerate() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            ledger.add(i, ledger::parse_log(&text));
        }
        Stopped {
            statuses,
            ledger,
            logs,
            redis_pid,
        }
    }
}

/// One POST of `body` signed `signature` by `key`, on a fresh connection to `addr`: its status
/// and how long it took from before the connection was opened to the end of the answer.
pub(super) async fn post(
    addr: SocketAddr,
    body: Bytes,
    key: &str,
    signature: &str,
) -> (Result<u16, String>, Duration) {
    let started = Instant::now();
    let headers = [
        ("content-type", "application/json"),
        ("x-pusher-key", key),
        ("x-pusher-signature", signature),
    ];
    let status = match Connection::open(addr).await {
        Ok(mut conn) => conn
            .send(http::Method::POST, PATH, &headers, body)
            .await
            .map(|(status, _)| status)
            .map_err(|e| e.to_string()),
        Err(e) => Err(format!("connect: {e}")),
    };
    (status, started.elapsed())
}

/// The WARN and ERROR lines of an app's log, at most `most` (the apps never log a body or a
/// secret), for a failed check's evidence.
pub(crate) fn warnings(log: &Path, most: usize) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| matches!(l.split_whitespace().nth(1), Some("WARN" | "ERROR")))
        .take(most)
        .map(str::to_owned)
        .collect()
}

/// Lines of `log` at WARN.
pub(crate) fn warn_count(log: &Path) -> usize {
    app::count_level(log, "WARN")
}
