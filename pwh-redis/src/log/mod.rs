//! [`RedisLog`]: the [`DeliveryLog`] on Redis.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pwh_core::delivery::{
    Begin, DeliveryId, DeliveryLog, Done, LeaseTerms, LeaseToken, Progress, StoreError,
    StoreErrorKind, StoreFuture,
};
use redis::{FromRedisValue, RedisError};

use crate::builder::{OpenError, RedisLogBuilder};
use crate::scripts::{self, Keys};
use crate::target::{Address, Script, ScriptCall, Target};

/// The delivery memory of a [`Dispatcher`](pwh_core::Dispatcher) on Redis, shared by every
/// instance that points at the same server (or cluster) and prefix.
///
/// Cheap to clone (an `Arc` inside); clones share one connection. Open it with
/// [`RedisLog::open`] or [`RedisLog::builder`], or on a Redis Cluster with
/// [`RedisLog::open_cluster`] or [`RedisLog::cluster_builder`]: that only checks the URLs,
/// the connection is made on the first call (on the Tokio runtime that makes it) and remade
/// after a failure, so an app starts while Redis is down and its dispatcher answers 503 until
/// Redis is back. On a cluster each body's keys share one hash tag, so each call is one
/// script on the node that holds the body's slot.
///
/// Every call is one atomic Lua script (`EVALSHA`, or `EVAL` when Redis lacks it), bounded
/// by the [timeout](RedisLogBuilder::timeout); a failure becomes a [`StoreError`]:
/// [`Unreachable`](StoreErrorKind::Unreachable) when Redis cannot be reached,
/// [`TimedOut`](StoreErrorKind::TimedOut) when it does not answer in time,
/// [`Failed`](StoreErrorKind::Failed) when it answers with an error.
#[derive(Clone)]
pub struct RedisLog {
    inner: Arc<Connection>,
}

struct Connection {
    target: Target,
    /// Made on the first call, inside the runtime.
    connection: Mutex<Option<crate::target::Connection>>,
    prefix: String,
    timeout: Duration,
    scripts: Scripts,
}

/// The scripts of the three steps, called by their SHA1 (`EVALSHA`, see [`Script`]): Redis
/// compiles each once per server and keeps it until it restarts (or its script cache is
/// flushed). A call that reaches a Redis without the script (restarted meanwhile, or a
/// cluster node that never ran it) is answered `NOSCRIPT` without running and sent again
/// whole (`EVAL`) within the same call's timeout: one round trip more, once per script and
/// server. Either way the script runs when Redis gets to it, at most once per call: a begin
/// queued behind a stall is still refused by its give-up instant (checked against Redis's
/// `TIME` by the script itself), and a late finish still lands at once.
struct Scripts {
    begin: Script,
    renew: Script,
    finish: Script,
}

impl RedisLog {
    pub(crate) fn new(target: Target, prefix: String, timeout: Duration) -> Self {
        Self {
            inner: Arc::new(Connection {
                target,
                connection: Mutex::new(None),
                prefix,
                timeout,
                scripts: Scripts {
                    begin: Script::new(scripts::begin()),
                    renew: Script::new(scripts::renew()),
                    finish: Script::new(scripts::FINISH.to_owned()),
                },
            }),
        }
    }

    /// Another handle on the same Redis, with a connection of its own (made on the runtime
    /// that first uses it).
    fn detached(&self) -> Self {
        let connection = &*self.inner;
        Self::new(
            connection.target.clone(),
            connection.prefix.clone(),
            connection.timeout,
        )
    }

    /// The default key prefix: `pwh:`.
    pub const DEFAULT_PREFIX: &'static str = "pwh:";
    /// The default bound on each call: 300 ms.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(300);

    /// A log on the Redis at `url` (`redis://[[user]:password@]host[:port][/db]`), with the
    /// default prefix and timeout. Does not connect: Redis may be down at this point.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when `url` is not a usable Redis URL.
    pub fn open(url: &str) -> Result<Self, OpenError> {
        Self::builder(url).build()
    }

    /// A builder for a log on the Redis at `url`, to set the prefix and the timeout.
    pub fn builder(url: impl Into<String>) -> RedisLogBuilder {
        RedisLogBuilder::new(Address::Server(url.into()))
    }

    /// A log on the Redis Cluster that `nodes` belong to (`redis://host:port` each; the
    /// other nodes are found from them), with the default prefix and timeout. Does not
    /// connect. [`cluster_nodes`](crate::cluster_nodes) reads a comma-separated list.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when a node's URL is not usable, or `nodes` is empty.
    pub fn open_cluster<I, S>(nodes: I) -> Result<Self, OpenError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::cluster_builder(nodes).build()
    }

    /// A builder for a log on the Redis Cluster that `nodes` belong to, to set the prefix
    /// and the timeout.
    pub fn cluster_builder<I, S>(nodes: I) -> RedisLogBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RedisLogBuilder::new(Address::Cluster(
            nodes.into_iter().map(Into::into).collect(),
        ))
    }

    /// The prefix of every key.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The bound on each call.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The keys of the body `id`: to inspect it with `redis-cli`, or in tests.
    pub fn keys(&self, id: &DeliveryId) -> Keys {
        Keys::new(&self.inner.prefix, id)
    }
}

impl fmt::Debug for RedisLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("RedisLog");
        // Host and port, or socket path, or the cluster's nodes: never the password.
        self.inner.target.debug_fields(&mut f);
        f.field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn connection(&self) -> Result<crate::target::Connection, StoreError> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(connection) = &*slot {
            return Ok(connection.clone());
        }
        let connection = self.target.connect().map_err(store_error)?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Runs `call` within the timeout.
    async fn run<T: FromRedisValue>(&self, call: &ScriptCall<'_>) -> Result<T, StoreError> {
        // The timer and the connection manager need a Tokio runtime: without one (e.g. a
        // delivery dropped after its runtime), fail rather than panic.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StoreError::new(
                StoreErrorKind::Failed,
                "redis: RedisLog must be called on a Tokio runtime",
            ));
        }
        let attempt = async {
            let mut connection = self.connection()?;
            match call.query(&mut connection).await {
                // The manager is connecting again (Redis may be back): one more try, on the
                // new connection. See `worth_another_try`.
                Err(e) if worth_another_try(&e) => call.query(&mut connection).await,
                result => result,
            }
            .map_err(store_error)
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::new(
                StoreErrorKind::TimedOut,
                format_args!("redis did not answer within {:?}", self.timeout),
            )),
        }
    }
}

/// Whether a call that failed with `e` is sent once more (both stores do, on the connection
/// the manager makes again after the failure):
///
/// - refused: nothing was sent, so one more try cannot run the script twice;
/// - dropped: the connection was closed (Redis restarted, or closed it while it was idle, as
///   its `timeout` setting does, or a proxy did). The manager only learns it when a call fails,
///   so without another try the first call after every such close failed (a webhook answered
///   503 although Redis was back). The script may have run if the connection dropped after it
///   was sent and before its answer; none does harm run twice: a second `begin` finds the
///   lease the first took and answers busy (no handler runs twice), a second `renew` extends
///   the lease again, a second `finish` records nothing more, a job's second `enqueue`
///   records nothing, a second `claim` leases other jobs (those of the first run after their
///   lease, as when its answer is lost without another try), a second `end` is refused (the
///   job ended once; the worker logs a lost lease), a second `retry`, `discard` or `purge`
///   finds nothing left to do (and counts nothing).
pub(crate) fn worth_another_try(e: &RedisError) -> bool {
    e.is_connection_refusal() || e.is_connection_dropped()
}

/// A Redis error as a [`StoreError`]: its message is Redis's own (never a key, body or URL).
pub(crate) fn store_error(e: RedisError) -> StoreError {
    let kind = if e.is_timeout() {
        StoreErrorKind::TimedOut
    } else if e.is_io_error()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        // A cluster with no node to reach, or not serving the slot (yet, or any more).
        || e.kind() == redis::ErrorKind::ClusterConnectionNotFound
        || e.is_cluster_error()
    {
        StoreErrorKind::Unreachable
    } else {
        StoreErrorKind::Failed
    };
    StoreError::new(kind, format_args!("redis: {}", describe(&e)))
}

pub(crate) fn describe(e: &RedisError) -> String {
    e.to_string()
}

fn millis(d: Duration) -> u64 {
    // Redis refuses an expiry of 0.
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The caller's give-up instant, or this log's own (its timeout from now), whichever is first.
fn not_after(log: &Connection, terms: &LeaseTerms) -> u64 {
    let own = LeaseTerms::new(terms.lease_for, terms.keep_for, log.timeout);
    own.not_after_ms.min(terms.not_after_ms)
}

impl DeliveryLog for RedisLog {
    fn begin<'a>(&'a self, id: &'a DeliveryId, terms: LeaseTerms) -> StoreFuture<'a, Begin> {
        StoreFuture::new(self.begin_on(id, terms))
    }

    fn renew<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> StoreFuture<'a, bool> {
        StoreFuture::new(self.renew_on(id, lease, terms))
    }

    fn finish<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        done: Done<'a>,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::new(self.finish_on(id, lease, done))
    }

    fn renewal_handle(&self) -> Option<Box<dyn DeliveryLog>> {
        Some(Box::new(self.detached()))
    }
}

/// Each step's script call.
impl RedisLog {
    async fn begin_on(&self, id: &DeliveryId, terms: LeaseTerms) -> Result<Begin, StoreError> {
        let connection = &*self.inner;
        let keys = self.keys(id);
        let mut cmd = connection
            .scripts
            .begin
            .call(&[&keys.lease, &keys.left, &keys.meta]);
        cmd.arg(millis(terms.lease_for))
            .arg(millis(terms.keep_for))
            .arg(not_after(connection, &terms));
        let reply: Vec<String> = connection.run(&cmd).await?;
        let (first, rest) = reply.split_first().ok_or_else(|| unexpected("begin"))?;
        let token = || -> Result<LeaseToken, StoreError> {
            let token = rest.first().and_then(|t| t.parse().ok());
            token.map(LeaseToken).ok_or_else(|| unexpected("begin"))
        };
        match first.as_str() {
            "busy" => Ok(Begin::Busy),
            "complete" => Ok(Begin::Complete),
            "late" => Err(StoreError::new(
                StoreErrorKind::TimedOut,
                "redis: the lease request arrived after its caller gave up",
            )),
            "first" => Ok(Begin::Run {
                lease: token()?,
                progress: Progress::default(),
            }),
            "left" => {
                // A member this crate did not write is left out: its handler is not run again.
                let left = rest.iter().skip(1).filter_map(|m| scripts::parse_member(m));
                Ok(Begin::Run {
                    lease: token()?,
                    progress: Progress::left(left),
                })
            }
            _ => Err(unexpected("begin")),
        }
    }

    async fn renew_on(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> Result<bool, StoreError> {
        let connection = &*self.inner;
        let keys = self.keys(id);
        let mut cmd = connection.scripts.renew.call(&[&keys.lease]);
        cmd.arg(lease.0)
            .arg(millis(terms.lease_for))
            .arg(not_after(connection, &terms));
        let renewed: i64 = connection.run(&cmd).await?;
        Ok(renewed == 1)
    }

    async fn finish_on(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
    ) -> Result<(), StoreError> {
        let connection = &*self.inner;
        let keys = self.keys(id);
        let mut cmd =
            connection
                .scripts
                .finish
                .call(&[&keys.lease, &keys.left, &keys.meta, &keys.scratch]);
        cmd.arg(lease.0);
        if done.is_first() {
            cmd.arg("first");
            for (event, handler) in done.unfinished() {
                cmd.arg(scripts::member(event, handler));
            }
        } else {
            cmd.arg("retry");
            for (event, handler) in done.finished() {
                cmd.arg(scripts::member(event, handler));
            }
        }
        let _held: i64 = connection.run(&cmd).await?;
        Ok(())
    }
}

fn unexpected(step: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Failed,
        format_args!("redis: unexpected reply to the {step} script"),
    )
}

#[cfg(test)]
mod tests;
