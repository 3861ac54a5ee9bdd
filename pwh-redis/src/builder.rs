//! [`RedisLogBuilder`]: where a [`RedisLog`] connects, under which prefix, with which
//! timeout; and why it could not be opened.

use std::fmt;
use std::time::Duration;

use redis::aio::ConnectionManagerConfig;

use crate::log::{describe, RedisLog};

/// Configures a [`RedisLog`]; start with [`RedisLog::builder`].
#[must_use]
#[derive(Clone)]
pub struct RedisLogBuilder {
    url: String,
    prefix: String,
    timeout: Duration,
}

impl fmt::Debug for RedisLogBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisLogBuilder")
            .field("url", &"<redacted>")
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
}

/// How long one connection attempt may take, at least (a stalled Redis included).
const CONNECTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl RedisLogBuilder {
    pub(crate) fn new(url: String) -> Self {
        Self {
            url,
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
    /// An [`OpenError`] when the URL is not a usable Redis URL, the prefix contains a brace,
    /// or the timeout is zero.
    pub fn build(self) -> Result<RedisLog, OpenError> {
        let client = redis::Client::open(self.url.as_str())
            .map_err(|e| OpenError::InvalidUrl(describe(&e)))?;
        if self.prefix.contains(['{', '}']) {
            return Err(OpenError::InvalidPrefix(self.prefix));
        }
        if self.timeout.is_zero() {
            return Err(OpenError::ZeroTimeout);
        }
        // One attempt per connection (the caller's call is bounded anyway): a failed call
        // makes the manager connect again, and the next call uses the new connection. A
        // connection attempt may outlast a call (up to 10 s): one begun while Redis stalls
        // then succeeds when Redis wakes, instead of failing the first call after it.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.timeout.max(CONNECTION_TIMEOUT)))
            .set_response_timeout(Some(self.timeout));
        Ok(RedisLog::new(client, config, self.prefix, self.timeout))
    }
}
