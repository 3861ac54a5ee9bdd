//! The document `GET /state` serves: the tracker's snapshot, the members welcomed in this
//! process, and the deferred jobs by state, read from the job store (so they survive restarts
//! when the store does).

use std::time::Duration;

use pwh_core::jobs::JobCounts;
use pwh_core::Dispatcher;
use serde::Serialize;

use crate::{App, Snapshot};

/// What `GET /state` answers, as JSON: every field of [`Snapshot`], plus `welcomed_total` and
/// `jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateReport {
    /// The tracker's state.
    #[serde(flatten)]
    pub tracker: Snapshot,
    /// `welcome_member`'s completions in this process.
    pub welcomed_total: u64,
    /// The deferred jobs by state, from the job store; `null` when the store did not answer
    /// within [`StateReport::STORE_WAIT`].
    pub jobs: Option<Jobs>,
}

/// The deferred jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Jobs {
    /// Waiting for an attempt (new, or retried after a failure).
    pub pending: u64,
    /// Being run by a worker.
    pub running: u64,
    /// Done (kept a day).
    pub done: u64,
    /// Failed their last attempt (kept a week, retryable with `pwh jobs retry`).
    pub dead: u64,
}

impl From<JobCounts> for Jobs {
    fn from(counts: JobCounts) -> Self {
        Self {
            pending: counts.pending,
            running: counts.running,
            done: counts.done,
            dead: counts.dead,
        }
    }
}

impl StateReport {
    /// How long the report waits for the job store's counts.
    pub const STORE_WAIT: Duration = Duration::from_secs(1);

    /// The state of `app`, with the job counts of `dispatcher`'s store (all zero when it has
    /// none: no handler is deferred).
    pub async fn read(app: &App, dispatcher: &Dispatcher) -> Self {
        let jobs = match dispatcher.job_store() {
            None => Some(Jobs::default()),
            Some(store) => match tokio::time::timeout(Self::STORE_WAIT, store.counts()).await {
                Ok(Ok(counts)) => Some(counts.into()),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "GET /state: the job store did not answer");
                    None
                }
                Err(_) => {
                    tracing::warn!("GET /state: the job store did not answer within 1 s");
                    None
                }
            },
        };
        Self {
            tracker: app.tracker.snapshot(),
            welcomed_total: app.welcomed_total(),
            jobs,
        }
    }

    /// The report as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use pwh_core::testing::{Harness, TestWebhook};
    use serde_json::json;

    use super::*;
    use crate::Config;

    #[tokio::test]
    async fn counts_jobs_by_state_and_keeps_every_tracker_field() {
        let app = App::default();
        let config = Config::from_vars(|_| None).unwrap();
        let harness = Harness::configure(|b| app.configure(b, &config));
        for user in ["alice", "bob"] {
            harness
                .deliver(TestWebhook::new().member_added("presence-lobby", user))
                .await
                .assert_ok();
        }
        let before = StateReport::read(&app, harness.dispatcher()).await;
        assert_eq!(
            before.jobs,
            Some(Jobs {
                pending: 2,
                ..Jobs::default()
            })
        );
        assert_eq!(before.welcomed_total, 0);
        assert_eq!(harness.run_due_jobs().await, 2);
        let after = StateReport::read(&app, harness.dispatcher()).await;
        let json: serde_json::Value = serde_json::from_str(&after.to_json()).unwrap();
        assert_eq!(
            json["jobs"],
            json!({"pending": 0, "running": 0, "done": 2, "dead": 0})
        );
        assert_eq!(json["welcomed_total"], 2);
        let tracker = serde_json::to_value(app.tracker.snapshot()).unwrap();
        for (field, value) in tracker.as_object().unwrap() {
            assert_eq!(&json[field], value, "{field}");
        }
        assert_eq!(json["members"]["presence-lobby"], json!(["alice", "bob"]));
    }
}
