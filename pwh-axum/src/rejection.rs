//! Why [`VerifiedWebhook`](crate::VerifiedWebhook) refused a request, as an axum response.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use pwh_core::Rejection;

/// Why a request was refused before any handler saw it; answers with its status code and its
/// message as plain text.
///
/// The message never contains the body or a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The dispatcher refused the request: wrong method (405), body too large (413), bad or
    /// missing signature or a stale webhook (401), or not a webhook (400).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The body could not be read, e.g. the client went away mid-body (400).
    #[error("could not read the request body")]
    UnreadableBody(#[source] axum::Error),
}

impl WebhookRejection {
    /// The status code this rejection is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Refused(rejection) => rejection.status(),
            Self::UnreadableBody(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The dispatcher's reason, when it refused the request.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Self::Refused(rejection) => Some(rejection),
            Self::UnreadableBody(_) => None,
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        crate::response::plain_text(self.status(), self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[tokio::test]
    async fn answers_with_the_status_and_the_message() {
        let response = WebhookRejection::from(Rejection::SignatureMismatch).into_response();
        assert_eq!(response.status(), 401);
        assert_eq!(content_type(&response), "text/plain; charset=utf-8");
        assert_eq!(
            text(response).await,
            "X-Pusher-Signature does not match the body"
        );

        let unreadable = WebhookRejection::UnreadableBody(axum::Error::new("connection reset"));
        assert!(unreadable.rejection().is_none());
        let response = unreadable.into_response();
        assert_eq!(response.status(), 400);
        assert_eq!(text(response).await, "could not read the request body");
    }

    #[tokio::test]
    async fn method_not_allowed_says_what_is() {
        let rejection = Rejection::MethodNotAllowed {
            method: "PUT".to_owned(),
        };
        let response = WebhookRejection::from(rejection).into_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "POST");
    }
}
