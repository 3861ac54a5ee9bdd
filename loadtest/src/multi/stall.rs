//! The stall scenario: Redis answers nobody for 2 s (`DEBUG SLEEP 2`, sent on a connection of
//! its own from a blocking thread). Fresh bodies posted meanwhile, alternating instances, must
//! each be answered 503 within 1 s (the lease request times out; nothing runs). Right after
//! Redis wakes, the same bodies, each to the other instance, must each be answered 200 within
//! 1 s: the lease requests that reached Redis after their caller gave up took nothing (no
//! phantom lease holds a body busy). Every event is then handled exactly once.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pwh_core::{KeyRing, Token};

use super::pair::{post, Pair};
use super::probe::{self, ProbeReport};
use crate::app::{Credentials, Launch};
use crate::bodies::{self, Delivery};
use crate::cli::Scenario;
use crate::ledger::INSTANCES;
use crate::redis;

/// Fresh bodies posted while Redis sleeps.
const BODIES: usize = 20;
/// How long Redis sleeps.
const SLEEP_SECS: u64 = 2;
/// Let the `DEBUG SLEEP` reach Redis before the bodies are posted.
const SETTLE: Duration = Duration::from_millis(150);
/// The longest any answer may take.
const WITHIN: Duration = Duration::from_secs(1);

/// One round of posts: body `i` to instance `(i + shift) % 2`, all at once, each on its own
/// connection. Each answer, its latency, and when it arrived.
async fn round(
    pair: &Pair,
    bodies: &[Delivery],
    key: &str,
    shift: usize,
) -> Vec<(Result<u16, String>, Duration, Instant)> {
    let posts: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (addr, body, signature) =
                (pair.addr(i + shift), d.body.clone(), d.signature.clone());
            let key = key.to_owned();
            tokio::spawn(async move {
                let (status, took) = post(addr, body, &key, &signature).await;
                (status, took, Instant::now())
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(posts.len());
    for p in posts {
        answers.push(
            p.await
                .unwrap_or_else(|e| (Err(format!("task: {e}")), Duration::MAX, Instant::now())),
        );
    }
    answers
}

fn all(answers: &[(Result<u16, String>, Duration, Instant)], status: u16) -> bool {
    answers
        .iter()
        .all(|(s, took, _)| s.as_ref() == Ok(&status) && *took <= WITHIN)
}

fn split(
    answers: &[(Result<u16, String>, Duration, Instant)],
) -> (Vec<Result<u16, String>>, Vec<Duration>) {
    answers.iter().map(|(s, t, _)| (s.clone(), *t)).unzip()
}

/// Runs the scenario on a fresh Redis and two fresh apps (no injected failures). A warm-up
/// body per instance first, so that each has its Redis connection before the stall.
pub(super) async fn run(
    bin: &std::path::Path,
    credentials: &Credentials,
) -> Result<ProbeReport, String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let keys = KeyRing::new([Token::new(
        credentials.key.clone(),
        credentials.secret.clone(),
    )]);
    let plan = bodies::plan(
        INSTANCES + BODIES,
        &format!("{now_ms:x}stall"),
        now_ms,
        &keys,
        &credentials.key,
        &bodies::KINDS,
    )
    .ok_or("cannot sign with the configured token")?;
    let pair = Pair::start(bin, credentials, Launch::default()).await?;
    let key = credentials.key.as_str();
    let (warm, fresh) = plan
        .deliveries
        .split_at(INSTANCES.min(plan.deliveries.len()));
    let warm = round(&pair, warm, key, 0).await;

    let addr = pair.redis.addr();
    eprintln!(
        "stall: DEBUG SLEEP {SLEEP_SECS} on {addr}, {} fresh bodies meanwhile",
        fresh.len()
    );
    let sleeper = tokio::task::spawn_blocking(move || {
        let sent = Instant::now();
        let slept = redis::debug_sleep(addr, SLEEP_SECS);
        (sent, Instant::now(), slept)
    });
    tokio::time::sleep(SETTLE).await;
    let during_started = Instant::now();
    let during = round(&pair, fresh, key, 0).await;
    let (sleep_sent, woke, slept) = sleeper
        .await
        .map_err(|e| format!("the DEBUG SLEEP thread: {e}"))?;
    let after_started = Instant::now();
    let after = round(&pair, fresh, key, 1).await;
    let states = pair.states().await;
    let stopped = pair.stop().await;

    let in_sleep = during.iter().all(|(_, _, at)| *at < woke);
    let (during_statuses, during_latencies) = split(&during);
    let (after_statuses, after_latencies) = split(&after);
    let (warm_statuses, _) = split(&warm);
    let mut report = ProbeReport {
        scenario: Scenario::Stall,
        mode: "no injected failures".to_owned(),
        lines: vec![
            (
                "warm-up",
                format!(
                    "{} bodies, one per instance: {}",
                    warm.len(),
                    probe::statuses(&warm_statuses)
                ),
            ),
            (
                "redis stall",
                format!(
                    "DEBUG SLEEP {SLEEP_SECS} on its own connection: {}, Redis silent for {:.2} s",
                    match &slept {
                        Ok(()) => "+OK".to_owned(),
                        Err(e) => format!("FAILED: {e}"),
                    },
                    (woke - sleep_sent).as_secs_f64()
                ),
            ),
            (
                "during the stall",
                format!(
                    "{} fresh bodies, all at once, {:.0} ms into the sleep, alternating instances: {}; latency {}; all answered before Redis woke: {}",
                    fresh.len(),
                    (during_started - sleep_sent).as_secs_f64() * 1e3,
                    probe::statuses(&during_statuses),
                    probe::latency(&during_latencies),
                    if in_sleep { "yes" } else { "NO" }
                ),
            ),
            (
                "after it",
                format!(
                    "the same bodies, each to the other instance, {:.1} ms after Redis woke: {}; latency {}",
                    (after_started - woke).as_secs_f64() * 1e3,
                    probe::statuses(&after_statuses),
                    probe::latency(&after_latencies)
                ),
            ),
        ],
        checks: vec![
            ("warm-up 200", all(&warm, 200)),
            (
                "stall done",
                slept.is_ok() && woke - sleep_sent >= Duration::from_millis(SLEEP_SECS * 900) && in_sleep,
            ),
            ("503 within 1 s", !during.is_empty() && all(&during, 503)),
            ("200 within 1 s after", !after.is_empty() && all(&after, 200)),
        ],
        stopped,
    };
    probe::exactly_once(&mut report, &plan.planned, &states);
    Ok(report)
}
