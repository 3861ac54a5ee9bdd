//! A throw-away `redis-server` for a run: a free port of 127.0.0.1, a temporary directory, no
//! persistence (`--save '' --appendonly no`), `DEBUG` allowed from loopback connections only
//! (`--enable-debug-command local`, for `DEBUG SLEEP`: a stalled server); stopped by its PID
//! when the run ends, also when it fails (on drop).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` this tool started.
pub(crate) struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

/// The arguments `redis-server` is started (and restarted) with.
pub(crate) fn args(port: u16, dir: &str) -> Vec<String> {
    let log = format!("{dir}/redis.log");
    [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--logfile",
        &log,
        "--daemonize",
        "no",
        // `DEBUG SLEEP` stalls the whole server: the stall scenario's fault. Local clients only.
        "--enable-debug-command",
        "local",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

impl RedisServer {
    /// Starts `redis-server` on a free port of 127.0.0.1 and waits until it answers `PING`.
    ///
    /// # Errors
    ///
    /// When `redis-server` is missing, exits, or does not answer within 10 s.
    pub(crate) fn start() -> io::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir =
            std::env::temp_dir().join(format!("pwh-loadtest-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut server = Self {
            child: None,
            port,
            dir,
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> io::Result<()> {
        let dir = self.dir.to_string_lossy().into_owned();
        let mut child = Command::new("redis-server")
            .args(args(self.port, &dir))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot start redis-server ({e}); install it: apt-get install -y redis-server"),
                )
            })?;
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "redis-server exited at once ({status}); its log: {}",
                    self.dir.join("redis.log").display()
                )));
            }
            if ping(self.addr()) {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other(
                    "redis-server does not answer PING after 10 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
        Ok(())
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The URL for `PWH_REDIS_URL`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Its PID while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops it with SIGTERM and waits (5 s at most; then SIGKILL). Its memory is gone: it
    /// persists nothing.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub(crate) fn stop(&mut self) -> io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        if !sent.success() {
            let _ = child.kill();
        }
        let started = Instant::now();
        while child.try_wait()?.is_none() {
            if started.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Starts it again on the same port with the same arguments.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub(crate) fn restart(&mut self) -> io::Result<()> {
        self.stop()?;
        self.spawn()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // By its PID: this process's own child.
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends `DEBUG SLEEP secs` to the Redis at `addr` on a connection of its own and waits for
/// its `+OK`: the whole server answers nobody meanwhile. Blocking: call it from a thread that
/// does not drive the sender.
///
/// # Errors
///
/// When Redis cannot be reached, refuses the command, or does not answer within `secs + 5` s.
pub(crate) fn debug_sleep(addr: SocketAddr, secs: u64) -> io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
    stream.set_read_timeout(Some(Duration::from_secs(secs + 5)))?;
    stream.write_all(format!("DEBUG SLEEP {secs}\r\n").as_bytes())?;
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n") && answer.len() < 512 {
        stream.read_exact(&mut byte)?;
        answer.push(byte[0]);
    }
    if answer == b"+OK\r\n" {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "DEBUG SLEEP answered {:?}",
            String::from_utf8_lossy(&answer).trim_end()
        )))
    }
}

/// Whether a Redis answers `PING` at `addr` within 500 ms.
fn ping(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_persistence_and_loopback_only() {
        let args = args(6400, "/tmp/x");
        let pairs: Vec<(&str, &str)> = args
            .chunks(2)
            .map(|p| (p[0].as_str(), p[1].as_str()))
            .collect();
        assert!(pairs.contains(&("--port", "6400")));
        assert!(pairs.contains(&("--bind", "127.0.0.1")));
        assert!(pairs.contains(&("--save", "")));
        assert!(pairs.contains(&("--appendonly", "no")));
        assert!(pairs.contains(&("--dir", "/tmp/x")));
        assert!(pairs.contains(&("--enable-debug-command", "local")));
    }
}
