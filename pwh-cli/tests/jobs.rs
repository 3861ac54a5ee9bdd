//! `pwh jobs` against the jobs an app recorded, in a pwh-sqlite file (`SqliteStore`) and on
//! Redis (`RedisJobs`, under a fresh prefix on `PWH_TEST_REDIS_URL`): list (a table, JSON,
//! payloads only when asked), dead, retry, discard, purge, and the errors. Each action's test
//! runs on both stores.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{pwh, temp_dir, TempDir};
use example_shared::test_redis::{fresh_prefix, redis_cluster, redis_url};
use pwh_core::delivery::DeliveryId;
use pwh_core::jobs::{JobCounts, JobEnd, JobId, JobStore, NewJob};
use pwh_redis::RedisJobs;
use pwh_sqlite::SqliteStore;
use serde_json::Value;

/// What only a payload holds: never printed without `--payload`.
const PRIVATE: &str = "ada-private-data";

fn job(handler: &str, n: u32) -> NewJob {
    let body = DeliveryId::of("", format!("cli body {n}").as_bytes());
    NewJob {
        id: JobId::of(&body, 0, handler),
        handler: handler.to_owned(),
        kind: "member_added".to_owned(),
        payload: format!(
            r#"{{"time_ms":1,"events":[{{"name":"member_added","user_id":"{PRIVATE}-{n}"}}]}}"#
        )
        .into_bytes(),
        key: "key".to_owned(),
        index: 0,
        received_ms: 1_327_078_148_132,
        max_attempts: 3,
    }
}

/// The jobs of the tests: one pending, two dead, one done (oldest first in that order).
struct Jobs {
    pending: JobId,
    dead: [JobId; 2],
    done: JobId,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The store of one test, as `pwh jobs` is told where it is.
enum Store {
    Sqlite { _dir: TempDir, path: PathBuf },
    Redis { url: String, prefix: String },
    Cluster { nodes: Vec<String>, prefix: String },
}

impl Store {
    fn sqlite(test: &str) -> Self {
        let dir = temp_dir(test);
        let path = dir.join("pwh.sqlite");
        Self::Sqlite { _dir: dir, path }
    }

    /// A fresh prefix on the test Redis; `None` when the tests that need Redis are skipped.
    #[track_caller]
    fn redis() -> Option<Self> {
        Some(Self::Redis {
            url: redis_url()?,
            prefix: fresh_prefix(),
        })
    }

    /// A fresh prefix on the test Redis Cluster; `None` when the tests that need Redis are
    /// skipped.
    #[track_caller]
    fn cluster() -> Option<Self> {
        Some(Self::Cluster {
            nodes: redis_cluster()?,
            prefix: fresh_prefix(),
        })
    }

    /// The store as the app opens it.
    fn open(&self) -> Box<dyn JobStore> {
        match self {
            Self::Sqlite { path, .. } => Box::new(SqliteStore::open(path).unwrap()),
            Self::Redis { url, prefix } => Box::new(
                RedisJobs::builder(url.as_str())
                    .prefix(prefix.as_str())
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap(),
            ),
            Self::Cluster { nodes, prefix } => Box::new(
                RedisJobs::cluster_builder(nodes)
                    .prefix(prefix.as_str())
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap(),
            ),
        }
    }

    /// Runs `pwh jobs <the store's flags> <args>`.
    fn pwh(&self, args: &[&str]) -> common::Run {
        let mut all = vec!["jobs"];
        let joined;
        match self {
            Self::Sqlite { path, .. } => all.extend(["--sqlite", path.to_str().unwrap()]),
            Self::Redis { url, prefix } => {
                all.extend(["--redis", url.as_str(), "--redis-prefix", prefix.as_str()]);
            }
            Self::Cluster { nodes, prefix } => {
                joined = nodes.join(",");
                all.extend([
                    "--redis-cluster",
                    joined.as_str(),
                    "--redis-prefix",
                    prefix.as_str(),
                ]);
            }
        }
        all.extend_from_slice(args);
        pwh(&all)
    }

    /// Records [`Jobs`] as an app would.
    fn record(&self) -> Jobs {
        let store = self.open();
        let jobs = [
            job("app::later", 0),
            job("app::crm", 1),
            job("app::crm", 2),
            job("app::report", 3),
        ];
        runtime().block_on(async {
            store.enqueue(&jobs).await.unwrap();
            let lease = Duration::from_secs(30);
            for c in store.claim(&["app::crm"], 10, lease).await.unwrap() {
                let end = JobEnd::Dead {
                    error: "CRM down\nfor good".to_owned(),
                };
                store.end(&c.job.id, c.lease, end).await.unwrap();
            }
            for c in store.claim(&["app::report"], 10, lease).await.unwrap() {
                store.end(&c.job.id, c.lease, JobEnd::Done).await.unwrap();
            }
        });
        Jobs {
            pending: jobs[0].id,
            dead: [jobs[1].id, jobs[2].id],
            done: jobs[3].id,
        }
    }

    fn counts(&self) -> JobCounts {
        let store = self.open();
        runtime().block_on(store.counts()).unwrap()
    }
}

/// `on_each!(test)`: `test(&Store)` as three tests, `sqlite::test`, `redis::test` and
/// `cluster::test`.
macro_rules! on_each {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test(&super::Store::sqlite(stringify!($test)));
                }
            )*
        }
        mod redis {
            $(
                #[test]
                fn $test() {
                    if let Some(store) = super::Store::redis() {
                        super::$test(&store);
                    }
                }
            )*
        }
        mod cluster {
            $(
                #[test]
                fn $test() {
                    if let Some(store) = super::Store::cluster() {
                        super::$test(&store);
                    }
                }
            )*
        }
    };
}

on_each!(
    list_shows_a_table_without_payloads_unless_asked,
    dead_and_json_parse_with_payloads_only_when_asked,
    retry_moves_dead_jobs_back_to_pending,
    discard_and_purge_delete_jobs,
    unknown_ids_are_errors_that_say_so,
);

fn list_shows_a_table_without_payloads_unless_asked(store: &Store) {
    let jobs = store.record();

    let run = store.pwh(&["list"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "a header, four jobs, the counts: {run:?}");
    for word in [
        "ID",
        "HANDLER",
        "KIND",
        "STATE",
        "ATTEMPTS",
        "RECEIVED",
        "LAST ERROR",
    ] {
        assert!(lines[0].contains(word), "{run:?}");
    }
    assert!(
        lines[1].starts_with(&jobs.pending.to_string()),
        "oldest first: {run:?}"
    );
    assert!(
        lines[1].contains("pending") && lines[1].contains("0/3"),
        "{run:?}"
    );
    assert!(
        lines[2].contains("dead") && lines[2].contains("1/3"),
        "{run:?}"
    );
    assert!(lines[2].contains("2012-01-20 16:49:08Z"), "{run:?}");
    assert!(
        lines[2].ends_with("CRM down for good"),
        "one line per job: {run:?}"
    );
    assert!(lines[4].starts_with(&jobs.done.to_string()), "{run:?}");
    assert_eq!(
        lines[5],
        "4 of 4 jobs shown (pending 1, running 0, done 1, dead 2)"
    );
    assert!(!run.stdout.contains(PRIVATE), "no payload: {run:?}");

    let pending = store.pwh(&["list", "--state", "pending", "--payload"]);
    assert_eq!(pending.code, 0, "{pending:?}");
    assert!(
        pending.stdout.contains(&format!("{PRIVATE}-0")),
        "{pending:?}"
    );
    assert!(
        !pending.stdout.contains(&format!("{PRIVATE}-1")),
        "{pending:?}"
    );

    let limited = store.pwh(&["list", "--limit", "1"]);
    assert!(limited.stdout.contains("1 of 4 jobs shown"), "{limited:?}");
}

fn dead_and_json_parse_with_payloads_only_when_asked(store: &Store) {
    let jobs = store.record();

    let dead = store.pwh(&["dead"]);
    assert_eq!(dead.code, 0, "{dead:?}");
    assert_eq!(dead.stdout.lines().count(), 4, "{dead:?}");
    assert!(dead.stdout.contains(&jobs.dead[1].to_string()), "{dead:?}");

    let run = store.pwh(&["dead", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let listed: Value = serde_json::from_str(&run.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], jobs.dead[0].to_string());
    assert_eq!(listed[0]["state"], "dead");
    assert_eq!(listed[0]["handler"], "app::crm");
    assert_eq!(listed[0]["attempts"], 1);
    assert_eq!(listed[0]["max_attempts"], 3);
    assert_eq!(listed[0]["received_ms"], 1_327_078_148_132_u64);
    assert_eq!(listed[0]["last_error"], "CRM down\nfor good");
    assert!(listed[0].get("payload").is_none());
    assert!(!run.stdout.contains(PRIVATE));

    let run = store.pwh(&["list", "--json", "--payload"]);
    let listed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4);
    assert_eq!(
        listed[0]["payload"]["events"][0]["user_id"],
        format!("{PRIVATE}-0")
    );
}

fn retry_moves_dead_jobs_back_to_pending(store: &Store) {
    let jobs = store.record();

    let one = store.pwh(&["retry", &jobs.dead[0].to_string()]);
    assert_eq!(one.code, 0, "{one:?}");
    assert!(one.stdout.contains("pending again"), "{one:?}");
    assert_eq!((store.counts().pending, store.counts().dead), (2, 1));

    let all = store.pwh(&["retry", "--all-dead"]);
    assert_eq!(all.code, 0, "{all:?}");
    assert_eq!(all.stdout, "1 dead job is pending again\n");
    let after = store.counts();
    assert_eq!((after.pending, after.dead, after.done), (3, 0, 1));
    let listed = store.pwh(&["list", "--state", "pending", "--json"]);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["attempts"] == 0),
        "fresh attempts: {listed}"
    );
    let none = store.pwh(&["retry", "--all-dead"]);
    assert_eq!(
        (none.code, none.stdout.as_str()),
        (0, "no dead job to retry\n")
    );

    let not_dead = store.pwh(&["retry", &jobs.done.to_string()]);
    assert_eq!(not_dead.code, 2, "{not_dead:?}");
    assert!(
        not_dead.stderr.contains("is done, not dead"),
        "{not_dead:?}"
    );
}

fn discard_and_purge_delete_jobs(store: &Store) {
    let jobs = store.record();

    let id = jobs.pending.to_string();
    let run = store.pwh(&["discard", &id]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, format!("job {id} discarded\n"));
    assert_eq!(store.counts().pending, 0);
    let again = store.pwh(&["discard", &id]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains(&format!("no job {id}")), "{again:?}");

    let young = store.pwh(&["purge", "--done", "--older-than", "1h"]);
    assert_eq!(young.code, 0, "{young:?}");
    assert!(young.stdout.starts_with("purged 0 done jobs"), "{young:?}");
    assert_eq!(store.counts().done, 1);
    let all = store.pwh(&["purge", "--done", "--dead"]);
    assert_eq!(all.code, 0, "{all:?}");
    assert_eq!(all.stdout, "purged 1 done job\npurged 2 dead jobs\n");
    assert_eq!(store.counts(), JobCounts::default());
}

fn unknown_ids_are_errors_that_say_so(store: &Store) {
    store.record();
    let run = store.pwh(&["retry", "not-an-id"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("32 hex digits"), "{run:?}");
    let unknown = "0".repeat(32);
    for action in ["retry", "discard"] {
        let run = store.pwh(&[action, &unknown]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains(&format!("no job {unknown}")), "{run:?}");
    }
    let run = store.pwh(&["list", "--state", "asleep"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("pending, running, done or dead"),
        "{run:?}"
    );
}

#[test]
fn bad_files_are_errors_that_say_so() {
    let store = Store::sqlite("jobs-errors");
    store.record();
    let Store::Sqlite { path, .. } = &store else {
        unreachable!("a SQLite store")
    };
    let dir = path.parent().unwrap();
    let file = path.to_str().unwrap();

    // The store may come after the action.
    let run = pwh(&["jobs", "list", "--sqlite", file, "--state", "dead"]);
    assert_eq!(run.code, 0, "{run:?}");

    let missing = dir.join("missing.sqlite");
    let run = pwh(&["jobs", "--sqlite", missing.to_str().unwrap(), "list"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("missing.sqlite"), "{run:?}");
    assert!(!missing.exists(), "never created");

    let text = dir.join("notes.txt");
    std::fs::write(&text, "these are notes, not a database: ".repeat(10)).unwrap();
    let run = pwh(&["jobs", "--sqlite", text.to_str().unwrap(), "list"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains("notes.txt"),
        "{run:?}"
    );

    let empty = dir.join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap();
    let run = pwh(&["jobs", "--sqlite", empty.to_str().unwrap(), "list"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("is empty"), "{run:?}");
}

/// Exactly one store; a Redis URL that is not one, or a Redis that does not answer, is one
/// line that never repeats the URL's password. Needs no Redis.
#[test]
fn one_store_and_redis_errors_say_so() {
    let no_store = pwh(&["jobs", "list"]);
    assert_eq!(no_store.code, 2, "{no_store:?}");
    assert!(
        no_store.stderr.contains("--sqlite PATH") && no_store.stderr.contains("--redis URL"),
        "{no_store:?}"
    );
    for two in [
        [
            "--sqlite",
            "pwh.sqlite",
            "list",
            "--redis",
            "redis://127.0.0.1/",
        ],
        [
            "--redis",
            "redis://127.0.0.1/",
            "--redis-cluster",
            "127.0.0.1:7000",
            "list",
        ],
    ] {
        let run = pwh(&[&["jobs"], &two[..]].concat());
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("not two"), "{run:?}");
    }
    let prefix_alone = pwh(&[
        "jobs",
        "--sqlite",
        "pwh.sqlite",
        "--redis-prefix",
        "a:",
        "list",
    ]);
    assert_eq!(prefix_alone.code, 2, "{prefix_alone:?}");
    assert!(
        prefix_alone
            .stderr
            .contains("--redis-prefix goes with --redis"),
        "{prefix_alone:?}"
    );

    let bad = pwh(&["jobs", "--redis", "http://ada:hunter2@example.com/", "list"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.starts_with("error: --redis: "), "{bad:?}");
    assert!(!bad.stderr.contains("hunter2"), "{bad:?}");
    let no_node = pwh(&["jobs", "--redis-cluster", " , ", "list"]);
    assert_eq!(no_node.code, 2, "{no_node:?}");
    assert!(
        no_node
            .stderr
            .starts_with("error: --redis-cluster: no Redis Cluster node"),
        "{no_node:?}"
    );

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("redis://ada:hunter2@127.0.0.1:{port}/");
    let down = pwh(&["jobs", "--redis", &url, "list"]);
    assert_eq!(down.code, 2, "{down:?}");
    assert_eq!(down.stderr.lines().count(), 1, "{down:?}");
    assert!(!down.stderr.contains("hunter2"), "{down:?}");
}

/// The prefix the app uses: without `--redis-prefix`, RedisJobs' default (`pwh:`); jobs
/// under another prefix are not shown.
#[test]
fn redis_prefix_defaults_to_the_stores_and_separates_apps() {
    let Some(url) = redis_url() else {
        return;
    };
    let store = Store::Redis {
        url: url.clone(),
        prefix: fresh_prefix(),
    };
    let jobs = store.record();
    let other = pwh(&[
        "jobs",
        "--redis",
        &url,
        "--redis-prefix",
        &fresh_prefix(),
        "list",
    ]);
    assert_eq!(other.code, 0, "{other:?}");
    assert!(other.stdout.starts_with("0 of 0 jobs shown"), "{other:?}");
    let id = jobs.pending.to_string();
    let unknown = pwh(&["jobs", "--redis", &url, "discard", &id]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("under the prefix \"pwh:\""),
        "the default prefix: {unknown:?}"
    );
    assert_eq!(store.counts().pending, 1, "another prefix's job is kept");
}
