//! What earlier deliveries of one body left to do: a set of (event, handler) pairs.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use crate::delivery::done::Done;

/// What earlier deliveries of one body left to do: nothing done yet (a body never delivered,
/// or forgotten), or the `(event index, handler name)` pairs still to do.
///
/// A set: asking whether a pair is done costs one hash lookup of the handler's name and one
/// bit test, so a retry of a large batch stays linear, and it holds only what is left.
///
/// ```
/// use pwh_core::delivery::{Done, Progress};
///
/// let mut progress = Progress::default();
/// assert!(progress.is_first() && !progress.is_done(3, "app::notify"));
/// // The first delivery left (3, notify) to do; the retry finishes it.
/// progress.record(Done::first(&[(3, "app::notify")]));
/// assert!(!progress.is_done(3, "app::notify"));
/// assert!(progress.is_done(2, "app::notify"));
/// progress.record(Done::retry(&[(3, "app::notify")]));
/// assert!(progress.is_complete());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Handler name → a bit per event index still to do; `None` while nothing is done, so
    /// that the progress of nearly every delivery costs nothing to make, move or drop.
    /// FxHash: the names are the dispatcher's own handlers'.
    to_do: Option<HashMap<Box<str>, Vec<u64>, FxBuildHasher>>,
}

impl Progress {
    /// Progress with `pairs` left to do (and every other pair done).
    pub fn left<'a>(pairs: impl IntoIterator<Item = (u32, &'a str)>) -> Self {
        let mut progress = Self {
            to_do: Some(HashMap::default()),
        };
        for (event, handler) in pairs {
            progress.insert(event, handler);
        }
        progress
    }

    /// Whether nothing is done yet: every pair is to do.
    pub fn is_first(&self) -> bool {
        self.to_do.is_none()
    }

    /// Whether no pair is left to do.
    pub fn is_complete(&self) -> bool {
        self.to_do
            .as_ref()
            .is_some_and(|to_do| to_do.values().all(|bits| bits.iter().all(|w| *w == 0)))
    }

    /// Whether `handler` already finished the event at `event`.
    pub fn is_done(&self, event: usize, handler: &str) -> bool {
        let Some(to_do) = &self.to_do else {
            return false;
        };
        !to_do.get(handler).is_some_and(|bits| {
            bits.get(event / 64)
                .is_some_and(|word| word & (1 << (event % 64)) != 0)
        })
    }

    /// Adds what a delivery achieved: a first delivery's unfinished pairs become (or, when
    /// another delivery wrote them first, narrow) the pairs to do; a retry's finished pairs
    /// are taken off them. A retry's record for a body that has nothing done (forgotten
    /// meanwhile) is dropped: its pairs to do are not known.
    pub fn record(&mut self, done: Done<'_>) {
        if !done.is_first() {
            for (event, handler) in done.finished() {
                self.remove(event, handler);
            }
            return;
        }
        let left = Self::left(done.unfinished());
        if self.to_do.is_none() {
            *self = left;
            return;
        }
        // Both left these: what either finished is done.
        if let Some(to_do) = &mut self.to_do {
            for (handler, bits) in to_do.iter_mut() {
                let theirs = left.to_do.as_ref().and_then(|t| t.get(handler));
                for (at, word) in bits.iter_mut().enumerate() {
                    *word &= theirs.and_then(|t| t.get(at)).copied().unwrap_or(0);
                }
            }
        }
    }

    /// Adds a pair to do.
    fn insert(&mut self, event: u32, handler: &str) {
        let event = event as usize;
        let to_do = self.to_do.get_or_insert_with(HashMap::default);
        let bits = match to_do.get_mut(handler) {
            Some(bits) => bits,
            None => to_do.entry(handler.into()).or_default(),
        };
        if bits.len() <= event / 64 {
            bits.resize(event / 64 + 1, 0);
        }
        if let Some(word) = bits.get_mut(event / 64) {
            *word |= 1 << (event % 64);
        }
    }

    /// Takes a pair off what is to do.
    fn remove(&mut self, event: u32, handler: &str) {
        let event = event as usize;
        if let Some(word) = self
            .to_do
            .as_mut()
            .and_then(|to_do| to_do.get_mut(handler))
            .and_then(|bits| bits.get_mut(event / 64))
        {
            *word &= !(1 << (event % 64));
        }
    }

    /// How many pairs are left to do (0 while nothing is done: they are not known).
    pub fn len(&self) -> usize {
        self.to_do
            .iter()
            .flat_map(HashMap::values)
            .flat_map(|bits| bits.iter())
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    /// Whether no pair is known to be left: nothing done yet, or complete.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pairs left to do, by handler, events in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.to_do.iter().flatten().flat_map(|(handler, bits)| {
            bits.iter()
                .enumerate()
                .flat_map(move |(word_index, &word)| {
                    (0..64u32)
                        .filter(move |bit| word & (1 << bit) != 0)
                        .filter_map(move |bit| {
                            let event = u32::try_from(word_index).ok()?.checked_mul(64)? + bit;
                            Some((event, &**handler))
                        })
                })
        })
    }

    /// The bytes it holds on the heap, roughly: for bounding a store in memory.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.to_do.as_ref().map_or(0, |to_do| {
            to_do.capacity() * 40
                + to_do
                    .iter()
                    .map(|(name, bits)| name.len() + bits.capacity() * 8)
                    .sum::<usize>()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_pairs_left_to_do() {
        let progress = Progress::left([
            (0, "a"),
            (63, "a"),
            (64, "a"),
            (130, "a"),
            (1, "b"),
            (1, "b"),
        ]);
        assert!(!progress.is_first() && !progress.is_complete());
        assert_eq!(progress.len(), 5);
        for event in [0, 63, 64, 130] {
            assert!(!progress.is_done(event, "a"));
            assert!(progress.is_done(event, "b"));
        }
        assert!(progress.is_done(1, "a"));
        assert!(progress.is_done(10_000, "a"));
        assert!(!progress.is_done(1, "b"));
        let mut pairs: Vec<_> = progress.iter().collect();
        pairs.sort_unstable();
        assert_eq!(
            pairs,
            [(0, "a"), (1, "b"), (63, "a"), (64, "a"), (130, "a")]
        );
        assert_eq!(Progress::left(pairs.iter().copied()), progress);
    }

    #[test]
    fn records_narrow_what_is_left_and_never_grow_it() {
        let mut progress = Progress::default();
        assert!(progress.is_first() && !progress.is_complete());
        // A retry's record on a body with nothing known is dropped.
        progress.record(Done::retry(&[(0, "a")]));
        assert!(progress.is_first());
        progress.record(Done::first(&[(0, "a"), (1, "a"), (1, "b")]));
        assert_eq!(progress.len(), 3);
        // A stale first delivery that finished (0, a) but not (1, b) nor (2, b):
        progress.record(Done::first(&[(1, "a"), (2, "b")]));
        assert_eq!(progress.iter().collect::<Vec<_>>(), [(1, "a")]);
        progress.record(Done::retry(&[(1, "a"), (5, "z")]));
        assert!(progress.is_complete());
        // A first delivery that left nothing completes the body at once.
        let mut fresh = Progress::default();
        fresh.record(Done::first(&[]));
        assert!(fresh.is_complete());
    }

    #[test]
    fn a_large_batch_is_linear() {
        let progress = Progress::left((0..8_000).map(|e| (e, "h")));
        assert_eq!(progress.len(), 8_000);
        assert!((0..8_000).all(|e| !progress.is_done(e as usize, "h")));
    }
}
