//! Redelivery memory: which handlers already succeeded for which signed body.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// Names one delivered body: its verified HMAC-SHA256 signature.
///
/// Pusher sends the very same body again when it retries, so the signature identifies the
/// webhook across its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryId(pub [u8; 32]);

impl std::hash::Hash for DeliveryId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.prefix());
    }
}

/// Hashes the first 8 bytes of a [`DeliveryId`] to themselves. An id is a verified HMAC:
/// uniformly distributed, and nobody without the secret can choose it, so no keyed hash is
/// needed.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached through other `Hash` impls; fold them in anyway.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

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

/// What a delivery finds when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The body was never delivered (or is forgotten): run every handler.
    New,
    /// Earlier deliveries achieved this: run what is not done yet ([`Progress::Complete`]:
    /// nothing).
    Resume(Progress),
    /// Another delivery of the same body is running right now.
    Busy,
}

/// Where the dispatcher remembers what each delivery achieved.
///
/// The default, [`MemoryLog`], lives in the process; implement this trait over a shared store
/// (Redis, a database) when several instances receive the same app's webhooks. `begin` must
/// be atomic: it reads what earlier deliveries achieved and, unless they completed, marks the
/// body as being delivered until `lease_until_ms`, so that a copy arriving meanwhile is told
/// [`Begin::Busy`] instead of running the same handlers a second time.
pub trait DeliveryLog: Send + Sync + 'static {
    /// Starts a delivery of `id`, remembered until `expires_ms`, leased until `lease_until_ms`.
    fn begin(&self, id: &DeliveryId, now_ms: u64, expires_ms: u64, lease_until_ms: u64) -> Begin;

    /// Ends the delivery of `id` that `begin` leased, recording what it achieved.
    fn finish(&self, id: &DeliveryId, progress: Progress, now_ms: u64);

    /// Ends the lease of a delivery that stopped before it finished (its request was dropped),
    /// recording nothing. By default the lease simply runs out.
    fn abandon(&self, id: &DeliveryId) {
        let _ = id;
    }
}

impl<L: DeliveryLog + ?Sized> DeliveryLog for std::sync::Arc<L> {
    fn begin(&self, id: &DeliveryId, now_ms: u64, expires_ms: u64, lease_until_ms: u64) -> Begin {
        (**self).begin(id, now_ms, expires_ms, lease_until_ms)
    }

    fn finish(&self, id: &DeliveryId, progress: Progress, now_ms: u64) {
        (**self).finish(id, progress, now_ms);
    }

    fn abandon(&self, id: &DeliveryId) {
        (**self).abandon(id);
    }
}

/// The in-memory [`DeliveryLog`]: bounded by a capacity and by expiry.
///
/// Entries live in a ring in the order they were first delivered, found through a small
/// index from the first 8 bytes of their id: a new delivery touches one random place in the
/// index, the rest in order. Each remembered body costs about 100 bytes (its 32-byte signature,
/// expiry, lease and progress in the ring, 16 bytes in the index) plus the slack of the index
/// and the handler names of a partly failed delivery: the default capacity, 100,000 bodies,
/// stays under about 13 MiB. Past the capacity the oldest entry is forgotten; entries also
/// expire at the webhook's `time_ms` plus the max age, after which the webhook is refused as
/// stale anyway. (Two ids whose first 8 bytes are equal, one chance in 2^64 for two distinct
/// bodies, are not both remembered: the later one is handled as if new, every time.)
#[derive(Debug)]
pub struct MemoryLog {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// An id's first 8 bytes → its entry's sequence number.
    index: PrefixMap,
    /// The entries, oldest first.
    ring: VecDeque<Entry>,
    /// The sequence number of `ring`'s front.
    head: u64,
}

type PrefixMap = HashMap<u64, u64, std::hash::BuildHasherDefault<IdHasher>>;

#[derive(Debug)]
struct Entry {
    id: DeliveryId,
    expires_ms: u64,
    /// While a delivery runs: when its lease ends.
    leased_until_ms: Option<u64>,
    /// What finished deliveries achieved; `None` before the first one finished.
    progress: Option<Progress>,
}

impl DeliveryId {
    /// The first 8 bytes: uniformly distributed, as the id is an HMAC.
    fn prefix(&self) -> u64 {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        u64::from_le_bytes([a, b, c, d, e, f, g, h])
    }
}

impl Inner {
    /// The entry of `id`, if remembered.
    fn get_mut(&mut self, id: &DeliveryId) -> Option<&mut Entry> {
        let seq = *self.index.get(&id.prefix())?;
        let position = usize::try_from(seq.checked_sub(self.head)?).ok()?;
        self.ring.get_mut(position).filter(|entry| entry.id == *id)
    }

    /// Forgets the oldest entry.
    fn evict(&mut self) {
        if let Some(old) = self.ring.pop_front() {
            if let std::collections::hash_map::Entry::Occupied(slot) =
                self.index.entry(old.id.prefix())
            {
                if *slot.get() == self.head {
                    slot.remove();
                }
            }
            self.head += 1;
        }
    }
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
        self.lock().ring.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The log stays consistent even if a holder panicked: every update is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl DeliveryLog for MemoryLog {
    fn begin(&self, id: &DeliveryId, now_ms: u64, expires_ms: u64, lease_until_ms: u64) -> Begin {
        let mut inner = self.lock();
        if let Some(entry) = inner.get_mut(id) {
            if entry.expires_ms < now_ms {
                // Remembered once, but expired: start over in place.
                entry.expires_ms = expires_ms;
                entry.leased_until_ms = Some(lease_until_ms);
                entry.progress = None;
                return Begin::New;
            }
            if entry.leased_until_ms.is_some_and(|until| until > now_ms) {
                return Begin::Busy;
            }
            if entry.progress == Some(Progress::Complete) {
                return Begin::Resume(Progress::Complete);
            }
            entry.leased_until_ms = Some(lease_until_ms);
            return entry.progress.clone().map_or(Begin::New, Begin::Resume);
        }
        // Forget what expired at the front, then the oldest while full.
        while let Some(front) = inner.ring.front() {
            if front.expires_ms >= now_ms && inner.ring.len() < self.capacity {
                break;
            }
            inner.evict();
        }
        let seq = inner.head + inner.ring.len() as u64;
        match inner.index.entry(id.prefix()) {
            // Another id with the same first 8 bytes is remembered: run without memory.
            std::collections::hash_map::Entry::Occupied(_) => return Begin::New,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(seq);
            }
        }
        inner.ring.push_back(Entry {
            id: *id,
            expires_ms,
            leased_until_ms: Some(lease_until_ms),
            progress: None,
        });
        Begin::New
    }

    fn finish(&self, id: &DeliveryId, progress: Progress, _now_ms: u64) {
        if let Some(entry) = self.lock().get_mut(id) {
            entry.progress = Some(progress);
            entry.leased_until_ms = None;
        }
    }

    fn abandon(&self, id: &DeliveryId) {
        if let Some(entry) = self.lock().get_mut(id) {
            entry.leased_until_ms = None;
        }
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
        assert_eq!(log.begin(&id(1), 0, 100, 10), Begin::New);
        log.finish(&id(1), Progress::Complete, 5);
        assert_eq!(
            log.begin(&id(1), 100, 200, 110),
            Begin::Resume(Progress::Complete)
        );
        assert_eq!(
            log.begin(&id(1), 101, 200, 111),
            Begin::New,
            "expired: forgotten"
        );
        assert_eq!(log.begin(&id(2), 0, 100, 10), Begin::New);
    }

    #[test]
    fn a_copy_arriving_during_a_delivery_is_busy_until_it_ends() {
        let log = MemoryLog::new(10);
        assert_eq!(log.begin(&id(1), 0, 1_000, 50), Begin::New);
        assert_eq!(log.begin(&id(1), 10, 1_000, 60), Begin::Busy);
        log.finish(&id(1), Progress::Partial(vec![(0, "a".into())]), 20);
        let Begin::Resume(progress) = log.begin(&id(1), 30, 1_000, 80) else {
            panic!("expected the earlier progress")
        };
        assert!(progress.is_done(0, "a"));
        assert!(!progress.is_done(0, "b"));
        assert!(!progress.is_done(1, "a"));
        assert_eq!(
            log.begin(&id(1), 40, 1_000, 90),
            Begin::Busy,
            "the retry holds the lease"
        );
        log.abandon(&id(1));
        assert!(matches!(log.begin(&id(1), 41, 1_000, 91), Begin::Resume(_)));
        // A lease that is never ended runs out.
        assert!(matches!(
            log.begin(&id(1), 92, 1_000, 150),
            Begin::Resume(_)
        ));
        log.finish(&id(1), Progress::Complete, 93);
        assert_eq!(
            log.begin(&id(1), 94, 1_000, 150),
            Begin::Resume(Progress::Complete)
        );
        assert_eq!(log.lock().ring.len(), 1);
    }

    #[test]
    fn stays_within_capacity() {
        let log = MemoryLog::new(1_000);
        for n in 0..50_000 {
            assert_eq!(log.begin(&id(n), 0, u64::MAX, 10), Begin::New);
            log.finish(&id(n), Progress::Complete, 0);
            assert!(log.len() <= 1_000);
        }
        assert_eq!(log.len(), 1_000);
        assert!(log.lock().index.len() <= 1_000);
        // The newest are kept, the oldest forgotten.
        assert_eq!(
            log.begin(&id(49_999), 0, u64::MAX, 10),
            Begin::Resume(Progress::Complete)
        );
        assert_eq!(log.begin(&id(0), 0, u64::MAX, 10), Begin::New);
    }

    #[test]
    fn an_id_sharing_the_first_8_bytes_of_a_remembered_one_runs_unremembered() {
        let log = MemoryLog::new(10);
        let first = id(7);
        let mut twin = first;
        twin.0[31] ^= 1;
        assert_eq!(log.begin(&first, 0, 100, 10), Begin::New);
        log.finish(&first, Progress::Complete, 1);
        for now in [2, 3] {
            assert_eq!(log.begin(&twin, now, 100, 10), Begin::New);
            log.finish(&twin, Progress::Complete, now);
        }
        assert_eq!(
            log.begin(&first, 4, 100, 14),
            Begin::Resume(Progress::Complete)
        );
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn expired_entries_are_dropped_on_insert() {
        let log = MemoryLog::new(1_000);
        for n in 0..100 {
            log.begin(&id(n), 0, 10, 5);
        }
        log.begin(&id(1_000), 50, 100, 60);
        assert_eq!(log.len(), 1);
    }
}
