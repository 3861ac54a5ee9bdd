//! Two instances sharing one Redis behind one sender, in three scenarios: steady, Redis stopped
//! for a while mid-run, and one instance killed with SIGKILL mid-run.
//!
//! Every body goes to both instances at once (two keep-alive connections per worker, one to
//! each). A body is accepted once either instance answers 2xx; when neither does (500, 503, a
//! broken connection) it is sent again, with the same bytes and signature, to a random live
//! instance, with backoff (10 ms doubling to 1 s), until accepted or the scenario's time limit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::{self, App, Credentials, Launch};
use crate::bodies::{Delivery, Plan};
use crate::cli::{Options, Scenario};
use crate::client::{self, backoff, Connection, Tally, PATH};
use crate::ledger::{self, Ledger, Verdict, INSTANCES};
use crate::redis::RedisServer;
use crate::report::State;

/// The instance killed in [`Scenario::Kill`] (the second one).
const VICTIM: usize = 1;

/// What happened to one body.
#[derive(Debug, Default, Clone)]
pub(crate) struct Trace {
    /// When an instance first answered it 2xx.
    pub(crate) accepted_at: Option<Instant>,
    /// When it was first answered 500.
    pub(crate) first_500: Option<Instant>,
    /// Instances that got it and never answered (broken connection, time-out).
    pub(crate) unanswered_by: [bool; INSTANCES],
}

/// What the sender shares with its workers and the scenario's controller.
struct Shared {
    addrs: [SocketAddr; INSTANCES],
    alive: [AtomicBool; INSTANCES],
    deliveries: Arc<[Delivery]>,
    next: AtomicUsize,
    deadline: Instant,
    key: String,
}

impl Shared {
    fn alive(&self) -> Vec<usize> {
        (0..INSTANCES)
            .filter(|i| self.alive[*i].load(Ordering::Relaxed))
            .collect()
    }

    /// Bodies taken by workers so far.
    fn taken(&self) -> usize {
        self.next.load(Ordering::Relaxed).min(self.deliveries.len())
    }

    /// Waits until `count` bodies were taken (or the deadline passed).
    async fn wait_taken(&self, count: usize) {
        while self.taken() < count && Instant::now() < self.deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// What the workers saw.
#[derive(Debug, Default)]
struct Sent {
    tally: Tally,
    by_instance: [u64; INSTANCES],
    traces: Vec<Trace>,
}

/// A small per-worker generator (xorshift64*), to pick the instance of a retry.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

/// One POST of `delivery` over `slot` (opened if needed; dropped when it breaks): the status,
/// or why there was none, and the latency of an answer.
async fn exchange(
    slot: &mut Option<Connection>,
    addr: SocketAddr,
    delivery: &Delivery,
    key: &str,
) -> Result<(u16, Duration), String> {
    let conn = match slot {
        Some(conn) => conn,
        None => slot.insert(
            Connection::open(addr)
                .await
                .map_err(|e| format!("connect: {e}"))?,
        ),
    };
    let headers = [
        ("content-type", "application/json"),
        ("x-pusher-key", key),
        ("x-pusher-signature", delivery.signature.as_str()),
    ];
    let started = Instant::now();
    match conn
        .send(http::Method::POST, PATH, &headers, delivery.body.clone())
        .await
    {
        Ok((status, _)) => Ok((status, started.elapsed())),
        Err(e) => {
            *slot = None;
            Err(e.to_string())
        }
    }
}

/// Whether a body answered `status` is sent again: Pusher retries any failure; here only the
/// ones the app gives on purpose (500: a handler failed or the body was busy elsewhere; 503: no
/// memory). Anything else is a bug the run should show, not hide.
fn retried(status: u16) -> bool {
    status == 500 || status == 503
}

impl Sent {
    fn record(
        &mut self,
        instance: usize,
        answer: Result<(u16, Duration), String>,
        trace: &mut Trace,
    ) -> bool {
        match answer {
            Ok((status, latency)) => {
                self.tally.requests += 1;
                self.by_instance[instance] += 1;
                *self.tally.statuses.entry(status).or_default() += 1;
                self.tally.latencies_us.push(latency.as_micros() as u64);
                if (200..300).contains(&status) {
                    trace.accepted_at.get_or_insert_with(Instant::now);
                } else if status == 500 {
                    trace.first_500.get_or_insert_with(Instant::now);
                }
                retried(status)
            }
            Err(e) => {
                self.tally.transport_errors += 1;
                self.tally.last_transport_error = Some(e);
                trace.unanswered_by[instance] = true;
                true
            }
        }
    }
}

async fn worker(shared: Arc<Shared>, seed: u64) -> (Sent, Vec<(usize, Trace)>) {
    let mut sent = Sent::default();
    let mut traces = Vec::new();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let [mut first, mut second]: [Option<Connection>; INSTANCES] = [None, None];
    let [a, b] = shared.addrs;
    loop {
        if Instant::now() >= shared.deadline {
            break;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(delivery) = shared.deliveries.get(index) else {
            break;
        };
        let key = shared.key.as_str();
        let mut trace = Trace::default();
        // Every body to every live instance at once.
        let alive = shared.alive();
        let mut again = match alive.as_slice() {
            [0, 1] => {
                let (x, y) = tokio::join!(
                    exchange(&mut first, a, delivery, key),
                    exchange(&mut second, b, delivery, key)
                );
                let x = sent.record(0, x, &mut trace);
                let y = sent.record(1, y, &mut trace);
                x || y
            }
            [0] => sent.record(0, exchange(&mut first, a, delivery, key).await, &mut trace),
            [1] => sent.record(1, exchange(&mut second, b, delivery, key).await, &mut trace),
            _ => false,
        };
        // Then again, to one random live instance, until one accepts it.
        let mut attempt = 0;
        while trace.accepted_at.is_none() && again {
            attempt += 1;
            let pause = backoff(attempt);
            if Instant::now() + pause >= shared.deadline {
                break;
            }
            sent.tally.retries += 1;
            tokio::time::sleep(pause).await;
            let alive = shared.alive();
            let Some(&to) = alive.get(rng.below(alive.len())) else {
                break;
            };
            let answer = if to == 0 {
                exchange(&mut first, a, delivery, key).await
            } else {
                exchange(&mut second, b, delivery, key).await
            };
            again = sent.record(to, answer, &mut trace);
        }
        if trace.accepted_at.is_some() {
            sent.tally.delivered += 1;
        } else {
            sent.tally.undelivered += 1;
        }
        traces.push((index, trace));
    }
    (sent, traces)
}

/// Sends every body as the module says, with `concurrency` workers.
async fn send_all(shared: Arc<Shared>, concurrency: usize) -> Sent {
    let workers: Vec<_> = (0..concurrency)
        .map(|i| tokio::spawn(worker(Arc::clone(&shared), i as u64 + 1)))
        .collect();
    let mut all = Sent {
        traces: vec![Trace::default(); shared.deliveries.len()],
        ..Sent::default()
    };
    for worker in workers {
        match worker.await {
            Ok((sent, traces)) => {
                all.tally.merge(sent.tally);
                for i in 0..INSTANCES {
                    all.by_instance[i] += sent.by_instance[i];
                }
                for (index, trace) in traces {
                    all.traces[index] = trace;
                }
            }
            Err(e) => {
                all.tally.transport_errors += 1;
                all.tally.last_transport_error = Some(format!("a worker died: {e}"));
            }
        }
    }
    // Bodies no worker took (the time limit passed first).
    let attempted = all.tally.delivered + all.tally.undelivered;
    all.tally.undelivered += (shared.deliveries.len() as u64).saturating_sub(attempted);
    all
}

/// What the Redis outage did.
#[derive(Debug)]
pub(crate) struct Outage {
    /// redis-server's PID before it was stopped, and after the restart.
    pids: (Option<u32>, Option<u32>),
    /// Its address.
    addr: SocketAddr,
    /// Bodies taken when it was stopped.
    taken: usize,
    /// How long it was down.
    down: Duration,
    /// When it was stopped and started again.
    stopped_at: Instant,
    restarted_at: Instant,
    /// Events handled by both instances (`/state`) shortly after the stop and just before the
    /// restart; `None` when a `/state` could not be read.
    handled: (Option<u64>, Option<u64>),
    /// Why the restart failed, if it did.
    error: Option<String>,
}

impl Outage {
    /// Handlers that ran while Redis was down (after a 300 ms grace for requests that had
    /// begun with it).
    fn ran_while_down(&self) -> Option<u64> {
        match self.handled {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        }
    }
}

/// What the kill did.
#[derive(Debug)]
pub(crate) struct Kill {
    pid: u32,
    /// Bodies taken when it was killed.
    taken: usize,
    /// How it ended, or why the kill failed.
    status: Result<std::process::ExitStatus, String>,
}

/// Events handled by the instances at `addrs`, added up; `None` if one cannot be read.
async fn handled_total(addrs: &[SocketAddr]) -> Option<u64> {
    let mut total = 0;
    for addr in addrs {
        total += read_state(*addr).await.ok()?.handled_total;
    }
    Some(total)
}

async fn read_state(addr: SocketAddr) -> Result<State, String> {
    match client::get(addr, "/state").await {
        Ok((200, body)) => State::parse(&body).map_err(|e| format!("GET /state: {e}")),
        Ok((status, _)) => Err(format!("GET /state answered {status}")),
        Err(e) => Err(format!("GET /state: {e}")),
    }
}

async fn redis_outage(shared: &Shared, redis: &mut RedisServer, down: Duration) -> Outage {
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

async fn kill(shared: &Shared, victim: App) -> Kill {
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

/// Everything a two-instance scenario measured.
#[derive(Debug)]
pub(crate) struct MultiReport {
    scenario: Scenario,
    options: Options,
    webhooks: u64,
    events: u64,
    tally: Tally,
    by_instance: [u64; INSTANCES],
    elapsed: Duration,
    /// Each instance's `/state` after the run (the killed one's from its log).
    states: [Result<State, String>; INSTANCES],
    sent_by_kind: std::collections::BTreeMap<&'static str, u64>,
    verdict: Verdict,
    outage: Option<Outage>,
    kill: Option<Kill>,
    stopped: [Result<std::process::ExitStatus, String>; INSTANCES],
    logs: [PathBuf; INSTANCES],
    redis_pid: Option<u32>,
}

/// Runs one scenario: its own redis-server and two fresh apps.
///
/// # Errors
///
/// When Redis or an app cannot be started.
pub(crate) async fn run(
    scenario: Scenario,
    options: &Options,
    bin: &std::path::Path,
    credentials: &Credentials,
    plan: Plan,
) -> Result<MultiReport, String> {
    let mut redis = RedisServer::start().map_err(|e| e.to_string())?;
    eprintln!(
        "redis-server (pid {}) on {}",
        redis.pid().unwrap_or(0),
        redis.addr()
    );
    let redis_pid = redis.pid();
    let launch = Launch {
        fail_once: options.fail_once,
        redis_url: Some(redis.url()),
        ledger: true,
    };
    let first = App::start(bin, credentials, &launch)
        .await
        .map_err(|e| e.to_string())?;
    let second = App::start(bin, credentials, &launch)
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
    let logs = [first.log().to_path_buf(), second.log().to_path_buf()];
    let Plan {
        deliveries,
        events_by_kind,
        planned,
    } = plan;
    let shared = Arc::new(Shared {
        addrs: [first.addr(), second.addr()],
        alive: [AtomicBool::new(true), AtomicBool::new(true)],
        deliveries: deliveries.into(),
        next: AtomicUsize::new(0),
        deadline: Instant::now() + options.time_limit,
        key: credentials.key.clone(),
    });
    eprintln!(
        "{}: sending every body to both instances over {} workers...",
        scenario.name(),
        options.concurrency
    );
    let started = Instant::now();
    let sending = send_all(Arc::clone(&shared), options.concurrency);
    let mut outage = None;
    let mut killed = None;
    let mut second = Some(second);
    let sent = match scenario {
        Scenario::Steady => sending.await,
        Scenario::RedisOutage => {
            let (sent, o) =
                tokio::join!(sending, redis_outage(&shared, &mut redis, options.outage));
            outage = Some(o);
            sent
        }
        Scenario::Kill => {
            let victim = second.take().ok_or("no second instance")?;
            let (sent, k) = tokio::join!(sending, kill(&shared, victim));
            killed = Some(k);
            sent
        }
    };
    let elapsed = started.elapsed();

    let first_state = read_state(shared.addrs[0]).await;
    let second_state = match &second {
        Some(_) => Some(read_state(shared.addrs[1]).await),
        None => None,
    };
    let stop = |app: App| async move {
        app.stop()
            .await
            .map(|(status, _)| status)
            .map_err(|e| e.to_string())
    };
    let stopped = [
        stop(first).await,
        match second {
            Some(app) => stop(app).await,
            None => Err("killed with SIGKILL".to_owned()),
        },
    ];
    drop(redis);

    let mut ledger = Ledger::default();
    for (i, log) in logs.iter().enumerate() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        ledger.add(i, ledger::parse_log(&text));
    }
    let traces = &sent.traces;
    let verdict = match (scenario, &outage) {
        (Scenario::Steady, _) | (Scenario::RedisOutage, None) => {
            ledger::check(&planned, &ledger, |_, _| false)
        }
        (Scenario::RedisOutage, Some(o)) => ledger::check(&planned, &ledger, |webhook, _| {
            let t = &traces[webhook];
            t.first_500.is_some_and(|at| at < o.restarted_at)
                && t.accepted_at.is_some_and(|at| at >= o.stopped_at)
        }),
        (Scenario::Kill, _) => ledger::check(&planned, &ledger, |webhook, runs| {
            traces[webhook].unanswered_by[VICTIM] && runs == [1, 1]
        }),
    };
    let states = [
        first_state,
        second_state.unwrap_or_else(|| Ok(ledger.state_of(VICTIM))),
    ];
    Ok(MultiReport {
        scenario,
        options: options.clone(),
        webhooks: shared.deliveries.len() as u64,
        events: planned.len() as u64,
        tally: sent.tally,
        by_instance: sent.by_instance,
        elapsed,
        states,
        sent_by_kind: events_by_kind,
        verdict,
        outage,
        kill: killed,
        stopped,
        logs,
        redis_pid,
    })
}

impl MultiReport {
    fn answers_ok(&self) -> bool {
        let t = &self.tally;
        let unexpected = t
            .statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s) && !retried(**s))
            .count();
        unexpected == 0 && t.undelivered == 0 && t.delivered == self.webhooks
    }

    fn state_sum(&self) -> Result<State, String> {
        let states: Vec<State> = self.states.iter().cloned().collect::<Result<_, _>>()?;
        Ok(ledger::sum(&states))
    }

    fn state_mismatches(&self) -> Result<Vec<(String, u64, u64)>, String> {
        Ok(ledger::state_mismatches(
            &self.sent_by_kind,
            &self.verdict.extra_by_kind,
            &self.state_sum()?,
        ))
    }

    fn exactly_once(&self) -> bool {
        self.verdict.passed() && matches!(self.state_mismatches(), Ok(m) if m.is_empty())
    }

    fn scenario_ok(&self) -> bool {
        match self.scenario {
            Scenario::Steady => true,
            Scenario::RedisOutage => self
                .outage
                .as_ref()
                .is_some_and(|o| o.error.is_none() && o.ran_while_down() == Some(0)),
            Scenario::Kill => self.kill.as_ref().is_some_and(|k| k.status.is_ok()),
        }
    }

    fn graceful(&self) -> bool {
        self.stopped.iter().enumerate().all(|(i, s)| match s {
            Ok(status) => status.success(),
            Err(_) => self.scenario == Scenario::Kill && i == VICTIM,
        })
    }

    /// Whether every check passed.
    pub(crate) fn passed(&self) -> bool {
        self.answers_ok() && self.exactly_once() && self.scenario_ok() && self.graceful()
    }
}

impl std::fmt::Display for MultiReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.tally;
        let yes = |b: bool| if b { "yes" } else { "NO" };
        let mode = match self.options.fail_once {
            Some(ratio) => format!("fail-once {ratio}"),
            None => "no injected failures".to_owned(),
        };
        let statuses = t
            .statuses
            .iter()
            .map(|(s, n)| format!("{s} x {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut latencies = t.latencies_us.clone();
        latencies.sort_unstable();
        let secs = self.elapsed.as_secs_f64().max(f64::EPSILON);
        let v = &self.verdict;

        writeln!(
            f,
            "== pwh-loadtest: 2 instances, one Redis: {} ({mode}) ==",
            self.scenario.name()
        )?;
        writeln!(
            f,
            "webhooks sent      {} distinct, {} events, {} workers; every body to both instances at once, then to a random live one until accepted",
            self.webhooks, self.events, self.options.concurrency
        )?;
        writeln!(
            f,
            "answers            {} requests (instance 1: {}, instance 2: {}): {statuses}",
            t.requests, self.by_instance[0], self.by_instance[1]
        )?;
        writeln!(
            f,
            "not accepted       {} webhooks in the end (time limit {:.0} s)",
            t.undelivered,
            self.options.time_limit.as_secs_f64()
        )?;
        writeln!(
            f,
            "retries            {} (requests without an answer: {}{})",
            t.retries,
            t.transport_errors,
            t.last_transport_error
                .as_deref()
                .map(|e| format!(", last: {e}"))
                .unwrap_or_default()
        )?;
        if let Some(o) = &self.outage {
            writeln!(
                f,
                "redis outage       redis-server (pid {}) on {} stopped (SIGTERM, nothing persisted) after {} of {} bodies, down {:.2} s, restarted with the same arguments (pid {}){}",
                o.pids.0.unwrap_or(0),
                o.addr,
                o.taken,
                self.webhooks,
                o.down.as_secs_f64(),
                o.pids.1.unwrap_or(0),
                o.error.as_deref().map(|e| format!("; FAILED: {e}")).unwrap_or_default()
            )?;
            writeln!(
                f,
                "                   503 answers: {}; handlers run while Redis was down: {}",
                t.count(503),
                o.ran_while_down().map_or_else(
                    || "unknown (/state unreadable)".to_owned(),
                    |n| n.to_string()
                )
            )?;
        }
        if let Some(k) = &self.kill {
            writeln!(
                f,
                "kill               instance 2 (pid {}) SIGKILLed after {} of {} bodies ({}); the rest went to instance 1",
                k.pid,
                k.taken,
                self.webhooks,
                match &k.status {
                    Ok(status) => status.to_string(),
                    Err(e) => format!("FAILED: {e}"),
                }
            )?;
        }
        let state = |s: &Result<State, String>| match s {
            Ok(s) => s.handled_total.to_string(),
            Err(e) => format!("unknown ({e})"),
        };
        let second = if self.kill.is_some() {
            "instance 2 (its log, /state died with it)"
        } else {
            "instance 2"
        };
        writeln!(
            f,
            "handled (/state)   instance 1: {}, {second}: {}; added up: {} (events sent: {})",
            state(&self.states[0]),
            state(&self.states[1]),
            self.state_sum().map_or_else(
                |e| format!("unknown ({e})"),
                |s| s.handled_total.to_string()
            ),
            self.events
        )?;
        writeln!(
            f,
            "ledger (app logs)  {} events: once {}, never {}, twice where allowed {}, more than once otherwise {}{}",
            v.events,
            v.once,
            v.missing,
            v.twice_allowed,
            v.repeated,
            if v.strangers > 0 {
                format!(", runs of unknown channels {}", v.strangers)
            } else {
                String::new()
            }
        )?;
        if !v.examples.is_empty() {
            writeln!(f, "                   e.g. {}", v.examples.join("; "))?;
        }
        if let Ok(mismatches) = self.state_mismatches() {
            for (kind, expected, handled) in mismatches {
                writeln!(
                    f,
                    "                   /state {kind}: expected {expected}, handled {handled}"
                )?;
            }
        }
        let once = if !self.exactly_once() {
            "NO".to_owned()
        } else if v.twice_allowed == 0 {
            "yes: every (event, handler) ran exactly once over both instances".to_owned()
        } else {
            match self.scenario {
                Scenario::Kill => format!(
                    "yes, except {} events that ran twice: each ran once on the killed instance, in a webhook it was handling when it died (never answered), and again on the survivor",
                    v.twice_allowed
                ),
                _ => format!(
                    "yes, except {} events that ran twice: each in a webhook answered 500 before Redis restarted empty (its recorded progress was lost) and accepted after",
                    v.twice_allowed
                ),
            }
        };
        writeln!(f, "exactly once       {once}")?;
        writeln!(
            f,
            "throughput         {:.0} webhooks/s, {:.0} req/s, {:.0} events/s ({:.2} s)",
            t.delivered as f64 / secs,
            t.requests as f64 / secs,
            self.events as f64 / secs,
            secs
        )?;
        writeln!(
            f,
            "latency            p50 {}, p99 {}, max {}",
            crate::report::ms(crate::report::percentile(&latencies, 50.0)),
            crate::report::ms(crate::report::percentile(&latencies, 99.0)),
            crate::report::ms(latencies.last().copied())
        )?;
        let stopped = |s: &Result<std::process::ExitStatus, String>| match s {
            Ok(status) => format!("{} ({status})", yes(status.success())),
            Err(e) => e.clone(),
        };
        writeln!(
            f,
            "shutdown           instance 1: {}; instance 2: {}; redis-server (pid {}) stopped",
            stopped(&self.stopped[0]),
            stopped(&self.stopped[1]),
            self.redis_pid.unwrap_or(0)
        )?;
        writeln!(
            f,
            "app logs           {} ({} WARN), {} ({} WARN)",
            self.logs[0].display(),
            app::count_level(&self.logs[0], "WARN"),
            self.logs[1].display(),
            app::count_level(&self.logs[1], "WARN")
        )?;
        write!(
            f,
            "result             {} ({})",
            if self.passed() { "PASS" } else { "FAIL" },
            [
                ("every webhook accepted", self.answers_ok()),
                ("exactly once", self.exactly_once()),
                (
                    match self.scenario {
                        Scenario::Steady => "scenario",
                        Scenario::RedisOutage => "no handler without Redis",
                        Scenario::Kill => "kill done",
                    },
                    self.scenario_ok()
                ),
                ("graceful shutdown", self.graceful()),
            ]
            .iter()
            .map(|(name, ok)| format!("{name}: {}", yes(*ok)))
            .collect::<Vec<_>>()
            .join(", ")
        )
    }
}
