//! The large scenario: one body of 15,000 small events, the apps failing a fraction of handler
//! calls once each (`--fail-once`, 0.05 by default). It is posted to instance 1 and, while it is
//! answered 500 (or 503), again with the same bytes and signature to the other instance, up to
//! 10 tries: it must be answered 200 within them, each answer within 4 s, and every event must
//! run successfully exactly once over both instances (a retry runs only what is left).
//!
//! The fault injector of each app remembers its own failures, by (handler, channel, time): a
//! call failed on one instance fails again the first time the other instance makes it, so a body
//! usually needs three tries here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pwh_core::{KeyRing, Token};

use super::pair::{post, Pair};
use super::probe::{self, ProbeReport};
use crate::app::{Credentials, Launch};
use crate::bodies;
use crate::cli::{Options, Scenario};

/// Events in the body.
const EVENTS: usize = 15_000;
/// Tries at most.
const TRIES: usize = 10;
/// The longest one answer may take.
const WITHIN: Duration = Duration::from_secs(4);
/// `PWH_FAIL_ONCE` unless `--fail-once` says otherwise.
const FAIL_ONCE: f64 = 0.05;

/// Runs the scenario on a fresh Redis and two fresh apps.
pub(super) async fn run(
    options: &Options,
    bin: &std::path::Path,
    credentials: &Credentials,
) -> Result<ProbeReport, String> {
    let fail_once = options.fail_once.unwrap_or(FAIL_ONCE);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let keys = KeyRing::new([Token::new(
        credentials.key.clone(),
        credentials.secret.clone(),
    )]);
    // A short tag keeps the channels apart from other runs' and the body small.
    let run = format!("{:x}-", now_ms % 0x10000);
    let plan = bodies::large(EVENTS, &run, now_ms, &keys, &credentials.key)
        .ok_or("cannot sign with the configured token")?;
    let delivery = plan.deliveries[0].clone();
    let size = delivery.body.len();
    let launch = Launch {
        fail_once: Some(fail_once),
        ..Launch::default()
    };
    let pair = Pair::start(bin, credentials, launch).await?;
    eprintln!("large: one body of {EVENTS} events, {size} bytes");

    let mut lines = Vec::new();
    let mut answers = Vec::new();
    let mut latencies = Vec::new();
    let mut accepted = false;
    let mut handled_before = Some(0);
    for attempt in 0..TRIES {
        let instance = attempt % 2;
        let (status, took) = post(
            pair.addr(instance),
            delivery.body.clone(),
            &credentials.key,
            &delivery.signature,
        )
        .await;
        let handled = pair.handled_total().await;
        let new = match (handled, handled_before) {
            (Some(now), Some(before)) => now.saturating_sub(before).to_string(),
            _ => "unknown".to_owned(),
        };
        handled_before = handled;
        lines.push((
            if attempt == 0 { "tries" } else { "" },
            format!(
                "{}. instance {}: {} in {}; newly handled (both /state): {new}",
                attempt + 1,
                instance + 1,
                probe::status(&status),
                probe::ms(took)
            ),
        ));
        latencies.push(took);
        answers.push(status.clone());
        match status {
            Ok(200) => {
                accepted = true;
                break;
            }
            Ok(500 | 503) | Err(_) => {}
            Ok(_) => break,
        }
    }
    let states = pair.states().await;
    let stopped = pair.stop().await;
    let injected = stopped.logs.clone().map(|log| {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("injected failure"))
            .count()
    });
    let mut summary = vec![
        (
            "body",
            format!(
                "1 webhook of {EVENTS} events, {size} bytes ({:.0} KiB; the app's body limit is 1 MiB)",
                size as f64 / 1024.0
            ),
        ),
        (
            "answers",
            format!(
                "{} tries: {}; latency {}",
                answers.len(),
                probe::statuses(&answers),
                probe::latency(&latencies)
            ),
        ),
        (
            "injected failures",
            format!(
                "handler calls failed once: instance 1: {}, instance 2: {} (their log lines)",
                injected[0], injected[1]
            ),
        ),
    ];
    summary.extend(lines);
    let mut report = ProbeReport {
        scenario: Scenario::Large,
        mode: format!("fail-once {fail_once}"),
        lines: summary,
        checks: vec![
            ("200 within 10 tries", accepted),
            (
                "each answer within 4 s",
                latencies.iter().all(|l| *l <= WITHIN),
            ),
        ],
        stopped,
    };
    probe::exactly_once(&mut report, &plan.planned, &states);
    Ok(report)
}
