//! What the tests share: a fresh file, a store on it, a counting handler (inline or
//! deferred), and a harness.

use std::path::PathBuf;
use std::time::Duration;

use pwh_core::delivery::{Begin, LeaseTerms, LeaseToken, Progress};
use pwh_core::testing::Counted;
use pwh_core::testing::Harness;
use pwh_sqlite::SqliteStore;

/// A fresh directory (removed when dropped) and the path of a file in it.
pub(crate) fn fresh_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("pwh.sqlite");
    (dir, path)
}

/// Terms with a long lease and retention, given up in 5 s.
pub(crate) fn terms() -> LeaseTerms {
    LeaseTerms::new(
        Duration::from_secs(30),
        Duration::from_secs(600),
        Duration::from_secs(5),
    )
}

/// The lease and progress of a `Begin::Run`; a panic naming `step` otherwise.
pub(crate) fn leased(begin: Begin, step: &str) -> (LeaseToken, Progress) {
    match begin {
        Begin::Run { lease, progress } => (lease, progress),
        other => panic!("{step}: expected a lease, got {other:?}"),
    }
}

/// A harness running `handlers` over `store`, its delivery memory and its job store.
pub(crate) fn harness(store: SqliteStore, handlers: &[&Counted]) -> Harness {
    Harness::configure(|builder| {
        handlers
            .iter()
            .map(|h| (*h).clone())
            .fold(builder.registered_handlers(false), |b, h| b.handler(h))
            .delivery_log(store.clone())
            .job_store(store)
    })
}
