//! `pwh jobs`: list, retry, discard and purge the deferred jobs of an app, in its store
//! (a pwh-sqlite file or a Redis), through the `JobStore` trait the app's workers use.

mod args;
mod json;
mod table;
mod time;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use pwh_core::delivery::StoreError;
use pwh_core::jobs::{JobId, JobQuery, JobState, JobStore};
use pwh_redis::RedisJobs;
use pwh_sqlite::SqliteStore;

pub(crate) use args::JobsArgs;
use args::{JobsAction, PurgeArgs, ShowArgs, StoreArgs};

use crate::error::Failure;

/// Runs `pwh jobs`: opens the store, does the action, prints what it did.
pub(crate) fn run(args: &JobsArgs) -> Result<ExitCode, Failure> {
    let (store, place) = open(&args.store)?;
    // Time and I/O for Redis's connection and its timeouts.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
    let said = runtime.block_on(act(&*store, &place, &args.action))?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(said.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::new(format!("cannot write to standard output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// The store the flags name (exactly one of `--sqlite`, `--redis`, `--redis-cluster`), and
/// where it is, for the messages.
fn open(store: &StoreArgs) -> Result<(Box<dyn JobStore>, String), Failure> {
    let on_redis = store.redis.is_some() || store.redis_cluster.is_some();
    if store.redis_prefix.is_some() && !on_redis {
        return Err(Failure::new(
            "--redis-prefix goes with --redis URL or --redis-cluster NODES: the prefix of the \
             app's keys on that Redis",
        ));
    }
    let prefix = store
        .redis_prefix
        .as_deref()
        .unwrap_or(RedisJobs::DEFAULT_PREFIX);
    let on_prefix = || format!("Redis under the prefix {prefix:?}");
    // The messages never repeat a URL: it may hold a password.
    match (&store.sqlite, &store.redis, &store.redis_cluster) {
        (Some(path), None, None) => {
            let opened = open_sqlite(path)?;
            Ok((Box::new(opened), path.display().to_string()))
        }
        (None, Some(url), None) => {
            let opened = RedisJobs::builder(url.as_str())
                .prefix(prefix)
                .build()
                .map_err(|e| Failure::new(format!("--redis: {e}")))?;
            Ok((Box::new(opened), on_prefix()))
        }
        (None, None, Some(nodes)) => {
            let opened = RedisJobs::cluster_builder(pwh_redis::cluster_nodes(nodes))
                .prefix(prefix)
                .build()
                .map_err(|e| Failure::new(format!("--redis-cluster: {e}")))?;
            Ok((Box::new(opened), format!("{} Cluster", on_prefix())))
        }
        (None, None, None) => Err(Failure::new(
            "pwh jobs needs the app's job store: --sqlite PATH (its pwh-sqlite file), --redis \
             URL (its Redis) or --redis-cluster NODES (its Redis Cluster), with --redis-prefix \
             P if the app sets a prefix",
        )),
        _ => Err(Failure::new(
            "pwh jobs takes one job store: --sqlite PATH, --redis URL or --redis-cluster \
             NODES, not two",
        )),
    }
}

/// The pwh-sqlite file at `path`. A path that is not an existing pwh file is refused: never
/// created, nor written to.
fn open_sqlite(path: &Path) -> Result<SqliteStore, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| Failure::file("open", path, &e))?;
    if !meta.is_file() {
        return Err(Failure::new(format!(
            "{} is not a file: give the app's pwh-sqlite file",
            path.display()
        )));
    }
    if meta.len() == 0 {
        return Err(Failure::new(format!(
            "{} is empty: not a pwh-sqlite file (the app creates it when it opens it)",
            path.display()
        )));
    }
    SqliteStore::open(path).map_err(|e| Failure::new(e.to_string()))
}

/// Does `action` on `store` (at `place`: a file, or a Redis prefix); what to print.
async fn act(store: &dyn JobStore, place: &str, action: &JobsAction) -> Result<String, Failure> {
    match action {
        JobsAction::List(list) => show(store, list.state, &list.show).await,
        JobsAction::Dead(dead) => show(store, Some(JobState::Dead), dead).await,
        JobsAction::Retry(retry) => match retry.id {
            Some(id) => retry_one(store, place, &id).await,
            None => {
                let n = store.retry(None).await.map_err(failed)?;
                Ok(match n {
                    0 => "no dead job to retry\n".to_owned(),
                    n => format!("{n} dead {} pending again\n", jobs_are(n)),
                })
            }
        },
        JobsAction::Discard(discard) => {
            if store.discard(&discard.id).await.map_err(failed)? {
                Ok(format!("job {} discarded\n", discard.id))
            } else {
                Err(unknown(&discard.id, place))
            }
        }
        JobsAction::Purge(purge) => purge_old(store, purge).await,
    }
}

/// `list` and `dead`: the jobs as a table, or as JSON.
async fn show(
    store: &dyn JobStore,
    state: Option<JobState>,
    show: &ShowArgs,
) -> Result<String, Failure> {
    let query = JobQuery {
        state,
        limit: show.limit,
        with_payload: show.payload,
    };
    let jobs = store.list(&query).await.map_err(failed)?;
    if show.json {
        return Ok(json::render(&jobs, show.payload));
    }
    let counts = store.counts().await.map_err(failed)?;
    Ok(table::render(&jobs, show.payload, &counts))
}

/// `retry ID`: the dead job pending again, or why not.
async fn retry_one(store: &dyn JobStore, place: &str, id: &JobId) -> Result<String, Failure> {
    if store.retry(Some(id)).await.map_err(failed)? == 1 {
        return Ok(format!("job {id} is pending again, with fresh attempts\n"));
    }
    let everything = JobQuery {
        limit: usize::MAX,
        ..JobQuery::default()
    };
    let all = store.list(&everything).await.map_err(failed)?;
    match all.iter().find(|job| job.id == *id) {
        Some(job) => Err(Failure::new(format!(
            "job {id} is {}, not dead: only dead jobs are retried",
            job.state
        ))),
        None => Err(unknown(id, place)),
    }
}

/// `purge`: the done and/or dead jobs unchanged for `--older-than`.
async fn purge_old(store: &dyn JobStore, purge: &PurgeArgs) -> Result<String, Failure> {
    let older_than = purge.older_than.unwrap_or(Duration::ZERO);
    let states = [(purge.done, JobState::Done), (purge.dead, JobState::Dead)];
    let mut said = String::new();
    for (_, state) in states.into_iter().filter(|(asked, _)| *asked) {
        let n = store.purge(state, older_than).await.map_err(failed)?;
        let age = match purge.older_than {
            Some(age) => format!(" unchanged for {}s or more", age.as_secs()),
            None => String::new(),
        };
        said.push_str(&format!("purged {n} {state} {}{age}\n", plural(n)));
    }
    Ok(said)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        "job"
    } else {
        "jobs"
    }
}

fn jobs_are(n: u64) -> &'static str {
    if n == 1 {
        "job is"
    } else {
        "jobs are"
    }
}

fn unknown(id: &JobId, place: &str) -> Failure {
    Failure::new(format!(
        "no job {id} in {place} (`pwh jobs list` shows the ids)"
    ))
}

fn failed(error: StoreError) -> Failure {
    Failure::new(error.to_string())
}
