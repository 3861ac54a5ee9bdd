//! [`StoreError`]: why the delivery memory's store could not answer.

use std::fmt;

/// Why the delivery memory could not answer. The dispatcher answers 503 and runs no handler
/// (unless it is told to fail open), so Pusher delivers the body again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("delivery store {kind}: {message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
}

/// What kind of [`StoreError`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store cannot be reached (connection refused, closed, not yet established).
    Unreachable,
    /// The store did not answer in time.
    TimedOut,
    /// The store is full of deliveries in progress and cannot remember another one.
    Full,
    /// The store answered with an error.
    Failed,
    /// The delivery's lease went unconfirmed for longer than it can be trusted (the store
    /// stalled or failed while handlers ran): the handlers still running were stopped, so
    /// that no other delivery of the body runs them at the same time.
    LeaseLost,
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unreachable => "unreachable",
            Self::TimedOut => "timed out",
            Self::Full => "full",
            Self::Failed => "failed",
            Self::LeaseLost => "lease lost",
        })
    }
}

impl StoreError {
    /// An error of `kind`, described by `message` (never a secret or a body).
    pub fn new(kind: StoreErrorKind, message: impl fmt::Display) -> Self {
        Self {
            kind,
            message: message.to_string(),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.message
    }
}
