//! The in-process [`DeliveryLog`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::delivery::done::Done;
use crate::delivery::log::{
    Begin, DeliveryId, DeliveryLog, End, LeaseToken, StoreError, StoreErrorKind,
};
use crate::delivery::progress::Progress;
use crate::delivery::ring::{Entry, Ring};

/// The in-memory [`DeliveryLog`], for one instance: bounded in entries, never evicting a body
/// that is being delivered.
///
/// Entries live in a ring in the order they were first delivered, found through an index from
/// the first 8 bytes of their id: a new delivery touches one random place in the index, the
/// rest in order. Each remembered body costs about 150 bytes (in the ring: its 32-byte id,
/// expiry, lease and an empty progress set; 16 bytes in the index, plus the index's slack),
/// plus the handler names and event bits of a partly failed delivery: the default capacity,
/// 100,000 bodies, stays under about 16 MiB. When full, the oldest body not being delivered is
/// forgotten; when every remembered body is being delivered, a new one is refused with a
/// [`StoreError`] of kind [`Full`](StoreErrorKind::Full) (503: Pusher retries). Bodies also
/// expire `keep_for` after their first delivery.
///
/// Time is read from Tokio's clock (paused time in tests pauses the log too). Two ids whose
/// first 8 bytes are equal, one chance in 2^64 for two distinct bodies, are not both
/// remembered: the later one runs as if new, every time.
#[derive(Debug)]
pub struct MemoryLog {
    capacity: usize,
    epoch: Instant,
    next_lease: AtomicU64,
    inner: Mutex<Ring>,
}

impl MemoryLog {
    /// The default capacity: 100,000 bodies.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A log remembering at most `capacity` bodies (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            epoch: Instant::now(),
            next_lease: AtomicU64::new(1),
            inner: Mutex::default(),
        }
    }

    /// How many bodies are remembered now.
    pub fn len(&self) -> usize {
        self.lock().ring.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // The log stays consistent even if a holder panicked: every update is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    fn begin_sync(
        &self,
        id: &DeliveryId,
        lease_for: Duration,
        keep_for: Duration,
    ) -> Result<Begin, StoreError> {
        let now_ms = self.now_ms();
        let lease_until = now_ms.saturating_add(millis(lease_for));
        let mut inner = self.lock();
        if let Some(entry) = inner.get_mut(id) {
            // The lease first: an expired entry being delivered is still being delivered.
            if entry.leased_at(now_ms) {
                return Ok(Begin::Busy);
            }
            if entry.expires_ms <= now_ms {
                // Remembered once, but expired: start over in place.
                entry.complete = false;
                entry.progress = Progress::default();
                entry.expires_ms = now_ms.saturating_add(millis(keep_for));
            }
            if entry.complete {
                return Ok(Begin::Complete);
            }
            let lease = self.lease();
            entry.lease = Some((lease, lease_until));
            return Ok(Begin::Run {
                lease,
                progress: entry.progress.clone(),
            });
        }
        if !inner.make_room(self.capacity, now_ms) {
            return Err(StoreError::new(
                StoreErrorKind::Full,
                format_args!(
                    "all {} remembered bodies are being delivered right now",
                    self.capacity
                ),
            ));
        }
        let lease = self.lease();
        let remembered = inner.push_back(Entry {
            id: *id,
            expires_ms: now_ms.saturating_add(millis(keep_for)),
            lease: Some((lease, lease_until)),
            complete: false,
            progress: Progress::default(),
        });
        // Another id with the same first 8 bytes is remembered: run without memory.
        let _ = remembered;
        Ok(Begin::Run {
            lease,
            progress: Progress::default(),
        })
    }

    fn finish_sync(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
        end: End,
    ) -> Result<(), StoreError> {
        let now_ms = self.now_ms();
        let mut inner = self.lock();
        if let Some(entry) = inner.get_mut(id) {
            if entry.holds(lease, now_ms) {
                entry.lease = None;
                if end == End::Complete {
                    // Complete supersedes the pairs: no need to remember them.
                    entry.complete = true;
                    entry.progress = Progress::default();
                    return Ok(());
                }
            }
            entry.progress.extend(done);
        }
        Ok(())
    }

    fn lease(&self) -> LeaseToken {
        LeaseToken(self.next_lease.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

#[async_trait::async_trait]
impl DeliveryLog for MemoryLog {
    async fn begin(
        &self,
        id: &DeliveryId,
        lease_for: Duration,
        keep_for: Duration,
    ) -> Result<Begin, StoreError> {
        self.begin_sync(id, lease_for, keep_for)
    }

    async fn renew(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> Result<bool, StoreError> {
        let now_ms = self.now_ms();
        let until = now_ms.saturating_add(millis(lease_for));
        let mut inner = self.lock();
        Ok(match inner.get_mut(id) {
            Some(entry) if entry.holds(lease, now_ms) => {
                entry.lease = Some((lease, until));
                true
            }
            _ => false,
        })
    }

    async fn finish(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
        end: End,
    ) -> Result<(), StoreError> {
        self.finish_sync(id, lease, done, end)
    }

    fn begin_now(
        &self,
        id: &DeliveryId,
        lease_for: Duration,
        keep_for: Duration,
    ) -> Option<Result<Begin, StoreError>> {
        Some(self.begin_sync(id, lease_for, keep_for))
    }

    fn finish_now(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
        end: End,
    ) -> Option<Result<(), StoreError>> {
        Some(self.finish_sync(id, lease, done, end))
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
        let mut bytes = [0; 32];
        bytes[..4].copy_from_slice(&n.to_le_bytes());
        DeliveryId(bytes)
    }

    const LEASE: Duration = Duration::from_secs(5);
    const KEEP: Duration = Duration::from_secs(600);

    fn begin(log: &MemoryLog, n: u32) -> Begin {
        log.begin(&id(n), LEASE, KEEP)
            .now_or_never()
            .unwrap()
            .unwrap()
    }

    fn lease(begin: Begin) -> LeaseToken {
        match begin {
            Begin::Run { lease, .. } => lease,
            other => panic!("expected a lease, got {other:?}"),
        }
    }

    fn finish(log: &MemoryLog, n: u32, lease: LeaseToken, end: End) {
        log.finish(&id(n), lease, Done::from(&[]), end)
            .now_or_never()
            .unwrap()
            .unwrap();
    }

    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn keeps_every_promise_of_a_delivery_log() {
        crate::testing::check_delivery_log(&MemoryLog::new(100)).await;
    }

    #[test]
    fn stays_within_capacity_forgetting_the_oldest() {
        let log = MemoryLog::new(1_000);
        for n in 0..50_000 {
            let lease = lease(begin(&log, n));
            finish(&log, n, lease, End::Complete);
            assert!(log.len() <= 1_000);
        }
        assert_eq!(log.len(), 1_000);
        assert!(log.lock().index.len() <= 1_000);
        assert_eq!(begin(&log, 49_999), Begin::Complete);
        assert!(matches!(begin(&log, 0), Begin::Run { .. }));
    }

    #[test]
    fn a_body_being_delivered_is_never_evicted() {
        let log = MemoryLog::new(1);
        let first = lease(begin(&log, 1));
        let full = log.begin(&id(2), LEASE, KEEP).now_or_never().unwrap();
        assert_eq!(
            full.map_err(|e| e.kind()),
            Err(StoreErrorKind::Full),
            "no room: refused, not evicting the delivery in progress"
        );
        assert_eq!(begin(&log, 1), Begin::Busy, "still leased");
        finish(&log, 1, first, End::Release);
        let second = lease(begin(&log, 2));
        finish(&log, 2, second, End::Complete);
        assert!(matches!(begin(&log, 1), Begin::Run { .. }), "forgotten now");
    }

    #[test]
    fn leased_entries_are_passed_over_not_evicted() {
        let log = MemoryLog::new(3);
        let a = lease(begin(&log, 1));
        let b = lease(begin(&log, 2));
        finish(&log, 2, b, End::Complete);
        let _c = lease(begin(&log, 3));
        let _d = lease(begin(&log, 4)); // evicts 2, the oldest not being delivered
        assert_eq!(begin(&log, 1), Begin::Busy);
        assert_eq!(begin(&log, 3), Begin::Busy);
        finish(&log, 1, a, End::Complete);
        assert_eq!(begin(&log, 1), Begin::Complete);
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn an_id_sharing_the_first_8_bytes_of_a_remembered_one_runs_unremembered() {
        let log = MemoryLog::new(10);
        let first = id(7);
        let mut twin = first;
        twin.0[31] ^= 1;
        let lease_first = lease(begin(&log, 7));
        finish(&log, 7, lease_first, End::Complete);
        for _ in 0..2 {
            let got = log.begin(&twin, LEASE, KEEP).now_or_never().unwrap();
            assert!(matches!(got, Ok(Begin::Run { .. })));
        }
        assert_eq!(begin(&log, 7), Begin::Complete);
        assert_eq!(log.len(), 1);
    }
}
