//! The dispatcher: verify, parse, check freshness, and run each event's handlers once; its
//! builder and the clocks it can read the time from.

mod builder;
mod check;
mod defer;
mod deliver;
mod endpoint;
mod job_leases;
mod job_run;
mod run;
mod workers;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use builder::{BuildError, DispatcherBuilder};
use check::{check, log_rejection, Checked, Limits};
pub use endpoint::Endpoint;
pub use workers::{RunningWorkers, Workers};

pub use crate::clock::{Clock, FixedClock, SystemClock};
use crate::delivery::Memory;
use crate::handler::{EventHandler, HandlerInfo};
use crate::headers::{Headers, KEY, SIGNATURE};
use crate::jobs::{JobPolicy, JobStore};
use crate::keyring::KeyRing;
use crate::observe::{self, OutcomeHook};
use crate::outcome::Name;
use crate::rejection::Rejection;
use crate::response::WebhookResponse;
use crate::routes::Routes;
use crate::webhook::Webhook;

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
/// 4. begins a delivery in the delivery memory (waiting, within the deadline, while another
///    copy of the same body is being delivered);
/// 5. runs, event after event in body order, the handlers of each event's kind and the
///    catch-all handlers, concurrently, within the deadline, catching panics;
/// 6. answers 200 when all succeeded, else 500 so that Pusher retries; the retry runs only the
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
    limits: Limits,
    deadline: Option<Duration>,
    /// How long a body is remembered without a max age.
    retention: Duration,
    memory: Option<Memory>,
    /// Where deferred handlers' jobs are recorded (present when any handler is deferred).
    jobs: Option<Arc<dyn JobStore>>,
    on_outcome: Option<OutcomeHook>,
}

#[derive(Clone)]
struct Slot {
    handler: HandlerRef,
    name: Name,
    /// For a deferred handler: its job name and policy.
    job: Option<Arc<JobSlot>>,
}

/// What a deferred handler's jobs are recorded with.
struct JobSlot {
    /// The name its jobs carry.
    name: String,
    policy: JobPolicy,
}

#[derive(Clone)]
enum HandlerRef {
    Registered(&'static dyn EventHandler),
    Added(Arc<dyn EventHandler>),
}

impl HandlerRef {
    fn get(&self) -> &dyn EventHandler {
        match self {
            Self::Registered(h) => *h,
            Self::Added(h) => h.as_ref(),
        }
    }
}

impl Inner {
    /// Whether refusals outside `handle` must be reported (to the hook or the metrics).
    fn observed(&self) -> bool {
        self.on_outcome.is_some() || cfg!(feature = "metrics")
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("keys", &self.inner.keys)
            .field("handlers", &self.inner.handlers.len())
            .field("max_age_ms", &self.inner.limits.max_age_ms)
            .field("body_limit", &self.inner.limits.body_limit)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// The default maximum age of a webhook: 10 minutes, which covers Pusher's 5 minutes of
    /// retries.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
    /// The default body limit: 1 MiB.
    pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
    /// The default deadline of a request, from its arrival: 3 seconds, under Pusher's 4.
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(3);
    /// How long a body is remembered when the max age is off: 10 minutes.
    pub const DEFAULT_RETENTION: Duration = Duration::from_secs(600);

    /// A builder accepting webhooks signed by `keys`, with every `#[on_event]` handler of the
    /// binary and the defaults: 10 minute max age, 1 MiB body limit, 3 s deadline, in-memory
    /// delivery memory of 64 MiB ([`MemoryLog`](crate::delivery::MemoryLog)), failing closed.
    pub fn builder(keys: KeyRing) -> DispatcherBuilder {
        DispatcherBuilder::new(keys)
    }

    /// The handlers this dispatcher runs, in order.
    pub fn handlers(&self) -> Vec<HandlerInfo> {
        self.inner
            .handlers
            .iter()
            .map(|s| s.handler.get().info())
            .collect()
    }

    /// Where deferred handlers' jobs are recorded, if any handler is deferred (or a store
    /// was given): to count and list jobs, e.g. for a status page.
    pub fn job_store(&self) -> Option<&dyn JobStore> {
        self.inner.jobs.as_deref()
    }

    /// The key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    /// The body size limit, in bytes: adapters stop reading past it.
    pub fn body_limit(&self) -> usize {
        self.inner.limits.body_limit
    }

    /// Handles one request: `method`, its headers and its raw body, as received.
    ///
    /// Never panics on any input; the [`WebhookResponse`] says which status to answer with. Needs a
    /// Tokio runtime when a deadline is set (the default).
    pub async fn handle<H>(&self, method: &str, headers: &H, body: &[u8]) -> WebhookResponse
    where
        H: Headers + Sync + ?Sized,
    {
        let arrived = Instant::now();
        let key = headers.header(KEY);
        let response = match self.check(method, key, headers.header(SIGNATURE), body) {
            Ok(checked) => WebhookResponse::handled(self.dispatch(checked, arrived).await),
            Err(rejection) => {
                log_rejection(&rejection, key);
                WebhookResponse::from(rejection)
            }
        };
        if self.inner.observed() {
            observe::answered(self.inner.on_outcome.as_ref(), &response, arrived.elapsed());
        }
        response
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
        let key = headers.header(KEY);
        match self.check(method, key, headers.header(SIGNATURE), body) {
            Ok(Checked {
                key,
                mut webhook,
                now_ms,
                ..
            }) => {
                webhook.set_received(now_ms, key);
                Ok(webhook)
            }
            Err(rejection) => {
                log_rejection(&rejection, key);
                Err(rejection)
            }
        }
    }

    fn check<'b>(
        &'b self,
        method: &str,
        key: Option<&str>,
        signature: Option<&str>,
        body: &'b [u8],
    ) -> Result<Checked<'b>, Rejection> {
        let inner = &*self.inner;
        check(
            &inner.keys,
            &*inner.clock,
            &inner.limits,
            method,
            key,
            signature,
            body,
        )
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
