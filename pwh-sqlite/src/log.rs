//! [`SqliteLog`]: the [`DeliveryLog`] in one SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pwh_core::delivery::{
    Begin, DeliveryId, DeliveryLog, Done, LeaseTerms, LeaseToken, StoreError, StoreFuture,
};

use crate::builder::SqliteLogBuilder;
use crate::delivery_sql::{self, Record, PURGE_LIMIT};
use crate::open_error::OpenError;
use crate::schema;
use crate::synchronous::Synchronous;
use crate::writer::{Chore, Writer};

/// The redelivery memory of a [`Dispatcher`](pwh_core::Dispatcher) in one SQLite file: it
/// survives restarts, and the processes of one machine that open the same file share it.
///
/// Cheap to clone (an `Arc` inside); clones share one connection and one writer thread.
/// Open it with [`SqliteLog::open`] or [`SqliteLog::builder`].
///
/// Every call is a request to the writer thread, which runs the requests queued at that
/// moment in one transaction (see the crate docs); the caller awaits the answer, so no
/// runtime worker waits on the disk. A failure becomes a [`StoreError`]:
/// [`TimedOut`](pwh_core::delivery::StoreErrorKind::TimedOut) when another process held the file's
/// lock past the [busy timeout](SqliteLogBuilder::busy_timeout),
/// [`Unreachable`](pwh_core::delivery::StoreErrorKind::Unreachable) when the file cannot be read or
/// written, [`Full`](pwh_core::delivery::StoreErrorKind::Full) when the disk or the writer's queue is
/// full, [`Failed`](pwh_core::delivery::StoreErrorKind::Failed) otherwise; its message names the file
/// and quotes SQLite. The dispatcher then answers 503 and Pusher retries.
#[derive(Clone)]
pub struct SqliteLog {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    synchronous: Synchronous,
    busy_timeout: Duration,
}

impl SqliteLog {
    /// The default [busy timeout](SqliteLogBuilder::busy_timeout): 2 s.
    pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
    /// The default [queue limit](SqliteLogBuilder::queue_limit): 10,000 requests.
    pub const DEFAULT_QUEUE_LIMIT: usize = 10_000;

    /// The log in the file at `path` (created if absent), with the default options.
    /// Blocking (it reads and may write the file): call it at start-up.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] when the file cannot be opened or put in WAL mode, belongs to another
    /// application or to a newer pwh-sqlite, or the writer thread cannot be started.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, OpenError> {
        Self::builder(path).open()
    }

    /// A builder for the log in the file at `path`, to set its options.
    pub fn builder(path: impl Into<PathBuf>) -> SqliteLogBuilder {
        SqliteLogBuilder::new(path.into())
    }

    pub(crate) fn start(options: SqliteLogBuilder) -> Result<Self, OpenError> {
        let path = options.path;
        let conn = schema::open(&path, options.synchronous, options.busy_timeout)?;
        let purge: Chore = Box::new(|tx| {
            let forgotten = delivery_sql::purge(tx, delivery_sql::now_ms(), PURGE_LIMIT)?;
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
    /// 1,000 of them; how many. The writer does this by itself about every second.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the file cannot be written.
    pub async fn purge(&self) -> Result<usize, StoreError> {
        self.inner
            .writer
            .call(|tx| {
                Ok(delivery_sql::purge(
                    tx,
                    delivery_sql::now_ms(),
                    PURGE_LIMIT,
                )?)
            })
            .await
    }
}

impl fmt::Debug for SqliteLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteLog")
            .field("path", &self.path())
            .field("synchronous", &self.inner.synchronous)
            .field("busy_timeout", &self.inner.busy_timeout)
            .finish_non_exhaustive()
    }
}

impl DeliveryLog for SqliteLog {
    fn begin<'a>(&'a self, id: &'a DeliveryId, terms: LeaseTerms) -> StoreFuture<'a, Begin> {
        let id = *id;
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| delivery_sql::begin(tx, &id, &terms, delivery_sql::now_ms())),
        )
    }

    fn renew<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> StoreFuture<'a, bool> {
        let id = *id;
        StoreFuture::new(
            self.inner.writer.call(move |tx| {
                delivery_sql::renew(tx, &id, lease, &terms, delivery_sql::now_ms())
            }),
        )
    }

    fn finish<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        done: Done<'a>,
    ) -> StoreFuture<'a, ()> {
        let id = *id;
        let record = Record::of(done);
        StoreFuture::new(
            self.inner.writer.call(move |tx| {
                delivery_sql::finish(tx, &id, lease, &record, delivery_sql::now_ms())
            }),
        )
    }

    /// A clone: the writer thread does not depend on any runtime, so renewals go on while
    /// the app's runtime workers are blocked.
    fn renewal_handle(&self) -> Option<Box<dyn DeliveryLog>> {
        Some(Box::new(self.clone()))
    }
}
