//! A handler that always fails, for tests of what a failure is answered with.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::context::EventContext;
use crate::handler::{EventHandler, EventRoute, HandlerError, HandlerInfo};

/// A handler named `failing` that fails on every event of its route with the same message,
/// counting its calls; clones share the count.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use pwh_core::testing::{Failing, Harness, TestWebhook};
/// use pwh_core::handler::EventRoute;
///
/// let failing = Failing::new(EventRoute::kind("channel_vacated"), "database unavailable");
/// let harness = Harness::with_handlers([failing.clone()]);
/// let delivery = harness.deliver(TestWebhook::new().channel_vacated("news")).await;
/// assert_eq!(delivery.status(), 500);
/// assert_eq!(delivery.failure("failing").as_deref(), Some("database unavailable"));
/// assert_eq!(failing.calls(), 1);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Failing {
    route: EventRoute,
    message: &'static str,
    calls: Arc<AtomicUsize>,
}

impl Failing {
    /// Fails on the events of `route` with `message`.
    pub fn new(route: EventRoute, message: &'static str) -> Self {
        Self {
            route,
            message,
            calls: Arc::default(),
        }
    }

    /// How many times it was called, by it or its clones.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl EventHandler for Failing {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new("failing", self.route.clone())
    }

    async fn call(&self, _: &EventContext<'_>) -> Result<(), HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(HandlerError::new(self.message))
    }
}
