//! Running one claimed job: its handler on its event, within the attempt's timeout,
//! catching panics, stopped if another worker took the job over; then ending the attempt:
//! done, retried after a backoff, or dead.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tracing::Instrument;

use super::job_leases::Held;
use super::{HandlerRef, Inner};
use crate::context::EventContext;
use crate::delivery::StoreErrorKind;
use crate::handler::HandlerError;
use crate::jobs::{ClaimedJob, Job, JobEnd, JobPolicy, JobStore};
use crate::webhook::Webhook;

/// How an attempt came out, before it is recorded.
enum Attempt {
    Succeeded,
    Failed(HandlerError),
    /// Another worker took the job over: this one records nothing.
    TakenOver,
}

/// Runs `claimed` with `handler` and records how the attempt ended.
pub(super) async fn run_job(
    inner: Arc<Inner>,
    handler: HandlerRef,
    policy: JobPolicy,
    claimed: ClaimedJob,
    held: Held,
) {
    let ClaimedJob {
        job,
        lease: token,
        attempt,
    } = claimed;
    let span = tracing::info_span!(
        "pusher_job",
        handler = %job.handler,
        kind = %job.kind,
        attempt,
        job = %job.id,
    );
    let store = match &inner.jobs {
        Some(store) => store.clone(),
        None => return,
    };
    let run = attempt_job(&inner, &handler, policy, &job, attempt, &held);
    let ended = run.instrument(span.clone()).await;
    let end = match ended {
        Attempt::Succeeded => {
            span.in_scope(|| tracing::info!("job done"));
            crate::observe::job_attempt(&job.handler, "done", job.received_ms);
            JobEnd::Done
        }
        Attempt::TakenOver => {
            crate::observe::job_attempt(&job.handler, "taken_over", job.received_ms);
            span.in_scope(|| {
                tracing::warn!("job taken over by another worker (its lease ran out): stopped")
            });
            return;
        }
        Attempt::Failed(error) => {
            let error_text = format!("{error:#}");
            if error.is_permanent() || attempt >= job.max_attempts {
                span.in_scope(|| {
                    tracing::error!(error = %error_text, "job failed for the last time: dead (retry it with `pwh jobs retry`)")
                });
                crate::observe::job_attempt(&job.handler, "dead", job.received_ms);
                JobEnd::Dead { error: error_text }
            } else {
                crate::observe::job_attempt(&job.handler, "retry", job.received_ms);
                let after = policy.delay(attempt, spread(&job.id.0, attempt));
                span.in_scope(|| {
                    tracing::warn!(error = %error_text, retry_in = ?after, "job failed; it runs again later")
                });
                JobEnd::Retry {
                    after,
                    error: error_text,
                }
            }
        }
    };
    record_end(&*store, &job.id, token, end)
        .instrument(span)
        .await;
}

/// Runs the handler once: a plain `fn` on the blocking pool, an `async fn` on the runtime.
async fn attempt_job(
    inner: &Arc<Inner>,
    handler: &HandlerRef,
    policy: JobPolicy,
    job: &crate::jobs::NewJob,
    attempt: u32,
    held: &Held,
) -> Attempt {
    let webhook = match Webhook::parse(&job.payload) {
        Ok(webhook) if webhook.events().len() == 1 => Arc::new(webhook.into_owned()),
        _ => {
            return Attempt::Failed(HandlerError::permanent(
                "the job's payload is not a webhook of one event",
            ))
        }
    };
    let meta = Job::new(job.id, attempt, job.max_attempts, job.received_ms);
    let index = job.index as usize;
    // A handler that never waits runs on the blocking pool, where it may block.
    let mut blocking = {
        let (inner, handler, webhook, meta, key) = (
            inner.clone(),
            handler.clone(),
            webhook.clone(),
            meta.clone(),
            job.key.clone(),
        );
        // Nothing stops a blocking handler: its thread keeps the lease renewed until it
        // returns, even if this run is cancelled meanwhile (a shutdown past its grace), so
        // that no other run of the job starts while it still runs.
        let keep = held.keep();
        tokio::task::spawn_blocking(move || {
            let _keep = keep;
            let cx = context(&inner, &webhook, index, &key, &meta)?;
            handler.get().call_now(&cx)
        })
    };
    let timeout = policy.attempt_timeout();
    let joined = match tokio::time::timeout(timeout, &mut blocking).await {
        Ok(joined) => joined,
        Err(_) => {
            tracing::warn!(
                ?timeout,
                "the job's handler ran past its attempt timeout and cannot be stopped (it \
                 blocks its thread): its attempt ends when it returns"
            );
            blocking.await
        }
    };
    let now = match joined {
        Err(join) if join.is_panic() => {
            return Attempt::Failed(HandlerError::new(format!(
                "the handler panicked: {}",
                super::run::panic_message(join.into_panic().as_ref())
            )))
        }
        Err(_) => return Attempt::Failed(HandlerError::new("the handler was cancelled")),
        Ok(now) => now,
    };
    let result = match now {
        Some(result) => result,
        None => {
            let Some(cx) = context(inner, &webhook, index, &job.key, &meta) else {
                return Attempt::Failed(HandlerError::permanent("the job's event is missing"));
            };
            let call = AssertUnwindSafe(handler.get().call(&cx)).catch_unwind();
            let stopped = async {
                while !held.is_lost() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            tokio::select! {
                ended = tokio::time::timeout(timeout, call) => match ended {
                    Err(_) => return timed_out(timeout),
                    Ok(Err(panic)) => Err(HandlerError::new(format!(
                        "the handler panicked: {}",
                        super::run::panic_message(panic.as_ref())
                    ))),
                    Ok(Ok(result)) => result,
                },
                () = stopped => return Attempt::TakenOver,
            }
        }
    };
    if held.is_lost() {
        return Attempt::TakenOver;
    }
    match result {
        Ok(()) => Attempt::Succeeded,
        Err(error) => Attempt::Failed(error),
    }
}

fn timed_out(timeout: Duration) -> Attempt {
    Attempt::Failed(HandlerError::new(format!(
        "the attempt ran past its timeout of {timeout:?}"
    )))
}

/// The context a job's handler is given: its event, alone in its webhook.
fn context<'r>(
    inner: &'r Inner,
    webhook: &'r Webhook<'static>,
    index: usize,
    key: &'r str,
    job: &'r Job,
) -> Option<EventContext<'r>> {
    Some(EventContext {
        webhook,
        event: webhook.events().first()?,
        index,
        key,
        state: &inner.state,
        job: Some(job),
    })
}

/// Records how an attempt ended, trying again for a few seconds when the store fails (a
/// job whose end is never recorded runs again after its lease: at least once).
async fn record_end(
    store: &dyn JobStore,
    id: &crate::jobs::JobId,
    token: crate::delivery::LeaseToken,
    end: JobEnd,
) {
    let mut wait = Duration::from_millis(100);
    for _ in 0..6 {
        match store.end(id, token, end.clone()).await {
            Ok(()) => return,
            Err(error) if error.kind() == StoreErrorKind::LeaseLost => {
                tracing::warn!(
                    %error,
                    "the job's end was not recorded: its lease is lost (another worker took \
                     the job over, or the store no longer has the job)"
                );
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "could not record the job's end; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
    tracing::error!("the job's end could not be recorded: it runs again after its lease");
}

/// A number in `[0, 1)` from the job and the attempt, to spread retries.
fn spread(id: &[u8; 16], attempt: u32) -> f64 {
    let mut bytes = [0u8; 20];
    bytes[..16].copy_from_slice(id);
    bytes[16..].copy_from_slice(&attempt.to_le_bytes());
    let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
    (hash >> 11) as f64 / (1u64 << 53) as f64
}
