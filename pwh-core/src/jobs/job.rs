//! [`Job`]: what a deferred handler knows of the job it runs.

use crate::jobs::id::JobId;

/// The job a deferred handler runs: take it as a parameter (`job: Job`) to know the attempt
/// and to pass the [idempotency key](Self::idempotency_key) to the systems the handler calls.
///
/// An attempt cut by a crash may have done part of its work before the job runs again, so a
/// side effect outside the process happens exactly once only when the system it goes to
/// drops a second request with the same key (most payment, e-mail and CRM APIs take one).
///
/// ```
/// use pwh_core::{on_event, Job};
///
/// #[on_event("member_added", deferred)]
/// async fn welcome(user_id: &str, job: Job) {
///     let key = job.idempotency_key(); // the same on every attempt, restart and instance
///     println!("welcoming {user_id}, attempt {} (key {key})", job.attempt());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub(crate) id: JobId,
    pub(crate) attempt: u32,
    pub(crate) max_attempts: u32,
    pub(crate) received_ms: u64,
}

impl Job {
    /// A job as a worker runs it (for tests of handlers that take one).
    pub fn new(id: JobId, attempt: u32, max_attempts: u32, received_ms: u64) -> Self {
        Self {
            id,
            attempt,
            max_attempts,
            received_ms,
        }
    }

    /// The job's id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// A key that stays the same across the job's attempts, restarts and instances (its id,
    /// in hex), and differs for every other job.
    pub fn idempotency_key(&self) -> String {
        self.id.to_string()
    }

    /// This attempt's number, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The attempts the job gets.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether a failure now makes the job dead.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }

    /// When its webhook was first received, in milliseconds since the Unix epoch.
    pub fn received_ms(&self) -> u64 {
        self.received_ms
    }
}
