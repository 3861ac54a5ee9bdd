//! `RedisJobs` on a Redis that lost everything (a restart without persistence, `FLUSHALL`) or
//! a stream's consumer group: said in an `error` line, and served on. On a redis-server of the
//! test's own, since `FLUSHALL` would wipe the other tests' keys.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pwh_core::jobs::{JobEnd, JobId, JobStore, NewJob};
use pwh_redis::RedisJobs;

use crate::common::{fresh_id, raw, OwnServer};

const LONG: Duration = Duration::from_secs(30);

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The `ERROR` lines logged since the last call.
    fn take_errors(&self) -> Vec<String> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .filter(|l| l.contains("ERROR"))
            .map(str::to_owned)
            .collect()
    }
}

fn job(handler: &str) -> NewJob {
    NewJob {
        id: JobId::of(&fresh_id(), 0, handler),
        handler: handler.to_owned(),
        kind: "member_added".to_owned(),
        payload: br#"{"time_ms":1,"events":[]}"#.to_vec(),
        key: "key".to_owned(),
        index: 0,
        received_ms: 1,
        max_attempts: 3,
    }
}

/// Enqueues a job of `handler`, claims it and ends it done.
async fn runs_a_new_job(jobs: &RedisJobs, handler: &str) {
    let j = job(handler);
    jobs.enqueue(std::slice::from_ref(&j))
        .await
        .expect("enqueue");
    let claimed = jobs.claim(&[handler], 10, LONG).await.expect("claim");
    let [claimed] = &claimed[..] else {
        panic!("one job claimed, got {}", claimed.len())
    };
    assert_eq!(claimed.job.id, j.id);
    jobs.end(&j.id, claimed.lease, JobEnd::Done)
        .await
        .expect("end");
}

#[test]
fn a_wiped_redis_is_said_in_an_error_line_and_served_on() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let Some((_server, url)) = OwnServer::ready().await else {
            return;
        };
        let jobs = RedisJobs::builder(&url)
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let handler = "wiped::welcome";
        runs_a_new_job(&jobs, handler).await;
        let waiting = job(handler);
        jobs.enqueue(std::slice::from_ref(&waiting))
            .await
            .expect("enqueue");
        assert!(captured.take_errors().is_empty(), "nothing to say yet");

        let mut conn = raw(&url).await;
        let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.unwrap();
        // The next claim finds another layout epoch: it says so, and serves on.
        let claimed = jobs.claim(&[handler], 10, LONG).await.expect("claim");
        assert!(
            claimed.is_empty(),
            "the job recorded before the wipe is gone"
        );
        let said = captured.take_errors();
        assert_eq!(said.len(), 1, "one error line: {said:?}");
        assert!(said[0].contains("was wiped"), "{said:?}");
        assert!(
            said[0].contains("Jobs recorded before are gone"),
            "{said:?}"
        );
        assert!(said[0].contains("may run their handlers again"), "{said:?}");
        runs_a_new_job(&jobs, handler).await;
        assert!(captured.take_errors().is_empty(), "said once");

        // A stream that lost its consumer group (NOGROUP): recreated, said, and its jobs run.
        let lost = job(handler);
        jobs.enqueue(std::slice::from_ref(&lost))
            .await
            .expect("enqueue");
        let stream = format!("{}ready:{handler}", jobs.key_base());
        let _: i64 = redis::cmd("XGROUP")
            .arg("DESTROY")
            .arg(&stream)
            .arg("pwh-workers")
            .query_async(&mut conn)
            .await
            .unwrap();
        let claimed = jobs.claim(&[handler], 10, LONG).await.expect("claim");
        let [claimed] = &claimed[..] else {
            panic!("the job of the stream runs")
        };
        assert_eq!(claimed.job.id, lost.id);
        let said = captured.take_errors();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("consumer group"), "{said:?}");
        jobs.end(&lost.id, claimed.lease, JobEnd::Done)
            .await
            .expect("end");
        runs_a_new_job(&jobs, handler).await;
    });
}
