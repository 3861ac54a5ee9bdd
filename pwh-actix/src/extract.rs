//! An extractor for hand-written actix-web handlers: the verified webhook, no handlers run.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::{dev, FromRequest, HttpRequest, HttpResponse, ResponseError};
use pwh_core::adapter::Rejection;
use pwh_core::Dispatcher;

use crate::reply::{self, ActixHeaders};

pwh_core::__adapter_types! {
    /// A webhook verified by the app's [`Dispatcher`], for your own actix-web handler.
    ///
    /// It reads the body under the dispatcher's limit and checks method, size, signature, body
    /// and freshness exactly as [`webhooks`](crate::webhooks) does, then hands you the parsed
    /// [`Webhook`](pwh_core::Webhook) (it derefs to it) and the [`key`](Self::key) that signed
    /// it. It runs **no** handler and keeps no delivery memory: answer 2xx only once the
    /// events are handled (anything else makes Pusher deliver them again).
    ///
    /// The dispatcher comes from the app data: `.app_data(dispatcher)` on the `App`, a scope
    /// or the resource. A refused request is answered with a [`WebhookRejection`]: 401, 400,
    /// 405 (with `Allow: POST`), 413, or 500 when no dispatcher is found.
    ///
    /// ```
    /// use actix_web::{web, App};
    /// use pwh_actix::VerifiedWebhook;
    /// use pwh_core::{Dispatcher, KeyRing, Token};
    ///
    /// async fn receive(hook: VerifiedWebhook) -> String {
    ///     let names: Vec<&str> = hook.events().iter().map(|e| e.name()).collect();
    ///     format!("{}: {}", hook.key(), names.join(","))
    /// }
    ///
    /// let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("key", "secret")])).build();
    /// let app = App::new()
    ///     .app_data(dispatcher)
    ///     .route("/pusher/webhooks", web::post().to(receive));
    /// ```
    pub struct VerifiedWebhook;

    /// Why [`VerifiedWebhook`] refused a request: a [`Rejection`](pwh_core::adapter::Rejection),
    /// answered (it is a [`ResponseError`]) with its [`status`](Self::status) and its message
    /// as plain text. The message never contains the body or a secret.
    pub struct WebhookRejection {
        not_configured: "no pwh_core::Dispatcher in the app data: call .app_data(dispatcher) on the App or scope"
    };
}

impl FromRequest for VerifiedWebhook {
    type Error = WebhookRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebhookRejection>>>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let Some(dispatcher) = req.app_data::<Dispatcher>() else {
                tracing::error!(
                    "VerifiedWebhook needs a pwh_core::Dispatcher in the app data: call \
                     .app_data(dispatcher) on the App or scope, or use pwh_actix::webhooks"
                );
                return Err(Rejection::NotConfigured.into());
            };
            let body = reply::read(dispatcher, &req, payload).await?;
            let headers = ActixHeaders(req.headers());
            let webhook = dispatcher.verify(req.method().as_str(), &headers, &body)?;
            Ok(Self::new(webhook))
        })
    }
}

impl WebhookRejection {
    /// The status code this rejection is answered with: 401, 400, 405, 413, or 500 when no
    /// dispatcher is found.
    pub fn status(&self) -> StatusCode {
        let status = self.rejection().status().as_u16();
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The answer every pwh adapter sends: [`status`](WebhookRejection::status), the reason as
/// `text/plain; charset=utf-8` (a generic one when no dispatcher is found: the details are in
/// the log), and `Allow: POST` on a 405.
impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        reply::respond(&self.response())
    }
}
