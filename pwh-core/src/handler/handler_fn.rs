//! Handlers made of closures, for handlers built at run time without `#[on_event]`.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use crate::context::EventContext;
use crate::handler::{EventHandler, EventRoute, HandlerError, HandlerInfo};
use crate::jobs::JobPolicy;

/// A boxed future of a closure handler, borrowing the event for `'r`.
pub type HandlerFuture<'r> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'r>>;

/// A handler made of a closure; see [`handler_fn`] and [`async_handler_fn`].
pub struct FnHandler<F> {
    info: HandlerInfo,
    f: F,
}

/// A handler named `name`, receiving the events of `route`, that calls `f` at once (without
/// a future) for each.
///
/// ```
/// use pwh_core::handler::{handler_fn, EventRoute};
/// use pwh_core::{Dispatcher, HandlerError, KeyRing, Token};
///
/// let audit = handler_fn("audit", EventRoute::Any, |cx| {
///     println!("{} #{}", cx.event().name(), cx.index());
///     Ok::<_, HandlerError>(())
/// });
/// let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
///     .registered_handlers(false)
///     .handler(audit)
///     .build();
/// assert_eq!(dispatcher.handlers()[0].name(), "audit");
/// ```
pub fn handler_fn<F>(name: impl Into<Cow<'static, str>>, route: EventRoute, f: F) -> FnHandler<F>
where
    F: for<'r> Fn(&EventContext<'r>) -> Result<(), HandlerError> + Send + Sync + 'static,
{
    FnHandler {
        info: HandlerInfo::new(name, route),
        f,
    }
}

impl<F> FnHandler<F> {
    /// Makes it deferred: its events become jobs run later by workers, retried by `policy`
    /// (as `#[on_event("kind", deferred)]` does).
    #[must_use]
    pub fn deferred(mut self, policy: JobPolicy) -> Self {
        self.info = self.info.deferred(policy);
        self
    }
}

#[async_trait::async_trait]
impl<F> EventHandler for FnHandler<F>
where
    F: for<'r> Fn(&EventContext<'r>) -> Result<(), HandlerError> + Send + Sync + 'static,
{
    fn info(&self) -> HandlerInfo {
        self.info.clone()
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        (self.f)(cx)
    }

    fn call_now(&self, cx: &EventContext<'_>) -> Option<Result<(), HandlerError>> {
        Some((self.f)(cx))
    }
}

/// A handler made of an async closure; see [`async_handler_fn`].
pub struct AsyncFnHandler<F> {
    info: HandlerInfo,
    f: F,
}

/// A handler named `name`, receiving the events of `route`, that awaits the future `f`
/// returns for each. The context is `Copy`: move it into the future.
///
/// ```
/// use pwh_core::handler::{async_handler_fn, EventRoute};
/// use pwh_core::HandlerError;
///
/// let notify = async_handler_fn("notify", EventRoute::kind("member_added"), |cx| {
///     Box::pin(async move {
///         let user = cx.event().str("user_id").unwrap_or("someone");
///         println!("{user} joined");
///         Ok::<_, HandlerError>(())
///     })
/// });
/// # let _ = notify;
/// ```
pub fn async_handler_fn<F>(
    name: impl Into<Cow<'static, str>>,
    route: EventRoute,
    f: F,
) -> AsyncFnHandler<F>
where
    F: for<'r> Fn(EventContext<'r>) -> HandlerFuture<'r> + Send + Sync + 'static,
{
    AsyncFnHandler {
        info: HandlerInfo::new(name, route),
        f,
    }
}

impl<F> AsyncFnHandler<F> {
    /// Makes it deferred: its events become jobs run later by workers, retried by `policy`
    /// (as `#[on_event("kind", deferred)]` does).
    #[must_use]
    pub fn deferred(mut self, policy: JobPolicy) -> Self {
        self.info = self.info.deferred(policy);
        self
    }
}

#[async_trait::async_trait]
impl<F> EventHandler for AsyncFnHandler<F>
where
    F: for<'r> Fn(EventContext<'r>) -> HandlerFuture<'r> + Send + Sync + 'static,
{
    fn info(&self) -> HandlerInfo {
        self.info.clone()
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        (self.f)(*cx).await
    }
}
