//! The command line of `pwh jobs`: where the jobs are, and what to do with them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand};
use pwh_core::jobs::{JobId, JobState};

use crate::jobs::time::parse_duration;

/// The help of `pwh jobs` after its options.
const JOBS_HELP: &str = "\
The jobs are those of an app's deferred handlers (#[on_event(\"kind\", deferred)]), in the
app's job store: the pwh-sqlite file it opens with SqliteStore (--sqlite PATH), or the Redis
it opens with RedisJobs (--redis URL, or --redis-cluster NODES for a Redis Cluster, and
--redis-prefix P when the app sets a prefix). pwh jobs may run while the app runs: each command is one short transaction on the file, or one
script on Redis. Payloads (the events, the app's data) are shown only with --payload.

Examples:
  pwh jobs --sqlite /var/lib/app/pwh.sqlite list
  pwh jobs --sqlite pwh.sqlite list --state pending --limit 20
  pwh jobs --sqlite pwh.sqlite dead --json
  pwh jobs --sqlite pwh.sqlite retry 3f1c0c6e2d7a4b5f8e9d0a1b2c3d4e5f
  pwh jobs --sqlite pwh.sqlite retry --all-dead
  pwh jobs --sqlite pwh.sqlite discard 3f1c0c6e2d7a4b5f8e9d0a1b2c3d4e5f
  pwh jobs --sqlite pwh.sqlite purge --done --older-than 1h
  pwh jobs --redis redis://127.0.0.1:6379/ list
  pwh jobs --redis redis://redis.internal:6379/2 --redis-prefix app1: dead --json
  pwh jobs --redis-cluster 10.0.0.1:7000,10.0.0.2:7000 list";

/// `pwh jobs`: the store, and the action.
#[derive(Debug, Args)]
#[command(after_help = JOBS_HELP)]
pub(crate) struct JobsArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(subcommand)]
    pub(crate) action: JobsAction,
}

/// Where the jobs are. Exactly one store must be given (checked when the command runs, so
/// that it may come before or after the action).
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The app's pwh-sqlite file (SqliteStore)
    #[arg(long, value_name = "PATH", global = true)]
    pub(crate) sqlite: Option<PathBuf>,
    /// The app's Redis (RedisJobs): redis://[[user]:password@]host[:port][/db]
    #[arg(long, value_name = "URL", global = true)]
    pub(crate) redis: Option<String>,
    /// The app's Redis Cluster (RedisJobs::cluster_builder): some of its nodes,
    /// comma-separated (host:port or redis://...)
    #[arg(long, value_name = "NODES", global = true)]
    pub(crate) redis_cluster: Option<String>,
    /// The prefix of the app's Redis keys, as given to RedisJobs's builder: .prefix(P)
    /// [default: pwh:]
    #[arg(long, value_name = "P", global = true)]
    pub(crate) redis_prefix: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum JobsAction {
    /// List jobs, oldest first: id, handler, kind, state, attempts, received, last error
    List(ListArgs),
    /// List the dead jobs (those that failed their last attempt)
    Dead(ShowArgs),
    /// Make dead jobs pending again, with fresh attempts: one, or all of them
    Retry(RetryArgs),
    /// Delete one job, whatever its state (it will not run)
    Discard(DiscardArgs),
    /// Delete done (and/or dead) jobs unchanged for a while
    Purge(PurgeArgs),
}

/// How jobs are shown.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// At most N jobs
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) limit: usize,
    /// One JSON array of jobs instead of a table
    #[arg(long)]
    pub(crate) json: bool,
    /// Include each job's payload (the event: the app's data)
    #[arg(long)]
    pub(crate) payload: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only jobs in this state
    #[arg(long, value_name = "STATE", value_parser = state)]
    pub(crate) state: Option<JobState>,
    #[command(flatten)]
    pub(crate) show: ShowArgs,
}

/// A `--state`: pending, running, done or dead.
fn state(name: &str) -> Result<JobState, String> {
    JobState::from_name(&name.trim().to_ascii_lowercase())
        .ok_or_else(|| format!("{name:?} is not a state: pending, running, done or dead"))
}

/// A job id: 32 hex digits, as `list` shows them.
fn job_id(text: &str) -> Result<JobId, String> {
    text.parse::<JobId>().map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["id", "all_dead"])))]
pub(crate) struct RetryArgs {
    /// The dead job to retry (32 hex digits, as `list` shows it)
    #[arg(value_name = "ID", value_parser = job_id)]
    pub(crate) id: Option<JobId>,
    /// Retry every dead job
    #[arg(long)]
    pub(crate) all_dead: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DiscardArgs {
    /// The job to delete (32 hex digits, as `list` shows it)
    #[arg(value_name = "ID", value_parser = job_id)]
    pub(crate) id: JobId,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("states").required(true).multiple(true).args(["done", "dead"])))]
pub(crate) struct PurgeArgs {
    /// Delete done jobs
    #[arg(long)]
    pub(crate) done: bool,
    /// Delete dead jobs (they can no longer be retried)
    #[arg(long)]
    pub(crate) dead: bool,
    /// Only those unchanged for this long: 90s, 30m, 1h, 7d [default: all of them]
    #[arg(long, value_name = "AGE", value_parser = parse_duration)]
    pub(crate) older_than: Option<Duration>,
}
