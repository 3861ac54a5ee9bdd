//! What the workers of dispatchers sharing one job store run: the suite of a store shared by
//! the instances of an app.

use std::time::Duration;

use super::{Counted, Harness, TestWebhook};
use crate::dispatcher::DispatcherBuilder;
use crate::jobs::JobStore;

/// The lease the suite's workers take: short, so that a lease nobody renews runs out while
/// the job runs.
const LEASE: Duration = Duration::from_secs(1);
/// How long the suite's job runs: three leases.
const JOB_TAKES: Duration = Duration::from_secs(3);

/// Checks, end to end through the background workers of two dispatchers, that the handles
/// `open` makes share one job store (the instances of an app), panicking with what broke: a
/// job recorded through one dispatcher is run once in all by the two dispatchers' workers,
/// although it runs for three times its lease, because the workers running it renew its
/// lease from a thread of their own (a lease nobody renews would let the other dispatcher's
/// workers take the job over and run it again). Each call of `open` must give a new handle on
/// the same store; the suite's body is its own. It takes about four seconds (a lease must
/// really have run out three times over), so it needs a multi-thread Tokio runtime with time.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)] async fn main() {
/// // One store in the process, shared by two dispatchers through clones.
/// let memory = pwh_core::jobs::MemoryJobs::new();
/// pwh_core::testing::check_shared_jobs(|| memory.clone()).await;
/// # }
/// ```
pub async fn check_shared_jobs<S: JobStore>(open: impl Fn() -> S) {
    a_job_outliving_its_lease_runs_once(&open).await;
}

/// A harness whose deferred `handler` records its jobs in `store`.
fn harness<S: JobStore>(store: S, handler: &Counted) -> Harness {
    Harness::configure(|builder: DispatcherBuilder| {
        builder
            .registered_handlers(false)
            .handler(handler.clone())
            .job_store(store)
    })
}

async fn a_job_outliving_its_lease_runs_once<S: JobStore>(open: &impl Fn() -> S) {
    let slow = Counted::new("suite::slow-job").deferred().taking(JOB_TAKES);
    let (one, two) = (harness(open(), &slow), harness(open(), &slow));
    let delivery = one
        .deliver(
            TestWebhook::new()
                .time_ms(super::TEST_TIME_MS + 19)
                .channel_vacated("news"),
        )
        .await;
    delivery.assert_ok();
    assert!(delivery.deferred("suite::slow-job"), "recorded as a job");

    let workers = [&one, &two].map(|h| {
        h.dispatcher()
            .workers()
            .lease(LEASE)
            .poll_interval(Duration::from_millis(20))
            .start()
    });
    let store = open();
    let mut done = 0;
    for _ in 0..200 {
        done = store.counts().await.map_or(0, |c| c.done);
        if done == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for running in workers {
        running.shutdown(Duration::from_secs(5)).await;
    }
    assert_eq!(done, 1, "the job is done within 10 s");
    assert_eq!(
        slow.calls(),
        1,
        "run once in all: its lease was renewed while it ran, so the other dispatcher's \
         workers never took it over"
    );
}
