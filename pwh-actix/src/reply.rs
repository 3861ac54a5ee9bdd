//! Between actix-web's types and pwh-core's: request headers in, the dispatcher's answer out.

use actix_web::body::{to_bytes_limited, BodyStream};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{dev, HttpRequest, HttpResponse};
use pwh_core::adapter::{Endpoint, Rejection, WebhookResponse};
use pwh_core::Dispatcher;

/// Lets the dispatcher read an actix-web request's headers.
pub(crate) struct ActixHeaders<'a>(pub(crate) &'a HeaderMap);

impl pwh_core::adapter::Headers for ActixHeaders<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Reads the body with actix-web's `to_bytes_limited`, under the dispatcher's limit, if the
/// dispatcher lets it be read ([`Endpoint::read_body_with`]).
pub(crate) async fn read(
    dispatcher: &Dispatcher,
    req: &HttpRequest,
    payload: dev::Payload,
) -> Result<Bytes, Rejection> {
    let read = |limit| async move {
        match to_bytes_limited(BodyStream::new(payload), limit).await {
            Ok(body) => body.map(Some),
            Err(_over_the_limit) => Ok(None),
        }
    };
    let headers = ActixHeaders(req.headers());
    let (method, limit) = (req.method().as_str(), dispatcher.body_limit());
    Endpoint::new(dispatcher)
        .read_body_with(method, &headers, limit, read)
        .await
}

/// `response` as actix-web sends it: its status, its headers and its plain-text body.
pub(crate) fn respond(response: &WebhookResponse) -> HttpResponse {
    let status = StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for header in response.headers() {
        builder.insert_header(header);
    }
    builder.body(response.body())
}
