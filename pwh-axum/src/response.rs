//! Turning the dispatcher's answers into axum responses.

use std::borrow::Cow;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

/// A `status` response with `message` as plain text; a 405 says `Allow: POST`.
pub(crate) fn plain_text(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Response {
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        message.into(),
    )
        .into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// The dispatcher's answer: its status and its short plain-text body.
pub(crate) fn from_core(response: &pwh_core::WebhookResponse) -> Response {
    plain_text(response.status(), response.body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[tokio::test]
    async fn plain_text_with_allow_only_on_405() {
        let ok = plain_text(StatusCode::OK, "ok".to_owned());
        assert_eq!(content_type(&ok), "text/plain; charset=utf-8");
        assert!(ok.headers().get(header::ALLOW).is_none());
        assert_eq!(text(ok).await, "ok");

        let refused = plain_text(StatusCode::METHOD_NOT_ALLOWED, "no".to_owned());
        assert_eq!(refused.headers()[header::ALLOW], "POST");
    }
}
