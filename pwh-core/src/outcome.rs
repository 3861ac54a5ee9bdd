//! What happened to one webhook: every handler run, its result and its time.

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;

use crate::store_error::StoreError;

/// The result of one handler on one event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunResult {
    /// It succeeded.
    Succeeded,
    /// It already succeeded on an earlier delivery of the same body, so it was not run again.
    AlreadyDone,
    /// A deferred handler: its job was recorded, for workers to run later.
    Deferred,
    /// It returned an error that a retry may fix: the message.
    Failed(String),
    /// It failed in a way no retry can fix (a parameter that cannot be read from this body,
    /// or a [`Permanent`](crate::Permanent) error): the message. Remembered as done.
    Unprocessable(String),
    /// It panicked: the panic message.
    Panicked(String),
    /// It was still running when the webhook's deadline passed.
    TimedOut,
    /// The deadline passed, or the delivery's lease was lost, before it started.
    NotStarted,
    /// It was still running when the delivery's lease was lost (the store stalled or failed):
    /// it was stopped, so that no other delivery runs it at the same time.
    Stopped,
}

impl RunResult {
    /// Whether the handler's work is done (now or on an earlier delivery).
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Succeeded | Self::AlreadyDone | Self::Deferred)
    }

    /// Whether this run's work is done for this body: it succeeded now, or failed in a way no
    /// retry can fix. (Work done on an earlier delivery is recorded there.)
    pub(crate) fn is_done(&self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Unprocessable(_) | Self::Deferred
        )
    }

    /// Whether a retry may fix it: a failure, a panic, the deadline.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Failed(_) | Self::Panicked(_) | Self::TimedOut | Self::NotStarted | Self::Stopped
        )
    }
}

/// One handler's run on one event.
#[derive(Clone)]
pub struct HandlerRun {
    pub(crate) event: usize,
    pub(crate) handler: Name,
    pub(crate) result: RunResult,
    pub(crate) timing: Timing,
}

/// Equal when the event, the handler and the result are: how long it ran is not compared, so
/// that outcomes and responses can be compared in tests.
impl PartialEq for HandlerRun {
    fn eq(&self, other: &Self) -> bool {
        self.event == other.event && self.handler == other.handler && self.result == other.result
    }
}

impl Eq for HandlerRun {}

impl std::fmt::Debug for HandlerRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerRun")
            .field("event", &self.event)
            .field("handler", &&*self.handler)
            .field("result", &self.result)
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

/// When a run started and ended. Its duration is worked out only when someone asks for it:
/// nearly every run's is read by nobody.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) start: Instant,
    pub(crate) end: Instant,
}

impl Timing {
    /// A run that did not run (it was done before, or the deadline had passed): no time.
    pub(crate) fn none(at: Instant) -> Self {
        Self { start: at, end: at }
    }

    pub(crate) fn elapsed(self) -> Duration {
        self.end.saturating_duration_since(self.start)
    }
}

impl HandlerRun {
    /// The event's position in the body, from 0.
    pub fn event(&self) -> usize {
        self.event
    }

    /// The handler's name (for `#[on_event]`, the function's path).
    pub fn handler(&self) -> &str {
        &self.handler
    }

    /// What came of it.
    pub fn result(&self) -> &RunResult {
        &self.result
    }

    /// How long it ran.
    pub fn elapsed(&self) -> Duration {
        self.timing.elapsed()
    }
}

/// A handler's name as a run records it: copying it costs no allocation, and for handlers
/// named by a `&'static str` (every `#[on_event]` one) no reference count either.
#[derive(Debug, Clone)]
pub(crate) enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Self::Static(name) => name,
            Self::Shared(name) => name,
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Name {}

impl From<std::borrow::Cow<'static, str>> for Name {
    fn from(name: std::borrow::Cow<'static, str>) -> Self {
        match name {
            std::borrow::Cow::Borrowed(name) => Self::Static(name),
            std::borrow::Cow::Owned(name) => Self::Shared(name.into()),
        }
    }
}

/// What happened to one verified webhook: every handler run, in the order they finished
/// within each event, events in body order, and its [`Verdict`].
///
/// Equal when everything but the elapsed times is (see [`HandlerRun`]'s equality).
#[derive(Debug, Clone, Default)]
pub struct WebhookOutcome {
    pub(crate) runs: Vec<HandlerRun>,
    pub(crate) events: usize,
    pub(crate) time_ms: u64,
    pub(crate) elapsed: Duration,
    pub(crate) ended: Ended,
}

impl PartialEq for WebhookOutcome {
    fn eq(&self, other: &Self) -> bool {
        self.runs == other.runs
            && self.events == other.events
            && self.time_ms == other.time_ms
            && self.ended == other.ended
    }
}

impl Eq for WebhookOutcome {}

/// How a delivery ended besides its runs: exclusive states, one field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The handlers ran (or had nothing to run).
    #[default]
    Ran,
    /// Everything was done on an earlier delivery.
    Replayed,
    /// Another delivery still held the body at the deadline.
    Busy,
    /// The store could not answer, or the lease was lost. Boxed: rare, and an outcome is
    /// moved a few times per webhook.
    Unavailable(Box<StoreError>),
}

/// What became of a verified webhook, and so its answer: each variant maps to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict<'a> {
    /// Every handler succeeded (now or before), or failed in a way no retry can fix: 200.
    Handled,
    /// Some handler failed in a way a retry may fix: 500, and Pusher's retry runs what failed.
    Failed,
    /// Every handler had succeeded on an earlier delivery of the body: nothing ran, 200.
    Replayed,
    /// Another delivery of the body was still running at the deadline: nothing ran, 500.
    Busy,
    /// The delivery memory could not answer (nothing ran), or the delivery's lease was lost
    /// (the handlers still running were stopped): 503.
    Unavailable(&'a StoreError),
}

impl Verdict<'_> {
    /// The status to answer with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Handled | Self::Replayed => StatusCode::OK,
            Self::Failed | Self::Busy => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl WebhookOutcome {
    /// Every handler run.
    pub fn runs(&self) -> &[HandlerRun] {
        &self.runs
    }

    /// The runs that did not succeed: retryable failures and unprocessable events.
    pub fn failures(&self) -> impl Iterator<Item = &HandlerRun> {
        self.runs.iter().filter(|r| !r.result.is_success())
    }

    /// The runs that failed in a way a retry may fix.
    pub fn retryable(&self) -> impl Iterator<Item = &HandlerRun> {
        self.runs.iter().filter(|r| r.result.is_retryable())
    }

    /// What became of the webhook.
    pub fn verdict(&self) -> Verdict<'_> {
        match &self.ended {
            Ended::Ran if self.retryable().next().is_some() => Verdict::Failed,
            Ended::Ran => Verdict::Handled,
            Ended::Replayed => Verdict::Replayed,
            Ended::Busy => Verdict::Busy,
            Ended::Unavailable(error) => Verdict::Unavailable(error),
        }
    }

    /// Whether Pusher need not deliver the webhook again: every handler succeeded (or had
    /// on an earlier delivery), or failed in a way no retry can fix.
    pub fn is_success(&self) -> bool {
        self.status() == StatusCode::OK
    }

    /// How many events the webhook held.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The webhook's `time_ms`.
    pub fn time_ms(&self) -> u64 {
        self.time_ms
    }

    /// How long it took from the request's arrival until the last handler ended.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Whether every handler had already succeeded on an earlier delivery of this body, so
    /// nothing ran.
    pub fn is_replay(&self) -> bool {
        self.verdict() == Verdict::Replayed
    }

    /// Whether nothing ran because another delivery of the same body was still running past
    /// the deadline: answered with 500, so that Pusher delivers it again later.
    pub fn is_busy(&self) -> bool {
        self.verdict() == Verdict::Busy
    }

    /// Why nothing ran when the delivery memory could not answer (answered with 503, so that
    /// Pusher delivers the body again later).
    pub fn store_error(&self) -> Option<&StoreError> {
        match self.verdict() {
            Verdict::Unavailable(error) => Some(error),
            _ => None,
        }
    }

    /// The runs of the handler named `handler`.
    pub fn runs_of<'s>(&'s self, handler: &'s str) -> impl Iterator<Item = &'s HandlerRun> {
        self.runs.iter().filter(move |r| &*r.handler == handler)
    }

    /// The status of its [`verdict`](Self::verdict): 200 when nothing retryable failed; 503
    /// when the delivery memory could not answer or the lease was lost; else 500, so that
    /// Pusher retries.
    pub fn status(&self) -> StatusCode {
        self.verdict().status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(result: RunResult, took: Duration) -> HandlerRun {
        let start = Instant::now();
        HandlerRun {
            event: 0,
            handler: Name::Static("app::h"),
            result,
            timing: Timing {
                start,
                end: start + took,
            },
        }
    }

    #[test]
    fn outcomes_compare_equal_whatever_their_times() {
        let outcome = |took| WebhookOutcome {
            runs: vec![run(RunResult::Succeeded, took)],
            events: 1,
            elapsed: took,
            ..WebhookOutcome::default()
        };
        assert_eq!(
            outcome(Duration::from_millis(1)),
            outcome(Duration::from_secs(2))
        );
        let failed = WebhookOutcome {
            runs: vec![run(RunResult::Failed("no".into()), Duration::ZERO)],
            ..outcome(Duration::ZERO)
        };
        assert_ne!(failed, outcome(Duration::ZERO));
    }

    #[test]
    fn one_verdict_one_status() {
        let ran = |result| WebhookOutcome {
            runs: vec![run(result, Duration::ZERO)],
            ..WebhookOutcome::default()
        };
        assert_eq!(ran(RunResult::Succeeded).verdict(), Verdict::Handled);
        assert_eq!(
            ran(RunResult::Unprocessable("bad".into())).verdict(),
            Verdict::Handled
        );
        assert_eq!(ran(RunResult::Stopped).verdict(), Verdict::Failed);
        let ended = |ended| WebhookOutcome {
            ended,
            ..WebhookOutcome::default()
        };
        let error = StoreError::new(crate::store_error::StoreErrorKind::TimedOut, "slow");
        for (outcome, status) in [
            (ran(RunResult::Succeeded), 200),
            (ran(RunResult::TimedOut), 500),
            (ended(Ended::Replayed), 200),
            (ended(Ended::Busy), 500),
            (ended(Ended::Unavailable(Box::new(error))), 503),
        ] {
            assert_eq!(outcome.status().as_u16(), status, "{outcome:?}");
            assert_eq!(outcome.is_success(), status == 200);
        }
    }
}
