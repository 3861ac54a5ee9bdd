//! What earlier deliveries of one body achieved: a set of (event, handler) pairs.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

/// The `(event index, handler name)` pairs that succeeded on earlier deliveries of one body.
///
/// A set: asking whether a pair is done costs one hash lookup of the handler's name and one
/// bit test, so a retry of a large batch stays linear.
///
/// ```
/// use pwh_core::Progress;
///
/// let mut progress = Progress::default();
/// progress.insert(3, "app::notify");
/// assert!(progress.is_done(3, "app::notify"));
/// assert!(!progress.is_done(2, "app::notify"));
/// assert_eq!(progress.iter().collect::<Vec<_>>(), [(3, "app::notify")]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Handler name → a bit per event index; `None` until a pair is added, so that the
    /// empty progress of nearly every delivery costs nothing to make, move or drop. FxHash:
    /// the names are the dispatcher's own handlers'.
    done: Option<HashMap<Box<str>, Vec<u64>, FxBuildHasher>>,
}

impl Progress {
    /// Whether `handler` already succeeded on the event at `event`.
    pub fn is_done(&self, event: usize, handler: &str) -> bool {
        let Some(done) = &self.done else {
            return false;
        };
        done.get(handler).is_some_and(|bits| {
            bits.get(event / 64)
                .is_some_and(|word| word & (1 << (event % 64)) != 0)
        })
    }

    /// Records that `handler` succeeded on the event at `event`.
    pub fn insert(&mut self, event: u32, handler: &str) {
        let event = event as usize;
        let done = self.done.get_or_insert_with(HashMap::default);
        let bits = match done.get_mut(handler) {
            Some(bits) => bits,
            None => done.entry(handler.into()).or_default(),
        };
        if bits.len() <= event / 64 {
            bits.resize(event / 64 + 1, 0);
        }
        if let Some(word) = bits.get_mut(event / 64) {
            *word |= 1 << (event % 64);
        }
    }

    /// Whether nothing is done yet.
    pub fn is_empty(&self) -> bool {
        self.done.as_ref().is_none_or(HashMap::is_empty)
    }

    /// How many pairs are done.
    pub fn len(&self) -> usize {
        self.done
            .iter()
            .flat_map(HashMap::values)
            .flat_map(|bits| bits.iter())
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    /// The pairs, by handler, events in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.done.iter().flatten().flat_map(|(handler, bits)| {
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
}

impl<'a> FromIterator<(u32, &'a str)> for Progress {
    fn from_iter<I: IntoIterator<Item = (u32, &'a str)>>(pairs: I) -> Self {
        let mut progress = Self::default();
        progress.extend(pairs);
        progress
    }
}

impl<'a> Extend<(u32, &'a str)> for Progress {
    fn extend<I: IntoIterator<Item = (u32, &'a str)>>(&mut self, pairs: I) {
        for (event, handler) in pairs {
            self.insert(event, handler);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_pairs() {
        let mut progress = Progress::default();
        assert!(progress.is_empty());
        for event in [0, 63, 64, 130] {
            progress.insert(event, "a");
        }
        progress.insert(1, "b");
        progress.insert(1, "b");
        assert_eq!(progress.len(), 5);
        for event in [0, 63, 64, 130] {
            assert!(progress.is_done(event as usize, "a"));
            assert!(!progress.is_done(event as usize, "b"));
        }
        assert!(!progress.is_done(1, "a"));
        assert!(!progress.is_done(65, "a"));
        assert!(!progress.is_done(10_000, "a"));
        assert!(progress.is_done(1, "b"));
        let mut pairs: Vec<_> = progress.iter().collect();
        pairs.sort_unstable();
        assert_eq!(
            pairs,
            [(0, "a"), (1, "b"), (63, "a"), (64, "a"), (130, "a")]
        );
        assert_eq!(pairs.iter().copied().collect::<Progress>(), progress);
    }

    #[test]
    fn a_large_batch_is_linear() {
        // 8,000 events, every one done by one handler: each lookup is O(1).
        let progress: Progress = (0..8_000).map(|e| (e, "h")).collect();
        assert_eq!(progress.len(), 8_000);
        assert!((0..8_000).all(|e| progress.is_done(e, "h")));
    }
}
