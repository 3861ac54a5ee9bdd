//! Redelivery memory: which handlers already succeeded for which signed body.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// Names one delivered body: its verified HMAC-SHA256 signature.
///
/// Pusher sends the very same body again when it retries, so the signature identifies the
/// webhook across its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryId(pub [u8; 32]);

/// What earlier deliveries of one body achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Every handler succeeded: a new delivery runs nothing.
    Complete,
    /// These `(event index, handler name)` pairs succeeded; the rest must run again.
    Partial(Vec<(u32, Box<str>)>),
}

impl Progress {
    /// Whether `handler` already succeeded on the event at `event`.
    pub fn is_done(&self, event: usize, handler: &str) -> bool {
        match self {
            Self::Complete => true,
            Self::Partial(done) => done
                .iter()
                .any(|(e, h)| usize::try_from(*e).is_ok_and(|e| e == event) && &**h == handler),
        }
    }
}

/// Where the dispatcher remembers what each delivery achieved.
///
/// The default, [`MemoryLog`], lives in the process; implement this trait over a shared store
/// (Redis, a database) when several instances receive the same app's webhooks.
pub trait DeliveryLog: Send + Sync + 'static {
    /// What earlier deliveries of `id` achieved, if any are remembered and not expired.
    fn recall(&self, id: &DeliveryId, now_ms: u64) -> Option<Progress>;

    /// Remembers `progress` for `id` until `expires_ms`.
    fn record(&self, id: &DeliveryId, progress: Progress, expires_ms: u64, now_ms: u64);
}

impl<L: DeliveryLog> DeliveryLog for std::sync::Arc<L> {
    fn recall(&self, id: &DeliveryId, now_ms: u64) -> Option<Progress> {
        (**self).recall(id, now_ms)
    }

    fn record(&self, id: &DeliveryId, progress: Progress, expires_ms: u64, now_ms: u64) {
        (**self).record(id, progress, expires_ms, now_ms);
    }
}

/// The in-memory [`DeliveryLog`]: bounded by a capacity and by expiry.
///
/// Each remembered body costs 104 bytes of payload (its 32-byte signature in the table and in
/// the eviction queue, its expiry twice, a progress marker), about 120 to 230 bytes with the slack of
/// the hash table and the queue, plus the handler names of a partly failed delivery. The
/// default capacity, 100,000 bodies, thus stays under about 23 MiB. Past the capacity the
/// oldest entry is forgotten; entries also expire at the webhook's `time_ms` plus the max age,
/// after which the webhook is refused as stale anyway.
#[derive(Debug)]
pub struct MemoryLog {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<DeliveryId, Entry>,
    /// Insertion order, for eviction: `(expires_ms, id)`.
    order: VecDeque<(u64, DeliveryId)>,
}

#[derive(Debug)]
struct Entry {
    expires_ms: u64,
    progress: Progress,
}

impl MemoryLog {
    /// The default capacity: 100,000 bodies.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A log remembering at most `capacity` bodies (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::default(),
        }
    }

    /// How many bodies are remembered now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl DeliveryLog for MemoryLog {
    fn recall(&self, id: &DeliveryId, now_ms: u64) -> Option<Progress> {
        let inner = self.lock();
        let entry = inner.entries.get(id)?;
        (entry.expires_ms >= now_ms).then(|| entry.progress.clone())
    }

    fn record(&self, id: &DeliveryId, progress: Progress, expires_ms: u64, now_ms: u64) {
        let mut inner = self.lock();
        let Inner { entries, order } = &mut *inner;
        if let Some(entry) = entries.get_mut(id) {
            entry.progress = progress;
            return;
        }
        // Forget what expired at the front, then the oldest while over capacity.
        while let Some(&(expires, old)) = order.front() {
            if expires >= now_ms && entries.len() < self.capacity {
                break;
            }
            order.pop_front();
            if entries.get(&old).is_some_and(|e| e.expires_ms == expires) {
                entries.remove(&old);
            }
        }
        entries.insert(
            *id,
            Entry {
                expires_ms,
                progress,
            },
        );
        order.push_back((expires_ms, *id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> DeliveryId {
        let mut bytes = [0; 32];
        bytes[..4].copy_from_slice(&n.to_le_bytes());
        DeliveryId(bytes)
    }

    #[test]
    fn remembers_until_expiry() {
        let log = MemoryLog::new(10);
        log.record(&id(1), Progress::Complete, 100, 0);
        assert_eq!(log.recall(&id(1), 100), Some(Progress::Complete));
        assert_eq!(log.recall(&id(1), 101), None);
        assert_eq!(log.recall(&id(2), 0), None);
    }

    #[test]
    fn partial_progress_is_updated_in_place() {
        let log = MemoryLog::new(10);
        log.record(&id(1), Progress::Partial(vec![(0, "a".into())]), 100, 0);
        let p = log.recall(&id(1), 0).unwrap();
        assert!(p.is_done(0, "a"));
        assert!(!p.is_done(0, "b"));
        assert!(!p.is_done(1, "a"));
        log.record(&id(1), Progress::Complete, 100, 0);
        assert_eq!(log.recall(&id(1), 0), Some(Progress::Complete));
        assert_eq!(log.lock().order.len(), 1);
    }

    #[test]
    fn stays_within_capacity() {
        let log = MemoryLog::new(1_000);
        for n in 0..50_000 {
            log.record(&id(n), Progress::Complete, u64::MAX, 0);
            assert!(log.len() <= 1_000);
        }
        assert_eq!(log.len(), 1_000);
        assert!(log.lock().order.len() <= 1_000);
        // The newest are kept, the oldest forgotten.
        assert!(log.recall(&id(49_999), 0).is_some());
        assert!(log.recall(&id(0), 0).is_none());
    }

    #[test]
    fn expired_entries_are_dropped_on_insert() {
        let log = MemoryLog::new(1_000);
        for n in 0..100 {
            log.record(&id(n), Progress::Complete, 10, 0);
        }
        log.record(&id(1_000), Progress::Complete, 100, 50);
        assert_eq!(log.len(), 1);
    }
}
