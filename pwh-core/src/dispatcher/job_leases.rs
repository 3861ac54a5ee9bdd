//! The job lease keeper: one thread per set of workers, with a runtime of its own, that
//! renews the leases of the jobs running now (so a runtime whose workers are all blocked
//! does not lose them), and says when one was taken over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use crate::delivery::{LeaseToken, StoreErrorKind};
use crate::jobs::{JobId, JobStore};

/// One running job's lease, as its run and the keeper share it.
struct JobLease {
    lost: AtomicBool,
}

impl JobLease {
    fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }
}

type Leases = Mutex<HashMap<JobId, (LeaseToken, Arc<JobLease>)>>;

/// The leases of the running jobs, renewed every third of their duration by a thread of
/// its own, which ends when the keeper is dropped.
pub(super) struct LeaseKeeper {
    leases: Arc<Leases>,
}

impl LeaseKeeper {
    /// Starts the thread renewing for `lease_for` on `store`.
    pub(super) fn start(store: Arc<dyn JobStore>, lease_for: Duration) -> std::io::Result<Self> {
        let leases: Arc<Leases> = Arc::default();
        let weak = Arc::downgrade(&leases);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("pwh-job-leases".into())
            .spawn(move || runtime.block_on(renew_while_kept(weak, store, lease_for)))?;
        Ok(Self { leases })
    }

    /// Keeps `lease` on `id` alive until the returned [`Held`] and every handle it gave out
    /// are dropped (when the run ends, panics or is cancelled, and a blocking handler it
    /// started has returned). When these workers already run `id` under an older lease (it
    /// ran out while the keeper could not renew it, and they claimed the job again), the
    /// older run is told it was taken over.
    pub(super) fn hold(self: &Arc<Self>, id: JobId, lease: LeaseToken) -> Held {
        let held = Arc::new(JobLease {
            lost: AtomicBool::new(false),
        });
        if let Some((_, older)) = self.lock().insert(id, (lease, held.clone())) {
            older.lost.store(true, Ordering::Release);
        }
        let release = Arc::new(Release {
            keeper: Arc::clone(self),
            id,
            lease,
        });
        Held {
            lease: held,
            release,
        }
    }

    /// Stops renewing `lease` on `id` (not a newer lease on it that these workers hold).
    fn release(&self, id: &JobId, lease: LeaseToken) {
        let mut leases = self.lock();
        if leases.get(id).is_some_and(|(held, _)| *held == lease) {
            leases.remove(id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, (LeaseToken, Arc<JobLease>)>> {
        self.leases.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running job's lease, renewed by the keeper while this or a handle from
/// [`keep`](Self::keep) lives.
pub(super) struct Held {
    lease: Arc<JobLease>,
    release: Arc<Release>,
}

impl Held {
    /// Whether another worker took the job over (its lease ran out while this one ran).
    pub(super) fn is_lost(&self) -> bool {
        self.lease.is_lost()
    }

    /// A handle keeping the lease renewed, for what may outlive the run's task: a blocking
    /// handler's thread, which nothing can stop.
    pub(super) fn keep(&self) -> Arc<Release> {
        Arc::clone(&self.release)
    }
}

/// Stops renewing a held lease when dropped.
pub(super) struct Release {
    keeper: Arc<LeaseKeeper>,
    id: JobId,
    lease: LeaseToken,
}

impl Drop for Release {
    fn drop(&mut self) {
        self.keeper.release(&self.id, self.lease);
    }
}

async fn renew_while_kept(leases: Weak<Leases>, store: Arc<dyn JobStore>, lease_for: Duration) {
    let period = (lease_for / 3).max(Duration::from_millis(10));
    let mut rounds = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        let Some(leases) = leases.upgrade() else {
            return;
        };
        let held: Vec<(JobId, LeaseToken, Arc<JobLease>)> = leases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, (lease, held))| (*id, *lease, held.clone()))
            .collect();
        drop(leases);
        // Every renewal of the round at once, each bounded by the period and in a task of its
        // own: a renewal that is slow, never answers or panics (a store's bug) costs that
        // renewal, not the other jobs' (a lease lasts three periods: it is tried again
        // before it runs out). A store must not block the thread in `renew`: that would
        // hold up the round, as it would any runtime.
        let renewals: Vec<_> = held
            .into_iter()
            .map(|(id, lease, held)| {
                let store = Arc::clone(&store);
                let renewal = tokio::spawn(async move {
                    tokio::time::timeout(period, store.renew(&id, lease, lease_for)).await
                });
                (id, held, renewal)
            })
            .collect();
        for (id, held, renewal) in renewals {
            match renewal.await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(error))) if error.kind() == StoreErrorKind::LeaseLost => {
                    held.lost.store(true, Ordering::Release);
                }
                // The store may come back before the lease runs out; if not, the claim by
                // another worker shows as a lost lease at the next renewal.
                Ok(Ok(Err(error))) => {
                    tracing::warn!(job = %id, %error, "could not renew a job's lease");
                }
                Ok(Err(_)) => tracing::warn!(
                    job = %id,
                    waited = ?period,
                    "the job store did not renew a job's lease in time; trying again"
                ),
                Err(failed) => tracing::error!(
                    job = %id,
                    error = %failed,
                    "renewing a job's lease panicked in the job store (a bug of the store): \
                     the job may be taken over when its lease runs out"
                ),
            }
        }
    }
}
