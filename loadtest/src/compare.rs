//! Memory and Redis side by side: the throughput ratio and its aim.

use crate::report::{ms, Report};
use std::fmt;

/// The throughput the Redis memory should keep, as a fraction of the in-memory one's.
pub(crate) const REDIS_AIM: f64 = 0.6;

/// The same load with the delivery memory in the process and in Redis, side by side.
pub(crate) struct Comparison<'a> {
    /// The run with the in-memory memory.
    pub(crate) memory: &'a Report,
    /// The run with `PWH_REDIS_URL`.
    pub(crate) redis: &'a Report,
}

impl Comparison<'_> {
    /// Redis's requests/s over memory's.
    pub(crate) fn ratio(&self) -> f64 {
        ratio(
            self.redis.requests_per_sec(),
            self.memory.requests_per_sec(),
        )
    }

    /// Whether both runs passed their checks (the ratio is reported, not checked).
    pub(crate) fn passed(&self) -> bool {
        self.memory.passed() && self.redis.passed()
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
        let (m, r) = (self.memory, self.redis);
        let yes = |b: bool| if b { "yes" } else { "NO" };
        writeln!(
            f,
            "== memory vs Redis: one instance, {} webhooks, {} connections{} ==",
            m.webhooks,
            m.options.concurrency,
            m.options
                .fail_once
                .map(|r| format!(", fail-once {r}"))
                .unwrap_or_default()
        )?;
        writeln!(f, "                   {:>14} {:>14}", "memory", "redis")?;
        writeln!(
            f,
            "throughput         {:>10.0} r/s {:>10.0} r/s",
            m.requests_per_sec(),
            r.requests_per_sec()
        )?;
        for (name, p) in [("latency p50", 50.0), ("latency p99", 99.0)] {
            writeln!(
                f,
                "{name:<18} {:>14} {:>14}",
                ms(m.latency_us(p)),
                ms(r.latency_us(p))
            )?;
        }
        let us = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} us"));
        let (m_app, _) = m.cpu_us_per_webhook();
        let (r_app, r_redis) = r.cpu_us_per_webhook();
        writeln!(f, "app CPU/webhook    {:>14} {:>14}", us(m_app), us(r_app))?;
        writeln!(f, "redis CPU/webhook  {:>14} {:>14}", "-", us(r_redis))?;
        writeln!(
            f,
            "exactly once       {:>14} {:>14}",
            yes(m.exactly_once()),
            yes(r.exactly_once())
        )?;
        writeln!(
            f,
            "checks             {:>14} {:>14}",
            if m.passed() { "PASS" } else { "FAIL" },
            if r.passed() { "PASS" } else { "FAIL" }
        )?;
        let ratio = self.ratio();
        writeln!(
            f,
            "redis/memory       {ratio:.2}x throughput (aim >= {REDIS_AIM}x: {})",
            if ratio >= REDIS_AIM { "met" } else { "NOT met" }
        )?;
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
}
