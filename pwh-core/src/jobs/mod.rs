//! Deferred jobs: handlers marked `deferred` are not run while Pusher waits; each (event,
//! handler) becomes a job, recorded durably before the webhook is answered, and run later by
//! workers, retried with backoff, dead after its last attempt and kept to be retried.
//!
//! [`JobStore`] is the store's side (in memory: [`MemoryJobs`], for tests; on one machine:
//! `pwh-sqlite`; across machines: `pwh-redis`); [`JobPolicy`] says how a job is retried.

mod id;
mod job;
mod memory;
mod policy;
mod store;

pub use id::{JobId, ParseJobIdError};
pub use job::Job;
pub use memory::MemoryJobs;
pub use policy::JobPolicy;
pub use store::{ClaimedJob, JobCounts, JobEnd, JobInfo, JobQuery, JobState, JobStore, NewJob};
