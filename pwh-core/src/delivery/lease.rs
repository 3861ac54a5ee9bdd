//! The dispatcher's side of the redelivery memory: begin a delivery (waiting while another
//! copy of the body is being delivered), keep its lease alive, and end it with what it
//! achieved, also when the request is dropped half-way.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::time::Instant;

use crate::delivery::done::Done;
use crate::delivery::log::{Begin, DeliveryId, DeliveryLog, End, LeaseToken, StoreError};
use crate::delivery::progress::Progress;
use crate::outcome::HandlerRun;

/// The dispatcher's redelivery memory: the log, and the leases it holds now.
pub(crate) struct Memory {
    active: Arc<Active>,
    fail_open: bool,
}

/// The leases this dispatcher holds, renewed by one background task while they are held.
struct Active {
    log: Arc<dyn DeliveryLog>,
    lease_for: Duration,
    state: Mutex<ActiveState>,
}

#[derive(Default)]
struct ActiveState {
    /// The held leases.
    leases: Vec<(DeliveryId, LeaseToken)>,
    /// Whether the renewing task runs (it clears this when it ends or is dropped).
    renewing: bool,
}

/// What [`Memory::start`] found.
pub(crate) enum Started<'m> {
    /// Run the handlers `Progress` does not name, within this delivery.
    Run(Delivery<'m>, Progress),
    /// Every handler already succeeded: run nothing.
    Complete,
    /// Another delivery of the body still ran at the deadline: run nothing, answer 500.
    Busy,
    /// The store could not answer: run nothing, answer 503.
    Unavailable(StoreError),
    /// The store could not answer, and the dispatcher fails open: run every handler,
    /// remembering nothing.
    Untracked,
}

impl Memory {
    /// A memory over `log` whose leases last `lease_for` (renewed every third of it).
    pub(crate) fn new(log: Arc<dyn DeliveryLog>, lease_for: Duration, fail_open: bool) -> Self {
        Self {
            active: Arc::new(Active {
                log,
                lease_for,
                state: Mutex::default(),
            }),
            fail_open,
        }
    }

    /// Begins a delivery of `id` at once, when the log answers at once (in process) and no
    /// other delivery holds the body; `None` otherwise, for [`start`](Self::start).
    pub(crate) fn start_now(&self, id: DeliveryId, keep_for: Duration) -> Option<Started<'_>> {
        let active = &*self.active;
        let begun = active.log.begin_now(&id, active.lease_for, keep_for)?;
        self.started(id, begun)
    }

    /// Begins a delivery of `id`. While another delivery holds the body, asks again (every
    /// 10 ms, then less often) until `wait_until`, so that this copy can answer with what the
    /// other achieved.
    pub(crate) async fn start(
        &self,
        id: DeliveryId,
        keep_for: Duration,
        wait_until: Instant,
    ) -> Started<'_> {
        let active = &*self.active;
        let mut pause = Duration::from_millis(10);
        loop {
            let log = &*active.log;
            let begun = match log.begin_now(&id, active.lease_for, keep_for) {
                Some(begun) => begun,
                None => log.begin(&id, active.lease_for, keep_for).await,
            };
            if let Some(started) = self.started(id, begun) {
                return started;
            }
            if Instant::now() + pause > wait_until {
                return Started::Busy;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(80));
        }
    }

    /// What the log's answer means for the delivery; `None` while another delivery holds the
    /// body.
    fn started(&self, id: DeliveryId, begun: Result<Begin, StoreError>) -> Option<Started<'_>> {
        Some(match begun {
            Ok(Begin::Run { lease, progress }) => Started::Run(self.delivery(id, lease), progress),
            Ok(Begin::Complete) => Started::Complete,
            Ok(Begin::Busy) => return None,
            Err(error) if self.fail_open => {
                tracing::warn!(
                    %error,
                    "delivery store unavailable; running the handlers without the \
                     redelivery memory (fail-open): a retry or replay runs them again"
                );
                Started::Untracked
            }
            Err(error) => Started::Unavailable(error),
        })
    }

    fn delivery(&self, id: DeliveryId, lease: LeaseToken) -> Delivery<'_> {
        self.active.hold(id, lease);
        Delivery {
            memory: self,
            id,
            lease,
            runs: Vec::new(),
            finished: false,
        }
    }
}

impl Active {
    /// Adds a lease to renew; starts the renewing task if none runs.
    fn hold(self: &Arc<Self>, id: DeliveryId, lease: LeaseToken) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.leases.push((id, lease));
        if !state.renewing {
            // A dispatcher may outlive the runtime that started its renewer (tests): then
            // the next delivery starts another.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                state.renewing = true;
                let renewer = renew(Renewing(Arc::downgrade(self)));
                // Spawned from a blocking-pool thread, so that it lands in the runtime's
                // shared queue: spawned from this worker, it would wait in the worker's own
                // slot, which no other worker takes, as long as a handler blocks it.
                let spawner = runtime.clone();
                runtime.spawn_blocking(move || spawner.spawn(renewer));
            }
        }
    }

    fn release(&self, id: &DeliveryId, lease: LeaseToken) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let held = |(held_id, held): &(DeliveryId, LeaseToken)| *held == lease && held_id == id;
        if let Some(at) = state.leases.iter().rposition(held) {
            state.leases.swap_remove(at);
        }
    }
}

/// The renewing task's hold on the leases; marks the task ended when dropped.
struct Renewing(Weak<Active>);

impl Drop for Renewing {
    fn drop(&mut self) {
        if let Some(active) = self.0.upgrade() {
            active
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .renewing = false;
        }
    }
}

/// Renews every held lease every third of a lease, until the dispatcher is dropped.
async fn renew(renewing: Renewing) {
    loop {
        let Some(period) = renewing
            .0
            .upgrade()
            .map(|a| (a.lease_for / 3).max(Duration::from_millis(50)))
        else {
            return;
        };
        tokio::time::sleep(period).await;
        let Some(active) = renewing.0.upgrade() else {
            return;
        };
        let held: Vec<(DeliveryId, LeaseToken)> = {
            let state = active.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.leases.clone()
        };
        for (id, lease) in held {
            match (*active.log).renew(&id, lease, active.lease_for).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    "a delivery's lease ran out before it could be renewed; another delivery \
                     of the body may run its handlers"
                ),
                Err(error) => tracing::warn!(%error, "could not renew a delivery's lease"),
            }
        }
    }
}

/// A delivery holding the lease on its body. [`finish`](Self::finish) records what it
/// achieved; dropped before (the request was cancelled), it records the successes so far and
/// gives the lease back.
pub(crate) struct Delivery<'m> {
    memory: &'m Memory,
    id: DeliveryId,
    lease: LeaseToken,
    /// The handler runs so far.
    pub(crate) runs: Vec<HandlerRun>,
    finished: bool,
}

impl Delivery<'_> {
    /// Ends the delivery at once, when the log answers at once (in process): complete when
    /// `complete`, else released with what is done. Returns the runs, or the delivery to
    /// [`finish`](Self::finish) when the log must be awaited.
    pub(crate) fn finish_now(self, complete: bool) -> Result<Vec<HandlerRun>, Self> {
        let log = &*self.memory.active.log;
        let Some(finished) =
            log.finish_now(&self.id, self.lease, Done::runs(&self.runs), end(complete))
        else {
            return Err(self);
        };
        Ok(self.finished(finished))
    }

    /// Ends the delivery: complete when `complete`, else released with what is done.
    /// Returns the runs.
    pub(crate) async fn finish(mut self, complete: bool) -> Vec<HandlerRun> {
        // Given back to the renewer before the store is awaited: the lease ends now.
        self.end_lease();
        let log = &*self.memory.active.log;
        let finished = log
            .finish(&self.id, self.lease, Done::runs(&self.runs), end(complete))
            .await;
        self.finished(finished)
    }

    /// Stops renewing the lease; a drop from now on records nothing more.
    fn end_lease(&mut self) {
        if !self.finished {
            self.finished = true;
            self.memory.active.release(&self.id, self.lease);
        }
    }

    fn finished(mut self, finished: Result<(), StoreError>) -> Vec<HandlerRun> {
        self.end_lease();
        if let Err(error) = finished {
            tracing::warn!(
                %error,
                "could not record what this delivery achieved; a redelivery of the body \
                 runs its handlers again"
            );
        }
        std::mem::take(&mut self.runs)
    }
}

fn end(complete: bool) -> End {
    if complete {
        End::Complete
    } else {
        End::Release
    }
}

impl Drop for Delivery<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let active = Arc::clone(&self.memory.active);
        active.release(&self.id, self.lease);
        let (id, lease, runs) = (self.id, self.lease, std::mem::take(&mut self.runs));
        let release = async move {
            let done = Done::runs(&runs);
            if let Err(error) = (*active.log).finish(&id, lease, done, End::Release).await {
                tracing::warn!(%error, "could not record what a dropped delivery achieved");
            }
        };
        // An in-process log answers at once; a remote one is answered on the runtime.
        let mut release = Box::pin(release);
        if release.as_mut().now_or_never().is_none() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(release);
            }
        }
    }
}
