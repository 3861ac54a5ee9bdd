//! Workers: run deferred handlers' jobs in the background of the process.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::job_leases::LeaseKeeper;
use super::job_run::run_job;
use super::{Dispatcher, HandlerRef};
use crate::jobs::{JobPolicy, JobState, JobStore};

/// Runs deferred handlers' jobs in the background: claims due jobs from the dispatcher's job
/// store (any instance sharing the store may run any job), runs each with its handler (at
/// most [`concurrency`](Self::concurrency) at once), renews their leases from a thread of
/// its own, retries failures after their backoff, and purges done and dead jobs after
/// their retention. Start them where the app starts; an instance that should only serve
/// webhooks does not, one that should only run jobs starts them and mounts no route.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use pwh_core::{on_event, Dispatcher, KeyRing, Token};
///
/// #[on_event("member_added", deferred)]
/// async fn welcome(user_id: &str) {}
///
/// let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("k", "s")])).build();
/// let workers = dispatcher.workers().concurrency(32).start();
/// // ... serve webhooks; at shutdown:
/// workers.shutdown(Duration::from_secs(10)).await;
/// # }
/// ```
#[must_use = "workers run nothing until started"]
#[derive(Debug, Clone)]
pub struct Workers {
    dispatcher: Dispatcher,
    concurrency: usize,
    lease_for: Duration,
    poll: Duration,
    keep_done: Duration,
    keep_dead: Duration,
}

impl Dispatcher {
    /// Workers for this dispatcher's deferred handlers, with the defaults: 16 jobs at once,
    /// 30 s leases, a look for due jobs every 250 ms when idle, done jobs kept a day and
    /// dead ones a week.
    pub fn workers(&self) -> Workers {
        Workers {
            dispatcher: self.clone(),
            concurrency: 16,
            lease_for: Duration::from_secs(30),
            poll: Duration::from_millis(250),
            keep_done: Duration::from_secs(24 * 3600),
            keep_dead: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl Workers {
    /// At most `n` jobs at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// How long a job's lease lasts unless renewed (renewed every third of it while the job
    /// runs): a killed worker's jobs are taken back within about this long.
    pub fn lease(mut self, lease_for: Duration) -> Self {
        self.lease_for = lease_for.max(Duration::from_millis(30));
        self
    }

    /// How often to look for due jobs when none was found.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// How long done and dead jobs are kept before they are purged.
    pub fn retention(mut self, done: Duration, dead: Duration) -> Self {
        self.keep_done = done;
        self.keep_dead = dead;
        self
    }

    /// Starts the workers on the current Tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, or when the lease thread cannot be started.
    pub fn start(self) -> RunningWorkers {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        RunningWorkers { stop, task }
    }

    /// Runs the jobs due now, all of them, then returns how many ran: for tests (the test
    /// harness's `run_due_jobs`) and one-off runs.
    pub async fn run_due(&self) -> usize {
        let Some(setup) = self.setup() else { return 0 };
        let names: Vec<&str> = setup.handlers.keys().map(String::as_str).collect();
        let mut ran = 0;
        loop {
            let claimed = match setup
                .store
                .claim(&names, self.concurrency, self.lease_for)
                .await
            {
                Ok(claimed) if !claimed.is_empty() => claimed,
                _ => return ran,
            };
            let mut running = JoinSet::new();
            for job in claimed {
                if let Some(task) = self.task(&setup, job) {
                    running.spawn(task);
                    ran += 1;
                }
            }
            while running.join_next().await.is_some() {}
        }
    }

    fn setup(&self) -> Option<Setup> {
        let inner = &self.dispatcher.inner;
        let store = inner.jobs.clone()?;
        let handlers: HashMap<String, (HandlerRef, JobPolicy)> = inner
            .handlers
            .iter()
            .filter_map(|slot| {
                let job = slot.job.as_ref()?;
                Some((job.name.clone(), (slot.handler.clone(), job.policy)))
            })
            .collect();
        if handlers.is_empty() {
            return None;
        }
        let keeper = match LeaseKeeper::start(store.clone(), self.lease_for) {
            Ok(keeper) => Arc::new(keeper),
            Err(error) => {
                tracing::error!(%error, "could not start the job lease thread; no job runs");
                return None;
            }
        };
        Some(Setup {
            store,
            handlers,
            keeper,
        })
    }

    /// The task running one claimed job.
    fn task(
        &self,
        setup: &Setup,
        job: crate::jobs::ClaimedJob,
    ) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let (handler, policy) = setup.handlers.get(&job.job.handler)?.clone();
        let held = setup.keeper.hold(job.job.id, job.lease);
        let inner = self.dispatcher.inner.clone();
        Some(run_job(inner, handler, policy, job, held))
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let Some(setup) = self.setup() else {
            tracing::debug!("no deferred handler: the job workers stay idle");
            return;
        };
        tracing::info!(
            handlers = setup.handlers.len(),
            concurrency = self.concurrency,
            lease = ?self.lease_for,
            "Pusher webhook job workers started"
        );
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut running = JoinSet::new();
        let mut next_purge = tokio::time::Instant::now();
        let mut next_count = next_purge;
        let names: Vec<&str> = setup.handlers.keys().map(String::as_str).collect();
        while !*stopped.borrow() {
            while running.try_join_next().is_some() {}
            let now = tokio::time::Instant::now();
            if now >= next_purge {
                next_purge = now + Duration::from_secs(60);
                purge(&*setup.store, self.keep_done, self.keep_dead).await;
            }
            if now >= next_count {
                next_count = now + Duration::from_secs(5);
                if let Ok(counts) = setup.store.counts().await {
                    crate::observe::job_counts(&counts);
                }
            }
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match setup.store.claim(&names, free, self.lease_for).await {
                    Ok(claimed) => claimed,
                    Err(error) => {
                        tracing::warn!(%error, "could not claim jobs; trying again");
                        Vec::new()
                    }
                }
            };
            let full = free > 0 && claimed.len() == free;
            for job in claimed {
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    break;
                };
                if let Some(task) = self.task(&setup, job) {
                    running.spawn(async move {
                        task.await;
                        drop(permit);
                    });
                }
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = stopped.changed() => {}
                () = tokio::time::sleep(self.poll) => {}
                Some(_) = running.join_next(), if free == 0 => {}
            }
        }
        // Stopping: the running jobs end within the grace the handle gives, or are dropped
        // with it (their leases run out and another start takes them back).
        while running.join_next().await.is_some() {}
    }
}

/// The workers' shared parts.
struct Setup {
    store: Arc<dyn JobStore>,
    handlers: HashMap<String, (HandlerRef, JobPolicy)>,
    keeper: Arc<LeaseKeeper>,
}

async fn purge(store: &dyn JobStore, keep_done: Duration, keep_dead: Duration) {
    for (state, keep) in [(JobState::Done, keep_done), (JobState::Dead, keep_dead)] {
        match store.purge(state, keep).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, %state, "old jobs purged"),
            Err(error) => tracing::warn!(%error, "could not purge old jobs"),
        }
    }
}

/// Workers running in the background; [`shutdown`](Self::shutdown) stops them.
#[derive(Debug)]
pub struct RunningWorkers {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningWorkers {
    /// Stops taking jobs, gives the running ones `grace` to end, then drops those still
    /// running (their leases run out and the next start, or another instance, runs them
    /// again).
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            self.task.abort();
            tracing::warn!(
                ?grace,
                "job workers stopped with jobs still running; they run again later"
            );
        } else {
            tracing::info!("Pusher webhook job workers stopped");
        }
    }
}
