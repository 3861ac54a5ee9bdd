//! Running handlers: each event's handlers concurrently, events in body order, within the
//! deadline, catching panics.

use std::future::{poll_fn, Future};
use std::panic::AssertUnwindSafe;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::{maybe_done, select, Either, MaybeDone};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use tracing::Instrument;

use super::{Inner, Slot};
use crate::context::EventContext;
use crate::delivery::Progress;
use crate::outcome::{HandlerRun, RunResult};
use crate::webhook::Webhook;

/// Runs each event's handlers, events in body order, until `deadline_at` (counted from the
/// request's arrival); returns when the last of them finished.
///
/// The clock is read once per handler run, when it ends: a run's start is the end of the
/// previous event's runs (or `started`). The deadline's timer is set only if a handler has to
/// wait; handlers that finish at once are checked against it between events.
pub(super) async fn run_events(
    inner: &Inner,
    key: &str,
    hook: &Webhook<'_>,
    progress: Option<&Progress>,
    started: Instant,
    deadline_at: Option<Instant>,
    runs: &mut Vec<HandlerRun>,
) -> Instant {
    let mut deadline = Deadline {
        at: deadline_at,
        timer: None,
    };
    let mut mark = started;
    let mut expired = false;
    for (index, event) in hook.events().iter().enumerate() {
        expired = expired || deadline_at.is_some_and(|at| mark >= at);
        let targets = inner.routes.get(event.name());
        let slots = || targets.iter();
        let done = |slot: &Slot| progress.is_some_and(|p| p.is_done(index, &slot.name));
        // Handlers that need not or cannot run are recorded as such; count the others.
        let first_run = runs.len();
        let mut count = 0;
        for slot in slots() {
            let result = if expired {
                RunResult::NotStarted
            } else if done(slot) {
                RunResult::AlreadyDone
            } else {
                count += 1;
                continue;
            };
            runs.push(HandlerRun {
                event: index,
                handler: slot.name.clone(),
                result,
                elapsed: Duration::ZERO,
            });
        }
        if count == 0 {
            continue;
        }
        let cx = EventContext {
            webhook: hook,
            event,
            index,
            key,
            state: &inner.state,
        };
        let start = mark;
        let only = if count == 1 {
            slots().find(|slot| !done(slot))
        } else {
            None
        };
        if let Some(only) = only {
            // The most common case: one handler, polled in place. Most handlers finish
            // in their first poll, before the deadline needs a timer.
            let span = handler_span(only, &cx);
            let mut run = pin!(run_one(only, cx, start));
            let polled = poll_fn(|task| {
                let _entered = span.enter();
                Poll::Ready(run.as_mut().poll(task))
            })
            .await;
            let finished = match polled {
                Poll::Ready(finished) => Some(finished),
                Poll::Pending => match select(run, &mut deadline).instrument(span).await {
                    Either::Left((finished, _)) => Some(finished),
                    Either::Right(((), _)) => None,
                },
            };
            match finished {
                Some((run, end)) => {
                    runs.push(run);
                    mark = end;
                }
                None => expired = true,
            }
        } else if count == 2 {
            // Two handlers (a kind's own and a catch-all one, say): polled in place too,
            // no task set to allocate.
            let mut futures = slots().filter(|slot| !done(slot)).map(|slot| {
                (
                    handler_span(slot, &cx),
                    maybe_done(run_one(slot, cx, start)),
                )
            });
            let (span_one, one) = futures.next().unzip();
            let (span_two, two) = futures.next().unzip();
            let (mut one, mut two) = (pin!(one), pin!(two));
            let both = poll_fn(|task| {
                let mut ready = true;
                for (span, run) in [(&span_one, one.as_mut()), (&span_two, two.as_mut())] {
                    if let (Some(span), Some(run)) = (span, run.as_pin_mut()) {
                        let _entered = span.enter();
                        ready &= run.poll(task).is_ready();
                    }
                }
                if ready {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            });
            if let Either::Right(_) = select(pin!(both), &mut deadline).await {
                expired = true;
            }
            let take = |run: Pin<&mut Option<MaybeDone<_>>>| {
                run.as_pin_mut().and_then(MaybeDone::take_output)
            };
            let mut finished = [take(one.as_mut()), take(two.as_mut())];
            if let [Some((_, a)), Some((_, b))] = &finished {
                if b < a {
                    finished.swap(0, 1);
                }
            }
            for (run, end) in finished.into_iter().flatten() {
                runs.push(run);
                mark = mark.max(end);
            }
        } else {
            let mut pending: FuturesUnordered<_> = slots()
                .filter(|slot| !done(slot))
                .map(|slot| run_one(slot, cx, start).instrument(handler_span(slot, &cx)))
                .collect();
            while !pending.is_empty() {
                let next = select(pending.next(), &mut deadline);
                match next.await {
                    Either::Left((Some((run, end)), _)) => {
                        runs.push(run);
                        mark = mark.max(end);
                    }
                    Either::Left((None, _)) => break,
                    Either::Right(((), _)) => {
                        expired = true;
                        break;
                    }
                }
            }
        }
        if expired {
            mark = Instant::now();
            // Whatever of this event's handlers has not finished was cut off.
            for slot in slots().filter(|slot| !done(slot)) {
                let finished = runs
                    .get(first_run..)
                    .unwrap_or_default()
                    .iter()
                    .any(|r| r.handler == slot.name);
                if !finished {
                    tracing::warn!(
                        handler = &*slot.name,
                        event = index,
                        "handler still running at the deadline"
                    );
                    runs.push(HandlerRun {
                        event: index,
                        handler: slot.name.clone(),
                        result: RunResult::TimedOut,
                        elapsed: mark.saturating_duration_since(start),
                    });
                }
            }
        }
    }
    mark
}

/// The deadline of a webhook's handlers, as a future. Its timer is made when first polled,
/// that is only when a handler has to wait, and on the heap: requests whose handlers finish at
/// once carry no timer.
struct Deadline {
    at: Option<Instant>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Future for Deadline {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<()> {
        let Some(at) = self.at else {
            return Poll::Pending;
        };
        self.timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())))
            .as_mut()
            .poll(task)
    }
}

/// Runs one handler on one event, catching panics; returns the run, timed from `started`,
/// and when it ended.
async fn run_one(slot: &Slot, cx: EventContext<'_>, started: Instant) -> (HandlerRun, Instant) {
    let handler = slot.handler.get();
    // A handler that never waits answers at once; the others give a future to poll.
    let call = std::panic::catch_unwind(AssertUnwindSafe(|| {
        handler.call_now(&cx).ok_or_else(|| handler.call(&cx))
    }));
    let result = match call {
        Ok(Ok(now)) => Ok(now),
        Ok(Err(future)) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    let ended = Instant::now();
    let elapsed = ended.saturating_duration_since(started);
    // Inside the webhook's span (key, time_ms): the lines at `warn` and `error` name the
    // handler and the event themselves, as the handler's span is at `debug`.
    let handler = &*slot.name;
    let event = cx.index;
    let result = match result {
        Ok(Ok(())) => {
            tracing::debug!(?elapsed, "handler succeeded");
            RunResult::Succeeded
        }
        Ok(Err(e)) if e.is_permanent() => {
            tracing::error!(handler, event, kind = cx.event.name(), ?elapsed, reason = %e, "handler cannot process this event; not retried");
            RunResult::Unprocessable(e.to_string())
        }
        Ok(Err(e)) => {
            tracing::warn!(handler, event, ?elapsed, error = %e, "handler failed; Pusher's retry runs it again");
            RunResult::Failed(e.to_string())
        }
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(handler, event, ?elapsed, panic = %message, "handler panicked; Pusher's retry runs it again");
            RunResult::Panicked(message)
        }
    };
    let run = HandlerRun {
        event: cx.index,
        handler: slot.name.clone(),
        result,
        elapsed,
    };
    (run, ended)
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

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
}
