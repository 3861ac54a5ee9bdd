//! Two instances on one Redis with deferred jobs, against the baseline of the same invocation:
//! the same load on one instance with everything in its memory (`PWH_STORE=memory`). The
//! enqueue throughput side by side, its ratio and the aim.

use std::fmt;

use super::summary::MultiReport;
use crate::compare::ratio;
use crate::jobs::JobsReport;
use crate::report::{ms, Report};

/// The enqueue throughput (distinct webhooks accepted per second) two instances on Redis
/// should keep, as a fraction of one instance in memory's (issue 20).
pub(crate) const PAIR_AIM: f64 = 0.5;

/// One instance in memory, then two on one Redis, both with `--deferred`.
pub(crate) struct PairVsMemory<'a> {
    /// The baseline: one instance, everything in memory.
    pub(crate) memory: &'a Report,
    /// Two instances, delivery memory and jobs in one Redis.
    pub(crate) pair: &'a MultiReport,
}

impl PairVsMemory<'_> {
    /// The baseline's distinct webhooks accepted per second.
    fn memory_webhooks_per_sec(&self) -> f64 {
        let m = self.memory;
        m.tally.delivered as f64 / m.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The pair's enqueue webhooks/s over the baseline's.
    pub(crate) fn ratio(&self) -> f64 {
        ratio(self.pair.webhooks_per_sec(), self.memory_webhooks_per_sec())
    }

    /// Whether both runs passed their checks (the ratio is reported, not checked).
    pub(crate) fn passed(&self) -> bool {
        self.memory.passed() && self.pair.passed()
    }
}

impl fmt::Display for PairVsMemory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, p) = (self.memory, self.pair);
        let yes = |b: bool| if b { "yes" } else { "NO" };
        writeln!(
            f,
            "== one instance in memory vs two on one Redis: deferred (every event a member_added \
             job), {} webhooks, {} connections{} ==",
            m.webhooks,
            m.options.concurrency,
            m.options
                .fail_once
                .map(|r| format!(", fail-once {r}"))
                .unwrap_or_default()
        )?;
        writeln!(
            f,
            "                   {:>14} {:>14}",
            "memory x1", "redis x2"
        )?;
        writeln!(
            f,
            "enqueue webhooks/s {:>14.0} {:>14.0}",
            self.memory_webhooks_per_sec(),
            p.webhooks_per_sec()
        )?;
        writeln!(
            f,
            "requests/s         {:>14.0} {:>14.0}",
            m.requests_per_sec(),
            p.requests_per_sec()
        )?;
        for (label, q) in [("latency p50", 50.0), ("latency p99", 99.0)] {
            writeln!(
                f,
                "{label:<18} {:>14} {:>14}",
                ms(m.latency_us(q)),
                ms(p.latency_us(q))
            )?;
        }
        let secs = |j: Option<&JobsReport>| {
            j.and_then(|j| j.all_done_after)
                .map_or_else(|| "NO".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
        };
        let rate = |j: Option<&JobsReport>| j.and_then(JobsReport::jobs_per_sec);
        let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
        writeln!(
            f,
            "jobs all done      {:>14} {:>14}",
            secs(m.jobs.as_ref()),
            secs(p.jobs())
        )?;
        writeln!(
            f,
            "jobs done/s        {:>14} {:>14}",
            show(rate(m.jobs.as_ref())),
            show(rate(p.jobs()))
        )?;
        let us = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} us"));
        let (p_apps, p_redis) = p.cpu_us_per_webhook();
        writeln!(
            f,
            "app CPU/webhook    {:>14} {:>14}",
            us(m.cpu_us_per_webhook().0),
            us(p_apps)
        )?;
        writeln!(f, "redis CPU/webhook  {:>14} {:>14}", "-", us(p_redis))?;
        writeln!(
            f,
            "jobs exactly once  {:>14} {:>14}",
            yes(m.jobs.as_ref().is_some_and(JobsReport::passed)),
            yes(p.jobs().is_some() && p.jobs_once())
        )?;
        writeln!(
            f,
            "checks             {:>14} {:>14}",
            if m.passed() { "PASS" } else { "FAIL" },
            if p.passed() { "PASS" } else { "FAIL" }
        )?;
        let throughput = self.ratio();
        writeln!(
            f,
            "redis x2 / memory  {throughput:.2}x enqueue webhooks/s (aim >= {PAIR_AIM}x: {})",
            if throughput >= PAIR_AIM {
                "met"
            } else {
                "NOT met"
            }
        )?;
        if let (Some(mj), Some(pj)) = (rate(m.jobs.as_ref()), rate(p.jobs())) {
            writeln!(
                f,
                "redis x2 / memory  {:.2}x jobs done/s (first send to last job done; reported)",
                ratio(pj, mj)
            )?;
        }
        write!(
            f,
            "result             {} ({} webhooks each)",
            if self.passed() { "PASS" } else { "FAIL" },
            p.webhooks()
        )
    }
}
