//! What the dispatcher reports about each answer beyond its log lines: the outcome hook, and
//! with the `metrics` feature, counters and histograms through the `metrics` facade.

use std::sync::Arc;
use std::time::Duration;

use crate::event::Event;
use crate::jobs::JobCounts;
use crate::response::WebhookResponse;

/// A function called with every answer the dispatcher gives (see
/// [`DispatcherBuilder::on_outcome`](crate::dispatcher::DispatcherBuilder::on_outcome)).
pub(crate) type OutcomeHook = Arc<dyn Fn(&WebhookResponse) + Send + Sync>;

/// Reports one answer given after `elapsed`: to the hook, and to the metrics.
pub(crate) fn answered(hook: Option<&OutcomeHook>, response: &WebhookResponse, elapsed: Duration) {
    if let Some(hook) = hook {
        hook(response);
    }
    #[cfg(feature = "metrics")]
    metrics::answered(response, elapsed);
    #[cfg(not(feature = "metrics"))]
    let _ = elapsed;
}

/// Counts the events of a verified webhook by kind.
pub(crate) fn events(events: &[Event<'_>]) {
    #[cfg(feature = "metrics")]
    for event in events {
        metrics::event(event.name());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = events;
}

/// Reports one job attempt of `handler`, ended as `result` (`done`, `retry`, `dead`,
/// `taken_over`); a job done also reports the time from its webhook's receipt, `received_ms`.
pub(crate) fn job_attempt(handler: &str, result: &'static str, received_ms: u64) {
    #[cfg(feature = "metrics")]
    metrics::job_attempt(handler, result, received_ms);
    #[cfg(not(feature = "metrics"))]
    let _ = (handler, result, received_ms);
}

/// Reports how many jobs are in each state.
pub(crate) fn job_counts(counts: &JobCounts) {
    #[cfg(feature = "metrics")]
    metrics::job_counts(counts);
    #[cfg(not(feature = "metrics"))]
    let _ = counts;
}

#[cfg(feature = "metrics")]
mod metrics {
    //! The metrics (labels bounded: status, reason, kind, handler name, result; never a
    //! channel, a user or a key):
    //!
    //! | name | type | labels |
    //! |---|---|---|
    //! | `pwh_webhooks_total` | counter | `status`, `reason` |
    //! | `pwh_webhook_duration_seconds` | histogram | `status` |
    //! | `pwh_events_total` | counter | `kind` |
    //! | `pwh_handler_runs_total` | counter | `handler`, `result` |
    //! | `pwh_handler_duration_seconds` | histogram | `handler` |
    //! | `pwh_job_attempts_total` | counter | `handler`, `result` (`done`, `retry`, `dead`, `taken_over`) |
    //! | `pwh_job_receipt_to_done_seconds` | histogram | `handler` |
    //! | `pwh_jobs` | gauge | `state` (`pending`, `running`, `done`, `dead`), read by the workers |

    use std::time::Duration;

    use ::metrics::{counter, histogram, SharedString};

    use crate::kind::KNOWN_KINDS;
    use crate::outcome::{Name, RunResult, Verdict};
    use crate::response::WebhookResponse;

    pub(super) fn answered(response: &WebhookResponse, elapsed: Duration) {
        let status = SharedString::from(response.status().as_str().to_owned());
        let reason = match (
            response.outcome().map(|o| o.verdict()),
            response.rejection(),
        ) {
            (_, Some(rejection)) => rejection.label(),
            (Some(Verdict::Unavailable(_)), None) => "store_unavailable",
            (Some(Verdict::Busy), None) => "busy",
            (Some(Verdict::Replayed), None) => "replay",
            (Some(Verdict::Failed), None) => "handler_failed",
            _ => "handled",
        };
        counter!("pwh_webhooks_total", "status" => status.clone(), "reason" => reason).increment(1);
        histogram!("pwh_webhook_duration_seconds", "status" => status).record(elapsed);
        for run in response.outcome().map(|o| o.runs()).unwrap_or_default() {
            let handler = match &run.handler {
                Name::Static(name) => SharedString::from(*name),
                Name::Shared(name) => SharedString::from(name.to_string()),
            };
            let result = match run.result() {
                RunResult::Succeeded => "succeeded",
                RunResult::AlreadyDone => "already_done",
                RunResult::Deferred => "deferred",
                RunResult::Failed(_) => "failed",
                RunResult::Unprocessable(_) => "unprocessable",
                RunResult::Panicked(_) => "panicked",
                RunResult::TimedOut => "timed_out",
                RunResult::NotStarted => "not_started",
                RunResult::Stopped => "stopped",
            };
            counter!("pwh_handler_runs_total", "handler" => handler.clone(), "result" => result)
                .increment(1);
            if !matches!(
                run.result(),
                RunResult::AlreadyDone | RunResult::NotStarted | RunResult::Deferred
            ) {
                histogram!("pwh_handler_duration_seconds", "handler" => handler)
                    .record(run.elapsed());
            }
        }
    }

    pub(super) fn job_attempt(handler: &str, result: &'static str, received_ms: u64) {
        let handler = SharedString::from(handler.to_owned());
        counter!("pwh_job_attempts_total", "handler" => handler.clone(), "result" => result)
            .increment(1);
        if result == "done" {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let waited_ms = now_ms.saturating_sub(u128::from(received_ms));
            histogram!("pwh_job_receipt_to_done_seconds", "handler" => handler)
                .record(waited_ms as f64 / 1000.0);
        }
    }

    pub(super) fn job_counts(counts: &crate::jobs::JobCounts) {
        for (state, n) in [
            ("pending", counts.pending),
            ("running", counts.running),
            ("done", counts.done),
            ("dead", counts.dead),
        ] {
            ::metrics::gauge!("pwh_jobs", "state" => state).set(n as f64);
        }
    }

    pub(super) fn event(name: &str) {
        counter!("pwh_events_total", "kind" => kind_label(name)).increment(1);
    }

    /// A kind as a metric label: the known kinds by name, every other one as `other`, so that
    /// labels stay bounded whatever senders put in `name`.
    fn kind_label(name: &str) -> &'static str {
        KNOWN_KINDS
            .iter()
            .find(|(kind, _)| *kind == name)
            .map_or("other", |(kind, _)| kind)
    }
}

#[cfg(all(test, feature = "metrics", feature = "testing"))]
mod tests {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use metrics_util::MetricKind;

    use crate::handler::handler_fn;
    use crate::handler::{EventRoute, HandlerError};
    use crate::testing::{Harness, TestWebhook};

    /// Every counter, as `name{label=value,...} = count`, sorted.
    fn counters(recorder: &DebuggingRecorder) -> Vec<String> {
        let mut lines: Vec<String> = recorder
            .snapshotter()
            .snapshot()
            .into_vec()
            .into_iter()
            .filter_map(|(key, _, _, value)| match (key.kind(), value) {
                (MetricKind::Counter, DebugValue::Counter(n)) => {
                    let key = key.key();
                    let mut labels: Vec<String> = key
                        .labels()
                        .map(|l| format!("{}={}", l.key(), l.value()))
                        .collect();
                    labels.sort();
                    Some(format!("{}{{{}}} = {n}", key.name(), labels.join(",")))
                }
                _ => None,
            })
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn webhooks_events_and_runs_are_counted_with_bounded_labels() {
        let recorder = DebuggingRecorder::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let harness = Harness::configure(|b| {
                    b.registered_handlers(false).handler(handler_fn(
                        "flaky",
                        EventRoute::kind("channel_vacated"),
                        |cx| match cx.event().str("channel") {
                            Some("bad") => Err(HandlerError::new("retry me")),
                            _ => Ok(()),
                        },
                    ))
                });
                let ok = TestWebhook::new()
                    .channel_vacated("fine")
                    .event(serde_json::json!({"name": "client-chosen-kind"}));
                harness.deliver(ok.clone()).await.assert_ok();
                harness.deliver(ok).await.assert_ok();
                let bad = harness
                    .deliver(TestWebhook::new().channel_vacated("bad"))
                    .await;
                assert_eq!(bad.status(), 500);
                let forged = TestWebhook::new()
                    .channel_vacated("x")
                    .signed()
                    .with_signature("00");
                assert_eq!(harness.deliver_signed(&forged).await.status(), 401);
            });
        });
        assert_eq!(
            counters(&recorder),
            [
                "pwh_events_total{kind=channel_vacated} = 3",
                "pwh_events_total{kind=other} = 2",
                "pwh_handler_runs_total{handler=flaky,result=failed} = 1",
                "pwh_handler_runs_total{handler=flaky,result=succeeded} = 1",
                "pwh_webhooks_total{reason=handled,status=200} = 1",
                "pwh_webhooks_total{reason=handler_failed,status=500} = 1",
                "pwh_webhooks_total{reason=malformed_signature,status=401} = 1",
                "pwh_webhooks_total{reason=replay,status=200} = 1",
            ]
        );
    }
}
