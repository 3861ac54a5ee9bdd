//! The handler trait: something that reacts to events of one kind, or of every kind.

use std::borrow::Cow;
use std::fmt;

use crate::context::EventContext;
use crate::extract::{ExtractError, StateNeeds};

/// Something that reacts to Pusher events.
///
/// `#[on_event]` implements it for you; implement it by hand for handlers built at run time.
///
/// ```
/// use pwh_core::{async_trait, EventContext, EventHandler, HandlerError, HandlerInfo, EventRoute};
///
/// struct Audit;
///
/// #[async_trait]
/// impl EventHandler for Audit {
///     fn info(&self) -> HandlerInfo {
///         HandlerInfo::new("audit", EventRoute::Any)
///     }
///     async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
///         println!("{} #{}", cx.event().name(), cx.index());
///         Ok(())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Its name, the events it wants, and where it is defined.
    fn info(&self) -> HandlerInfo;

    /// Handles one event.
    ///
    /// # Errors
    ///
    /// A [`HandlerError`] when the event could not be handled: the webhook is answered with
    /// 500 so that Pusher delivers it again, and the retry runs this handler again.
    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError>;

    /// Handles one event at once, without a future, if this handler never waits. The
    /// dispatcher tries it first and calls [`call`](Self::call) only on `None`, the default;
    /// it polls that future once in place, so a handler that finishes at once costs its boxed
    /// future and nothing more.
    ///
    /// `#[on_event]` implements it for a plain `fn` (write one for a handler that never waits:
    /// it runs at once) and never for an `async fn`, which always runs as a future, whatever its
    /// body. [`handler_fn`](crate::handler_fn) implements it too. Implement it by hand for a
    /// handler whose work always ends within the call.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    fn call_now(&self, cx: &EventContext<'_>) -> Option<Result<(), HandlerError>> {
        let _ = cx;
        None
    }
}

/// Which events a handler receives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventRoute {
    /// Events whose `name` is this kind.
    Kind(Cow<'static, str>),
    /// Every event, unknown kinds included.
    Any,
}

impl EventRoute {
    /// Events of `kind`.
    pub fn kind(kind: impl Into<Cow<'static, str>>) -> Self {
        Self::Kind(kind.into())
    }
}

impl fmt::Display for EventRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kind(kind) => f.write_str(kind),
            Self::Any => f.write_str("any"),
        }
    }
}

/// A handler's name (unique within a dispatcher), route, and source location.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerInfo {
    name: Cow<'static, str>,
    route: EventRoute,
    location: Option<(&'static str, u32)>,
    state: StateNeeds,
}

impl HandlerInfo {
    /// A handler called `name` (e.g. its function's path) receiving `route`.
    pub fn new(name: impl Into<Cow<'static, str>>, route: EventRoute) -> Self {
        Self {
            name: name.into(),
            route,
            location: None,
            state: StateNeeds::default(),
        }
    }

    /// Records the state the handler cannot do without (`#[on_event]` collects it from the
    /// parameters' [`FromEvent::required_state`](crate::FromEvent::required_state)).
    #[must_use]
    pub fn needs(mut self, state: StateNeeds) -> Self {
        self.state = state;
        self
    }

    /// The state the handler cannot do without.
    pub fn required_state(&self) -> &StateNeeds {
        &self.state
    }

    /// Records where the handler is defined.
    #[must_use]
    pub fn at(mut self, file: &'static str, line: u32) -> Self {
        self.location = Some((file, line));
        self
    }

    /// The handler's name: for `#[on_event]`, the function's path.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn name_cow(&self) -> &Cow<'static, str> {
        &self.name
    }

    /// The events it receives.
    pub fn route(&self) -> &EventRoute {
        &self.route
    }

    /// The file and line where it is defined, if known.
    pub fn location(&self) -> Option<(&'static str, u32)> {
        self.location
    }
}

impl fmt::Display for HandlerInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.name, self.route)?;
        if let Some((file, line)) = self.location {
            write!(f, " ({file}:{line})")?;
        }
        Ok(())
    }
}

/// Why a handler failed; its message is reported in the
/// [`WebhookOutcome`](crate::WebhookOutcome) and logged.
///
/// A failure is *retryable* ([`new`](Self::new): the webhook is answered with 500 and
/// Pusher's retry runs the handler again) or *permanent* ([`permanent`](Self::permanent): no
/// retry can fix it, e.g. data of another shape; it is logged at `error`, remembered as done,
/// and the webhook is answered with 200 when nothing retryable failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    message: String,
    permanent: bool,
}

impl HandlerError {
    /// A retryable failure described by `message`.
    pub fn new(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            permanent: false,
        }
    }

    /// A failure no retry can fix, described by `message`.
    pub fn permanent(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            permanent: true,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether no retry can fix it.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

impl From<ExtractError> for HandlerError {
    /// A parameter that cannot be read from this body cannot be read from its retries
    /// either: permanent. (Missing state is the app's configuration, not the body's:
    /// retryable, and [`DispatcherBuilder::build`](crate::DispatcherBuilder::build) reports
    /// it before the first webhook.)
    fn from(e: ExtractError) -> Self {
        match e {
            ExtractError::MissingState { .. } => Self::new(e),
            _ => Self::permanent(e),
        }
    }
}

/// A handler's error that no retry can fix: return `Err(Permanent(e))` (or use
/// `.map_err(Permanent)?`) and the failure is logged at `error`, remembered as done and not
/// retried.
///
/// ```
/// use pwh_core::{on_event, Permanent};
///
/// #[on_event("member_added")]
/// async fn greet(user_id: &str) -> Result<(), Permanent<String>> {
///     if user_id.starts_with("bot-") {
///         return Err(Permanent(format!("bots are not greeted")));
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permanent<E>(pub E);

/// What a handler function may return: `()`, `Result<(), E>` with `E: Display` (a failure
/// is retried), or `Result<(), Permanent<E>>` (it is not).
#[diagnostic::on_unimplemented(
    message = "a Pusher event handler cannot return `{Self}`",
    label = "handlers return `()` or `Result<(), E>` where `E: Display`",
    note = "return `()`, `Result<(), E>` for any error type that implements `Display`, \
            or `Result<(), Permanent<E>>` for failures no retry can fix"
)]
pub trait IntoHandlerResult {
    /// Converts the return value.
    ///
    /// # Errors
    ///
    /// The handler's error, as a [`HandlerError`].
    fn into_handler_result(self) -> Result<(), HandlerError>;
}

impl IntoHandlerResult for () {
    fn into_handler_result(self) -> Result<(), HandlerError> {
        Ok(())
    }
}

impl<E: fmt::Display> IntoHandlerResult for Result<(), E> {
    fn into_handler_result(self) -> Result<(), HandlerError> {
        self.map_err(HandlerError::new)
    }
}

// `Permanent<E>` does not implement `Display`, so this does not overlap the impl above.
impl<E: fmt::Display> IntoHandlerResult for Result<(), Permanent<E>> {
    fn into_handler_result(self) -> Result<(), HandlerError> {
        self.map_err(|Permanent(e)| HandlerError::permanent(e))
    }
}
