//! The in-process [`DeliveryLog`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::delivery::done::Done;
use crate::delivery::log::{
    Begin, DeliveryId, DeliveryLog, LeaseTerms, LeaseToken, StoreError, StoreErrorKind,
};
use crate::delivery::progress::Progress;
use crate::delivery::ring::{Entry, Ring, ENTRY_BYTES};

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

#[async_trait::async_trait]
impl DeliveryLog for MemoryLog {
    async fn begin(&self, id: &DeliveryId, terms: LeaseTerms) -> Result<Begin, StoreError> {
        self.begin_sync(id, terms)
    }

    async fn renew(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> Result<bool, StoreError> {
        Ok(self.renew_sync(id, lease, terms))
    }

    async fn finish(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
    ) -> Result<(), StoreError> {
        self.finish_sync(id, lease, done);
        Ok(())
    }

    fn begin_now(&self, id: &DeliveryId, terms: LeaseTerms) -> Option<Result<Begin, StoreError>> {
        Some(self.begin_sync(id, terms))
    }

    fn finish_now(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
    ) -> Option<Result<(), StoreError>> {
        self.finish_sync(id, lease, done);
        Some(Ok(()))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn id(n: u32) -> DeliveryId {
        let mut bytes = [0; 16];
        bytes[..4].copy_from_slice(&n.to_le_bytes());
        DeliveryId(bytes)
    }

    const LEASE: Duration = Duration::from_secs(5);
    const KEEP: Duration = Duration::from_secs(600);

    fn terms() -> LeaseTerms {
        LeaseTerms::new(LEASE, KEEP, Duration::from_secs(1))
    }

    fn try_begin(log: &MemoryLog, n: u32) -> Result<Begin, StoreError> {
        log.begin(&id(n), terms()).now_or_never().unwrap()
    }

    fn begin(log: &MemoryLog, n: u32) -> Begin {
        try_begin(log, n).unwrap()
    }

    fn lease(begin: Begin) -> LeaseToken {
        match begin {
            Begin::Run { lease, .. } => lease,
            other => panic!("expected a lease, got {other:?}"),
        }
    }

    fn finish(log: &MemoryLog, n: u32, lease: LeaseToken, done: Done<'_>) {
        log.finish(&id(n), lease, done)
            .now_or_never()
            .unwrap()
            .unwrap();
    }

    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn keeps_every_promise_of_a_delivery_log() {
        crate::testing::check_delivery_log(&MemoryLog::with_room_for(100)).await;
    }

    #[test]
    fn a_body_costs_what_the_docs_say() {
        // The docs' figures: 64 MiB hold about 500,000 bodies.
        assert!(
            MemoryLog::BYTES_PER_BODY <= 128,
            "{}",
            MemoryLog::BYTES_PER_BODY
        );
        assert!(MemoryLog::DEFAULT_BYTES / MemoryLog::BYTES_PER_BODY >= 500_000);
    }

    #[test]
    fn stays_within_its_bytes_forgetting_the_oldest_complete_bodies() {
        let log = MemoryLog::with_room_for(1_000);
        for n in 0..50_000 {
            let lease = lease(begin(&log, n));
            finish(&log, n, lease, Done::first(&[]));
            assert!(log.len() <= 1_000);
            assert!(log.bytes() <= 1_000 * MemoryLog::BYTES_PER_BODY);
        }
        assert_eq!(log.len(), 1_000);
        assert!(log.lock().index.len() <= 1_000);
        assert_eq!(begin(&log, 49_999), Begin::Complete);
        assert!(matches!(begin(&log, 0), Begin::Run { .. }));
    }

    #[test]
    fn a_body_being_delivered_is_never_evicted() {
        let log = MemoryLog::with_room_for(1);
        let first = lease(begin(&log, 1));
        let full = try_begin(&log, 2);
        assert_eq!(
            full.map_err(|e| e.kind()),
            Err(StoreErrorKind::Full),
            "no room: refused, not evicting the delivery in progress"
        );
        assert_eq!(begin(&log, 1), Begin::Busy, "still leased");
        finish(&log, 1, first, Done::first(&[]));
        let second = lease(begin(&log, 2));
        finish(&log, 2, second, Done::first(&[]));
        assert!(matches!(begin(&log, 1), Begin::Run { .. }), "forgotten now");
    }

    #[test]
    fn a_partly_done_body_is_never_evicted_before_its_time() {
        // Room for three bodies with nothing left, and some for what one leaves to do.
        let log = MemoryLog::with_bytes(3 * MemoryLog::BYTES_PER_BODY + 1_000);
        let partial = lease(begin(&log, 1));
        finish(&log, 1, partial, Done::first(&[(0, "app::notify")]));
        for n in 2..200 {
            match try_begin(&log, n) {
                Ok(begun) => finish(&log, n, lease(begun), Done::first(&[])),
                Err(e) => panic!("body {n}: {e}"),
            }
        }
        // Complete bodies came and went; the partly done one is still remembered.
        match begin(&log, 1) {
            Begin::Run { lease, progress } => {
                assert!(!progress.is_done(0, "app::notify"));
                assert!(progress.is_done(1, "app::notify"));
                finish(&log, 1, lease, Done::retry(&[(0, "app::notify")]));
            }
            other => panic!("forgot a partly done body: {other:?}"),
        }
        assert_eq!(begin(&log, 1), Begin::Complete);
    }

    #[test]
    fn when_only_leased_or_partly_done_bodies_are_left_a_new_one_is_refused() {
        let partly_done = |log: &MemoryLog| {
            let a = lease(begin(log, 1));
            finish(log, 1, a, Done::first(&[(0, "h")]));
        };
        let probe = MemoryLog::default();
        partly_done(&probe);
        // Room for the partly done body, one more, and not quite a third.
        let log = MemoryLog::with_bytes(probe.bytes() + 2 * MemoryLog::BYTES_PER_BODY - 1);
        partly_done(&log);
        let _b = lease(begin(&log, 2));
        assert_eq!(
            try_begin(&log, 3).map_err(|e| e.kind()),
            Err(StoreErrorKind::Full)
        );
        assert_eq!(log.len(), 2);
    }

    #[test]
    fn leased_entries_are_passed_over_not_evicted() {
        let log = MemoryLog::with_room_for(3);
        let a = lease(begin(&log, 1));
        let b = lease(begin(&log, 2));
        finish(&log, 2, b, Done::first(&[]));
        let _c = lease(begin(&log, 3));
        let _d = lease(begin(&log, 4)); // evicts 2, the oldest complete one
        assert_eq!(begin(&log, 1), Begin::Busy);
        assert_eq!(begin(&log, 3), Begin::Busy);
        finish(&log, 1, a, Done::first(&[]));
        assert_eq!(begin(&log, 1), Begin::Complete);
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn an_id_sharing_the_first_8_bytes_of_a_remembered_one_runs_unremembered() {
        let log = MemoryLog::with_room_for(10);
        let first = id(7);
        let mut twin = first;
        twin.0[15] ^= 1;
        let lease_first = lease(begin(&log, 7));
        finish(&log, 7, lease_first, Done::first(&[]));
        for _ in 0..2 {
            let got = log.begin(&twin, terms()).now_or_never().unwrap();
            assert!(matches!(got, Ok(Begin::Run { .. })));
        }
        assert_eq!(begin(&log, 7), Begin::Complete);
        assert_eq!(log.len(), 1);
    }
}
