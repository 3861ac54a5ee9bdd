//! Running handlers: each event's handlers concurrently, events in body order, within the
//! deadline, catching panics.

use std::any::Any;
use std::future::{poll_fn, Future};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::future::{select, Either};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

use super::{Inner, Slot};
use crate::context::EventContext;
use crate::delivery::{Held, Progress};
use crate::handler::HandlerError;
use crate::handler::HandlerFuture;
use crate::outcome::{HandlerRun, RunResult, Timing};
use crate::webhook::Webhook;

/// What a handler's call came to: its result, or the panic that ended it.
type Ended = Result<Result<(), HandlerError>, Box<dyn Any + Send>>;

/// How [`run_events`] ended.
pub(super) struct Ran {
    /// When the last handler finished (or was cut off).
    pub(super) at: Instant,
    /// Whether the delivery's lease was lost: the handlers still running were stopped.
    pub(super) lease_lost: bool,
}

/// When a delivery's handlers run: from `started`, until `deadline_at` (counted from the
/// request's arrival) or until `lease` is lost.
pub(super) struct Bounds<'l> {
    pub(super) started: Instant,
    pub(super) deadline_at: Option<Instant>,
    pub(super) lease: Option<&'l Held>,
}

/// Runs each event's handlers, events in body order, within `bounds`; returns when the last of them finished.
///
/// One path for any number of handlers: each is started (called, and its future polled once)
/// in place, in order; those that finish at once, nearly all of them, are recorded as they
/// end, and only those still waiting are awaited together, against the deadline. The clock
/// is read once per handler run, when it ends: a run's start is the end of the previous
/// event's runs (or `started`). The deadline's timer is set only if a handler has to wait;
/// handlers that finish at once are checked against it between events.
pub(super) async fn run_events(
    inner: &Inner,
    key: &str,
    hook: &Webhook<'_>,
    progress: Option<&Progress>,
    bounds: Bounds<'_>,
    runs: &mut Vec<HandlerRun>,
) -> Ran {
    let Bounds {
        started,
        deadline_at,
        lease,
    } = bounds;
    let mut stop = Stop {
        at: deadline_at,
        timer: None,
        lease,
    };
    let mut mark = started;
    let mut expired = false;
    let mut lease_lost = false;
    for (index, event) in hook.events().iter().enumerate() {
        expired = expired || deadline_at.is_some_and(|at| mark >= at);
        if !lease_lost && lease.is_some_and(Held::is_lost) {
            lease_lost = true;
            expired = true;
        }
        let cx = EventContext {
            webhook: hook,
            event,
            index,
            key,
            state: &inner.state,
            job: None,
        };
        let start = mark;
        // Made (on the heap) only when a handler has to wait.
        let mut waiting = None;
        for slot in inner.routes.get(event.name()) {
            if slot.job.is_some() {
                // Deferred: recorded as a job before the events ran.
                continue;
            }
            // Handlers that need not or cannot run are recorded as such.
            let result = if expired {
                RunResult::NotStarted
            } else if progress.is_some_and(|p| p.is_done(index, &slot.name)) {
                RunResult::AlreadyDone
            } else {
                // Nearly every handler ends within its call or its first poll, in place.
                let ended = match Run::start(slot, &cx) {
                    Start::Ended(ended) => Some((slot, ended, Instant::now())),
                    Start::Waiting(mut run) => {
                        match poll_fn(|task| Poll::Ready(run.poll_unpin(task))).await {
                            Poll::Ready(ended) => Some(ended),
                            Poll::Pending => {
                                waiting.get_or_insert_with(FuturesUnordered::new).push(run);
                                None
                            }
                        }
                    }
                };
                if let Some((slot, ended, end)) = ended {
                    runs.push(record(slot, &cx, ended, Timing { start, end }));
                    mark = mark.max(end);
                }
                continue;
            };
            runs.push(HandlerRun {
                event: index,
                handler: slot.name.clone(),
                result,
                timing: Timing::none(start),
            });
        }
        let Some(mut waiting) = waiting else {
            continue;
        };
        loop {
            match select(waiting.next(), &mut stop).await {
                Either::Left((Some((slot, ended, end)), _)) => {
                    runs.push(record(slot, &cx, ended, Timing { start, end }));
                    mark = mark.max(end);
                }
                Either::Left((None, _)) => break,
                Either::Right((why, _)) => {
                    expired = true;
                    lease_lost = why == Stopped::LeaseLost;
                    mark = Instant::now();
                    let result = match why {
                        Stopped::Deadline => RunResult::TimedOut,
                        Stopped::LeaseLost => RunResult::Stopped,
                    };
                    // Whatever of this event's handlers has not finished was cut off, in
                    // the handlers' order.
                    let cut_off =
                        |slot: &&Slot| waiting.iter().any(|run| std::ptr::eq(run.slot, *slot));
                    for slot in inner.routes.get(event.name()).iter().filter(cut_off) {
                        match why {
                            Stopped::Deadline => tracing::warn!(
                                handler = &*slot.name,
                                event = index,
                                "handler still running at the deadline; Pusher retries the \
                                 webhook and the handler runs again. A handler that needs longer \
                                 than Pusher's ~4 s window should answer fast and do its slow \
                                 work elsewhere; a deadline under 4 s can be raised with \
                                 DispatcherBuilder::deadline"
                            ),
                            Stopped::LeaseLost => tracing::warn!(
                                handler = &*slot.name,
                                event = index,
                                "handler still running when the delivery's lease was lost: \
                                 stopped"
                            ),
                        }
                        runs.push(HandlerRun {
                            event: index,
                            handler: slot.name.clone(),
                            result: result.clone(),
                            timing: Timing { start, end: mark },
                        });
                    }
                    drop_quietly(waiting);
                    break;
                }
            }
        }
    }
    Ran {
        at: mark,
        lease_lost,
    }
}

/// Drops the futures of handlers that were cut off; a panic raised by one of them while it
/// is dropped (a guard's `Drop`) is logged, never passed on to the caller.
fn drop_quietly<T>(cut_off: T) {
    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(move || drop(cut_off))) {
        tracing::error!(
            panic = %panic_message(panic.as_ref()),
            "a handler that was cut off panicked while it was dropped"
        );
    }
}

/// How a handler's call began: it ended within the call (a handler that never waits, or a
/// panic), or gave a future to poll.
enum Start<'a> {
    Ended(Ended),
    Waiting(Run<'a>),
}

/// One handler's run on one event that gave a future: polled inside its span, catching
/// panics. Ends with the slot, what the call came to, and when it ended.
struct Run<'a> {
    slot: &'a Slot,
    span: tracing::Span,
    future: HandlerFuture<'a>,
}

impl<'a> Run<'a> {
    /// Calls the handler of `slot` on `cx`'s event, inside its span, catching panics.
    fn start(slot: &'a Slot, cx: &'a EventContext<'a>) -> Start<'a> {
        let span = handler_span(slot, cx);
        let handler = slot.handler.get();
        let call = {
            let _entered = span.enter();
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                handler.call_now(cx).ok_or_else(|| handler.call(cx))
            }))
        };
        match call {
            Ok(Ok(now)) => Start::Ended(Ok(now)),
            Ok(Err(future)) => Start::Waiting(Self { slot, span, future }),
            Err(panic) => Start::Ended(Err(panic)),
        }
    }
}

impl<'a> Future for Run<'a> {
    type Output = (&'a Slot, Ended, Instant);

    fn poll(mut self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let _entered = this.span.enter();
        let ended =
            match std::panic::catch_unwind(AssertUnwindSafe(|| this.future.as_mut().poll(task))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(result)) => Ok(result),
                Err(panic) => Err(panic),
            };
        Poll::Ready((this.slot, ended, Instant::now()))
    }
}

/// Why the handlers still running were stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopped {
    Deadline,
    LeaseLost,
}

/// The deadline of a webhook's handlers, or the loss of its lease, as a future. Its timer is
/// made when first polled, that is only when a handler has to wait, and on the heap: requests
/// whose handlers finish at once carry no timer.
struct Stop<'l> {
    at: Option<Instant>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    lease: Option<&'l Held>,
}

impl Future for Stop<'_> {
    type Output = Stopped;

    fn poll(mut self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<Stopped> {
        if let Some(lease) = self.lease {
            if lease.poll_lost(task).is_ready() {
                return Poll::Ready(Stopped::LeaseLost);
            }
        }
        let Some(at) = self.at else {
            return Poll::Pending;
        };
        self.timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())))
            .as_mut()
            .poll(task)
            .map(|()| Stopped::Deadline)
    }
}

/// The run of `slot` on `cx`'s event that `ended` as `timing` says, logged when it failed.
fn record(slot: &Slot, cx: &EventContext<'_>, ended: Ended, timing: Timing) -> HandlerRun {
    // Worked out only for a line that is written.
    let elapsed = || timing.elapsed();
    // Inside the webhook's span (key, time_ms): the lines at `warn` and `error` name the
    // handler and the event themselves, as the handler's span is at `debug`.
    let handler = &*slot.name;
    let event = cx.index;
    let result = match ended {
        Ok(Ok(())) => {
            tracing::debug!(handler, event, elapsed = ?elapsed(), "handler succeeded");
            RunResult::Succeeded
        }
        Ok(Err(e)) if e.is_permanent() => {
            tracing::error!(handler, event, kind = cx.event.name(), elapsed = ?elapsed(), reason = %format_args!("{e:#}"), "handler cannot process this event; not retried");
            RunResult::Unprocessable(format!("{e:#}"))
        }
        Ok(Err(e)) => {
            tracing::warn!(handler, event, elapsed = ?elapsed(), error = %format_args!("{e:#}"), "handler failed; Pusher's retry runs it again");
            RunResult::Failed(format!("{e:#}"))
        }
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(handler, event, elapsed = ?elapsed(), panic = %message, "handler panicked; Pusher's retry runs it again");
            RunResult::Panicked(message)
        }
    };
    HandlerRun {
        event,
        handler: slot.name.clone(),
        result,
        timing,
    }
}

/// The span of one handler's run on one event, at `debug` (an `info` span per run costs
/// hundreds of instructions per event even with no subscriber listening, through `log`).
fn handler_span(slot: &Slot, cx: &EventContext<'_>) -> tracing::Span {
    tracing::debug_span!(
        "pusher_handler",
        handler = &*slot.name,
        event = cx.index,
        kind = cx.event.name()
    )
}

pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
}
