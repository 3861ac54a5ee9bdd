//! The handler trait: something that reacts to events of one kind, or of every kind, and
//! what it says of itself (its route and [`HandlerInfo`]).

use std::borrow::Cow;
use std::fmt;

use crate::context::EventContext;
use crate::extract::StateNeeds;
use crate::handler::HandlerError;
use crate::jobs::JobPolicy;

/// Something that reacts to Pusher events.
///
/// `#[on_event]` implements it for you; implement it by hand for handlers built at run time.
///
/// ```
/// use pwh_core::handler::{async_trait, EventHandler, HandlerInfo, EventRoute};
/// use pwh_core::{EventContext, HandlerError};
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
    /// body. [`handler_fn`](crate::handler::handler_fn) implements it too. Implement it by hand for a
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
    deferred: Option<Deferred>,
}

/// What makes a handler deferred: its job name and retry policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Deferred {
    /// The name its jobs are recorded under; the handler's name when `None`.
    job_name: Option<Cow<'static, str>>,
    policy: JobPolicy,
}

impl HandlerInfo {
    /// A handler called `name` (e.g. its function's path) receiving `route`.
    pub fn new(name: impl Into<Cow<'static, str>>, route: EventRoute) -> Self {
        Self {
            name: name.into(),
            route,
            location: None,
            state: StateNeeds::default(),
            deferred: None,
        }
    }

    /// Makes the handler deferred: its events are not handled while Pusher waits, but
    /// recorded as jobs (one per event and handler) that workers run later, retried by
    /// `policy` (`#[on_event("kind", deferred)]` does this).
    #[must_use]
    pub fn deferred(mut self, policy: JobPolicy) -> Self {
        let job_name = self.deferred.take().and_then(|d| d.job_name);
        self.deferred = Some(Deferred { job_name, policy });
        self
    }

    /// Records a deferred handler's jobs under `name` instead of the handler's name, so that
    /// jobs recorded before a rename or a move still find it (`name = "..."` in
    /// `#[on_event]`). Makes the handler deferred with the default policy if it was not.
    #[must_use]
    pub fn job_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        let policy = self.deferred.take().map(|d| d.policy).unwrap_or_default();
        self.deferred = Some(Deferred {
            job_name: Some(name.into()),
            policy,
        });
        self
    }

    /// The retry policy of a deferred handler; `None` for a handler that runs while Pusher
    /// waits.
    pub fn job_policy(&self) -> Option<&JobPolicy> {
        self.deferred.as_ref().map(|d| &d.policy)
    }

    /// The name a deferred handler's jobs are recorded under (its `name = "..."`, else the
    /// handler's name); `None` for a handler that is not deferred.
    pub fn deferred_name(&self) -> Option<&str> {
        let deferred = self.deferred.as_ref()?;
        Some(deferred.job_name.as_deref().unwrap_or(&self.name))
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
        if self.deferred.is_some() {
            f.write_str(", deferred")?;
        }
        if let Some((file, line)) = self.location {
            write!(f, " ({file}:{line})")?;
        }
        Ok(())
    }
}
