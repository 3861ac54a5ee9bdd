//! The endpoint: a resource whose every method reaches the dispatcher, which answers.

use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse, Resource};
use pwh_core::adapter::Endpoint;
use pwh_core::Dispatcher;

use crate::reply::{self, ActixHeaders};

/// The webhook endpoint at `path`, to register on an app in one line:
/// `App::new().service(pwh_actix::webhooks("/pusher/webhooks", dispatcher))`.
///
/// Every method reaches it so that the dispatcher answers them all: `POST` is verified and its
/// events handed to the dispatcher's handlers (200, or 500 when one failed so that Pusher
/// retries); anything else is answered 405 with `Allow: POST`, its body unread. The body is
/// read up to [`Dispatcher::body_limit`] and no further (413); a body that fails to arrive is
/// answered 400. Answers are short plain text. The resource also carries the dispatcher as
/// app data, for [`VerifiedWebhook`](crate::VerifiedWebhook)s in routes of the same scope.
pub fn webhooks(path: &str, dispatcher: Dispatcher) -> Resource {
    web::resource(path).app_data(dispatcher.clone()).to(
        move |req: HttpRequest, payload: Payload| {
            let dispatcher = dispatcher.clone();
            async move { handle(&dispatcher, &req, payload).await }
        },
    )
}

async fn handle(dispatcher: &Dispatcher, req: &HttpRequest, payload: Payload) -> HttpResponse {
    let body = reply::read(dispatcher, req, payload.into_inner()).await;
    let headers = ActixHeaders(req.headers());
    let method = req.method().as_str();
    let response = Endpoint::new(dispatcher).handle_read(method, &headers, body);
    reply::respond(&response.await)
}
