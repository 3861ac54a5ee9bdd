//! Opening the stores the configuration names: the delivery memory and the deferred jobs.

use pwh_core::dispatcher::DispatcherBuilder;
use pwh_core::jobs::MemoryJobs;
use pwh_sqlite::SqliteStore;

use crate::config::ENV_SQLITE_PATH;
use crate::{Config, ConfigError, ENV_REDIS_URL};

/// Gives `builder` the delivery memory and the job store of `config`, opening the SQLite file
/// if one is used, and logs where each is kept.
///
/// - `PWH_STORE=sqlite` (the default): one [`SqliteStore`] on `PWH_SQLITE_PATH` for both.
/// - `PWH_STORE=memory`: both in this process.
/// - `PWH_REDIS_URL`: the delivery memory in Redis whatever `PWH_STORE` says; the jobs where
///   `PWH_STORE` says (jobs on Redis come in a later version).
///
/// # Errors
///
/// [`ConfigError::Sqlite`] when the SQLite file cannot be opened.
pub(crate) fn with_stores(
    builder: DispatcherBuilder,
    config: &Config,
) -> Result<DispatcherBuilder, ConfigError> {
    let sqlite = match config.store.sqlite_path() {
        Some(path) => Some(
            SqliteStore::open(path).map_err(|source| ConfigError::Sqlite {
                var: ENV_SQLITE_PATH,
                source,
            })?,
        ),
        None => None,
    };
    let builder = match (&config.redis, &sqlite) {
        (Some(redis), _) => {
            // Host, port, database and prefix: never the password.
            tracing::info!(
                ?redis,
                "redelivery memory in Redis, shared by every instance using it (answers 503 \
                 while Redis cannot be reached)"
            );
            builder.delivery_log(redis.clone())
        }
        (None, Some(store)) => {
            tracing::info!(
                file = %store.path().display(),
                "redelivery memory in SQLite: survives restarts, shared by this machine's \
                 processes using the file"
            );
            builder.delivery_log(store.clone())
        }
        (None, None) => {
            tracing::info!(
                "redelivery memory in this process ({ENV_REDIS_URL} shares it among instances, \
                 PWH_STORE=sqlite keeps it across restarts)"
            );
            builder
        }
    };
    Ok(match sqlite {
        Some(store) => {
            if config.redis.is_some() {
                tracing::info!(
                    file = %store.path().display(),
                    "deferred jobs in SQLite, not in Redis ({ENV_REDIS_URL}): jobs on Redis \
                     come in a later version; instances share jobs only on this machine"
                );
            } else {
                tracing::info!(
                    file = %store.path().display(),
                    "deferred jobs in SQLite: survive restarts"
                );
            }
            builder.job_store(store)
        }
        None => {
            tracing::info!(
                "deferred jobs in this process: a restart loses those not done (PWH_STORE=memory)"
            );
            builder.job_store(MemoryJobs::new())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::App;

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
