//! Files `SqliteStore` must refuse, each with an error that says which file and what to do.

use pwh_sqlite::{OpenError, SqliteStore};

use crate::common::fresh_file;

#[test]
fn a_file_of_a_newer_schema_is_refused() {
    let (_dir, path) = fresh_file();
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::NewerSchema {
                found: 99,
                supported: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("99") && message.contains("upgrade pwh-sqlite"),
        "{message}"
    );
    // Refused, not reused: the file is as it was.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
}

#[test]
fn a_database_of_another_application_is_refused() {
    let (_dir, path) = fresh_file();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY)")
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::NotPwh { .. }), "{err:?}");
    assert!(err.to_string().contains("a file of its own"), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "not even put in WAL mode");
    drop(conn);

    let (_dir, path) = fresh_file();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA application_id = 42").unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::NotPwh { .. }), "{err:?}");
    assert!(err.to_string().contains("0x2a"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_or_cannot_be_made_is_an_error_naming_it() {
    let (dir, path) = fresh_file();
    std::fs::write(&path, b"this is not an SQLite file, but it is long enough to be read as one; this is not an SQLite file")
        .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::Sqlite { .. }), "{err:?}");
    assert!(err.to_string().contains("pwh.sqlite"), "{err}");

    let missing = dir.path().join("no-such-dir").join("pwh.sqlite");
    let err = SqliteStore::open(&missing).unwrap_err();
    assert!(matches!(err, OpenError::Sqlite { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

#[test]
fn options_out_of_range_are_refused() {
    let (_dir, path) = fresh_file();
    let err = SqliteStore::builder(&path)
        .busy_timeout(std::time::Duration::ZERO)
        .open()
        .unwrap_err();
    assert!(matches!(err, OpenError::InvalidOption(_)), "{err:?}");
    let err = SqliteStore::builder(&path)
        .queue_limit(0)
        .open()
        .unwrap_err();
    assert!(matches!(err, OpenError::InvalidOption(_)), "{err:?}");
}
