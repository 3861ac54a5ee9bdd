//! [`MemoryJobs`]: deferred jobs kept in the process, for tests and for trying things out.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound::{Excluded, Unbounded};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::delivery::{LeaseToken, StoreError, StoreErrorKind, StoreFuture};
use crate::jobs::id::JobId;
use crate::jobs::store::{
    ClaimedJob, JobCounts, JobEnd, JobInfo, JobQuery, JobState, JobStore, NewJob,
};

/// Deferred jobs in the process's memory: lost when it exits, so only for tests and for
/// apps trying deferred handlers out (a `warn` at start-up says so). It keeps every promise
/// of [`JobStore`] otherwise, by the clock it is given (the test harness moves one by hand).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use pwh_core::jobs::{JobStore, MemoryJobs};
///
/// let jobs = MemoryJobs::new();
/// assert_eq!(jobs.counts().await.unwrap().pending, 0);
/// assert!(!jobs.is_durable());
/// # });
/// ```
#[derive(Clone)]
pub struct MemoryJobs {
    inner: Arc<Mutex<Jobs>>,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Jobs {
    records: HashMap<JobId, Record>,
    /// Order of enqueueing, for listings oldest first.
    next_seq: u64,
    next_token: u64,
    /// The pending and running jobs by when they are due (or their lease runs out), then
    /// by age: a claim reads the due ones from the front, whatever the backlog.
    due: BTreeSet<(u64, u64, JobId)>,
}

impl Jobs {
    /// Changes the record of `id` with `change`, keeping [`due`](Self::due) in step.
    fn change<R>(&mut self, id: &JobId, change: impl FnOnce(&mut Record) -> R) -> Option<R> {
        let record = self.records.get_mut(id)?;
        if record.is_waiting() {
            self.due.remove(&(record.at_ms, record.seq, *id));
        }
        let answer = change(record);
        if record.is_waiting() {
            self.due.insert((record.at_ms, record.seq, *id));
        }
        Some(answer)
    }

    /// Forgets the record of `id`.
    fn remove(&mut self, id: &JobId) -> Option<Record> {
        let record = self.records.remove(id)?;
        self.due.remove(&(record.at_ms, record.seq, *id));
        Some(record)
    }
}

struct Record {
    job: NewJob,
    seq: u64,
    state: JobState,
    attempts: u32,
    /// Pending: when it is due. Running: when its lease runs out.
    at_ms: u64,
    lease: LeaseToken,
    updated_ms: u64,
    last_error: Option<String>,
}

impl Record {
    /// Pending or running: in the due index.
    fn is_waiting(&self) -> bool {
        matches!(self.state, JobState::Pending | JobState::Running)
    }
}

impl Default for MemoryJobs {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryJobs").finish_non_exhaustive()
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl MemoryJobs {
    /// An empty store on the system's clock.
    pub fn new() -> Self {
        Self::with_clock(SystemClock)
    }

    /// An empty store reading the time from `clock`.
    pub fn with_clock(clock: impl Clock) -> Self {
        Self {
            inner: Arc::default(),
            clock: Arc::new(clock),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Jobs> {
        // A panic while the lock was held left consistent records: each change is one
        // assignment after its checks.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now(&self) -> u64 {
        self.clock.now_ms()
    }
}

fn lease_lost(id: &JobId) -> StoreError {
    StoreError::new(
        StoreErrorKind::LeaseLost,
        format!("job {id} is leased by another worker, or ended"),
    )
}

impl JobStore for MemoryJobs {
    fn enqueue<'a>(&'a self, jobs: &'a [NewJob]) -> StoreFuture<'a, ()> {
        let now = self.now();
        let mut all = self.lock();
        for job in jobs {
            if all.records.contains_key(&job.id) {
                continue;
            }
            let seq = all.next_seq;
            all.next_seq += 1;
            all.due.insert((now, seq, job.id));
            all.records.insert(
                job.id,
                Record {
                    job: job.clone(),
                    seq,
                    state: JobState::Pending,
                    attempts: 0,
                    at_ms: now,
                    lease: LeaseToken(0),
                    updated_ms: now,
                    last_error: None,
                },
            );
        }
        StoreFuture::ready(Ok(()))
    }

    fn claim<'a>(
        &'a self,
        handlers: &'a [&'a str],
        limit: usize,
        lease_for: Duration,
    ) -> StoreFuture<'a, Vec<ClaimedJob>> {
        let now = self.now();
        let mut guard = self.lock();
        let all = &mut *guard;
        let mut claimed = Vec::new();
        let mut cursor: Option<(u64, u64, JobId)> = None;
        while claimed.len() < limit {
            let next = match cursor {
                None => all.due.iter().next(),
                Some(key) => all.due.range((Excluded(key), Unbounded)).next(),
            };
            let Some(&key) = next else { break };
            if key.0 > now {
                break;
            }
            cursor = Some(key);
            let id = key.2;
            let wanted = all
                .records
                .get(&id)
                .is_some_and(|r| handlers.contains(&r.job.handler.as_str()));
            if !wanted {
                continue;
            }
            all.next_token += 1;
            let token = LeaseToken(all.next_token);
            let job = all.change(&id, |record| {
                if record.state == JobState::Running && record.attempts >= record.job.max_attempts {
                    record.state = JobState::Dead;
                    record.updated_ms = now;
                    record.last_error = Some("its last attempt was cut off (lease ran out)".into());
                    return None;
                }
                record.lease = token;
                record.state = JobState::Running;
                record.attempts += 1;
                // At least 1 ms on: a claim never meets the same job twice.
                record.at_ms = now.saturating_add(ms(lease_for).max(1));
                record.updated_ms = now;
                Some(ClaimedJob {
                    job: record.job.clone(),
                    lease: record.lease,
                    attempt: record.attempts,
                })
            });
            claimed.extend(job.flatten());
        }
        StoreFuture::ready(Ok(claimed))
    }

    fn renew<'a>(
        &'a self,
        id: &'a JobId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> StoreFuture<'a, ()> {
        let now = self.now();
        let mut all = self.lock();
        let renewed = all.change(id, |r| {
            // The current token holds the job, also past its lease while nobody claimed it.
            let held = r.state == JobState::Running && r.lease == lease;
            if held {
                r.at_ms = now.saturating_add(ms(lease_for));
            }
            held
        });
        let answer = match renewed {
            Some(true) => Ok(()),
            _ => Err(lease_lost(id)),
        };
        StoreFuture::ready(answer)
    }

    fn end<'a>(&'a self, id: &'a JobId, lease: LeaseToken, end: JobEnd) -> StoreFuture<'a, ()> {
        let now = self.now();
        let mut all = self.lock();
        let ended = all.change(id, |r| {
            if !(r.state == JobState::Running && r.lease == lease) {
                return false;
            }
            r.updated_ms = now;
            match end {
                JobEnd::Done => r.state = JobState::Done,
                JobEnd::Retry { after, error } => {
                    r.state = JobState::Pending;
                    r.at_ms = now.saturating_add(ms(after));
                    r.last_error = Some(error);
                }
                JobEnd::Dead { error } => {
                    r.state = JobState::Dead;
                    r.last_error = Some(error);
                }
            }
            true
        });
        let answer = match ended {
            Some(true) => Ok(()),
            _ => Err(lease_lost(id)),
        };
        StoreFuture::ready(answer)
    }

    fn list<'a>(&'a self, query: &'a JobQuery) -> StoreFuture<'a, Vec<JobInfo>> {
        let all = self.lock();
        let mut records: Vec<&Record> = all
            .records
            .values()
            .filter(|r| query.state.is_none_or(|s| s == r.state))
            .collect();
        records.sort_unstable_by_key(|r| r.seq);
        let listed = records
            .into_iter()
            .take(query.limit)
            .map(|r| JobInfo {
                id: r.job.id,
                handler: r.job.handler.clone(),
                kind: r.job.kind.clone(),
                state: r.state,
                attempts: r.attempts,
                max_attempts: r.job.max_attempts,
                received_ms: r.job.received_ms,
                updated_ms: r.updated_ms,
                last_error: r.last_error.clone(),
                payload: query.with_payload.then(|| r.job.payload.clone()),
            })
            .collect();
        StoreFuture::ready(Ok(listed))
    }

    fn counts(&self) -> StoreFuture<'_, JobCounts> {
        let all = self.lock();
        let mut counts = JobCounts::default();
        for r in all.records.values() {
            match r.state {
                JobState::Pending => counts.pending += 1,
                JobState::Running => counts.running += 1,
                JobState::Done => counts.done += 1,
                JobState::Dead => counts.dead += 1,
            }
        }
        StoreFuture::ready(Ok(counts))
    }

    fn retry<'a>(&'a self, id: Option<&'a JobId>) -> StoreFuture<'a, u64> {
        let now = self.now();
        let mut all = self.lock();
        let dead: Vec<JobId> = all
            .records
            .iter()
            .filter(|(job_id, r)| r.state == JobState::Dead && id.is_none_or(|id| id == *job_id))
            .map(|(job_id, _)| *job_id)
            .collect();
        for job_id in &dead {
            all.change(job_id, |r| {
                r.state = JobState::Pending;
                r.attempts = 0;
                r.at_ms = now;
                r.updated_ms = now;
            });
        }
        let n = dead.len() as u64;
        StoreFuture::ready(Ok(n))
    }

    fn discard<'a>(&'a self, id: &'a JobId) -> StoreFuture<'a, bool> {
        StoreFuture::ready(Ok(self.lock().remove(id).is_some()))
    }

    fn purge(&self, state: JobState, older_than: Duration) -> StoreFuture<'_, u64> {
        let cutoff = self.now().saturating_sub(ms(older_than));
        let mut all = self.lock();
        let old: Vec<JobId> = all
            .records
            .iter()
            .filter(|(_, r)| r.state == state && r.updated_ms <= cutoff)
            .map(|(id, _)| *id)
            .collect();
        for id in &old {
            all.remove(id);
        }
        StoreFuture::ready(Ok(old.len() as u64))
    }

    fn is_durable(&self) -> bool {
        false
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn keeps_every_promise_of_a_job_store() {
        crate::testing::check_job_store(&MemoryJobs::new()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keeps_them_on_a_multi_threaded_runtime() {
        crate::testing::check_job_store(&MemoryJobs::new()).await;
    }
}
