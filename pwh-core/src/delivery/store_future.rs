//! [`StoreFuture`]: what a [`DeliveryLog`](crate::delivery::DeliveryLog) call returns.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::store_error::StoreError;

/// The answer of a [`DeliveryLog`](crate::delivery::DeliveryLog) call: ready at once (a store in the
/// process) or to be awaited (a store across the network). One protocol for both: a store in
/// the process answers with [`StoreFuture::ready`] and costs no allocation, a remote one wraps
/// its `async` block with [`StoreFuture::new`].
///
/// ```
/// use pwh_core::delivery::{StoreError, StoreErrorKind, StoreFuture};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let at_once: StoreFuture<'_, u32> = StoreFuture::ready(Ok(7));
/// assert_eq!(at_once.await, Ok(7));
/// let later: StoreFuture<'_, u32> = StoreFuture::new(async {
///     Err(StoreError::new(StoreErrorKind::Unreachable, "connection refused"))
/// });
/// assert!(later.await.is_err());
/// # });
/// ```
#[must_use = "a store call does nothing unless awaited"]
pub struct StoreFuture<'a, T>(Repr<'a, T>);

enum Repr<'a, T> {
    Ready(Option<Result<T, StoreError>>),
    Pending(Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>),
}

impl<'a, T> StoreFuture<'a, T> {
    /// An answer given at once.
    pub fn ready(answer: Result<T, StoreError>) -> Self {
        Self(Repr::Ready(Some(answer)))
    }

    /// An answer to await.
    pub fn new(answer: impl Future<Output = Result<T, StoreError>> + Send + 'a) -> Self {
        Self(Repr::Pending(Box::pin(answer)))
    }

    /// The answer if it was given at once; else the future, to await.
    pub(crate) fn now(self) -> Result<Result<T, StoreError>, Self> {
        match self.0 {
            Repr::Ready(Some(answer)) => Ok(answer),
            repr => Err(Self(repr)),
        }
    }
}

// The answer is never pinned: it is moved out whole.
impl<T> Unpin for StoreFuture<'_, T> {}

impl<T> Future for StoreFuture<'_, T> {
    type Output = Result<T, StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Repr::Ready(answer) => match answer.take() {
                Some(answer) => Poll::Ready(answer),
                None => panic!("a StoreFuture polled after it answered"),
            },
            Repr::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> std::fmt::Debug for StoreFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Repr::Ready(_) => "StoreFuture::Ready",
            Repr::Pending(_) => "StoreFuture::Pending",
        })
    }
}
