//! The dispatcher for `http` requests of any body type, and as a `tower::Service` (feature
//! `tower`): hyper, tower stacks, and adapters built on them (`pwh-axum`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};

use crate::dispatcher::{Dispatcher, Endpoint};
use crate::rejection::Rejection;
use crate::response::WebhookResponse;

/// The error type bodies may fail with.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Endpoint<'_> {
    /// Reads the body of a request under [`body_limit`](Self::body_limit), streaming: a method
    /// other than `POST` is refused (405) without reading the body, a `Content-Length` or a
    /// size hint over the limit (413) before reading a byte, and a body found over the limit
    /// while reading (413) without buffering past it. A body that fails to arrive is refused
    /// with [`Rejection::UnreadableBody`] (400). Each refusal is logged once, at `warn`.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] when the body is not read.
    pub async fn read_body<B>(
        self,
        parts: &http::request::Parts,
        body: B,
    ) -> Result<Bytes, Rejection>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let read = |limit: usize| async move {
            if body.size_hint().lower() > u64::try_from(limit).unwrap_or(u64::MAX) {
                return Ok(None);
            }
            match Limited::new(body, limit).collect().await {
                Ok(collected) => Ok(Some(collected.to_bytes())),
                Err(error) if is_length_limit(&*error) => Ok(None),
                Err(error) => Err(error),
            }
        };
        let limit = self.body_limit();
        self.read_body_with(parts.method.as_str(), &parts.headers, limit, read)
            .await
    }

    /// Handles an `http` request: reads its body as [`read_body`](Self::read_body) does, then
    /// [`handle`](Dispatcher::handle)s it. Send the answer with
    /// [`WebhookResponse::to_http`].
    pub async fn handle_http<B>(self, request: http::Request<B>) -> WebhookResponse
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let body = self.read_body(&parts, body).await;
        self.handle_read(parts.method.as_str(), &parts.headers, body)
            .await
    }
}

/// The dispatcher as a `tower::Service`: every request is answered as
/// [`Endpoint::handle_http`] answers it, with a
/// [`WebhookResponse::to_http`] response. It never fails and is always ready. Serve it with
/// hyper (`hyper_util::service::TowerToHyperService::new(dispatcher)`), behind any
/// `tower::ServiceBuilder` layers, or mount it in a framework built on tower.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use http_body_util::Full;
/// use pwh_core::testing::{Harness, TestWebhook};
/// use tower_service::Service;
///
/// let mut service = Harness::new().dispatcher().clone();
/// let request: http::Request<Full<bytes::Bytes>> = TestWebhook::new()
///     .channel_occupied("news")
///     .signed()
///     .to_http("/pusher/webhooks");
/// let response = service.call(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
/// # });
/// ```
impl<B> tower_service::Service<http::Request<B>> for Dispatcher
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let dispatcher = self.clone();
        Box::pin(async move {
            let response = Endpoint::new(&dispatcher).handle_http(request).await;
            Ok(response.to_http())
        })
    }
}

/// Whether a body error is a length limit: ours, or one an outer layer (e.g. tower-http's
/// `RequestBodyLimit`) put on the body.
fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| e.is::<LengthLimitError>())
}
