//! [`RedisJobs`]: the deferred jobs' [`JobStore`] on Redis Streams with a consumer group.

mod builder;
mod connection;
mod prelude;
mod reply;
mod scripts;
mod store;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use builder::RedisJobsBuilder;

use crate::builder::OpenError;
use crate::target::{Address, Script, ScriptCall, Target};
use connection::Connections;

/// The deferred jobs of a [`Dispatcher`](pwh_core::Dispatcher) on Redis, shared by every
/// instance that points at the same server (or cluster) and prefix: any instance's workers
/// run any job, a job whose worker died is taken over after its lease.
///
/// Jobs wait in a Redis stream per handler, read through a consumer group (`XREADGROUP`):
/// a running job is an entry pending for the consumer that holds it, taken over with
/// `XCLAIM` once its lease runs out, and acknowledged and deleted (`XACK`, `XDEL`) when its
/// attempt ends. Each job's state (attempts, lease, fencing token, last error) lives in a
/// hash beside the stream. Every operation is one atomic Lua script (`EVALSHA`, or `EVAL`
/// when Redis lacks it) bounded by the [timeout](RedisJobsBuilder::timeout); leases and
/// waits are measured by Redis's clock. The README's "Deferred jobs" section gives the keys.
///
/// [`is_durable`](pwh_core::jobs::JobStore::is_durable) is `true`, but the jobs are only as
/// durable as Redis's persistence: run it with `appendonly yes`, `appendfsync everysec` and
/// `maxmemory-policy noeviction`. A Redis that restarts empty is detected, said in an
/// `error` line, and served on.
///
/// Cheap to clone (an `Arc` inside). Open it with [`RedisJobs::open`] or
/// [`RedisJobs::builder`], or on a Redis Cluster with [`RedisJobs::open_cluster`] or
/// [`RedisJobs::cluster_builder`]: that only checks the URLs, the connection is made on
/// first use. Every key of the queue shares one hash tag, so on a cluster the whole queue
/// lives in one slot (one node): a cluster spreads several apps' (prefixes') queues and the
/// delivery memory, not one queue.
#[derive(Clone)]
pub struct RedisJobs {
    inner: Arc<Inner>,
}

struct Inner {
    connections: Connections,
    prefix: String,
    /// `<prefix>{<prefix>jobs}:`, the start of every key of the queue.
    base: String,
    layout_key: String,
    consumer: String,
    /// The layout's epoch as last seen: another one means Redis lost the keys meanwhile.
    epoch: Mutex<Option<String>>,
    scripts: Scripts,
}

/// The scripts, called by their SHA1 and sent whole only when Redis lacks them (see
/// [`Script`]), as `RedisLog`'s are.
struct Scripts {
    enqueue: Script,
    claim: Script,
    renew: Script,
    end: Script,
    list: Script,
    counts: Script,
    retry: Script,
    discard: Script,
    purge: Script,
}

impl RedisJobs {
    /// The default key prefix: `pwh:`.
    pub const DEFAULT_PREFIX: &'static str = "pwh:";
    /// The default bound on each call: 1 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    pub(crate) fn new(target: Target, prefix: String, timeout: Duration, consumer: String) -> Self {
        let base = format!("{prefix}{{{prefix}jobs}}:");
        Self {
            inner: Arc::new(Inner {
                connections: Connections::new(target, timeout),
                layout_key: format!("{base}layout"),
                base,
                prefix,
                consumer,
                epoch: Mutex::new(None),
                scripts: Scripts {
                    enqueue: Script::new(scripts::enqueue()),
                    claim: Script::new(scripts::claim()),
                    renew: Script::new(scripts::renew()),
                    end: Script::new(scripts::end()),
                    list: Script::new(scripts::list()),
                    counts: Script::new(scripts::counts()),
                    retry: Script::new(scripts::retry()),
                    discard: Script::new(scripts::discard()),
                    purge: Script::new(scripts::purge()),
                },
            }),
        }
    }

    /// A store on the Redis at `url` (`redis://[[user]:password@]host[:port][/db]`), with
    /// the default prefix and timeout. Does not connect: Redis may be down at this point.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when `url` is not a usable Redis URL.
    pub fn open(url: &str) -> Result<Self, OpenError> {
        Self::builder(url).build()
    }

    /// A builder for a store on the Redis at `url`, to set the prefix, the timeout and the
    /// consumer name.
    pub fn builder(url: impl Into<String>) -> RedisJobsBuilder {
        RedisJobsBuilder::new(Address::Server(url.into()))
    }

    /// A store on the Redis Cluster that `nodes` belong to (`redis://host:port` each; the
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

    /// A builder for a store on the Redis Cluster that `nodes` belong to, to set the
    /// prefix, the timeout and the consumer name.
    pub fn cluster_builder<I, S>(nodes: I) -> RedisJobsBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RedisJobsBuilder::new(Address::Cluster(
            nodes.into_iter().map(Into::into).collect(),
        ))
    }

    /// The prefix of every key.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The bound on each call.
    pub fn timeout(&self) -> Duration {
        self.inner.connections.timeout
    }

    /// This instance's consumer name in the streams' consumer group.
    pub fn consumer(&self) -> &str {
        &self.inner.consumer
    }

    /// The start of every key of the queue, `<prefix>{<prefix>jobs}:` (the braces make the
    /// hash tag that keeps them in one cluster slot): to look at it with `redis-cli`.
    pub fn key_base(&self) -> &str {
        &self.inner.base
    }

    /// The key of the layout hash (`version`, `epoch`), written at first use.
    pub fn layout_key(&self) -> &str {
        &self.inner.layout_key
    }

    /// `EVALSHA <script's SHA1> 1 <layout key> <key base>`; the caller adds the other
    /// arguments.
    fn eval<'a>(&'a self, script: &'a Script) -> ScriptCall<'a> {
        let mut call = script.call(&[&self.inner.layout_key]);
        call.arg(&self.inner.base);
        call
    }

    /// Notes the layout's epoch a script saw; says, once per change, that Redis was wiped.
    fn note_epoch(&self, epoch: Option<String>, group_recreated: bool) {
        let wiped = {
            let mut known = self
                .inner
                .epoch
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let changed = matches!((&*known, &epoch), (Some(old), Some(new)) if old != new);
            if epoch.is_some() {
                *known = epoch;
            }
            changed
        };
        if wiped || group_recreated {
            let cause = if wiped {
                "its layout key was written anew"
            } else {
                "a ready stream had lost its consumer group"
            };
            tracing::error!(
                prefix = %self.inner.prefix,
                "the Redis holding the deferred jobs was wiped ({cause}): it restarted \
                 without persistence, was flushed, or evicted keys. Jobs recorded before are \
                 gone, and webhooks replayed within the max age may run their handlers \
                 again. The consumer groups are recreated and jobs are served on; run Redis \
                 with appendonly yes and maxmemory-policy noeviction"
            );
            #[cfg(feature = "metrics")]
            ::metrics::counter!("pwh_redis_wipes_total").increment(1);
        }
    }
}

impl fmt::Debug for RedisJobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("RedisJobs");
        // Host and port, or socket path, or the cluster's nodes: never the password.
        self.inner.connections.target().debug_fields(&mut f);
        f.field("prefix", &self.inner.prefix)
            .field("consumer", &self.inner.consumer)
            .field("timeout", &self.timeout())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
