//! Where the stores' Redis is — one server or a Redis Cluster — and the one connection type
//! the scripts are sent over, whichever it is.
//!
//! Every call of [`RedisLog`](crate::RedisLog) and [`RedisJobs`](crate::RedisJobs) is one
//! [`Script`] call (`EVALSHA`, and `EVAL` when Redis does not have the script) whose keys
//! share one hash tag: on a cluster it goes to the node holding that slot (redis-rs routes
//! `EVALSHA` and `EVAL` by their first key), and the script reads `TIME` there.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{
    Arg, Cmd, FromRedisValue, IntoConnectionInfo, Pipeline, RedisError, RedisFuture, Value,
};

use crate::builder::OpenError;
use crate::log::describe;

/// How long one connection attempt may take, at least (a stalled Redis included).
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a cluster call is sent again after a redirection (`MOVED`, `ASK`), a
/// `TRYAGAIN`/`CLUSTERDOWN`, or a dropped node connection; the call's timeout bounds them all.
const CLUSTER_RETRIES: u32 = 3;

/// The Redis a store was opened on, as given to its builder.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Address {
    /// One server: `redis://...` or `redis+unix://...`.
    Server(String),
    /// A Redis Cluster: some of its nodes' URLs (the others are found from them).
    Cluster(Vec<String>),
}

/// The nodes of a comma-separated list such as `PWH_REDIS_CLUSTER`'s:
/// `127.0.0.1:7000,127.0.0.1:7001` or `redis://10.0.0.1:6379, redis://10.0.0.2:6379`.
/// Blank entries are dropped; an entry without a scheme gets `redis://`.
///
/// ```
/// assert_eq!(
///     pwh_redis::cluster_nodes(" 127.0.0.1:7000, redis://:pw@10.0.0.2:6379,, "),
///     ["redis://127.0.0.1:7000", "redis://:pw@10.0.0.2:6379"],
/// );
/// ```
pub fn cluster_nodes(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|node| !node.is_empty())
        .map(|node| {
            if node.contains("://") {
                node.to_owned()
            } else {
                format!("redis://{node}")
            }
        })
        .collect()
}

/// An opened [`Address`]: a client that makes connections, with the calls' timeouts.
#[derive(Clone)]
pub(crate) enum Target {
    Server {
        client: redis::Client,
        config: ConnectionManagerConfig,
    },
    Cluster {
        client: ClusterClient,
        config: ClusterConfig,
        /// `host:port` of each node given (never a password).
        nodes: Vec<String>,
    },
}

impl Target {
    /// What both stores' builders check: `address` as [`open`](Self::open) does, a prefix
    /// without braces (they would change the keys' hash tags), a timeout above zero.
    pub(crate) fn open_for(
        address: &Address,
        prefix: &str,
        timeout: Duration,
    ) -> Result<Self, OpenError> {
        let target = Self::open(address, timeout)?;
        if prefix.contains(['{', '}']) {
            return Err(OpenError::InvalidPrefix(prefix.to_owned()));
        }
        if timeout.is_zero() {
            return Err(OpenError::ZeroTimeout);
        }
        Ok(target)
    }

    /// Checks `address` and makes its client, each call bounded by `timeout`. Connects to
    /// nothing.
    pub(crate) fn open(address: &Address, timeout: Duration) -> Result<Self, OpenError> {
        let invalid = |e: RedisError| OpenError::InvalidUrl(describe(&e));
        match address {
            Address::Server(url) => {
                let client = redis::Client::open(url.as_str()).map_err(invalid)?;
                // One attempt per connection (the caller's call is bounded anyway): a failed
                // call makes the manager connect again, and the next call uses the new
                // connection. A connection attempt may outlast a call (up to 10 s): one begun
                // while Redis stalls then succeeds when Redis wakes, instead of failing the
                // first call after it.
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(0)
                    .set_connection_timeout(Some(timeout.max(CONNECTION_TIMEOUT)))
                    .set_response_timeout(Some(timeout));
                Ok(Self::Server { client, config })
            }
            Address::Cluster(urls) => {
                if urls.is_empty() {
                    return Err(OpenError::NoClusterNodes);
                }
                let mut nodes = Vec::with_capacity(urls.len());
                for url in urls {
                    let info = url.as_str().into_connection_info().map_err(invalid)?;
                    nodes.push(info.addr().to_string());
                }
                let client = ClusterClient::builder(urls.iter().map(String::as_str))
                    .retries(CLUSTER_RETRIES)
                    .min_retry_wait(10)
                    .max_retry_wait(100)
                    .build()
                    .map_err(invalid)?;
                let config = ClusterConfig::new()
                    .set_connection_timeout(timeout.max(CONNECTION_TIMEOUT))
                    .set_response_timeout(timeout);
                Ok(Self::Cluster {
                    client,
                    config,
                    nodes,
                })
            }
        }
    }

    /// A connection that connects in the background, its task on the calling Tokio runtime
    /// (which must be there): the first call waits for it, a failed one is made again.
    pub(crate) fn connect(&self) -> Result<Connection, RedisError> {
        match self {
            Self::Server { client, config } => {
                ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
                    .map(Connection::Server)
            }
            Self::Cluster { client, config, .. } => Ok(Connection::Cluster(
                client.get_pending_async_connection_with_config(config.clone()),
            )),
        }
    }

    /// Shows where the target is in a `Debug` output: host and port (or socket path) and
    /// database of a server, the nodes of a cluster; never a password.
    pub(crate) fn debug_fields(&self, f: &mut fmt::DebugStruct<'_, '_>) {
        match self {
            Self::Server { client, .. } => {
                let info = client.get_connection_info();
                f.field("addr", &info.addr().to_string())
                    .field("db", &info.redis_settings().db());
            }
            Self::Cluster { nodes, .. } => {
                f.field("cluster", nodes);
            }
        }
    }
}

/// A Lua script and its SHA1, called by the SHA1 (`EVALSHA`): the script's text goes to
/// Redis only when Redis answers `NOSCRIPT` (it restarted, its script cache was flushed, or
/// this is a cluster node that never ran it), and then in the same call, as `EVAL`, which
/// also caches it there. That is one round trip more for the first call of each script on
/// each server, within the call's timeout; every other call sends 40 bytes instead of the
/// script (up to 6 KB) and spares Redis hashing it.
pub(crate) struct Script {
    code: String,
    sha: String,
}

impl Script {
    pub(crate) fn new(code: String) -> Self {
        let sha = redis::Script::new(&code).get_hash().to_owned();
        Self { code, sha }
    }

    /// `EVALSHA <sha1> <number of keys> <keys>...`; the caller adds the arguments.
    pub(crate) fn call(&self, keys: &[&str]) -> ScriptCall<'_> {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&self.sha).arg(keys.len());
        for key in keys {
            cmd.arg(*key);
        }
        ScriptCall { script: self, cmd }
    }
}

/// One call of a [`Script`]: its keys and arguments.
pub(crate) struct ScriptCall<'a> {
    script: &'a Script,
    cmd: Cmd,
}

impl ScriptCall<'_> {
    /// Adds an argument (`ARGV[n]`).
    pub(crate) fn arg<T: redis::ToRedisArgs>(&mut self, arg: T) -> &mut Self {
        self.cmd.arg(arg);
        self
    }

    /// Sends the call by the script's SHA1; on `NOSCRIPT`, sends it again with the script's
    /// text (`EVAL`, the same keys and arguments). A script that Redis does not have did not
    /// run, so it runs once either way.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        connection: &mut Connection,
    ) -> Result<T, RedisError> {
        match self.cmd.query_async(connection).await {
            Err(e) if e.code() == Some("NOSCRIPT") => self.eval().query_async(connection).await,
            result => result,
        }
    }

    /// The same call with the script's text: `EVAL <script>` and what follows the SHA1 (all
    /// plain arguments: a script call has no cursor).
    fn eval(&self) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.script.code);
        for arg in self.cmd.args_iter().skip(2) {
            if let Arg::Simple(bytes) = arg {
                cmd.arg(bytes);
            }
        }
        cmd
    }
}

/// A connection to a server or to a cluster: the scripts are sent through it the same way
/// ([`ScriptCall::query`]), whichever it is.
#[derive(Clone)]
pub(crate) enum Connection {
    Server(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Server(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Server(c) => c.req_packed_commands(cmd, offset, count),
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Server(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_by_sha1_is_sent_whole_with_the_same_keys_and_arguments() {
        let script = Script::new("return ARGV[1]".to_owned());
        let mut call = script.call(&["k1", "k2"]);
        call.arg("a").arg(7);
        let words = |cmd: &Cmd| -> Vec<Vec<u8>> {
            cmd.args_iter()
                .map(|arg| match arg {
                    Arg::Simple(bytes) => bytes.to_vec(),
                    _ => b"(not a plain argument)".to_vec(),
                })
                .collect()
        };
        let sha = redis::Script::new("return ARGV[1]").get_hash().to_owned();
        let tail: [&[u8]; 5] = [b"2", b"k1", b"k2", b"a", b"7"];
        let by_sha: Vec<&[u8]> = [b"EVALSHA".as_slice(), sha.as_bytes()]
            .into_iter()
            .chain(tail)
            .collect();
        assert_eq!(words(&call.cmd), by_sha);
        let whole: Vec<&[u8]> = [b"EVAL".as_slice(), b"return ARGV[1]"]
            .into_iter()
            .chain(tail)
            .collect();
        assert_eq!(words(&call.eval()), whole);
    }

    #[test]
    fn a_node_list_is_split_trimmed_and_given_a_scheme() {
        assert_eq!(
            cluster_nodes("a:1,redis://b:2 , rediss://c:3"),
            ["redis://a:1", "redis://b:2", "rediss://c:3"]
        );
        assert!(cluster_nodes(" , ,").is_empty());
    }

    #[test]
    fn a_cluster_needs_nodes_and_valid_urls() {
        let second = Duration::from_secs(1);
        assert!(matches!(
            Target::open(&Address::Cluster(Vec::new()), second),
            Err(OpenError::NoClusterNodes)
        ));
        let bad = Address::Cluster(vec!["redis://a:1".into(), "http://b".into()]);
        assert!(matches!(
            Target::open(&bad, second),
            Err(OpenError::InvalidUrl(_))
        ));
        let good = Address::Cluster(cluster_nodes("127.0.0.1:1,127.0.0.1:2"));
        assert!(Target::open(&good, second).is_ok());
    }
}
