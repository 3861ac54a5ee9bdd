//! Two instances sharing one Redis behind one sender, in three load scenarios: steady, Redis
//! stopped for a while mid-run, and one instance killed with SIGKILL mid-run; and three probes,
//! each sending a few bodies and checking every answer: Redis stalled (`stall`), one body
//! signed by two tokens (`rotation`), one body of 15,000 events with failing handlers (`large`).
//!
//! In the load scenarios every body goes to both instances at once (two keep-alive connections
//! per worker, one to each). A body is accepted once either instance answers 2xx; when neither
//! does (500, 503, a broken connection) it is sent again, with the same bytes and signature, to
//! a random live instance, with backoff (10 ms doubling to 1 s), until accepted or the
//! scenario's time limit.
//!
//! With `--deferred` (steady only) every event is a `member_added` whose job goes to the one
//! Redis; after sending, both apps' `/state` are polled until no job is left, and each job must
//! have been done once: by the store's counts, by both apps' `welcomed_total` added up, and by
//! their logs' `welcomed a member` lines. [`baseline`] sets that run beside one instance in
//! memory.

pub(crate) mod baseline;
mod faults;
mod large;
mod pair;
mod probe;
mod rotation;
mod send;
mod stall;
mod summary;

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::Instant;

use crate::app::{self, App, Credentials, Launch};
use crate::bodies::Plan;
use crate::cli::{Options, Scenario};
use crate::jobs;
use crate::ledger::{self, Ledger, INSTANCES};
use crate::redis::RedisServer;
use crate::scratch::ScratchDir;
use crate::store::Store;
use faults::{kill, read_state, redis_outage};
pub(crate) use probe::ProbeReport;
use send::{send_all, Shared, VICTIM};
use summary::MultiReport;

/// Runs one probe scenario ([`Scenario::is_probe`]): its own redis-server and two fresh apps.
///
/// # Errors
///
/// When Redis or an app cannot be started, or the scenario is no probe.
pub(crate) async fn probe(
    scenario: Scenario,
    options: &Options,
    bin: &std::path::Path,
    credentials: &Credentials,
) -> Result<ProbeReport, String> {
    match scenario {
        Scenario::Stall => stall::run(bin, credentials).await,
        Scenario::Rotation => rotation::run(bin, credentials).await,
        Scenario::Large => large::run(options, bin, credentials).await,
        _ => Err(format!("{} is no probe scenario", scenario.name())),
    }
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
    let redis_cpu_before = redis_pid.and_then(app::cpu_time);
    // Both instances keep their jobs in the one Redis (the SQLite path is a scratch file).
    let scratch = ScratchDir::new("multi").map_err(|e| e.to_string())?;
    let launch = Launch {
        fail_once: options.fail_once,
        store: Store::Redis {
            url: redis.url(),
            sqlite: scratch.sqlite_file(),
        },
        ledger: true,
        extra_tokens: None,
    };
    let [first, second] = pair::start_two(bin, credentials, &launch).await?;
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
        // Steady (the probes never come here: see `probe`).
        _ => sending.await,
    };
    let elapsed = started.elapsed();
    let member_added = events_by_kind.get("member_added").copied().unwrap_or(0);
    let jobs = if options.deferred {
        let live: Vec<_> = (0..INSTANCES)
            .filter(|i| *i == 0 || second.is_some())
            .map(|i| shared.addrs[i])
            .collect();
        eprintln!("waiting for {member_added} deferred jobs...");
        Some(jobs::wait(&live, started, options.time_limit, member_added).await)
    } else {
        None
    };

    let first_state = read_state(shared.addrs[0]).await;
    let second_state = match &second {
        Some(_) => Some(read_state(shared.addrs[1]).await),
        None => None,
    };
    // Read while the apps still run (start-up included, jobs run included).
    let app_cpu = [
        app::cpu_time(first.pid()),
        second.as_ref().and_then(|app| app::cpu_time(app.pid())),
    ];
    let redis_cpu = redis_pid
        .and_then(app::cpu_time)
        .zip(redis_cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
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
    drop(scratch);

    let mut ledger = Ledger::default();
    let mut welcomes = Ledger::default();
    for (i, log) in logs.iter().enumerate() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        ledger.add(i, ledger::parse_log(&text));
        welcomes.add(i, ledger::parse_welcomes(&text));
    }
    // Every member_added is one job, done once over both instances.
    let job_verdict = jobs.is_some().then(|| {
        let joined: Vec<_> = planned
            .iter()
            .filter(|e| e.kind == "member_added")
            .cloned()
            .collect();
        ledger::check(&joined, &welcomes, |_, _| false)
    });
    let traces = &sent.traces;
    let verdict = match (scenario, &outage) {
        (Scenario::RedisOutage, Some(o)) => ledger::check(&planned, &ledger, |webhook, _| {
            let t = &traces[webhook];
            t.first_500.is_some_and(|at| at < o.restarted_at)
                && t.accepted_at.is_some_and(|at| at >= o.stopped_at)
        }),
        (Scenario::Kill, _) => ledger::check(&planned, &ledger, |webhook, runs| {
            traces[webhook].unanswered_by[VICTIM] && runs == [1, 1]
        }),
        _ => ledger::check(&planned, &ledger, |_, _| false),
    };
    let panics = [app::panics(&logs[0]), app::panics(&logs[1])];
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
        jobs,
        job_verdict,
        app_cpu,
        redis_cpu,
        panics,
    })
}
