//! Deferred jobs through a dispatcher on `SqliteStore`: they survive a restart, and a body
//! replayed after a restart runs nothing and records no second job.

use pwh_core::jobs::JobState;
use pwh_core::testing::TestWebhook;
use pwh_sqlite::SqliteStore;

use crate::common::{fresh_file, harness, Counted};

#[tokio::test]
async fn jobs_survive_a_restart_and_a_replay_after_one_records_nothing() {
    let (_dir, path) = fresh_file();
    let (inline, later) = (
        Counted::new("app::inline"),
        Counted::new("app::later").deferred(),
    );
    let hook = TestWebhook::new().member_added("presence-room", "ada");

    // The app answers Pusher, records the job, and stops before a worker runs it.
    let app = harness(SqliteStore::open(&path).unwrap(), &[&inline, &later]);
    let first = app.deliver(hook.clone()).await;
    first.assert_ok();
    assert!(first.deferred("app::later"));
    assert_eq!((inline.calls(), later.calls()), (1, 0));
    drop(app);

    // Restarted: the job is still pending, and runs.
    let app = harness(SqliteStore::open(&path).unwrap(), &[&inline, &later]);
    let jobs = app.jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].handler.as_str(), jobs[0].state, jobs[0].attempts),
        ("app::later", JobState::Pending, 0)
    );
    assert_eq!(app.run_due_jobs().await, 1);
    assert_eq!(later.calls(), 1);
    assert_eq!(app.job_counts().await.done, 1);
    drop(app);

    // Restarted again: Pusher's copy of the same body runs nothing and adds no job.
    let app = harness(SqliteStore::open(&path).unwrap(), &[&inline, &later]);
    let replay = app.deliver(hook).await;
    replay.assert_ok();
    assert!(replay.response().outcome().is_some_and(|o| o.is_replay()));
    assert!(replay.runs().is_empty());
    assert!(!replay.deferred("app::later"));
    let jobs = app.jobs().await;
    assert_eq!(jobs.len(), 1, "no second job");
    assert_eq!(jobs[0].state, JobState::Done);
    assert_eq!(app.run_due_jobs().await, 0);
    assert_eq!((inline.calls(), later.calls()), (1, 1));
}
