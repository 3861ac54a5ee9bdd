//! Where an app under test keeps its delivery memory and its jobs, as environment variables:
//! always set explicitly, so that a run never depends on the caller's environment nor writes
//! `pwh.sqlite3` into the working directory.

use std::path::PathBuf;

/// The store of one app; by default in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Store {
    /// Delivery memory and jobs in the process (`PWH_STORE=memory`).
    #[default]
    Memory,
    /// Delivery memory and jobs in one SQLite file (`PWH_SQLITE_PATH`).
    Sqlite {
        /// The file, in a temporary directory of the run.
        path: PathBuf,
    },
    /// Delivery memory and jobs in Redis (`PWH_REDIS_URL`); `PWH_SQLITE_PATH` still names a
    /// scratch file, so that an app that ignored Redis would not write into the working
    /// directory.
    Redis {
        /// The server's URL.
        url: String,
        /// The jobs' file, in a temporary directory of the run.
        sqlite: PathBuf,
    },
}

impl Store {
    /// Its name in reports: `memory`, `sqlite` or `redis`.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite { .. } => "sqlite",
            Self::Redis { .. } => "redis",
        }
    }

    /// The app's store variables: each set to a value, or removed (`None`).
    pub(crate) fn env(&self) -> [(&'static str, Option<String>); 3] {
        let path = |p: &PathBuf| Some(p.to_string_lossy().into_owned());
        match self {
            Self::Memory => [
                ("PWH_STORE", Some("memory".to_owned())),
                ("PWH_SQLITE_PATH", None),
                ("PWH_REDIS_URL", None),
            ],
            Self::Sqlite { path: file } => [
                ("PWH_STORE", None),
                ("PWH_SQLITE_PATH", path(file)),
                ("PWH_REDIS_URL", None),
            ],
            Self::Redis { url, sqlite } => [
                ("PWH_STORE", None),
                ("PWH_SQLITE_PATH", path(sqlite)),
                ("PWH_REDIS_URL", Some(url.clone())),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(store: &Store) -> Vec<(&'static str, String)> {
        store
            .env()
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }

    #[test]
    fn every_store_sets_its_variables_and_removes_the_others() {
        assert_eq!(set(&Store::Memory), [("PWH_STORE", "memory".to_owned())]);
        let sqlite = Store::Sqlite {
            path: "/tmp/run/pwh.sqlite3".into(),
        };
        assert_eq!(
            set(&sqlite),
            [("PWH_SQLITE_PATH", "/tmp/run/pwh.sqlite3".to_owned())]
        );
        let redis = Store::Redis {
            url: "redis://127.0.0.1:7000/".into(),
            sqlite: "/tmp/run/pwh.sqlite3".into(),
        };
        assert_eq!(
            set(&redis),
            [
                ("PWH_SQLITE_PATH", "/tmp/run/pwh.sqlite3".to_owned()),
                ("PWH_REDIS_URL", "redis://127.0.0.1:7000/".to_owned()),
            ]
        );
        for store in [Store::Memory, sqlite, redis] {
            let names: Vec<_> = store.env().iter().map(|(k, _)| *k).collect();
            assert_eq!(names, ["PWH_STORE", "PWH_SQLITE_PATH", "PWH_REDIS_URL"]);
        }
        assert_eq!(Store::default().label(), "memory");
    }
}
