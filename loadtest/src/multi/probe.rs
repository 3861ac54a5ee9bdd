//! What a probe scenario (stall, rotation, large) measured: its figures, its checks, the
//! exactly-once verdict over both instances, and its printed PASS/FAIL summary.

use std::collections::BTreeMap;
use std::time::Duration;

use super::pair::{self, Stopped};
use crate::bodies::PlannedEvent;
use crate::cli::Scenario;
use crate::ledger::{self, INSTANCES};
use crate::report::State;

/// A probe scenario's summary.
#[derive(Debug)]
pub(crate) struct ProbeReport {
    pub(super) scenario: Scenario,
    /// `no injected failures`, `fail-once 0.05`.
    pub(super) mode: String,
    /// Labelled figures, in order.
    pub(super) lines: Vec<(&'static str, String)>,
    /// Named checks, in order.
    pub(super) checks: Vec<(&'static str, bool)>,
    pub(super) stopped: Stopped,
}

impl ProbeReport {
    /// Whether every check passed and both apps stopped cleanly.
    pub(crate) fn passed(&self) -> bool {
        self.checks.iter().all(|(_, ok)| *ok) && self.stopped.graceful()
    }
}

/// `1.2 ms`.
pub(super) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// `p50 1.2 ms, max 3.4 ms` of some latencies.
pub(super) fn latency(latencies: &[Duration]) -> String {
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let ms = |d: Option<&Duration>| d.map_or_else(|| "-".to_owned(), |d| ms(*d));
    format!(
        "p50 {}, max {}",
        ms(sorted.get(sorted.len().saturating_sub(1) / 2)),
        ms(sorted.last())
    )
}

/// `200` of one answer, `no answer (why)` for a transport failure.
pub(super) fn status(answer: &Result<u16, String>) -> String {
    match answer {
        Ok(status) => status.to_string(),
        Err(e) => format!("no answer ({e})"),
    }
}

/// `503 x 20` of some answers (`no answer` for a transport failure).
pub(super) fn statuses(answers: &[Result<u16, String>]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for answer in answers {
        let name = match answer {
            Ok(status) => status.to_string(),
            Err(_) => "no answer".to_owned(),
        };
        *counts.entry(name).or_default() += 1;
    }
    let mut text = counts
        .iter()
        .map(|(name, n)| format!("{name} x {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(Err(e)) = answers.iter().find(|a| a.is_err()) {
        text.push_str(&format!(" (e.g. {e})"));
    }
    text
}

/// The exactly-once verdict of `planned` over both instances: from the logs' ledger (each
/// event ran once, on either instance, never again) and from the `/state`s read before the
/// apps stopped (each kind's count equals what was sent). Pushes its lines and checks.
pub(super) fn exactly_once(
    report: &mut ProbeReport,
    planned: &[PlannedEvent],
    states: &[Result<State, String>; INSTANCES],
) {
    let mut sent: BTreeMap<&'static str, u64> = BTreeMap::new();
    for event in planned {
        *sent.entry(event.kind).or_default() += 1;
    }
    let ledger = &report.stopped.ledger;
    let verdict = ledger::check(planned, ledger, |_, _| false);
    let by_instance = [0, 1].map(|i| ledger.state_of(i).handled_total);
    let state = |s: &Result<State, String>| match s {
        Ok(s) => s.handled_total.to_string(),
        Err(e) => format!("unknown ({e})"),
    };
    let all: Result<Vec<State>, String> = states.iter().cloned().collect();
    let mismatches =
        all.map(|all| ledger::state_mismatches(&sent, &verdict.extra_by_kind, &ledger::sum(&all)));
    report.lines.push((
        "handled (/state)",
        format!(
            "instance 1: {}, instance 2: {} (events sent: {})",
            state(&states[0]),
            state(&states[1]),
            planned.len()
        ),
    ));
    report.lines.push((
        "ledger (app logs)",
        format!(
            "{} events: once {}, never {}, more than once {}{}; handled on instance 1: {}, instance 2: {}",
            verdict.events,
            verdict.once,
            verdict.missing,
            verdict.repeated,
            verdict.strangers_note("runs"),
            by_instance[0],
            by_instance[1]
        ),
    ));
    if !verdict.examples.is_empty() {
        report
            .lines
            .push(("", format!("e.g. {}", verdict.examples.join("; "))));
    }
    match &mismatches {
        Ok(m) => {
            for (kind, expected, handled) in m {
                report.lines.push((
                    "",
                    format!("/state {kind}: expected {expected}, handled {handled}"),
                ));
            }
        }
        Err(e) => report.lines.push(("", format!("/state unreadable: {e}"))),
    }
    let once = verdict.passed() && matches!(&mismatches, Ok(m) if m.is_empty());
    report.checks.push(("exactly once", once));
}

impl std::fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let yes = |b: bool| if b { "yes" } else { "NO" };
        writeln!(
            f,
            "== pwh-loadtest: 2 instances, one Redis: {} ({}) ==",
            self.scenario.name(),
            self.mode
        )?;
        for (label, text) in &self.lines {
            writeln!(f, "{label:<18} {text}")?;
        }
        let s = &self.stopped;
        let stopped = |r: &Result<std::process::ExitStatus, String>| match r {
            Ok(status) => format!("{} ({status})", yes(status.success())),
            Err(e) => format!("NO ({e})"),
        };
        writeln!(
            f,
            "shutdown           instance 1: {}; instance 2: {}; redis-server (pid {}) stopped",
            stopped(&s.statuses[0]),
            stopped(&s.statuses[1]),
            s.redis_pid.unwrap_or(0)
        )?;
        writeln!(
            f,
            "app logs           {} ({} WARN), {} ({} WARN)",
            s.logs[0].display(),
            pair::warn_count(&s.logs[0]),
            s.logs[1].display(),
            pair::warn_count(&s.logs[1])
        )?;
        if !self.passed() {
            for (i, log) in s.logs.iter().enumerate() {
                for line in pair::warnings(log, 5) {
                    writeln!(f, "  instance {}: {line}", i + 1)?;
                }
            }
        }
        let mut checks: Vec<(&str, bool)> = self.checks.clone();
        checks.push(("graceful shutdown", s.graceful()));
        write!(
            f,
            "result             {} ({})",
            if self.passed() { "PASS" } else { "FAIL" },
            checks
                .iter()
                .map(|(name, ok)| format!("{name}: {}", yes(*ok)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_and_statuses_read_well() {
        let l = [5, 1, 3].map(Duration::from_millis);
        assert_eq!(latency(&l), "p50 3.0 ms, max 5.0 ms");
        assert_eq!(latency(&[]), "p50 -, max -");
        assert_eq!(status(&Ok(200)), "200");
        assert_eq!(status(&Err("reset".to_owned())), "no answer (reset)");
        let answers = [Ok(503), Ok(503), Err("reset".to_owned()), Ok(200)];
        assert_eq!(
            statuses(&answers),
            "200 x 1, 503 x 2, no answer x 1 (e.g. reset)"
        );
    }
}
