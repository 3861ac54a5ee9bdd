//! What one delivery finished: the pairs [`DeliveryLog::finish`](crate::DeliveryLog::finish)
//! adds to a body's progress.

use std::fmt;

use crate::outcome::HandlerRun;

/// The `(event index, handler name)` pairs that one delivery of a body finished: handlers
/// that succeeded, or failed in a way no retry can fix.
///
/// A view, not a copy: the dispatcher hands over its handler runs as they are, and a store
/// that needs the pairs (a stale delivery, a release) reads them with [`iter`](Self::iter).
/// A store that has no use for them (the body is complete) reads nothing, so a large batch
/// costs nothing to finish. Tests and other callers make one from a slice of pairs.
///
/// ```
/// use pwh_core::Done;
///
/// let pairs = [(0, "app::notify"), (3, "app::audit")];
/// let done = Done::from(&pairs);
/// assert_eq!(done.iter().collect::<Vec<_>>(), pairs);
/// assert!(!done.is_empty());
/// assert!(Done::from(&[]).is_empty());
/// ```
#[derive(Clone, Copy)]
pub struct Done<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    Runs(&'a [HandlerRun]),
    Pairs(&'a [(u32, &'a str)]),
}

impl<'a> Done<'a> {
    /// The pairs of `runs` that are done.
    pub(crate) fn runs(runs: &'a [HandlerRun]) -> Self {
        Self(Repr::Runs(runs))
    }

    /// The pairs, in the order they finished.
    pub fn iter(&self) -> DoneIter<'a> {
        DoneIter(match self.0 {
            Repr::Runs(runs) => IterRepr::Runs(runs.iter()),
            Repr::Pairs(pairs) => IterRepr::Pairs(pairs.iter()),
        })
    }

    /// Whether no pair is done.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl<'a> From<&'a [(u32, &'a str)]> for Done<'a> {
    fn from(pairs: &'a [(u32, &'a str)]) -> Self {
        Self(Repr::Pairs(pairs))
    }
}

impl<'a, const N: usize> From<&'a [(u32, &'a str); N]> for Done<'a> {
    fn from(pairs: &'a [(u32, &'a str); N]) -> Self {
        Self(Repr::Pairs(pairs))
    }
}

impl<'a> From<&'a Vec<(u32, &'a str)>> for Done<'a> {
    fn from(pairs: &'a Vec<(u32, &'a str)>) -> Self {
        Self(Repr::Pairs(pairs))
    }
}

impl<'a> IntoIterator for Done<'a> {
    type Item = (u32, &'a str);
    type IntoIter = DoneIter<'a>;

    fn into_iter(self) -> DoneIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for Done<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The pairs of a [`Done`], from [`Done::iter`].
#[derive(Clone)]
pub struct DoneIter<'a>(IterRepr<'a>);

#[derive(Clone)]
enum IterRepr<'a> {
    Runs(std::slice::Iter<'a, HandlerRun>),
    Pairs(std::slice::Iter<'a, (u32, &'a str)>),
}

impl<'a> Iterator for DoneIter<'a> {
    type Item = (u32, &'a str);

    fn next(&mut self) -> Option<(u32, &'a str)> {
        match &mut self.0 {
            IterRepr::Runs(runs) => runs.find_map(|run| {
                let event = u32::try_from(run.event).ok()?;
                run.result.is_done().then_some((event, &*run.handler))
            }),
            IterRepr::Pairs(pairs) => pairs.next().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::outcome::{Name, RunResult, Timing};

    fn run(event: usize, handler: &'static str, result: RunResult) -> HandlerRun {
        HandlerRun {
            event,
            handler: Name::Static(handler),
            result,
            timing: Timing::none(Instant::now()),
        }
    }

    #[test]
    fn the_runs_that_are_done_in_order() {
        let runs = [
            run(0, "a", RunResult::Succeeded),
            run(0, "b", RunResult::Failed("no".into())),
            run(1, "a", RunResult::AlreadyDone),
            run(1, "b", RunResult::Unprocessable("bad data".into())),
            run(2, "a", RunResult::TimedOut),
            run(2, "b", RunResult::Panicked("boom".into())),
            run(3, "a", RunResult::NotStarted),
            run(3, "b", RunResult::Succeeded),
        ];
        let done = Done::runs(&runs);
        // Work done on an earlier delivery was recorded by it; failures are not done.
        assert_eq!(
            done.iter().collect::<Vec<_>>(),
            [(0, "a"), (1, "b"), (3, "b")]
        );
        assert_eq!(format!("{done:?}"), r#"[(0, "a"), (1, "b"), (3, "b")]"#);
        assert!(!done.is_empty());
        let none = [run(0, "a", RunResult::Failed("no".into()))];
        assert!(Done::runs(&none).is_empty());
    }
}
