//! The faults of the scenarios: Redis stopped and restarted, an instance killed.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::send::{Shared, VICTIM};
use crate::app::App;
use crate::client::{self};
use crate::redis::RedisServer;
use crate::report::State;

/// What the Redis outage did.
#[derive(Debug)]
pub(crate) struct Outage {
    /// redis-server's PID before it was stopped, and after the restart.
    pub(super) pids: (Option<u32>, Option<u32>),
    /// Its address.
    pub(super) addr: SocketAddr,
    /// Bodies taken when it was stopped.
    pub(super) taken: usize,
    /// How long it was down.
    pub(super) down: Duration,
    /// When it was stopped and started again.
    pub(super) stopped_at: Instant,
    pub(super) restarted_at: Instant,
    /// Events handled by both instances (`/state`) shortly after the stop and just before the
    /// restart; `None` when a `/state` could not be read.
    pub(super) handled: (Option<u64>, Option<u64>),
    /// Why the restart failed, if it did.
    pub(super) error: Option<String>,
}

impl Outage {
    /// Handlers that ran while Redis was down (after a 300 ms grace for requests that had
    /// begun with it).
    pub(super) fn ran_while_down(&self) -> Option<u64> {
        match self.handled {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        }
    }
}

/// What the kill did.
#[derive(Debug)]
pub(crate) struct Kill {
    pub(super) pid: u32,
    /// Bodies taken when it was killed.
    pub(super) taken: usize,
    /// How it ended, or why the kill failed.
    pub(super) status: Result<std::process::ExitStatus, String>,
}

/// Events handled by the instances at `addrs`, added up; `None` if one cannot be read.
pub(super) async fn handled_total(addrs: &[SocketAddr]) -> Option<u64> {
    let mut total = 0;
    for addr in addrs {
        total += read_state(*addr).await.ok()?.handled_total;
    }
    Some(total)
}

pub(super) async fn read_state(addr: SocketAddr) -> Result<State, String> {
    match client::get(addr, "/state").await {
        Ok((200, body)) => State::parse(&body).map_err(|e| format!("GET /state: {e}")),
        Ok((status, _)) => Err(format!("GET /state answered {status}")),
        Err(e) => Err(format!("GET /state: {e}")),
    }
}

pub(super) async fn redis_outage(
    shared: &Shared,
    redis: &mut RedisServer,
    down: Duration,
) -> Outage {
    let n = shared.deliveries.len();
    shared.wait_taken(n * 3 / 10).await;
    let taken = shared.taken();
    let pid = redis.pid();
    let grace = Duration::from_millis(300).min(down / 2);
    let stopped = redis.stop();
    let stopped_at = Instant::now();
    eprintln!(
        "redis-server (pid {}) stopped after {taken} of {n} bodies; down for {:.1} s",
        pid.unwrap_or(0),
        down.as_secs_f64()
    );
    tokio::time::sleep(grace).await;
    let before = handled_total(&shared.addrs).await;
    tokio::time::sleep(down.saturating_sub(grace)).await;
    let after = handled_total(&shared.addrs).await;
    let restarted = redis.restart();
    let restarted_at = Instant::now();
    eprintln!(
        "redis-server restarted on {} (pid {})",
        redis.addr(),
        redis.pid().unwrap_or(0)
    );
    let error = match (stopped, restarted) {
        (Err(e), _) => Some(format!("stop: {e}")),
        (_, Err(e)) => Some(format!("restart: {e}")),
        _ => None,
    };
    Outage {
        pids: (pid, redis.pid()),
        addr: redis.addr(),
        taken,
        down: restarted_at - stopped_at,
        stopped_at,
        restarted_at,
        handled: (before, after),
        error,
    }
}

pub(super) async fn kill(shared: &Shared, victim: App) -> Kill {
    let n = shared.deliveries.len();
    shared.wait_taken(n * 4 / 10).await;
    let taken = shared.taken();
    let pid = victim.pid();
    // No new body goes to it; the ones it holds now break.
    shared.alive[VICTIM].store(false, Ordering::Relaxed);
    let status = victim.kill().await.map_err(|e| e.to_string());
    eprintln!("instance 2 (pid {pid}) killed with SIGKILL after {taken} of {n} bodies");
    Kill { pid, taken, status }
}
