//! [`SqliteStoreBuilder`]: which file a [`SqliteStore`] keeps, and how.

use std::path::PathBuf;
use std::time::Duration;

use crate::open_error::OpenError;
use crate::store::SqliteStore;
use crate::synchronous::Synchronous;

/// Configures a [`SqliteStore`]; start with [`SqliteStore::builder`].
#[must_use]
#[derive(Debug, Clone)]
pub struct SqliteStoreBuilder {
    pub(crate) path: PathBuf,
    pub(crate) synchronous: Synchronous,
    pub(crate) busy_timeout: Duration,
    pub(crate) queue_limit: usize,
}

impl SqliteStoreBuilder {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            synchronous: Synchronous::default(),
            busy_timeout: SqliteStore::DEFAULT_BUSY_TIMEOUT,
            queue_limit: SqliteStore::DEFAULT_QUEUE_LIMIT,
        }
    }

    /// How hard each commit is pushed to the disk (default [`Synchronous::Normal`]: durable
    /// against a killed process, not against a power cut; see [`Synchronous`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How long a transaction waits for another process (or another `SqliteStore` on the same
    /// file) to release the file's write lock before its requests fail with
    /// [`StoreErrorKind::TimedOut`](pwh_core::delivery::StoreErrorKind::TimedOut) (default 2 s). More
    /// than zero.
    pub fn busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }

    /// How many requests may wait for the writer thread (default 10,000); past it a request
    /// fails at once with [`StoreErrorKind::Full`](pwh_core::delivery::StoreErrorKind::Full) (the
    /// dispatcher answers 503, and Pusher retries). More than zero.
    pub fn queue_limit(mut self, queue_limit: usize) -> Self {
        self.queue_limit = queue_limit;
        self
    }

    /// Opens the file (creating it and its schema if absent) and starts the writer thread.
    /// Blocking (it reads and may write the file): call it at start-up.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when an option is out of range, the file cannot be opened or put in
    /// WAL mode, it belongs to another application or to a newer pwh-sqlite, or the thread
    /// cannot be started.
    pub fn open(self) -> Result<SqliteStore, OpenError> {
        if self.busy_timeout.is_zero() {
            return Err(OpenError::InvalidOption(
                "busy_timeout must be more than zero (the default is 2 s)",
            ));
        }
        if self.queue_limit == 0 {
            return Err(OpenError::InvalidOption(
                "queue_limit must be more than zero (the default is 10,000)",
            ));
        }
        SqliteStore::start(self)
    }
}
