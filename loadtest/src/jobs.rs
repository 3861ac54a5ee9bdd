//! The deferred jobs of a `--deferred` run: read them from `/state` (of one app, or of each app
//! sharing one store), wait until none is left to run, and check that every `member_added`
//! sent was welcomed exactly once.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::client;

/// How often `/state` is read while waiting for the jobs: the resolution of the time until
/// the last job was done.
const POLL: Duration = Duration::from_millis(20);

/// The jobs of the app's store, by state (`/state`'s `jobs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct JobCounts {
    /// Waiting to run, retries waiting for their backoff included.
    pub(crate) pending: u64,
    /// Leased by a worker now.
    pub(crate) running: u64,
    /// Done.
    pub(crate) done: u64,
    /// Given up after their last attempt.
    pub(crate) dead: u64,
}

impl JobCounts {
    /// Jobs still to run: pending and running.
    pub(crate) fn left(&self) -> u64 {
        self.pending + self.running
    }
}

/// The part of `/state` about deferred jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JobState {
    /// The jobs in the store, by state.
    pub(crate) jobs: JobCounts,
    /// Jobs of `welcome_member` completed by this process.
    pub(crate) welcomed_total: u64,
}

impl JobState {
    /// Reads `jobs` (`pending`, `running`, `done`, `dead`) and `welcomed_total` from the JSON
    /// of `/state`.
    ///
    /// # Errors
    ///
    /// When the body is not JSON or lacks one of those numbers.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, String> {
        let json: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let jobs = json
            .get("jobs")
            .and_then(serde_json::Value::as_object)
            .ok_or("no `jobs` object (an app without deferred jobs?)")?;
        let count = |name: &str| {
            jobs.get(name)
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| format!("no `jobs.{name}` number"))
        };
        Ok(Self {
            jobs: JobCounts {
                pending: count("pending")?,
                running: count("running")?,
                done: count("done")?,
                dead: count("dead")?,
            },
            welcomed_total: json["welcomed_total"]
                .as_u64()
                .ok_or("no `welcomed_total` number")?,
        })
    }
}

/// What became of the jobs of a run.
#[derive(Debug, Clone)]
pub(crate) struct JobsReport {
    /// Jobs expected: the `member_added` events sent.
    pub(crate) expected: u64,
    /// The last `/state` read (or why it could not be read).
    pub(crate) last: Result<JobState, String>,
    /// From the first send until `/state` first showed no job left, when it did within the
    /// time limit.
    pub(crate) all_done_after: Option<Duration>,
    /// The time limit, from the first send.
    pub(crate) limit: Duration,
    /// `welcomed_total` of each app, in the order polled (their sum is `last`'s).
    pub(crate) welcomed_by_instance: Vec<u64>,
}

impl JobsReport {
    /// Whether every job ran to done exactly once: none left, none dead, `jobs.done` and
    /// `welcomed_total` equal to the events sent, within the time limit.
    pub(crate) fn passed(&self) -> bool {
        self.all_done_after.is_some()
            && matches!(&self.last, Ok(s) if s.jobs == JobCounts {
                done: self.expected,
                ..JobCounts::default()
            } && s.welcomed_total == self.expected)
    }

    /// Jobs done per second, from the first send until the last was done.
    pub(crate) fn jobs_per_sec(&self) -> Option<f64> {
        let secs = self.all_done_after?.as_secs_f64().max(f64::EPSILON);
        Some(self.expected as f64 / secs)
    }
}

/// Reads `/state` of every app at `addrs` (all on one job store) every [`POLL`] until none
/// shows a job pending or running, or until `limit` after `started` (the first send);
/// `expected` jobs should be done by then. Stops at once when a `/state` answers 200 without
/// the job fields (an app without deferred jobs); an answer that is no 200 or a transport error
/// is read again.
pub(crate) async fn wait(
    addrs: &[SocketAddr],
    started: Instant,
    limit: Duration,
    expected: u64,
) -> JobsReport {
    let deadline = started + limit;
    loop {
        let (last, welcomed_by_instance, finished, final_answer) = read_all(addrs).await;
        let now = Instant::now();
        if finished || final_answer && last.is_err() || now >= deadline {
            return JobsReport {
                expected,
                last,
                all_done_after: finished.then(|| now.duration_since(started)),
                limit,
                welcomed_by_instance,
            };
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}

/// The jobs of the apps at `addrs`, one after the other: the store's counts as the first app
/// read them with `welcomed_total` added up over all, each app's `welcomed_total`, whether
/// every app saw no job left, and whether a failed read was final (see [`read`]).
async fn read_all(addrs: &[SocketAddr]) -> (Result<JobState, String>, Vec<u64>, bool, bool) {
    let mut combined: Option<JobState> = None;
    let mut welcomed = Vec::with_capacity(addrs.len());
    let mut none_left = true;
    for addr in addrs {
        match read(*addr).await {
            (Ok(state), _) => {
                none_left &= state.jobs.left() == 0;
                welcomed.push(state.welcomed_total);
                let sum = JobState {
                    welcomed_total: combined.map_or(0, |c| c.welcomed_total) + state.welcomed_total,
                    ..combined.unwrap_or(state)
                };
                combined = Some(sum);
            }
            (Err(e), final_answer) => return (Err(e), welcomed, false, final_answer),
        }
    }
    let last = combined.ok_or_else(|| "no app to read".to_owned());
    let finished = none_left && last.is_ok();
    (last, welcomed, finished, false)
}

/// The app's jobs now, and whether `/state` answered 200 (its body then is final, read well
/// or not).
async fn read(addr: SocketAddr) -> (Result<JobState, String>, bool) {
    match client::get(addr, "/state").await {
        Ok((200, body)) => (
            JobState::parse(&body).map_err(|e| format!("GET /state: {e}")),
            true,
        ),
        Ok((status, _)) => (Err(format!("GET /state answered {status}")), false),
        Err(e) => (Err(format!("GET /state: {e}")), false),
    }
}

impl fmt::Display for JobsReport {
    /// The lines of a run's summary about its jobs (no trailing newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.last {
            Ok(s) => writeln!(
                f,
                "deferred jobs      {} expected (member_added sent): done {}, dead {}, \
                 pending {}, running {}; welcomed_total {}{}",
                self.expected,
                s.jobs.done,
                s.jobs.dead,
                s.jobs.pending,
                s.jobs.running,
                s.welcomed_total,
                match self.welcomed_by_instance.as_slice() {
                    [_, _, ..] => format!(
                        " ({})",
                        self.welcomed_by_instance
                            .iter()
                            .enumerate()
                            .map(|(i, n)| format!("instance {}: {n}", i + 1))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => String::new(),
                }
            )?,
            Err(e) => writeln!(f, "deferred jobs      unknown: {e}")?,
        }
        match (self.all_done_after, self.jobs_per_sec()) {
            (Some(after), Some(rate)) => writeln!(
                f,
                "jobs all done      {:.2} s after the first send ({rate:.0} jobs/s; polled \
                 every {} ms)",
                after.as_secs_f64(),
                POLL.as_millis()
            )?,
            _ if self.last.is_err() => writeln!(f, "jobs all done      NO: /state unreadable")?,
            _ => writeln!(
                f,
                "jobs all done      NO: jobs left {:.0} s after the first send",
                self.limit.as_secs_f64()
            )?,
        }
        write!(
            f,
            "jobs exactly once  {}",
            if self.passed() { "yes" } else { "NO" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jobs_and_welcomed_total() {
        let state = JobState::parse(
            br#"{"handled_total":3,"handled":{"member_added":3},
                 "jobs":{"pending":1,"running":2,"done":3,"dead":0},"welcomed_total":3}"#,
        )
        .unwrap();
        assert_eq!(
            state.jobs,
            JobCounts {
                pending: 1,
                running: 2,
                done: 3,
                dead: 0
            }
        );
        assert_eq!(state.jobs.left(), 3);
        assert_eq!(state.welcomed_total, 3);
        let no_jobs = br#"{"handled_total":0,"handled":{}}"#;
        assert!(JobState::parse(no_jobs).is_err());
        let no_welcomed = br#"{"jobs":{"pending":0,"running":0,"done":0,"dead":0}}"#;
        assert!(JobState::parse(no_welcomed).is_err());
        let no_dead = br#"{"jobs":{"pending":0,"running":0,"done":0},"welcomed_total":0}"#;
        assert!(JobState::parse(no_dead).is_err());
        assert!(JobState::parse(b"nope").is_err());
    }

    fn report(jobs: JobCounts, welcomed_total: u64, done_after: Option<u64>) -> JobsReport {
        JobsReport {
            expected: 10,
            last: Ok(JobState {
                jobs,
                welcomed_total,
            }),
            all_done_after: done_after.map(Duration::from_secs),
            limit: Duration::from_secs(300),
            welcomed_by_instance: vec![welcomed_total],
        }
    }

    #[test]
    fn every_job_done_once_passes() {
        let done = |done, dead| JobCounts {
            done,
            dead,
            ..JobCounts::default()
        };
        let ok = report(done(10, 0), 10, Some(2));
        assert!(ok.passed());
        assert_eq!(ok.jobs_per_sec(), Some(5.0));
        assert!(ok.to_string().contains("jobs exactly once  yes"));
        assert!(!report(done(9, 1), 9, Some(2)).passed(), "a dead job");
        assert!(
            !report(done(10, 0), 11, Some(2)).passed(),
            "one welcomed twice"
        );
        assert!(
            !report(done(11, 0), 11, Some(2)).passed(),
            "one job too many"
        );
        assert!(!report(done(9, 0), 9, Some(2)).passed(), "one job missing");
        let left = JobCounts {
            pending: 1,
            ..done(9, 0)
        };
        let late = report(left, 9, None);
        assert!(!late.passed(), "not done in time");
        assert_eq!(late.jobs_per_sec(), None);
        assert!(late.to_string().contains("jobs all done      NO"));
        let two = JobsReport {
            welcomed_by_instance: vec![4, 6],
            ..report(done(10, 0), 10, Some(2))
        };
        assert!(two.passed());
        assert!(two
            .to_string()
            .contains("welcomed_total 10 (instance 1: 4, instance 2: 6)"));
        let unread = JobsReport {
            last: Err("GET /state answered 500".into()),
            ..ok
        };
        assert!(!unread.passed());
    }
}
