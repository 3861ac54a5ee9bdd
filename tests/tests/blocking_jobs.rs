//! A deferred handler that blocks its thread cannot be stopped at its attempt timeout, nor
//! by a shutdown: its attempt ends when it returns, as what it returned, and no other run of
//! the job starts meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pwh_core::handler::{handler_fn, EventRoute, HandlerError};
use pwh_core::jobs::{JobInfo, JobPolicy, JobState};
use pwh_core::testing::{Harness, TestWebhook};

/// The calls of a blocking handler, and the most under way at once.
#[derive(Default)]
struct Overlap {
    now: AtomicUsize,
    most: AtomicUsize,
    calls: AtomicUsize,
}

/// A harness with one deferred handler that blocks its thread for `blocks` on each call
/// (with an attempt timeout of 100 ms, a backoff of 10 ms and two attempts), then answers
/// `answer`; a webhook it handles delivered.
async fn blocking_job(
    blocks: Duration,
    answer: Result<(), &'static str>,
) -> (Harness, Arc<Overlap>) {
    let overlap = Arc::new(Overlap::default());
    let seen = overlap.clone();
    let report = handler_fn(
        "app::report",
        EventRoute::kind("channel_vacated"),
        move |_cx| {
            seen.calls.fetch_add(1, Ordering::SeqCst);
            let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
            seen.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(blocks);
            seen.now.fetch_sub(1, Ordering::SeqCst);
            answer.map_err(HandlerError::new)
        },
    )
    .deferred(
        JobPolicy::default()
            .timeout(Duration::from_millis(100))
            .backoff(Duration::from_millis(10))
            .max_attempts(2),
    );
    let harness = Harness::configure(|builder| builder.registered_handlers(false).handler(report));
    harness
        .deliver(TestWebhook::new().channel_vacated("news"))
        .await
        .assert_ok();
    (harness, overlap)
}

/// Waits (10 s at most) until the job is done or dead, moving the store's clock (the
/// harness's) on as time passes, for the backoff; how it is listed.
async fn until_ended(harness: &Harness) -> JobInfo {
    let ended = async {
        loop {
            let counts = harness.job_counts().await;
            if counts.done + counts.dead == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            harness.advance(Duration::from_millis(20));
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), ended).await;
    harness.jobs().await.remove(0)
}

fn workers(harness: &Harness) -> pwh_core::dispatcher::RunningWorkers {
    harness
        .dispatcher()
        .workers()
        .lease(Duration::from_millis(300))
        .poll_interval(Duration::from_millis(10))
        .start()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_blocking_handler_past_its_timeout_is_retried_once_it_returned() {
    let (harness, overlap) = blocking_job(Duration::from_millis(600), Err("the CRM said no")).await;
    let workers = workers(&harness);
    let job = until_ended(&harness).await;
    workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!((job.state, job.attempts), (JobState::Dead, 2), "{job:?}");
    assert_eq!(job.last_error.as_deref(), Some("the CRM said no"));
    assert_eq!(overlap.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        overlap.most.load(Ordering::SeqCst),
        1,
        "the second attempt started while the first still ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_handler_succeeding_past_its_timeout_is_done_once() {
    let (harness, overlap) = blocking_job(Duration::from_millis(400), Ok(())).await;
    let workers = workers(&harness);
    let job = until_ended(&harness).await;
    workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!((job.state, job.attempts), (JobState::Done, 1), "{job:?}");
    assert_eq!(overlap.calls.load(Ordering::SeqCst), 1);
}

/// Workers shut down while a blocking handler runs give up its run, not its lease: other
/// workers take the job only once the handler has returned (its end was never recorded, so
/// it runs again: at least once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_leaves_a_blocking_handlers_lease_held_until_it_returns() {
    let (harness, overlap) = blocking_job(Duration::from_millis(1_000), Ok(())).await;
    let first = workers(&harness);
    while overlap.calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.shutdown(Duration::from_millis(50)).await;
    let second = workers(&harness);
    let job = until_ended(&harness).await;
    second.shutdown(Duration::from_secs(5)).await;
    assert_eq!(
        overlap.most.load(Ordering::SeqCst),
        1,
        "the other workers started the job while the first run still blocked its thread"
    );
    assert_eq!((job.state, job.attempts), (JobState::Done, 2), "{job:?}");
    assert_eq!(overlap.calls.load(Ordering::SeqCst), 2);
}
