//! Deferring: a body's deferred (event, handler) pairs become jobs, recorded before the
//! answer, for workers to run later.

use std::time::Instant;

use super::{Inner, Slot};
use crate::delivery::{DeliveryId, Progress, StoreError, StoreErrorKind};
use crate::jobs::{JobId, NewJob};
use crate::outcome::{HandlerRun, RunResult, Timing};
use crate::webhook::Webhook;

/// What a delivery needs to record its jobs.
pub(super) struct Body<'a, 'b> {
    pub(super) id: &'a DeliveryId,
    pub(super) key: &'a str,
    pub(super) webhook: &'a Webhook<'b>,
    pub(super) received_ms: u64,
}

/// Records a job for each deferred pair of `body` that `progress` does not name as done,
/// in one call to the job store (bounded by `deadline_at`), and pushes a run for each pair:
/// [`RunResult::Deferred`] once recorded, [`RunResult::NotStarted`] when the store could not
/// record them (then its error is returned: the webhook is answered 503 and Pusher's retry
/// records them; the store makes a job once however often it is recorded).
pub(super) async fn defer(
    inner: &Inner,
    body: Body<'_, '_>,
    progress: Option<&Progress>,
    deadline_at: Option<Instant>,
    runs: &mut Vec<HandlerRun>,
) -> Result<(), StoreError> {
    let Some(store) = &inner.jobs else {
        return Ok(());
    };
    let start = Instant::now();
    let mut pairs: Vec<(usize, &Slot)> = Vec::new();
    let mut jobs = Vec::new();
    for (index, event) in body.webhook.events().iter().enumerate() {
        for slot in inner.routes.get(event.name()) {
            let Some(job) = &slot.job else { continue };
            if progress.is_some_and(|p| p.is_done(index, &slot.name)) {
                continue;
            }
            let payload = match serde_json::to_string(event) {
                Ok(event) => format!(
                    r#"{{"time_ms":{},"events":[{event}]}}"#,
                    body.webhook.time_ms()
                ),
                Err(error) => {
                    return Err(StoreError::new(
                        StoreErrorKind::Failed,
                        format!("the event could not be written as a job: {error}"),
                    ))
                }
            };
            jobs.push(NewJob {
                id: JobId::of(body.id, index, &job.name),
                handler: job.name.clone(),
                kind: event.name().to_owned(),
                payload: payload.into_bytes(),
                key: body.key.to_owned(),
                index: u32::try_from(index).unwrap_or(u32::MAX),
                received_ms: body.received_ms,
                max_attempts: job.policy.attempts(),
            });
            pairs.push((index, slot));
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }
    let recorded = match deadline_at {
        Some(at) => tokio::time::timeout_at(at.into(), store.enqueue(&jobs))
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::new(
                    StoreErrorKind::TimedOut,
                    "the job store did not record the jobs before the deadline",
                ))
            }),
        None => store.enqueue(&jobs).await,
    };
    let result = if recorded.is_ok() {
        RunResult::Deferred
    } else {
        RunResult::NotStarted
    };
    let timing = Timing {
        start,
        end: Instant::now(),
    };
    for (index, slot) in pairs {
        runs.push(HandlerRun {
            event: index,
            handler: slot.name.clone(),
            result: result.clone(),
            timing,
        });
    }
    match &recorded {
        Ok(()) => tracing::debug!(jobs = jobs.len(), "deferred handlers' jobs recorded"),
        Err(error) => tracing::warn!(
            %error,
            jobs = jobs.len(),
            "the deferred handlers' jobs could not be recorded; answering 503 so that Pusher \
             retries"
        ),
    }
    recorded
}
