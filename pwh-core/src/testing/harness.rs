//! `Harness`: deliver test webhooks in-process to your handlers, and what one delivery did.

use std::sync::Arc;

use super::{names_match, test_token, SignedRequest, TestWebhook, TEST_TIME_MS};
use std::time::Duration;

use crate::clock::{Clock, FixedClock};
use crate::dispatcher::{Dispatcher, DispatcherBuilder};
use crate::handler::EventHandler;
use crate::jobs::{JobCounts, JobInfo, JobQuery, MemoryJobs};
use crate::keyring::KeyRing;
use crate::outcome::{HandlerRun, RunResult};
use crate::response::WebhookResponse;

/// Delivers test webhooks in-process to handlers, through a real [`Dispatcher`] that trusts
/// the [test token](test_token) and whose clock stands 1 s after each webhook's `time_ms`.
///
/// Its delivery memory is on, as in production: delivering the same webhook twice runs
/// only what failed the first time. Deferred handlers' jobs go to a [`MemoryJobs`] on the
/// harness's clock (unless `configure` gives another store): a delivery records them,
/// [`run_due_jobs`](Self::run_due_jobs) runs those due, [`advance`](Self::advance) moves the
/// clock through their backoffs.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use pwh_core::on_event;
/// use pwh_core::testing::{Harness, TestWebhook};
///
/// #[on_event("member_added", deferred(backoff = "2s"))]
/// async fn welcome(user_id: &str) {}
///
/// let harness = Harness::with_handlers([pwh_core::handler!(welcome)]);
/// let delivery = harness.deliver(TestWebhook::new().member_added("presence-room", "ada")).await;
/// delivery.assert_ok();
/// assert!(delivery.deferred("welcome"), "recorded as a job, not run yet");
/// assert_eq!(harness.run_due_jobs().await, 1);
/// assert_eq!(harness.job_counts().await.done, 1);
/// # }
/// ```
pub struct Harness {
    dispatcher: Dispatcher,
    clock: Arc<FixedClock>,
}

impl Harness {
    /// A harness running every `#[on_event]` handler of the test binary.
    pub fn new() -> Self {
        Self::configure(|b| b)
    }

    /// A harness running only `handlers`, e.g. `[handler!(greet)]`.
    pub fn with_handlers<H: EventHandler>(handlers: impl IntoIterator<Item = H>) -> Self {
        Self::configure(|b| {
            handlers
                .into_iter()
                .fold(b.registered_handlers(false), DispatcherBuilder::handler)
        })
    }

    /// A harness whose dispatcher is configured by `configure` (add state, handlers, limits).
    /// The key ring and the clock are the harness's.
    pub fn configure(configure: impl FnOnce(DispatcherBuilder) -> DispatcherBuilder) -> Self {
        let clock = Arc::new(FixedClock::new(TEST_TIME_MS));
        let builder = Dispatcher::builder(KeyRing::new([test_token()]))
            .job_store(MemoryJobs::with_clock(Arc::clone(&clock)));
        let dispatcher = configure(builder).clock(Arc::clone(&clock)).build();
        Self { dispatcher, clock }
    }

    /// The dispatcher, e.g. to mount in a framework test.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Signs and delivers `webhook`, with the clock 1 s after its `time_ms`.
    pub async fn deliver(&self, webhook: TestWebhook) -> Delivery {
        self.clock.set(webhook.time_ms.saturating_add(1_000));
        let request = webhook.signed();
        self.deliver_signed(&request).await
    }

    /// Delivers an already signed request (the clock stays where it is).
    pub async fn deliver_signed(&self, request: &SignedRequest) -> Delivery {
        let response = self
            .dispatcher
            .handle("POST", request.headers.as_slice(), &request.body)
            .await;
        Delivery { response }
    }

    /// Sets the clock, for freshness tests.
    pub fn set_now_ms(&self, now_ms: u64) {
        self.clock.set(now_ms);
    }

    /// Moves the clock `by` forward: past a job's backoff, for one.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.clock.set(self.clock.now_ms().saturating_add(by));
    }

    /// Runs the deferred handlers' jobs due now (again and again while failures come due at
    /// once), as workers would; answers how many attempts ran.
    pub async fn run_due_jobs(&self) -> usize {
        self.dispatcher
            .workers()
            .lease(Duration::from_secs(30))
            .run_due()
            .await
    }

    /// The jobs recorded so far, oldest first, with their payloads.
    pub async fn jobs(&self) -> Vec<JobInfo> {
        let Some(store) = self.dispatcher.job_store() else {
            return Vec::new();
        };
        let query = JobQuery {
            state: None,
            limit: usize::MAX,
            with_payload: true,
        };
        store.list(&query).await.unwrap_or_default()
    }

    /// How many jobs are in each state.
    pub async fn job_counts(&self) -> JobCounts {
        match self.dispatcher.job_store() {
            Some(store) => store.counts().await.unwrap_or_default(),
            None => JobCounts::default(),
        }
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// What one delivery did: status, and each handler's run.
#[derive(Debug, Clone)]
pub struct Delivery {
    response: WebhookResponse,
}

impl Delivery {
    /// The HTTP status the endpoint would answer with.
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    /// The full response.
    pub fn response(&self) -> &WebhookResponse {
        &self.response
    }

    /// Every handler run (empty when the webhook was refused).
    pub fn runs(&self) -> &[HandlerRun] {
        self.response.outcome().map_or(&[], |o| o.runs())
    }

    /// The runs of the handler `name`: its full path, or its last segment (`"greet"` matches
    /// `my_app::handlers::greet`).
    pub fn runs_of<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s HandlerRun> + 's {
        self.runs()
            .iter()
            .filter(move |r| names_match(r.handler(), name))
    }

    /// Whether deferred handler `name`'s job was recorded for at least one event in this
    /// delivery.
    pub fn deferred(&self, name: &str) -> bool {
        self.runs_of(name)
            .any(|r| *r.result() == RunResult::Deferred)
    }

    /// Whether handler `name` succeeded on at least one event in this delivery.
    pub fn ran(&self, name: &str) -> bool {
        self.runs_of(name)
            .any(|r| *r.result() == RunResult::Succeeded)
    }

    /// The events (body indices) handler `name` ran on in this delivery, successfully or not.
    pub fn events_of(&self, name: &str) -> Vec<usize> {
        self.runs_of(name)
            .filter(|r| !matches!(r.result(), RunResult::AlreadyDone | RunResult::NotStarted))
            .map(HandlerRun::event)
            .collect()
    }

    /// The first failure message of handler `name` (its error or panic message).
    pub fn failure(&self, name: &str) -> Option<String> {
        self.runs_of(name).find_map(|r| match r.result() {
            RunResult::Failed(m) | RunResult::Panicked(m) | RunResult::Unprocessable(m) => {
                Some(m.clone())
            }
            RunResult::TimedOut => Some("timed out".to_owned()),
            RunResult::Stopped => Some("stopped: the delivery's lease was lost".to_owned()),
            _ => None,
        })
    }

    /// Panics with the failures unless the status is 200.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(
            self.status() == 200,
            "expected 200, got {}: {:?} {:?}",
            self.status(),
            self.response.rejection(),
            self.response
                .outcome()
                .map(|o| o.failures().collect::<Vec<_>>())
        );
    }
}
