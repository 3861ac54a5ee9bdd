//! How a handler fails: [`HandlerError`], [`Permanent`], and what a handler function may
//! return ([`IntoHandlerResult`]).

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::extract::ExtractError;

/// Why a handler failed; its message is reported in the
/// [`WebhookOutcome`](crate::adapter::WebhookOutcome) and logged.
///
/// A failure is *retryable* ([`new`](Self::new): the webhook is answered with 500 and
/// Pusher's retry runs the handler again) or *permanent* ([`permanent`](Self::permanent): no
/// retry can fix it, e.g. data of another shape; it is logged at `error`, remembered as done,
/// and the webhook is answered with 200 when nothing retryable failed).
///
/// Made from an error ([`from_error`](Self::from_error), or a handler returning
/// `Result<(), E>`), it keeps that error: its [`source`](Error::source) is the error's own
/// source, [`get_ref`](Self::get_ref) gives the error itself, and the alternate form
/// (`{:#}`), which the dispatcher logs, writes the whole chain of causes.
///
/// ```
/// use std::error::Error;
/// use pwh_core::HandlerError;
///
/// let io = std::io::Error::other("connection reset");
/// let error = HandlerError::from_error(std::io::Error::new(std::io::ErrorKind::Other, Wrapped(io)));
/// assert_eq!(error.to_string(), "CRM call failed");
/// assert_eq!(format!("{error:#}"), "CRM call failed: connection reset");
/// assert!(error.source().is_some());
///
/// #[derive(Debug)]
/// struct Wrapped(std::io::Error);
/// impl std::fmt::Display for Wrapped {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("CRM call failed")
///     }
/// }
/// impl Error for Wrapped {
///     fn source(&self) -> Option<&(dyn Error + 'static)> {
///         Some(&self.0)
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct HandlerError {
    message: String,
    permanent: bool,
    error: Option<Arc<dyn Error + Send + Sync + 'static>>,
}

/// The errors a handler may return: anything `Box<dyn Error + Send + Sync>` is made from
/// (every `Error + Send + Sync + 'static`, `String`, `&str`, `anyhow::Error`, ...).
type BoxError = Box<dyn Error + Send + Sync + 'static>;

impl HandlerError {
    /// A retryable failure described by `message`.
    pub fn new(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            permanent: false,
            error: None,
        }
    }

    /// A failure no retry can fix, described by `message`.
    pub fn permanent(message: impl fmt::Display) -> Self {
        Self {
            permanent: true,
            ..Self::new(message)
        }
    }

    /// A retryable failure caused by `error`, which it keeps (its message, its source, and
    /// itself through [`get_ref`](Self::get_ref)).
    pub fn from_error(error: impl Into<BoxError>) -> Self {
        let error: BoxError = error.into();
        match error.downcast::<Self>() {
            Ok(handler_error) => *handler_error,
            Err(error) => Self {
                message: error.to_string(),
                permanent: false,
                error: Some(Arc::from(error)),
            },
        }
    }

    /// The same failure, marked as one no retry can fix.
    #[must_use]
    pub fn into_permanent(mut self) -> Self {
        self.permanent = true;
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether no retry can fix it.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The error it was made from, if any (to downcast it).
    pub fn get_ref(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        self.error.as_deref()
    }
}

impl PartialEq for HandlerError {
    /// Equal when the messages and the permanence are: the errors they were made from need
    /// not implement `PartialEq`.
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message && self.permanent == other.permanent
    }
}

impl Eq for HandlerError {}

impl fmt::Display for HandlerError {
    /// The message; with `{:#}`, followed by each cause of the error it was made from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if f.alternate() {
            let mut cause = self.source();
            while let Some(error) = cause {
                write!(f, ": {error}")?;
                cause = error.source();
            }
        }
        Ok(())
    }
}

impl Error for HandlerError {
    /// The source of the error it was made from (the error itself is
    /// [`get_ref`](Self::get_ref): its message is this one's).
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error.as_deref().and_then(|error| error.source())
    }
}

impl From<ExtractError> for HandlerError {
    /// A parameter that cannot be read from this body cannot be read from its retries
    /// either: permanent. (Missing state is the app's configuration, not the body's:
    /// retryable, and [`DispatcherBuilder::build`](crate::dispatcher::DispatcherBuilder::build) reports
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

/// What a handler function may return: `()`, `Result<(), E>` for any error `E` (a failure is
/// retried), or `Result<(), Permanent<E>>` (it is not). An error is anything a
/// `Box<dyn Error + Send + Sync>` is made from: every `Error + Send + Sync + 'static`,
/// `String`, `&'static str`, `anyhow::Error`; the [`HandlerError`] keeps it, causes included.
#[diagnostic::on_unimplemented(
    message = "a Pusher event handler cannot return `{Self}`",
    label = "handlers return `()` or `Result<(), E>` where `E` is an error",
    note = "return `()`, `Result<(), E>` for any `E: Error + Send + Sync + 'static` (or \
            `String`, `&'static str`, `anyhow::Error`), or `Result<(), Permanent<E>>` for \
            failures no retry can fix"
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

impl<E: Into<Box<dyn Error + Send + Sync>>> IntoHandlerResult for Result<(), E> {
    fn into_handler_result(self) -> Result<(), HandlerError> {
        self.map_err(HandlerError::from_error)
    }
}

// `Permanent<E>` is not an error, so this does not overlap the impl above.
impl<E: Into<Box<dyn Error + Send + Sync>>> IntoHandlerResult for Result<(), Permanent<E>> {
    fn into_handler_result(self) -> Result<(), HandlerError> {
        self.map_err(|Permanent(e)| HandlerError::from_error(e).into_permanent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct CrmDown(std::io::Error);

    impl fmt::Display for CrmDown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("CRM call failed")
        }
    }

    impl Error for CrmDown {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    fn crm_down() -> CrmDown {
        CrmDown(std::io::Error::other("connection reset"))
    }

    #[test]
    fn a_returned_error_keeps_its_source_and_itself() {
        let error = Err::<(), _>(crm_down()).into_handler_result().unwrap_err();
        assert!(!error.is_permanent());
        assert_eq!(error.message(), "CRM call failed");
        assert_eq!(format!("{error:#}"), "CRM call failed: connection reset");
        assert_eq!(error.source().unwrap().to_string(), "connection reset");
        assert!(error.get_ref().unwrap().is::<CrmDown>());

        let permanent = Err::<(), _>(Permanent(crm_down()))
            .into_handler_result()
            .unwrap_err();
        assert!(permanent.is_permanent());
        assert_eq!(
            format!("{permanent:#}"),
            "CRM call failed: connection reset"
        );
    }

    #[test]
    fn messages_and_handler_errors_come_through_as_they_are() {
        let text = Err::<(), _>("no such user")
            .into_handler_result()
            .unwrap_err();
        assert_eq!(text, HandlerError::new("no such user"));
        assert!(text.source().is_none());
        assert_eq!(format!("{text:#}"), "no such user");

        let given = HandlerError::permanent("bad shape");
        let returned = Err::<(), _>(given.clone())
            .into_handler_result()
            .unwrap_err();
        assert_eq!(returned, given);
        assert!(returned.is_permanent());
        assert!(returned.get_ref().is_none());
    }
}
