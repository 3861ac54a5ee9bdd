//! A catch-all handler counting its calls, for tests of stores and redeliveries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::context::EventContext;
use crate::handler::{EventHandler, EventRoute, HandlerError, HandlerInfo};
use crate::jobs::JobPolicy;

/// A handler of every event that counts its calls (clones share the count); it fails its
/// first calls when asked ([`failing_once`](Self::failing_once)) and takes a delay for each
/// when asked ([`taking`](Self::taking)), and runs as a deferred job when asked
/// ([`deferred`](Self::deferred)): to check what a store or a redelivery runs again.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use pwh_core::testing::{Counted, Harness, TestWebhook};
///
/// let counted = Counted::new("app::audit").failing_once();
/// let harness = Harness::with_handlers([counted.clone()]);
/// let webhook = TestWebhook::new().channel_vacated("news");
/// assert_eq!(harness.deliver(webhook.clone()).await.status(), 500);
/// assert_eq!(harness.deliver(webhook.clone()).await.status(), 200);
/// assert_eq!(harness.deliver(webhook).await.status(), 200, "a replay runs nothing");
/// assert_eq!(counted.calls(), 2);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Counted {
    name: &'static str,
    calls: Arc<AtomicUsize>,
    failures: usize,
    delay: Duration,
    deferred: bool,
}

impl Counted {
    /// A handler named `name` that always succeeds at once.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            calls: Arc::default(),
            failures: 0,
            delay: Duration::ZERO,
            deferred: false,
        }
    }

    /// Deferred (with the default [`JobPolicy`]): recorded as a job under its name, run by
    /// workers.
    #[must_use]
    pub fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }

    /// Fails its first call.
    #[must_use]
    pub fn failing_once(mut self) -> Self {
        self.failures = 1;
        self
    }

    /// Takes `delay` for each call.
    #[must_use]
    pub fn taking(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// How many times it was called, by it or its clones.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl EventHandler for Counted {
    fn info(&self) -> HandlerInfo {
        let info = HandlerInfo::new(self.name, EventRoute::Any);
        if self.deferred {
            info.deferred(JobPolicy::default())
        } else {
            info
        }
    }

    async fn call(&self, _cx: &EventContext<'_>) -> Result<(), HandlerError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if call < self.failures {
            return Err(HandlerError::new("failing once"));
        }
        Ok(())
    }
}
