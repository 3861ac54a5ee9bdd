//! The in-memory store and another one (Redis or SQLite) side by side: the throughput ratio
//! and its aim.

use crate::report::{ms, Report};
use std::fmt;

/// The throughput the Redis memory should keep, as a fraction of the in-memory one's.
pub(crate) const REDIS_AIM: f64 = 0.6;

/// The throughput the SQLite store should keep, as a fraction of the in-memory one's: for the
/// delivery memory, and for enqueueing deferred jobs (issue 19).
pub(crate) const SQLITE_AIM: f64 = 0.5;

/// The same load on two stores, each report labelled by its store (`Report::store`): the
/// in-memory one first, then the one measured against it.
pub(crate) struct Comparison<'a> {
    /// The run with everything in memory.
    pub(crate) memory: &'a Report,
    /// The run with the other store.
    pub(crate) other: &'a Report,
}

/// The aim of a store's throughput against memory's, by its label.
pub(crate) fn aim(store: &str) -> f64 {
    if store == "redis" {
        REDIS_AIM
    } else {
        SQLITE_AIM
    }
}

/// A store's name in headings.
fn title(store: &str) -> &str {
    match store {
        "redis" => "Redis",
        "sqlite" => "SQLite",
        other => other,
    }
}

impl Comparison<'_> {
    /// The other store's requests/s over memory's.
    pub(crate) fn ratio(&self) -> f64 {
        ratio(
            self.other.requests_per_sec(),
            self.memory.requests_per_sec(),
        )
    }

    /// Whether both runs passed their checks (the ratio is reported, not checked).
    pub(crate) fn passed(&self) -> bool {
        self.memory.passed() && self.other.passed()
    }
}

/// `a / b`, 0 when `b` is 0.
pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

impl fmt::Display for Comparison<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, r) = (self.memory, self.other);
        let name = r.store;
        let yes = |b: bool| if b { "yes" } else { "NO" };
        writeln!(
            f,
            "== memory vs {}: one instance, {} webhooks, {} connections{}{} ==",
            title(name),
            m.webhooks,
            m.options.concurrency,
            m.options
                .fail_once
                .map(|r| format!(", fail-once {r}"))
                .unwrap_or_default(),
            if m.jobs.is_some() {
                ", deferred (every event a member_added job)"
            } else {
                ""
            }
        )?;
        writeln!(f, "                   {:>14} {:>14}", "memory", name)?;
        writeln!(
            f,
            "throughput         {:>10.0} r/s {:>10.0} r/s",
            m.requests_per_sec(),
            r.requests_per_sec()
        )?;
        for (label, p) in [("latency p50", 50.0), ("latency p99", 99.0)] {
            writeln!(
                f,
                "{label:<18} {:>14} {:>14}",
                ms(m.latency_us(p)),
                ms(r.latency_us(p))
            )?;
        }
        let us = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} us"));
        let (m_app, _) = m.cpu_us_per_webhook();
        let (r_app, r_redis) = r.cpu_us_per_webhook();
        writeln!(f, "app CPU/webhook    {:>14} {:>14}", us(m_app), us(r_app))?;
        if name == "redis" {
            writeln!(f, "redis CPU/webhook  {:>14} {:>14}", "-", us(r_redis))?;
        }
        writeln!(
            f,
            "exactly once       {:>14} {:>14}",
            yes(m.exactly_once()),
            yes(r.exactly_once())
        )?;
        let jobs_rate = |report: &Report| report.jobs.as_ref().and_then(|j| j.jobs_per_sec());
        if let (Some(mj), Some(rj)) = (&m.jobs, &r.jobs) {
            let secs = |j: &crate::jobs::JobsReport| {
                j.all_done_after
                    .map_or_else(|| "NO".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
            };
            let rate = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
            writeln!(f, "jobs all done      {:>14} {:>14}", secs(mj), secs(rj))?;
            writeln!(
                f,
                "jobs done/s        {:>14} {:>14}",
                rate(jobs_rate(m)),
                rate(jobs_rate(r))
            )?;
            writeln!(
                f,
                "jobs exactly once  {:>14} {:>14}",
                yes(mj.passed()),
                yes(rj.passed())
            )?;
        }
        writeln!(
            f,
            "checks             {:>14} {:>14}",
            if m.passed() { "PASS" } else { "FAIL" },
            if r.passed() { "PASS" } else { "FAIL" }
        )?;
        let throughput = self.ratio();
        let aim = aim(name);
        writeln!(
            f,
            "{:<18} {throughput:.2}x throughput{} (aim >= {aim}x: {})",
            format!("{name}/memory"),
            if m.jobs.is_some() {
                ", enqueueing deferred jobs"
            } else {
                ""
            },
            if throughput >= aim { "met" } else { "NOT met" }
        )?;
        if let (Some(mj), Some(rj)) = (jobs_rate(m), jobs_rate(r)) {
            writeln!(
                f,
                "{:<18} {:.2}x jobs done/s (first send to last job done; reported)",
                format!("{name}/memory"),
                ratio(rj, mj)
            )?;
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
    fn ratio_of_throughputs() {
        assert!((ratio(12_000.0, 20_000.0) - 0.6).abs() < 1e-9);
        assert!(ratio(12_000.0, 20_000.0) >= REDIS_AIM);
        assert!(ratio(11_000.0, 20_000.0) < REDIS_AIM);
        assert_eq!(ratio(5.0, 0.0), 0.0);
    }

    #[test]
    fn aims_by_store() {
        assert_eq!(aim("redis"), REDIS_AIM);
        assert_eq!(aim("sqlite"), SQLITE_AIM);
        assert_eq!(SQLITE_AIM, 0.5);
        assert_eq!(title("sqlite"), "SQLite");
        assert_eq!(title("redis"), "Redis");
    }
}
