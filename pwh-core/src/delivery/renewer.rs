//! The lease renewer: one thread per dispatcher, with a runtime and a store handle of its
//! own, that keeps the held leases alive and says when one can no longer be trusted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;

use crate::delivery::lease::Active;
use crate::delivery::log::{DeliveryId, DeliveryLog, LeaseTerms, LeaseToken};

/// One held lease, as the renewer and the delivery share it.
pub(crate) struct Held {
    pub(super) id: DeliveryId,
    pub(super) lease: LeaseToken,
    /// When the last request that the store confirmed was sent (the lease runs from then at
    /// the latest), by the renewer's clock.
    confirmed: Mutex<std::time::Instant>,
    /// When the last renewal was sent, by the renewer's clock.
    sent: Mutex<std::time::Instant>,
    /// Whether a renewal is on its way.
    renewing: AtomicBool,
    /// Set by the renewer once the lease went unconfirmed for too long.
    lost: AtomicBool,
    waker: AtomicWaker,
}

impl Held {
    /// The lease `lease` on `id`, confirmed now.
    pub(super) fn new(id: DeliveryId, lease: LeaseToken) -> Self {
        let now = std::time::Instant::now();
        Self {
            id,
            lease,
            confirmed: Mutex::new(now),
            sent: Mutex::new(now),
            renewing: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }

    /// Whether the lease went unconfirmed for too long: the delivery must stop.
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// Ready once the lease is lost.
    pub(crate) fn poll_lost(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_lost() {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        if self.is_lost() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn lose(&self) {
        self.lost.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// The renewing thread's hold on the leases; marks the thread ended when dropped.
pub(super) struct Renewing(pub(super) Weak<Active>);

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

impl Renewing {
    /// The renewing thread: its own runtime and store handle, so that neither handlers
    /// blocking the app's runtime nor a connection driven by it can starve a renewal.
    pub(super) fn run(self) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(%error, "could not start the runtime that renews delivery leases");
                return;
            }
        };
        runtime.block_on(self.renew());
    }

    /// Renews every held lease each quarter of a lease, each renewal on its own (a slow
    /// store delays none of the others), and checks the leases often while there are some: one not confirmed for
    /// three quarters of its duration is lost (its delivery stops its handlers), so that it
    /// stops before the store lets another delivery take it. Ends with the dispatcher.
    async fn renew(&self) {
        let Some((log, lease_for)) = self.0.upgrade().map(|active| {
            let handle: Arc<dyn DeliveryLog> = match active.log.renewal_handle() {
                Some(handle) => Arc::from(handle),
                None => Arc::clone(&active.log),
            };
            (handle, active.lease_for)
        }) else {
            return;
        };
        let period = (lease_for / 4).max(Duration::from_millis(20));
        let trusted_for = lease_for - lease_for / 4;
        // Often while leases are held (to stop a delivery soon after its lease can no longer
        // be trusted); once a period while none is (a new lease needs its first renewal only
        // a period after it was taken, and is trusted for three).
        let tick = (lease_for / 20).clamp(Duration::from_millis(5), Duration::from_millis(100));
        let mut idle = false;
        loop {
            tokio::time::sleep(if idle { period } else { tick }).await;
            let Some(active) = self.0.upgrade() else {
                return;
            };
            let held: Vec<Arc<Held>> = active
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .leases
                .clone();
            idle = held.is_empty();
            drop(active);
            let now = std::time::Instant::now();
            for held in held {
                let confirmed = *held
                    .confirmed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if now.duration_since(confirmed) >= trusted_for {
                    lost(&held, "its store did not confirm it in time");
                }
                // A lost lease is still renewed while its delivery stops, as long as the store
                // may still hold it: a handler that cannot be stopped (a blocking `fn`) then
                // keeps other copies out.
                let give_up_in = (confirmed + lease_for).saturating_duration_since(now);
                let sent = *held.sent.lock().unwrap_or_else(PoisonError::into_inner);
                if give_up_in.is_zero()
                    || now.duration_since(sent) < period
                    || held.renewing.swap(true, Ordering::AcqRel)
                {
                    continue;
                }
                *held.sent.lock().unwrap_or_else(PoisonError::into_inner) = now;
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let terms = LeaseTerms::new(lease_for, Duration::ZERO, give_up_in);
                    let renewed =
                        tokio::time::timeout(give_up_in, log.renew(&held.id, held.lease, terms))
                            .await;
                    match renewed {
                        Ok(Ok(true)) => {
                            *held
                                .confirmed
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner) = now;
                        }
                        Ok(Ok(false)) => lost(&held, "another delivery of the body holds it now"),
                        Ok(Err(error)) => {
                            tracing::warn!(%error, "could not renew a delivery's lease; trying again");
                        }
                        Err(_) => {
                            tracing::warn!("the store did not answer a lease renewal in time");
                        }
                    }
                    held.renewing.store(false, Ordering::Release);
                });
            }
        }
    }
}

fn lost(held: &Held, why: &str) {
    if !held.is_lost() {
        tracing::warn!(
            reason = why,
            "a delivery's lease could not be kept; stopping its handlers (answer 503) so \
             that no other delivery of the body runs them at the same time"
        );
        held.lose();
    }
}
