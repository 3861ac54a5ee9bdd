//! The answer to one request: a status code, and what happened.

use std::borrow::Cow;

use http::StatusCode;

use crate::outcome::WebhookOutcome;
use crate::rejection::Rejection;

/// The answer to one webhook request: its status code and either the [`Rejection`] or the
/// handlers' [`WebhookOutcome`]. Adapters turn it into their framework's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResponse {
    status: StatusCode,
    result: Result<WebhookOutcome, Rejection>,
}

impl From<Rejection> for WebhookResponse {
    /// The answer to a request refused before the dispatcher saw it (an adapter's own 413).
    fn from(rejection: Rejection) -> Self {
        Self {
            status: rejection.status(),
            result: Err(rejection),
        }
    }
}

impl WebhookResponse {
    pub(crate) fn handled(outcome: WebhookOutcome) -> Self {
        Self {
            status: outcome.status(),
            result: Ok(outcome),
        }
    }

    /// The status code: 200 when every handler succeeded, 500 when one failed, 4xx when the
    /// request was refused.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What the handlers did, when the webhook was accepted.
    pub fn outcome(&self) -> Option<&WebhookOutcome> {
        self.result.as_ref().ok()
    }

    /// Why the request was refused, if it was.
    pub fn rejection(&self) -> Option<&Rejection> {
        self.result.as_ref().err()
    }

    /// The outcome or the rejection, by value.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] when the request was refused.
    pub fn into_result(self) -> Result<WebhookOutcome, Rejection> {
        self.result
    }

    /// A short plain-text body for the answer. It never names handlers or their errors, which
    /// stay in the logs.
    pub fn body(&self) -> Cow<'static, str> {
        match &self.result {
            Ok(outcome) if outcome.is_success() => Cow::Borrowed("ok"),
            Ok(outcome) if outcome.store_error().is_some() => {
                Cow::Borrowed("delivery store unavailable; deliver again")
            }
            Ok(_) => Cow::Borrowed("a handler failed; deliver again"),
            Err(rejection) => Cow::Owned(rejection.to_string()),
        }
    }
}
