//! The writer's cost per deferred webhook, without HTTP: what `scripts/load.sh --store sqlite
//! --deferred` asks of the store, driven straight from a runtime.
//!
//! Each webhook is a `begin`, an `enqueue` of two jobs and a `finish` (64 at once, as the
//! load script's connections); meanwhile 16 workers claim one job at a time and end it done
//! (a worker's slot freed, one claimed: the dispatcher's steady state). Reports, per webhook,
//! the CPU time of the writer thread and of the whole process, and the wall time: CPU time is
//! what a change of the writer moves, and varies far less than throughput on a shared machine.
//!
//! ```text
//! cargo bench -p pwh-sqlite --bench store                 # 20,000 webhooks, 3 rounds
//! WEBHOOKS=50000 ROUNDS=5 cargo bench -p pwh-sqlite --bench store
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pwh_core::delivery::{Begin, DeliveryId, DeliveryLog, Done, LeaseTerms};
use pwh_core::jobs::{JobEnd, JobId, JobStore, NewJob};
use pwh_sqlite::SqliteStore;

const HANDLER: &str = "welcome_member";
const CONNECTIONS: u64 = 64;
const WORKERS: usize = 16;

fn main() {
    let webhooks = var("WEBHOOKS", 20_000);
    let rounds = var("ROUNDS", 3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{webhooks} deferred webhooks of two jobs each, {CONNECTIONS} at once, {WORKERS} workers"
    );
    println!("round  writer CPU/webhook  process CPU/webhook  wall/webhook");
    let mut writer = Vec::new();
    for round in 1..=rounds {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(dir.path().join("pwh.sqlite3")).expect("the store opens");
        let before = (thread_cpu("pwh-sqlite-writ"), process_cpu(), Instant::now());
        runtime.block_on(run(store.clone(), webhooks));
        let per = |d: Duration| d.as_secs_f64() * 1e6 / webhooks as f64;
        let w = per(thread_cpu("pwh-sqlite-writ") - before.0);
        println!(
            "{round:>5}  {w:>15.1} us  {:>16.1} us  {:>9.1} us",
            per(process_cpu() - before.1),
            per(before.2.elapsed())
        );
        writer.push(w);
        drop(store);
    }
    writer.sort_by(f64::total_cmp);
    println!(
        "median writer CPU per webhook: {:.1} us",
        writer[writer.len() / 2]
    );
}

async fn run(store: SqliteStore, webhooks: u64) {
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (store, done, sent) = (store.clone(), Arc::clone(&done), Arc::clone(&sent));
        workers.push(tokio::spawn(async move {
            loop {
                let claimed = store
                    .claim(&[HANDLER], 1, Duration::from_secs(30))
                    .await
                    .expect("claim");
                if claimed.is_empty() {
                    if sent.load(Ordering::SeqCst) && done.load(Ordering::SeqCst) == 2 * webhooks {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                for job in claimed {
                    store
                        .end(&job.job.id, job.lease, JobEnd::Done)
                        .await
                        .expect("end");
                    done.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    let mut senders = Vec::new();
    for _ in 0..CONNECTIONS {
        let (store, next) = (store.clone(), Arc::clone(&next));
        senders.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= webhooks {
                    return;
                }
                webhook(&store, n).await;
            }
        }));
    }
    for sender in senders {
        sender.await.expect("a sender");
    }
    sent.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("a worker");
    }
}

/// One deferred webhook: begin, enqueue its two jobs, finish.
async fn webhook(store: &SqliteStore, n: u64) {
    let body = format!(
        r#"{{"time_ms":{n},"events":[{{"name":"member_added","channel":"presence-{n}","user_id":"a"}},{{"name":"member_added","channel":"presence-{n}","user_id":"b"}}]}}"#
    );
    let id = DeliveryId::of("", body.as_bytes());
    let terms = LeaseTerms::new(
        Duration::from_secs(5),
        Duration::from_secs(300),
        Duration::from_secs(3),
    );
    let Begin::Run { lease, .. } = store.begin(&id, terms).await.expect("begin") else {
        panic!("a new body is run");
    };
    let jobs: Vec<NewJob> = (0..2)
        .map(|index| NewJob {
            id: JobId::of(&id, index, HANDLER),
            handler: HANDLER.to_owned(),
            kind: "member_added".to_owned(),
            payload: body.clone().into_bytes(),
            key: "demo-key".to_owned(),
            index: index as u32,
            received_ms: n,
            max_attempts: 10,
        })
        .collect();
    store.enqueue(&jobs).await.expect("enqueue");
    store
        .finish(&id, lease, Done::first(&[]))
        .await
        .expect("finish");
}

fn var(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// utime + stime of a `/proc/.../stat` line, in clock ticks of 10 ms.
fn cpu_of(stat: &str) -> Duration {
    let after_name = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn process_cpu() -> Duration {
    cpu_of(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// The CPU time of the threads named `name` (summed over any still running).
fn thread_cpu(name: &str) -> Duration {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            total += cpu_of(&std::fs::read_to_string(task.path().join("stat")).unwrap_or_default());
        }
    }
    total
}
