//! Why a handler parameter could not be read from an event.

/// Why a handler parameter could not be read from an event.
///
/// The handler does not run. No retry of the same body can fix it, so it is reported as
/// [`Unprocessable`](crate::adapter::RunResult::Unprocessable) with this message (never the field's
/// value), logged at `error`, remembered as done, and the webhook is answered with 200 when
/// nothing retryable failed. (Missing state is the exception: retryable, and reported by
/// `DispatcherBuilder::build` before the first webhook.) Take the parameter as `Option<T>` or
/// `Result<T, ExtractError>` to decide yourself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The event has no such field.
    #[error("event has no `{field}` field")]
    Missing {
        /// The field's name.
        field: &'static str,
    },
    /// The field has another JSON type.
    #[error("field `{field}` is {found}, expected {expected}")]
    WrongType {
        /// The field's name.
        field: &'static str,
        /// What it is.
        found: &'static str,
        /// What the parameter needs.
        expected: &'static str,
    },
    /// The field's content could not be decoded into the parameter's type.
    #[error("field `{field}` could not be decoded as `{target}`: {problem}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// The type asked for.
        target: &'static str,
        /// What went wrong (without the content).
        problem: String,
    },
    /// A handler that is not deferred takes a [`Job`](crate::Job).
    #[error("`Job` is given to deferred handlers only: mark the handler `deferred`")]
    NotDeferred,
    /// No state of that type was registered on the dispatcher.
    #[error("no state of type `{type_name}` was registered: add it with DispatcherBuilder::state")]
    MissingState {
        /// The state's type.
        type_name: &'static str,
    },
}
