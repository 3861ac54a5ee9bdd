//! [`RedisLogBuilder`]: where a [`RedisLog`] connects (a server or a cluster), under which
//! prefix, with which timeout; and why it could not be opened.

use std::fmt;
use std::time::Duration;

use crate::log::RedisLog;
use crate::target::{Address, Target};

/// Configures a [`RedisLog`]; start with [`RedisLog::builder`] (one server) or
/// [`RedisLog::cluster_builder`] (a Redis Cluster).
#[must_use]
#[derive(Clone)]
pub struct RedisLogBuilder {
    address: Address,
    prefix: String,
    timeout: Duration,
}

impl fmt::Debug for RedisLogBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisLogBuilder")
            .field("address", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a [`RedisLog`] cannot be opened. Never contains the URL (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL is not a Redis URL this crate can use.
    #[error(
        "invalid Redis URL ({0}); expected redis://[[user]:password@]host[:port][/db] or \
         redis+unix:///path/to/socket"
    )]
    InvalidUrl(String),
    /// The key prefix contains a brace, which would change the keys' hash tag.
    #[error("the Redis key prefix {0:?} contains '{{' or '}}'; choose one without braces, e.g. \"myapp:\"")]
    InvalidPrefix(String),
    /// The timeout is zero.
    #[error("the Redis timeout must be more than zero (the defaults: 300 ms for RedisLog, 1 s for RedisJobs)")]
    ZeroTimeout,
    /// A cluster was asked for with no node to start from.
    #[error(
        "no Redis Cluster node given; give at least one, e.g. \"127.0.0.1:7000,127.0.0.1:7001\" \
         through pwh_redis::cluster_nodes"
    )]
    NoClusterNodes,
}

impl RedisLogBuilder {
    pub(crate) fn new(address: Address) -> Self {
        Self {
            address,
            prefix: RedisLog::DEFAULT_PREFIX.to_owned(),
            timeout: RedisLog::DEFAULT_TIMEOUT,
        }
    }

    /// Prefixes every key with `prefix` (default `pwh:`), so that several apps share one
    /// Redis. It must not contain `{` or `}`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Bounds each call, connecting included (default 300 ms). Past it the call fails with
    /// [`StoreErrorKind::TimedOut`](pwh_core::delivery::StoreErrorKind::TimedOut) and the dispatcher answers 503.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Opens the log. Does not connect: Redis may be down at this point.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when a URL is not a usable Redis URL, a cluster has no node, the
    /// prefix contains a brace, or the timeout is zero.
    pub fn build(self) -> Result<RedisLog, OpenError> {
        let target = Target::open_for(&self.address, &self.prefix, self.timeout)?;
        Ok(RedisLog::new(target, self.prefix, self.timeout))
    }
}
