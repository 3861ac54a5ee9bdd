//! The dispatcher's side of the delivery memory: begin a delivery (waiting while another
//! copy of the body is being delivered), keep its lease alive from a thread of its own, stop
//! it when the lease can no longer be trusted, and end it with what it achieved, also when
//! the request is dropped half-way or the store does not answer in time.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::time::Instant;

use crate::delivery::done::Done;
use crate::delivery::log::{Begin, DeliveryId, DeliveryLog, LeaseTerms, LeaseToken};
use crate::delivery::progress::Progress;
use crate::delivery::renewer::{Held, Renewing};
use crate::outcome::HandlerRun;
use crate::store_error::{StoreError, StoreErrorKind};

/// The dispatcher's delivery memory: the log, and the leases it holds now.
pub(crate) struct Memory {
    active: Arc<Active>,
    fail_open: bool,
}

/// The leases this dispatcher holds, renewed by one thread while they are held.
pub(super) struct Active {
    pub(super) log: Arc<dyn DeliveryLog>,
    pub(super) lease_for: Duration,
    pub(super) state: Mutex<ActiveState>,
}

#[derive(Default)]
pub(super) struct ActiveState {
    /// The held leases.
    pub(super) leases: Vec<Arc<Held>>,
    /// Whether the renewing thread runs (it clears this when it ends).
    pub(super) renewing: bool,
}

/// What [`Memory::start`] found.
pub(crate) enum Started<'m> {
    /// Run the handlers `Progress` does not name as done, within this delivery.
    Run(Leased<'m>, Progress),
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
    /// A memory over `log` whose leases last `lease_for`.
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
    pub(crate) fn start_now(
        &self,
        id: DeliveryId,
        keep_for: Duration,
        give_up_in: Duration,
    ) -> Option<Started<'_>> {
        let active = &*self.active;
        let terms = LeaseTerms::new(active.lease_for, keep_for, give_up_in);
        let begun = active.log.begin(&id, terms).now().ok()?;
        self.started(id, begun)
    }

    /// Begins a delivery of `id`. While another delivery holds the body, asks again (every
    /// 10 ms, then less often) until `wait_until`, so that this copy can answer with what the
    /// other achieved. A store that has not answered by `wait_until` is unavailable: a
    /// request that reaches it later takes no lease. (A question asked again and cut by
    /// `wait_until` leaves the body as last seen: busy.)
    pub(crate) async fn start(
        &self,
        id: DeliveryId,
        keep_for: Duration,
        wait_until: Instant,
    ) -> Started<'_> {
        let active = &*self.active;
        let mut pause = Duration::from_millis(10);
        let mut busy = false;
        loop {
            let log = &*active.log;
            let give_up_in = wait_until.saturating_duration_since(Instant::now());
            let terms = LeaseTerms::new(active.lease_for, keep_for, give_up_in);
            let begun = match log.begin(&id, terms).now() {
                Ok(begun) => begun,
                Err(later) => match tokio::time::timeout_at(wait_until, later).await {
                    Ok(begun) => begun,
                    Err(_) => Err(StoreError::new(
                        StoreErrorKind::TimedOut,
                        "the delivery store did not answer before the deadline",
                    )),
                },
            };
            if busy && begun.is_err() && Instant::now() >= wait_until {
                return Started::Busy;
            }
            if let Some(started) = self.started(id, begun) {
                return started;
            }
            busy = true;
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
            Ok(Begin::Run { lease, progress }) => {
                let first = progress.is_first();
                Started::Run(self.delivery(id, lease, first), progress)
            }
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

    fn delivery(&self, id: DeliveryId, lease: LeaseToken, first: bool) -> Leased<'_> {
        let held = Arc::new(Held::new(id, lease));
        self.active.hold(&held);
        Leased {
            memory: self,
            held,
            first,
            runs: Vec::new(),
            finished: false,
        }
    }
}

impl Active {
    /// Adds a lease to renew; starts the renewing thread if none runs.
    fn hold(self: &Arc<Self>, held: &Arc<Held>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.leases.push(Arc::clone(held));
        if !state.renewing {
            let renewing = Renewing(Arc::downgrade(self));
            let spawned = std::thread::Builder::new()
                .name("pwh-lease-renewer".into())
                .spawn(move || renewing.run());
            match spawned {
                Ok(_) => state.renewing = true,
                Err(error) => tracing::error!(
                    %error,
                    "could not start the thread that renews delivery leases; a delivery \
                     running past its lease stops"
                ),
            }
        }
    }

    fn release(&self, held: &Held) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = state.leases.iter().rposition(|h| std::ptr::eq(&**h, held)) {
            state.leases.swap_remove(at);
        }
    }

    /// Records `done` of a delivery whose answer could not wait for the store: in the
    /// background, every 100 ms for a few seconds (so that the record lands soon after a
    /// stall or a short outage), then less often, for about a minute in all; then gives up
    /// saying so.
    fn record_later(
        self: Arc<Self>,
        id: DeliveryId,
        lease: LeaseToken,
        runs: Vec<HandlerRun>,
        first: bool,
    ) {
        let record = async move {
            let mut pause = RECORD_PAUSE;
            for attempt in 1..=RECORD_ATTEMPTS {
                let done = Done::runs(&runs, first);
                let recorded =
                    tokio::time::timeout(Duration::from_secs(5), self.log.finish(&id, lease, done))
                        .await
                        .unwrap_or_else(|_| {
                            Err(StoreError::new(
                                StoreErrorKind::TimedOut,
                                "no answer within 5 s",
                            ))
                        });
                match recorded {
                    Ok(()) => {
                        if attempt > 1 {
                            tracing::info!(attempt, "recorded what a delivery achieved");
                        }
                        return;
                    }
                    Err(error) if attempt < RECORD_ATTEMPTS => {
                        if attempt % 5 != 1 {
                            // One line in five: an outage of a few seconds writes one or two.
                        } else {
                            tracing::warn!(
                                %error,
                                attempt,
                                retry_in_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                                "could not record what a delivery achieved yet; trying again"
                            );
                        }
                    }
                    Err(error) => {
                        tracing::error!(
                            %error,
                            attempt,
                            "gave up recording what a delivery achieved; a redelivery of the \
                             body runs its handlers again"
                        );
                        return;
                    }
                }
                tokio::time::sleep(pause).await;
                if attempt >= RECORD_STEADY_ATTEMPTS {
                    pause = (pause * 2).min(Duration::from_secs(10));
                }
            }
        };
        // An in-process log answers at once; a remote one is answered on the runtime.
        let mut record = Box::pin(record);
        if record.as_mut().now_or_never().is_none() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(record);
            } else {
                tracing::error!(
                    "no Tokio runtime to record what a delivery achieved; a redelivery of the \
                     body runs its handlers again"
                );
            }
        }
    }
}

/// How many times a delivery's record is tried in the background (over about a minute).
const RECORD_ATTEMPTS: u32 = 24;
/// The first attempts, `RECORD_PAUSE` apart.
const RECORD_STEADY_ATTEMPTS: u32 = 15;
const RECORD_PAUSE: Duration = Duration::from_millis(100);

/// A delivery holding the lease on its body. [`finish`](Self::finish) records what it
/// achieved; dropped before (the request was cancelled), it records the runs so far (the
/// dispatcher adds what did not start) and gives the lease back.
pub(crate) struct Leased<'m> {
    memory: &'m Memory,
    held: Arc<Held>,
    /// Whether it began with nothing done.
    first: bool,
    /// The handler runs so far.
    pub(crate) runs: Vec<HandlerRun>,
    finished: bool,
}

impl Leased<'_> {
    /// The lease, to watch for its loss, and the runs so far, to add to.
    pub(crate) fn parts(&mut self) -> (&Held, &mut Vec<HandlerRun>) {
        (&self.held, &mut self.runs)
    }

    /// Whether it began with nothing done.
    pub(crate) fn is_first(&self) -> bool {
        self.first
    }

    /// Ends the delivery at once, when the log answers at once (in process). Returns the
    /// runs, or the delivery to [`finish`](Self::finish) when the log must be awaited.
    pub(crate) fn finish_now(self) -> Result<Vec<HandlerRun>, Self> {
        let log = &*self.memory.active.log;
        let done = Done::runs(&self.runs, self.first);
        let Ok(finished) = log.finish(&self.held.id, self.held.lease, done).now() else {
            return Err(self);
        };
        Ok(self.finished(finished))
    }

    /// Ends the delivery, waiting for the store until `give_up_at` at the latest; past it, or
    /// when the store fails, what the delivery achieved is recorded in the background.
    /// Returns the runs.
    pub(crate) async fn finish(mut self, give_up_at: Option<Instant>) -> Vec<HandlerRun> {
        // Given back to the renewer before the store is awaited: the lease ends now.
        self.end_lease();
        let active = &self.memory.active;
        let done = Done::runs(&self.runs, self.first);
        let finish = active.log.finish(&self.held.id, self.held.lease, done);
        let finished = match give_up_at {
            Some(at) => tokio::time::timeout_at(at, finish)
                .await
                .unwrap_or_else(|_| {
                    Err(StoreError::new(
                        StoreErrorKind::TimedOut,
                        "no answer before the deadline",
                    ))
                }),
            None => finish.await,
        };
        if let Err(error) = finished {
            tracing::warn!(
                %error,
                "could not record what this delivery achieved before answering; recording \
                 it in the background"
            );
            let runs = self.runs.clone();
            Arc::clone(active).record_later(self.held.id, self.held.lease, runs, self.first);
        }
        std::mem::take(&mut self.runs)
    }

    /// Stops renewing the lease; a drop from now on records nothing more.
    fn end_lease(&mut self) {
        if !self.finished {
            self.finished = true;
            self.memory.active.release(&self.held);
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

impl Drop for Leased<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let active = Arc::clone(&self.memory.active);
        active.release(&self.held);
        let runs = std::mem::take(&mut self.runs);
        active.record_later(self.held.id, self.held.lease, runs, self.first);
    }
}
