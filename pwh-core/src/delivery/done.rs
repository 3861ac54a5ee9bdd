//! What one delivery achieved: what [`DeliveryLog::finish`](crate::delivery::DeliveryLog::finish)
//! records of a body.

use std::fmt;

use crate::outcome::HandlerRun;

/// What one delivery of a body achieved, as the store records it.
///
/// A body's progress is kept as the `(event index, handler name)` pairs still to do, so that a
/// retry of a large batch costs what is left, not what was done:
///
/// - a delivery that began with nothing done ([`is_first`](Self::is_first)) tells the pairs
///   it left [`unfinished`](Self::unfinished) (failed, panicked, cut off, not started): they
///   become the body's pairs to do (or, if another delivery wrote them first, the pairs left
///   by both);
/// - a delivery that began with pairs to do tells those it [`finished`](Self::finished)
///   (succeeded, or failed in a way no retry can fix): they are taken off the pairs to do.
///
/// The body is complete when no pair is left. A view, not a copy: the dispatcher hands over
/// its handler runs as they are. Tests and other callers make one from a slice of pairs.
///
/// ```
/// use pwh_core::delivery::Done;
///
/// let left = [(0, "app::notify")];
/// let first = Done::first(&left);
/// assert!(first.is_first());
/// assert_eq!(first.unfinished().collect::<Vec<_>>(), left);
///
/// let retry = Done::retry(&left);
/// assert_eq!(retry.finished().collect::<Vec<_>>(), left);
/// ```
#[derive(Clone, Copy)]
pub struct Done<'a> {
    repr: Repr<'a>,
    first: bool,
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    Runs(&'a [HandlerRun]),
    Pairs(&'a [(u32, &'a str)]),
}

impl<'a> Done<'a> {
    /// The record of `runs`, by a delivery that began with nothing done when `first`.
    pub(crate) fn runs(runs: &'a [HandlerRun], first: bool) -> Self {
        Self {
            repr: Repr::Runs(runs),
            first,
        }
    }

    /// A delivery that began with nothing done and left `unfinished` to do.
    pub fn first(unfinished: &'a [(u32, &'a str)]) -> Self {
        Self {
            repr: Repr::Pairs(unfinished),
            first: true,
        }
    }

    /// A delivery that began with pairs to do and finished `finished` of them.
    pub fn retry(finished: &'a [(u32, &'a str)]) -> Self {
        Self {
            repr: Repr::Pairs(finished),
            first: false,
        }
    }

    /// Whether the delivery began with nothing done: then it tells what it left
    /// [`unfinished`](Self::unfinished); else what it [`finished`](Self::finished).
    pub fn is_first(&self) -> bool {
        self.first
    }

    /// The pairs a first delivery left to do (empty for a retry's record).
    pub fn unfinished(&self) -> Pairs<'a> {
        self.pairs(true)
    }

    /// The pairs a retry finished (empty for a first delivery's record).
    pub fn finished(&self) -> Pairs<'a> {
        self.pairs(false)
    }

    fn pairs(&self, unfinished: bool) -> Pairs<'a> {
        let wanted = self.first == unfinished;
        Pairs {
            repr: match self.repr {
                Repr::Runs(runs) if wanted => IterRepr::Runs(runs.iter()),
                Repr::Pairs(pairs) if wanted => IterRepr::Pairs(pairs.iter()),
                _ => IterRepr::Pairs([].iter()),
            },
            unfinished,
        }
    }
}

impl fmt::Debug for Done<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first {
            f.debug_struct("Done")
                .field("unfinished", &self.unfinished().collect::<Vec<_>>())
                .finish()
        } else {
            f.debug_struct("Done")
                .field("finished", &self.finished().collect::<Vec<_>>())
                .finish()
        }
    }
}

/// Pairs of a [`Done`], from [`Done::unfinished`] or [`Done::finished`].
#[derive(Clone)]
pub struct Pairs<'a> {
    repr: IterRepr<'a>,
    unfinished: bool,
}

#[derive(Clone)]
enum IterRepr<'a> {
    Runs(std::slice::Iter<'a, HandlerRun>),
    Pairs(std::slice::Iter<'a, (u32, &'a str)>),
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (u32, &'a str);

    fn next(&mut self) -> Option<(u32, &'a str)> {
        match &mut self.repr {
            IterRepr::Runs(runs) => {
                let unfinished = self.unfinished;
                runs.find_map(|run| {
                    let event = u32::try_from(run.event).ok()?;
                    let wanted = if unfinished {
                        run.result.is_retryable()
                    } else {
                        run.result.is_done()
                    };
                    wanted.then_some((event, &*run.handler))
                })
            }
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
    fn a_first_delivery_tells_what_it_left_a_retry_what_it_finished() {
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
        let first = Done::runs(&runs, true);
        assert_eq!(
            first.unfinished().collect::<Vec<_>>(),
            [(0, "b"), (2, "a"), (2, "b"), (3, "a")]
        );
        assert_eq!(first.finished().count(), 0);
        let retry = Done::runs(&runs, false);
        // Work done on an earlier delivery was recorded by it; failures are not done.
        assert_eq!(
            retry.finished().collect::<Vec<_>>(),
            [(0, "a"), (1, "b"), (3, "b")]
        );
        assert_eq!(retry.unfinished().count(), 0);
        assert_eq!(
            format!("{retry:?}"),
            r#"Done { finished: [(0, "a"), (1, "b"), (3, "b")] }"#
        );
    }
}
