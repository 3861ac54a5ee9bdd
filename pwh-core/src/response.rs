//! The answer to one request: a status code, its headers and body, and what happened.

use std::borrow::Cow;

use http::{HeaderName, HeaderValue, StatusCode};

use crate::outcome::{Verdict, WebhookOutcome};
use crate::rejection::Rejection;

/// The answer to one webhook request: its status code and either the [`Rejection`] or the
/// handlers' [`WebhookOutcome`].
///
/// It owns the whole answer, so that every adapter sends the same one: the
/// [status](Self::status), the [headers](Self::headers) (`Content-Type: text/plain;
/// charset=utf-8`, and `Allow: POST` on a 405) and a short plain-text [body](Self::body).
/// Adapters only convert it to their framework's response ([`to_http`](Self::to_http) for
/// frameworks built on the `http` crate).
///
/// ```
/// use pwh_core::adapter::{Rejection, WebhookResponse};
///
/// let refused = WebhookResponse::from(Rejection::MethodNotAllowed { method: "GET".into() });
/// assert_eq!(refused.status(), 405);
/// assert_eq!(
///     refused.headers().collect::<Vec<_>>(),
///     [("content-type", "text/plain; charset=utf-8"), ("allow", "POST")]
/// );
/// let response: http::Response<String> = refused.to_http();
/// assert_eq!(response.headers()["allow"], "POST");
/// assert_eq!(response.body(), "method GET not allowed: Pusher webhooks are POSTed");
/// ```
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
    /// The `Content-Type` of every answer.
    pub const CONTENT_TYPE: &'static str = "text/plain; charset=utf-8";

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

    /// The `Content-Type` of every answer: [`CONTENT_TYPE`](Self::CONTENT_TYPE).
    pub fn content_type(&self) -> &'static str {
        Self::CONTENT_TYPE
    }

    /// The `Allow` header's value: `POST` on a 405, else none.
    pub fn allow(&self) -> Option<&'static str> {
        (self.status == StatusCode::METHOD_NOT_ALLOWED).then_some("POST")
    }

    /// Every header of the answer, as lowercase names and values: `content-type`, and `allow`
    /// on a 405.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let allow = self.allow().map(|allow| ("allow", allow));
        std::iter::once(("content-type", self.content_type())).chain(allow)
    }

    /// The whole answer as an [`http::Response`]: status, [headers](Self::headers) and
    /// [body](Self::body), for any body type made from text (`String`, axum's `Body`,
    /// `http_body_util::Full<Bytes>`...).
    pub fn to_http<B: From<Cow<'static, str>>>(&self) -> http::Response<B> {
        let mut response = http::Response::new(B::from(self.body()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in self.headers() {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        response
    }

    /// What the handlers did, when the webhook was accepted.
    pub fn outcome(&self) -> Option<&WebhookOutcome> {
        self.result.as_ref().ok()
    }

    /// Why the request was refused, if it was.
    pub fn rejection(&self) -> Option<&Rejection> {
        self.result.as_ref().err()
    }

    /// A short plain-text body for the answer. It never names handlers or their errors, which
    /// stay in the logs.
    pub fn body(&self) -> Cow<'static, str> {
        match self.result.as_ref().map(WebhookOutcome::verdict) {
            Ok(Verdict::Handled | Verdict::Replayed) => Cow::Borrowed("ok"),
            Ok(Verdict::Unavailable(_)) => {
                Cow::Borrowed("delivery store unavailable; deliver again")
            }
            Ok(_) => Cow::Borrowed("a handler failed; deliver again"),
            Err(rejection) => Cow::Owned(rejection.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_is_plain_text_and_a_405_says_allow_post() {
        let ok = WebhookResponse::handled(WebhookOutcome::default());
        assert_eq!(ok.status(), 200);
        assert_eq!(
            ok.headers().collect::<Vec<_>>(),
            [("content-type", "text/plain; charset=utf-8")]
        );
        let http: http::Response<String> = ok.to_http();
        assert_eq!(http.status(), 200);
        assert_eq!(http.headers()["content-type"], "text/plain; charset=utf-8");
        assert!(http.headers().get("allow").is_none());
        assert_eq!(http.body(), "ok");

        for (rejection, status) in [
            (Rejection::PayloadTooLarge { limit: 64 }, 413),
            (Rejection::unreadable_body("reset by peer"), 400),
            (Rejection::NotConfigured, 500),
        ] {
            let refused = WebhookResponse::from(rejection);
            assert_eq!(refused.status(), status);
            assert_eq!(refused.allow(), None);
            assert!(
                !refused.body().contains("reset by peer"),
                "causes stay in the logs"
            );
        }
        let refused = WebhookResponse::from(Rejection::MethodNotAllowed {
            method: "PUT".into(),
        });
        assert_eq!(refused.allow(), Some("POST"));
        let http: http::Response<String> = refused.to_http();
        assert_eq!(http.headers()["allow"], "POST");
    }
}
