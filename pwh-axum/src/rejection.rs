//! Why [`VerifiedWebhook`](crate::VerifiedWebhook) refused a request, as an axum response.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::WebhookRejection;

impl WebhookRejection {
    /// The status code this rejection is answered with: 401, 400, 405 or 413.
    pub fn status(&self) -> StatusCode {
        self.rejection().status()
    }
}

/// The answer every pwh adapter sends: [`status`](WebhookRejection::status), the reason as
/// `text/plain; charset=utf-8`, and `Allow: POST` on a 405.
impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        self.response().to_http::<Body>()
    }
}

#[cfg(test)]
mod tests {
    use pwh_core::adapter::Rejection;

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

        let unreadable = WebhookRejection::from(Rejection::unreadable_body("connection reset"));
        assert_eq!(unreadable.status(), 400);
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
