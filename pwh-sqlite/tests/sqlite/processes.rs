//! Several logs and processes on one file: fencing holds among them, and a process killed
//! while it writes leaves the file consistent with everything it was told was committed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use futures_util::future::join_all;
use pwh_core::delivery::{Begin, DeliveryId, DeliveryLog, Done};
use pwh_sqlite::SqliteStore;

use crate::common::{fresh_file, leased, terms};

#[tokio::test]
async fn fencing_holds_between_two_logs_on_one_file() {
    let (_dir, path) = fresh_file();
    let (a, b) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    let id = DeliveryId::of("", b"shared body");
    let (first, _) = leased(a.begin(&id, terms()).await.unwrap(), "a takes the body");
    assert_eq!(
        b.begin(&id, terms()).await,
        Ok(Begin::Busy),
        "b sees a's lease"
    );
    a.finish(&id, first, Done::first(&[(0, "x"), (1, "x")]))
        .await
        .unwrap();
    let (second, progress) = leased(b.begin(&id, terms()).await.unwrap(), "b's retry");
    assert!(
        second > first,
        "tokens grow across logs: {second:?} after {first:?}"
    );
    assert_eq!(progress.len(), 2, "b reads what a left: {progress:?}");
    assert_eq!(
        a.renew(&id, first, terms()).await,
        Ok(false),
        "a's old token renews nothing"
    );
    // a's late success counts, but does not end b's lease.
    a.finish(&id, first, Done::retry(&[(0, "x")]))
        .await
        .unwrap();
    assert_eq!(a.begin(&id, terms()).await, Ok(Begin::Busy));
    assert_eq!(b.renew(&id, second, terms()).await, Ok(true));
    b.finish(&id, second, Done::retry(&[(1, "x")]))
        .await
        .unwrap();
    assert_eq!(a.begin(&id, terms()).await, Ok(Begin::Complete));
    let (next, _) = leased(
        a.begin(&DeliveryId::of("", b"another"), terms())
            .await
            .unwrap(),
        "another body",
    );
    assert!(next > second, "one counter for the whole file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_begins_from_two_logs_lease_each_body_once() {
    let (_dir, path) = fresh_file();
    let (a, b) = (
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    );
    let ids: Vec<DeliveryId> = (0..100u32)
        .map(|n| DeliveryId::of("", &n.to_le_bytes()))
        .collect();
    let asks = ids.iter().flat_map(|id| {
        [
            a.begin(id, terms()),
            b.begin(id, terms()),
            a.begin(id, terms()),
            b.begin(id, terms()),
        ]
    });
    let begun = join_all(asks).await;
    for (id, answers) in ids.iter().zip(begun.chunks(4)) {
        let runs = answers
            .iter()
            .filter(|b| matches!(b, Ok(Begin::Run { .. })))
            .count();
        let busy = answers
            .iter()
            .filter(|b| matches!(b, Ok(Begin::Busy)))
            .count();
        assert_eq!((runs, busy), (1, 3), "{id}: {answers:?}");
    }
}

/// The variable that turns [`helper_writes_until_killed`] into the child process's side.
const HELPER_FILE: &str = "PWH_SQLITE_TEST_HELPER_FILE";
/// How many bodies of each kind every fifth body leaves to do.
const PAIRS: u32 = 200;

/// The child's side of [`a_process_killed_while_it_writes_leaves_the_file_consistent`]: with
/// [`HELPER_FILE`] set, delivers bodies to that file forever, saying on stdout what each
/// committed; without it (a normal test run), does nothing.
#[test]
fn helper_writes_until_killed() {
    let Some(path) = std::env::var_os(HELPER_FILE) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let log = SqliteStore::open(path).unwrap();
    let names: Vec<String> = (0..PAIRS).map(|n| format!("app::handler_{n}")).collect();
    let left: Vec<(u32, &str)> = names.iter().map(|n| (3, n.as_str())).collect();
    let mut out = std::io::stdout().lock();
    runtime.block_on(async {
        for n in 0u64.. {
            let id = DeliveryId::of("", format!("killed {n}").as_bytes());
            let (lease, _) = leased(log.begin(&id, terms()).await.unwrap(), "child");
            let said = match n % 5 {
                0 => "leased",
                1 => {
                    log.finish(&id, lease, Done::first(&left)).await.unwrap();
                    "left"
                }
                _ => {
                    log.finish(&id, lease, Done::first(&[])).await.unwrap();
                    "complete"
                }
            };
            // Past libtest's capture: straight to the pipe, once committed.
            writeln!(out, "{said} {n}").unwrap();
            out.flush().unwrap();
        }
    });
}

#[tokio::test]
async fn a_process_killed_while_it_writes_leaves_the_file_consistent() {
    let (_dir, path) = fresh_file();
    let mut child = Killed(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "processes::helper_writes_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HELPER_FILE, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // What the child was told was committed, until it has said 500 things.
    let mut said = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let Some((what, n)) = line.split_once(' ') else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        said.insert(n, what.to_owned());
        if said.len() == 500 {
            break;
        }
    }
    assert_eq!(said.len(), 500, "the child stopped early");
    // SIGKILL: no destructor, no checkpoint, in the middle of its next transactions.
    child.0.kill().unwrap();
    child.0.wait().unwrap();

    let conn = rusqlite::Connection::open(&path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(conn);

    let log = SqliteStore::open(&path).unwrap();
    for (n, what) in &said {
        let id = DeliveryId::of("", format!("killed {n}").as_bytes());
        let begun = log.begin(&id, terms()).await.unwrap();
        match what.as_str() {
            "leased" => assert_eq!(begun, Begin::Busy, "body {n}: still leased by the dead"),
            "complete" => assert_eq!(begun, Begin::Complete, "body {n}"),
            "left" => {
                let (lease, progress) = leased(begun, "a body with pairs left");
                assert_eq!(progress.len(), PAIRS as usize, "body {n}: {progress:?}");
                log.finish(&id, lease, Done::retry(&[])).await.unwrap();
            }
            other => panic!("the child said {other:?}"),
        }
    }
    // And the file takes new work.
    let id = DeliveryId::of("", b"after the kill");
    let (lease, _) = leased(log.begin(&id, terms()).await.unwrap(), "a new body");
    log.finish(&id, lease, Done::first(&[])).await.unwrap();
    assert_eq!(log.begin(&id, terms()).await, Ok(Begin::Complete));
}

/// The child process, killed when the test ends, passed or not.
pub(crate) struct Killed(pub(crate) std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
