//! The dispatcher's answer as a Rocket response.

use std::io::Cursor;

use pwh_core::adapter::WebhookResponse;
use rocket::http::{Header, Status};
use rocket::Response;

/// `response` as Rocket sends it: its status, its headers and its plain-text body.
pub(crate) fn respond(response: &WebhookResponse) -> Response<'static> {
    let body = response.body();
    let mut builder = Response::build();
    builder.status(Status::new(response.status().as_u16()));
    for (name, value) in response.headers() {
        builder.header(Header::new(name, value));
    }
    builder.sized_body(body.len(), Cursor::new(body.into_owned().into_bytes()));
    builder.finalize()
}
