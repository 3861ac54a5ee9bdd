//! Delivering a checked webhook: begin it in the delivery memory, run what is left to do,
//! record what it achieved, and log the outcome.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tracing::Instrument;

use super::check::Checked;
use super::{defer, run, Dispatcher, Inner};
use crate::delivery::{Leased, Started};
use crate::observe;
use crate::outcome::{Ended, HandlerRun, RunResult, Timing, Verdict, WebhookOutcome};
use crate::store_error::{StoreError, StoreErrorKind};
use crate::webhook::Webhook;

/// How long after the deadline the store may take to record a delivery before the answer
/// leaves without waiting for it (the record is then made in the background).
const RECORD_GRACE: Duration = Duration::from_millis(50);

impl Dispatcher {
    /// Runs the handlers of a checked request that the delivery memory does not name as
    /// done, and records what they achieved.
    pub(super) async fn dispatch(&self, checked: Checked<'_>, arrived: Instant) -> WebhookOutcome {
        let Checked {
            key,
            id,
            mut webhook,
            now_ms,
        } = checked;
        webhook.set_received(now_ms, key);
        observe::events(webhook.events());
        let inner = &*self.inner;
        let mut outcome = WebhookOutcome {
            events: webhook.events().len(),
            time_ms: webhook.time_ms(),
            ..WebhookOutcome::default()
        };
        let span = tracing::info_span!(
            "pusher_webhook",
            key,
            time_ms = webhook.time_ms(),
            events = outcome.events,
        );
        let deadline_at = inner.deadline.and_then(|d| arrived.checked_add(d));
        let mut delivery = None;
        let mut progress = None;
        if let Some(memory) = &inner.memory {
            let keep_for = self.keep_for(webhook.time_ms(), now_ms);
            let wait = inner.deadline.unwrap_or(Self::DEFAULT_DEADLINE);
            let started = match span.in_scope(|| memory.start_now(id, keep_for, wait)) {
                Some(started) => started,
                None => {
                    let wait_until = tokio::time::Instant::from_std(arrived) + wait;
                    let started = memory.start(id, keep_for, wait_until);
                    started.instrument(span.clone()).await
                }
            };
            let stopped = match started {
                Started::Run(run, left) => {
                    delivery = Some(run);
                    progress = Some(left).filter(|left| !left.is_first());
                    false
                }
                Started::Untracked => false,
                Started::Complete => {
                    outcome.ended = Ended::Replayed;
                    true
                }
                Started::Busy => {
                    outcome.ended = Ended::Busy;
                    true
                }
                Started::Unavailable(error) => {
                    outcome.ended = Ended::Unavailable(Box::new(error));
                    true
                }
            };
            if stopped {
                outcome.elapsed = arrived.elapsed();
                span.in_scope(|| log_outcome(&outcome));
                return outcome;
            }
        }
        let mut cancelled = Cancelled {
            delivery,
            inner,
            webhook: &webhook,
        };
        let mut untracked = Vec::new();
        let (lease, runs) = match &mut cancelled.delivery {
            Some(delivery) => {
                let (lease, runs) = delivery.parts();
                (Some(lease), runs)
            }
            None => (None, &mut untracked),
        };
        runs.reserve(outcome.events);
        // Deferred handlers' jobs are recorded first: should the store fail, the inline
        // handlers still run, and the answer (503) makes Pusher retry what is left.
        let mut unrecorded = None;
        if inner.jobs.is_some() {
            let body = defer::Body {
                id: &id,
                key,
                webhook: &webhook,
                received_ms: now_ms,
            };
            let deferred = defer::defer(inner, body, progress.as_ref(), deadline_at, runs);
            unrecorded = deferred.instrument(span.clone()).await.err();
        }
        let ran = run::run_events(
            inner,
            key,
            &webhook,
            progress.as_ref(),
            run::Bounds {
                started: arrived,
                deadline_at,
                lease,
            },
            runs,
        )
        .instrument(span.clone())
        .await;
        outcome.elapsed = ran.at.saturating_duration_since(arrived);
        outcome.runs = match cancelled.delivery.take() {
            Some(delivery) => match span.in_scope(|| delivery.finish_now()) {
                Ok(runs) => runs,
                Err(delivery) => {
                    let give_up_at = deadline_at
                        .and_then(|at| at.checked_add(RECORD_GRACE))
                        .map(tokio::time::Instant::from_std);
                    delivery.finish(give_up_at).instrument(span.clone()).await
                }
            },
            None => untracked,
        };
        if let Some(error) = unrecorded {
            outcome.ended = Ended::Unavailable(Box::new(error));
        }
        if ran.lease_lost {
            outcome.ended = Ended::Unavailable(Box::new(StoreError::new(
                StoreErrorKind::LeaseLost,
                "the lease went unconfirmed while handlers ran",
            )));
        }
        span.in_scope(|| log_outcome(&outcome));
        outcome
    }

    /// How long the memory keeps a body: until it would be refused as stale (at least a
    /// second), or the retention without a max age.
    fn keep_for(&self, time_ms: u64, now_ms: u64) -> Duration {
        match self.inner.limits.max_age_ms {
            Some(max_age_ms) => {
                Duration::from_millis(time_ms.saturating_add(max_age_ms).saturating_sub(now_ms))
                    .max(Duration::from_secs(1))
            }
            None => self.inner.retention,
        }
    }
}

/// A first delivery in progress: dropped before it finished (the request was cancelled), it
/// adds what did not start to its runs, so that its record names every pair left to do.
struct Cancelled<'d, 'w, 'b> {
    delivery: Option<Leased<'d>>,
    inner: &'d Inner,
    webhook: &'w Webhook<'b>,
}

impl Drop for Cancelled<'_, '_, '_> {
    fn drop(&mut self) {
        let Some(mut delivery) = self.delivery.take() else {
            return;
        };
        if delivery.is_first() {
            let (_, runs) = delivery.parts();
            let recorded: HashSet<(usize, String)> = runs
                .iter()
                .map(|run| (run.event, run.handler().to_owned()))
                .collect();
            let now = Instant::now();
            for (index, event) in self.webhook.events().iter().enumerate() {
                for slot in self.inner.routes.get(event.name()) {
                    if !recorded.contains(&(index, slot.name.to_string())) {
                        runs.push(HandlerRun {
                            event: index,
                            handler: slot.name.clone(),
                            result: RunResult::NotStarted,
                            timing: Timing::none(now),
                        });
                    }
                }
            }
        }
        // Its own drop records the runs and gives the lease back.
        drop(delivery);
    }
}

/// The one line a handled webhook leaves, inside its span: `info` when handled, `debug` for a
/// replay, `warn` when Pusher is asked to deliver it again.
fn log_outcome(outcome: &WebhookOutcome) {
    // Field values are computed only when the line's level is enabled.
    let elapsed_ms = || u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX);
    let skipped = || {
        outcome
            .runs
            .iter()
            .filter(|r| r.result == RunResult::AlreadyDone)
            .count()
    };
    let unprocessable = || {
        outcome
            .runs
            .iter()
            .filter(|r| matches!(r.result, RunResult::Unprocessable(_)))
            .count()
    };
    let status = || outcome.status().as_u16();
    match outcome.verdict() {
        Verdict::Unavailable(error) if error.kind() == StoreErrorKind::LeaseLost => {
            tracing::warn!(
                status = status(),
                %error,
                ran = outcome.runs.len() - skipped(),
                elapsed_ms = elapsed_ms(),
                "the delivery's lease was lost while its handlers ran: those still running \
                 were stopped; answering 503 so that Pusher retries what did not finish"
            );
        }
        Verdict::Unavailable(error) => {
            tracing::warn!(status = status(), %error, "delivery store unavailable; answering 503 so that Pusher retries, no handler ran");
        }
        Verdict::Busy => tracing::warn!(
            status = status(),
            elapsed_ms = elapsed_ms(),
            "the same webhook was still being handled by another delivery at the deadline; \
             answering 500 so that Pusher delivers it again later"
        ),
        Verdict::Replayed => tracing::debug!(
            status = status(),
            "already handled: a redelivery or replay runs nothing"
        ),
        Verdict::Handled => tracing::info!(
            status = status(),
            ran = outcome.runs.len() - skipped(),
            skipped = skipped(),
            unprocessable = unprocessable(),
            elapsed_ms = elapsed_ms(),
            "handled Pusher webhook"
        ),
        Verdict::Failed => tracing::warn!(
            status = status(),
            ran = outcome.runs.len() - skipped(),
            skipped = skipped(),
            failed = outcome.retryable().count(),
            unprocessable = unprocessable(),
            elapsed_ms = elapsed_ms(),
            "Pusher webhook handlers failed; answering 500 so that Pusher retries what failed"
        ),
    }
}
