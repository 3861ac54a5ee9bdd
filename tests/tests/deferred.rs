//! Deferred handlers through the harness: answered at once, their jobs recorded once and run
//! later, retried with backoff, dead, retried from dead, cut at their timeout; a batch that
//! mixes inline and deferred handlers with failures.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use pwh_core::adapter::RunResult;
use pwh_core::delivery::{LeaseToken, StoreFuture};
use pwh_core::jobs::{
    ClaimedJob, JobCounts, JobEnd, JobId, JobInfo, JobQuery, JobState, JobStore, MemoryJobs, NewJob,
};
use pwh_core::testing::{Harness, TestWebhook};
use pwh_core::{handler, on_event, Job};

static WELCOMED: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_added", deferred)]
async fn welcome(user_id: &str) {
    assert!(!user_id.is_empty());
    WELCOMED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_deferred_handler_is_answered_at_once_and_runs_later_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let harness = Harness::with_handlers([handler!(welcome)]);
        let webhook = TestWebhook::new().member_added("presence-room", "ada");
        let first = harness.deliver(webhook.clone()).await;
        first.assert_ok();
        assert!(first.deferred("welcome"));
        assert_eq!(
            WELCOMED.load(Ordering::SeqCst),
            0,
            "not run while Pusher waits"
        );
        let jobs = harness.jobs().await;
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            (jobs[0].kind.as_str(), jobs[0].state),
            ("member_added", JobState::Pending)
        );
        assert!(jobs[0].handler.ends_with("deferred::welcome"));

        // A replay records nothing more.
        let replay = harness.deliver(webhook).await;
        assert_eq!(replay.status(), 200);
        assert!(!replay.deferred("welcome"));
        assert_eq!(harness.jobs().await.len(), 1);

        assert_eq!(harness.run_due_jobs().await, 1);
        assert_eq!(WELCOMED.load(Ordering::SeqCst), 1);
        assert_eq!(harness.job_counts().await.done, 1);
        assert_eq!(
            harness.run_due_jobs().await,
            0,
            "a done job does not run again"
        );
        assert_eq!(WELCOMED.load(Ordering::SeqCst), 1);
    });
}

static FAIL_CRM: AtomicBool = AtomicBool::new(true);
static ATTEMPTS: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

#[on_event(
    "member_removed",
    deferred(max_attempts = 2, backoff = "2s", name = "crm-sync")
)]
async fn crm_sync(job: Job) -> Result<(), String> {
    ATTEMPTS
        .lock()
        .unwrap()
        .push((job.attempt(), job.idempotency_key()));
    if FAIL_CRM.load(Ordering::SeqCst) {
        return Err("CRM down".to_owned());
    }
    Ok(())
}

#[tokio::test]
async fn a_failing_job_waits_its_backoff_then_is_dead_until_retried() {
    let harness = Harness::with_handlers([handler!(crm_sync)]);
    harness
        .deliver(TestWebhook::new().member_removed("presence-room", "ada"))
        .await
        .assert_ok();
    let job = harness.jobs().await.remove(0);
    assert_eq!(job.handler, "crm-sync", "recorded under its stable name");

    assert_eq!(harness.run_due_jobs().await, 1);
    let listed = harness.jobs().await.remove(0);
    assert_eq!((listed.state, listed.attempts), (JobState::Pending, 1));
    assert_eq!(listed.last_error.as_deref(), Some("CRM down"));
    assert_eq!(harness.run_due_jobs().await, 0, "not before its backoff");
    harness.advance(Duration::from_secs(3));
    assert_eq!(harness.run_due_jobs().await, 1);
    let listed = harness.jobs().await.remove(0);
    assert_eq!(listed.state, JobState::Dead, "dead after its last attempt");

    let store = harness.dispatcher().job_store().unwrap();
    assert_eq!(store.retry(Some(&job.id)).await.unwrap(), 1);
    FAIL_CRM.store(false, Ordering::SeqCst);
    assert_eq!(harness.run_due_jobs().await, 1);
    assert_eq!(harness.jobs().await.remove(0).state, JobState::Done);

    let attempts = ATTEMPTS.lock().unwrap().clone();
    let numbers: Vec<u32> = attempts.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        numbers,
        [1, 2, 1],
        "attempts count from 1 again after a retry from dead"
    );
    assert!(
        attempts.iter().all(|(_, key)| *key == job.id.to_string()),
        "one idempotency key across attempts"
    );
}

#[on_event("channel_vacated", deferred(timeout = "100ms", max_attempts = 3))]
async fn slow_report(_channel: &str) {
    tokio::time::sleep(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_attempt_is_cut_at_its_timeout_and_retried() {
    let harness = Harness::with_handlers([handler!(slow_report)]);
    harness
        .deliver(TestWebhook::new().channel_vacated("news"))
        .await
        .assert_ok();
    assert_eq!(harness.run_due_jobs().await, 1);
    let listed = harness.jobs().await.remove(0);
    assert_eq!(listed.state, JobState::Pending, "retried later");
    assert!(
        listed.last_error.unwrap().contains("timeout of 100ms"),
        "says it was cut at its timeout"
    );
}

static INLINE_FAILS: AtomicBool = AtomicBool::new(true);
static BATCH_RUNS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

fn count(what: &str) {
    *BATCH_RUNS
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .entry(what.to_owned())
        .or_default() += 1;
}

fn counted(what: &str) -> usize {
    BATCH_RUNS
        .lock()
        .unwrap()
        .as_ref()
        .and_then(|runs| runs.get(what).copied())
        .unwrap_or(0)
}

#[on_event("channel_occupied")]
fn inline_audit(channel: &str) -> Result<(), String> {
    count(&format!("inline {channel}"));
    if channel == "flaky" && INLINE_FAILS.load(Ordering::SeqCst) {
        return Err("audit store down".to_owned());
    }
    Ok(())
}

#[on_event("channel_occupied", deferred)]
fn deferred_report(channel: &str) {
    count(&format!("deferred {channel}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_mixing_inline_and_deferred_handlers_retries_only_what_failed() {
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(inline_audit))
            .handler(handler!(deferred_report))
    });
    let webhook = TestWebhook::new()
        .channel_occupied("steady")
        .channel_occupied("flaky")
        .channel_occupied("calm");
    let first = harness.deliver(webhook.clone()).await;
    assert_eq!(
        first.status(),
        500,
        "an inline handler failed: Pusher retries"
    );
    assert_eq!(
        first
            .runs_of("deferred_report")
            .filter(|r| *r.result() == RunResult::Deferred)
            .count(),
        3
    );
    assert_eq!(harness.jobs().await.len(), 3);

    INLINE_FAILS.store(false, Ordering::SeqCst);
    let retry = harness.deliver(webhook).await;
    retry.assert_ok();
    assert_eq!(
        retry.events_of("inline_audit"),
        [1],
        "only what failed runs again"
    );
    assert!(
        !retry.deferred("deferred_report"),
        "jobs are not recorded twice"
    );
    assert_eq!(harness.jobs().await.len(), 3);

    assert_eq!(harness.run_due_jobs().await, 3);
    for channel in ["steady", "flaky", "calm"] {
        assert_eq!(counted(&format!("deferred {channel}")), 1, "{channel}");
    }
    assert_eq!(counted("inline flaky"), 2);
    assert_eq!(counted("inline steady"), 1);
}

static REPORTS_STARTED: AtomicUsize = AtomicUsize::new(0);
static REPORTS_DONE: AtomicUsize = AtomicUsize::new(0);
static HOLD_REPORTS: AtomicBool = AtomicBool::new(true);

#[on_event("cache_miss", deferred(max_attempts = 5))]
async fn warm_cache(_channel: &str) {
    REPORTS_STARTED.fetch_add(1, Ordering::SeqCst);
    while HOLD_REPORTS.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    REPORTS_DONE.fetch_add(1, Ordering::SeqCst);
}

async fn wait_for(what: &str, done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_run_jobs_in_the_background_and_a_shutdown_leaves_the_rest_for_later() {
    let harness = Harness::with_handlers([handler!(warm_cache)]);
    let workers = harness
        .dispatcher()
        .workers()
        .poll_interval(Duration::from_millis(10))
        .start();
    harness
        .deliver(TestWebhook::new().cache_miss("news"))
        .await
        .assert_ok();
    wait_for("the job to start", || {
        REPORTS_STARTED.load(Ordering::SeqCst) == 1
    })
    .await;

    // Shutting down with the job still running: it is dropped, left running in the store.
    workers.shutdown(Duration::from_millis(50)).await;
    assert_eq!(REPORTS_DONE.load(Ordering::SeqCst), 0);
    let listed = harness.jobs().await.remove(0);
    assert_eq!((listed.state, listed.attempts), (JobState::Running, 1));
    assert_eq!(
        harness.run_due_jobs().await,
        0,
        "leased until its lease runs out"
    );

    // Once its lease ran out (the store's clock moved past it), the next start takes it back.
    HOLD_REPORTS.store(false, Ordering::SeqCst);
    harness.advance(Duration::from_secs(31));
    let workers = harness
        .dispatcher()
        .workers()
        .poll_interval(Duration::from_millis(10))
        .start();
    wait_for("the job to be done", || {
        REPORTS_DONE.load(Ordering::SeqCst) == 1
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let listed = harness.jobs().await.remove(0);
    assert_eq!((listed.state, listed.attempts), (JobState::Done, 2));
}

#[tokio::test]
async fn a_handler_made_of_a_closure_can_be_deferred() {
    use pwh_core::handler::{handler_fn, EventRoute};
    use pwh_core::jobs::JobPolicy;
    use std::sync::Arc;

    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let audit = handler_fn("audit", EventRoute::kind("channel_occupied"), move |_cx| {
        counted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    })
    .deferred(JobPolicy::default().max_attempts(3));
    let harness = Harness::with_handlers([audit]);
    let delivery = harness
        .deliver(TestWebhook::new().channel_occupied("news"))
        .await;
    delivery.assert_ok();
    assert!(delivery.deferred("audit"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(harness.run_due_jobs().await, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(harness.jobs().await.remove(0).max_attempts, 3);
}

/// What goes wrong in [`Faulty`], once.
#[derive(Clone, Copy)]
enum Fault {
    /// The first lease renewal panics (a job store's bug).
    RenewalPanics,
    /// The first lease renewal blocks the renewing thread for this long (a stalled store, a
    /// paused process).
    RenewalStalls(Duration),
    /// The first lease renewal never answers (a connection that went silent), without
    /// blocking the thread.
    RenewalHangs,
    /// The first end of an attempt panics (a job store's bug).
    EndPanics,
}

/// A `MemoryJobs` to which one [`Fault`] happens.
#[derive(Clone)]
struct Faulty {
    inner: MemoryJobs,
    renewals: std::sync::Arc<AtomicUsize>,
    ends: std::sync::Arc<AtomicUsize>,
    fault: Fault,
}

impl Faulty {
    fn new(fault: Fault) -> Self {
        Self {
            inner: MemoryJobs::new(),
            renewals: std::sync::Arc::default(),
            ends: std::sync::Arc::default(),
            fault,
        }
    }
}

impl JobStore for Faulty {
    fn enqueue<'a>(&'a self, jobs: &'a [NewJob]) -> StoreFuture<'a, ()> {
        self.inner.enqueue(jobs)
    }
    fn claim<'a>(
        &'a self,
        handlers: &'a [&'a str],
        limit: usize,
        lease_for: Duration,
    ) -> StoreFuture<'a, Vec<ClaimedJob>> {
        self.inner.claim(handlers, limit, lease_for)
    }
    fn renew<'a>(
        &'a self,
        id: &'a JobId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> StoreFuture<'a, ()> {
        if self.renewals.fetch_add(1, Ordering::SeqCst) == 0 {
            match self.fault {
                Fault::RenewalPanics => panic!("a job store's bug"),
                Fault::RenewalStalls(stall) => std::thread::sleep(stall),
                Fault::RenewalHangs => return StoreFuture::new(std::future::pending()),
                Fault::EndPanics => {}
            }
        }
        self.inner.renew(id, lease, lease_for)
    }
    fn end<'a>(&'a self, id: &'a JobId, lease: LeaseToken, end: JobEnd) -> StoreFuture<'a, ()> {
        let first = self.ends.fetch_add(1, Ordering::SeqCst) == 0;
        if first && matches!(self.fault, Fault::EndPanics) {
            panic!("a job store's bug");
        }
        self.inner.end(id, lease, end)
    }
    fn list<'a>(&'a self, query: &'a JobQuery) -> StoreFuture<'a, Vec<JobInfo>> {
        self.inner.list(query)
    }
    fn counts(&self) -> StoreFuture<'_, JobCounts> {
        self.inner.counts()
    }
    fn retry<'a>(&'a self, id: Option<&'a JobId>) -> StoreFuture<'a, u64> {
        self.inner.retry(id)
    }
    fn discard<'a>(&'a self, id: &'a JobId) -> StoreFuture<'a, bool> {
        self.inner.discard(id)
    }
    fn purge(&self, state: JobState, older_than: Duration) -> StoreFuture<'_, u64> {
        self.inner.purge(state, older_than)
    }
    fn is_durable(&self) -> bool {
        false
    }
}

/// The lease of [`run_one_slow_job`]'s workers; its job takes five.
const LEASE: Duration = Duration::from_millis(300);

/// Runs one job taking five [`LEASE`]s on `store` with background workers, until it is done
/// or dead (10 s at most); its calls, and how the store lists it.
async fn run_one_slow_job(store: &Faulty) -> (usize, JobInfo) {
    let (calls, mut jobs) = run_slow_jobs(store, &["news"]).await;
    (calls, jobs.remove(0))
}

/// Runs a job taking five [`LEASE`]s for each of `channels` on `store` with background
/// workers, until every one is done or dead (10 s at most); their calls, and how the store
/// lists them.
async fn run_slow_jobs(store: &Faulty, channels: &[&str]) -> (usize, Vec<JobInfo>) {
    use pwh_core::testing::Counted;

    let slow = Counted::new("app::slow").deferred().taking(LEASE * 5);
    let harness = Harness::configure(|builder| {
        builder
            .registered_handlers(false)
            .handler(slow.clone())
            .job_store(store.clone())
    });
    let webhook = channels
        .iter()
        .fold(TestWebhook::new(), |webhook, channel| {
            webhook.channel_vacated(channel)
        });
    harness.deliver(webhook).await.assert_ok();
    let workers = harness
        .dispatcher()
        .workers()
        .lease(LEASE)
        .poll_interval(Duration::from_millis(10))
        .start();
    let ended = async {
        loop {
            let counts = harness.job_counts().await;
            if counts.done + counts.dead == channels.len() as u64 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), ended).await;
    workers.shutdown(Duration::from_secs(5)).await;
    (slow.calls(), harness.jobs().await)
}

/// A renewal that panics costs that renewal only: the thread keeping the running jobs' leases
/// goes on renewing, and the job is recorded done once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_that_panics_does_not_stop_the_lease_keeper() {
    let store = Faulty::new(Fault::RenewalPanics);
    let (calls, job) = run_one_slow_job(&store).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    assert!(
        store.renewals.load(Ordering::SeqCst) >= 3,
        "renewed after the panic"
    );
    // Printing the panic may stall the thread past the lease: then the job is claimed again
    // and its first run stopped (see the next test).
    assert!(calls <= 2, "{calls} runs");
}

/// A renewal stalled past the lease lets the same workers claim their running job again: the
/// older run is stopped as taken over, and the newer one keeps its lease (the older run's
/// end must not release it) and is recorded done, instead of each run's end releasing the
/// next one's lease until the job is dead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_claimed_again_by_its_own_workers_stops_the_older_run() {
    let store = Faulty::new(Fault::RenewalStalls(LEASE * 2));
    let (calls, job) = run_one_slow_job(&store).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    // Claimed again once or twice during the stall (each claim's lease runs out unrenewed),
    // then renewed until done.
    assert!((2..=3).contains(&job.attempts), "{job:?}");
    assert_eq!(calls, job.attempts as usize);
}

/// A renewal that never answers holds up no other: each renewal of a round runs at once and
/// is bounded by the round's period, so both jobs keep their leases (the hung one's is
/// renewed at the next round, before it runs out) and each runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_that_never_answers_holds_up_no_other() {
    let store = Faulty::new(Fault::RenewalHangs);
    let (calls, jobs) = run_slow_jobs(&store, &["news", "sports"]).await;
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        assert_eq!(job.state, JobState::Done, "{job:?}");
        assert_eq!(job.attempts, 1, "never taken over: {job:?}");
    }
    assert_eq!(calls, 2);
}

/// An end of an attempt that panics (a store's bug) still gives the lease back: the job is
/// not renewed for ever as running, but taken again once its lease runs out, and done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_that_panics_gives_the_lease_back() {
    let store = Faulty::new(Fault::EndPanics);
    let (calls, job) = run_one_slow_job(&store).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    assert_eq!(job.attempts, 2, "{job:?}");
    assert_eq!(calls, 2);
}
