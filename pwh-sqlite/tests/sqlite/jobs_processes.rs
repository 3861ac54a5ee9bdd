//! A worker process killed in the middle of a job: the job runs again after its lease, in
//! another process, and is done once.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pwh_core::handler::{EventHandler, EventRoute, HandlerInfo};
use pwh_core::jobs::{JobInfo, JobPolicy, JobQuery, JobState, JobStore};
use pwh_core::testing::{test_token, TestWebhook};
use pwh_core::{Dispatcher, EventContext, HandlerError, KeyRing};
use pwh_sqlite::SqliteStore;

use crate::common::{fresh_file, harness, Counted};
use crate::processes::Killed;

/// The variables that turn [`helper_works_until_killed`] into the child process's side.
const HELPER_FILE: &str = "PWH_SQLITE_TEST_JOBS_FILE";
const HELPER_MARKER: &str = "PWH_SQLITE_TEST_JOBS_MARKER";
/// The deferred handler both processes have.
const HANDLER: &str = "app::report";

/// The child's deferred handler: writes a line to the marker file when an attempt starts,
/// then takes an hour.
struct Sleeper {
    marker: PathBuf,
}

#[pwh_core::handler::async_trait]
impl EventHandler for Sleeper {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new(HANDLER, EventRoute::Any).deferred(JobPolicy::default())
    }

    async fn call(&self, _cx: &EventContext<'_>) -> Result<(), HandlerError> {
        let mut marker = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.marker)
            .map_err(HandlerError::new)?;
        writeln!(marker, "started").map_err(HandlerError::new)?;
        marker.sync_all().map_err(HandlerError::new)?;
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
}

/// The child's side of [`a_worker_killed_mid_job_leaves_it_to_another_which_does_it_once`]:
/// with [`HELPER_FILE`] set, runs workers with 500 ms leases on that file until killed;
/// without it (a normal test run), does nothing.
#[test]
fn helper_works_until_killed() {
    let (Some(path), Some(marker)) = (
        std::env::var_os(HELPER_FILE),
        std::env::var_os(HELPER_MARKER),
    ) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(path).unwrap();
        let dispatcher = Dispatcher::builder(KeyRing::new([test_token()]))
            .registered_handlers(false)
            .handler(Sleeper {
                marker: marker.into(),
            })
            .delivery_log(store.clone())
            .job_store(store)
            .build();
        let _workers = dispatcher
            .workers()
            .lease(Duration::from_millis(500))
            .poll_interval(Duration::from_millis(20))
            .start();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
}

fn spawn_worker(path: &Path, marker: &Path) -> Killed {
    Killed(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "jobs_processes::helper_works_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HELPER_FILE, path)
            .env(HELPER_MARKER, marker)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    )
}

/// Waits (up to a minute: a generous bound, not a timing assertion) until `ready` holds.
async fn until<T>(what: &str, mut ready: impl AsyncFnMut() -> Option<T>) -> T {
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = ready().await {
            return value;
        }
        assert!(Instant::now() < give_up, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn the_job(store: &SqliteStore) -> JobInfo {
    let query = JobQuery {
        limit: usize::MAX,
        ..JobQuery::default()
    };
    let mut jobs = store.list(&query).await.unwrap();
    assert_eq!(jobs.len(), 1, "one job: {jobs:?}");
    jobs.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_leaves_it_to_another_which_does_it_once() {
    let (dir, path) = fresh_file();
    let marker = dir.path().join("started.txt");

    // The webhook is answered and its job recorded; no worker runs here yet.
    let report = Counted::new(HANDLER).deferred();
    let app = harness(SqliteStore::open(&path).unwrap(), &[&report]);
    let delivered = app
        .deliver(TestWebhook::new().channel_vacated("news"))
        .await;
    delivered.assert_ok();
    assert!(delivered.deferred(HANDLER));
    drop(app);

    // A worker process takes the job and is SIGKILLed in the middle of it.
    let mut child = spawn_worker(&path, &marker);
    until("the child starts the job", async || {
        std::fs::read_to_string(&marker)
            .ok()
            .filter(|text| text.contains("started"))
    })
    .await;
    child.0.kill().unwrap();
    child.0.wait().unwrap();

    let store = SqliteStore::open(&path).unwrap();
    let cut = the_job(&store).await;
    assert_eq!(
        (cut.state, cut.attempts),
        (JobState::Running, 1),
        "held by the dead worker until its lease runs out"
    );

    // This process's workers take it back after the lease, and finish it.
    let dispatcher = Dispatcher::builder(KeyRing::new([test_token()]))
        .registered_handlers(false)
        .handler(report.clone())
        .delivery_log(store.clone())
        .job_store(store.clone())
        .build();
    let workers = dispatcher
        .workers()
        .lease(Duration::from_millis(500))
        .poll_interval(Duration::from_millis(20))
        .start();
    let done = until("the job is done", async || {
        Some(the_job(&store).await).filter(|job| job.state == JobState::Done)
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;

    assert_eq!(
        done.attempts, 2,
        "the cut attempt and the one that finished"
    );
    assert_eq!(report.calls(), 1, "run once here");
    let started = std::fs::read_to_string(&marker).unwrap();
    assert_eq!(started.lines().count(), 1, "and once in the killed child");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.done, counts.running, counts.pending), (1, 0, 0));
}
