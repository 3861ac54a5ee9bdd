//! Configuration from the environment.

mod redis;
mod store;
mod welcome;

use std::net::SocketAddr;
use std::time::Duration;

use pwh_core::keyring::{KeyRingError, ENV_EXTRA_TOKENS, ENV_KEY, ENV_SECRET};
use pwh_core::{KeyRing, Token};
pub use redis::{RedisStores, ENV_REDIS_CLUSTER, ENV_REDIS_URL};
pub use store::{Store, ENV_SQLITE_PATH, ENV_STORE};
pub use welcome::Welcome;

/// The key the apps use when no token is configured.
pub const DEMO_KEY: &str = "demo-key";
/// The secret the apps use when no token is configured. Never use it in production.
pub const DEMO_SECRET: &str = "demo-secret";

/// How an example app is configured.
#[derive(Debug, Clone)]
pub struct Config {
    /// Tokens: `PUSHER_APP_KEY` + `PUSHER_APP_SECRET`, plus `PUSHER_EXTRA_TOKENS`.
    pub keys: KeyRing,
    /// Whether no token was configured and the demo token is used.
    pub demo_credentials: bool,
    /// `PWH_ADDR`, default `127.0.0.1:3000`.
    pub addr: SocketAddr,
    /// `PWH_MAX_AGE_SECS` (0 disables the freshness check), default 600.
    pub max_age: Option<Duration>,
    /// `PWH_FAIL_ONCE`: the fraction (0 to 1) of handler calls that fail once, for the load
    /// script's failure mode. Default 0.
    pub fail_once_ratio: f64,
    /// `PWH_REDIS_URL` (one server) or `PWH_REDIS_CLUSTER` (a Redis Cluster's nodes): the
    /// delivery memory and the deferred jobs on this Redis, shared by every instance pointing
    /// at it, whatever `PWH_STORE` says. Not connected yet: Redis may be down when the app
    /// starts (it then answers 503 until Redis is back).
    pub redis: Option<RedisStores>,
    /// `PWH_STORE` and `PWH_SQLITE_PATH`: where the delivery memory and the deferred jobs are
    /// kept when `PWH_REDIS_URL` is unset. Default: SQLite in `pwh.sqlite3`.
    pub store: Store,
    /// The deferred handler `welcome_member`: its retry policy and demo knobs.
    pub welcome: Welcome,
}

/// A configuration variable that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The tokens are malformed.
    #[error(transparent)]
    Keys(#[from] KeyRingError),
    /// `PWH_REDIS_URL` is not a Redis URL, or `PWH_REDIS_CLUSTER` not a list of them (the
    /// value is not repeated: it may hold a password).
    #[error("{var} cannot be used: {source}")]
    Redis {
        /// The variable.
        var: &'static str,
        /// Why.
        source: pwh_redis::OpenError,
    },
    /// `PWH_REDIS_URL` and `PWH_REDIS_CLUSTER` are both set: which one holds the stores?
    #[error(
        "{ENV_REDIS_URL} and {ENV_REDIS_CLUSTER} are both set: set {ENV_REDIS_URL} for one Redis \
         server, or {ENV_REDIS_CLUSTER} for a Redis Cluster, not both"
    )]
    TwoRedis,
    /// The SQLite file cannot be opened (a directory that does not exist, a file of another
    /// application, no permission).
    #[error("{var}: {source}")]
    Sqlite {
        /// The variable naming the file.
        var: &'static str,
        /// Why.
        source: pwh_sqlite::OpenError,
    },
    /// No token is configured and `PWH_ADDR` is not a loopback address: the demo token is
    /// public, so anyone who can reach the app could sign webhooks with it.
    #[error(
        "PWH_ADDR={addr} is not a loopback address, and no Pusher token is configured: the \
         demo token is public and only accepted on a loopback address (127.0.0.1, [::1]); \
         set PUSHER_APP_KEY and PUSHER_APP_SECRET to your Pusher app's key and secret"
    )]
    DemoTokenNotLoopback {
        /// The listen address.
        addr: SocketAddr,
    },
    /// A variable does not parse.
    #[error("{var}={value:?} is not {expected}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
}

impl Config {
    /// The default listen address.
    pub const DEFAULT_ADDR: &'static str = "127.0.0.1:3000";

    /// Reads the environment.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the variable that cannot be used.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the variables `var` gives (by name; `None` when unset), as
    /// [`from_env`](Self::from_env) reads the environment: for tests.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the variable that cannot be used.
    pub fn from_vars(var: impl Fn(&'static str) -> Option<String>) -> Result<Self, ConfigError> {
        let configured = [ENV_KEY, ENV_SECRET, ENV_EXTRA_TOKENS]
            .into_iter()
            .any(|name| var(name).is_some_and(|v| !v.trim().is_empty()));
        let keys = if configured {
            KeyRing::from_env()?
        } else {
            KeyRing::new([Token::new(DEMO_KEY, DEMO_SECRET)])
        };
        let get = |name: &'static str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let addr: SocketAddr = match get("PWH_ADDR") {
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                var: "PWH_ADDR",
                value: v,
                expected: "a socket address like 127.0.0.1:3000",
            })?,
            None => Self::DEFAULT_ADDR
                .parse()
                .map_err(|_| ConfigError::Invalid {
                    var: "PWH_ADDR",
                    value: Self::DEFAULT_ADDR.into(),
                    expected: "a socket address",
                })?,
        };
        if !configured && !addr.ip().is_loopback() {
            return Err(ConfigError::DemoTokenNotLoopback { addr });
        }
        let max_age = match get("PWH_MAX_AGE_SECS") {
            Some(v) => match v.parse::<u64>() {
                Ok(0) => None,
                Ok(secs) => Some(Duration::from_secs(secs)),
                Err(_) => {
                    return Err(ConfigError::Invalid {
                        var: "PWH_MAX_AGE_SECS",
                        value: v,
                        expected: "a number of seconds (0 disables the check)",
                    })
                }
            },
            None => Some(pwh_core::Dispatcher::DEFAULT_MAX_AGE),
        };
        let fail_once_ratio = match get("PWH_FAIL_ONCE") {
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or(ConfigError::Invalid {
                    var: "PWH_FAIL_ONCE",
                    value: v,
                    expected: "a fraction between 0 and 1",
                })?,
            None => 0.0,
        };
        let redis = RedisStores::from_vars(&get)?;
        let store = Store::from_vars(&get)?;
        let welcome = Welcome::from_vars(&get)?;
        Ok(Self {
            keys,
            demo_credentials: !configured,
            addr,
            max_age,
            fail_once_ratio,
            redis,
            store,
            welcome,
        })
    }

    /// Logs how the app is configured (key names only, never secrets).
    pub fn log(&self) {
        if self.demo_credentials {
            tracing::warn!(
                key = DEMO_KEY,
                "no Pusher token configured: using the demo token; set PUSHER_APP_KEY and \
                 PUSHER_APP_SECRET (and PUSHER_EXTRA_TOKENS=key:secret,...) for real webhooks"
            );
        }
        let keys: Vec<&str> = self.keys.tokens().map(Token::key).collect();
        tracing::info!(?keys, addr = %self.addr, max_age = ?self.max_age, "configuration");
        let welcome = &self.welcome;
        tracing::info!(
            max_attempts = welcome.policy.attempts(),
            first_backoff = ?welcome.policy.base_delay(1),
            slow = ?welcome.slow,
            fail_always = welcome.fail_always,
            "deferred handler welcome_member"
        );
        // Where deliveries and jobs are kept is logged when the stores are opened.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&'static str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_to_demo_credentials() {
        let config = Config::from_vars(vars(&[])).unwrap();
        assert!(config.demo_credentials);
        assert_eq!(config.keys.tokens().next().unwrap().key(), DEMO_KEY);
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.max_age, Some(Duration::from_secs(600)));
    }

    #[test]
    fn reads_addr_max_age_and_faults() {
        let config = Config::from_vars(vars(&[
            ("PWH_ADDR", "127.0.0.1:4000"),
            ("PWH_MAX_AGE_SECS", "0"),
            ("PWH_FAIL_ONCE", "0.25"),
        ]))
        .unwrap();
        assert_eq!(config.addr.port(), 4000);
        assert_eq!(config.max_age, None);
        assert!((config.fail_once_ratio - 0.25).abs() < f64::EPSILON);
        let err = Config::from_vars(vars(&[("PWH_MAX_AGE_SECS", "ten")])).unwrap_err();
        assert!(err.to_string().contains("PWH_MAX_AGE_SECS"), "{err}");
        assert!(Config::from_vars(vars(&[("PWH_ADDR", "nowhere")])).is_err());
        assert!(Config::from_vars(vars(&[("PWH_FAIL_ONCE", "2")])).is_err());
    }

    #[test]
    fn the_demo_token_is_refused_unless_on_a_loopback_address() {
        for addr in ["0.0.0.0:3000", "192.0.2.7:3000", "[::]:3000"] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([("PWH_ADDR", addr)]));
            let err = Config::from_vars(vars(pairs)).unwrap_err();
            assert!(
                matches!(err, ConfigError::DemoTokenNotLoopback { .. }),
                "{addr}: {err:?}"
            );
            let message = err.to_string();
            for name in ["PWH_ADDR", "PUSHER_APP_KEY", "PUSHER_APP_SECRET"] {
                assert!(message.contains(name), "{message}");
            }
        }
        for addr in ["127.0.0.1:3000", "127.0.0.2:3000", "[::1]:3000"] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([("PWH_ADDR", addr)]));
            assert!(
                Config::from_vars(vars(pairs)).unwrap().demo_credentials,
                "{addr}"
            );
        }
    }

    #[test]
    fn redis_url_switches_the_log_and_the_jobs_to_redis() {
        assert!(Config::from_vars(vars(&[])).unwrap().redis.is_none());
        // Nothing needs to listen there: the stores connect on their first call.
        let config = Config::from_vars(vars(&[
            ("PWH_REDIS_URL", "redis://127.0.0.1:1/2"),
            ("PWH_STORE", "memory"),
        ]))
        .unwrap();
        let redis = config.redis.expect("Redis stores");
        // The defaults of RedisLog, RedisJobs and `pwh jobs --redis`.
        assert_eq!(redis.log.prefix(), "pwh:");
        assert_eq!(redis.jobs.prefix(), "pwh:");
        assert_eq!(redis.jobs.prefix(), pwh_redis::RedisJobs::DEFAULT_PREFIX);
        let err = Config::from_vars(vars(&[(
            "PWH_REDIS_URL",
            "http://user:hunter2@example.com",
        )]))
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("PWH_REDIS_URL cannot be used: invalid Redis URL"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn redis_cluster_takes_a_node_list_and_excludes_redis_url() {
        // Nothing needs to listen there: the stores connect on their first call.
        let config =
            Config::from_vars(vars(&[("PWH_REDIS_CLUSTER", "127.0.0.1:1, 127.0.0.1:2")])).unwrap();
        let redis = config.redis.expect("Redis stores");
        assert_eq!(redis.log.prefix(), "pwh:");
        assert_eq!(redis.jobs.prefix(), "pwh:");

        let err = Config::from_vars(vars(&[(
            "PWH_REDIS_CLUSTER",
            "http://user:hunter2@example.com",
        )]))
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("PWH_REDIS_CLUSTER cannot be used: invalid Redis URL"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        let err = Config::from_vars(vars(&[("PWH_REDIS_CLUSTER", " , ")])).unwrap_err();
        assert!(err.to_string().contains("no Redis Cluster node"), "{err}");

        let err = Config::from_vars(vars(&[
            ("PWH_REDIS_URL", "redis://127.0.0.1:1/"),
            ("PWH_REDIS_CLUSTER", "127.0.0.1:2"),
        ]))
        .unwrap_err();
        assert!(matches!(err, ConfigError::TwoRedis), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("not both"), "{message}");
    }

    #[test]
    fn reads_the_store_and_the_deferred_handler() {
        let config = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(config.store, Store::Sqlite { path: None });
        assert_eq!(config.welcome, Welcome::default());
        let config = Config::from_vars(vars(&[
            ("PWH_STORE", "memory"),
            ("PWH_JOB_MAX_ATTEMPTS", "3"),
            ("PWH_JOB_BACKOFF_MS", "250"),
            ("PWH_EXAMPLE_SLOW_MS", "10"),
            ("PWH_EXAMPLE_DEFERRED_FAIL", "always"),
        ]))
        .unwrap();
        assert_eq!(config.store, Store::Memory);
        assert_eq!(config.welcome.policy.attempts(), 3);
        assert_eq!(
            config.welcome.policy.base_delay(1),
            Duration::from_millis(250)
        );
        assert_eq!(config.welcome.slow, Duration::from_millis(10));
        assert!(config.welcome.fail_always);
        for (var, value) in [
            ("PWH_STORE", "redis"),
            ("PWH_JOB_MAX_ATTEMPTS", "0"),
            ("PWH_JOB_BACKOFF_MS", "soon"),
            ("PWH_EXAMPLE_SLOW_MS", "1.5"),
            ("PWH_EXAMPLE_DEFERRED_FAIL", "yes"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([(var, value)]));
            let message = Config::from_vars(vars(pairs)).unwrap_err().to_string();
            assert!(message.starts_with(&format!("{var}=")), "{message}");
        }
    }
}
