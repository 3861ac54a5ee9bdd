//! The file's layout: pragmas set on each connection, the schema version, and the
//! migrations that bring a file to it.
//!
//! A pwh file is marked by `PRAGMA application_id` ([`APPLICATION_ID`]) and versioned by
//! `PRAGMA user_version` ([`VERSION`]). Opening a file checks both inside one
//! `BEGIN IMMEDIATE` transaction (so two processes opening a new file at once migrate it
//! once): a file of another application, or of a newer schema, is refused, never reused.
//! Migration `n` (in [`MIGRATIONS`]) brings a file from version `n` to `n + 1`: version 1 is
//! the delivery memory, version 2 adds the deferred jobs; later tables come as new
//! migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::open_error::OpenError;
use crate::synchronous::Synchronous;

/// `PRAGMA application_id` of a pwh file: `"pwh1"` in ASCII.
pub(crate) const APPLICATION_ID: i64 = 0x7077_6831;

/// The schema version this crate writes and reads: the number of [`MIGRATIONS`].
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// How many prepared statements the writer's connection keeps: more than the requests and
/// chores use.
const STATEMENT_CACHE: usize = 64;

/// The page size of a new file, in bytes (SQLite's default is 4,096).
const PAGE_SIZE: u32 = 1024;

/// Bytes of write-ahead log between checkpoints (SQLite's default is 1,000 pages).
const WAL_BYTES: i64 = 40 << 20;

/// The size, in bytes, to which the write-ahead log is cut back when it starts over.
const JOURNAL_LIMIT: u64 = 64 << 20;

/// The migrations, in order: the one at index `n` brings a file from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[V1, V2];

/// Version 1: the delivery memory.
///
/// - `pwh_meta`: counters shared by every connection; `last_lease` is the last fencing token
///   handed out (seeded with the clock in µs, so tokens keep growing even over a file made
///   anew).
/// - `pwh_delivery`: one row per remembered body: when its first delivery began, when it is
///   forgotten, its lease (token and end, `NULL` when none) and its state (0 nothing
///   recorded, 1 pairs left, 2 complete).
/// - `pwh_delivery_left`: the `(event, handler)` pairs a body has left to do, while its state
///   is 1.
const V1: &str = "
CREATE TABLE pwh_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO pwh_meta (key, value)
    VALUES ('last_lease', CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
CREATE TABLE pwh_delivery (
    id             BLOB PRIMARY KEY,
    since_ms       INTEGER NOT NULL,
    expires_ms     INTEGER NOT NULL,
    lease          INTEGER,
    lease_until_ms INTEGER,
    state          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX pwh_delivery_expiry ON pwh_delivery (expires_ms);
CREATE TABLE pwh_delivery_left (
    id      BLOB NOT NULL,
    handler TEXT NOT NULL,
    event   INTEGER NOT NULL,
    PRIMARY KEY (id, handler, event)
) WITHOUT ROWID;
";

/// Version 2: the deferred jobs.
///
/// - `pwh_job`: one row per job (see `pwh_core::jobs::NewJob`), its state (0 pending, 1
///   running, 2 done, 3 dead), the attempts made, `at_ms` (pending: when it is due; running:
///   when its lease runs out), its lease's fencing token (from `pwh_meta.last_lease`, as the
///   deliveries'), when it last changed state and why its last attempt failed. A rowid table:
///   the rowid is the order of enqueueing, for listings and claims oldest first.
/// - `pwh_job_due`: the jobs a claim may take (pending or running), by `at_ms`, then rowid:
///   a claim reads the due ones in order and stops at its limit, however long the backlog.
/// - `pwh_job_state`: the jobs of one state by when they last changed: counts, listings of
///   one state, purges of old done and dead jobs.
const V2: &str = "
CREATE TABLE pwh_job (
    id           BLOB PRIMARY KEY,
    handler      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      BLOB NOT NULL,
    key          TEXT NOT NULL,
    event        INTEGER NOT NULL,
    received_ms  INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    state        INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    at_ms        INTEGER NOT NULL,
    lease        INTEGER,
    updated_ms   INTEGER NOT NULL,
    last_error   TEXT
);
CREATE INDEX pwh_job_due ON pwh_job (at_ms) WHERE state IN (0, 1);
CREATE INDEX pwh_job_state ON pwh_job (state, updated_ms);
";

/// Opens the file at `path` (creating it if absent) for one connection of the writer: busy
/// timeout, WAL mode, `synchronous`, and the schema brought to [`VERSION`].
pub(crate) fn open(
    path: &Path,
    synchronous: Synchronous,
    busy_timeout: Duration,
) -> Result<Connection, OpenError> {
    let sqlite = |e: rusqlite::Error| OpenError::Sqlite {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
    conn.busy_timeout(busy_timeout).map_err(sqlite)?;
    // Before anything is written (WAL mode is a write): a file of another application, or
    // of a newer schema, is left exactly as it was.
    identify(&conn, path)?;
    // A new file gets small pages: each commit writes to the log every page it changed,
    // and the bodies' hashed ids land on random pages, so a page of 1 KiB instead of 4 KiB
    // writes a quarter of the bytes for each. (Set before the file's first write; a file
    // made with other pages keeps them.)
    conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}"))
        .map_err(sqlite)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NoWal {
            path: path.to_owned(),
            mode,
        });
    }
    conn.execute_batch(&format!("PRAGMA synchronous = {}", synchronous.pragma()))
        .map_err(sqlite)?;
    // Each request runs in a savepoint, whose sub-journal (the pages as they were before the
    // request changed them) SQLite keeps in memory in chunks of 64 KiB by default, allocated
    // and freed by every request: two page faults and a heap trim per webhook. Temporary
    // storage in memory makes those chunks page-sized and the sub-journal never spill to a
    // file (a request changes a few pages): a sixth less CPU per webhook in the store and
    // 68x fewer page faults (`cargo bench -p pwh-sqlite --bench store`, BENCHMARKS.md).
    conn.execute_batch("PRAGMA temp_store = MEMORY")
        .map_err(sqlite)?;
    // Every statement of every request stays prepared (rusqlite keeps 16 by default, fewer
    // than the requests use: the least recent were parsed again and again).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    migrate(&mut conn, path)?;
    // A checkpoint copies the log into the file (and syncs both): one every WAL_BYTES of log
    // instead of SQLite's 1,000 pages, so a page written by many commits is copied once. It
    // runs on the writer thread after a commit, as SQLite's own; the log is cut back to
    // JOURNAL_LIMIT when it starts over.
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .map_err(sqlite)?;
    conn.execute_batch(&format!(
        "PRAGMA wal_autocheckpoint = {}; PRAGMA journal_size_limit = {JOURNAL_LIMIT}",
        WAL_BYTES / page_size.max(512)
    ))
    .map_err(sqlite)?;
    Ok(conn)
}

/// The file's `(application_id, user_version)`, read without writing; an error for a file
/// of another application (another id, or tables without pwh's), or of a newer schema.
fn identify(conn: &Connection, path: &Path) -> Result<(i64, i64), OpenError> {
    let sqlite = |e: rusqlite::Error| OpenError::Sqlite {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let pragma = |name: &str| -> Result<i64, OpenError> {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .map_err(sqlite)
    };
    let (application, version) = (pragma("application_id")?, pragma("user_version")?);
    if application != 0 && application != APPLICATION_ID {
        return Err(OpenError::NotPwh {
            path: path.to_owned(),
            reason: format!("its application_id is {application:#x}"),
        });
    }
    if version > VERSION {
        return Err(OpenError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: VERSION,
        });
    }
    if application == 0 {
        // Not marked as pwh's: only an empty database becomes one.
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
                [],
                |row| row.get(0),
            )
            .map_err(sqlite)?;
        if tables > 0 || version != 0 {
            return Err(OpenError::NotPwh {
                path: path.to_owned(),
                reason: format!(
                    "it holds {tables} tables or indexes and schema version {version}, but no \
                     pwh application_id"
                ),
            });
        }
    }
    Ok((application, version))
}

/// Brings the file to [`VERSION`], or refuses it: one of another application, or of a newer
/// schema (checked again under the write lock: another process may have changed it since).
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let sqlite = |e: rusqlite::Error| OpenError::Sqlite {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    let (application, version) = identify(&tx, path)?;
    if application == 0 {
        tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
            .map_err(sqlite)?;
    }
    let pending = MIGRATIONS
        .iter()
        .skip(usize::try_from(version).unwrap_or(usize::MAX));
    for migration in pending {
        tx.execute_batch(migration).map_err(sqlite)?;
    }
    if version < VERSION {
        tx.execute_batch(&format!("PRAGMA user_version = {VERSION}"))
            .map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> (i64, i64) {
        let get = |name: &str| {
            conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .unwrap()
        };
        (get("application_id"), get("user_version"))
    }

    #[test]
    fn a_new_file_is_marked_versioned_and_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pwh.sqlite");
        let conn = open(&path, Synchronous::Full, Duration::from_secs(1)).unwrap();
        assert_eq!(version(&conn), (APPLICATION_ID, VERSION));
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let synchronous: i64 = conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
        let checkpoint_every: i64 = conn
            .query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))
            .unwrap();
        assert_eq!(checkpoint_every, WAL_BYTES / i64::from(PAGE_SIZE));
        let page_size: u32 = conn
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap();
        assert_eq!(page_size, PAGE_SIZE);
        let temp_store: i64 = conn
            .query_row("PRAGMA temp_store", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            temp_store, 2,
            "MEMORY: the requests' savepoints journal in memory"
        );
        let last_lease: i64 = conn
            .query_row(
                "SELECT value FROM pwh_meta WHERE key = 'last_lease'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(
            last_lease > 1_600_000_000_000_000,
            "seeded with the clock in µs"
        );
        drop(conn);
        // Opened again: the same file, migrated once.
        let again = open(&path, Synchronous::Normal, Duration::from_secs(1)).unwrap();
        assert_eq!(version(&again), (APPLICATION_ID, VERSION));
    }

    #[test]
    fn a_version_1_file_is_brought_to_the_current_version_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; {V1} PRAGMA user_version = 1; \
             INSERT INTO pwh_delivery (id, since_ms, expires_ms, state) VALUES (x'01', 1, 2, 2);"
        ))
        .unwrap();
        drop(conn);
        let conn = open(&path, Synchronous::Normal, Duration::from_secs(1)).unwrap();
        assert_eq!(version(&conn), (APPLICATION_ID, VERSION));
        assert_eq!(VERSION, 2);
        let (bodies, jobs): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM pwh_delivery), (SELECT count(*) FROM pwh_job)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((bodies, jobs), (1, 0));
        // Made with SQLite's 4 KiB pages, it keeps them; its checkpoints come as often in bytes.
        let pragma = |name: &str| -> i64 {
            conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .unwrap()
        };
        let (page_size, checkpoint_every) = (pragma("page_size"), pragma("wal_autocheckpoint"));
        assert_eq!(page_size, 4096);
        assert_eq!(checkpoint_every, WAL_BYTES / 4096);
    }

    #[test]
    fn a_claim_reads_the_due_index_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(
            &dir.path().join("plan.sqlite"),
            Synchronous::Normal,
            Duration::from_secs(1),
        )
        .unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", crate::jobs_sql::DUE))
            .unwrap()
            .query_map([0_i64], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let plan = plan.join("; ");
        assert!(plan.contains("pwh_job_due"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "no sort: {plan}");
    }

    #[test]
    fn an_empty_file_becomes_a_pwh_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.sqlite");
        std::fs::write(&path, b"").unwrap();
        let conn = open(&path, Synchronous::Normal, Duration::from_secs(1)).unwrap();
        assert_eq!(version(&conn), (APPLICATION_ID, VERSION));
    }
}
