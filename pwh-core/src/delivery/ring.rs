//! The in-memory log's entries: a ring in first-delivery order, found through an index from
//! the first 8 bytes of each id, and bounded in bytes.

use std::collections::hash_map::Entry as Slot;
use std::collections::{HashMap, VecDeque};

use rustc_hash::FxBuildHasher;

use crate::delivery::log::{DeliveryId, LeaseToken};
use crate::delivery::progress::Progress;

#[derive(Debug, Default)]
pub(super) struct Ring {
    /// An id's first 8 bytes → its entry's sequence number. FxHash: an id is a hash of
    /// verified bytes, uniformly distributed, which nobody without a secret can choose.
    pub(super) index: HashMap<u64, u64, FxBuildHasher>,
    /// The entries, oldest first.
    pub(super) ring: VecDeque<Entry>,
    /// The sequence number of `ring`'s front.
    pub(super) head: u64,
    /// The bytes the entries account for (see [`Entry::bytes`]).
    pub(super) bytes: usize,
}

#[derive(Debug)]
pub(super) struct Entry {
    pub(super) id: DeliveryId,
    /// When its first delivery began (ms since the log's epoch).
    pub(super) since_ms: u64,
    /// When it is forgotten (ms since the log's epoch).
    pub(super) expires_ms: u64,
    /// The delivery holding the lease, and when the lease ends.
    pub(super) lease: Option<(LeaseToken, u64)>,
    /// What is left to do.
    pub(super) progress: Progress,
}

/// What one entry costs besides its progress: its place in the ring and in the index (with
/// the index's slack).
pub(super) const ENTRY_BYTES: usize = std::mem::size_of::<Entry>() + 32;

impl Entry {
    pub(super) fn leased_at(&self, now_ms: u64) -> bool {
        self.lease.is_some_and(|(_, until)| until > now_ms)
    }

    /// Whether `lease` holds the entry now (an expired lease is held by nobody).
    pub(super) fn holds(&self, lease: LeaseToken, now_ms: u64) -> bool {
        self.lease
            .is_some_and(|(token, until)| token == lease && until > now_ms)
    }

    /// Whether it may be forgotten now: expired and not leased, or complete and not leased.
    /// A body under lease or partly done is never forgotten before its time: a retry is
    /// expected.
    fn evictable(&self, now_ms: u64) -> bool {
        !self.leased_at(now_ms) && (self.expires_ms <= now_ms || self.progress.is_complete())
    }

    pub(super) fn bytes(&self) -> usize {
        ENTRY_BYTES + self.progress.heap_bytes()
    }
}

/// What [`Ring::make_room`] did.
pub(super) struct Room {
    /// Whether there is room for one more entry.
    pub(super) made: bool,
    /// The age (ms) of the youngest complete body forgotten before its time, if any.
    pub(super) forgot_early_ms: Option<u64>,
}

impl Ring {
    /// The entry of `id`, if remembered.
    pub(super) fn get_mut(&mut self, id: &DeliveryId) -> Option<&mut Entry> {
        let seq = *self.index.get(&id.prefix())?;
        let position = usize::try_from(seq.checked_sub(self.head)?).ok()?;
        self.ring.get_mut(position).filter(|entry| entry.id == *id)
    }

    /// Updates the entry of `id` with `update`, keeping the byte count.
    pub(super) fn update<T>(
        &mut self,
        id: &DeliveryId,
        update: impl FnOnce(&mut Entry) -> T,
    ) -> Option<T> {
        let entry = self.get_mut(id)?;
        let before = entry.bytes();
        let result = update(entry);
        let after = entry.bytes();
        self.bytes = self.bytes - before + after;
        Some(result)
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
        self.bytes -= old.bytes();
        Some(old)
    }

    /// Adds `entry` at the back; `false` if another id with the same prefix is remembered.
    pub(super) fn push_back(&mut self, entry: Entry) -> bool {
        let seq = self.head + self.ring.len() as u64;
        match self.index.entry(entry.id.prefix()) {
            Slot::Occupied(_) => false,
            Slot::Vacant(slot) => {
                slot.insert(seq);
                self.bytes += entry.bytes();
                self.ring.push_back(entry);
                true
            }
        }
    }

    /// Forgets expired entries at the front, then, while one more entry would pass `budget`
    /// bytes, the oldest complete ones, passing over (to the back) those under lease or
    /// partly done.
    pub(super) fn make_room(&mut self, budget: usize, now_ms: u64) -> Room {
        let mut room = Room {
            made: false,
            forgot_early_ms: None,
        };
        let mut passed = 0;
        while let Some(front) = self.ring.front() {
            let full = self.bytes + ENTRY_BYTES > budget;
            if !full && front.expires_ms > now_ms {
                break;
            }
            if passed >= self.ring.len() {
                break;
            }
            let Some(front) = self.pop_front() else { break };
            if front.evictable(now_ms) {
                if front.expires_ms > now_ms {
                    room.forgot_early_ms = Some(now_ms.saturating_sub(front.since_ms));
                }
            } else {
                passed += 1;
                self.push_back(front);
            }
        }
        room.made = self.bytes + ENTRY_BYTES <= budget;
        room
    }
}
