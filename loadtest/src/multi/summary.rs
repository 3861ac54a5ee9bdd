//! What a two-instance scenario measured, its verdict and its printed summary.

use std::path::PathBuf;
use std::time::Duration;

use super::faults::{Kill, Outage};
use super::send::{retried, VICTIM};
use crate::app::{self};
use crate::cli::{Options, Scenario};
use crate::client::Tally;
use crate::jobs::JobsReport;
use crate::ledger::{self, Verdict, INSTANCES};
use crate::report::{percentile, State};

/// Everything a two-instance scenario measured.
#[derive(Debug)]
pub(crate) struct MultiReport {
    pub(super) scenario: Scenario,
    pub(super) options: Options,
    pub(super) webhooks: u64,
    pub(super) events: u64,
    pub(super) tally: Tally,
    pub(super) by_instance: [u64; INSTANCES],
    pub(super) elapsed: Duration,
    /// Each instance's `/state` after the run (the killed one's from its log).
    pub(super) states: [Result<State, String>; INSTANCES],
    pub(super) sent_by_kind: std::collections::BTreeMap<&'static str, u64>,
    pub(super) verdict: Verdict,
    pub(super) outage: Option<Outage>,
    pub(super) kill: Option<Kill>,
    pub(super) stopped: [Result<std::process::ExitStatus, String>; INSTANCES],
    pub(super) logs: [PathBuf; INSTANCES],
    pub(super) redis_pid: Option<u32>,
    /// With `--deferred`: what became of the jobs, from both `/state`s.
    pub(super) jobs: Option<JobsReport>,
    /// With `--deferred`: every job against the `welcomed a member` lines of both logs.
    pub(super) job_verdict: Option<Verdict>,
    /// Each app's CPU time (start-up included), read before stopping it; `None` once killed.
    pub(super) app_cpu: [Option<Duration>; INSTANCES],
    /// The CPU time redis-server used during the scenario.
    pub(super) redis_cpu: Option<Duration>,
    /// The panics in each app's log.
    pub(super) panics: [Vec<String>; INSTANCES],
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
            Scenario::RedisOutage => self
                .outage
                .as_ref()
                .is_some_and(|o| o.error.is_none() && o.ran_while_down() == Some(0)),
            Scenario::Kill => self.kill.as_ref().is_some_and(|k| k.status.is_ok()),
            _ => true,
        }
    }

    fn graceful(&self) -> bool {
        self.stopped.iter().enumerate().all(|(i, s)| match s {
            Ok(status) => status.success(),
            Err(_) => self.scenario == Scenario::Kill && i == VICTIM,
        })
    }

    /// With `--deferred`: whether every job was done exactly once, by the store, both
    /// `welcomed_total`s and both logs (true without it).
    pub(crate) fn jobs_once(&self) -> bool {
        self.jobs.as_ref().is_none_or(JobsReport::passed)
            && self.job_verdict.as_ref().is_none_or(Verdict::passed)
    }

    /// Whether every check passed.
    pub(crate) fn passed(&self) -> bool {
        self.answers_ok()
            && self.exactly_once()
            && self.jobs_once()
            && self.scenario_ok()
            && self.graceful()
            && self.no_panic()
    }

    /// Whether neither app's log shows a panic.
    fn no_panic(&self) -> bool {
        self.panics.iter().all(Vec::is_empty)
    }

    /// Distinct webhooks accepted per second of sending, both instances together.
    pub(crate) fn webhooks_per_sec(&self) -> f64 {
        self.tally.delivered as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Requests answered per second (every body goes to both instances).
    pub(crate) fn requests_per_sec(&self) -> f64 {
        self.tally.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency of one request at percentile `p`, in microseconds.
    pub(crate) fn latency_us(&self, p: f64) -> Option<u64> {
        let mut latencies = self.tally.latencies_us.clone();
        latencies.sort_unstable();
        percentile(&latencies, p)
    }

    /// CPU microseconds per distinct webhook: both apps' added up (`None` unless both were
    /// read), and redis-server's.
    pub(crate) fn cpu_us_per_webhook(&self) -> (Option<f64>, Option<f64>) {
        let per = |cpu: Duration| cpu.as_secs_f64() * 1e6 / self.webhooks.max(1) as f64;
        let apps = match self.app_cpu {
            [Some(a), Some(b)] => Some(a + b),
            _ => None,
        };
        (apps.map(per), self.redis_cpu.map(per))
    }

    /// With `--deferred`: what became of the jobs.
    pub(crate) fn jobs(&self) -> Option<&JobsReport> {
        self.jobs.as_ref()
    }

    /// Distinct webhooks sent.
    pub(crate) fn webhooks(&self) -> u64 {
        self.webhooks
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
            "== pwh-loadtest: 2 instances, one Redis: {} ({mode}{}) ==",
            self.scenario.name(),
            if self.jobs.is_some() {
                ", deferred: every event a member_added job, the jobs in Redis"
            } else {
                ""
            }
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
            v.strangers_note("runs")
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
        if let Some(jobs) = &self.jobs {
            writeln!(f, "{jobs}")?;
        }
        if let Some(v) = &self.job_verdict {
            writeln!(
                f,
                "jobs ledger (logs) {} jobs: `welcomed a member` once {}, never {}, more than once {}{}",
                v.events,
                v.once,
                v.missing,
                v.repeated,
                v.strangers_note("jobs")
            )?;
            if !v.examples.is_empty() {
                writeln!(f, "                   e.g. {}", v.examples.join("; "))?;
            }
        }
        crate::report::write_rates(f, t, self.events, secs, &latencies)?;
        let cpu = |cpu: &Option<Duration>| {
            cpu.map_or_else(|| "-".to_owned(), |c| format!("{:.2} s", c.as_secs_f64()))
        };
        let (apps_per, redis_per) = self.cpu_us_per_webhook();
        let per = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} us"));
        writeln!(
            f,
            "CPU time           apps {} + {} ({} per webhook); redis-server {} ({} per webhook)",
            cpu(&self.app_cpu[0]),
            cpu(&self.app_cpu[1]),
            per(apps_per),
            cpu(&self.redis_cpu),
            per(redis_per)
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
            "app logs           {} ({} WARN, {} panics), {} ({} WARN, {} panics)",
            self.logs[0].display(),
            app::count_level(&self.logs[0], "WARN"),
            self.panics[0].len(),
            self.logs[1].display(),
            app::count_level(&self.logs[1], "WARN"),
            self.panics[1].len()
        )?;
        for (i, panics) in self.panics.iter().enumerate() {
            if let Some(first) = panics.first() {
                writeln!(f, "panic              instance {}: {first}", i + 1)?;
            }
        }
        write!(
            f,
            "result             {} ({})",
            if self.passed() { "PASS" } else { "FAIL" },
            [
                ("every webhook accepted", self.answers_ok()),
                ("exactly once", self.exactly_once()),
                ("jobs exactly once", self.jobs_once()),
                (
                    match self.scenario {
                        Scenario::RedisOutage => "no handler without Redis",
                        Scenario::Kill => "kill done",
                        _ => "scenario",
                    },
                    self.scenario_ok()
                ),
                ("graceful shutdown", self.graceful()),
                ("no panic", self.no_panic()),
            ]
            .iter()
            .filter(|(name, _)| *name != "jobs exactly once" || self.jobs.is_some())
            .map(|(name, ok)| format!("{name}: {}", yes(*ok)))
            .collect::<Vec<_>>()
            .join(", ")
        )
    }
}
