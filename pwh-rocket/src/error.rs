//! Why the [`VerifiedWebhook`](crate::VerifiedWebhook) data guard failed.

use pwh_core::Rejection;
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

use crate::reply;

/// Why the [`VerifiedWebhook`](crate::VerifiedWebhook) data guard failed, with the status to
/// answer with ([`status`](Self::status)).
///
/// Rocket hands the status to its catchers; take `Result<VerifiedWebhook, WebhookError>` in
/// your route to see the reason, and return the error (it is a [`Responder`]: its status and
/// its message as plain text) or answer as you like. The messages never contain the body or
/// a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The request was refused: a missing or wrong signature or a stale webhook (401), a body
    /// that is not a webhook (400), a body over the limit (413), a method other than `POST`
    /// (405).
    #[error(transparent)]
    Rejected(Rejection),
    /// The body could not be read (400), e.g. the client went away.
    #[error("could not read the body")]
    Read(#[source] std::io::Error),
    /// No [`Dispatcher`](pwh_core::Dispatcher) is managed by Rocket (500): attach
    /// [`Webhooks`](crate::Webhooks) or call `.manage(dispatcher)`.
    #[error(
        "no pwh_core::Dispatcher is managed: attach pwh_rocket::Webhooks::new(dispatcher) or call .manage(dispatcher) on the Rocket"
    )]
    NoDispatcher,
}

impl WebhookError {
    /// The status to answer with: the rejection's (401, 400, 413 or 405), 400 for a read
    /// error, 500 when no dispatcher is managed.
    pub fn status(&self) -> Status {
        match self {
            Self::Rejected(rejection) => Status::new(rejection.status().as_u16()),
            Self::Read(_) => Status::BadRequest,
            Self::NoDispatcher => Status::InternalServerError,
        }
    }

    /// Why the request was refused, when it was (not for read errors or a missing dispatcher).
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Self::Rejected(rejection) => Some(rejection),
            Self::Read(_) | Self::NoDispatcher => None,
        }
    }
}

impl From<Rejection> for WebhookError {
    fn from(rejection: Rejection) -> Self {
        Self::Rejected(rejection)
    }
}

/// Answers with [`status`](WebhookError::status) and the message as `text/plain`; a missing
/// dispatcher is answered with a generic message (the details are in the log).
impl<'r> Responder<'r, 'static> for WebhookError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = match &self {
            Self::NoDispatcher => "webhook receiver not configured".to_owned(),
            other => other.to_string(),
        };
        Ok(reply::plain(self.status(), body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_contract() {
        let cases = [
            (WebhookError::Rejected(Rejection::SignatureMismatch), 401),
            (WebhookError::Rejected(Rejection::MissingKey), 401),
            (
                WebhookError::Rejected(Rejection::PayloadTooLarge { limit: 64 }),
                413,
            ),
            (
                WebhookError::Rejected(Rejection::Malformed { reason: "x".into() }),
                400,
            ),
            (
                WebhookError::Rejected(Rejection::MethodNotAllowed {
                    method: "GET".into(),
                }),
                405,
            ),
            (
                WebhookError::Read(std::io::ErrorKind::UnexpectedEof.into()),
                400,
            ),
            (WebhookError::NoDispatcher, 500),
        ];
        for (error, code) in cases {
            assert_eq!(error.status().code, code, "{error}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        assert!(WebhookError::NoDispatcher
            .to_string()
            .contains(".manage(dispatcher)"));
        assert_eq!(
            WebhookError::from(Rejection::SignatureMismatch).to_string(),
            Rejection::SignatureMismatch.to_string()
        );
        assert!(WebhookError::from(Rejection::UnknownKey)
            .rejection()
            .is_some());
        assert!(WebhookError::NoDispatcher.rejection().is_none());
    }
}
