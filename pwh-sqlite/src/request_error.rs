//! Why one request to the SQLite writer failed, and how SQLite's errors become
//! [`StoreError`]s that name the file.

use std::path::Path;

use pwh_core::delivery::{StoreError, StoreErrorKind};
use rusqlite::ErrorCode;

/// Why one request run inside the writer's transaction failed: a statement SQLite refused,
/// or a refusal of the store's own (e.g. a lease request that arrived too late).
#[derive(Debug)]
pub(crate) enum RequestError {
    /// SQLite refused a statement.
    Sql(rusqlite::Error),
    /// The store refused the request; the error says why.
    Store(StoreError),
}

impl From<rusqlite::Error> for RequestError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

impl From<StoreError> for RequestError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl RequestError {
    /// As a [`StoreError`] about the file at `path`.
    pub(crate) fn into_store_error(self, path: &Path) -> StoreError {
        match self {
            Self::Sql(e) => sql_error(&e, path),
            Self::Store(e) => e,
        }
    }
}

/// SQLite's error `e` on the file at `path` as a [`StoreError`]: the file locked by another
/// process for longer than the busy timeout is [`TimedOut`](StoreErrorKind::TimedOut), a file
/// that cannot be opened, read or written is [`Unreachable`](StoreErrorKind::Unreachable), a
/// full disk is [`Full`](StoreErrorKind::Full), anything else
/// [`Failed`](StoreErrorKind::Failed). The message names the file and quotes SQLite.
pub(crate) fn sql_error(e: &rusqlite::Error, path: &Path) -> StoreError {
    let (kind, why) = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
            StoreErrorKind::TimedOut,
            "the file stayed locked by another connection for longer than the busy timeout: ",
        ),
        Some(
            ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::PermissionDenied
            | ErrorCode::ReadOnly
            | ErrorCode::FileLockingProtocolFailed,
        ) => (StoreErrorKind::Unreachable, ""),
        Some(ErrorCode::DiskFull) => (StoreErrorKind::Full, "the disk is full: "),
        _ => (StoreErrorKind::Failed, ""),
    };
    StoreError::new(kind, format_args!("sqlite {}: {why}{e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn errors_name_the_file_and_their_kind() {
        let path = Path::new("/var/lib/app/pwh.sqlite");
        let busy = sql_error(&failure(rusqlite::ffi::SQLITE_BUSY), path);
        assert_eq!(busy.kind(), StoreErrorKind::TimedOut);
        assert!(busy.message().contains("/var/lib/app/pwh.sqlite"), "{busy}");
        assert!(busy.message().contains("busy timeout"), "{busy}");
        let io = sql_error(&failure(rusqlite::ffi::SQLITE_IOERR), path);
        assert_eq!(io.kind(), StoreErrorKind::Unreachable);
        let full = sql_error(&failure(rusqlite::ffi::SQLITE_FULL), path);
        assert_eq!(full.kind(), StoreErrorKind::Full);
        let other = sql_error(&rusqlite::Error::InvalidQuery, path);
        assert_eq!(other.kind(), StoreErrorKind::Failed);
    }
}
