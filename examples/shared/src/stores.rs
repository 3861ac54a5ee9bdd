//! Opening the stores the configuration names: the delivery memory and the deferred jobs.

use pwh_core::dispatcher::DispatcherBuilder;
use pwh_core::jobs::MemoryJobs;
use pwh_sqlite::SqliteStore;

use crate::config::{ENV_SQLITE_PATH, ENV_STORE};
use crate::{Config, ConfigError, Store, ENV_REDIS_CLUSTER, ENV_REDIS_URL};

/// Gives `builder` the delivery memory and the job store of `config`, opening the SQLite file
/// if one is used, and logs where each is kept.
///
/// - `PWH_REDIS_URL` (or `PWH_REDIS_CLUSTER`): both on that Redis (or Redis Cluster)
///   ([`RedisStores`](crate::RedisStores): `RedisLog` and `RedisJobs`), shared by every
///   instance using it; `PWH_STORE` and `PWH_SQLITE_PATH` are not used (no file is opened).
/// - Otherwise `PWH_STORE=sqlite` (the default): one [`SqliteStore`] on `PWH_SQLITE_PATH` for
///   both; `PWH_STORE=memory`: both in this process.
///
/// # Errors
///
/// [`ConfigError::Sqlite`] when the SQLite file cannot be opened.
pub(crate) fn with_stores(
    builder: DispatcherBuilder,
    config: &Config,
) -> Result<DispatcherBuilder, ConfigError> {
    if let Some(redis) = &config.redis {
        if config.store != (Store::Sqlite { path: None }) {
            tracing::info!(
                "{ENV_STORE} and {ENV_SQLITE_PATH} are not used: {ENV_REDIS_URL} (or \
                 {ENV_REDIS_CLUSTER}) keeps the delivery memory and the deferred jobs in Redis"
            );
        }
        // Host, port, database and prefix: never the password.
        tracing::info!(
            log = ?redis.log,
            jobs = ?redis.jobs,
            "redelivery memory and deferred jobs in Redis, shared by every instance using it \
             (webhooks are answered 503 while Redis cannot be reached; the jobs are as durable \
             as Redis's persistence: appendonly yes, maxmemory-policy noeviction)"
        );
        return Ok(builder
            .delivery_log(redis.log.clone())
            .job_store(redis.jobs.clone()));
    }
    Ok(match config.store.sqlite_path() {
        Some(path) => {
            let store = SqliteStore::open(path).map_err(|source| ConfigError::Sqlite {
                var: ENV_SQLITE_PATH,
                source,
            })?;
            tracing::info!(
                file = %store.path().display(),
                "redelivery memory and deferred jobs in SQLite: survive restarts, shared by \
                 this machine's processes using the file ({ENV_REDIS_URL} shares them among \
                 machines)"
            );
            builder.delivery_log(store.clone()).job_store(store)
        }
        None => {
            tracing::info!(
                "redelivery memory and deferred jobs in this process: a restart loses the jobs \
                 not done ({ENV_REDIS_URL} shares both among instances, PWH_STORE=sqlite keeps \
                 them across restarts)"
            );
            builder.job_store(MemoryJobs::new())
        }
    })
}

#[cfg(test)]
mod tests {
    use pwh_core::jobs::JobStore;
    use pwh_core::testing::TestWebhook;
    use pwh_core::Token;

    use super::*;
    use crate::{App, Jobs, StateReport, DEMO_KEY, DEMO_SECRET};

    fn config(pairs: Vec<(&'static str, String)>) -> Config {
        Config::from_vars(move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    #[test]
    fn sqlite_opens_the_named_file_and_a_bad_path_names_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite3");
        let sqlite = config(vec![("PWH_SQLITE_PATH", path.display().to_string())]);
        let dispatcher = App::new(&sqlite).dispatcher(&sqlite).unwrap();
        assert!(path.exists(), "the file is made");
        assert!(dispatcher.job_store().unwrap().is_durable());

        let missing = dir.path().join("no-such-dir").join("app.sqlite3");
        let bad = config(vec![("PWH_SQLITE_PATH", missing.display().to_string())]);
        let Err(err) = App::new(&bad).dispatcher(&bad) else {
            panic!("opened a file in a directory that does not exist");
        };
        let message = err.to_string();
        assert!(message.starts_with("PWH_SQLITE_PATH: "), "{message}");
        assert!(message.contains("no-such-dir"), "{message}");
    }

    #[test]
    fn redis_takes_the_log_and_the_jobs_and_opens_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unused.sqlite3");
        // Nothing needs to listen there: the stores connect on their first call.
        let redis = config(vec![
            ("PWH_REDIS_URL", "redis://127.0.0.1:1/".into()),
            ("PWH_SQLITE_PATH", path.display().to_string()),
        ]);
        let dispatcher = App::new(&redis).dispatcher(&redis).unwrap();
        assert!(dispatcher.job_store().unwrap().is_durable());
        assert!(!path.exists(), "the jobs are not in SQLite");
    }

    /// `PWH_REDIS_URL` on the test Redis (a fresh prefix): a `member_added` is answered once
    /// its `welcome_member` job is recorded in Redis, and the app's workers do it; `/state`
    /// counts it from Redis.
    #[tokio::test]
    async fn a_deferred_job_goes_through_redis() {
        let Some(url) = crate::test_redis::redis_url() else {
            return;
        };
        let mut on_redis = config(vec![
            ("PWH_REDIS_URL", url.clone()),
            ("PWH_STORE", "memory".into()),
        ]);
        on_redis.redis = Some(
            crate::RedisStores::with_prefix(&url, &crate::test_redis::fresh_prefix()).unwrap(),
        );
        a_deferred_job_goes_through(on_redis).await;
    }

    /// The same through `PWH_REDIS_CLUSTER` on the test Redis Cluster.
    #[tokio::test]
    async fn a_deferred_job_goes_through_a_redis_cluster() {
        let Some(nodes) = crate::test_redis::redis_cluster() else {
            return;
        };
        let mut on_cluster = config(vec![
            ("PWH_REDIS_CLUSTER", nodes.join(",")),
            ("PWH_STORE", "memory".into()),
        ]);
        on_cluster.redis = Some(
            crate::RedisStores::cluster_with_prefix(&nodes, &crate::test_redis::fresh_prefix())
                .unwrap(),
        );
        a_deferred_job_goes_through(on_cluster).await;
    }

    async fn a_deferred_job_goes_through(on_redis: Config) {
        let app = App::new(&on_redis);
        let dispatcher = app.dispatcher(&on_redis).unwrap();
        let now_ms = u64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        let request = TestWebhook::new()
            .time_ms(now_ms)
            .member_added("presence-lobby", "carol")
            .signed_by(&Token::new(DEMO_KEY, DEMO_SECRET));
        let response = dispatcher
            .handle("POST", request.headers.as_slice(), &request.body)
            .await;
        assert_eq!(response.status(), 200);
        let jobs = on_redis.redis.as_ref().unwrap().jobs.clone();
        let counts = jobs.counts().await.unwrap();
        assert_eq!((counts.pending, counts.done), (1, 0), "recorded in Redis");
        let state = StateReport::read(&app, &dispatcher).await;
        assert_eq!(state.jobs.map(|j| j.pending), Some(1));

        assert_eq!(dispatcher.workers().run_due().await, 1);
        assert_eq!(app.welcomed_total(), 1);
        let state = StateReport::read(&app, &dispatcher).await;
        assert_eq!(
            state.jobs,
            Some(Jobs {
                done: 1,
                ..Jobs::default()
            }),
            "counted from Redis"
        );
        // The same body again (a Pusher retry): no second job.
        let again = dispatcher
            .handle("POST", request.headers.as_slice(), &request.body)
            .await;
        assert_eq!(again.status(), 200);
        assert_eq!(dispatcher.workers().run_due().await, 0);
        assert_eq!(jobs.counts().await.unwrap().done, 1);
    }

    #[test]
    fn memory_opens_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unused.sqlite3");
        let memory = config(vec![
            ("PWH_STORE", "memory".into()),
            ("PWH_SQLITE_PATH", path.display().to_string()),
        ]);
        let dispatcher = App::new(&memory).dispatcher(&memory).unwrap();
        assert!(!dispatcher.job_store().unwrap().is_durable());
        assert!(!path.exists());
    }
}
