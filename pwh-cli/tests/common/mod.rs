//! The example axum app served in-process on 127.0.0.1:0, and the built `pwh` binary run
//! against it.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use example_shared::{App, Config};
use pwh_core::{KeyRing, Token};
use serde_json::Value;

/// The app's main token, given to `pwh` through PUSHER_APP_KEY/PUSHER_APP_SECRET.
pub const KEY: &str = "cli-test-key";
pub const SECRET: &str = "cli-test-secret-5f2a9c";
/// A second token the app trusts (key rotation), given to `pwh` in PUSHER_EXTRA_TOKENS.
pub const OLD_KEY: &str = "cli-old-key";
pub const OLD_SECRET: &str = "cli-old-secret-91be04";

/// The example app on a multi-thread runtime owned by the test.
pub struct Server {
    runtime: tokio::runtime::Runtime,
    pub addr: SocketAddr,
}

impl Server {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Config {
            keys: KeyRing::new([Token::new(KEY, SECRET), Token::new(OLD_KEY, OLD_SECRET)]),
            demo_credentials: false,
            addr,
            max_age: Some(pwh_core::Dispatcher::DEFAULT_MAX_AGE),
            fail_once_ratio: 0.0,
            redis: None,
            store: example_shared::Store::Memory,
            welcome: example_shared::Welcome::default(),
        };
        let app = App::new(&config);
        let router = example_axum::router(app.clone(), app.dispatcher(&config).unwrap());
        runtime.spawn(async move { axum::serve(listener, router).await });
        Self { runtime, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}/pusher/webhooks", self.addr)
    }

    /// `GET /state`, as JSON.
    pub fn state(&self) -> Value {
        let reply = self.request("GET", "/state", &[], b"");
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_str(&reply.body).unwrap()
    }

    /// Events the app has handled so far.
    pub fn handled_total(&self) -> u64 {
        self.state()["handled_total"].as_u64().unwrap()
    }

    /// A raw HTTP/1.1 request, as curl would send it.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> example_shared::http::Reply {
        self.runtime
            .block_on(example_shared::http::send(
                self.addr, method, path, headers, body,
            ))
            .unwrap()
    }
}

/// What a run of `pwh` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The status line `pwh send`/`replay` print first: `HTTP 200 OK in 1.2 ms`.
    pub fn http_status(&self) -> u16 {
        let line = self.stdout.lines().next().unwrap_or_default();
        assert!(
            line.starts_with("HTTP ") && line.ends_with(" ms"),
            "{self:?}"
        );
        line[5..8].parse().unwrap()
    }
}

/// Runs `pwh` with the app's main token in the environment and the other PUSHER_ variables
/// removed.
pub fn pwh(args: &[&str]) -> Run {
    pwh_with(
        &[("PUSHER_APP_KEY", KEY), ("PUSHER_APP_SECRET", SECRET)],
        args,
        None,
    )
}

/// Runs `pwh` with exactly these PUSHER_ variables, and `stdin` as its standard input.
pub fn pwh_with(env: &[(&str, &str)], args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pwh"));
    command
        .args(args)
        .env_remove("PUSHER_APP_KEY")
        .env_remove("PUSHER_APP_SECRET")
        .env_remove("PUSHER_EXTRA_TOKENS")
        .env("NO_PROXY", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // A run refused before it reads its input (a missing flag) closes the pipe first.
    if let Err(e) = input.write_all(stdin.unwrap_or_default()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(input);
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A fresh temporary directory for one test's files, removed when dropped.
pub fn temp_dir(test: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("pwh-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}
