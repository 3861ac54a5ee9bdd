//! What the tests share: a fresh file, a store on it, a counting handler (inline or
//! deferred), and a harness.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pwh_core::delivery::{Begin, LeaseTerms, LeaseToken, Progress};
use pwh_core::handler::{EventHandler, EventRoute, HandlerInfo};
use pwh_core::jobs::JobPolicy;
use pwh_core::testing::Harness;
use pwh_core::{EventContext, HandlerError};
use pwh_sqlite::SqliteStore;

/// A fresh directory (removed when dropped) and the path of a file in it.
pub(crate) fn fresh_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("pwh.sqlite");
    (dir, path)
}

/// Terms with a long lease and retention, given up in 5 s.
pub(crate) fn terms() -> LeaseTerms {
    LeaseTerms::new(
        Duration::from_secs(30),
        Duration::from_secs(600),
        Duration::from_secs(5),
    )
}

/// The lease and progress of a `Begin::Run`; a panic naming `step` otherwise.
pub(crate) fn leased(begin: Begin, step: &str) -> (LeaseToken, Progress) {
    match begin {
        Begin::Run { lease, progress } => (lease, progress),
        other => panic!("{step}: expected a lease, got {other:?}"),
    }
}

/// A catch-all handler counting its calls; it fails its first `failures` calls, and takes
/// `delay` for each.
#[derive(Clone)]
pub(crate) struct Counted {
    name: &'static str,
    calls: Arc<AtomicUsize>,
    failures: usize,
    delay: Duration,
    deferred: bool,
}

impl Counted {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            calls: Arc::default(),
            failures: 0,
            delay: Duration::ZERO,
            deferred: false,
        }
    }

    /// Deferred: recorded as a job under its name, run by workers.
    pub(crate) fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }

    pub(crate) fn failing_once(mut self) -> Self {
        self.failures = 1;
        self
    }

    pub(crate) fn taking(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[pwh_core::handler::async_trait]
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

/// A harness running `handlers` over `store`, its delivery memory and its job store.
pub(crate) fn harness(store: SqliteStore, handlers: &[&Counted]) -> Harness {
    Harness::configure(|builder| {
        handlers
            .iter()
            .map(|h| (*h).clone())
            .fold(builder.registered_handlers(false), |b, h| b.handler(h))
            .delivery_log(store.clone())
            .job_store(store)
    })
}
