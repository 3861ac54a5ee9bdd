//! Fault injection for the load script: fail a chosen fraction of handler calls, once each.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

/// Fails a chosen fraction of handler calls the first time they are made, so that Pusher's
/// retry (with the same body) must run exactly those again. Off when the fraction is 0.
#[derive(Debug, Default)]
pub struct Faults {
    /// Out of 1,000,000.
    per_million: u64,
    failed: Mutex<HashSet<u64>>,
}

impl Faults {
    /// Fails `ratio` (0 to 1) of the calls once.
    pub fn new(ratio: f64) -> Self {
        Self {
            per_million: (ratio.clamp(0.0, 1.0) * 1_000_000.0) as u64,
            failed: Mutex::default(),
        }
    }

    /// `Err` the first time for a chosen fraction of `(handler, channel, time_ms)`.
    ///
    /// # Errors
    ///
    /// An injected failure message.
    pub fn check(&self, handler: &str, channel: &str, time_ms: u64) -> Result<(), String> {
        if self.per_million == 0 {
            return Ok(());
        }
        let mut hasher = DefaultHasher::new();
        (handler, channel, time_ms).hash(&mut hasher);
        let call = hasher.finish();
        if call % 1_000_000 >= self.per_million {
            return Ok(());
        }
        let mut failed = self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failed.insert(call) {
            Err(format!("injected failure in {handler}"))
        } else {
            Ok(())
        }
    }

    /// How many failures were injected.
    pub fn injected(&self) -> usize {
        self.failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_the_chosen_fraction_once() {
        let faults = Faults::new(0.5);
        let first: usize = (0..1_000)
            .filter(|n| faults.check("h", "c", *n).is_err())
            .count();
        assert!((350..650).contains(&first), "{first}");
        assert_eq!(faults.injected(), first);
        assert!((0..1_000).all(|n| faults.check("h", "c", n).is_ok()));
        assert!((0..1_000).all(|n| Faults::new(0.0).check("h", "c", n).is_ok()));
    }
}
