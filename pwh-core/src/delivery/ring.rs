//! The in-memory log's entries: a ring in first-delivery order, found through an index from
//! the first 8 bytes of each id.

use std::collections::hash_map::Entry as Slot;
use std::collections::{HashMap, VecDeque};

use rustc_hash::FxBuildHasher;

use crate::delivery::log::{DeliveryId, LeaseToken};
use crate::delivery::progress::Progress;

#[derive(Debug, Default)]
pub(super) struct Ring {
    /// An id's first 8 bytes → its entry's sequence number. FxHash: an id is a verified
    /// HMAC, uniformly distributed, which nobody without the secret can choose.
    pub(super) index: HashMap<u64, u64, FxBuildHasher>,
    /// The entries, oldest first.
    pub(super) ring: VecDeque<Entry>,
    /// The sequence number of `ring`'s front.
    pub(super) head: u64,
}

#[derive(Debug)]
pub(super) struct Entry {
    pub(super) id: DeliveryId,
    /// When it is forgotten (ms since the log's epoch).
    pub(super) expires_ms: u64,
    /// The delivery holding the lease, and when the lease ends.
    pub(super) lease: Option<(LeaseToken, u64)>,
    pub(super) complete: bool,
    pub(super) progress: Progress,
}

impl Entry {
    pub(super) fn leased_at(&self, now_ms: u64) -> bool {
        self.lease.is_some_and(|(_, until)| until > now_ms)
    }

    /// Whether `lease` holds the entry now (an expired lease is held by nobody).
    pub(super) fn holds(&self, lease: LeaseToken, now_ms: u64) -> bool {
        self.lease
            .is_some_and(|(token, until)| token == lease && until > now_ms)
    }
}

impl Ring {
    /// The entry of `id`, if remembered.
    pub(super) fn get_mut(&mut self, id: &DeliveryId) -> Option<&mut Entry> {
        let seq = *self.index.get(&id.prefix())?;
        let position = usize::try_from(seq.checked_sub(self.head)?).ok()?;
        self.ring.get_mut(position).filter(|entry| entry.id == *id)
    }

    /// Takes the oldest entry out of the ring and the index.
    fn pop_front(&mut self) -> Option<Entry> {
        let old = self.ring.pop_front()?;
        if let Slot::Occupied(slot) = self.index.entry(old.id.prefix()) {
            if *slot.get() == self.head {
                slot.remove();
            }
        }
        self.head += 1;
        Some(old)
    }

    /// Adds `entry` at the back; `false` if another id with the same prefix is remembered.
    pub(super) fn push_back(&mut self, entry: Entry) -> bool {
        let seq = self.head + self.ring.len() as u64;
        match self.index.entry(entry.id.prefix()) {
            Slot::Occupied(_) => false,
            Slot::Vacant(slot) => {
                slot.insert(seq);
                self.ring.push_back(entry);
                true
            }
        }
    }

    /// Forgets expired entries at the front, then the oldest while full, passing over (to the
    /// back) entries being delivered. `false` if no room could be made.
    pub(super) fn make_room(&mut self, capacity: usize, now_ms: u64) -> bool {
        let mut passed = 0;
        while let Some(front) = self.ring.front() {
            let full = self.ring.len() >= capacity;
            if !full && front.expires_ms > now_ms {
                break;
            }
            if passed >= self.ring.len() {
                break;
            }
            let Some(front) = self.pop_front() else { break };
            if front.leased_at(now_ms) {
                passed += 1;
                self.push_back(front);
            }
        }
        self.ring.len() < capacity
    }
}
