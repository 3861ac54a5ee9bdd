//! The checks of a run and its paste-able summary.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::cli::Options;
use crate::client::Tally;
use crate::jobs::JobsReport;

/// The part of the app's `GET /state` the checks read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    /// Events handled in all.
    pub(crate) handled_total: u64,
    /// Events handled, by kind.
    pub(crate) handled: BTreeMap<String, u64>,
}

impl State {
    /// Reads `handled_total` and `handled` from the JSON of `/state`.
    ///
    /// # Errors
    ///
    /// When the body is not JSON or lacks those fields.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, String> {
        let json: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let handled_total = json["handled_total"]
            .as_u64()
            .ok_or("no `handled_total` number")?;
        let handled = json["handled"]
            .as_object()
            .ok_or("no `handled` object")?
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    v.as_u64().ok_or("a `handled` count is not a number")?,
                ))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            handled_total,
            handled,
        })
    }
}

/// Everything a run measured.
#[derive(Debug)]
pub(crate) struct Report {
    /// The options of the run.
    pub(crate) options: Options,
    /// The store of the delivery memory: `memory` (in the app), `sqlite` or `redis`.
    pub(crate) store: &'static str,
    /// Distinct webhooks sent.
    pub(crate) webhooks: u64,
    /// Deliveries of them, retries not counted (twice the webhooks with `--duplicate`).
    pub(crate) deliveries: u64,
    /// Events in them.
    pub(crate) events: u64,
    /// Events sent, by kind.
    pub(crate) expected_by_kind: BTreeMap<&'static str, u64>,
    /// What the sender saw.
    pub(crate) tally: Tally,
    /// How long sending took.
    pub(crate) elapsed: Duration,
    /// The app's state after the run.
    pub(crate) state: Result<State, String>,
    /// With `--deferred`: what became of the jobs (`elapsed` then is the time to enqueue them).
    pub(crate) jobs: Option<JobsReport>,
    /// The app's peak RSS, read before stopping it.
    pub(crate) peak_rss_kib: Option<u64>,
    /// The CPU time the app used (start-up included), read before stopping it.
    pub(crate) app_cpu: Option<Duration>,
    /// The CPU time redis-server used during the run, with Redis.
    pub(crate) redis_cpu: Option<Duration>,
    /// How the app stopped after SIGTERM, and how long it took.
    pub(crate) stopped: Result<(ExitStatus, Duration), String>,
    /// The app's log file.
    pub(crate) log: PathBuf,
    /// `WARN` lines in it.
    pub(crate) warnings: usize,
    /// `ERROR` lines in it.
    pub(crate) errors: usize,
    /// Panics in it (see [`app::panics`](crate::app::panics)).
    pub(crate) panics: Vec<String>,
}

impl Report {
    /// Whether every webhook ended with a 2xx: in the normal mode no answer may be other than
    /// 2xx; in the failure mode only 500s (each followed by a successful retry) may be.
    fn answers_ok(&self) -> bool {
        let t = &self.tally;
        let bad = if self.options.fail_once.is_some() {
            t.non_2xx() - t.count(500)
        } else {
            t.non_2xx()
        };
        bad == 0 && t.undelivered == 0 && t.delivered == self.deliveries && t.transport_errors == 0
    }

    /// Kinds whose handled count differs from what was sent: `(kind, sent, handled)`.
    fn kind_mismatches(&self) -> Vec<(String, u64, u64)> {
        let Ok(state) = &self.state else {
            return Vec::new();
        };
        let mut kinds: Vec<&str> = self.expected_by_kind.keys().copied().collect();
        kinds.extend(state.handled.keys().map(String::as_str));
        kinds.sort_unstable();
        kinds.dedup();
        kinds
            .into_iter()
            .filter_map(|kind| {
                let sent = self.expected_by_kind.get(kind).copied().unwrap_or(0);
                let handled = state.handled.get(kind).copied().unwrap_or(0);
                (sent != handled).then(|| (kind.to_owned(), sent, handled))
            })
            .collect()
    }

    /// Whether every event was handled exactly once.
    pub(crate) fn exactly_once(&self) -> bool {
        matches!(&self.state, Ok(s) if s.handled_total == self.events)
            && self.kind_mismatches().is_empty()
    }

    /// Whether the app exited 0 after SIGTERM.
    fn graceful(&self) -> bool {
        matches!(&self.stopped, Ok((status, _)) if status.success())
    }

    /// Whether every check passed.
    pub(crate) fn passed(&self) -> bool {
        self.answers_ok()
            && self.exactly_once()
            && self.jobs.as_ref().is_none_or(JobsReport::passed)
            && self.graceful()
            && self.panics.is_empty()
    }

    /// Requests answered per second.
    pub(crate) fn requests_per_sec(&self) -> f64 {
        self.tally.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// CPU microseconds per webhook delivery: the app's, and redis-server's when it ran.
    pub(crate) fn cpu_us_per_webhook(&self) -> (Option<f64>, Option<f64>) {
        let per = |cpu: Duration| cpu.as_secs_f64() * 1e6 / self.deliveries.max(1) as f64;
        (self.app_cpu.map(per), self.redis_cpu.map(per))
    }

    /// The latency at percentile `p`, in microseconds.
    pub(crate) fn latency_us(&self, p: f64) -> Option<u64> {
        let mut latencies = self.tally.latencies_us.clone();
        latencies.sort_unstable();
        percentile(&latencies, p)
    }
}

/// The latency at percentile `p` (0 to 100) of sorted microseconds, nearest rank.
/// The throughput and latency lines of a summary; `latencies` sorted, in µs.
pub(crate) fn write_rates(
    f: &mut fmt::Formatter<'_>,
    t: &Tally,
    events: u64,
    secs: f64,
    latencies: &[u64],
) -> fmt::Result {
    writeln!(
        f,
        "throughput         {:.0} webhooks/s, {:.0} req/s, {:.0} events/s ({:.2} s)",
        t.delivered as f64 / secs,
        t.requests as f64 / secs,
        events as f64 / secs,
        secs
    )?;
    writeln!(
        f,
        "latency            p50 {}, p99 {}, max {}",
        ms(percentile(latencies, 50.0)),
        ms(percentile(latencies, 99.0)),
        ms(latencies.last().copied())
    )
}

pub(crate) fn percentile(sorted_us: &[u64], p: f64) -> Option<u64> {
    if sorted_us.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    sorted_us.get(rank.clamp(1, sorted_us.len()) - 1).copied()
}

pub(crate) fn ms(us: Option<u64>) -> String {
    us.map_or_else(
        || "-".to_owned(),
        |us| format!("{:.2} ms", us as f64 / 1000.0),
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        let yes = |b: bool| if b { "yes" } else { "NO" };
        let mode = match self.options.fail_once {
            Some(ratio) => format!(
                "fail-once {ratio} (PWH_FAIL_ONCE; 500s retried with the same body, up to {} times)",
                self.options.retries
            ),
            None => "normal".to_owned(),
        };
        let mode = if self.options.duplicate {
            format!("{mode}, every webhook delivered twice concurrently")
        } else {
            mode
        };
        let mode = if self.jobs.is_some() {
            format!("{mode}, deferred (every event a member_added job)")
        } else {
            mode
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

        writeln!(
            f,
            "== pwh-loadtest: {mode}, {} redelivery memory ==",
            self.store
        )?;
        writeln!(
            f,
            "webhooks sent      {} distinct ({} deliveries), {} events, {} connections",
            self.webhooks, self.deliveries, self.events, self.options.concurrency
        )?;
        writeln!(f, "answers            {} requests: {statuses}", t.requests)?;
        writeln!(
            f,
            "non-2xx answers    {} (500: {}); webhooks not delivered in the end: {}",
            t.non_2xx(),
            t.count(500),
            t.undelivered
        )?;
        writeln!(
            f,
            "retries            {} (transport errors: {}{})",
            t.retries,
            t.transport_errors,
            t.last_transport_error
                .as_deref()
                .map(|e| format!(", last: {e}"))
                .unwrap_or_default()
        )?;
        match &self.state {
            Ok(state) => writeln!(
                f,
                "handled_total      {} (events sent: {})",
                state.handled_total, self.events
            )?,
            Err(e) => writeln!(f, "handled_total      unknown: {e}")?,
        }
        write!(f, "exactly once       {}", yes(self.exactly_once()))?;
        for (kind, sent, handled) in self.kind_mismatches() {
            write!(f, "; {kind}: sent {sent}, handled {handled}")?;
        }
        writeln!(f)?;
        if let Some(jobs) = &self.jobs {
            writeln!(f, "{jobs}")?;
        }
        writeln!(
            f,
            "peak RSS (VmHWM)   {}",
            self.peak_rss_kib.map_or_else(
                || "unknown".to_owned(),
                |k| format!("{:.1} MiB", k as f64 / 1024.0)
            )
        )?;
        let per_webhook = |cpu: Duration| {
            format!(
                "{:.2} s, {:.1} us per webhook",
                cpu.as_secs_f64(),
                cpu.as_secs_f64() * 1e6 / self.deliveries.max(1) as f64
            )
        };
        writeln!(
            f,
            "CPU time           app {}{}",
            self.app_cpu
                .map_or_else(|| "unknown".to_owned(), per_webhook),
            self.redis_cpu
                .map(|cpu| format!("; redis-server {}", per_webhook(cpu)))
                .unwrap_or_default()
        )?;
        write_rates(f, t, self.events, secs, &latencies)?;
        match &self.stopped {
            Ok((status, took)) => writeln!(
                f,
                "graceful shutdown  {} (SIGTERM -> {status} in {:.2} s)",
                yes(status.success()),
                took.as_secs_f64()
            )?,
            Err(e) => writeln!(f, "graceful shutdown  NO ({e})")?,
        }
        writeln!(
            f,
            "app log            {} ({} WARN, {} ERROR lines, {} panics)",
            self.log.display(),
            self.warnings,
            self.errors,
            self.panics.len()
        )?;
        if let Some(first) = self.panics.first() {
            writeln!(f, "panic              {first}")?;
        }
        write!(
            f,
            "result             {}",
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn parses_state() {
        let state = State::parse(
            br#"{"handled_total":3,"handled":{"cache_miss":1,"channel_occupied":2},"occupied":[]}"#,
        )
        .unwrap();
        assert_eq!(state.handled_total, 3);
        assert_eq!(state.handled["channel_occupied"], 2);
        assert!(State::parse(b"{}").is_err());
        assert!(State::parse(b"nope").is_err());
    }
}
