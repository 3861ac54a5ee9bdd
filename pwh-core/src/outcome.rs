//! What happened to one webhook: every handler run, its result and its time.

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;

use crate::delivery::StoreError;

/// The result of one handler on one event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunResult {
    /// It succeeded.
    Succeeded,
    /// It already succeeded on an earlier delivery of the same body, so it was not run again.
    AlreadyDone,
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
        matches!(self, Self::Succeeded | Self::AlreadyDone)
    }

    /// Whether this run's work is done for this body: it succeeded now, or failed in a way no
    /// retry can fix. (Work done on an earlier delivery is recorded there.)
    pub(crate) fn is_done(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Unprocessable(_))
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

/// Equal when the event, the handler, the result and the time it ran are.
impl PartialEq for HandlerRun {
    fn eq(&self, other: &Self) -> bool {
        self.event == other.event
            && self.handler == other.handler
            && self.result == other.result
            && self.elapsed() == other.elapsed()
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
/// within each event, events in body order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookOutcome {
    pub(crate) runs: Vec<HandlerRun>,
    pub(crate) events: usize,
    pub(crate) time_ms: u64,
    pub(crate) elapsed: Duration,
    pub(crate) replayed: bool,
    pub(crate) busy: bool,
    /// Boxed: rare, and an outcome is moved a few times per webhook.
    pub(crate) unavailable: Option<Box<StoreError>>,
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

    /// Whether Pusher need not deliver the webhook again: every handler succeeded (or had
    /// on an earlier delivery), or failed in a way no retry can fix.
    pub fn is_success(&self) -> bool {
        !self.busy && self.unavailable.is_none() && self.retryable().next().is_none()
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
        self.replayed
    }

    /// Whether nothing ran because another delivery of the same body was still running past
    /// the deadline: answered with 500, so that Pusher delivers it again later.
    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// Why nothing ran when the delivery store could not answer (answered with 503, so that
    /// Pusher delivers the body again later).
    pub fn store_error(&self) -> Option<&StoreError> {
        self.unavailable.as_deref()
    }

    /// The runs of the handler named `handler`.
    pub fn runs_of<'s>(&'s self, handler: &'s str) -> impl Iterator<Item = &'s HandlerRun> {
        self.runs.iter().filter(move |r| &*r.handler == handler)
    }

    /// 200 when nothing retryable failed; 503 when the delivery store could not answer; else
    /// 500, so that Pusher retries.
    pub fn status(&self) -> StatusCode {
        if self.unavailable.is_some() {
            StatusCode::SERVICE_UNAVAILABLE
        } else if self.is_success() {
            StatusCode::OK
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
