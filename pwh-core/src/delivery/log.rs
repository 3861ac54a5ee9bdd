//! The store's side of the redelivery memory: the [`DeliveryLog`] trait and its types.

use std::fmt;
use std::time::Duration;

use crate::delivery::done::Done;
use crate::delivery::progress::Progress;

/// Names one delivered body: its verified HMAC-SHA256 signature.
///
/// Pusher sends the very same body again when it retries, so the signature identifies the
/// webhook across its deliveries. Nobody without the secret can choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryId(pub [u8; 32]);

impl DeliveryId {
    /// The first 8 bytes: uniformly distributed, as the id is an HMAC.
    pub fn prefix(&self) -> u64 {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        u64::from_le_bytes([a, b, c, d, e, f, g, h])
    }
}

impl fmt::Display for DeliveryId {
    /// Lowercase hex, as Pusher sends the signature.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Proves that a delivery holds the lease on its body: [`DeliveryLog::begin`] hands one out,
/// and only its holder can renew or end that lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseToken(pub u64);

/// What a delivery finds when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The delivery holds the lease: run every handler that `progress` does not name (empty
    /// for a body never seen, or forgotten).
    Run {
        /// The lease, to renew and end it.
        lease: LeaseToken,
        /// What earlier deliveries achieved.
        progress: Progress,
    },
    /// Every handler already succeeded on an earlier delivery: run nothing.
    Complete,
    /// Another delivery of the same body holds the lease right now.
    Busy,
}

/// How a delivery ends, in [`DeliveryLog::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every handler of the body has succeeded, now or before.
    Complete,
    /// Some did not (a failure, the deadline, a dropped request): a later delivery runs them.
    Release,
}

/// Why the delivery store could not answer. The dispatcher answers 503 and runs no handler
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
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unreachable => "unreachable",
            Self::TimedOut => "timed out",
            Self::Full => "full",
            Self::Failed => "failed",
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

/// Where the dispatcher remembers what each delivery of a body achieved, and which delivery
/// is running it now.
///
/// The default, [`MemoryLog`](crate::MemoryLog), lives in the process; `pwh-redis` shares one
/// among several instances. An implementation keeps these promises:
///
/// - [`begin`](Self::begin) is atomic: it reads what earlier deliveries achieved and, unless
///   the body is complete or leased by someone else, gives the caller a new lease, so a copy
///   arriving meanwhile is told [`Begin::Busy`] instead of running the same handlers twice.
/// - A lease expires `lease_for` after it was taken or renewed, by the **store's** clock, and
///   only the holder of its [`LeaseToken`] renews or ends it.
/// - What a body achieved only grows: [`finish`](Self::finish) adds the pairs it is given
///   whoever calls it (they did succeed), but only the lease's holder ends the lease or marks
///   the body complete. A stale delivery can neither erase progress nor end someone else's
///   lease.
/// - A body is remembered for `keep_for` after its first delivery began (then forgotten:
///   the dispatcher refuses it as stale by then, or the retention has passed).
///
/// Each method returns a [`StoreError`] when the store cannot answer; the dispatcher then
/// answers 503 without running a handler.
#[async_trait::async_trait]
pub trait DeliveryLog: Send + Sync + 'static {
    /// Starts a delivery of `id`: a lease for `lease_for` unless the body is complete or
    /// leased, the body remembered for `keep_for`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the store cannot answer or cannot remember one more body.
    async fn begin(
        &self,
        id: &DeliveryId,
        lease_for: Duration,
        keep_for: Duration,
    ) -> Result<Begin, StoreError>;

    /// Extends the lease `lease` on `id` to `lease_for` from now; `false` when it is no longer
    /// held by that token (it expired and another delivery took it).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the store cannot answer.
    async fn renew(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> Result<bool, StoreError>;

    /// Adds `done`, the `(event index, handler name)` pairs that are done, to what `id`
    /// achieved; if `lease` still holds the body's lease, ends it, and with [`End::Complete`]
    /// marks the body complete. (A store that marks the body complete need not read `done`:
    /// complete supersedes the pairs.)
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the store cannot answer.
    async fn finish(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
        end: End,
    ) -> Result<(), StoreError>;

    /// [`begin`](Self::begin) at once, without a future, for a store that never waits (in
    /// process): the dispatcher tries it first and awaits `begin` only on `None`, the default.
    ///
    /// # Errors
    ///
    /// As [`begin`](Self::begin).
    fn begin_now(
        &self,
        id: &DeliveryId,
        lease_for: Duration,
        keep_for: Duration,
    ) -> Option<Result<Begin, StoreError>> {
        let _ = (id, lease_for, keep_for);
        None
    }

    /// [`finish`](Self::finish) at once, as [`begin_now`](Self::begin_now).
    ///
    /// # Errors
    ///
    /// As [`finish`](Self::finish).
    fn finish_now(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
        end: End,
    ) -> Option<Result<(), StoreError>> {
        let _ = (id, lease, done, end);
        None
    }
}

#[async_trait::async_trait]
impl<L: DeliveryLog + ?Sized> DeliveryLog for std::sync::Arc<L> {
    async fn begin(
        &self,
        id: &DeliveryId,
        lease_for: Duration,
        keep_for: Duration,
    ) -> Result<Begin, StoreError> {
        (**self).begin(id, lease_for, keep_for).await
    }

    async fn renew(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> Result<bool, StoreError> {
        (**self).renew(id, lease, lease_for).await
    }

    async fn finish(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
        end: End,
    ) -> Result<(), StoreError> {
        (**self).finish(id, lease, done, end).await
    }

    fn begin_now(
        &self,
        id: &DeliveryId,
        lease_for: Duration,
        keep_for: Duration,
    ) -> Option<Result<Begin, StoreError>> {
        (**self).begin_now(id, lease_for, keep_for)
    }

    fn finish_now(
        &self,
        id: &DeliveryId,
        lease: LeaseToken,
        done: Done<'_>,
        end: End,
    ) -> Option<Result<(), StoreError>> {
        (**self).finish_now(id, lease, done, end)
    }
}
