//! Where the apps keep their delivery memory and their deferred jobs: `PWH_STORE`,
//! `PWH_SQLITE_PATH`.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// The variable choosing the store: `sqlite` (the default) or `memory`.
pub const ENV_STORE: &str = "PWH_STORE";
/// The variable naming the SQLite file.
pub const ENV_SQLITE_PATH: &str = "PWH_SQLITE_PATH";

/// Where the delivery memory (unless `PWH_REDIS_URL` puts it in Redis) and the deferred jobs
/// are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// `PWH_STORE=sqlite`, the default: one SQLite file for both, which survives restarts and
    /// is shared by the processes of this machine that open it.
    Sqlite {
        /// `PWH_SQLITE_PATH`; `None`: [`Store::DEFAULT_SQLITE_PATH`] in the working directory
        /// (or a temporary file with `--demo`).
        path: Option<PathBuf>,
    },
    /// `PWH_STORE=memory`: in this process (`MemoryLog`, `MemoryJobs`); a restart forgets
    /// deliveries and loses the jobs not yet done.
    Memory,
}

impl Store {
    /// The SQLite file used when `PWH_SQLITE_PATH` is unset, in the working directory.
    pub const DEFAULT_SQLITE_PATH: &'static str = "pwh.sqlite3";

    /// The SQLite file, for [`Store::Sqlite`].
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite { path } => Some(
                path.as_deref()
                    .unwrap_or(Path::new(Self::DEFAULT_SQLITE_PATH)),
            ),
            Self::Memory => None,
        }
    }

    pub(super) fn from_vars(
        get: &dyn Fn(&'static str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        match get(ENV_STORE).as_deref() {
            None | Some("sqlite") => Ok(Self::Sqlite {
                path: get(ENV_SQLITE_PATH).map(PathBuf::from),
            }),
            Some("memory") => Ok(Self::Memory),
            Some(other) => Err(ConfigError::Invalid {
                var: ENV_STORE,
                value: other.to_owned(),
                expected: "`sqlite` (the default) or `memory`",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(pairs: &[(&'static str, &'static str)]) -> Result<Store, ConfigError> {
        let get = |name: &'static str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        Store::from_vars(&get)
    }

    #[test]
    fn sqlite_in_the_working_directory_by_default() {
        let default = store(&[]).unwrap();
        assert_eq!(default, Store::Sqlite { path: None });
        assert_eq!(default.sqlite_path(), Some(Path::new("pwh.sqlite3")));
        let chosen = store(&[("PWH_STORE", "sqlite"), ("PWH_SQLITE_PATH", "/tmp/a.db")]).unwrap();
        assert_eq!(chosen.sqlite_path(), Some(Path::new("/tmp/a.db")));
    }

    #[test]
    fn memory_or_an_error_naming_the_variable() {
        let memory = store(&[("PWH_STORE", "memory")]).unwrap();
        assert_eq!(memory, Store::Memory);
        assert_eq!(memory.sqlite_path(), None);
        let err = store(&[("PWH_STORE", "postgres")]).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("PWH_STORE=\"postgres\""), "{message}");
        assert!(message.contains("memory"), "{message}");
    }
}
