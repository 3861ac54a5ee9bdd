//! [`RedisJobsBuilder`]: where a [`RedisJobs`] connects (a server or a cluster), under
//! which prefix, with which timeout, and under which consumer name.

use std::fmt;
use std::time::Duration;

use crate::builder::OpenError;
use crate::jobs::RedisJobs;
use crate::target::{Address, Target};

/// Configures a [`RedisJobs`]; start with [`RedisJobs::builder`] (one server) or
/// [`RedisJobs::cluster_builder`] (a Redis Cluster).
#[must_use]
#[derive(Clone)]
pub struct RedisJobsBuilder {
    address: Address,
    prefix: String,
    timeout: Duration,
    consumer: Option<String>,
}

impl fmt::Debug for RedisJobsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisJobsBuilder")
            .field("address", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("consumer", &self.consumer)
            .finish()
    }
}

impl RedisJobsBuilder {
    pub(crate) fn new(address: Address) -> Self {
        Self {
            address,
            prefix: RedisJobs::DEFAULT_PREFIX.to_owned(),
            timeout: RedisJobs::DEFAULT_TIMEOUT,
            consumer: None,
        }
    }

    /// Prefixes every key with `prefix` (default `pwh:`), so that several apps share one
    /// Redis; the queue's hash tag is built from it too. It must not contain `{` or `}`.
    /// Instances that share jobs use the same prefix.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Bounds each call, connecting included (default 1 s). Past it the call fails with
    /// [`StoreErrorKind::TimedOut`](pwh_core::delivery::StoreErrorKind::TimedOut): an
    /// enqueue makes the dispatcher answer 503 (Pusher retries), a claim is tried again by
    /// the workers.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// This instance's consumer name in the streams' consumer group (default
    /// `<HOSTNAME>-<pid>-<random>`): what `XPENDING` and `XINFO CONSUMERS` show holding
    /// a job. Leases are fenced by tokens, not by this name, so a name reused by two
    /// instances only blurs that view.
    pub fn consumer(mut self, name: impl Into<String>) -> Self {
        self.consumer = Some(name.into());
        self
    }

    /// Opens the store. Does not connect: Redis may be down at this point.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when a URL is not a usable Redis URL, a cluster has no node, the
    /// prefix contains a brace, or the timeout is zero.
    pub fn build(self) -> Result<RedisJobs, OpenError> {
        let target = Target::open_for(&self.address, &self.prefix, self.timeout)?;
        let consumer = self.consumer.unwrap_or_else(default_consumer);
        Ok(RedisJobs::new(target, self.prefix, self.timeout, consumer))
    }
}

/// `<HOSTNAME>-<pid>-<random>`: unique per process start.
fn default_consumer() -> String {
    use std::hash::{BuildHasher, Hasher};
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "pwh".to_owned());
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        hasher.finish() as u32
    )
}
