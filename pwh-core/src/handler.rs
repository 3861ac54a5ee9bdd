//! The handler trait: something that reacts to events of one kind, or of every kind.

use std::borrow::Cow;
use std::fmt;

use crate::context::EventContext;
use crate::extract::ExtractError;

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

    /// Handles one event at once, without a future, if this handler never waits: what
    /// `#[on_event]` implements for a plain (not `async`) `fn`. The dispatcher tries it first
    /// and calls [`call`](Self::call) only on `None`, the default.
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
}

impl HandlerInfo {
    /// A handler called `name` (e.g. its function's path) receiving `route`.
    pub fn new(name: impl Into<Cow<'static, str>>, route: EventRoute) -> Self {
        Self {
            name: name.into(),
            route,
            location: None,
        }
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

/// Why a handler failed; its message is reported in the [`WebhookOutcome`](crate::WebhookOutcome) and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError(String);

impl HandlerError {
    /// A failure described by `message`.
    pub fn new(message: impl fmt::Display) -> Self {
        Self(message.to_string())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HandlerError {}

impl From<ExtractError> for HandlerError {
    fn from(e: ExtractError) -> Self {
        Self(e.to_string())
    }
}

/// What a handler function may return: `()` or `Result<(), E>` with `E: Display`.
#[diagnostic::on_unimplemented(
    message = "a Pusher event handler cannot return `{Self}`",
    label = "handlers return `()` or `Result<(), E>` where `E: Display`",
    note = "return `()`, or `Result<(), E>` for any error type that implements `Display`"
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
