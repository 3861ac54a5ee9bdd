//! The writer: one thread that owns the file's connection and runs every request in it,
//! grouped into transactions.
//!
//! Callers hand it requests (a closure run with the open `&Transaction`) through a bounded
//! queue and await the answer on a oneshot channel, so no runtime worker ever waits on SQLite
//! (nor on another process holding the file's lock). The thread takes **every request queued
//! at that moment** (up to [`BATCH_LIMIT`]) and runs them in one `BEGIN IMMEDIATE`
//! transaction, each inside a `SAVEPOINT` of its own: a request whose statement fails is
//! rolled back to its savepoint and answered with its error, and the others go on. Every
//! answer is sent after the `COMMIT` (a request's result is never seen before it is durable);
//! if the transaction itself cannot begin or commit, every request of the batch is answered
//! with that error. One commit, one `fsync` (with `synchronous = FULL`), serves the whole
//! batch, so throughput under load does not fall to one `fsync` per request.
//!
//! Chores (the purge of forgotten bodies) run between batches, in transactions of their own,
//! about every [`CHORES_EVERY`] and bounded by the chore itself; at once again while a chore
//! says it has more to do.
//!
//! The writer knows nothing of deliveries or jobs: the delivery memory and the deferred jobs
//! of the same file are requests and chores on the same thread, so an enqueue and the
//! delivery records of other webhooks share a commit.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[cfg(test)]
use std::sync::atomic::{AtomicU64, Ordering};

use pwh_core::delivery::{StoreError, StoreErrorKind};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::fencing::Fencing;
use crate::request_error::{sql_error, RequestError};
use crate::tx::Tx;

/// The most requests one transaction takes.
pub(crate) const BATCH_LIMIT: usize = 1024;

/// How often the chores run, at least.
pub(crate) const CHORES_EVERY: Duration = Duration::from_secs(1);

/// A periodic task run in a transaction of its own between batches; `Ok(true)` when it has
/// more to do (it runs again at once, between batches).
pub(crate) type Chore = Box<dyn FnMut(&Transaction<'_>) -> rusqlite::Result<bool> + Send>;

/// The handle on the writer thread. Dropping it lets the thread finish what is queued, close
/// the connection and end; the drop waits for that.
pub(crate) struct Writer {
    /// The only strong handle on the queue: callers hold weak ones.
    queue: Option<Arc<SyncSender<Box<dyn Request>>>>,
    path: Arc<Path>,
    thread: Mutex<Option<JoinHandle<()>>>,
    #[cfg(test)]
    commits: Arc<AtomicU64>,
}

/// One request in a batch: run it inside the transaction, then answer once the batch's fate
/// is known.
trait Request: Send {
    /// Runs the request; its error, if any, to roll it back to its savepoint.
    fn run(&mut self, tx: &Tx<'_>) -> Result<(), StoreError>;

    /// Answers the caller: the request's result, or `failed` when the batch was not
    /// committed.
    fn answer(self: Box<Self>, failed: Option<&StoreError>);
}

/// A request computing a `T`, answered on a oneshot channel.
struct Call<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
    path: Arc<Path>,
}

impl<T, F> Request for Call<T, F>
where
    T: Send,
    F: FnOnce(&Tx<'_>) -> Result<T, RequestError> + Send,
{
    fn run(&mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let Some(work) = self.work.take() else {
            return Ok(());
        };
        let result = work(tx).map_err(|e| e.into_store_error(&self.path));
        let outcome = result.as_ref().map(|_| ()).map_err(StoreError::clone);
        self.result = Some(result);
        outcome
    }

    fn answer(self: Box<Self>, failed: Option<&StoreError>) {
        let answer = match (failed, self.result) {
            (Some(e), _) => Err(e.clone()),
            (None, Some(result)) => result,
            (None, None) => Err(StoreError::new(
                StoreErrorKind::Failed,
                format_args!(
                    "sqlite {}: the request panicked and was rolled back",
                    self.path.display()
                ),
            )),
        };
        // The caller may have stopped waiting: nothing to tell then.
        let _ = self.reply.send(answer);
    }
}

impl Writer {
    /// Starts the writer thread on `conn`, the connection to the file at `path`, with a queue
    /// of `queue_limit` requests and `chores` to run between batches.
    pub(crate) fn spawn(
        conn: Connection,
        path: &Path,
        queue_limit: usize,
        chores: Vec<Chore>,
    ) -> std::io::Result<Self> {
        let path: Arc<Path> = Arc::from(path);
        let (queue, requests) = mpsc::sync_channel(queue_limit);
        #[cfg(test)]
        let commits = Arc::new(AtomicU64::new(0));
        let mut thread = Thread {
            conn,
            requests,
            chores,
            path: Arc::clone(&path),
            #[cfg(test)]
            commits: Arc::clone(&commits),
        };
        let handle = std::thread::Builder::new()
            .name("pwh-sqlite-writer".to_owned())
            .spawn(move || thread.run())?;
        Ok(Self {
            queue: Some(Arc::new(queue)),
            path,
            thread: Mutex::new(Some(handle)),
            #[cfg(test)]
            commits,
        })
    }

    /// The file the writer writes.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in the writer's next transaction; its result once that transaction is
    /// committed. Queued when first polled: a future dropped before does nothing (the
    /// dispatcher polls a store's answer once, to see if it is ready, before it awaits it).
    ///
    /// A [`StoreError`] when `work` fails (its writes are rolled back, the batch's other
    /// requests are not), when the transaction cannot begin or commit, when the queue is full
    /// ([`Full`](StoreErrorKind::Full)) or when the writer has stopped
    /// ([`Unreachable`](StoreErrorKind::Unreachable)).
    pub(crate) fn call<T, F>(
        &self,
        work: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, RequestError> + Send + 'static,
    {
        // Weak: a future not yet polled does not keep the queue open, so dropping the
        // `Writer` always ends the thread.
        let queue = self.queue.as_ref().map(Arc::downgrade);
        let path = Arc::clone(&self.path);
        async move {
            let stopped = || {
                StoreError::new(
                    StoreErrorKind::Unreachable,
                    format_args!("sqlite {}: the writer thread has stopped", path.display()),
                )
            };
            let (reply, answer) = oneshot::channel();
            let request = Box::new(Call {
                work: Some(work),
                result: None,
                reply,
                path: Arc::clone(&path),
            });
            let sent = queue
                .and_then(|queue| queue.upgrade())
                .map(|queue| queue.try_send(request));
            match sent {
                Some(Ok(())) => {}
                Some(Err(TrySendError::Full(_))) => {
                    return Err(StoreError::new(
                        StoreErrorKind::Full,
                        format_args!(
                            "sqlite {}: the writer's queue is full (the file is slower than \
                             the requests); raise queue_limit or use a faster disk",
                            path.display()
                        ),
                    ))
                }
                Some(Err(TrySendError::Disconnected(_))) | None => return Err(stopped()),
            }
            // The request is dropped unanswered only if the thread died.
            answer.await.unwrap_or_else(|_| Err(stopped()))
        }
    }

    /// How many batches the writer committed (tests only).
    #[cfg(test)]
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has answered what was queued.
        self.queue = None;
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            // Never waits for itself: the thread holds no `Writer`.
            if thread.thread().id() != std::thread::current().id() && thread.join().is_err() {
                tracing::error!(path = %self.path.display(), "the SQLite writer thread panicked");
            }
        }
    }
}

/// The writer thread's state.
struct Thread {
    conn: Connection,
    requests: Receiver<Box<dyn Request>>,
    chores: Vec<Chore>,
    path: Arc<Path>,
    #[cfg(test)]
    commits: Arc<AtomicU64>,
}

impl Thread {
    fn run(&mut self) {
        let mut chores_at = Instant::now() + CHORES_EVERY;
        loop {
            let wait = chores_at.saturating_duration_since(Instant::now());
            match self.requests.recv_timeout(wait) {
                Ok(first) => {
                    let mut batch = vec![first];
                    while batch.len() < BATCH_LIMIT {
                        match self.requests.try_recv() {
                            Ok(request) => batch.push(request),
                            Err(_) => break,
                        }
                    }
                    self.run_batch(batch);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if Instant::now() >= chores_at {
                let more = self.run_chores();
                chores_at = Instant::now() + if more { Duration::ZERO } else { CHORES_EVERY };
            }
        }
    }

    /// Runs `batch` in one transaction, each request in a savepoint; answers after the commit.
    fn run_batch(&mut self, mut batch: Vec<Box<dyn Request>>) {
        let failed = self.try_batch(&mut batch).err();
        #[cfg(test)]
        if failed.is_none() {
            self.commits.fetch_add(1, Ordering::SeqCst);
        }
        for request in batch {
            request.answer(failed.as_ref());
        }
    }

    /// Runs the requests of `batch` and commits; the error that fails the whole batch.
    fn try_batch(&mut self, batch: &mut [Box<dyn Request>]) -> Result<(), StoreError> {
        let path = Arc::clone(&self.path);
        let sql = |e: rusqlite::Error| sql_error(&e, &path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let fencing = Fencing::default();
        let request_tx = Tx::new(&tx, &fencing);
        // Prepared once for the connection's life, like every statement of the requests.
        let savepoint = |sql_text: &str| tx.prepare_cached(sql_text)?.execute([]).map(drop);
        for request in batch.iter_mut() {
            savepoint("SAVEPOINT pwh_request").map_err(sql)?;
            let ran = catch_unwind(AssertUnwindSafe(|| request.run(&request_tx)));
            if tx.is_autocommit() {
                // SQLite rolled the whole transaction back (disk full, I/O error): what the
                // batch's earlier requests wrote is gone with it.
                let why = match ran {
                    Ok(Err(e)) => e.to_string(),
                    _ => "an error".to_owned(),
                };
                return Err(StoreError::new(
                    StoreErrorKind::Failed,
                    format_args!(
                        "sqlite {}: the transaction was rolled back by SQLite after {why}",
                        path.display()
                    ),
                ));
            }
            if !matches!(ran, Ok(Ok(()))) {
                savepoint("ROLLBACK TO pwh_request").map_err(sql)?;
            }
            savepoint("RELEASE pwh_request").map_err(sql)?;
        }
        fencing.save(&tx).map_err(sql)?;
        tx.commit().map_err(sql)
    }

    /// Runs each chore in a transaction of its own; whether one has more to do.
    fn run_chores(&mut self) -> bool {
        let mut more = false;
        for chore in &mut self.chores {
            let ran = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .and_then(|tx| {
                    let more = chore(&tx)?;
                    tx.commit()?;
                    Ok(more)
                });
            match ran {
                Ok(again) => more |= again,
                Err(e) => tracing::warn!(
                    error = %sql_error(&e, &self.path),
                    "a housekeeping pass of the SQLite pwh store failed; it runs again later"
                ),
            }
        }
        more
    }
}

#[cfg(test)]
mod tests;
