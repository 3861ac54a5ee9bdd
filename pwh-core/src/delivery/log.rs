//! The store's side of the delivery memory: the [`DeliveryLog`] trait and its types.

use std::fmt;
use std::time::Duration;

use crate::delivery::done::Done;
use crate::delivery::progress::Progress;
use crate::delivery::store_future::StoreFuture;

/// Names one delivered body within one app: a 128-bit hash (XXH3) of its bytes.
///
/// Pusher sends the very same bytes again when it retries, whichever of the app's tokens
/// signs them (key rotation), so the bytes identify the webhook across its deliveries. A
/// non-cryptographic hash is enough: only bytes whose signature verified reach it, so nobody
/// without a secret can choose them, and two distinct bodies of one app share an id with a
/// chance of 2^-64 among 2^32 bodies. Tokens marked as separate apps
/// ([`Token::app`](crate::Token::app)) hash with their app's name, so that identical bodies of
/// two apps stay two deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryId(pub [u8; 16]);

impl DeliveryId {
    /// The id of `body` in the app named `app` (`""` for the default app).
    pub fn of(app: &str, body: &[u8]) -> Self {
        let seed = if app.is_empty() {
            0
        } else {
            xxhash_rust::xxh3::xxh3_64(app.as_bytes())
        };
        Self(xxhash_rust::xxh3::xxh3_128_with_seed(body, seed).to_le_bytes())
    }

    /// The first 8 bytes: uniformly distributed, as the id is a hash.
    pub fn prefix(&self) -> u64 {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        u64::from_le_bytes([a, b, c, d, e, f, g, h])
    }
}

impl fmt::Display for DeliveryId {
    /// Lowercase hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Proves that a delivery holds the lease on its body, and fences it: [`DeliveryLog::begin`]
/// hands out a token greater than any earlier lease of the body had, and the store refuses
/// lease operations (renew, release) from any token but the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseToken(pub u64);

/// The terms a delivery asks a lease on: how long it lasts, how long the body is remembered,
/// and when the caller gives up waiting for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTerms {
    /// How long the lease lasts unless renewed.
    pub lease_for: Duration,
    /// How long the body is remembered after its first delivery began.
    pub keep_for: Duration,
    /// When the caller stops waiting, in milliseconds since the Unix epoch by the app's clock:
    /// a request that reaches the store later takes no lease (the store checks it against its
    /// own clock, so a store clock behind the app's by *d* lets a request that late by up to
    /// *d* still take one).
    pub not_after_ms: u64,
}

impl LeaseTerms {
    /// Terms for `lease_for` and `keep_for`, given up `give_up_in` from now.
    pub fn new(lease_for: Duration, keep_for: Duration, give_up_in: Duration) -> Self {
        let give_up_in_ms = u64::try_from(give_up_in.as_millis()).unwrap_or(u64::MAX);
        Self {
            lease_for,
            keep_for,
            not_after_ms: unix_ms().saturating_add(give_up_in_ms),
        }
    }

    /// Whether the caller gave up already, by this process's clock (for a store in process).
    pub fn given_up(&self) -> bool {
        unix_ms() > self.not_after_ms
    }
}

/// Milliseconds since the Unix epoch, by the system's clock.
fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What a delivery finds when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The delivery holds the lease: run every handler that `progress` does not name as done
    /// (every handler for a body never seen, or forgotten).
    Run {
        /// The lease, to renew and end it.
        lease: LeaseToken,
        /// What earlier deliveries left to do.
        progress: Progress,
    },
    /// Every handler already succeeded on an earlier delivery: run nothing.
    Complete,
    /// Another delivery of the same body holds the lease right now.
    Busy,
}

/// Where the dispatcher remembers what each delivery of a body achieved, and which delivery
/// is running it now.
///
/// The default, [`MemoryLog`](crate::delivery::MemoryLog), lives in the process; `pwh-redis` shares one
/// among several instances. An implementation keeps these promises:
///
/// - [`begin`](Self::begin) is atomic: it reads what earlier deliveries left to do and, unless
///   the body is complete or leased by someone else, gives the caller a new lease whose
///   [`LeaseToken`] is greater than any earlier one of the body, so a copy arriving meanwhile
///   is told [`Begin::Busy`] instead of running the same handlers twice. A begin that reaches
///   the store after [`LeaseTerms::not_after_ms`] takes no lease (it answers an error).
/// - A lease expires `lease_for` after it was taken or renewed, by the **store's** clock, and
///   only the current token renews or releases it (fencing): a delivery whose lease expired
///   and was taken by another can neither extend nor end the new one.
/// - What a body achieved only grows: [`finish`](Self::finish) records the pairs it is given
///   whoever calls it (they did succeed, late or not), and the body is complete once no pair
///   is left to do.
/// - A retry costs what is left, not what was done: a body's progress is kept as the pairs
///   still to do, written by the first delivery that finishes (its unfinished pairs) and
///   shrunk by later ones (their successes).
/// - A body is remembered for `keep_for` after its first delivery began (then forgotten:
///   the dispatcher refuses it as stale by then, or the retention has passed).
///
/// Each method returns a [`StoreError`](crate::delivery::StoreError) when the store cannot answer; the dispatcher then
/// answers 503 without running a handler (begin), stops its handlers (renewals failing for
/// most of a lease), or retries in the background (finish: successes are never dropped).
///
/// Each call returns a [`StoreFuture`]: a store in the process answers at once
/// ([`StoreFuture::ready`]), a remote one with an `async` block ([`StoreFuture::new`]).
///
/// ```
/// use pwh_core::delivery::{Begin, DeliveryId, DeliveryLog, Done, LeaseTerms, LeaseToken, StoreError};
/// use pwh_core::delivery::{StoreErrorKind, StoreFuture};
///
/// /// A store that is always down: every delivery is answered 503.
/// struct Down;
///
/// impl DeliveryLog for Down {
///     fn begin<'a>(&'a self, _: &'a DeliveryId, _: LeaseTerms) -> StoreFuture<'a, Begin> {
///         StoreFuture::new(async { Err(StoreError::new(StoreErrorKind::Unreachable, "down")) })
///     }
///     fn renew<'a>(&'a self, _: &'a DeliveryId, _: LeaseToken, _: LeaseTerms)
///         -> StoreFuture<'a, bool> {
///         StoreFuture::ready(Ok(false))
///     }
///     fn finish<'a>(&'a self, _: &'a DeliveryId, _: LeaseToken, _: Done<'a>)
///         -> StoreFuture<'a, ()> {
///         StoreFuture::ready(Err(StoreError::new(StoreErrorKind::Unreachable, "down")))
///     }
/// }
/// ```
pub trait DeliveryLog: Send + Sync + 'static {
    /// Starts a delivery of `id` on `terms`: a lease unless the body is complete or leased,
    /// the body remembered for `terms.keep_for`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`](crate::delivery::StoreError) when the store cannot answer (in time) or cannot remember one more
    /// body.
    fn begin<'a>(&'a self, id: &'a DeliveryId, terms: LeaseTerms) -> StoreFuture<'a, Begin>;

    /// Extends the lease `lease` on `id` to `terms.lease_for` from now; `false` when it is no
    /// longer held by that token (it expired, or another delivery took it). A renewal that
    /// reaches the store after `terms.not_after_ms` extends nothing.
    ///
    /// # Errors
    ///
    /// A [`StoreError`](crate::delivery::StoreError) when the store cannot answer.
    fn renew<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> StoreFuture<'a, bool>;

    /// Records what a delivery of `id` achieved (see [`Done`]) and, if `lease` is still the
    /// body's current lease, releases it. Idempotent: the dispatcher calls it again when an
    /// answer did not arrive.
    ///
    /// # Errors
    ///
    /// A [`StoreError`](crate::delivery::StoreError) when the store cannot answer.
    fn finish<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        done: Done<'a>,
    ) -> StoreFuture<'a, ()>;

    /// Another handle on the same store for the lease renewer, which runs on a thread and a
    /// runtime of its own so that handlers blocking the app's runtime cannot starve it: a
    /// store whose connections are driven by the runtime that made them returns a handle that
    /// makes its own. `None` (the default) lets the renewer call this one.
    fn renewal_handle(&self) -> Option<Box<dyn DeliveryLog>> {
        None
    }
}

impl<L: DeliveryLog + ?Sized> DeliveryLog for std::sync::Arc<L> {
    fn begin<'a>(&'a self, id: &'a DeliveryId, terms: LeaseTerms) -> StoreFuture<'a, Begin> {
        (**self).begin(id, terms)
    }

    fn renew<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> StoreFuture<'a, bool> {
        (**self).renew(id, lease, terms)
    }

    fn finish<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        done: Done<'a>,
    ) -> StoreFuture<'a, ()> {
        (**self).finish(id, lease, done)
    }

    fn renewal_handle(&self) -> Option<Box<dyn DeliveryLog>> {
        (**self).renewal_handle()
    }
}
