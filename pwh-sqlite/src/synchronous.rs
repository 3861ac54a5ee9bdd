//! [`Synchronous`]: how hard SQLite pushes each commit to the disk.

/// How hard SQLite pushes each commit to the disk (`PRAGMA synchronous`), in WAL mode.
///
/// Either way a commit survives the **process** being killed (`SIGKILL`, a panic, an OOM
/// kill): it is in the write-ahead log, which the next connection reads. They differ when the
/// **machine** stops (power cut, kernel panic):
///
/// - [`Normal`](Self::Normal) (the default) syncs the log at checkpoints only (one every
///   40 MiB of log): the commits since the last one may be lost (the file stays consistent). For the delivery
///   memory that costs at most a repeat: a body whose record was lost runs its handlers again
///   when Pusher retries it, as it would with no memory.
/// - [`Full`](Self::Full) syncs the log at every commit: nothing committed is lost, at the
///   price of one `fsync` per commit (grouped commits share it: one per batch of requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// `PRAGMA synchronous = NORMAL`: durable against a killed process; a power cut may lose
    /// the last commits.
    #[default]
    Normal,
    /// `PRAGMA synchronous = FULL`: durable against a power cut too; one `fsync` per commit.
    Full,
}

impl Synchronous {
    /// The value of `PRAGMA synchronous`.
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}
