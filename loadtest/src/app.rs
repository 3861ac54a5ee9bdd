//! The app under test: build it, start it on a free port, watch its memory, stop it.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::store::Store;

/// The package of the app under test.
pub(crate) const PACKAGE: &str = "example-axum";

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(workspace_root());
    command
}

/// Builds the app in release and returns its binary under the workspace's target directory
/// (`CARGO_TARGET_DIR` when set).
///
/// # Errors
///
/// When cargo fails or the binary is not where cargo said it would be.
pub(crate) fn build() -> io::Result<PathBuf> {
    eprintln!("building {PACKAGE} in release...");
    let status = cargo()
        .args(["build", "--release", "--quiet", "-p", PACKAGE])
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "`cargo build --release -p {PACKAGE}` failed ({status})"
        )));
    }
    let metadata = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .stderr(Stdio::inherit())
        .output()?;
    let target = serde_json::from_slice::<serde_json::Value>(&metadata.stdout)
        .ok()
        .and_then(|m| m["target_directory"].as_str().map(PathBuf::from))
        .ok_or_else(|| io::Error::other("`cargo metadata` gave no target_directory"))?;
    let bin = target.join("release").join(PACKAGE);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(io::Error::other(format!("{} was not built", bin.display())))
    }
}

/// A running app.
pub(crate) struct App {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    log: PathBuf,
}

/// The token the app is started with, and whether it is the demo one.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    /// `PUSHER_APP_KEY`.
    pub(crate) key: String,
    /// `PUSHER_APP_SECRET`.
    pub(crate) secret: String,
    /// Whether the app uses its built-in demo token.
    pub(crate) demo: bool,
}

impl Credentials {
    /// `PUSHER_APP_KEY`/`PUSHER_APP_SECRET` when both are set here, else the demo token.
    pub(crate) fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (var("PUSHER_APP_KEY"), var("PUSHER_APP_SECRET")) {
            (Some(key), Some(secret)) => Self {
                key: key.trim().to_owned(),
                secret: secret.trim().to_owned(),
                demo: false,
            },
            _ => Self {
                key: "demo-key".into(),
                secret: "demo-secret".into(),
                demo: true,
            },
        }
    }
}

/// How an app is started, beyond its token.
#[derive(Debug, Clone, Default)]
pub(crate) struct Launch {
    /// `PWH_FAIL_ONCE`, when set.
    pub(crate) fail_once: Option<f64>,
    /// The delivery memory and the jobs: `PWH_STORE`, `PWH_SQLITE_PATH`, `PWH_REDIS_URL`.
    pub(crate) store: Store,
    /// Whether every handled event is logged (`handled <kind> on <channel>`, the tracker's
    /// `info` line) and every job `welcome_member` completes (`welcomed a member
    /// channel=<channel>`), for the per-event ledger; else `RUST_LOG=warn`.
    pub(crate) ledger: bool,
    /// `PUSHER_EXTRA_TOKENS` (`key:secret,...`), when set: more tokens of the same app. Holds
    /// secrets: never printed.
    pub(crate) extra_tokens: Option<String>,
}

/// The `RUST_LOG` of an app: `warn`, plus the tracker's per-event line and `welcome_member`'s
/// per-job line for the ledger.
pub(crate) fn rust_log(ledger: bool) -> &'static str {
    if ledger {
        "warn,example_shared::tracker=info,example_shared::handlers::welcome=info"
    } else {
        "warn"
    }
}

/// A port nobody listens on now (the app binds it a moment later).
fn free_addr() -> io::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

impl App {
    /// Starts `bin` on a free port of 127.0.0.1 with `credentials`, the default max age, and
    /// `PWH_FAIL_ONCE`, the store's variables, `PUSHER_EXTRA_TOKENS` and `RUST_LOG` as `launch`
    /// says; waits until it listens.
    /// Its output goes to a log file. The app is killed if this `App` is dropped unstopped.
    ///
    /// # Errors
    ///
    /// When it cannot be started, exits, or does not listen within 30 s.
    pub(crate) async fn start(
        bin: &Path,
        credentials: &Credentials,
        launch: &Launch,
    ) -> io::Result<Self> {
        let addr = free_addr()?;
        let log = std::env::temp_dir().join(format!("pwh-loadtest-app-{}.log", addr.port()));
        let out = std::fs::File::create(&log)?;
        let mut command = Command::new(bin);
        command
            .env("PWH_ADDR", addr.to_string())
            .env("RUST_LOG", rust_log(launch.ledger))
            .env_remove("PWH_MAX_AGE_SECS")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true);
        // With extra tokens the app reads its main token from the environment too, the demo one
        // included.
        if credentials.demo && launch.extra_tokens.is_none() {
            command
                .env_remove("PUSHER_APP_KEY")
                .env_remove("PUSHER_APP_SECRET");
        } else {
            command
                .env("PUSHER_APP_KEY", &credentials.key)
                .env("PUSHER_APP_SECRET", &credentials.secret);
        }
        match &launch.extra_tokens {
            Some(tokens) => command.env("PUSHER_EXTRA_TOKENS", tokens),
            None => command.env_remove("PUSHER_EXTRA_TOKENS"),
        };
        match launch.fail_once {
            Some(ratio) => command.env("PWH_FAIL_ONCE", ratio.to_string()),
            None => command.env_remove("PWH_FAIL_ONCE"),
        };
        for (name, value) in launch.store.env() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let mut child = command.spawn().map_err(|e| {
            io::Error::new(e.kind(), format!("cannot start {}: {e}", bin.display()))
        })?;
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("the app exited at once"))?;
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "the app exited before listening ({status}); its log:\n{}",
                    tail(&log, 20)
                )));
            }
            if TcpStream::connect(addr).await.is_ok() {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err(io::Error::other(format!(
                    "the app does not listen on {addr} after 30 s; its log:\n{}",
                    tail(&log, 20)
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self {
            child,
            pid,
            addr,
            log,
        })
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Its log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Its peak resident set size so far (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        vm_hwm_kib(&status)
    }

    /// Kills it with SIGKILL (by its PID) and reaps it: no graceful anything.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub(crate) async fn kill(mut self) -> io::Result<ExitStatus> {
        let sent = std::process::Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status()?;
        if !sent.success() {
            return Err(io::Error::other(format!(
                "`kill -KILL {}` failed",
                self.pid
            )));
        }
        self.child.wait().await
    }

    /// Asks it to stop with SIGTERM and waits (15 s at most; then it is killed).
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent or the app does not stop in time.
    pub(crate) async fn stop(mut self) -> io::Result<(ExitStatus, Duration)> {
        let started = Instant::now();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()?;
        if !sent.success() {
            return Err(io::Error::other(format!(
                "`kill -TERM {}` failed",
                self.pid
            )));
        }
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(status) => Ok((status?, started.elapsed())),
            Err(_) => {
                let _ = self.child.kill().await;
                Err(io::Error::other(
                    "the app did not stop within 15 s of SIGTERM",
                ))
            }
        }
    }
}

/// The CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
pub(crate) fn cpu_time(pid: u32) -> Option<Duration> {
    cpu_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
        // USER_HZ is 100 on Linux whatever the kernel's HZ.
        .map(|ticks| Duration::from_millis(ticks * 10))
}

/// `utime + stime` (clock ticks) of a `/proc/<pid>/stat` line: fields 14 and 15, counted after
/// the command name, which may hold spaces and parentheses.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The `VmHWM` line of a `/proc/<pid>/status` text, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The last `lines` lines of a file.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Lines of the log file at `level` (`WARN`, `ERROR`), counted.
pub(crate) fn count_level(path: &Path, level: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(level))
        .count()
}

/// The panics in the log file: each `thread '<name>' ... panicked at <place>:` line with the
/// message on the line after it. A panic in a thread of the app's (a worker, the job lease
/// keeper) need not stop it nor fail a request, so the runs look for it here.
pub(crate) fn panics(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("thread '") && l.contains(" panicked at "))
        .map(|(i, l)| match lines.get(i + 1) {
            Some(message) => format!("{l} {message}"),
            None => (*l).to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_hwm() {
        let status =
            "Name:\texample-axum\nVmPeak:\t  100 kB\nVmHWM:\t   23456 kB\nVmRSS:\t 20000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(23_456));
        assert_eq!(vm_hwm_kib("Name: x\n"), None);
    }

    #[test]
    fn reads_cpu_ticks() {
        let stat = "4242 (example axum) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 30 0 0 20 0 3";
        assert_eq!(cpu_ticks(stat), Some(280));
        assert_eq!(cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn counts_log_levels() {
        let path =
            std::env::temp_dir().join(format!("pwh-loadtest-test-{}.log", std::process::id()));
        std::fs::write(
            &path,
            "2024-01-01T00:00:00Z  WARN handler failed\n2024-01-01T00:00:00Z ERROR boom\n2024-01-01T00:00:00Z  WARN again\n",
        )
        .unwrap();
        assert_eq!(count_level(&path, "WARN"), 2);
        assert_eq!(count_level(&path, "ERROR"), 1);
        assert_eq!(tail(&path, 1), "2024-01-01T00:00:00Z  WARN again");
        assert!(panics(&path).is_empty());
        std::fs::write(
            &path,
            "2024-01-01T00:00:00Z  INFO handled member_added on a\n\nthread 'pwh-job-leases' (7) panicked at src/x.rs:1:2:\nIO is disabled\nstack backtrace:\n",
        )
        .unwrap();
        assert_eq!(
            panics(&path),
            ["thread 'pwh-job-leases' (7) panicked at src/x.rs:1:2: IO is disabled"]
        );
        let _ = std::fs::remove_file(path);
    }
}
