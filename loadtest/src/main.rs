//! `pwh-loadtest`: a load and fault tool for pwh.
//!
//! It builds the axum example app in release, starts it on a free port of 127.0.0.1 with the
//! demo token and `RUST_LOG=warn`, sends a bounded number of distinct signed webhooks (1 to 3
//! events each, of every kind the app handles) over keep-alive connections, then reads the
//! app's `GET /state` and checks that every answer was 2xx and every event was handled
//! exactly once (`handled_total` and each kind's count equal what was sent). It reports the
//! app's peak RSS, throughput and latency percentiles, and stops the app with SIGTERM,
//! checking that it exits 0.
//!
//! With `--fail-once F` the app fails a fraction `F` of handler calls once
//! (`PWH_FAIL_ONCE`); each 500 is retried with the same body and signature, as Pusher does,
//! and every event must still be handled exactly once.
//!
//! With `--duplicate` every webhook is delivered twice at the same time, as when a retry
//! races a slow original delivery; each event must still be handled once.
//!
//! The app's store is always set explicitly: `PWH_STORE=memory`, or `PWH_SQLITE_PATH` in a
//! temporary directory of the run (a Redis run keeps its jobs in Redis too). `--store sqlite` runs
//! the same load in memory and then on SQLite, side by side. With `--deferred` every event is
//! a `member_added`, which the app's deferred handler makes a job; the tool waits until every
//! job is done and checks each ran exactly once; with `--instances 2 --redis --deferred` the
//! same on one instance in memory, then on two instances whose jobs are in one Redis.
//!
//! ```sh
//! scripts/load.sh                      # 50,000 webhooks, 64 connections
//! scripts/load.sh --fail-once 0.05     # the same, 5 % of handler calls failing once
//! scripts/load.sh --store sqlite --deferred
//! ```
//!
//! A tool, not a test: `cargo test` runs only its unit tests.

mod app;
mod bodies;
mod cli;
mod client;
mod compare;
mod jobs;
mod ledger;
mod multi;
mod redis;
mod report;
mod scratch;
mod store;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pwh_core::{KeyRing, Token};

use crate::app::{App, Credentials, Launch};
use crate::cli::{Command, Options, Scenario, StoreChoice};
use crate::client::Sending;
use crate::compare::Comparison;
use crate::multi::baseline::PairVsMemory;
use crate::redis::RedisServer;
use crate::report::{Report, State};
use crate::scratch::ScratchDir;
use crate::store::Store;

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let bin = match options.app_bin.clone() {
        Some(bin) => bin,
        None => match app::build() {
            Ok(bin) => bin,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    // One thread for the sender leaves the other core to the app.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start a runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = if options.instances == 2 && options.deferred {
        runtime.block_on(memory_and_pair(&options, &bin))
    } else if options.instances == 2 {
        runtime.block_on(two_instances(&options, &bin))
    } else if options.store == StoreChoice::Redis {
        runtime.block_on(memory_and_redis(&options, &bin))
    } else if options.store == StoreChoice::Sqlite {
        runtime.block_on(memory_and_sqlite(&options, &bin))
    } else {
        runtime
            .block_on(run(&options, &bin, Backend::Memory))
            .map(|report| {
                println!("{report}");
                report.passed()
            })
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The token, and a plan of `options.webhooks` webhooks signed with it; `label` keeps the
/// channels of two runs of one invocation apart.
fn plan(options: &Options, label: &str) -> Result<(Credentials, bodies::Plan), String> {
    let credentials = Credentials::from_env();
    let keys = KeyRing::new([Token::new(
        credentials.key.clone(),
        credentials.secret.clone(),
    )]);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let run_id = format!("{now_ms:x}{label}");
    eprintln!(
        "signing {} distinct webhooks with key `{}`...",
        options.webhooks, credentials.key
    );
    let kinds: &[&'static str] = if options.deferred {
        &bodies::DEFERRED_KINDS
    } else {
        &bodies::KINDS
    };
    let plan = bodies::plan(
        options.webhooks,
        &run_id,
        now_ms,
        &keys,
        &credentials.key,
        kinds,
    )
    .ok_or("cannot sign with the configured token")?;
    Ok((credentials, plan))
}

/// The same load with the in-memory memory, then with a redis-server of its own; both reports
/// and the two side by side.
async fn memory_and_redis(options: &Options, bin: &Path) -> Result<bool, String> {
    let memory = run(options, bin, Backend::Memory).await?;
    println!("{memory}\n");
    let redis = RedisServer::start().map_err(|e| e.to_string())?;
    eprintln!(
        "redis-server (pid {}) on {}",
        redis.pid().unwrap_or(0),
        redis.addr()
    );
    let with_redis = run(
        options,
        bin,
        Backend::Redis {
            url: redis.url(),
            pid: redis.pid(),
        },
    )
    .await;
    drop(redis);
    let with_redis = with_redis?;
    println!("{with_redis}\n");
    let comparison = Comparison {
        memory: &memory,
        other: &with_redis,
    };
    println!("{comparison}");
    Ok(comparison.passed())
}

/// The same load with everything in memory, then in one SQLite file; both reports and the two
/// side by side.
async fn memory_and_sqlite(options: &Options, bin: &Path) -> Result<bool, String> {
    let memory = run(options, bin, Backend::Memory).await?;
    println!("{memory}\n");
    let sqlite = run(options, bin, Backend::Sqlite).await?;
    println!("{sqlite}\n");
    let comparison = Comparison {
        memory: &memory,
        other: &sqlite,
    };
    println!("{comparison}");
    Ok(comparison.passed())
}

/// `--instances 2 --redis --deferred`: the baseline (the same load on one instance, everything
/// in memory), then two instances on one Redis (steady), both reports and the two side by side.
async fn memory_and_pair(options: &Options, bin: &Path) -> Result<bool, String> {
    let memory = run(options, bin, Backend::Memory).await?;
    println!("{memory}\n");
    let (credentials, plan) = plan(options, "pair")?;
    let pair = multi::run(Scenario::Steady, options, bin, &credentials, plan).await?;
    println!("{pair}\n");
    let comparison = PairVsMemory {
        memory: &memory,
        pair: &pair,
    };
    println!("{comparison}");
    Ok(comparison.passed())
}

/// The two-instance scenarios, in turn; each prints its summary.
async fn two_instances(options: &Options, bin: &Path) -> Result<bool, String> {
    let mut passed = true;
    let mut results = Vec::new();
    for (i, scenario) in options.scenarios.iter().enumerate() {
        let ok = if scenario.is_probe() {
            let credentials = Credentials::from_env();
            let report = multi::probe(*scenario, options, bin, &credentials).await?;
            println!("{report}\n");
            report.passed()
        } else {
            let (credentials, plan) = plan(options, &format!("s{i}"))?;
            let report = multi::run(*scenario, options, bin, &credentials, plan).await?;
            println!("{report}\n");
            report.passed()
        };
        passed &= ok;
        results.push((scenario.name(), ok));
    }
    if results.len() > 1 {
        let line = results
            .iter()
            .map(|(name, ok)| format!("{name} {}", if *ok { "PASS" } else { "FAIL" }))
            .collect::<Vec<_>>()
            .join(", ");
        println!("== two instances: {line} ==");
    }
    Ok(passed)
}

/// The store of one run.
enum Backend {
    /// Everything in the app's memory.
    Memory,
    /// Everything in one SQLite file of a temporary directory.
    Sqlite,
    /// The delivery memory on a redis-server (its URL, and its PID to read the CPU it used);
    /// the jobs in one SQLite file of a temporary directory.
    Redis { url: String, pid: Option<u32> },
}

/// One run against one app, its store as `backend` says; a SQLite file is made in a temporary
/// directory of the run, removed when the run ends.
async fn run(options: &Options, bin: &Path, backend: Backend) -> Result<Report, String> {
    let scratch = match backend {
        Backend::Memory => None,
        Backend::Sqlite | Backend::Redis { .. } => {
            Some(ScratchDir::new("run").map_err(|e| e.to_string())?)
        }
    };
    let sqlite = || {
        scratch
            .as_ref()
            .map(ScratchDir::sqlite_file)
            .unwrap_or_default()
    };
    let (store, redis_pid) = match backend {
        Backend::Memory => (Store::Memory, None),
        Backend::Sqlite => (Store::Sqlite { path: sqlite() }, None),
        Backend::Redis { url, pid } => (
            Store::Redis {
                url,
                sqlite: sqlite(),
            },
            pid,
        ),
    };
    let label = store.label();
    let redis_cpu_before = redis_pid.and_then(app::cpu_time);
    let (credentials, plan) = plan(options, label)?;
    let events = plan.events();
    let member_added = plan
        .events_by_kind
        .get("member_added")
        .copied()
        .unwrap_or(0);
    let deliveries: Arc<[bodies::Delivery]> = if options.duplicate {
        // Adjacent copies: two workers take them at about the same time.
        plan.deliveries
            .into_iter()
            .flat_map(|d| [d.clone(), d])
            .collect()
    } else {
        plan.deliveries.into()
    };
    let sent = deliveries.len() as u64;

    let store_path = match &store {
        Store::Sqlite { path } => format!(" in {}", path.display()),
        Store::Redis { .. } | Store::Memory => String::new(),
    };
    let launch = Launch {
        fail_once: options.fail_once,
        store,
        ledger: false,
        extra_tokens: None,
    };
    let app = App::start(bin, &credentials, &launch)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "app {} (pid {}, {label} redelivery memory{store_path}) listening on {}; log: {}",
        bin.display(),
        app.pid(),
        app.addr(),
        app.log().display()
    );
    eprintln!(
        "sending over {} keep-alive connections...",
        options.concurrency
    );
    let sending = Sending {
        key: credentials.key.clone(),
        retry_500: options.fail_once.is_some(),
        retries: options.retries,
    };
    let started = Instant::now();
    let tally = client::send_all(app.addr(), deliveries, options.concurrency, sending).await;
    let elapsed = started.elapsed();
    let jobs = if options.deferred {
        eprintln!("waiting for {member_added} deferred jobs...");
        Some(jobs::wait(&[app.addr()], started, options.time_limit, member_added).await)
    } else {
        None
    };

    let state = match client::get(app.addr(), "/state").await {
        Ok((200, body)) => State::parse(&body).map_err(|e| format!("GET /state: {e}")),
        Ok((status, _)) => Err(format!("GET /state answered {status}")),
        Err(e) => Err(format!("GET /state: {e}")),
    };
    // Read while the app still runs.
    let peak_rss_kib = app.peak_rss_kib();
    let app_cpu = app::cpu_time(app.pid());
    let log = app.log().to_path_buf();
    let stopped = app.stop().await.map_err(|e| e.to_string());
    let warnings = app::count_level(&log, "WARN");
    let errors = app::count_level(&log, "ERROR");
    let panics = app::panics(&log);
    drop(scratch);
    Ok(Report {
        options: options.clone(),
        store: label,
        webhooks: options.webhooks as u64,
        deliveries: sent,
        events,
        expected_by_kind: plan.events_by_kind,
        tally,
        elapsed,
        state,
        jobs,
        peak_rss_kib,
        app_cpu,
        redis_cpu: redis_pid
            .and_then(app::cpu_time)
            .zip(redis_cpu_before)
            .map(|(after, before)| after.saturating_sub(before)),
        stopped,
        log,
        warnings,
        errors,
        panics,
    })
}
