//! The dispatcher: verify, parse, check freshness, and run each event's handlers.

use std::future::{poll_fn, Future};
use std::panic::AssertUnwindSafe;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::{maybe_done, select, Either, MaybeDone};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::headers::{KEY, SIGNATURE};
use crate::outcome::Name;
use crate::redelivery::{Begin, DeliveryId, DeliveryLog, MemoryLog, Progress};
use crate::routes::Routes;
use crate::{
    registry, Clock, EventContext, Handler, HandlerInfo, HandlerRun, Headers, KeyRing, Outcome,
    Rejection, Response, RunResult, SystemClock, Webhook,
};

/// Verifies webhooks and hands each event to the handlers that want it.
///
/// Cheap to clone (an `Arc` inside); build one with [`Dispatcher::builder`] and give it to an
/// adapter (`pwh-axum`, `pwh-rocket`), or call [`Dispatcher::handle`] yourself.
///
/// For each request it:
/// 1. refuses other methods than `POST` (405) and bodies over the limit (413);
/// 2. verifies the signature over the raw body with the token named by `X-Pusher-Key` (401),
///    before any parsing;
/// 3. parses the body once (400 if it is not a webhook) and refuses a `time_ms` older than the
///    max age (401);
/// 4. runs, event after event in body order, the handlers of each event's kind and the
///    catch-all handlers, concurrently, within the deadline, catching panics;
/// 5. answers 200 when all succeeded, else 500 so that Pusher retries; the retry runs only the
///    handlers that did not succeed, and a replayed body runs nothing.
///
/// ```
/// use pwh_core::{Dispatcher, KeyRing, Token};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let keys = KeyRing::new([Token::new("app-key", "app-secret")]);
/// let dispatcher = Dispatcher::builder(keys).build();
///
/// let response = dispatcher.handle("GET", &[("X-Pusher-Key", "app-key")], b"").await;
/// assert_eq!(response.status(), 405);
/// # }
/// ```
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    keys: KeyRing,
    /// Every handler, in order.
    handlers: Vec<Slot>,
    /// The handlers of each kind.
    routes: Routes<Slot>,
    state: http::Extensions,
    clock: Box<dyn Clock>,
    max_age_ms: Option<u64>,
    body_limit: usize,
    deadline: Option<Duration>,
    log: Option<Box<dyn DeliveryLog>>,
}

#[derive(Clone)]
struct Slot {
    handler: HandlerRef,
    name: Name,
}

#[derive(Clone)]
enum HandlerRef {
    Registered(&'static dyn Handler),
    Added(Arc<dyn Handler>),
}

impl HandlerRef {
    fn get(&self) -> &dyn Handler {
        match self {
            Self::Registered(h) => *h,
            Self::Added(h) => h.as_ref(),
        }
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("keys", &self.inner.keys)
            .field("handlers", &self.inner.handlers.len())
            .field("max_age_ms", &self.inner.max_age_ms)
            .field("body_limit", &self.inner.body_limit)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Dispatcher`]; start with [`Dispatcher::builder`].
#[must_use]
pub struct DispatcherBuilder {
    keys: KeyRing,
    registered: bool,
    added: Vec<Box<dyn Handler>>,
    state: http::Extensions,
    clock: Box<dyn Clock>,
    max_age: Option<Duration>,
    body_limit: usize,
    deadline: Option<Duration>,
    log: Option<Box<dyn DeliveryLog>>,
}

impl Dispatcher {
    /// The default maximum age of a webhook: 10 minutes, which covers Pusher's 5 minutes of
    /// retries.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
    /// The default body limit: 1 MiB.
    pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
    /// The default deadline for a whole webhook: 3 seconds, under Pusher's 4.
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(3);

    /// A builder accepting webhooks signed by `keys`, with every `#[on_event]` handler of the
    /// binary and the defaults: 10 minute max age, 1 MiB body limit, 3 s deadline, in-memory
    /// redelivery memory of 100,000 bodies.
    pub fn builder(keys: KeyRing) -> DispatcherBuilder {
        DispatcherBuilder {
            keys,
            registered: true,
            added: Vec::new(),
            state: http::Extensions::new(),
            clock: Box::new(SystemClock),
            max_age: Some(Self::DEFAULT_MAX_AGE),
            body_limit: Self::DEFAULT_BODY_LIMIT,
            deadline: Some(Self::DEFAULT_DEADLINE),
            log: Some(Box::new(MemoryLog::default())),
        }
    }

    /// The handlers this dispatcher runs, in order.
    pub fn handlers(&self) -> Vec<HandlerInfo> {
        self.inner
            .handlers
            .iter()
            .map(|s| s.handler.get().info())
            .collect()
    }

    /// The key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    /// The body size limit, in bytes: adapters stop reading past it.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// Handles one request: `method`, its headers and its raw body, as received.
    ///
    /// Never panics on any input; the [`Response`] says which status to answer with. Needs a
    /// Tokio runtime when a deadline is set (the default).
    pub async fn handle<H>(&self, method: &str, headers: &H, body: &[u8]) -> Response
    where
        H: Headers + Sync + ?Sized,
    {
        let key = headers.header(KEY);
        let signature = headers.header(SIGNATURE);
        match self.check(method, key, signature, body) {
            Ok((key, id, hook, now_ms)) => {
                let response = Response::handled(self.dispatch(key, id, hook, now_ms).await);
                if let Some(outcome) = response.outcome().filter(|o| !o.is_success()) {
                    tracing::warn!(
                        status = response.status().as_u16(),
                        failed = outcome.failures().count(),
                        "Pusher webhook handlers failed; answering 500 so that Pusher retries"
                    );
                }
                response
            }
            Err(rejection) => {
                log_rejection(&rejection);
                Response::from(rejection)
            }
        }
    }

    /// Checks a request as [`handle`](Self::handle) does (method, size, signature, body,
    /// freshness) and returns the verified webhook without running any handler: for
    /// hand-written endpoints and framework extractors.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] (logged at `warn`) when the request is refused.
    pub fn verify<'b, H>(
        &'b self,
        method: &str,
        headers: &H,
        body: &'b [u8],
    ) -> Result<Webhook<'b>, Rejection>
    where
        H: Headers + ?Sized,
    {
        self.check(method, headers.header(KEY), headers.header(SIGNATURE), body)
            .map(|(key, _, mut hook, now_ms)| {
                hook.set_received(now_ms, key);
                hook
            })
            .inspect_err(log_rejection)
    }

    /// Everything before the handlers: method, size, signature, parse, freshness.
    fn check<'b>(
        &'b self,
        method: &str,
        key: Option<&str>,
        signature: Option<&str>,
        body: &'b [u8],
    ) -> Result<(&'b str, DeliveryId, Webhook<'b>, u64), Rejection> {
        let inner = &*self.inner;
        if method != "POST" {
            return Err(Rejection::MethodNotAllowed {
                method: method.chars().take(16).collect(),
            });
        }
        if body.len() > inner.body_limit {
            return Err(Rejection::PayloadTooLarge {
                limit: inner.body_limit,
            });
        }
        let verified = inner.keys.verify(key, signature, body)?;
        let hook = Webhook::parse(body)?;
        let now_ms = inner.clock.now_ms();
        if let Some(max_age_ms) = inner.max_age_ms {
            let age_ms = now_ms.saturating_sub(hook.time_ms());
            if age_ms > max_age_ms {
                return Err(Rejection::Stale { age_ms, max_age_ms });
            }
        }
        Ok((
            verified.token().key(),
            DeliveryId(*verified.signature()),
            hook,
            now_ms,
        ))
    }

    async fn dispatch(
        &self,
        key: &str,
        id: DeliveryId,
        mut hook: Webhook<'_>,
        now_ms: u64,
    ) -> Outcome {
        hook.set_received(now_ms, key);
        let inner = &*self.inner;
        let mut outcome = Outcome {
            runs: Vec::new(),
            events: hook.events().len(),
            time_ms: hook.time_ms(),
            elapsed: Duration::ZERO,
            replayed: false,
            busy: false,
        };
        let span = tracing::info_span!(
            "pusher_webhook",
            key,
            time_ms = hook.time_ms(),
            age_ms = now_ms.saturating_sub(hook.time_ms()),
            events = outcome.events,
        );
        let mut lease = None;
        let mut progress = None;
        if let Some(log) = inner.log.as_deref() {
            match self.begin(log, &id, hook.time_ms(), now_ms).await {
                Begin::New => {}
                Begin::Resume(Progress::Complete) => {
                    outcome.replayed = true;
                    span.in_scope(|| {
                        tracing::info!("already handled: a redelivery or replay runs nothing")
                    });
                    return outcome;
                }
                Begin::Resume(partial) => progress = Some(partial),
                Begin::Busy => {
                    outcome.busy = true;
                    span.in_scope(|| {
                        tracing::warn!(
                            "the same webhook is still being handled by another delivery; \
                             answering 500 so that Pusher delivers it again later"
                        )
                    });
                    return outcome;
                }
            }
            lease = Some(Lease {
                log,
                id: &id,
                finished: false,
            });
        }
        outcome.runs.reserve(outcome.events);
        let started = Instant::now();
        let finished = self
            .run_events(key, &hook, progress.as_ref(), started, &mut outcome.runs)
            .instrument(span)
            .await;
        outcome.elapsed = finished.saturating_duration_since(started);
        if let Some(lease) = lease {
            let progress = if outcome.is_success() {
                Progress::Complete
            } else {
                Progress::Partial(
                    outcome
                        .runs
                        .iter()
                        .filter(|r| r.result.is_success())
                        .filter_map(|r| Some((u32::try_from(r.event).ok()?, (*r.handler).into())))
                        .collect(),
                )
            };
            lease.finish(progress, now_ms);
        }
        outcome
    }

    /// Starts a delivery in the log. While another delivery of the same body runs, waits for
    /// it (at most the deadline) so that this one can answer with what it achieved.
    async fn begin(
        &self,
        log: &dyn DeliveryLog,
        id: &DeliveryId,
        time_ms: u64,
        now_ms: u64,
    ) -> Begin {
        let inner = &*self.inner;
        let max_age_ms = inner.max_age_ms.unwrap_or(millis(Self::DEFAULT_MAX_AGE));
        let expires_ms = time_ms.saturating_add(max_age_ms).max(now_ms);
        let deadline = inner.deadline.unwrap_or(Self::DEFAULT_DEADLINE);
        // The lease outlives the deadline a little, in case the process stalls.
        let lease_ms = millis(deadline).saturating_add(1_000);
        let begin =
            |now_ms: u64| log.begin(id, now_ms, expires_ms, now_ms.saturating_add(lease_ms));
        match begin(now_ms) {
            // Rare: the wait (and its timer) lives on the heap, not in every request's future.
            Begin::Busy => Box::pin(self.wait_while_busy(begin, deadline)).await,
            begin => begin,
        }
    }

    /// Asks `begin` again every 10 ms while it answers [`Begin::Busy`], for at most `deadline`.
    async fn wait_while_busy(&self, begin: impl Fn(u64) -> Begin, deadline: Duration) -> Begin {
        const POLL: Duration = Duration::from_millis(10);
        let mut waited = Duration::ZERO;
        loop {
            tokio::time::sleep(POLL).await;
            waited += POLL;
            match begin(self.inner.clock.now_ms()) {
                Begin::Busy if waited < deadline => {}
                begin => return begin,
            }
        }
    }

    /// Runs each event's handlers, events in body order, until the deadline (counted from
    /// `started`); returns when the last of them finished.
    ///
    /// The clock is read once per handler run, when it ends: a run's start is the end of the
    /// previous event's runs (or `started`). The deadline's timer is set only if a handler
    /// has to wait; handlers that finish at once are checked against it between events.
    async fn run_events(
        &self,
        key: &str,
        hook: &Webhook<'_>,
        progress: Option<&Progress>,
        started: Instant,
        runs: &mut Vec<HandlerRun>,
    ) -> Instant {
        let inner = &*self.inner;
        let deadline_at = inner.deadline.and_then(|d| started.checked_add(d));
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

/// A delivery in progress in the log: finished with its progress, or abandoned if dropped
/// before (the request was cancelled).
struct Lease<'a> {
    log: &'a dyn DeliveryLog,
    id: &'a DeliveryId,
    finished: bool,
}

impl Lease<'_> {
    fn finish(mut self, progress: Progress, now_ms: u64) {
        self.log.finish(self.id, progress, now_ms);
        self.finished = true;
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.log.abandon(self.id);
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn log_rejection(rejection: &Rejection) {
    tracing::warn!(
        status = rejection.status().as_u16(),
        reason = %rejection,
        "rejected Pusher webhook"
    );
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
    let result = match result {
        Ok(Ok(())) => {
            tracing::debug!(?elapsed, "handler succeeded");
            RunResult::Succeeded
        }
        Ok(Err(e)) => {
            // Named here, not only by the span: the span is at `debug`, this line at `warn`.
            tracing::warn!(handler = &*slot.name, event = cx.index, ?elapsed, error = %e, "handler failed");
            RunResult::Failed(e.to_string())
        }
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(handler = &*slot.name, event = cx.index, ?elapsed, panic = %message, "handler panicked");
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

/// The span of one handler's run on one event (at `debug`).
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

impl DispatcherBuilder {
    /// Adds a handler by hand: an `#[on_event]` handle (`pwh_core::handler!(my_fn)`) or your
    /// own [`Handler`]. A handler whose name is already present is ignored.
    pub fn handler(mut self, handler: impl Handler) -> Self {
        self.added.push(Box::new(handler));
        self
    }

    /// Whether to include every `#[on_event]` handler the binary registered (the default).
    /// Turn it off to run only handlers added with [`handler`](Self::handler).
    pub fn registered_handlers(mut self, include: bool) -> Self {
        self.registered = include;
        self
    }

    /// Makes `state` available to handlers as [`State<T>`](crate::State). One value per type.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.state.insert(crate::State(state));
        self
    }

    /// Reads "now" from `clock` instead of the system clock (for tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Refuses webhooks whose `time_ms` is older than `max_age` (default 10 minutes); `None`
    /// turns the check off.
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// Refuses bodies larger than `bytes` with 413 (default 1 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Bounds the time all handlers of one webhook may take (default 3 s); past it the
    /// answer is 500 and the unfinished handlers run again on Pusher's retry. `None` lets
    /// handlers run as long as they like (Pusher gives up after about 4 s).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Remembers deliveries in `log` instead of the default [`MemoryLog`].
    pub fn delivery_log(mut self, log: impl DeliveryLog) -> Self {
        self.log = Some(Box::new(log));
        self
    }

    /// Forgets deliveries: every delivery runs every handler, retries and replays included.
    pub fn without_delivery_log(mut self) -> Self {
        self.log = None;
        self
    }

    /// Builds the dispatcher and logs its handlers at `info`.
    pub fn build(self) -> Dispatcher {
        let mut slots: Vec<Slot> = Vec::new();
        let mut infos: Vec<HandlerInfo> = Vec::new();
        let registered = if self.registered {
            registry::registered()
        } else {
            Vec::new()
        };
        let all = registered
            .into_iter()
            .map(HandlerRef::Registered)
            .chain(self.added.into_iter().map(|h| HandlerRef::Added(h.into())));
        let mut names = std::collections::HashSet::new();
        for handler in all {
            let info = handler.get().info();
            if !names.insert(info.name().to_owned()) {
                tracing::warn!(handler = %info, "a handler with this name is already present; ignoring it");
                continue;
            }
            slots.push(Slot {
                handler,
                name: Name::from(info.name_cow().clone()),
            });
            infos.push(info);
        }
        let routes = Routes::new(
            infos
                .iter()
                .map(|info| info.route().clone())
                .zip(slots.iter().cloned()),
        );
        for info in &infos {
            tracing::info!(handler = %info, "Pusher webhook handler");
        }
        Dispatcher {
            inner: Arc::new(Inner {
                keys: self.keys,
                handlers: slots,
                routes,
                state: self.state,
                clock: self.clock,
                max_age_ms: self.max_age.map(millis),
                body_limit: self.body_limit,
                deadline: self.deadline,
                log: self.log,
            }),
        }
    }
}
