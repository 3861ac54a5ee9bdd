//! The in-process [`DeliveryLog`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::delivery::done::Done;
use crate::delivery::log::{Begin, DeliveryId, DeliveryLog, LeaseTerms, LeaseToken};
use crate::delivery::progress::Progress;
use crate::delivery::ring::{Entry, Ring, ENTRY_BYTES};
use crate::delivery::store_future::StoreFuture;
use crate::store_error::{StoreError, StoreErrorKind};

/// The in-memory [`DeliveryLog`], for one instance: bounded in bytes, forgetting only what it
/// can afford to.
///
/// Entries live in a ring in the order they were first delivered, found through an index from
/// the first 8 bytes of their id. A remembered body costs [`MemoryLog::BYTES_PER_BODY`] bytes
/// (its id, times, lease and place in the index), plus the handler names and event bits of
/// what a partly failed delivery left to do (the ring's and the index's spare capacity, up to
/// as much again, is not counted). The default budget, 64 MiB, holds about 500,000 bodies: at
/// the default max age of 10 minutes, the webhooks of about 800 requests a second.
///
/// Bodies are forgotten when their max age has passed (the dispatcher refuses them as stale by
/// then). When the budget is reached sooner, the oldest **complete** bodies are forgotten
/// first (a replay of one then runs its handlers again), with a `warn` line at most every 10
/// seconds saying how far back replays are now recognised (and, with the `metrics` feature,
/// the gauge `pwh_delivery_memory_window_seconds`). A body under lease or partly done is never
/// forgotten before its time (a retry is expected); when only such bodies are left, a new body
/// is refused with a [`StoreError`] of kind [`Full`](StoreErrorKind::Full) (503: Pusher
/// retries).
///
/// The memory is the process's: it is gone on restart. Time is read from Tokio's clock (paused
/// time in tests pauses the log too). Two ids whose first 8 bytes are equal, one chance in
/// 2^64 for two distinct bodies, are not both remembered: the later one runs as if new, every
/// time.
#[derive(Debug)]
pub struct MemoryLog {
    budget: usize,
    epoch: Instant,
    next_lease: AtomicU64,
    inner: Mutex<Ring>,
    /// When the last `warn` about forgetting complete bodies early was written (ms since the
    /// epoch, plus one; 0: never).
    warned_ms: AtomicU64,
}

// The docs' figures: 64 MiB hold about 500,000 bodies.
const _: () = assert!(ENTRY_BYTES <= 128 && MemoryLog::DEFAULT_BYTES / ENTRY_BYTES >= 500_000);

impl MemoryLog {
    /// The default budget: 64 MiB.
    pub const DEFAULT_BYTES: usize = 64 << 20;
    /// What one remembered body costs, besides what a partly failed delivery left to do.
    pub const BYTES_PER_BODY: usize = ENTRY_BYTES;

    /// A log remembering bodies within `bytes` (at least one body).
    pub fn with_bytes(bytes: usize) -> Self {
        Self {
            budget: bytes.max(ENTRY_BYTES),
            epoch: Instant::now(),
            next_lease: AtomicU64::new(1),
            inner: Mutex::default(),
            warned_ms: AtomicU64::new(0),
        }
    }

    /// A log with room for `bodies` bodies that leave nothing to do (a test's or a
    /// benchmark's size).
    pub fn with_room_for(bodies: usize) -> Self {
        Self::with_bytes(bodies.max(1).saturating_mul(ENTRY_BYTES))
    }

    /// How many bodies are remembered now.
    pub fn len(&self) -> usize {
        self.lock().ring.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the remembered bodies account for now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // The log stays consistent even if a holder panicked: every update is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    fn begin_sync(&self, id: &DeliveryId, terms: LeaseTerms) -> Result<Begin, StoreError> {
        if terms.given_up() {
            return Err(StoreError::new(
                StoreErrorKind::TimedOut,
                "the lease request arrived after its caller gave up",
            ));
        }
        let now_ms = self.now_ms();
        let lease_until = now_ms.saturating_add(millis(terms.lease_for));
        let mut inner = self.lock();
        let found = inner.update(id, |entry| {
            // The lease first: an expired entry being delivered is still being delivered.
            if entry.leased_at(now_ms) {
                return Begin::Busy;
            }
            if entry.expires_ms <= now_ms {
                // Remembered once, but expired: start over in place.
                entry.progress = Progress::default();
                entry.since_ms = now_ms;
                entry.expires_ms = now_ms.saturating_add(millis(terms.keep_for));
            }
            if entry.progress.is_complete() {
                return Begin::Complete;
            }
            let lease = self.lease();
            entry.lease = Some((lease, lease_until));
            Begin::Run {
                lease,
                progress: entry.progress.clone(),
            }
        });
        if let Some(begun) = found {
            return Ok(begun);
        }
        let room = inner.make_room(self.budget, now_ms);
        if let Some(age_ms) = room.forgot_early_ms {
            self.forgot_early(age_ms, now_ms);
        }
        if !room.made {
            return Err(StoreError::new(
                StoreErrorKind::Full,
                format_args!(
                    "all {} remembered bodies are being delivered or partly done",
                    inner.ring.len()
                ),
            ));
        }
        let lease = self.lease();
        let remembered = inner.push_back(Entry {
            id: *id,
            since_ms: now_ms,
            expires_ms: now_ms.saturating_add(millis(terms.keep_for)),
            lease: Some((lease, lease_until)),
            progress: Progress::default(),
        });
        // Another id with the same first 8 bytes is remembered: run without memory.
        let _ = remembered;
        Ok(Begin::Run {
            lease,
            progress: Progress::default(),
        })
    }

    /// Says that complete bodies `age_ms` old are being forgotten before their max age: at
    /// most one line every 10 seconds.
    fn forgot_early(&self, age_ms: u64, now_ms: u64) {
        #[cfg(feature = "metrics")]
        metrics::gauge!("pwh_delivery_memory_window_seconds").set(age_ms as f64 / 1000.0);
        let last = self.warned_ms.load(Ordering::Relaxed);
        if last != 0 && now_ms.saturating_sub(last - 1) < 10_000 {
            return;
        }
        if self
            .warned_ms
            .compare_exchange(last, now_ms + 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            tracing::warn!(
                window_s = age_ms / 1000,
                budget_bytes = self.budget,
                "the delivery memory is full: complete bodies are forgotten before their max \
                 age, so a replay older than the window runs its handlers again; give \
                 MemoryLog more bytes"
            );
        }
    }

    fn renew_sync(&self, id: &DeliveryId, lease: LeaseToken, terms: LeaseTerms) -> bool {
        if terms.given_up() {
            return false;
        }
        let now_ms = self.now_ms();
        let until = now_ms.saturating_add(millis(terms.lease_for));
        let mut inner = self.lock();
        inner
            .update(id, |entry| {
                let held = entry.holds(lease, now_ms);
                if held {
                    entry.lease = Some((lease, until));
                }
                held
            })
            .unwrap_or(false)
    }

    fn finish_sync(&self, id: &DeliveryId, lease: LeaseToken, done: Done<'_>) {
        let now_ms = self.now_ms();
        let mut inner = self.lock();
        inner.update(id, |entry| {
            if entry.holds(lease, now_ms) {
                entry.lease = None;
            }
            if entry.expires_ms > now_ms && !entry.progress.is_complete() {
                entry.progress.record(done);
                if entry.progress.is_complete() {
                    // Nothing left: no need to keep the handler names.
                    entry.progress = Progress::left([]);
                }
            }
        });
    }

    fn lease(&self) -> LeaseToken {
        LeaseToken(self.next_lease.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::with_bytes(Self::DEFAULT_BYTES)
    }
}

/// Answers at once: no allocation, no future to poll.
impl DeliveryLog for MemoryLog {
    fn begin<'a>(&'a self, id: &'a DeliveryId, terms: LeaseTerms) -> StoreFuture<'a, Begin> {
        StoreFuture::ready(self.begin_sync(id, terms))
    }

    fn renew<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> StoreFuture<'a, bool> {
        StoreFuture::ready(Ok(self.renew_sync(id, lease, terms)))
    }

    fn finish<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        done: Done<'a>,
    ) -> StoreFuture<'a, ()> {
        self.finish_sync(id, lease, done);
        StoreFuture::ready(Ok(()))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
