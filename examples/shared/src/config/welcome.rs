//! How the deferred handler `welcome_member` behaves: its retry policy (`PWH_JOB_MAX_ATTEMPTS`,
//! `PWH_JOB_BACKOFF_MS`) and, to watch deferred jobs at work, how slow it is
//! (`PWH_EXAMPLE_SLOW_MS`) and whether it fails (`PWH_EXAMPLE_DEFERRED_FAIL`).

use std::time::Duration;

use pwh_core::jobs::JobPolicy;

use super::ConfigError;

/// `welcome_member`'s settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Welcome {
    /// Its retry policy: `PWH_JOB_MAX_ATTEMPTS` attempts (default 10), the first retry after
    /// `PWH_JOB_BACKOFF_MS` (default 7,000), each later one doubling it; the rest is
    /// [`JobPolicy::default`].
    pub policy: JobPolicy,
    /// `PWH_EXAMPLE_SLOW_MS`: how long each attempt sleeps before it ends. Default 0.
    pub slow: Duration,
    /// `PWH_EXAMPLE_DEFERRED_FAIL=always`: every attempt fails, so the job is retried and then
    /// dead. Default `never`.
    pub fail_always: bool,
}

impl Default for Welcome {
    fn default() -> Self {
        Self {
            policy: JobPolicy::default(),
            slow: Duration::ZERO,
            fail_always: false,
        }
    }
}

impl Welcome {
    pub(super) fn from_vars(
        get: &dyn Fn(&'static str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let number = |var: &'static str, expected: &'static str| match get(var) {
            Some(value) => match value.parse::<u64>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => Err(ConfigError::Invalid {
                    var,
                    value,
                    expected,
                }),
            },
            None => Ok(None),
        };
        let mut policy = JobPolicy::default();
        let attempts = number(
            "PWH_JOB_MAX_ATTEMPTS",
            "a number of attempts from 1 to 1000",
        )?;
        if let Some(n) = attempts {
            let n = u32::try_from(n)
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    var: "PWH_JOB_MAX_ATTEMPTS",
                    value: n.to_string(),
                    expected: "a number of attempts from 1 to 1000",
                })?;
            policy = policy.max_attempts(n);
        }
        if let Some(ms) = number("PWH_JOB_BACKOFF_MS", "a number of milliseconds")? {
            policy = policy.backoff(Duration::from_millis(ms));
        }
        let slow = number("PWH_EXAMPLE_SLOW_MS", "a number of milliseconds")?
            .map_or(Duration::ZERO, Duration::from_millis);
        let fail_always = match get("PWH_EXAMPLE_DEFERRED_FAIL").as_deref() {
            None | Some("never") => false,
            Some("always") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: "PWH_EXAMPLE_DEFERRED_FAIL",
                    value: other.to_owned(),
                    expected: "`always` or `never` (the default)",
                })
            }
        };
        Ok(Self {
            policy,
            slow,
            fail_always,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn welcome(pairs: &[(&'static str, &'static str)]) -> Result<Welcome, ConfigError> {
        let get = |name: &'static str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        Welcome::from_vars(&get)
    }

    #[test]
    fn defaults_to_the_default_policy_fast_and_succeeding() {
        assert_eq!(welcome(&[]).unwrap(), Welcome::default());
        assert_eq!(Welcome::default().policy.attempts(), 10);
    }

    #[test]
    fn reads_the_policy_and_the_demo_knobs() {
        let read = welcome(&[
            ("PWH_JOB_MAX_ATTEMPTS", "2"),
            ("PWH_JOB_BACKOFF_MS", "200"),
            ("PWH_EXAMPLE_SLOW_MS", "5000"),
            ("PWH_EXAMPLE_DEFERRED_FAIL", "always"),
        ])
        .unwrap();
        assert_eq!(read.policy.attempts(), 2);
        assert_eq!(read.policy.base_delay(1), Duration::from_millis(200));
        assert_eq!(read.policy.base_delay(2), Duration::from_millis(400));
        assert_eq!(read.slow, Duration::from_secs(5));
        assert!(read.fail_always);
        assert!(
            !welcome(&[("PWH_EXAMPLE_DEFERRED_FAIL", "never")])
                .unwrap()
                .fail_always
        );
    }

    #[test]
    fn bad_values_are_errors_naming_the_variable() {
        for (var, value) in [
            ("PWH_JOB_MAX_ATTEMPTS", "0"),
            ("PWH_JOB_MAX_ATTEMPTS", "many"),
            ("PWH_JOB_MAX_ATTEMPTS", "99999999999"),
            ("PWH_JOB_BACKOFF_MS", "-1"),
            ("PWH_JOB_BACKOFF_MS", "2s"),
            ("PWH_EXAMPLE_SLOW_MS", "slow"),
            ("PWH_EXAMPLE_DEFERRED_FAIL", "sometimes"),
        ] {
            let pairs = [(var, value)];
            let message = welcome(&pairs).unwrap_err().to_string();
            assert!(message.starts_with(&format!("{var}=")), "{message}");
        }
    }
}
