//! A deferred handler that blocks its thread cannot be stopped at its attempt timeout: its
//! attempt ends when it returns, and no other run of the job starts meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pwh_core::handler::{handler_fn, EventRoute};
use pwh_core::jobs::{JobPolicy, JobState};
use pwh_core::testing::{Harness, TestWebhook};

/// Runs of the handler under way now, and the most at once.
#[derive(Default)]
struct Overlap {
    now: AtomicUsize,
    most: AtomicUsize,
    calls: AtomicUsize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_handler_past_its_timeout_is_never_run_twice_at_once() {
    let overlap = Arc::new(Overlap::default());
    let seen = overlap.clone();
    let report = handler_fn(
        "app::report",
        EventRoute::kind("channel_vacated"),
        move |_cx| {
            seen.calls.fetch_add(1, Ordering::SeqCst);
            let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
            seen.most.fetch_max(now, Ordering::SeqCst);
            // Six times its attempt timeout, blocking its thread: it cannot be cut.
            std::thread::sleep(Duration::from_millis(600));
            seen.now.fetch_sub(1, Ordering::SeqCst);
            Ok(())
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
    let workers = harness
        .dispatcher()
        .workers()
        .lease(Duration::from_millis(300))
        .poll_interval(Duration::from_millis(10))
        .start();
    // The store's clock is the harness's: moved on as time passes, for the backoff.
    let ended = async {
        loop {
            if harness.job_counts().await.dead == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            harness.advance(Duration::from_millis(20));
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), ended).await;
    workers.shutdown(Duration::from_secs(5)).await;
    let job = harness.jobs().await.remove(0);
    assert_eq!((job.state, job.attempts), (JobState::Dead, 2), "{job:?}");
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("timeout of 100ms")),
        "{job:?}"
    );
    assert_eq!(overlap.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        overlap.most.load(Ordering::SeqCst),
        1,
        "the second attempt started while the first still ran"
    );
}
