//! [`JobPolicy`]: how often a deferred job is tried, how long an attempt may take, and how
//! long it waits between attempts.

use std::time::Duration;

/// How a deferred handler's jobs are retried: `max_attempts` attempts, each cut after
/// `timeout`, the *n*-th retry waiting `backoff × 2^(n-1)` (at most an hour), each wait
/// spread by ±25 % so that jobs failing together do not come back together.
///
/// The default, 10 attempts from a 7 s backoff, spreads them over about an hour (7 s, 14 s,
/// ... 30 min: 3,577 s of waits), each attempt cut after 5 minutes.
///
/// ```
/// use std::time::Duration;
/// use pwh_core::jobs::JobPolicy;
///
/// let policy = JobPolicy::default().max_attempts(5).backoff(Duration::from_secs(2));
/// assert_eq!(policy.base_delay(1), Duration::from_secs(2));
/// assert_eq!(policy.base_delay(3), Duration::from_secs(8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobPolicy {
    max_attempts: u32,
    backoff: Duration,
    timeout: Duration,
}

impl Default for JobPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            backoff: Duration::from_secs(7),
            timeout: Duration::from_secs(300),
        }
    }
}

/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(3600);

impl JobPolicy {
    /// At most `n` attempts (at least 1); the job is dead after the last.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The wait before the first retry; each later one doubles it.
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long one attempt may run before it is cut and counted as failed. A handler that
    /// blocks its thread (a deferred `fn`) cannot be cut: its attempt ends when it returns,
    /// as what it returned, its lease kept meanwhile so that no other run of the job starts.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long one attempt may run.
    pub fn attempt_timeout(&self) -> Duration {
        self.timeout
    }

    /// The wait after failed attempt `attempt` (from 1), before jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.backoff
            .saturating_mul(1u32 << doublings)
            .min(MAX_DELAY)
    }

    /// The wait after failed attempt `attempt`, spread by `spread` in `[0, 1)` to between
    /// 75 % and 125 % of [`base_delay`](Self::base_delay).
    pub fn delay(&self, attempt: u32, spread: f64) -> Duration {
        let factor = 0.75 + 0.5 * spread.clamp(0.0, 1.0);
        self.base_delay(attempt).mul_f64(factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_spreads_ten_attempts_over_about_an_hour() {
        let policy = JobPolicy::default();
        assert_eq!(policy.attempts(), 10);
        let waits: Duration = (1..policy.attempts()).map(|a| policy.base_delay(a)).sum();
        assert_eq!(waits, Duration::from_secs(3577));
        assert_eq!(policy.attempt_timeout(), Duration::from_secs(300));
    }

    #[test]
    fn delays_double_are_capped_and_spread_within_a_quarter() {
        let policy = JobPolicy::default().backoff(Duration::from_secs(2));
        assert_eq!(policy.base_delay(1), Duration::from_secs(2));
        assert_eq!(policy.base_delay(2), Duration::from_secs(4));
        assert_eq!(policy.base_delay(40), MAX_DELAY);
        assert_eq!(policy.delay(1, 0.0), Duration::from_millis(1500));
        assert_eq!(policy.delay(1, 0.5), Duration::from_secs(2));
        assert!(policy.delay(1, 0.999) < Duration::from_millis(2500));
        assert_eq!(JobPolicy::default().max_attempts(0).attempts(), 1);
    }
}
