//! `pwh jobs` against a pwh-sqlite file whose jobs were recorded through `SqliteStore`: list
//! (a table, JSON, payloads only when asked), dead, retry, discard, purge, and the errors.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{pwh, temp_dir};
use pwh_core::delivery::DeliveryId;
use pwh_core::jobs::{JobCounts, JobEnd, JobId, JobStore, NewJob};
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

/// A pwh-sqlite file at `path` holding [`Jobs`], recorded as an app would.
fn recorded(path: &Path) -> Jobs {
    let store = SqliteStore::open(path).unwrap();
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

fn counts(path: &Path) -> JobCounts {
    let store = SqliteStore::open(path).unwrap();
    runtime().block_on(store.counts()).unwrap()
}

#[test]
fn list_shows_a_table_without_payloads_unless_asked() {
    let dir = temp_dir("jobs-list");
    let path = dir.join("pwh.sqlite");
    let jobs = recorded(&path);
    let file = path.to_str().unwrap();

    let run = pwh(&["jobs", "--sqlite", file, "list"]);
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

    let pending = pwh(&[
        "jobs",
        "list",
        "--sqlite",
        file,
        "--state",
        "pending",
        "--payload",
    ]);
    assert_eq!(pending.code, 0, "{pending:?}");
    assert!(
        pending.stdout.contains(&format!("{PRIVATE}-0")),
        "{pending:?}"
    );
    assert!(
        !pending.stdout.contains(&format!("{PRIVATE}-1")),
        "{pending:?}"
    );

    let limited = pwh(&["jobs", "--sqlite", file, "list", "--limit", "1"]);
    assert!(limited.stdout.contains("1 of 4 jobs shown"), "{limited:?}");
}

#[test]
fn dead_and_json_parse_with_payloads_only_when_asked() {
    let dir = temp_dir("jobs-json");
    let path = dir.join("pwh.sqlite");
    let jobs = recorded(&path);
    let file = path.to_str().unwrap();

    let dead = pwh(&["jobs", "--sqlite", file, "dead"]);
    assert_eq!(dead.code, 0, "{dead:?}");
    assert_eq!(dead.stdout.lines().count(), 4, "{dead:?}");
    assert!(dead.stdout.contains(&jobs.dead[1].to_string()), "{dead:?}");

    let run = pwh(&["jobs", "--sqlite", file, "dead", "--json"]);
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

    let run = pwh(&["jobs", "--sqlite", file, "list", "--json", "--payload"]);
    let listed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4);
    assert_eq!(
        listed[0]["payload"]["events"][0]["user_id"],
        format!("{PRIVATE}-0")
    );
}

#[test]
fn retry_moves_dead_jobs_back_to_pending() {
    let dir = temp_dir("jobs-retry");
    let path = dir.join("pwh.sqlite");
    let jobs = recorded(&path);
    let file = path.to_str().unwrap();

    let one = pwh(&["jobs", "--sqlite", file, "retry", &jobs.dead[0].to_string()]);
    assert_eq!(one.code, 0, "{one:?}");
    assert!(one.stdout.contains("pending again"), "{one:?}");
    assert_eq!((counts(&path).pending, counts(&path).dead), (2, 1));

    let all = pwh(&["jobs", "--sqlite", file, "retry", "--all-dead"]);
    assert_eq!(all.code, 0, "{all:?}");
    assert_eq!(all.stdout, "1 dead job is pending again\n");
    let after = counts(&path);
    assert_eq!((after.pending, after.dead, after.done), (3, 0, 1));
    let listed = pwh(&[
        "jobs", "--sqlite", file, "list", "--state", "pending", "--json",
    ]);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["attempts"] == 0),
        "fresh attempts: {listed}"
    );
    let none = pwh(&["jobs", "--sqlite", file, "retry", "--all-dead"]);
    assert_eq!(
        (none.code, none.stdout.as_str()),
        (0, "no dead job to retry\n")
    );

    let not_dead = pwh(&["jobs", "--sqlite", file, "retry", &jobs.done.to_string()]);
    assert_eq!(not_dead.code, 2, "{not_dead:?}");
    assert!(
        not_dead.stderr.contains("is done, not dead"),
        "{not_dead:?}"
    );
}

#[test]
fn discard_and_purge_delete_jobs() {
    let dir = temp_dir("jobs-discard");
    let path = dir.join("pwh.sqlite");
    let jobs = recorded(&path);
    let file = path.to_str().unwrap();

    let id = jobs.pending.to_string();
    let run = pwh(&["jobs", "--sqlite", file, "discard", &id]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, format!("job {id} discarded\n"));
    assert_eq!(counts(&path).pending, 0);
    let again = pwh(&["jobs", "--sqlite", file, "discard", &id]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains(&format!("no job {id}")), "{again:?}");

    let young = pwh(&[
        "jobs",
        "--sqlite",
        file,
        "purge",
        "--done",
        "--older-than",
        "1h",
    ]);
    assert_eq!(young.code, 0, "{young:?}");
    assert!(young.stdout.starts_with("purged 0 done jobs"), "{young:?}");
    assert_eq!(counts(&path).done, 1);
    let all = pwh(&["jobs", "--sqlite", file, "purge", "--done", "--dead"]);
    assert_eq!(all.code, 0, "{all:?}");
    assert_eq!(all.stdout, "purged 1 done job\npurged 2 dead jobs\n");
    assert_eq!(counts(&path), JobCounts::default());
}

#[test]
fn bad_files_and_ids_are_errors_that_say_so() {
    let dir = temp_dir("jobs-errors");
    let path = dir.join("pwh.sqlite");
    recorded(&path);
    let file = path.to_str().unwrap();

    let no_store = pwh(&["jobs", "list"]);
    assert_eq!(no_store.code, 2, "{no_store:?}");
    assert!(no_store.stderr.contains("--sqlite PATH"), "{no_store:?}");

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

    let run = pwh(&["jobs", "--sqlite", file, "retry", "not-an-id"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("32 hex digits"), "{run:?}");
    let unknown = "0".repeat(32);
    let run = pwh(&["jobs", "--sqlite", file, "retry", &unknown]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(&format!("no job {unknown}")), "{run:?}");
    let run = pwh(&["jobs", "--sqlite", file, "list", "--state", "asleep"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("pending, running, done or dead"),
        "{run:?}"
    );
}
