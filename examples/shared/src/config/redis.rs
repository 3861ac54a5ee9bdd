//! `PWH_REDIS_URL` or `PWH_REDIS_CLUSTER`: the delivery memory and the deferred jobs of the app
//! on one Redis, or on a Redis Cluster.

use pwh_redis::{OpenError, RedisJobs, RedisLog};

use super::ConfigError;

/// The variable naming the Redis that instances of an app share their delivery memory and
/// their deferred jobs in.
pub const ENV_REDIS_URL: &str = "PWH_REDIS_URL";

/// The variable naming, instead, a Redis Cluster: some of its nodes, comma-separated
/// (`127.0.0.1:7000,127.0.0.1:7001`).
pub const ENV_REDIS_CLUSTER: &str = "PWH_REDIS_CLUSTER";

/// The stores the apps keep on Redis when `PWH_REDIS_URL` (one server) or
/// `PWH_REDIS_CLUSTER` (a Redis Cluster) is set: the delivery memory ([`RedisLog`]) and the
/// deferred jobs ([`RedisJobs`]), under the same key prefix, shared by every instance pointing
/// at that Redis. Neither connects when opened: Redis may be down when the app starts (it then
/// answers 503 until Redis is back).
#[derive(Debug, Clone)]
pub struct RedisStores {
    /// The delivery memory.
    pub log: RedisLog,
    /// The deferred jobs (what `pwh jobs --redis URL` or `--redis-cluster NODES` reads).
    pub jobs: RedisJobs,
}

impl RedisStores {
    /// The stores `PWH_REDIS_URL` or `PWH_REDIS_CLUSTER` name (`get` reads a variable,
    /// trimmed, `None` when unset or blank); `None` when neither is set.
    pub(super) fn from_vars(
        get: &dyn Fn(&'static str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let opened = match (get(ENV_REDIS_URL), get(ENV_REDIS_CLUSTER)) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoRedis),
            (Some(url), None) => (ENV_REDIS_URL, Self::open(&url)),
            (None, Some(list)) => (
                ENV_REDIS_CLUSTER,
                Self::open_cluster(&pwh_redis::cluster_nodes(&list)),
            ),
            (None, None) => return Ok(None),
        };
        match opened {
            (_, Ok(stores)) => Ok(Some(stores)),
            (var, Err(source)) => Err(ConfigError::Redis { var, source }),
        }
    }

    /// Both stores on the Redis at `url`, under the default prefix (`pwh:`, the default of
    /// `RedisLog` and `RedisJobs`, and of `pwh jobs --redis`).
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when `url` is not a usable Redis URL.
    pub fn open(url: &str) -> Result<Self, OpenError> {
        Self::with_prefix(url, RedisJobs::DEFAULT_PREFIX)
    }

    /// Both stores on the Redis Cluster that `nodes` belong to (`redis://host:port` each, as
    /// [`pwh_redis::cluster_nodes`] reads a comma-separated list), under the default prefix.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when a node's URL is not usable, or `nodes` is empty.
    pub fn open_cluster(nodes: &[String]) -> Result<Self, OpenError> {
        Self::cluster_with_prefix(nodes, RedisJobs::DEFAULT_PREFIX)
    }

    /// Both stores on the Redis at `url`, their keys under `prefix`: several apps on one
    /// Redis, or a test of its own.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when `url` is not a usable Redis URL or `prefix` holds a brace.
    pub fn with_prefix(url: &str, prefix: &str) -> Result<Self, OpenError> {
        Ok(Self {
            log: RedisLog::builder(url).prefix(prefix).build()?,
            jobs: RedisJobs::builder(url).prefix(prefix).build()?,
        })
    }

    /// Both stores on the Redis Cluster that `nodes` belong to, their keys under `prefix`.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when a node's URL is not usable, `nodes` is empty, or `prefix` holds
    /// a brace.
    pub fn cluster_with_prefix(nodes: &[String], prefix: &str) -> Result<Self, OpenError> {
        Ok(Self {
            log: RedisLog::cluster_builder(nodes).prefix(prefix).build()?,
            jobs: RedisJobs::cluster_builder(nodes).prefix(prefix).build()?,
        })
    }
}
