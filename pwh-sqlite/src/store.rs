//! [`SqliteStore`]: one SQLite file, one writer thread, both stores of a dispatcher.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pwh_core::delivery::StoreError;

use crate::builder::SqliteStoreBuilder;
use crate::clock::now_ms;
use crate::delivery_sql::{self, PURGE_LIMIT};
use crate::open_error::OpenError;
use crate::schema;
use crate::synchronous::Synchronous;
use crate::writer::{Chore, Writer};

/// A [`Dispatcher`](pwh_core::Dispatcher)'s redelivery memory
/// ([`DeliveryLog`](pwh_core::delivery::DeliveryLog)) **and** its deferred jobs
/// ([`JobStore`](pwh_core::jobs::JobStore)) in one SQLite file: they survive restarts, and the
/// processes of one machine that open the same file share them.
///
/// Cheap to clone (an `Arc` inside); clones share one connection and one writer thread, so
/// give the dispatcher a clone for each side:
///
/// ```
/// use pwh_core::{Dispatcher, KeyRing, Token};
/// use pwh_sqlite::SqliteStore;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("pwh.sqlite");
/// let store = SqliteStore::open(&path)?;
/// let keys = KeyRing::new([Token::new("app-key", "app-secret")]);
/// let dispatcher = Dispatcher::builder(keys)
///     .delivery_log(store.clone())
///     .job_store(store)
///     .build();
/// # let _ = dispatcher;
/// # Ok(())
/// # }
/// ```
///
/// Every call is a request to the writer thread, which runs the requests queued at that
/// moment in one transaction (see the crate docs); the caller awaits the answer, so no
/// runtime worker waits on the disk. A failure becomes a [`StoreError`]:
/// [`TimedOut`](pwh_core::delivery::StoreErrorKind::TimedOut) when another process held the file's
/// lock past the [busy timeout](SqliteStoreBuilder::busy_timeout),
/// [`Unreachable`](pwh_core::delivery::StoreErrorKind::Unreachable) when the file cannot be read or
/// written, [`Full`](pwh_core::delivery::StoreErrorKind::Full) when the disk or the writer's queue is
/// full, [`Failed`](pwh_core::delivery::StoreErrorKind::Failed) otherwise; its message names the file
/// and quotes SQLite. The dispatcher then answers 503 and Pusher retries.
///
/// Both traits have a `renew` method: call it as `DeliveryLog::renew(&store, ...)` or
/// `JobStore::renew(&store, ...)` when both traits are in scope.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) writer: Writer,
    synchronous: Synchronous,
    busy_timeout: Duration,
}

impl SqliteStore {
    /// The default [busy timeout](SqliteStoreBuilder::busy_timeout): 2 s.
    pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
    /// The default [queue limit](SqliteStoreBuilder::queue_limit): 10,000 requests.
    pub const DEFAULT_QUEUE_LIMIT: usize = 10_000;

    /// The store in the file at `path` (created if absent), with the default options.
    /// Blocking (it reads and may write the file): call it at start-up.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when the file cannot be opened or put in WAL mode, belongs to another
    /// application or to a newer pwh-sqlite, or the writer thread cannot be started.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, OpenError> {
        Self::builder(path).open()
    }

    /// A builder for the store in the file at `path`, to set its options.
    pub fn builder(path: impl Into<PathBuf>) -> SqliteStoreBuilder {
        SqliteStoreBuilder::new(path.into())
    }

    pub(crate) fn start(options: SqliteStoreBuilder) -> Result<Self, OpenError> {
        let path = options.path;
        let conn = schema::open(&path, options.synchronous, options.busy_timeout)?;
        let purge: Chore = Box::new(|tx| {
            let forgotten = delivery_sql::purge(tx, now_ms(), PURGE_LIMIT)?;
            Ok(forgotten == PURGE_LIMIT)
        });
        let writer = Writer::spawn(conn, &path, options.queue_limit, vec![purge]).map_err(|e| {
            OpenError::Thread {
                path: path.clone(),
                message: e.to_string(),
            }
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer,
                synchronous: options.synchronous,
                busy_timeout: options.busy_timeout,
            }),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.inner.writer.path()
    }

    /// Forgets now the bodies whose `keep_for` has passed and that no delivery holds, up to
    /// 1,000 of them; how many. The writer does this by itself about every second. (Jobs are
    /// purged by [`JobStore::purge`](pwh_core::jobs::JobStore::purge), which the workers call.)
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the file cannot be written.
    pub async fn purge_deliveries(&self) -> Result<usize, StoreError> {
        self.inner
            .writer
            .call(|tx| Ok(delivery_sql::purge(tx, now_ms(), PURGE_LIMIT)?))
            .await
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path())
            .field("synchronous", &self.inner.synchronous)
            .field("busy_timeout", &self.inner.busy_timeout)
            .finish_non_exhaustive()
    }
}
