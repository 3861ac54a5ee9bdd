//! Signed requests for any web framework's test client.

use super::{test_token, SignedRequest};
use crate::keyring::KeyRing;

/// The signature of `body` under the [test token](test_token), as `X-Pusher-Signature`
/// carries it.
pub fn sign(body: &[u8]) -> String {
    let token = test_token();
    KeyRing::new([token.clone()])
        .sign(token.key(), body)
        .unwrap_or_default()
}

impl SignedRequest {
    /// Any body, signed with the [test token](test_token): a body that is not a webhook, or
    /// one whose bytes matter (key order, padding).
    pub fn raw(body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        Self {
            headers: vec![
                ("X-Pusher-Key", test_token().key().to_owned()),
                ("X-Pusher-Signature", sign(&body)),
                ("Content-Type", "application/json".to_owned()),
            ],
            body,
        }
    }

    /// The request as an [`http::Request`] `POST`ed to `uri`, with its headers and a
    /// `Content-Length`, for the test client of a framework built on the `http` crate: the
    /// body type is any made from bytes (axum's `Body`, `Vec<u8>`,
    /// `http_body_util::Full<Bytes>`...).
    ///
    /// ```
    /// use pwh_core::testing::TestWebhook;
    ///
    /// let request: http::Request<Vec<u8>> = TestWebhook::new()
    ///     .channel_occupied("news")
    ///     .signed()
    ///     .to_http("/pusher/webhooks");
    /// assert_eq!(request.method(), "POST");
    /// assert_eq!(request.headers()["x-pusher-key"], pwh_core::testing::TEST_KEY);
    /// assert_eq!(request.headers()["content-length"], request.body().len().to_string());
    /// ```
    ///
    /// # Panics
    ///
    /// When `uri` is not a valid request target.
    pub fn to_http<B: From<Vec<u8>>>(&self, uri: &str) -> http::Request<B> {
        let mut builder = http::Request::post(uri);
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        builder
            .header(http::header::CONTENT_LENGTH, self.body.len())
            .body(B::from(self.body.clone()))
            .unwrap_or_else(|e| panic!("a test request to {uri:?}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bodies_are_signed_with_the_test_token() {
        let request = SignedRequest::raw(&b"not json"[..]);
        let keys = KeyRing::new([test_token()]);
        let verified = keys.verify(
            request.header("x-pusher-key"),
            request.header("x-pusher-signature"),
            &request.body,
        );
        assert!(verified.is_ok());
        let http: http::Request<Vec<u8>> = request.to_http("/hooks");
        assert_eq!(http.uri(), "/hooks");
        assert_eq!(http.body(), b"not json");
        assert_eq!(http.headers()["content-length"], "8");
    }
}
