//! `Recorder`: one recording catch-all handler.

use std::sync::{Arc, Mutex, PoisonError};

use crate::context::EventContext;
use crate::handler::{EventHandler, EventRoute, HandlerError, HandlerInfo};

/// A catch-all handler that records every event it receives, for tests: clones share one
/// record.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use pwh_core::testing::{Harness, Recorder, TestWebhook};
///
/// let recorder = Recorder::new();
/// let harness = Harness::with_handlers([recorder.clone()]);
/// harness.deliver(TestWebhook::new().channel_vacated("news").cache_miss("cache-a")).await.assert_ok();
/// assert_eq!(recorder.lines(), ["channel_vacated news", "cache_miss cache-a"]);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    seen: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Recorder {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event received so far, as JSON objects, in the order received.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every event received so far as `"<kind> <channel>"` (`-` when it has no channel).
    pub fn lines(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| {
                let field = |name| {
                    e.get(name)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("-")
                };
                format!("{} {}", field("name"), field("channel"))
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl EventHandler for Recorder {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new("pwh_core::testing::Recorder", EventRoute::Any)
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(cx.event().to_json());
        Ok(())
    }
}
