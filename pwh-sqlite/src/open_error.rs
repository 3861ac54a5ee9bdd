//! [`OpenError`]: why a [`SqliteStore`](crate::SqliteStore) could not be opened.

use std::path::PathBuf;

/// Why a [`SqliteStore`](crate::SqliteStore) could not be opened. Each says which file, and what
/// to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// SQLite could not open or set up the file (missing directory, no permission, not a
    /// database, ...).
    #[error("cannot open the pwh store {}: {message}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        message: String,
    },
    /// The file was written by a newer version of pwh-sqlite: its schema is unknown here,
    /// and using it could corrupt it.
    #[error(
        "the pwh store {} has schema version {found}, newer than this pwh-sqlite knows \
         ({supported}); upgrade pwh-sqlite, or point it at another file",
        path.display()
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The schema version the file says it has.
        found: i64,
        /// The newest version this crate knows.
        supported: i64,
    },
    /// The file is an SQLite database of some other application: pwh-sqlite never writes
    /// into it.
    #[error(
        "{} is not a pwh store ({reason}); give pwh-sqlite a file of its own",
        path.display()
    )]
    NotPwh {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// SQLite could not put the file in WAL mode (e.g. on a network file system).
    #[error(
        "the pwh store {} cannot use a write-ahead log (journal mode is {mode:?}); \
         put it on a local file system",
        path.display()
    )]
    NoWal {
        /// The file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// An option is out of range.
    #[error("invalid option for the SQLite pwh store: {0}")]
    InvalidOption(&'static str),
    /// The writer thread could not be started.
    #[error("cannot start the SQLite writer thread for {}: {message}", path.display())]
    Thread {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        message: String,
    },
}
