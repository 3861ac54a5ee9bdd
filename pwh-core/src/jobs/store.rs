//! The store's side of deferred jobs: the [`JobStore`] trait and the records it keeps.

use std::time::Duration;

use crate::delivery::{LeaseToken, StoreFuture};
use crate::jobs::id::JobId;

/// A job to record: a deferred handler to run later on one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Its id, the same on every delivery of the body.
    pub id: JobId,
    /// The handler's job name (stable across refactors when given with `name = "..."`).
    pub handler: String,
    /// The event's kind (its `name`), for listings.
    pub kind: String,
    /// The event, as the body of a webhook holding that event alone (`time_ms` and
    /// `events`): what the handler is given when the job runs.
    pub payload: Vec<u8>,
    /// The key of the token that signed the webhook.
    pub key: String,
    /// The event's position in the webhook it came in.
    pub index: u32,
    /// When the webhook was first received, in milliseconds since the Unix epoch.
    pub received_ms: u64,
    /// How many attempts the job gets before it is dead.
    pub max_attempts: u32,
}

/// A job a worker leased: it runs it, renews the lease while it runs, and ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The job as recorded.
    pub job: NewJob,
    /// The lease: only this token renews or ends the job (fencing).
    pub lease: LeaseToken,
    /// This attempt's number, from 1.
    pub attempt: u32,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// The handler succeeded: the job is done, for good.
    Done,
    /// The handler failed: try again once `after` has passed (by the store's clock).
    Retry {
        /// The wait before the next attempt.
        after: Duration,
        /// Why it failed.
        error: String,
    },
    /// The handler failed for the last time, or for good: the job is dead (kept, listed,
    /// retryable with [`JobStore::retry`]).
    Dead {
        /// Why it failed.
        error: String,
    },
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobState {
    /// Waiting for its first attempt, or for a retry.
    Pending,
    /// Leased by a worker (or by one that died, until its lease runs out).
    Running,
    /// Succeeded.
    Done,
    /// Failed its last attempt.
    Dead,
}

impl JobState {
    /// The state's name, lowercase.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// The state named `name` (lowercase), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Pending, Self::Running, Self::Done, Self::Dead]
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// Its id.
    pub id: JobId,
    /// The handler's job name.
    pub handler: String,
    /// The event's kind.
    pub kind: String,
    /// Its state.
    pub state: JobState,
    /// The attempts made (a running job counts the one under way).
    pub attempts: u32,
    /// The attempts it gets.
    pub max_attempts: u32,
    /// When its webhook was first received (ms since the Unix epoch).
    pub received_ms: u64,
    /// When it last changed state (ms since the Unix epoch, by the store's clock).
    pub updated_ms: u64,
    /// Why its last attempt failed, if it did.
    pub last_error: Option<String>,
    /// The payload, when asked for ([`JobQuery::with_payload`]).
    pub payload: Option<Vec<u8>>,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Waiting for an attempt.
    pub pending: u64,
    /// Leased by a worker.
    pub running: u64,
    /// Succeeded (until purged).
    pub done: u64,
    /// Failed their last attempt.
    pub dead: u64,
}

/// Which jobs to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobQuery {
    /// Only jobs in this state (all when `None`).
    pub state: Option<JobState>,
    /// At most this many, oldest first.
    pub limit: usize,
    /// Whether to include payloads (they hold the app's data: asked for explicitly).
    pub with_payload: bool,
}

impl Default for JobQuery {
    fn default() -> Self {
        Self {
            state: None,
            limit: 100,
            with_payload: false,
        }
    }
}

/// Where deferred jobs are kept until they are done: durably, for a store that survives
/// restarts (`pwh-sqlite`, `pwh-redis`), or in the process ([`MemoryJobs`](crate::jobs::MemoryJobs),
/// for tests). Each job's state (attempts, lease, done) lives with the job.
///
/// An implementation keeps these promises, which `testing::check_job_store` checks:
///
/// - [`enqueue`](Self::enqueue) records each job once: a job whose id is already recorded, in
///   any state, is left as it is (a retried or replayed body adds nothing); once it answers
///   `Ok`, the jobs survive whatever the store promises to survive.
/// - [`claim`](Self::claim) leases due jobs of the named handlers only (a job of a handler
///   this binary lacks waits for one that has it): pending jobs whose wait is over, and
///   running jobs whose lease ran out (their worker died). Each claim counts an attempt and
///   gives a token greater than any earlier one of the job. A job whose lease ran out on its
///   last attempt is dead, not claimed.
/// - Only the current token renews or ends a job (fencing): a worker whose lease ran out and
///   was taken by another gets [`StoreErrorKind::LeaseLost`](crate::delivery::StoreErrorKind::LeaseLost).
/// - Leases and waits are measured by the store's clock.
pub trait JobStore: Send + Sync + 'static {
    /// Records `jobs`, each once.
    fn enqueue<'a>(&'a self, jobs: &'a [NewJob]) -> StoreFuture<'a, ()>;

    /// Leases up to `limit` due jobs of `handlers` for `lease_for`.
    fn claim<'a>(
        &'a self,
        handlers: &'a [&'a str],
        limit: usize,
        lease_for: Duration,
    ) -> StoreFuture<'a, Vec<ClaimedJob>>;

    /// Extends the lease of a running job by `lease_for` from now: held by `lease`, also
    /// past its end while no other worker claimed the job (its token is still the current
    /// one).
    fn renew<'a>(
        &'a self,
        id: &'a JobId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> StoreFuture<'a, ()>;

    /// Ends the current attempt of a running job.
    fn end<'a>(&'a self, id: &'a JobId, lease: LeaseToken, end: JobEnd) -> StoreFuture<'a, ()>;

    /// The jobs `query` asks for, oldest first.
    fn list<'a>(&'a self, query: &'a JobQuery) -> StoreFuture<'a, Vec<JobInfo>>;

    /// How many jobs are in each state.
    fn counts(&self) -> StoreFuture<'_, JobCounts>;

    /// Makes dead jobs pending again with fresh attempts: the one named `id`, or every dead
    /// job when `None`. Answers how many.
    fn retry<'a>(&'a self, id: Option<&'a JobId>) -> StoreFuture<'a, u64>;

    /// Deletes the job named `id`, whatever its state. Answers whether there was one.
    fn discard<'a>(&'a self, id: &'a JobId) -> StoreFuture<'a, bool>;

    /// Deletes the jobs in `state` unchanged for `older_than`. Answers how many.
    fn purge(&self, state: JobState, older_than: Duration) -> StoreFuture<'_, u64>;

    /// Whether recorded jobs survive a restart of the process (a `warn` at start-up says so
    /// when deferred handlers are given a store that does not).
    fn is_durable(&self) -> bool;
}
